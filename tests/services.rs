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
        fails "not a user-defined bridge network" ctnet service create s3 --network bridge
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
        "#,
    );
}
