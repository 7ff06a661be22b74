//! Issue 9, first part: overlay networks in static mode. Two "hosts" (namespaces joined by
//! an underlay link) each run ctnet with a state directory of their own; their containers
//! share one L2 network over VXLAN.

mod common;
use common::ok;

/// Hosts `h1` (192.0.2.1) and `h2` (192.0.2.2) on an underlay with MTU 1500, and
/// `on HOST ctnet ...` to run ctnet as that host.
const HOSTS: &str = r#"
    ip netns add h1; ip netns add h2
    ip -n h1 link add under type veth peer name under netns h2
    ip -n h1 addr add 192.0.2.1/24 dev under; ip -n h1 link set under up; ip -n h1 link set lo up
    ip -n h2 addr add 192.0.2.2/24 dev under; ip -n h2 link set under up; ip -n h2 link set lo up
"#;

#[test]
fn static_peers_join_two_hosts_at_l2() {
    ok(&format!(
        "{HOSTS}{}",
        r#"
        # Dual stack; each host hands out addresses from its own half of each pool.
        on h1 ctnet network create -d overlay --ipv6 --subnet 10.210.0.0/24 --ip-range 10.210.0.0/25 \
          --subnet fd00:210::/64 --ip-range fd00:210::/65 -o peer=192.0.2.2 ov >/dev/null
        on h2 ctnet network create -d overlay --ipv6 --subnet 10.210.0.0/24 --ip-range 10.210.0.128/25 \
          --subnet fd00:210::/64 --ip-range fd00:210:0:0:8000::/65 -o peer=192.0.2.1 ov >/dev/null
        # Lazy: nothing on a host before its first endpoint.
        [ -z "$(ip -n h1 -o link show type vxlan)" ] || die "vxlan before any endpoint"
        on h1 ctnet sandbox create c1 >/dev/null; on h2 ctnet sandbox create c2 >/dev/null
        on h1 ctnet connect ov c1; on h2 ctnet connect ov c2
        ip -n h1 -d -o link show type vxlan | grep -q 'id [0-9]* .*dstport 4789' || die "no VXLAN on h1: $(ip -n h1 -d -o link show type vxlan)"
        vni1=$(ip -n h1 -d -o link show type vxlan | grep -o 'id [0-9]*')
        vni2=$(ip -n h2 -d -o link show type vxlan | grep -o 'id [0-9]*')
        [ "$vni1" = "$vni2" ] || die "the hosts disagree on the VNI: $vni1 / $vni2"
        ip -n h1 -o link show type vxlan | grep -q 'mtu 1450' || die "VXLAN MTU is not underlay - 50"
        ip -n c1 -o link show eth0 | grep -q 'mtu 1450' || die "endpoint MTU is not underlay - 50"
        # (Captured first: with pipefail, grep -q closing the pipe early would fail `bridge`.)
        fdb=$(bridge -n h1 fdb show)
        grep -q '00:00:00:00:00:00 dev ctv-.* dst 192.0.2.2' <<<"$fdb" || die "no flood entry for the peer"
        c1=$(ip_of c1); c2=$(ip_of c2)
        [ "$c1" = 10.210.0.2 ] && [ "$c2" = 10.210.0.128 ] || die "addresses $c1 $c2"
        ip netns exec c1 ping -c2 -i0.2 -W1 -q "$c2" >/dev/null || die "c1 cannot reach c2 across the overlay"
        ip netns exec c1 ping -6 -c2 -i0.2 -W1 -q fd00:210::8000:0:0:0 >/dev/null || die "no IPv6 across the overlay"
        # A full-size packet crosses without fragmenting (1450 - 28 bytes of ICMP/IP).
        ip netns exec c1 ping -c1 -W1 -M do -s 1422 -q "$c2" >/dev/null || die "1450-byte packets do not cross"
        # After a "reboot" of h2's links, restore brings the overlay back.
        for l in $(ip -n h2 -o link show | grep -oE '(ctv|cto|vctn)[-0-9a-f]*'); do ip -n h2 link del "$l" 2>/dev/null || true; done
        on h2 ctnet restore | grep -q 'network ov' || die "restore did not bring the overlay back"
        ip netns exec c1 ping -c2 -i0.2 -W1 -q "$c2" >/dev/null || die "c1 cannot reach c2 after restore"
        on h2 ctnet network inspect --explain ov | grep -q 'VXLAN port ctv-' || die "explain"
        # The gateway bridge: eth1, the default route, egress (to h2's underlay address,
        # masqueraded by h1), published ports; closed between containers.
        ip -n c1 -o -4 addr show eth1 | grep -q 'inet 172\.' || die "no gateway bridge interface: $(ip -n c1 -o addr)"
        ip -n c1 route show default | grep -q 'dev eth1' || die "default route not via the gateway bridge"
        ip netns exec c1 ping -c1 -W1 -q 192.0.2.2 >/dev/null || die "no egress through the gateway bridge"
        on h1 ctnet sandbox create c3 >/dev/null; on h1 ctnet connect ov c3 -p 8080:80
        ip netns exec c3 timeout 20 socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo c3' &
        for _ in $(seq 100); do ip netns exec c3 ss -H -lnt 'sport = :80' | grep -q . && break; sleep 0.02; done
        [ "$(ip netns exec h2 timeout 3 socat -T2 - TCP:192.0.2.1:8080 </dev/null)" = c3 ] || die "published port of an overlay endpoint"
        c3gw=$(ip_of c3 eth1)
        ! ip netns exec c1 ping -c1 -W1 -q "$c3gw" >/dev/null 2>&1 || die "containers talk over the gateway bridge"
        # A second container on h1 reaches c2 too; the last one leaving takes the devices.
        ip netns exec c3 ping -c1 -W1 -q "$c2" >/dev/null || die "c3 cannot reach c2"
        nsenter --net=/run/netns/h1 env CTNET_STATE_DIR=$T/h1 python3 "$SUPPORT/agree.py" || die "h1: state and kernel disagree"
        on h1 ctnet disconnect ov c3
        ip -n h1 -o link show type vxlan | grep -q ctv- || die "vxlan gone with endpoints left"
        [ -z "$(ip -n c3 -o link show eth1 2>/dev/null)" ] || die "gateway bridge endpoint left after the overlay"
        on h1 ctnet connect ov c3
        # Both of h1's containers removed in one command: the devices go with them.
        on h1 ctnet sandbox rm c1 c3 >/dev/null
        [ -z "$(ip -n h1 -o link show type vxlan)" ] || die "vxlan left after the last endpoint"
        nsenter --net=/run/netns/h1 env CTNET_STATE_DIR=$T/h1 python3 "$SUPPORT/agree.py" || die "h1: state and kernel disagree after removal"
        # An internal overlay has no way out: no gateway bridge.
        on h2 ctnet network create -d overlay --internal --subnet 10.213.0.0/24 -o peer=192.0.2.1 closed >/dev/null
        on h2 ctnet sandbox create c4 >/dev/null; on h2 ctnet connect closed c4
        [ -z "$(ip -n c4 -o link show eth1 2>/dev/null)" ] || die "an internal overlay got the gateway bridge"
        fails "is ctnet's" on h2 ctnet network create ctnet_gwbridge
        fails "this host's own address" on h2 ctnet network create -d overlay --subnet 10.214.0.0/24 -o peer=192.0.2.2 self
        [ -z "$(ip -n h1 -o link show | grep cto-)" ] || die "overlay bridge left"
        on h1 ctnet sandbox create c1 >/dev/null
        on h1 ctnet --dry-run connect ov c1 | grep -q 'type vxlan id' || die "dry run does not show the VXLAN"
        fails "needs -o peer" on h1 ctnet network create -d overlay --subnet 10.211.0.0/24 ov2
        fails "no route to peer" on h1 ctnet network create -d overlay --subnet 10.211.0.0/24 -o peer=198.51.100.9 ov2
        fails "needs cluster mode" on h1 ctnet network create -d overlay --subnet 10.211.0.0/24 -o peer=192.0.2.2 -o encrypted ov2
        fails "already used by network ov" on h1 ctnet network create -d overlay --subnet 10.212.0.0/24 -o peer=192.0.2.2 -o vni=$(echo $vni1 | cut -d' ' -f2) ov3
    "#
    ));
}
