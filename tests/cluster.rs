//! Issue 9, cluster mode: overlay networks whose state lives in etcd. Three "hosts" (h1,
//! h2, h3: namespaces on a bridge underlay, each running ctnet with its own state
//! directory) and a real etcd (Debian's etcd-server) in a fourth namespace, `store`.

mod common;
use common::cluster::WORLD;
use common::ok;

#[test]
fn three_hosts_share_one_overlay_through_etcd() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        on h1 ctnet network create -d overlay --ipv6 --subnet 10.220.0.0/24 --subnet fd00:220::/64 ov >/dev/null
        grep -q '"10.220.0.0/24"' <<<"$(kv get /ctnet/networks/ov --print-value-only)" || die "the network is not in the store"
        # (Outputs of several lines are captured first: with pipefail, grep -q closing the pipe
        # early could fail the writer.)
        ls=$(on h1 ctnet network ls)
        grep -q 'ov .*overlay .*global' <<<"$ls" || die "scope is not global: $ls"
        for h in 1 2 3; do on h$h ctnet sandbox create c$h >/dev/null; done
        # Each host finds the network in the store on its first connect.
        for h in 1 2 3; do on h$h ctnet connect ov c$h; done
        # Learning is off: every host programs the others' endpoints from the store.
        ip -n h1 -d -o link show type vxlan | grep -q 'local 192.0.2.1 .*nolearning proxy' || die "h1's VXLAN: $(ip -n h1 -d -o link show type vxlan)"
        [ -z "$(bridge -n h1 fdb show | grep '00:00:00:00:00:00')" ] || die "cluster mode floods"
        # h3 connected last: it knows c1 and c2 from the store (FDB to their VTEPs, and
        # neighbour entries its VXLAN device answers ARP from).
        fdb=$(bridge -n h3 fdb show)
        neigh=$(ip -n h3 neigh show)
        c1=$(ip_of c1); c2=$(ip_of c2); c3=$(ip_of c3)
        grep -q "dst 192.0.2.1 self permanent" <<<"$fdb" || die "h3 has no FDB entry for h1: $fdb"
        grep -q "$c2 dev ctv-.* PERMANENT" <<<"$neigh" || die "h3 has no neighbour entry for c2: $neigh"
        [ "$(printf '%s\n' $c1 $c2 $c3 | sort -u | wc -l)" = 3 ] || die "addresses $c1 $c2 $c3"
        # h1 and h2 learn of the later ones on their next command (here gc); then every
        # pair talks, by address and by name, in both families.
        on h1 ctnet gc >/dev/null; on h2 ctnet gc >/dev/null
        for pair in c1:c2 c1:c3 c2:c3 c3:c1; do
          ip netns exec ${pair%%:*} ping -c1 -W1 -q ${pair##*:} >/dev/null || die "${pair%%:*} cannot reach ${pair##*:} by name"
        done
        ip netns exec c1 ping -6 -c1 -W1 -q c3 >/dev/null || die "no IPv6 across hosts"
        names=$(ip netns exec c2 getent ahostsv4 c3)
        grep -q "^$c3 " <<<"$names" || die "c3's name on h2: $(cat /etc/netns/c2/hosts)"

        # With `overlay watch` on h1 and h3, a container connected on h2 is reachable from
        # them within a second, and its entries go when it leaves.
        watch_on h1; watch_on h3
        sleep 0.5
        on h2 ctnet sandbox create c4 >/dev/null; on h2 ctnet connect ov c4
        c4=$(ip_of c4)
        # Within a second h1 and h3 have c4's entries and its name; then it answers at once.
        within 1 sh -c "ip -n h1 neigh show | grep -q '^$c4 dev ctv-.* PERMANENT'" || die "h1 lacks c4's entries after a second: $(cat $T/watch-h1.log)"
        within 1 grep -qE "^$c4\s+c4$" /etc/netns/c3/hosts || die "c3 cannot resolve c4 after a second"
        ip netns exec c1 ping -c1 -W1 -q "$c4" >/dev/null || die "c4 not reachable from h1"
        ip netns exec c3 ping -c1 -W1 -q c4 >/dev/null || die "c4 not reachable by name from h3"
        grep -q c4 /etc/netns/c1/hosts || die "c1 does not resolve c4 (the removal check below would be void)"
        on h2 ctnet disconnect ov c4
        within 1 sh -c "! ip -n h1 neigh show | grep -q '$c4 '" || die "h1 kept c4's entries"
        within 1 sh -c "! grep -v '^#' /etc/netns/c1/hosts | grep -q c4" || die "c1 still resolves c4"
        keys=$(kv get --prefix /ctnet/ --keys-only)
        ! grep -q "/c4\|$c4" <<<"$keys" || die "the store kept c4: $(kv get --prefix /ctnet/ --keys-only)"

        # 3 hosts × 20 containers connected in parallel get 60 distinct addresses.
        for h in 1 2 3; do for i in $(seq 20); do on h$h ctnet sandbox create p$h-$i >/dev/null; done; done
        pids=()
        for h in 1 2 3; do for i in $(seq 20); do
          on h$h ctnet connect ov p$h-$i 2>>$T/parallel.err & pids+=($!)
        done; done
        for p in "${pids[@]}"; do wait $p || die "a parallel connect failed: $(cat $T/parallel.err)"; done
        seen=$(for h in 1 2 3; do for i in $(seq 20); do ip_of p$h-$i; done; done | sort -u | wc -l)
        [ "$seen" = 60 ] || die "60 parallel connects gave $seen distinct addresses"
        stored=$(kv get --prefix /ctnet/ipam/ov/ --keys-only | grep -c '^/ctnet/ipam/ov/10\.')
        [ "$stored" = 63 ] || die "the store holds $stored IPv4 addresses, expected 63"
        # With watches on, h1 reaches h3's newest container without another command.
        within 2 ip netns exec p1-1 ping -c1 -W1 -q "$(ip_of p3-20)" || die "p1-1 cannot reach p3-20"
        for h in 1 2 3; do on h$h ctnet sandbox rm $(for i in $(seq 20); do echo p$h-$i; done) >/dev/null; done
        [ "$(kv get --prefix /ctnet/endpoints/ov/ --keys-only | grep -c .)" = 3 ] || die "the store kept removed endpoints"

        # A host that was down converges: h3's watch is stopped while c5 joins on h1, and
        # picks c5 up when it starts again.
        kill ${WATCH[h3]}; wait ${WATCH[h3]} 2>/dev/null || true
        on h1 ctnet sandbox create c5 >/dev/null; on h1 ctnet connect ov c5
        ! ip netns exec c3 ping -c1 -W1 -q "$(ip_of c5)" >/dev/null 2>&1 || die "h3 knew c5 without a command (test is void)"
        watch_on h3
        c5=$(ip_of c5)
        within 2 sh -c "ip -n h3 neigh show | grep -q '^$c5 dev ctv-.* PERMANENT'" || die "h3 did not converge after its watch came back: $(cat $T/watch-h3.log)"
        # (c3's failed ARP for c5 above is retried on the kernel's own schedule.)
        within 5 ip netns exec c3 ping -c1 -W1 -q c5 || die "c3 cannot reach c5 by name after h3 converged"

        # A connect refused after its claim (the port is taken on h2) gives the claim back.
        ip netns exec h2 socat TCP-LISTEN:8088,reuseaddr - >/dev/null 2>&1 &
        ON_EXIT+=("kill $! 2>/dev/null")
        for _ in $(seq 100); do ip netns exec h2 ss -H -lnt 'sport = :8088' | grep -q . && break; sleep 0.02; done
        on h2 ctnet sandbox create c8 >/dev/null
        fails_on h2 "8088" ctnet connect ov c8 -p 8088:80
        on h2 ctnet sandbox rm c8 >/dev/null

        # A dry run claims nothing in the store and changes nothing on the host.
        on h2 ctnet sandbox create c7 >/dev/null
        before=$(host_snapshot h2)
        on h2 ctnet --dry-run connect ov c7 | grep -q 'type veth' || die "dry run shows no plan"
        [ "$before" = "$(host_snapshot h2)" ] || die "a dry run changed the host or the store"
        on h2 ctnet sandbox rm c7 >/dev/null
        # Store changes are steps of the plan: a dry run prints them and makes none.
        before=$(host_snapshot h1)
        on h1 ctnet --dry-run network create -d overlay --subnet 10.229.0.0/24 dry >$T/dry
        grep -q '^etcdctl put /ctnet/networks/dry' $T/dry || die "no store step: $(cat $T/dry)"
        [ "$before" = "$(host_snapshot h1)" ] || die "a dry run changed the host or the store"

        # etcd stopped: a clear error, and nothing changes on the host or in the store.
        on h1 ctnet network create -d overlay --subnet 10.224.0.0/24 unused >/dev/null
        before=$(host_snapshot h1)
        on h1 ctnet --dry-run network rm unused >$T/dry
        grep -q '^etcdctl del /ctnet/networks/unused' $T/dry || die "no store step: $(cat $T/dry)"
        [ "$before" = "$(host_snapshot h1)" ] || die "a dry run changed the host or the store"
        stop_etcd
        on h2 ctnet sandbox create c6 >/dev/null
        fails_on h2 "cannot reach the store etcd://192.0.2.100:2379" ctnet connect ov c6
        fails_on h2 "cannot reach the store" ctnet disconnect ov c2
        fails_on h2 "cannot reach the store" ctnet sandbox rm c2
        fails_on h1 "cannot reach the store" ctnet network create -d overlay --subnet 10.221.0.0/24 ov2
        fails_on h1 "cannot reach the store" ctnet network rm unused
        # Back up: the watches reconnect and the commands work again.
        start_etcd
        on h2 ctnet connect ov c6
        within 5 ip netns exec c5 ping -c1 -W1 -q c6 || die "c6 unreachable from h1 after etcd came back: $(cat $T/watch-h1.log)"
        # The watch tried every quarter second, said so once, and says when it is back.
        within 2 grep -q "^ctnet: following $STORE_URL again" $T/watch-h1.log || die "h1's watch did not say it is back: $(cat $T/watch-h1.log)"
        [ "$(grep -c 'Connection refused' $T/watch-h1.log)" -le 2 ] || die "a warning per try: $(cat $T/watch-h1.log)"

        # Refusals that need the store.
        ip netns add fresh
        fails_on h2 "already on network ov" ctnet connect ov c1 --netns /run/netns/fresh
        ip netns del fresh
        fails_on h3 "already exists in the cluster" ctnet network create -d overlay --subnet 10.222.0.0/24 unused
        vni=$(kv get /ctnet/networks/unused --print-value-only | json 'd["overlay"]["vni"]')
        fails_on h3 "VNI $vni is already used by cluster network unused" \
          ctnet network create -d overlay --subnet 10.222.0.0/24 -o vni=$vni other
        fails_on h3 "overlaps with cluster network unused" ctnet network create -d overlay --subnet 10.224.0.0/16 ov3
        on h1 ctnet network rm unused >/dev/null
        fails_on h3 "invalid store" ctnet --store http://192.0.2.100:2379 network create -d overlay --subnet 10.223.0.0/24 ov4
        for c in c1 c5; do on h1 ctnet disconnect ov $c; done
        fails_on h1 "active endpoints in the cluster (c2 on 192.0.2.2, c3 on 192.0.2.3, c6 on 192.0.2.2)" ctnet network rm ov
        grep -q . <<<"$(kv get /ctnet/networks/ov --keys-only)" || die "a refused rm left the network out of the store"
        for h in 2 3; do on h$h ctnet sandbox rm $(on h$h ctnet sandbox ls -q) >/dev/null; done
        on h1 ctnet network rm ov >/dev/null
        [ -z "$(kv get --prefix /ctnet/ --keys-only)" ] || die "the store kept keys: $(kv get --prefix /ctnet/ --keys-only)"
        # The other hosts' copies go once the watch sees the network leave.
        within 2 sh -c "! grep -q '\"ov\"' $T/h3/state.json" || die "h3 kept its copy of the removed network"
        for h in 1 2 3; do
          [ -z "$(ip -n h$h -o link show type vxlan)" ] || die "h$h kept its VXLAN device"
        done
    "#
    ));
}

/// The store may run on one of the hosts (etcd on h1's underlay address): that host's VTEP
/// is then the address itself; a store on its loopback is refused.
#[test]
fn a_store_on_one_of_the_hosts() {
    ok(&format!(
        "ETCD_NS=h1; STORE=192.0.2.1:2379\n{WORLD}{}",
        r#"
        on h1 ctnet network create -d overlay --subnet 10.226.0.0/24 ov >/dev/null
        on h1 ctnet sandbox create a >/dev/null; on h2 ctnet sandbox create b >/dev/null
        on h1 ctnet connect ov a; on h2 ctnet connect ov b
        vx=$(ip -n h1 -d -o link show type vxlan)
        grep -q 'local 192.0.2.1 dev under' <<<"$vx" || die "h1's VTEP: $vx"
        on h1 ctnet gc >/dev/null
        ip netns exec a ping -c1 -W1 -q b >/dev/null || die "a cannot reach b"
        fails_on h1 "loopback" ctnet --store etcd://127.0.0.1:2379 network create -d overlay --subnet 10.227.0.0/24 lo-store
    "#
    ));
}

/// Issue 17: a store over TLS that wants client certificates. Connect, watch and names work
/// across hosts; a wrong CA, a missing client certificate or an unreadable one is one clear
/// error that changes nothing; an encrypted overlay's keys never go to a plain http store
/// unless the user says so.
#[test]
fn a_tls_store_with_client_certificates() {
    ok(&format!(
        "STORE_TLS=1\n{WORLD}{}",
        r#"
        watch_on h1
        on h1 ctnet network create -d overlay --subnet 10.228.0.0/24 ov >/dev/null
        on h1 ctnet sandbox create a >/dev/null; on h2 ctnet sandbox create b >/dev/null
        on h1 ctnet connect ov a; on h2 ctnet connect ov b
        within 10 ip netns exec a ping -c1 -W1 -q b || die "a cannot reach b over the TLS store: $(cat $T/watch-h1.log)"
        grep -q 192.0.2.2 <<<"$(kv get /ctnet/endpoints/ov/b --print-value-only)" || die "no record of b"
        on h3 ctnet sandbox create c >/dev/null
        CTNET_STORE_CACERT=$pki/other-ca.pem fails_on h3 "certificate" ctnet connect ov c
        (unset CTNET_STORE_CERT CTNET_STORE_KEY; fails_on h3 "cannot reach the store" ctnet connect ov c)
        (unset CTNET_STORE_KEY; fails_on h3 "--store-cert and --store-key go together" ctnet connect ov c)
        CTNET_STORE_CACERT=$T/nothing fails_on h3 "--store-cacert $T/nothing: cannot read it" ctnet connect ov c
        fails_on h3 "plain http" ctnet --store etcd://192.0.2.100:2379 network create -d overlay -o encrypted --subnet 10.229.0.0/24 sec
        on h3 ctnet connect ov c
        within 5 ip netns exec a ping -c1 -W1 -q c || die "the watch did not bring c to h1"
    "#
    ));
}

/// Issue 17: a store with users. The right password works, a wrong one or none is refused
/// with etcd's reason, and nothing changes.
#[test]
fn a_store_with_a_user_and_password() {
    ok(&format!(
        "STORE_AUTH=1\n{WORLD}{}",
        r#"
        on h1 ctnet network create -d overlay --subnet 10.230.0.0/24 ov >/dev/null
        on h2 ctnet sandbox create b >/dev/null
        CTNET_STORE_PASSWORD=wrong fails_on h2 "authentication failed" ctnet connect ov b
        (unset CTNET_STORE_USER; fails_on h2 "user name is empty" ctnet connect ov b)
        on h2 ctnet connect ov b
        grep -q 192.0.2.2 <<<"$(kv get /ctnet/endpoints/ov/b --print-value-only)" || die "no record of b"
    "#
    ));
}
