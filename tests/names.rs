//! Issue 4: network-scoped names, through the hosts files ctnet writes and through
//! `ctnet dns serve`.

mod common;
use common::ok;

/// Network `app` with `web` and `db` (alias `postgres`), network `other` with `lone`, and
/// the host's upstream resolver: dnsmasq in an "outside" namespace that knows one name (and
/// answers every other at once: a lookup that misses the hosts file must not wait).
const WORLD: &str = r#"
    outside_host
    ip netns exec outside dnsmasq --no-resolv --no-hosts --bind-interfaces --pid-file=$T/dnsmasq.pid \
      --listen-address=203.0.113.2 --address=/far.example/198.51.100.7 --log-queries --log-facility=$T/upstream.log \
      >/dev/null 2>&1 </dev/null
    ON_EXIT+=('kill $(cat $T/dnsmasq.pid)')
    # This host's resolver configuration (hermetic gives the test its own mount namespace).
    for _ in $(seq 50); do dig +short +time=1 +tries=1 @203.0.113.2 far.example >/dev/null 2>&1 && break; sleep 0.1; done
    printf 'nameserver 127.0.0.53\nsearch lab.test\noptions timeout:1\n' > $T/host-resolv.conf
    printf 'nameserver 203.0.113.2\n' > $T/resolved.conf
    mount --bind $T/host-resolv.conf /etc/resolv.conf
    # systemd-resolved's list, in a /run of this host's own (the machine's stays untouched).
    source "$SUPPORT/fresh.sh"; fresh /run netns ctnet
    mkdir -p /run/systemd/resolve; cp $T/resolved.conf /run/systemd/resolve/resolv.conf
    ctnet network create --subnet 10.70.0.0/24 app >/dev/null
    ctnet network create --subnet 10.71.0.0/24 other >/dev/null
    for s in web db lone late; do ctnet sandbox create $s >/dev/null; done
    ctnet connect app web; ctnet connect app db --alias postgres; ctnet connect other lone
    resolves() { # resolves NS NAME ADDRESS
      local got; got=$(ip netns exec "$1" getent hosts "$2" | awk '{print $1}' | head -1)
      [ "$got" = "$3" ] || die "$1 resolves $2 to '$got', expected $3"
    }
"#;

#[test]
fn neighbours_resolve_by_name_and_alias_and_strangers_do_not() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        resolves web db 10.70.0.3; resolves web postgres 10.70.0.3; resolves db web 10.70.0.2
        ip netns exec web ping -c1 -W1 -q db >/dev/null || die "ping db by name"
        # A sandbox that joins later is found by those already there, without a restart.
        ctnet connect app late
        resolves web late 10.70.0.4; resolves late db 10.70.0.3
        # Other networks' names, and the default bridge network's, stay unknown.
        ! ip netns exec web getent hosts lone >/dev/null || die "web resolves lone"
        ctnet connect bridge lone; ctnet sandbox create solo >/dev/null; ctnet connect bridge solo
        ! ip netns exec solo getent hosts lone >/dev/null || die "default network resolves names"
        resolves solo solo "$(ip_of solo)"
        # A sandbox on both networks sees both sides.
        ctnet connect other web
        resolves web lone 10.71.0.2; resolves lone web 10.71.0.3
        ! ip netns exec lone getent hosts db >/dev/null || die "lone resolves db"
        # Disconnect and removal take names away again.
        ctnet disconnect app late
        ! ip netns exec web getent hosts late >/dev/null || die "web still resolves late"
        ctnet sandbox rm db
        ! ip netns exec web getent hosts postgres >/dev/null || die "web still resolves postgres"
        [ ! -e /etc/netns/db ] && [ ! -e /var/lib/ctnet/etc/db ] || die "db's files are left"
        # The files are links that ip netns exec follows; resolv.conf has no loopback server.
        [ "$(readlink /etc/netns/web/hosts)" = /var/lib/ctnet/etc/web/hosts ] || die "hosts link"
        # resolv.conf: systemd-resolved's real server instead of its loopback stub.
        grep -qx 'nameserver 203.0.113.2' /var/lib/ctnet/etc/web/resolv.conf || die "resolv.conf: $(cat /var/lib/ctnet/etc/web/resolv.conf)"
        grep -qx 'search lab.test' /var/lib/ctnet/etc/web/resolv.conf || die "search domains lost"
        "#
    ));
}

#[test]
fn a_bind_mount_made_before_a_change_sees_it() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        # A wrapper's long-lived view of the file: in place rewrites reach it, renames would not.
        mkdir $T/view; touch $T/view/hosts
        mount --bind /var/lib/ctnet/etc/web/hosts $T/view/hosts
        ctnet connect app late
        grep -q late $T/view/hosts || die "bind mount missed an append"
        ctnet disconnect app late
        grep -v '^#' $T/view/hosts > $T/live || true
        ! grep -q late $T/live || die "bind mount missed a removal"
        umount $T/view/hosts
        # --pid sandboxes get the same files under the state directory.
        unshare --net sleep 30 & pid=$!
        wait_netns $pid
        ctnet connect app --pid $pid proc
        grep -q 'db postgres' /var/lib/ctnet/etc/proc/hosts || die "no hosts file for proc"
        grep -q proc /var/lib/ctnet/etc/web/hosts || die "web does not list proc"
        kill $pid
        "#
    ));
}

#[test]
fn the_resolver_answers_forwards_and_survives_garbage() {
    ok(&format!(
        "{WORLD}{}",
        r#"
        serve_dns() {
          ctnet dns serve 2>$T/dns.err & DNS=$!
          for _ in $(seq 50); do grep -q 'listening on 10.70.0.1' $T/dns.err 2>/dev/null && return; sleep 0.1; done
          die "dns serve did not start: $(cat $T/dns.err)"
        }
        ask() { ip netns exec "$1" dig +short +time=2 +tries=1 @10.70.0.1 "${@:2}"; }
        serve_dns
        # resolv.conf points at it while it runs. (It logs "listening" before it rewrites the
        # files; once, in CI, a read here also caught a half-rewritten file: see the notes.)
        for _ in $(seq 20); do grep -qx 'nameserver 10.70.0.1' /var/lib/ctnet/etc/web/resolv.conf && break; sleep 0.1; done
        grep -qx 'nameserver 10.70.0.1' /var/lib/ctnet/etc/web/resolv.conf || die "resolv.conf: $(cat /var/lib/ctnet/etc/web/resolv.conf)"
        [ "$(ask web db)" = 10.70.0.3 ] || die "db: $(ask web db)"
        [ "$(ask web POSTGRES)" = 10.70.0.3 ] || die "alias"
        [ "$(ask web -x 10.70.0.3)" = db. ] || die "PTR: $(ask web -x 10.70.0.3)"
        # Joined after the start: found at once.
        ctnet connect app late
        [ "$(ask web late)" = 10.70.0.4 ] || die "late: $(ask web late)"
        # Through resolv.conf (dig never reads the hosts file).
        [ "$(ip netns exec late dig +short +time=2 +tries=1 web)" = 10.70.0.2 ] || die "resolv.conf does not lead to the resolver"
        # Anyone else (here the host itself, as a LAN host would) gets nothing: the resolver
        # takes only what arrives on the network's bridge. No open relay.
        dig +time=1 +tries=1 @10.70.0.1 far.example >$T/stranger || true
        ! grep -q 'status: NOERROR' $T/stranger || die "a stranger was answered: $(cat $T/stranger)"
        # Names of other networks are not ours: forwarded, and the upstream knows nothing.
        [ -z "$(ask web lone)" ] || die "lone leaked: $(ask web lone)"
        grep -q 'query\[A\] lone from 203.0.113.1' $T/upstream.log || die "lone not forwarded: $(cat $T/upstream.log)"
        # A network made after the start: the resolver listens there within a second and
        # points the sandboxes at it.
        ctnet network create --subnet 10.72.0.0/24 third >/dev/null
        ctnet sandbox create t3 >/dev/null; ctnet connect third t3 --alias t3alias
        for _ in $(seq 30); do grep -qx 'nameserver 10.72.0.1' /var/lib/ctnet/etc/t3/resolv.conf && break; sleep 0.1; done
        grep -qx 'nameserver 10.72.0.1' /var/lib/ctnet/etc/t3/resolv.conf || die "t3 not pointed at the resolver: $(cat /var/lib/ctnet/etc/t3/resolv.conf)"
        [ "$(ip netns exec t3 dig +short +time=2 +tries=1 t3alias)" = 10.72.0.2 ] || die "resolver on the new network"
        # Everything else goes upstream.
        [ "$(ask web far.example)" = 198.51.100.7 ] || die "forwarding: $(ask web far.example)"
        # A malformed query gets FORMERR; the server keeps answering.
        printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff\xff' > $T/junk
        ip netns exec web timeout 3 socat -T2 - UDP:10.70.0.1:53 <$T/junk | od -An -tx1 | head -1 > $T/reply
        read -r id1 id2 flags rcode _ < $T/reply
        [ "$id1$id2" = 1234 ] && [ $((0x$rcode & 15)) = 1 ] || die "no FORMERR: $(cat $T/reply)"
        [ "$(ask web db)" = 10.70.0.3 ] || die "server died after garbage"
        # A second server refuses; SIGTERM stops the first and resolv.conf names upstreams again.
        ! timeout 5 ctnet dns serve 2>$T/second.err || die "second server started"
        grep -q 'already runs' $T/second.err || die "second: $(cat $T/second.err)"
        kill -TERM $DNS; wait $DNS || die "dns serve exit status $?"
        ! grep -q 'nameserver 10.70.0.1' /var/lib/ctnet/etc/web/resolv.conf || die "resolv.conf still points at the resolver"
        [ ! -e /var/lib/ctnet/dns.pid ] || die "pid file left"
        "#
    ));
}
