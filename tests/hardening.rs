//! Issue 15, the hardening review: each test reproduces what the review found (they failed
//! on the code before the fix) and checks the fix. Items 1 and 3 (forwarding, a flushed
//! ruleset) are in `real_hosts.rs`.

mod common;
use common::ok;

/// Item 2: the state lock is root's alone, and a hung holder is named, not waited for
/// forever.
#[test]
fn nobody_else_can_hold_the_lock_and_a_hung_holder_is_named() {
    ok(r#"
        ctnet network create --subnet 10.70.0.0/24 n >/dev/null
        lock=/var/lib/ctnet/state.lock
        [ "$(stat -c '%a %U' $lock)" = "600 root" ] || die "lock modes: $(stat -c '%a %U' $lock)"
        chmod 755 /var/lib/ctnet
        ! setpriv --reuid 65534 --regid 65534 --clear-groups flock -n $lock true 2>/dev/null \
          || die "an unprivileged user could hold the lock"
        # A lock file an older ctnet left readable is narrowed.
        chmod 644 $lock; ctnet network ls >/dev/null
        [ "$(stat -c %a $lock)" = 600 ] || die "not narrowed: $(stat -c %a $lock)"
        # A holder that hangs: the command waits a bounded time, names it, changes nothing.
        flock $lock sleep 30 & holder=$!
        for _ in $(seq 100); do grep -q "FLOCK.* $holder " /proc/locks && break; sleep 0.02; done
        before=$(snapshot)
        rc=0; CTNET_LOCK_WAIT=3 ctnet network create x >$T/out 2>$T/err || rc=$?
        [ "$rc" = 1 ] || die "exit $rc: $(cat $T/err)"
        grep -qx "ctnet: waiting for pid $holder to release $lock" $T/err || die "no notice: $(cat $T/err)"
        grep -q "^ctnet: error: $lock is still locked by pid $holder after 3 s" $T/err || die "error: $(cat $T/err)"
        [ "$(snapshot)" = "$before" ] || die "a command that could not lock changed something"
        kill $holder
        ctnet network create x >/dev/null || die "the lock was not released"
    "#);
}

/// Item 5 (staging): a link planted at a staging file is never written through.
#[test]
fn a_link_at_a_staging_file_is_not_followed() {
    ok(r#"
        ctnet network create --subnet 10.71.0.0/24 n >/dev/null
        echo precious > $T/victim
        for i in 0 1 2 3; do ln -s $T/victim /var/lib/ctnet/state.json.$i.tmp; done
        mkdir -p /var/lib/ctnet/sandboxes
        for i in 0 1 2 3; do ln -s $T/victim /var/lib/ctnet/sandboxes/a.json.$i.tmp; done
        ctnet sandbox create a >/dev/null
        ctnet network create --subnet 10.72.0.0/24 m >/dev/null
        ctnet connect m a
        [ "$(cat $T/victim)" = precious ] || die "written through a link: $(cat $T/victim)"
        [ ! -L /var/lib/ctnet/state.json ] || die "state.json became a link"
        ctnet network inspect m | json 'd[0]["Name"]' | grep -qx m || die "state lost"
    "#);
}

/// Item 10: staging files a killed command left are removed by gc (and only listed by a
/// dry run).
#[test]
fn gc_removes_stale_staging_files() {
    let out = ok(r#"
        ctnet sandbox create a >/dev/null
        echo junk > /var/lib/ctnet/state.json.0.tmp
        echo junk > /var/lib/ctnet/sandboxes/a.json.1.tmp
        ln -s /etc/hostname /var/lib/ctnet/sandboxes/b.json.2.tmp
        ctnet --dry-run gc | grep tmp | sort
        [ -e /var/lib/ctnet/state.json.0.tmp ] || die "a dry run removed a file"
        ctnet gc | grep tmp | sort
        [ -z "$(find /var/lib/ctnet -name '*.tmp')" ] || die "left: $(find /var/lib/ctnet -name '*.tmp')"
        [ -s /etc/hostname ] || die "a link's target was removed"
    "#);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(
        lines[..3]
            .iter()
            .all(|l| l.starts_with("would remove file /var/lib/ctnet/")),
        "{out}"
    );
    assert!(
        lines[3..]
            .iter()
            .all(|l| l.starts_with("removed file /var/lib/ctnet/")),
        "{out}"
    );
    assert!(
        lines[3].ends_with("sandboxes/a.json.1.tmp: staged by a command that was killed"),
        "{out}"
    );
}

/// Item 8: a bridge deleted by hand comes back with its ports, from gc and from restore,
/// and the agreement check sees the difference in between.
#[test]
fn a_deleted_bridge_comes_back_with_its_ports() {
    ok(r#"
        ctnet network create --subnet 10.73.0.0/24 -o icc=false -o bridge.name=br-q quiet >/dev/null
        ctnet network create --subnet 10.74.0.0/24 -o bridge.name=br-o open >/dev/null
        for s in a b c d; do ctnet sandbox create $s >/dev/null; done
        ctnet connect open a; ctnet connect open b; ctnet connect quiet c; ctnet connect quiet d
        reaches a 10.74.0.3 || die "a cannot reach b at first"
        for how in gc restore; do
          ip link del br-o; ip link del br-q
          ! agree >/dev/null 2>&1 || die "the agreement check missed the deleted bridges"
          ctnet $how >$T/out
          grep -q "network open: port vctn[0-9a-f]* back on br-o" $T/out || die "$how: $(cat $T/out)"
          reaches a 10.74.0.3 || die "after $how: a cannot reach b"
          reaches b 10.74.0.1 || die "after $how: b cannot reach its gateway"
          ! reaches c 10.73.0.3 || die "after $how: icc=false no longer holds"
          reaches c 10.73.0.1 || die "after $how: c cannot reach its gateway"
          agree || die "after $how: state and kernel disagree"
        done
    "#);
}
