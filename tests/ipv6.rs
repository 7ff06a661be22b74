//! Issue 8, first part: dual-stack bridge networks. IPv6 addresses usable the moment
//! connect returns, the default IPv6 route, NAT66 egress, isolation, names with AAAA.

mod common;
use common::ok;

/// An "outside" host on the uplink 2001:db8:1::/64 (and 203.0.113.0/24), and a dual-stack
/// network `ds` with sandboxes `a` and `b`.
const WORLD: &str = r#"
    outside_host --ipv6
    ctnet network create --ipv6 --subnet 10.50.0.0/24 ds >/dev/null
    ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
    v6_of() { ip -n "$1" -6 -o addr show dev "${2:-eth0}" scope global | awk '{print $4}' | cut -d/ -f1; }
"#;

#[test]
fn dual_stack_sandboxes_talk_over_ipv6_at_once() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        subnet6=$(ctnet network inspect ds | json 'd[0]["IPAM"]["Config"][1]["Subnet"]')
        case $subnet6 in fd*::/64) ;; *) die "not a /64 of a unique-local /48: $subnet6" ;; esac
        prefix=${subnet6%::/64}
        ctnet connect ds a
        ctnet connect ds b --ip6 "$prefix::99"
        # No sleep: the address skips DAD, so it works the moment connect returns.
        ip netns exec a ping -6 -c1 -W1 -q "$prefix::99" >/dev/null || die "a cannot reach b over IPv6"
        ip netns exec b ping -6 -c1 -W1 -q "$prefix::1" >/dev/null || die "b cannot reach the IPv6 gateway"
        [ "$(v6_of a)" = "$prefix::2" ] || die "a's address: $(v6_of a)"
        ip -n a -6 route show default | grep -q "via $prefix::1 dev eth0" || die "no IPv6 default route"
        ip -n a -6 addr show dev eth0 scope link | grep -q fe80:: || die "no link-local address"
        ctnet network inspect ds | json 'd[0]["Containers"]' | grep -q "$prefix::99/64" || die "inspect lacks IPv6Address"
        ctnet sandbox inspect b | json 'd[0]["Networks"]["ds"]["GlobalIPv6Address"]' | grep -qx "$prefix::99" || die "sandbox inspect"
        # Names: both families.
        ip netns exec a getent ahosts b | awk '{print $1}' | sort -u > $T/ahosts
        grep -qx 10.50.0.3 $T/ahosts && grep -qx "$prefix::99" $T/ahosts || die "ahosts: $(cat $T/ahosts)"
        # Egress is masqueraded (NAT66): the outside sees the host's uplink address.
        ip netns exec outside timeout 10 socat TCP6-LISTEN:7000,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
        for _ in $(seq 50); do ip netns exec outside ss -H -lnt 'sport = :7000' | grep -q . && break; sleep 0.05; done
        got=$(ip netns exec a timeout 3 socat -T2 - TCP6:[2001:db8:1::2]:7000 </dev/null)
        got=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1].strip("[]")))' "$got")
        [ "$got" = 2001:db8:1::1 ] || die "outside saw $got, not the host's uplink address"
        sysctl -n net.ipv6.conf.all.forwarding | grep -qx 1 || die "IPv6 forwarding off"
        agree || die "state and kernel disagree"
        # Removal takes everything away.
        ctnet sandbox rm a b >/dev/null; ctnet network rm ds >/dev/null
        set6=$(nft list set inet ctnet egress_nets6) || die "no egress_nets6 set"
        ! grep -q "$prefix" <<<"$set6" || die "egress element left"
    "#
    ));
}

#[test]
fn ipv6_isolation_internal_and_bad_input() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        ctnet network create --ipv6 --subnet 10.51.0.0/24 --subnet fd00:51::/64 other >/dev/null
        ctnet sandbox create c >/dev/null
        ctnet connect ds a; ctnet connect other c; ctnet connect ds b; ctnet connect other b
        c6=$(v6_of c); a6=$(v6_of a)
        [ "$c6" = fd00:51::2 ] || die "c's address: $c6"
        ! ip netns exec a ping -6 -c1 -W1 -q "$c6" >/dev/null 2>&1 || die "a reached another network over IPv6"
        ip netns exec b ping -6 -c1 -W1 -q "$c6" >/dev/null || die "b (on both) cannot reach c"
        ip netns exec b ping -6 -c1 -W1 -q "$a6" >/dev/null || die "b (on both) cannot reach a"
        # masquerade=false: routed, the outside sees the container's own address (it routes
        # the subnet back through this host); icc=false holds for IPv6 too.
        ctnet network create --ipv6 --subnet 10.54.0.0/24 --subnet fd00:54::/64 -o masquerade=false -o icc=false routed >/dev/null
        ip -n outside -6 route add fd00:54::/64 via 2001:db8:1::1
        ctnet sandbox create r1 >/dev/null; ctnet sandbox create r2 >/dev/null
        ctnet connect routed r1; ctnet connect routed r2
        ip netns exec outside timeout 10 socat TCP6-LISTEN:7001,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
        for _ in $(seq 50); do ip netns exec outside ss -H -lnt 'sport = :7001' | grep -q . && break; sleep 0.05; done
        seen=$(ip netns exec r1 timeout 3 socat -T2 - 'TCP6:[2001:db8:1::2]:7001' </dev/null)
        seen=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1].strip("[]")))' "$seen")
        [ "$seen" = fd00:54::2 ] || die "masquerade=false: the outside saw $seen"
        [ "$(v6_of r2)" = fd00:54::3 ] || die "r2's address: $(v6_of r2)"
        ! ip netns exec r1 ping -6 -c1 -W1 -q fd00:54::3 >/dev/null 2>&1 || die "icc=false: r1 reached r2 over IPv6"
        # An internal dual-stack network reaches nothing outside, over IPv6 either.
        ctnet network create --ipv6 --internal --subnet 10.52.0.0/24 closed >/dev/null
        ctnet sandbox create d >/dev/null; ctnet connect closed d
        ! ip netns exec d ping -6 -c1 -W1 -q 2001:db8:1::2 >/dev/null 2>&1 || die "internal reached the outside"
        # Bad input changes nothing.
        fails "not a usable address of subnet fd00:53::/64" ctnet network create --ipv6 --subnet fd00:53::/64 --gateway fd00:99::1 x
        fails "need --ipv6" ctnet network create --subnet fd00:54::/64 x
        fails "overlaps with network other" ctnet network create --ipv6 --subnet fd00:51::/80 x
        fails "given 2 IPv6 values" ctnet network create --ipv6 --subnet fd00:55::/64 --subnet fd00:56::/64 x
        fails "no IPv6 subnet" ctnet connect bridge a --ip6 fd00::5
        fails "already in use" ctnet connect other d --ip6 fd00:51::2
        fails "not a usable address" ctnet connect other d --ip6 fd00:99::5
        fails "invalid --ip6" ctnet connect other d --ip6 10.0.0.1
        agree || die "state and kernel disagree"
    "#
    ));
}

#[test]
fn the_resolver_answers_aaaa() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        printf 'nameserver 203.0.113.2\noptions timeout:1 attempts:1\n' > $T/resolv.conf
        mount --bind $T/resolv.conf /etc/resolv.conf
        ctnet connect ds a; ctnet connect ds b --alias bee
        ctnet dns serve 2>$T/dns.err & dns=$!
        for _ in $(seq 50); do grep -q 'listening on 10.50.0.1' $T/dns.err 2>/dev/null && break; sleep 0.1; done
        b6=$(v6_of b)
        [ "$(ip netns exec a dig +short +time=2 +tries=1 @10.50.0.1 bee AAAA)" = "$b6" ] || die "AAAA"
        [ "$(ip netns exec a dig +short +time=2 +tries=1 @10.50.0.1 -x "$b6")" = b. ] || die "IPv6 PTR"
        [ "$(ip netns exec a dig +short +time=2 +tries=1 @10.50.0.1 bee A)" = 10.50.0.3 ] || die "A"
        # An IPv6-only network: the resolver answers on its IPv6 gateway.
        ctnet network create --ipv4=false --ipv6 --subnet fd00:62::/64 six >/dev/null
        ctnet sandbox create s1 >/dev/null; ctnet sandbox create s2 >/dev/null
        ctnet connect six s1; ctnet connect six s2 --alias two
        for _ in $(seq 30); do grep -qx 'nameserver fd00:62::1' /var/lib/ctnet/etc/s1/resolv.conf && break; sleep 0.1; done
        grep -qx 'nameserver fd00:62::1' /var/lib/ctnet/etc/s1/resolv.conf || die "s1 not pointed at the IPv6 resolver: $(cat /var/lib/ctnet/etc/s1/resolv.conf)"
        [ "$(ip netns exec s1 dig +short +time=2 +tries=1 two AAAA)" = fd00:62::3 ] || die "AAAA over IPv6"
        kill $dns; wait $dns
    "#
    ));
}

#[test]
fn ports_are_published_on_ipv6_too() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        serve() { # serve NS PORT TEXT: TCP on both families; returns once it listens
          ip netns exec "$1" timeout 20 socat TCP6-LISTEN:"$2",fork,reuseaddr,ipv6only=0 SYSTEM:"echo $3" &
          for _ in $(seq 100); do ip netns exec "$1" ss -H -lnt "sport = :$2" | grep -q . && return; sleep 0.02; done
          die "nothing listens on $1 port $2"
        }
        ask() { # ask NS|host ADDRESS PORT (ADDRESS in socat's form: 1.2.3.4 or [2001:db8::1])
          local run=(); [ "$1" = host ] || run=(ip netns exec "$1")
          "${run[@]}" timeout 3 socat -T2 - TCP:"$2":"$3" </dev/null 2>/dev/null || true
        }
        ctnet connect ds a -p 8080:80 -p '[::]:8081:81' -p '[2001:db8:1::1]:8082:82'
        serve a 80 p80; serve a 81 p81; serve a 82 p82
        # No host address: both families.
        [ "$(ask outside 203.0.113.1 8080)" = p80 ] || die "8080 over IPv4"
        [ "$(ask outside '[2001:db8:1::1]' 8080)" = p80 ] || die "8080 over IPv6"
        [ "$(ask host '[2001:db8:1::1]' 8080)" = p80 ] || die "8080 from the host to its own IPv6 address"
        # [::]: every IPv6 address, no IPv4.
        [ "$(ask outside '[2001:db8:1::1]' 8081)" = p81 ] || die "[::]:8081"
        [ -z "$(ask outside 203.0.113.1 8081)" ] || die "[::]:8081 answered over IPv4"
        # One IPv6 address.
        [ "$(ask outside '[2001:db8:1::1]' 8082)" = p82 ] || die "[2001:db8:1::1]:8082"
        ctnet port a | grep -qx '82/tcp -> \[2001:db8:1::1\]:8082' || die "port: $(ctnet port a)"
        fails "route_localnet" ctnet publish a '[::1]:9000:80'
        fails "already published" ctnet publish a '[2001:db8:1::1]:8081:81'
        ctnet network create --subnet 10.53.0.0/24 four >/dev/null; ctnet connect four b
        fails "has no IPv6 subnet" ctnet publish b '[::]:9001:80'
        agree || die "state and kernel disagree"
        ctnet unpublish a 8080:80
        [ -z "$(ask outside '[2001:db8:1::1]' 8080)" ] || die "unpublished port still answers over IPv6"
        map6=$(nft list map inet ctnet dnat6_any) || die "no dnat6_any map"
        ! grep -q 8080 <<<"$map6" || die "dnat6 element left"
    "#
    ));
}

#[test]
fn ipv6_only_networks() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        ctnet network create --ipv4=false --ipv6 --subnet fd00:60::/64 six >/dev/null
        ctnet network inspect six | json 'len(d[0]["IPAM"]["Config"])' | grep -qx 1 || die "an IPv4 pool on an IPv6-only network"
        ctnet sandbox create s1 >/dev/null; ctnet sandbox create s2 >/dev/null
        ctnet connect six s1 --alias one; ctnet connect six s2
        [ -z "$(ip -n s1 -4 -o addr show dev eth0)" ] || die "IPv4 address on an IPv6-only network"
        [ "$(v6_of s1)" = fd00:60::2 ] || die "s1: $(v6_of s1)"
        [ "$(ip -n s1 -j link show eth0 | json 'd[0]["address"]')" = 02:42:00:00:00:02 ] || die "MAC from the IPv6 address"
        ip netns exec s2 ping -6 -c1 -W1 -q one >/dev/null || die "s2 cannot reach s1 by alias"
        ip -n s1 -6 route show default | grep -q 'via fd00:60::1' || die "IPv6 default route"
        [ -z "$(ip -n s1 -4 route show default)" ] || die "IPv4 default route on an IPv6-only network"
        # Egress (NAT66) and a published port, both IPv6 only.
        # (The uplink was made a moment ago: its own neighbour discovery may still settle,
        # so up to three tries.)
        ip netns exec s1 ping -6 -c3 -i0.3 -W1 -q 2001:db8:1::2 >/dev/null || die "no IPv6 egress"
        ctnet publish s1 8090:80 >/dev/null
        ip netns exec s1 timeout 20 socat TCP6-LISTEN:80,fork,reuseaddr SYSTEM:'echo six' &
        for _ in $(seq 100); do ip netns exec s1 ss -H -lnt 'sport = :80' | grep -q . && break; sleep 0.02; done
        [ "$(ip netns exec outside timeout 3 socat -T2 - 'TCP:[2001:db8:1::1]:8090' </dev/null)" = six ] || die "published port over IPv6"
        agree || die "state and kernel disagree"
        # Each family's default route comes from the first network that has the family.
        ctnet network create --subnet 10.61.0.0/24 four4 >/dev/null; ctnet connect four4 s1
        ip -n s1 route show default | grep -q 'via 10.61.0.1' || die "no IPv4 default route after an IPv6-only network"
        ip -n s1 -6 route show default | grep -q 'via fd00:60::1' || die "IPv6 default route lost"
        ctnet disconnect six s1
        ip -n s1 route show default | grep -q 'via 10.61.0.1' || die "IPv4 default route lost with the IPv6-only network"
        fails "is IPv6-only" ctnet connect six a --ip 10.0.0.5
        fails "would get the MAC" ctnet connect six a --ip6 fd00:60::1:0:0:3
        fails "needs --ipv6" ctnet network create --ipv4=false x
        fails "takes no IPv4" ctnet network create --ipv4=false --ipv6 --subnet 10.9.0.0/24 x
        ctnet sandbox rm s1 s2 >/dev/null; ctnet network rm six four4 >/dev/null
        agree || die "state and kernel disagree after removal"
    "#
    ));
}
