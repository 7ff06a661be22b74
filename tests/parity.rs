//! Docker parity, round two (issue 19): gateway modes per network and family.

mod common;
use common::{emitted, ok};

/// An outside host (203.0.113.2, 2001:db8:1::2) that routes the container subnets
/// (10.0.0.0/8, fd00::/8) through this host, as a LAN neighbour with a static route
/// would, and answers on port 7000 with the address it saw the client come from.
/// `both NS CMD...` runs a check once per family (`$ip` = the family's address helper).
const WORLD: &str = r#"
    outside_host --ipv6
    ip -n outside route add 10.0.0.0/8 via 203.0.113.1
    ip -n outside -6 route add fd00::/8 via 2001:db8:1::1
    ip netns exec outside timeout 60 socat TCP4-LISTEN:7000,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
    ip netns exec outside timeout 60 socat TCP6-LISTEN:7000,fork,reuseaddr,ipv6only=1 SYSTEM:'echo $SOCAT_PEERADDR' &
    # listen NS PORT: a server on both families that answers "NS-PORT".
    listen() {
      ip netns exec "$1" timeout 60 socat TCP6-LISTEN:"$2",fork,reuseaddr,ipv6only=0 SYSTEM:"echo $1-$2" &
      for _ in $(seq 100); do ip netns exec "$1" ss -H -lnt "sport = :$2" | grep -q . && return; sleep 0.02; done
      die "nothing listens on $1 port $2"
    }
    # mode NAME V4 V6 MODE [OPTIONS...]: a dual-stack network in gateway mode MODE.
    mode() {
      local name=$1 v4=$2 v6=$3 mode=$4; shift 4
      ctnet network create --ipv6 --subnet "$v4" --subnet "$v6" \
        -o gateway_mode_ipv4="$mode" -o com.docker.network.bridge.gateway_mode_ipv6="$mode" "$@" "$name" >/dev/null
    }
    # peer NS ADDRESS: the address the outside saw NS's connection come from.
    peer() {
      ask "$1" "$2" 7000 | tr -d '[]' \
        | python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.stdin.read().strip()))' 2>/dev/null || true
    }
    for _ in $(seq 50); do ip netns exec outside ss -H -lnt "sport = :7000" | grep -c . | grep -q 2 && break; sleep 0.05; done
"#;

fn scenario(body: &str) -> String {
    ok(&format!("{WORLD}\n{body}"))
}

#[test]
fn routed_mode_opens_published_ports_at_the_container_and_does_no_nat() {
    let out = scenario(
        r#"
        mode routed 10.21.0.0/24 fd00:21::/64 routed
        for s in a b; do ctnet sandbox create $s >/dev/null; done
        ctnet connect routed a -p 80 -p 8080:90 2>$T/warn
        grep -q "gateway mode routed" $T/warn || die "no warning that the host port is not used"
        ctnet connect routed b
        for s in a b; do listen $s 80; done
        listen a 81; listen a 82; listen a 90
        for addr in 10.21.0.2 '[fd00:21::2]'; do
          [ "$(ask outside $addr 80)" = a-80 ] || die "routed: the published port is not open at $addr"
          [ "$(ask outside $addr 90)" = a-90 ] || die "routed: the published port 90 is not open at $addr"
          [ -z "$(ask outside $addr 81)" ] || die "routed: an unpublished port of a is open at $addr"
        done
        [ -z "$(ask outside 10.21.0.3 80)" ] || die "routed: b's unpublished port is open"
        [ -z "$(ask outside '[fd00:21::3]' 80)" ] || die "routed: b's unpublished IPv6 port is open"
        [ -z "$(ask outside 203.0.113.1 8080)" ] || die "routed: the host port was mapped"
        # Egress keeps the container's own address.
        [ "$(peer a 203.0.113.2)" = 10.21.0.2 ] || die "routed: IPv4 egress was translated"
        [ "$(peer a '[2001:db8:1::2]')" = fd00:21::2 ] || die "routed: IPv6 egress was translated"
        # Containers on another network reach published ports directly, as in Docker.
        ctnet network create --subnet 10.29.0.0/24 other >/dev/null
        ctnet sandbox create c >/dev/null; ctnet connect other c
        [ "$(ask c 10.21.0.2 80)" = a-80 ] || die "routed: another network cannot reach a published port directly"
        [ -z "$(ask c 10.21.0.2 81)" ] || die "routed: another network reached an unpublished port"
        ctnet network inspect routed | emit inspect
        ctnet network inspect --explain routed >$T/explain
        grep -q "IPv4 gateway mode routed" $T/explain || die "explain does not show the mode"
        ctnet graph >$T/graph
        grep -q "IPv6 gateway mode routed" $T/graph || die "graph does not show the mode"
        # A routed port published twice and unpublished once is still published, and open.
        ctnet publish a 81 >/dev/null; ctnet publish a 81 >/dev/null
        ctnet unpublish a 81 >/dev/null
        [ "$(ask outside 10.21.0.2 81)" = a-81 ] || die "routed: port 81 closed while still published once"
        # Likewise when the port is named by its host port (found by a search of the list).
        ctnet publish a 82 >/dev/null; ctnet publish a 82 >/dev/null
        ctnet unpublish a 82:82 >/dev/null
        [ "$(ask outside 10.21.0.2 82)" = a-82 ] || die "routed: port 82 closed while still published once"
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree"
        "#,
    );
    let inspect = &emitted(&out)["inspect"][0];
    assert_eq!(inspect["GatewayModes"]["IPv4"], "routed");
    assert_eq!(inspect["GatewayModes"]["IPv6"], "routed");
}

#[test]
fn nat_unprotected_opens_every_port_from_outside_and_still_masquerades() {
    scenario(
        r#"
        mode open 10.22.0.0/24 fd00:22::/64 nat-unprotected
        ctnet network create --ipv6 --subnet 10.28.0.0/24 --subnet fd00:28::/64 closed >/dev/null
        for s in a n; do ctnet sandbox create $s >/dev/null; done
        ctnet connect open a; ctnet connect closed n
        listen a 81; listen n 81
        for addr in 10.22.0.2 '[fd00:22::2]'; do
          [ "$(ask outside $addr 81)" = a-81 ] || die "nat-unprotected: an unpublished port is closed at $addr"
        done
        [ "$(peer a 203.0.113.2)" = 203.0.113.1 ] || die "nat-unprotected: IPv4 egress was not masqueraded"
        [ "$(peer a '[2001:db8:1::2]')" = 2001:db8:1::1 ] || die "nat-unprotected: IPv6 egress was not masqueraded"
        # Another network's container does not reach it directly (Docker: only published
        # ports, through host addresses), and the default mode stays closed.
        [ -z "$(ask n 10.22.0.2 81)" ] || die "nat-unprotected: another network reached a container directly"
        for addr in 10.28.0.2 '[fd00:28::2]'; do
          [ -z "$(ask outside $addr 81)" ] || die "nat: a port is open from outside at $addr"
        done
        "#,
    );
}

#[test]
fn isolated_mode_keeps_everything_but_the_network_out() {
    scenario(
        r#"
        ip route add default via 203.0.113.2
        ip -6 route add default via 2001:db8:1::2
        mode iso 10.23.0.0/24 fd00:23::/64 isolated --internal -o bridge.name=br-iso
        for s in i1 i2; do ctnet sandbox create $s >/dev/null; ctnet connect iso $s; done
        [ -z "$(ip -o addr show dev br-iso)" ] || die "isolated: the bridge has an address: $(ip -o addr show dev br-iso)"
        reaches i1 10.23.0.3 || die "isolated: IPv4 within the network fails"
        ip netns exec i1 ping -6 -c1 -W2 -q fd00:23::3 >/dev/null || die "isolated: IPv6 within the network fails"
        ! ping -c1 -W1 -q 10.23.0.2 >/dev/null 2>&1 || die "isolated: the host reached a container"
        ! ping -6 -c1 -W1 -q fd00:23::2 >/dev/null 2>&1 || die "isolated: the host reached a container over IPv6"
        ! reaches i1 203.0.113.1 || die "isolated: a container reached the host"
        ! reaches i1 203.0.113.2 || die "isolated: a container reached the outside"
        ! ip netns exec i1 ping -6 -c1 -W1 -q 2001:db8:1::2 >/dev/null 2>&1 || die "isolated: a container reached the outside over IPv6"
        ! ip netns exec outside ping -c1 -W1 -q 10.23.0.2 >/dev/null 2>&1 || die "isolated: the outside reached a container"
        ! ip netns exec outside ping -6 -c1 -W1 -q fd00:23::2 >/dev/null 2>&1 || die "isolated: the outside reached a container over IPv6"
        fails "add --internal" ctnet network create --subnet 10.24.0.0/24 -o gateway_mode_ipv4=isolated noint
        fails "expected one of nat, nat-unprotected, routed, isolated" ctnet network create --subnet 10.24.0.0/24 -o gateway_mode_ipv4=open bad
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree"
        "#,
    );
}

/// Three DNS servers in the outside namespace, each answering every name under `.test`
/// with its own address and logging what it was asked: 203.0.113.2 (a sandbox's own
/// `--dns`), .3 (a network's `--dns`) and .4 (the host's, in this host's resolv.conf).
const DNS: &str = r#"
    ip -n outside addr add 203.0.113.3/24 dev eth0; ip -n outside addr add 203.0.113.4/24 dev eth0
    for n in 2 3 4; do
      ip netns exec outside dnsmasq --no-resolv --no-hosts --bind-interfaces --pid-file=$T/dns$n.pid \
        --listen-address=203.0.113.$n --address=/test/192.0.2.$n --log-queries --log-facility=$T/dns$n.log \
        >/dev/null 2>&1 </dev/null
      ON_EXIT+=("kill \$(cat $T/dns$n.pid)")
    done
    for n in 2 3 4; do
      for _ in $(seq 50); do dig +short +time=1 +tries=1 @203.0.113.$n up.test >/dev/null 2>&1 && break; sleep 0.1; done
    done
    printf 'nameserver 203.0.113.4\nsearch host.example\n' > $T/host-resolv.conf
    mount --bind $T/host-resolv.conf /etc/resolv.conf
    resolv() { cat /var/lib/ctnet/etc/$1/resolv.conf; }
    # asked N NAME: server 203.0.113.N saw a query for NAME.
    asked() { grep -q "query\[A\] $2 " $T/dns$1.log; }
"#;

#[test]
fn dns_settings_reach_resolv_conf_and_the_resolver_forwards_to_them() {
    let out = scenario(&format!(
        "{DNS}\n{}",
        r#"
        ctnet network create --subnet 10.31.0.0/24 plain >/dev/null
        ctnet network create --subnet 10.32.0.0/24 --dns 203.0.113.3 own >/dev/null
        ctnet network create --subnet 10.33.0.0/24 extra >/dev/null
        ctnet sandbox create s1 --dns 203.0.113.2 --dns-search lab.example --dns-option ndots:2 >/dev/null
        ctnet connect plain s1; ctnet connect extra s1
        want='nameserver 203.0.113.2|search lab.example|options ndots:2'
        [ "$(resolv s1 | grep -v '^#' | paste -sd'|')" = "$want" ] || die "s1's resolv.conf: $(resolv s1)"
        ctnet disconnect extra s1
        [ "$(resolv s1 | grep -v '^#' | paste -sd'|')" = "$want" ] || die "a disconnect lost s1's settings: $(resolv s1)"
        nft flush ruleset; ctnet restore >/dev/null
        [ "$(resolv s1 | grep -v '^#' | paste -sd'|')" = "$want" ] || die "restore lost s1's settings: $(resolv s1)"
        ctnet sandbox inspect s1 | emit s1
        # Without the resolver: a network's servers, else the host's (its search domain too).
        ctnet sandbox create s2 >/dev/null; ctnet connect own s2
        ctnet sandbox create s3 >/dev/null; ctnet connect plain s3
        resolv s2 | grep -qx 'nameserver 203.0.113.3' || die "s2 lacks its network's server: $(resolv s2)"
        resolv s3 | grep -qx 'nameserver 203.0.113.4' || die "s3 lacks the host's server: $(resolv s3)"
        resolv s3 | grep -qx 'search host.example' || die "s3 lacks the host's search: $(resolv s3)"
        ctnet run --network plain --dns 203.0.113.2 --dns-search r.example -- cat /etc/resolv.conf >$T/run-resolv
        grep -qx 'nameserver 203.0.113.2' $T/run-resolv && grep -qx 'search r.example' $T/run-resolv \
          || die "ctnet run --dns: $(cat $T/run-resolv)"
        # With the resolver: every resolv.conf names it; other names go where each says.
        ctnet dns serve 2>$T/serve.err &
        for _ in $(seq 50); do grep -q 'listening on 10.32.0.1' $T/serve.err 2>/dev/null && break; sleep 0.1; done
        for _ in $(seq 50); do resolv s1 | grep -q 'nameserver 10.31.0.1' && break; sleep 0.1; done
        [ "$(resolv s1 | grep -v '^#' | paste -sd'|')" = 'nameserver 10.31.0.1|search lab.example|options ndots:2' ] \
          || die "s1's resolv.conf with the resolver: $(resolv s1)"
        [ "$(ip netns exec s1 dig +short +time=2 @10.31.0.1 one.test)" = 192.0.2.2 ] || die "s1's query did not go to its own server"
        asked 2 one.test && ! asked 3 one.test && ! asked 4 one.test || die "one.test went elsewhere"
        [ "$(ip netns exec s2 dig +short +time=2 @10.32.0.1 two.test)" = 192.0.2.3 ] || die "s2's query did not go to its network's server"
        asked 3 two.test && ! asked 2 two.test && ! asked 4 two.test || die "two.test went elsewhere"
        [ "$(ip netns exec s3 dig +short +time=2 @10.31.0.1 three.test)" = 192.0.2.4 ] || die "s3's query did not go to the host's server"
        # connect --dns gives an existing sandbox servers of its own.
        ctnet connect own s3 --dns 203.0.113.2
        [ "$(ip netns exec s3 dig +short +time=2 @10.31.0.1 four.test)" = 192.0.2.2 ] || die "s3's new server is not asked"
        fails "invalid --dns-search" ctnet sandbox create bad --dns-search 'evil.example
nameserver 6.6.6.6'
        fails "invalid --dns" ctnet network create --subnet 10.34.0.0/24 --dns not-an-ip bad
        ctnet network inspect own | emit own
        "#
    ));
    let got = emitted(&out);
    assert_eq!(got["s1"][0]["Dns"][0], "203.0.113.2");
    assert_eq!(got["s1"][0]["DnsSearch"][0], "lab.example");
    assert_eq!(got["s1"][0]["DnsOptions"][0], "ndots:2");
    assert_eq!(got["own"][0]["DNSServers"][0], "203.0.113.3");
}

/// `default-address-pools` in ctnet's configuration file: networks made without --subnet
/// take their subnets from it, in both families, and the default bridge its bip and mtu.
#[test]
fn address_pools_and_the_default_bridge_come_from_the_config_file() {
    let out = scenario(
        r#"
        printf '%s\n' 'default-address-pools:' '  - base: 10.40.0.0/23' '    size: 24' \
          '  - base: fd00:40::/63' '    size: 64' 'bip: 10.39.0.1/24' 'mtu: 1400' >$T/config.yaml
        export CTNET_CONFIG=$T/config.yaml
        ctnet network ls >/dev/null   # the first run makes the default networks
        ctnet network inspect bridge | emit bridge
        ctnet network create one >/dev/null
        ctnet network create --ipv6 two >/dev/null
        ctnet network inspect one two | emit pools
        # The pool is used up: the error names it, and nothing changes.
        fails "10.40.0.0/23 size 24 ($T/config.yaml:2:11)" ctnet network create three
        ctnet network create --ipv6 --subnet 10.41.0.0/24 three >/dev/null
        fails "fd00:40::/63 size 64" ctnet network create --ipv6 --subnet 10.42.0.0/24 four
        ip -o link show ctnet0 | grep -q 'mtu 1400' || die "the default bridge's mtu is not the file's"
        # A bad file: file:line:column, and nothing changes.
        printf 'default-address-pools:\n  - base: 10.50.0.0/16\n    size: 8\n' >$T/bad.yaml
        fails "$T/bad.yaml:3:11" ctnet --config $T/bad.yaml network create four
        printf 'default-address-pools:\n  - base: [\n' >$T/broken.yaml
        CTNET_CONFIG=$T/broken.yaml fails "$T/broken.yaml:" ctnet network create four
        fails "cannot read the configuration" ctnet --config $T/missing.yaml network create four
        "#,
    );
    let got = emitted(&out);
    let bridge = &got["bridge"][0];
    assert_eq!(bridge["IPAM"]["Config"][0]["Subnet"], "10.39.0.0/24");
    assert_eq!(bridge["IPAM"]["Config"][0]["Gateway"], "10.39.0.1");
    assert_eq!(
        bridge["Options"]["com.docker.network.driver.mtu"], "1400",
        "{bridge}"
    );
    let pools = &got["pools"];
    assert_eq!(pools[0]["IPAM"]["Config"][0]["Subnet"], "10.40.0.0/24");
    assert_eq!(pools[1]["IPAM"]["Config"][0]["Subnet"], "10.40.1.0/24");
    assert_eq!(pools[1]["IPAM"]["Config"][1]["Subnet"], "fd00:40::/64");
}
