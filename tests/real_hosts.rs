//! Living on real hosts (issue 14) and the forwarding and firewall items of the hardening
//! review (issue 15, items 1 and 3): Docker's real dockerd on the same host in either start
//! order and across its restart, another table that drops forwarded traffic, the admin's
//! chain, a host that must not become an open router, and a flushed ruleset.

mod common;
use common::ok;

/// The host's uplink `wan` to an `outside` namespace (203.0.113.2 and .3, the default
/// gateway; it routes 10.0.0.0/8 back through the host, as a LAN neighbour might), and
/// `check_ctnet`: everything ctnet promises, with networks `n1` (a, b) and `n2` (c), and a
/// published port 8080 on a.
const WORLD: &str = r#"
    outside_host
    ip -n outside addr add 203.0.113.3/24 dev eth0
    ip -n outside route add 10.0.0.0/8 via 203.0.113.1
    ip route add default via 203.0.113.2
    make_ctnet() {
      ctnet network create --subnet 10.61.0.0/24 n1 >/dev/null
      ctnet network create --subnet 10.62.0.0/24 n2 >/dev/null
      for s in a b c; do ctnet sandbox create $s >/dev/null; done
      ctnet connect n1 a -p 8080:80 >/dev/null; ctnet connect n1 b; ctnet connect n2 c
      # One server for the whole scenario: the sandbox outlives gc and restore.
      ip netns exec a timeout 300 socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo hello" &
      for _ in $(seq 100); do ip netns exec a ss -H -lnt "sport = :80" | grep -q . && return; sleep 0.02; done
      die "nothing listens on a port 80"
    }
    check_ctnet() { # check_ctnet WHEN
      reaches a 10.61.0.3 || die "$1: a cannot reach b within n1"
      reaches a 203.0.113.2 || die "$1: a has no egress"
      ! reaches a 10.62.0.2 || die "$1: a reached c across networks"
      ! ip netns exec outside ping -c1 -W1 -q 10.61.0.2 >/dev/null 2>&1 || die "$1: the outside reached a directly"
      [ "$(ask outside 203.0.113.1 8080)" = hello ] || die "$1: published port not reachable from outside"
      [ "$(ask host 127.0.0.1 8080)" = hello ] || die "$1: published port not reachable on 127.0.0.1"
      [ "$(ask b 203.0.113.1 8080)" = hello ] || die "$1: published port not reachable from a neighbour (hairpin)"
    }
"#;

fn scenario(body: &str) -> String {
    ok(&format!("{WORLD}\n{body}"))
}

/// What Docker brings: its dockerd, an imported busybox image, and a check that Docker's
/// own containers still have egress and published ports.
const DOCKER: &str = r#"
    source "$SUPPORT/dockerd.sh"
    check_docker() { # check_docker WHEN
      /usr/bin/docker run --rm local/bb ping -c1 -W2 203.0.113.2 >/dev/null || die "$1: a Docker container has no egress"
    }
    docker_user() { iptables -S DOCKER-USER | grep -c -- '--comment ctnet' || true; }
"#;

#[test]
fn dockerd_first_then_ctnet_and_a_dockerd_restart() {
    let out = scenario(&format!(
        "{DOCKER}\n{}",
        r#"
        echo 0 > /proc/sys/net/ipv4/ip_forward
        docker_start
        iptables -S FORWARD | head -1
        make_ctnet
        # Two rules per bridge (in and out) in Docker's chain, which iptables still reads.
        [ "$(docker_user)" = 6 ] || die "DOCKER-USER: $(iptables -S DOCKER-USER)"
        iptables -S DOCKER-USER | grep -- '-i ctnet0'
        check_ctnet "dockerd first"; check_docker "dockerd first"
        docker_restart
        check_ctnet "after a dockerd restart"; check_docker "after a dockerd restart"
        ctnet doctor >$T/doctor; grep 'Docker is here' $T/doctor
        # Rules go with their bridge.
        ctnet disconnect n2 c; ctnet network rm n2 >/dev/null
        [ "$(docker_user)" = 4 ] || die "n2's rules stayed: $(iptables -S DOCKER-USER)"
        # Docker's chain renamed away: nothing half done, and the drop is reported instead.
        iptables -E DOCKER-USER DOCKER-OTHER
        ctnet network create --subnet 10.64.0.0/24 n4 >/dev/null 2>$T/warn
        grep -q 'chain ip filter FORWARD drops forwarded traffic' $T/warn || die "no warning: $(cat $T/warn)"
        [ "$(iptables -S DOCKER-OTHER | grep -c -- '--comment ctnet')" = 4 ] || die "the renamed chain changed"
        # Docker turned forwarding on: ctnet does not guard it.
        nft list set inet ctnet forward_guard >$T/guard; ! grep -q elements $T/guard || die "guarded Docker's forwarding"
    "#
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "-P FORWARD DROP", "{out}");
    assert_eq!(
        lines[1],
        "-A DOCKER-USER -i ctnet0 -m comment --comment ctnet -j ACCEPT"
    );
    assert!(
        lines[2].starts_with("ok    Docker is here: its ip DOCKER-USER chain lets"),
        "{out}"
    );
}

#[test]
fn ctnet_first_then_dockerd_and_a_dockerd_restart() {
    scenario(&format!(
        "{DOCKER}\n{}",
        r#"
        echo 0 > /proc/sys/net/ipv4/ip_forward
        make_ctnet
        check_ctnet "before dockerd"
        docker_start
        check_ctnet "dockerd second"; check_docker "dockerd second"
        docker_restart
        check_ctnet "after a dockerd restart"; check_docker "after a dockerd restart"
        # A new network after Docker came gets its way through Docker's chain too.
        ctnet network create --subnet 10.63.0.0/24 n3 >/dev/null
        ctnet sandbox create d >/dev/null; ctnet connect n3 d
        reaches d 203.0.113.2 || die "a network made after dockerd has no egress"
        [ "$(docker_user)" -ge 2 ] || die "DOCKER-USER: $(iptables -S DOCKER-USER)"
        ctnet doctor >$T/doctor || die "doctor: $(cat $T/doctor)"
    "#
    ));
}

#[test]
fn a_table_that_drops_forwarded_traffic_is_reported_with_the_fix() {
    let out = scenario(
        r#"
        nft -f - <<'EOF'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
EOF
        ctnet network create --subnet 10.61.0.0/24 n1 >/dev/null 2>$T/warn
        [ "$(wc -l <$T/warn)" = 1 ] || die "expected one warning: $(cat $T/warn)"
        cat $T/warn
        ctnet sandbox create a >/dev/null; ctnet connect n1 a
        # Nothing silently works or silently breaks: egress is blocked, and doctor says why.
        ! reaches a 203.0.113.2 || die "egress through a drop policy"
        ctnet doctor >$T/doctor || true
        grep -A2 'chain inet filter forward' $T/doctor
        # The rules doctor prints are the fix.
        grep -o 'nft insert rule .*' $T/doctor >$T/fix
        bash $T/fix
        reaches a 203.0.113.2 || die "egress after the admin's fix"
    "#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("ctnet: warning: chain inet filter forward drops forwarded traffic by default: network n1's egress, published ports and traffic within networks"),
        "{out}"
    );
    assert!(lines[1].starts_with("warn  chain inet filter forward drops forwarded traffic by default, and ctnet cannot overrule it"), "{out}");
    for (line, direction) in [(lines[2], "iifname"), (lines[3], "oifname")] {
        let fix = format!("nft insert rule inet filter forward {direction} {{ \"ctnet0\", \"ctn-");
        assert!(line.trim().starts_with(&fix), "{out}");
        assert!(line.trim().ends_with("\" } accept"), "{out}");
    }
}

#[test]
fn the_admins_chain_filters_published_ports_and_survives_every_rewrite() {
    scenario(
        r#"
        make_ctnet
        # "Allow 8080 only from 203.0.113.2": the original destination port, after DNAT.
        nft add rule inet ctnet user meta l4proto tcp ct original proto-dst 8080 ip saddr != 203.0.113.2 drop
        check() { # check WHEN
          [ "$(ASK_FROM=203.0.113.2 ask outside 203.0.113.1 8080)" = hello ] || die "$1: the allowed address was refused"
          [ -z "$(ASK_FROM=203.0.113.3 ask outside 203.0.113.1 8080)" ] || die "$1: the admin's drop did not hold"
          reaches a 203.0.113.2 || die "$1: a's egress broke"
        }
        # A rule may use ctnet's own sets: rewrites empty them, never delete them.
        nft add rule inet ctnet user oifname @bridges ip saddr 203.0.113.99 drop
        check "at first"
        ctnet sandbox create e >/dev/null; ctnet connect n1 e; check "after a connect"
        ctnet publish e 9090:90 >/dev/null; check "after a publish"
        ctnet gc; check "after gc"
        ctnet restore; check "after restore"
        # What an upgrade does: ctnet's own rules rewritten (here: one of them lost first).
        nft delete rule inet ctnet forward handle $(nft -a list chain inet ctnet forward | grep 'ct status dnat accept' | grep -o 'handle [0-9]*' | cut -d' ' -f2)
        ctnet restore; check "after ctnet's rules were rewritten"
        [ "$(nft list chain inet ctnet user | grep -c drop)" = 2 ] || die "the rule was duplicated or lost: $(nft list chain inet ctnet user)"
        # "Drop everything from wan to containers": new connections only, egress replies pass.
        nft add rule inet ctnet user iifname wan drop
        [ -z "$(ASK_FROM=203.0.113.2 ask outside 203.0.113.1 8080)" ] || die "wan reached a container"
        reaches a 203.0.113.2 || die "egress replies were dropped"
        ctnet doctor >$T/doctor; grep -q "chain inet ctnet user (new traffic into containers) has 3 rule" $T/doctor || die "doctor: $(cat $T/doctor)"
    "#,
    );
}

#[test]
fn the_host_is_no_open_router_when_ctnet_turned_forwarding_on() {
    // Two other interfaces, a LAN and a DMZ, with a host behind each.
    const LAN_DMZ: &str = r#"
        for side in lan:198.51.100 dmz:192.0.2; do
          name=${side%%:*}; net=${side#*:}
          ip netns add $name
          ip link add $name type veth peer name eth0 netns $name
          ip addr add $net.1/24 dev $name; ip link set $name up
          ip -n $name addr add $net.2/24 dev eth0; ip -n $name link set eth0 up
          ip -n $name route add default via $net.1
        done
        routes() { ip netns exec lan ping -c1 -W1 -q 192.0.2.2 >/dev/null 2>&1; }
    "#;
    scenario(&format!(
        "{LAN_DMZ}\n{}",
        r#"
        echo 0 > /proc/sys/net/ipv4/ip_forward
        ! routes || die "routed before ctnet"
        ctnet network ls >/dev/null; ctnet network inspect bridge >/dev/null; ctnet doctor >/dev/null || true
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || die "a read-only command turned forwarding on"
        ! ip link show ctnet0 2>/dev/null || die "a read-only command made ctnet0"
        make_ctnet
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || die "forwarding is off"
        ! routes || die "LAN reaches DMZ: ctnet made the host an open router"
        check_ctnet "guarded"
        # Another container manager's bridge (Docker's, libvirt's) keeps its forwarding.
        ip link add br-other type bridge; ip addr add 10.99.0.1/24 dev br-other; ip link set br-other up
        ip netns add other; ip link add vo type veth peer name eth0 netns other
        ip link set vo master br-other up; ip -n other addr add 10.99.0.2/24 dev eth0
        ip -n other link set eth0 up; ip -n other route add default via 10.99.0.1
        ip netns exec other ping -c1 -W1 -q 10.61.0.1 >/dev/null || die "a foreign bridge cannot reach the host"
        ip netns exec other ping -c1 -W1 -q 198.51.100.2 >/dev/null || die "a foreign bridge lost its forwarding"
        ctnet gc; ctnet restore
        ! routes || die "LAN reaches DMZ after gc and restore"
        ctnet doctor >$T/doctor || true; grep -q 'IPv4 forwarding is on, turned on by ctnet' $T/doctor || die "doctor: $(cat $T/doctor)"
    "#
    ));
    // Forwarding the admin turned on stays theirs: ctnet guards nothing.
    scenario(&format!(
        "{LAN_DMZ}\n{}",
        r#"
        echo 1 > /proc/sys/net/ipv4/ip_forward
        routes || die "the admin's routing does not work to begin with"
        make_ctnet
        routes || die "ctnet broke the admin's routing"
        check_ctnet "unguarded"
    "#
    ));
}

#[test]
fn a_flushed_ruleset_is_noticed_and_written_again() {
    scenario(
        r#"
        make_ctnet
        check_ctnet "at first"
        nft flush ruleset
        # What a flush costs until ctnet notices: the outside reaches containers directly.
        ip netns exec outside ping -c1 -W1 -q 10.61.0.2 >/dev/null || die "expected the flush to open the container"
        ! ctnet doctor >$T/doctor || die "doctor passed without ctnet's table"
        grep 'FAIL  table inet ctnet is missing' $T/doctor
        ctnet sandbox create d >/dev/null 2>$T/warn
        grep -q 'table inet ctnet was gone' $T/warn || die "no warning: $(cat $T/warn)"
        check_ctnet "after the flush and a command"
        ctnet doctor >/dev/null || die "doctor still fails"
        nft flush ruleset
        ctnet publish b 8081:80 >/dev/null 2>&1 || die "publish after a flush failed"
        check_ctnet "after a flush and a publish"
        # A table an older ctnet made (without the newest chain) is brought up to date.
        # (Older versions had no routing_mesh chain and the postrouting rule jumping to it,
        # no service_input chain, nor gateway_modes and the forward rule jumping to it.)
        nft flush chain inet ctnet postrouting; nft delete chain inet ctnet routing_mesh
        nft delete chain inet ctnet service_input
        nft flush chain inet ctnet forward; nft delete chain inet ctnet gateway_modes
        ctnet doctor >$T/doctor || true; grep -q 'made by an older ctnet' $T/doctor || die "doctor: $(cat $T/doctor)"
        ctnet sandbox create f >/dev/null
        nft list chain inet ctnet gateway_modes >/dev/null || die "the table was not brought up to date"
        nft list chain inet ctnet service_input >/dev/null || die "the table was not brought up to date"
        nft list chain inet ctnet postrouting >$T/post; grep -q 'jump routing_mesh' $T/post || die "postrouting was not made again"
        nft list chain inet ctnet forward >$T/forward
        grep -q 'jump gateway_modes' $T/forward || die "the forward chain was not made again"
        nft list map inet ctnet dnat_any >$T/map; grep -q 'tcp . 8081' $T/map || die "the new port is missing: $(cat $T/map)"
    "#,
    );
}
