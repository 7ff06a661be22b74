//! Services (issue 20): a virtual IP the kernel balances over the tasks (the sandboxes
//! carrying the service's name as an alias), DNS round robin, published service ports.

mod common;
use common::{emitted, ok};

/// Network `app` with a client `c`, network `other` with `x`, an outside host; `task NAME
/// SERVICE` makes a sandbox on `app` with the alias SERVICE that answers its own name on
/// port 80; `spread ASKER ADDRESS PORT N` makes N connections and prints how many each
/// task answered ("COUNT NAME" lines).
const WORLD: &str = r#"
    outside_host
    ctnet network create --subnet 10.81.0.0/24 app >/dev/null
    ctnet network create --subnet 10.82.0.0/24 other >/dev/null
    for s in c x; do ctnet sandbox create $s >/dev/null; done
    ctnet connect app c; ctnet connect other x
    task() {
      ctnet sandbox create $1 >/dev/null; ctnet connect app $1 --alias $2
      ip netns exec $1 timeout 120 socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo $1" &
      for _ in $(seq 100); do ip netns exec $1 ss -H -lnt "sport = :80" | grep -q . && return; sleep 0.02; done
      die "task $1 does not listen"
    }
    spread() {
      for _ in $(seq $4); do ask $1 $2 $3; done | sort | uniq -c | awk '{print $1, $2}' >$T/spread
      cat $T/spread
    }
    # count NAME: how many connections NAME answered in the last spread.
    count() { awk -v n=$1 '$2 == n {print $1}' $T/spread | grep . || echo 0; }
"#;

fn scenario(body: &str) -> String {
    ok(&format!("{WORLD}\n{body}"))
}

#[test]
fn a_virtual_ip_spreads_connections_over_the_tasks_and_follows_them() {
    let out = scenario(
        r#"
        ctnet service create web --network app -p 8000:80 >/dev/null
        for t in t1 t2 t3; do task $t web; done
        vip=$(ctnet service inspect web | json 'd[0]["Endpoint"]["VirtualIPs"][0]["Addr"].split("/")[0]')
        [ "$(ip netns exec c getent hosts web | awk '{print $1}')" = "$vip" ] || die "web does not resolve to its VIP $vip"
        spread c web 80 300 >/dev/null
        for t in t1 t2 t3; do
          n=$(count $t); [ "$n" -ge 60 ] && [ "$n" -le 141 ] || die "$t answered $n of 300: $(cat $T/spread)"
        done
        cp $T/spread $T/spread300
        # A task that leaves gets nothing more; one that joins gets its share.
        ctnet disconnect app t3
        spread c web 80 60 >/dev/null
        [ "$(count t3)" = 0 ] || die "t3 answered after its disconnect: $(cat $T/spread)"
        [ "$(count t1)" -gt 0 ] && [ "$(count t2)" -gt 0 ] || die "the others stopped: $(cat $T/spread)"
        task t4 web
        spread c web 80 60 >/dev/null
        [ "$(count t4)" -gt 0 ] || die "the new task gets nothing: $(cat $T/spread)"
        # The published port, from outside and from the host itself, reaches every task.
        spread outside 203.0.113.1 8000 60 >/dev/null
        for t in t1 t2 t4; do [ "$(count $t)" -gt 0 ] || die "$t gets nothing from outside: $(cat $T/spread)"; done
        spread host 127.0.0.1 8000 60 >/dev/null
        for t in t1 t2 t4; do [ "$(count $t)" -gt 0 ] || die "$t gets nothing from 127.0.0.1: $(cat $T/spread)"; done
        # A rewritten table (restore after a flush) keeps the services.
        nft flush ruleset; ctnet restore >/dev/null
        spread c web 80 30 >/dev/null
        [ "$(count t1)" -gt 0 ] && [ "$(count t4)" -gt 0 ] || die "restore lost the service: $(cat $T/spread)"
        # A UDP service port.
        ctnet service create dns --network app -p 5300:53/udp >/dev/null
        ctnet sandbox create u1 >/dev/null; ctnet connect app u1 --alias dns; serve u1 53 u1 udp
        [ "$(ask outside 203.0.113.1 5300 udp)" = u1 ] || die "the UDP service port does not answer"
        # Isolation: another network's sandbox does not reach the VIP.
        [ -z "$(ask x $vip 80)" ] || die "a sandbox on another network reached the VIP"
        # A service without tasks answers nothing (dropped), not even the host's own ports.
        ctnet service create empty --network app >/dev/null
        evip=$(ctnet service inspect empty | json 'd[0]["Endpoint"]["VirtualIPs"][0]["Addr"].split("/")[0]')
        [ -z "$(ask c $evip 80)" ] || die "a service without tasks answered"
        ctnet service ls --format json >$T/ls; grep '"Name":"web"' $T/ls | emit ls
        ctnet graph >$T/graph; grep -q 'service web (vip' $T/graph || die "graph does not show the service"
        ctnet network inspect --explain app >$T/explain; grep -q 'service_vips' $T/explain || die "explain does not show the service"
        ctnet --dry-run service create more --network app >$T/plan
        grep -q "addr add 10.81.0." $T/plan || die "dry run shows no VIP: $(cat $T/plan)"
        ! ctnet service inspect more >/dev/null 2>&1 || die "a dry run made a service"
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree"
        # rm takes the VIP off the bridge; the tasks stay.
        ctnet service rm web empty dns >/dev/null
        ! ip -o addr show | grep -q " $vip/" || die "the VIP stayed on the bridge"
        [ -z "$(ask c $vip 80)" ] || die "the VIP answers after rm"
        reaches c 10.81.0.2 || true
        cat $T/spread300
        "#,
    );
    let got = emitted(&out);
    let ls = &got["ls"];
    assert_eq!(ls["Name"], "web");
    assert_eq!(ls["Mode"], "vip");
    assert_eq!(ls["Tasks"], "3");
}

#[test]
fn dnsrr_resolves_to_every_task_in_turn() {
    scenario(
        r#"
        ctnet service create rr --network app --endpoint-mode dnsrr >/dev/null
        for t in r1 r2 r3; do task $t rr; done
        ip netns exec c getent ahosts rr | awk '{print $1}' | sort -u >$T/all
        [ "$(wc -l <$T/all)" = 3 ] || die "getent ahosts rr lists $(cat $T/all)"
        ctnet dns serve 2>$T/dns.err &
        for _ in $(seq 50); do grep -q 'listening on 10.81.0.1' $T/dns.err 2>/dev/null && break; sleep 0.1; done
        [ "$(ip netns exec c dig +short @10.81.0.1 rr | sort | paste -sd,)" = "$(paste -sd, $T/all)" ] || die "the resolver does not list every task"
        for _ in $(seq 12); do ip netns exec c dig +short @10.81.0.1 rr | head -1; done | sort -u >$T/firsts
        [ "$(wc -l <$T/firsts)" -ge 2 ] || die "the first answer never changes: $(cat $T/firsts)"
        "#,
    );
}

#[test]
fn bad_service_requests_change_nothing() {
    scenario(
        r#"
        task t1 web
        ctnet service create web --network app -p 8000:80 >/dev/null
        fails "network nope not found" ctnet service create s --network nope
        fails "already exists" ctnet service create web --network other
        fails "sandbox t1 is on network app" ctnet service create t1 --network app
        fails "already published by service web" ctnet service create s2 --network app -p 8000:81
        fails "neither a user-defined bridge network nor a cluster overlay" ctnet service create s3 --network bridge
        fails "expected vip or dnsrr" ctnet service create s4 --network app --endpoint-mode ipvs
        fails "PUBLISHED:TARGET" ctnet service create s5 --network app -p 80
        fails "service nope not found" ctnet service rm nope
        # A container's port may not take a service's (nft has it, no socket shows it).
        ctnet sandbox create p >/dev/null
        fails "already published by service web" ctnet connect app p -p 8000:80
        ctnet network create --internal --subnet 10.83.0.0/24 -o gateway_mode_ipv4=isolated iso >/dev/null
        fails "use --endpoint-mode dnsrr" ctnet service create s6 --network iso
        ctnet sandbox create web2 >/dev/null
        ctnet service create web2 --network other >/dev/null
        fails "has a service web2" ctnet connect other web2
        fails "in use by services (web2)" ctnet network rm other
        "#,
    );
}

/// The routing mesh: a service on a cluster overlay is recorded in etcd, and every host
/// that has the network (with its `overlay watch` running) publishes its ports and
/// balances them over the tasks, wherever they run. A task on the answering host sees the
/// client's own address; one on another host sees that host's mesh address.
#[test]
fn the_routing_mesh_publishes_a_cluster_service_on_every_host() {
    ok(&format!(
        "{}{}",
        common::cluster::WORLD,
        r#"
        on h1 ctnet network create -d overlay --subnet 10.230.0.0/24 ov >/dev/null
        for h in 1 2 3; do watch_on h$h; done
        # A task answers its name and the address the connection came from.
        mesh_task() {
          on $1 ctnet sandbox create $2 >/dev/null; on $1 ctnet connect ov $2 --alias web
          ip netns exec $2 timeout 120 socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo $2 \$SOCAT_PEERADDR" &
          for _ in $(seq 100); do ip netns exec $2 ss -H -lnt "sport = :80" | grep -q . && return; sleep 0.02; done
          die "task $2 does not listen"
        }
        answers() { [ -n "$(ask "$@")" ]; }
        # spread ASKER ADDRESS PORT N: "COUNT TASK PEER" lines.
        spread() { for _ in $(seq $4); do ask $1 $2 $3; done | sort | uniq -c | awk '{print $1, $2, $3}' >$T/spread; }
        count() { awk -v n=$1 '$2 == n {s += $1} END {print s + 0}' $T/spread; }
        mesh_task h2 w2; mesh_task h3 w3
        on h3 ctnet service create web --network ov -p 8080:80 >/dev/null
        # h1 has no task and no endpoint: within a second its watch publishes the port.
        within 1 answers store 192.0.2.1 8080 || die "h1 does not publish the service after a second: $(cat $T/watch-h1.log)"
        kv get --prefix /ctnet/mesh/ov/ --keys-only | grep -c . >$T/meshes
        [ "$(cat $T/meshes)" = 3 ] || die "not every host has a mesh address: $(kv get --prefix /ctnet/mesh/ --keys-only)"
        spread store 192.0.2.1 8080 60
        [ "$(count w2)" -gt 0 ] && [ "$(count w3)" -gt 0 ] || die "h1's port does not reach both tasks: $(cat $T/spread)"
        # h1 shows the service, its tasks on the other hosts and its mesh share.
        on h1 ctnet service inspect web >$T/inspect
        [ "$(json 'sorted(t["Sandbox"] for t in d[0]["Tasks"])' <$T/inspect)" = "['w2', 'w3']" ] || die "h1's tasks: $(cat $T/inspect)"
        on h1 ctnet graph >$T/graph; grep -q 'service web (vip 10.230.0.*2 task(s) \*:8080->80/tcp' $T/graph || die "graph: $(cat $T/graph)"
        on h1 ctnet network inspect --explain ov >$T/explain; grep -q 'routing mesh: this host' $T/explain || die "explain: $(cat $T/explain)"
        h1mesh=$(kv get /ctnet/mesh/ov/192.0.2.1 --print-value-only | json 'd["ipv4"]')
        ! grep -v " $h1mesh\$" $T/spread | grep -q . || die "a remote task saw another address than h1's mesh address $h1mesh: $(cat $T/spread)"
        # On h2, its own task sees the client; h3's sees h2's mesh address.
        spread store 192.0.2.2 8080 40
        grep -q "w2 192.0.2.100$" $T/spread || die "the local task does not see the client's address: $(cat $T/spread)"
        h2mesh=$(kv get /ctnet/mesh/ov/192.0.2.2 --print-value-only | json 'd["ipv4"]')
        grep -q "w3 $h2mesh$" $T/spread || die "the remote task answered unexpectedly: $(cat $T/spread)"
        # From the host itself, and from a client on the overlay through the virtual IP.
        spread h1 127.0.0.1 8080 30
        [ "$(count w2)" -gt 0 ] && [ "$(count w3)" -gt 0 ] || die "127.0.0.1 on h1 does not reach both: $(cat $T/spread)"
        on h2 ctnet sandbox create c2 >/dev/null; on h2 ctnet connect ov c2
        vip=$(on h2 ctnet service inspect web | json 'd[0]["Endpoint"]["VirtualIPs"][0]["Addr"].split("/")[0]')
        [ "$(ip netns exec c2 getent hosts web | awk '{print $1}')" = "$vip" ] || die "web does not resolve to its VIP on h2"
        spread c2 web 80 40
        [ "$(count w2)" -gt 0 ] && [ "$(count w3)" -gt 0 ] || die "the VIP does not reach both tasks: $(cat $T/spread)"
        # h3's task goes: within a second no host sends anything to it.
        on h3 ctnet sandbox rm w3 >/dev/null
        sleep 1
        spread store 192.0.2.1 8080 20
        [ "$(count w3)" = 0 ] && [ "$(count w2)" = 20 ] || die "h1 still balances to the removed task: $(cat $T/spread)"
        # A new task on h1 joins the mix on every host.
        mesh_task h1 w1
        sleep 1
        spread store 192.0.2.3 8080 40
        [ "$(count w1)" -gt 0 ] && [ "$(count w2)" -gt 0 ] || die "h3 does not reach the new task: $(cat $T/spread)"
        # Refusals, each changing nothing on the host or in the store.
        fails_on h1 "already exists" ctnet service create web --network ov
        on h1 ctnet network create -d overlay -o peer=192.0.2.2 --subnet 10.231.0.0/24 static >/dev/null
        fails_on h1 "nor a cluster overlay" ctnet service create s --network static
        fails_on h2 "already published by service web" ctnet service create s --network ov -p 8080:80
        # A dry run shows the store step and makes nothing.
        on h2 ctnet --dry-run service create more --network ov -p 8090:80 >$T/dry
        grep -q '^etcdctl put /ctnet/services/ov/more' $T/dry || die "no store step in the dry run: $(cat $T/dry)"
        [ -z "$(kv get /ctnet/services/ov/more)" ] || die "a dry run made a service"
        # A network with services stays.
        fails_on h1 "in use by services" ctnet network rm ov
        # The services go (two at once): every host drops its mesh share, and h3 (no
        # endpoint left there) its bridge too; the store keeps no mesh address.
        on h2 ctnet service create api --network ov >/dev/null
        on h1 ctnet service rm web api >/dev/null
        [ -z "$(kv get --prefix /ctnet/services/ --keys-only)" ] || die "the store kept services: $(kv get --prefix /ctnet/services/ --keys-only)"
        on h1 ctnet service ls -q >$T/ls; [ ! -s $T/ls ] || die "h1 kept services: $(cat $T/ls)"
        bridgeless() { [ -z "$(ip -n $1 -o link show type bridge | grep cto- || true)" ]; }
        meshless() { [ -z "$(kv get --prefix /ctnet/mesh/ --keys-only)" ]; }
        within 1 bridgeless h3 || die "h3 kept its bridge: $(cat $T/watch-h3.log)"
        within 1 meshless || die "the store kept mesh addresses: $(kv get --prefix /ctnet/mesh/ --keys-only)"
        ! answers store 192.0.2.1 8080 || die "h1 still publishes the removed service"
        "#
    ));
}
