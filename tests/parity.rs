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
        listen a 81; listen a 90
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
