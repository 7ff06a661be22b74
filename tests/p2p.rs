//! Point-to-point links (issue 21): the p2p driver, a veth straight between two sandboxes,
//! the primitive of every routing lab.

mod common;
use common::ok;

/// Three routers in a row, r1 - r2 - r3, on two links with static routes: r1 reaches r3
/// through r2. A link has two ends, publishes nothing, goes with either end and comes back
/// with `restore`.
#[test]
fn three_routers_route_across_two_links() {
    ok(r#"
        ctnet network create -d p2p --subnet 10.12.0.0/30 -o mtu=1400 l12 >/dev/null
        ctnet network create -d p2p --subnet 10.23.0.0/30 l23 >/dev/null
        for r in r1 r2 r3; do ctnet sandbox create $r >/dev/null; done
        # The first end waits: no interface until the other end joins.
        ctnet connect l12 r1 --ifname eth1 --ip 10.12.0.1
        ! ip -n r1 link show eth1 >/dev/null 2>&1 || die "the first end has an interface before its peer"
        ctnet network inspect --explain l12 | grep -q 'r1, waiting for the other end' || die "explain"
        ctnet connect l12 r2 --ifname eth1
        ctnet connect l23 r2 --ifname eth2
        ctnet connect l23 r3 --ifname eth1
        # A veth straight between the two, no bridge, no host end, the link's MTU, no
        # gateway (both addresses of the /30 are the ends'), no default route.
        ip -n r1 -d link show eth1 | grep -q 'veth' || die "not a veth"
        [ "$(ip -n r1 -j link show eth1 | json 'd[0]["mtu"]')" = 1400 ] || die "mtu"
        [ "$(ip -n r2 -j addr show eth1 | json 'd[0]["addr_info"][0]["local"]')" = 10.12.0.2 ] || die "r2's address on l12"
        [ -z "$(ip -n r1 route show default)" ] || die "a link gave a default route"
        [ -z "$(ip -o link show type veth)" ] || die "a veth end on the host: $(ip -o link show type veth)"
        ip netns exec r1 ping -c1 -W1 -q 10.12.0.2 >/dev/null || die "r1 cannot reach r2"
        # Static routes and forwarding in r2 (the lab's own): r1 reaches r3 through r2.
        ip netns exec r2 sysctl -qw net.ipv4.ip_forward=1
        ip -n r1 route add 10.23.0.0/30 via 10.12.0.2
        ip -n r3 route add 10.12.0.0/30 via 10.23.0.1
        ip netns exec r1 ping -c1 -W1 -q 10.23.0.2 >/dev/null || die "r1 cannot reach r3 through r2"
        ip netns exec r1 getent hosts r2 | grep -q 10.12.0.2 || die "r1 does not resolve r2 on the link"
        ctnet network inspect l12 >$T/inspect; [ "$(json 'd[0]["Driver"]' <$T/inspect)" = p2p ] || die "inspect"
        agree || die "state and kernel disagree"
        ctnet graph | grep -q 'network l12 (p2p)' || die "graph"
        # A link has two ends and publishes nothing.
        ctnet sandbox create r4 >/dev/null
        fails "a p2p link between r1 and r2 already" ctnet connect l12 r4
        fails "publishes no ports" ctnet connect l23 r4 -p 8080:80
        fails "unknown p2p option" ctnet network create -d p2p -o parent=eth0 bad
        fails "a p2p link needs a --subnet" ctnet network create -d p2p bad
        ! ctnet --dry-run connect l12 r4 2>$T/dry || die "a dry run took a third end"
        grep -q 'two ends' $T/dry || die "a dry run does not say why: $(cat $T/dry)"
        # One end leaves: the link goes on both sides; the other end waits, and a new end
        # brings it back.
        ctnet disconnect l23 r3
        ! ip -n r2 link show eth2 >/dev/null 2>&1 || die "r2 kept its end of a link whose other end left"
        ctnet --dry-run connect l23 r4 --ifname eth1 >$T/plan
        grep -q 'type veth peer name eth2 netns r2' $T/plan || die "dry run: $(cat $T/plan)"
        ctnet connect l23 r4 --ifname eth1
        ip netns exec r2 ping -c1 -W1 -q 10.23.0.2 >/dev/null || die "r2 cannot reach r4 on the new link"
        # A link deleted by hand comes back with restore.
        ip -n r1 link del eth1
        ctnet restore >$T/restore
        grep -q 'restored link l12 between' $T/restore || die "restore: $(cat $T/restore)"
        ip netns exec r1 ping -c1 -W1 -q 10.12.0.2 >/dev/null || die "the restored link does not carry"
        # Removing the sandboxes leaves nothing; the networks go.
        ctnet sandbox rm r1 r2 r3 r4 >/dev/null
        ctnet network rm l12 l23 >/dev/null
        [ -z "$(ip netns list)" ] || die "namespaces left: $(ip netns list)"
    "#);
}
