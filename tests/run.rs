//! `ctnet run`: a command in a sandbox of its own, removed with everything it made.

mod common;
use common::ok;

#[test]
fn run_publishes_forwards_signals_and_cleans_up() {
    ok(r#"
        ctnet gc >/dev/null
        links=$(ctnet_links); rules=$(nft list ruleset)
        ctnet run --name web -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hi' &
        runpid=$!
        for i in $(seq 50); do [ "$(ctnet port web 2>/dev/null)" ] && break; sleep 0.1; done
        sleep 0.3
        [ "$(timeout 3 socat -T2 - TCP:127.0.0.1:8080 </dev/null)" = hi ] || die "published port of run"
        kill -TERM $runpid
        rc=0; wait $runpid || rc=$?
        [ $rc = 143 ] || die "exit status $rc, expected 143 (the command's SIGTERM)"
        [ -z "$(ctnet sandbox ls -q)" ] || die "sandbox left: $(ctnet sandbox ls)"
        [ -z "$(ls /run/netns)" ] || die "namespace left"
        [ "$(ctnet_links)" = "$links" ] || die "links left"
        [ "$(nft list ruleset)" = "$rules" ] || die "rules left"
    "#);
}

#[test]
fn run_returns_the_commands_status_on_every_network_kind() {
    let out = ok(r#"
        ctnet network create --subnet 10.80.0.0/24 lab >/dev/null
        rc=0; ctnet run --network lab --ip 10.80.0.9 -- sh -c 'ip -o -4 addr show eth0 | grep -q 10.80.0.9/24 && exit 3' || rc=$?
        [ $rc = 3 ] || die "exit status $rc"
        ctnet run --network none -- ip -o link | wc -l
        ctnet run --network host -- sh -c 'ip -o link show ctnet0 >/dev/null && echo host'
        [ -z "$(ctnet sandbox ls -q)" ] || die "sandboxes left"
        fails "takes no other network" ctnet run --network host -p 80 -- true
    "#);
    assert_eq!(out, "1\nhost\n");
}

#[test]
fn run_sees_its_networks_names_in_etc_hosts_and_leaves_the_hosts_etc_alone() {
    let out = ok(r#"
        # Names that miss the hosts file go to this host's resolver: the lab gateway, where
        # nothing listens, so a miss is answered at once (and nothing leaves the test).
        printf 'nameserver 10.81.0.1\noptions timeout:1 attempts:1\n' > $T/resolv.conf
        mount --bind $T/resolv.conf /etc/resolv.conf
        ctnet network create --subnet 10.81.0.0/24 lab >/dev/null
        ctnet sandbox create db >/dev/null; ctnet connect lab db --alias postgres
        host_hosts=$(cat /etc/hosts)
        ctnet run --name app --network lab -- getent hosts postgres
        # A neighbour that joins while the command runs shows up in its /etc/hosts.
        # The command has looked once, in vain, before late joins.
        ctnet run --name watcher --network lab -- sh -c \
          "getent hosts late || touch $T/looked; for i in \$(seq 100); do getent hosts late && exit 0; sleep 0.05; done; exit 1" > $T/late &
        w=$!
        for i in $(seq 100); do [ -e $T/looked ] && break; sleep 0.05; done
        [ -e $T/looked ] || die "the watcher never looked"
        ctnet sandbox create late >/dev/null; ctnet connect lab late
        wait $w || die "run never saw late: $(cat $T/late)"
        grep -q '10.81.0.' $T/late || die "late: $(cat $T/late)"
        [ "$(cat /etc/hosts)" = "$host_hosts" ] || die "the host's /etc/hosts changed"
    "#);
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["10.81.0.2", "db", "postgres"]
    );
}
