//! ipvlan, 802.1q VLAN parents and dummy parents (issue 7). This machine's kernel has none
//! of these drivers, so the tests are ignored in the ordinary run and run in the
//! full-kernel lane (Debian's stock kernel in a VM), which tests/run.sh starts with
//! `CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=tests/support/vmlane cargo test --test lanes
//! -- --ignored`. If the lane cannot start, tests/run.sh fails.

mod common;
use common::cluster::WORLD;
use common::ok;

/// A "LAN" namespace joined to the host by a veth whose host end `lan0` is the parent; the
/// LAN's router is 10.77.0.1 untagged, and 10.77.10.1 and 10.77.20.1 on VLANs 10 and 20.
const LAN: &str = r#"
    ip netns add lan
    ip link add lan0 type veth peer name eth0 netns lan
    ip link set lan0 up
    ip -n lan addr add 10.77.0.1/24 dev eth0; ip -n lan link set eth0 up
    for v in 10 20; do
      ip -n lan link add link eth0 name eth0.$v type vlan id $v
      ip -n lan addr add 10.77.$v.1/24 dev eth0.$v; ip -n lan link set eth0.$v up
    done
    parent_before=$(ip -d -o link show lan0 | sed -E 's/ (state|group|qlen) [^ ]+//g')
    for s in a b c d; do ctnet sandbox create $s >/dev/null; done
"#;

#[test]
#[ignore = "needs ipvlan: runs in the full-kernel lane (tests/run.sh)"]
fn ipvlan_l2_and_l3() {
    ok(&format!(
        "{LAN}\n{}",
        r#"
        ip -n lan -6 addr add fd00:77::1/64 dev eth0 nodad
        ctnet network create -d ipvlan --ipv6 --subnet 10.77.0.0/24 --gateway 10.77.0.1 --subnet fd00:77::/64 --gateway fd00:77::1 -o parent=lan0 l2net >/dev/null
        ctnet connect l2net a; ctnet connect l2net b
        ip -n a -d link show eth0 | grep -q 'ipvlan  mode l2' || die "not an ipvlan l2 child: $(ip -n a -d link show eth0)"
        reaches a 10.77.0.3 || die "l2: a cannot reach b"
        reaches a 10.77.0.1 || die "l2: a cannot reach the LAN's router"
        reaches lan 10.77.0.2 || die "l2: the LAN cannot reach a"
        ip netns exec a ping -6 -c3 -i0.3 -W2 -q fd00:77::1 >/dev/null || die "l2: no IPv6 to the LAN's router"
        ip -n a route show default | grep -q 'via 10.77.0.1 dev eth0' || die "l2 default route"
        ip netns exec a getent ahosts b | grep -q 10.77.0.3 || die "names on ipvlan"
        fails "share the parent's MAC" ctnet connect l2net c --mac 02:42:00:00:00:09
        fails "publish no ports" ctnet publish a 8080:80
        ctnet sandbox rm a b >/dev/null; ctnet network rm l2net >/dev/null
        [ "$(ip -d -o link show lan0 | sed -E 's/ (state|group|qlen) [^ ]+//g')" = "$parent_before" ] || die "parent changed"

        fails "takes no --gateway" ctnet network create -d ipvlan -o ipvlan_mode=l3 --subnet 10.78.0.0/24 --gateway 10.78.0.1 -o parent=lan0 l3net
        fails "invalid ipvlan_mode" ctnet network create -d ipvlan -o ipvlan_mode=l4 --subnet 10.78.0.0/24 -o parent=lan0 l3net
        ctnet network create -d ipvlan -o ipvlan_mode=l3 -o ipvlan_flag=bridge --subnet 10.78.0.0/24 -o parent=lan0 l3net >/dev/null
        ctnet connect l3net c; ctnet connect l3net d
        ip -n c -d link show eth0 | grep -q 'ipvlan  mode l3' || die "not an ipvlan l3 child"
        ip -n c route show default | grep -q '^default dev eth0 scope link' || die "l3 default route: $(ip -n c route show default)"
        d_ip=$(ip_of d)
        reaches c "$d_ip" || die "l3: c cannot reach d"
        ctnet sandbox rm c d >/dev/null; ctnet network rm l3net >/dev/null
        agree || die "state and kernel disagree"
    "#
    ));
}

#[test]
#[ignore = "needs 802.1q: runs in the full-kernel lane (tests/run.sh)"]
fn vlan_parents_are_made_isolated_and_removed() {
    ok(&format!(
        "{LAN}\n{}",
        r#"
        ctnet network create -d macvlan --subnet 10.77.10.0/24 --gateway 10.77.10.1 -o parent=lan0.10 v10 >/dev/null
        ctnet network create -d ipvlan --subnet 10.77.20.0/24 --gateway 10.77.20.1 -o parent=lan0.20 v20 >/dev/null
        ip -d -o link show lan0.10 | grep -q 'vlan protocol 802.1Q id 10' || die "lan0.10 is not VLAN 10"
        ip -o link show lan0.20 | grep -q 'alias ctnet:' || die "lan0.20 not marked as ctnet's"
        ctnet connect v10 a; ctnet connect v20 b
        reaches a 10.77.10.1 || die "VLAN 10 sandbox cannot reach its router"
        reaches b 10.77.20.1 || die "VLAN 20 sandbox cannot reach its router"
        # Separated at L2: with the other VLAN's subnet on-link, a's ARP goes out on VLAN 10
        # and nobody on it answers for b's address.
        ip -n a route add 10.77.20.0/24 dev eth0
        ! reaches a 10.77.20.2 || die "VLAN 10 reached VLAN 20"
        # gc puts back a VLAN interface that went missing; rm takes it away.
        ip link del lan0.20
        ctnet gc | grep -q 'repaired network v20 (link lan0.20)' || die "gc did not repair lan0.20"
        ip link show lan0.20 >/dev/null || die "lan0.20 not made again"
        ctnet sandbox rm a b >/dev/null; ctnet network rm v10 v20 >/dev/null
        ! ip link show lan0.10 2>/dev/null || die "lan0.10 left behind"
        ! ip link show lan0.20 2>/dev/null || die "lan0.20 left behind"
        [ "$(ip -d -o link show lan0 | sed -E 's/ (state|group|qlen) [^ ]+//g')" = "$parent_before" ] || die "parent changed"
        # A VLAN interface the user made is used, and left alone.
        ip link add link lan0 name lan0.30 type vlan id 30
        ctnet network create -d macvlan --subnet 10.77.30.0/24 -o parent=lan0.30 v30 >/dev/null
        ctnet network rm v30 >/dev/null
        ip link show lan0.30 >/dev/null || die "the user's lan0.30 was removed"
    "#
    ));
}

#[test]
#[ignore = "needs dummy: runs in the full-kernel lane (tests/run.sh)"]
fn no_parent_means_an_internal_network_on_a_dummy() {
    ok(&format!(
        "{LAN}\n{}",
        r#"
        ctnet network create -d macvlan --subnet 10.79.0.0/24 solo >/dev/null
        dummy=$(ip -o link show type dummy | awk -F': ' '{print $2}')
        [ -n "$dummy" ] || die "no dummy parent"
        ctnet network inspect solo | json 'd[0]["Internal"]' | grep -qx True || die "not internal"
        ctnet connect solo a; ctnet connect solo b
        reaches a 10.79.0.3 || die "a cannot reach b on the dummy"
        [ -z "$(ip -n a route show default)" ] || die "internal network gave a default route"
        ctnet sandbox rm a b >/dev/null; ctnet network rm solo >/dev/null
        [ -z "$(ip -o link show type dummy)" ] || die "dummy left behind"
    "#
    ));
}

/// Issues 9 and 17: an encrypted cluster overlay (IPsec ESP between the VTEPs; this
/// machine's kernel has no ESP), its store over TLS with a user. The underlay carries ESP and never a plaintext VXLAN packet, and a
/// key rotation under traffic loses nothing.
#[test]
#[ignore = "needs IPsec ESP: runs in the full-kernel lane (tests/run.sh)"]
fn encrypted_overlay_sends_only_esp_and_rotates_keys_without_loss() {
    // The store over TLS with client certificates and a password (issue 17): the keys never
    // cross the underlay in clear, and watch and rotate-key work through both.
    ok(&format!(
        "STORE_TLS=1 STORE_AUTH=1\n{WORLD}\n{}",
        r#"
        # Counters on the underlay, at each host's port of the bridge.
        printf '%s\n' 'table netdev spy {' \
          'chain h1 { type filter hook ingress device "u1" priority 0; ip protocol esp counter; udp dport 4789 counter; }' \
          'chain h2 { type filter hook ingress device "u2" priority 0; ip protocol esp counter; udp dport 4789 counter; }' \
          '}' | nft -f -
        counted() { nft list chain netdev spy $1 | grep "$2" | grep -o 'packets [0-9]*' | cut -d' ' -f2; }
        fails_on h1 "needs cluster mode" ctnet network create -d overlay -o encrypted -o peer=192.0.2.2 --subnet 10.250.0.0/24 plain
        watch_on h1; watch_on h2
        on h1 ctnet network create -d overlay -o encrypted --subnet 10.250.0.0/24 sec >/dev/null
        grep -q '"primary":1' <<<"$(kv get /ctnet/keys/sec --print-value-only)" || die "no key in the store"
        ! grep -q '"keys"' <<<"$(kv get /ctnet/networks/sec --print-value-only)" || die "the key is in the network record"
        for h in 1 2; do on h$h ctnet sandbox create c$h >/dev/null; on h$h ctnet connect sec c$h; done
        within 10 ip netns exec c1 ping -c1 -W1 -q c2 || die "c1 cannot reach c2: $(cat $T/watch-h1.log)"
        states=$(ip -n h1 xfrm state)
        grep -q 'aead rfc4106(gcm(aes))' <<<"$states" || die "no AES-GCM SA on h1: $states"
        [ "$(grep -c '^src' <<<"$states")" = 2 ] || die "h1 should have one SA each way: $states"
        policies=$(ip -n h1 xfrm policy)
        grep -q 'dport 4789' <<<"$policies" || die "no policy for VXLAN on h1: $policies"
        [ "$(stat -c %a $T/h1/state.json)" = 600 ] || die "state.json with a key is readable by others"
        ip netns exec c1 ping -c20 -i0.05 -W1 -q c2 >/dev/null || die "traffic lost across the encrypted overlay"
        [ "$(counted h1 esp)" -gt 20 ] && [ "$(counted h2 esp)" -gt 20 ] || die "too few ESP packets on the underlay: $(nft list table netdev spy)"
        [ "$(counted h1 4789)" = 0 ] && [ "$(counted h2 4789)" = 0 ] || die "plaintext VXLAN on the underlay: $(nft list table netdev spy)"
        spi_before=$(ip -n h1 xfrm state | grep -o 'spi 0x[0-9a-f]*' | sort | tr '\n' ' ')

        # Rotation under traffic: 8 s of pings at 20/s across the three steps (4 s).
        ip netns exec c1 ping -c160 -i0.05 -W1 c2 >$T/ping.out 2>&1 &
        ping=$!
        sleep 1
        on h1 ctnet overlay rotate-key sec | grep -q 'key 2 is now the only key' || die "rotate-key"
        wait $ping || true
        grep -q ' 0% packet loss' $T/ping.out || die "the rotation dropped traffic: $(tail -2 $T/ping.out)"
        spi_after=$(ip -n h1 xfrm state | grep -o 'spi 0x[0-9a-f]*' | sort | tr '\n' ' ')
        [ "$spi_before" != "$spi_after" ] || die "the SAs did not change"
        [ "$(ip -n h2 xfrm state | grep -c '^src')" = 2 ] || die "h2 kept the old key: $(ip -n h2 xfrm state)"
        grep -q '"primary":2' <<<"$(kv get /ctnet/keys/sec --print-value-only)" || die "the store's primary key"
        [ "$(counted h1 4789)" = 0 ] && [ "$(counted h2 4789)" = 0 ] || die "plaintext VXLAN after the rotation"
        ip netns exec c1 ping -c3 -i0.2 -W1 -q c2 >/dev/null || die "no traffic after the rotation"

        # The last endpoints leave: policies and SAs go with them.
        for h in 1 2; do on h$h ctnet sandbox rm c$h >/dev/null; done
        [ -z "$(ip -n h1 xfrm state)$(ip -n h1 xfrm policy)" ] || die "IPsec left on h1: $(ip -n h1 xfrm state; ip -n h1 xfrm policy)"
        on h1 ctnet network rm sec >/dev/null
        [ -z "$(kv get --prefix /ctnet/ --keys-only)" ] || die "the store kept keys: $(kv get --prefix /ctnet/ --keys-only)"
    "#
    ));
}

/// Issue 21: netem on an endpoint's link (this machine's kernel has none). A 50 ms delay
/// adds at least 50 ms to the round trip; 100% loss drops everything; both directions and a
/// change in place; --clear gives the link back.
#[test]
#[ignore = "needs netem: runs in the full-kernel lane (tests/run.sh)"]
fn netem_delays_and_drops() {
    ok(r#"
        ctnet network create -d p2p --subnet 10.12.0.0/30 l12 >/dev/null
        for r in r1 r2; do ctnet sandbox create $r >/dev/null; ctnet connect l12 $r --ifname eth1; done
        # The smallest of five round trips: every one of them carries the whole delay.
        rtt() { ip netns exec r1 ping -c5 -i0.2 -W2 -q 10.12.0.2 | sed -nE 's|.*= ([0-9.]+)/.*|\1|p'; }
        at_least() { python3 -c "import sys; sys.exit(0 if float('$1') >= $2 else 1)"; }
        ctnet impair r1 eth1 --delay 50ms --corrupt 0.01%
        tc -n r1 qdisc show dev eth1 | grep -q 'qdisc netem .*delay 50ms' || die "no netem: $(tc -n r1 qdisc show dev eth1)"
        slow=$(rtt)
        at_least "$slow" 50 || die "a 50ms delay: the shortest round trip took $slow ms"
        # The other direction too (r2's egress), and jitter changed in place.
        ctnet impair r2 eth1 --delay 50ms
        both=$(rtt)
        at_least "$both" 100 || die "50ms each way: the shortest round trip took $both ms"
        ctnet impair r1 eth1 --delay 50ms --jitter 5ms
        tc -n r1 qdisc show dev eth1 | grep -Eq 'delay 50ms +5ms' || die "jitter: $(tc -n r1 qdisc show dev eth1)"
        ctnet impair r1 eth1 --loss 100%
        ! ip netns exec r1 ping -c3 -i0.2 -W1 -q 10.12.0.2 >/dev/null 2>&1 || die "100% loss let a packet through"
        ctnet impair r1 eth1 --clear; ctnet impair r2 eth1 --clear
        back=$(rtt)
        ! at_least "$back" 50 || die "after --clear: the shortest round trip took $back ms"
    "#);
}
