//! Issue 22: names at scale. A network's members share one `hosts` file that changes line by
//! line in place; readers must never see a torn or stale line while connects and
//! disconnects churn (the timings themselves are in bench/scale.sh).

mod common;
use common::ok;

#[test]
fn readers_never_see_a_torn_or_stale_name_while_members_churn() {
    ok(r#"
        # A miss in the hosts files goes to app's gateway, where nothing listens: answered
        # at once (and nothing leaves the test).
        printf 'nameserver 10.90.0.1\noptions timeout:1 attempts:1\n' > $T/resolv.conf
        mount --bind $T/resolv.conf /etc/resolv.conf
        ctnet network create --subnet 10.90.0.0/24 app >/dev/null
        ctnet network create --subnet 10.91.0.0/24 other >/dev/null
        for s in s1 s2 s3; do ctnet sandbox create $s >/dev/null; done
        ctnet connect app s1 --ip 10.90.0.11; ctnet connect app s2 --ip 10.90.0.12
        # s3 is on two networks: a file of its own, changed the same way.
        ctnet connect app s3 --ip 10.90.0.13; ctnet connect other s3 --ip 10.91.0.13
        for k in $(seq 8); do ctnet sandbox create c$k >/dev/null; done
        # Enough members that the shared file spans more than one 4 KiB block (readers read
        # it in blocks: no line may straddle two).
        for i in $(seq 130); do ctnet sandbox create p$i >/dev/null; ctnet connect app p$i --ip 10.90.0.$((120 + i)); done
        shared=/var/lib/ctnet/etc/s1/hosts own=/var/lib/ctnet/etc/s3/hosts
        appfile=$(echo /var/lib/ctnet/names/app-*.hosts)
        [ "$(readlink $shared)" = "$appfile" ] || die "s1 does not read app's file: $(readlink $shared)"
        [ -f $own ] && [ ! -L $own ] || die "s3 has no file of its own"
        [ "$(stat -c %s $appfile)" -gt 4096 ] || die "app's file is only $(stat -c %s $appfile) bytes"
        # A long-lived reader's view (as a wrapper's bind mount): made before the churn.
        mkdir $T/view; touch $T/view/hosts; mount --bind $shared $T/view/hosts
        # Every name line must be one of these pairs, whole.
        printf '%s\n' 10.90.0.11/s1 10.90.0.12/s2 10.90.0.13/s3 10.91.0.13/s3 \
          $(for k in $(seq 8); do echo 10.90.0.$((100 + k))/c$k; done) \
          $(for i in $(seq 130); do echo 10.90.0.$((120 + i))/p$i; done) > $T/pairs
        check_file() { # FILE: prints what is wrong
          awk -v pairs=$T/pairs 'BEGIN { while ((getline p < pairs) > 0) ok[p] = 1 }
            /^#/ || /^[[:space:]]*$/ { next }
            $2 == "localhost" { next }
            { if (NF != 2 || !(($1 "/" $2) in ok)) print "torn or wrong line: [" $0 "]" }' "$1"
        }
        : > $T/bad; : > $T/reads
        reader() {
          while [ ! -e $T/stop ]; do
            for f in $shared $own $T/view/hosts; do check_file $f >> $T/bad; done
            # s2 never leaves: it must always resolve (a miss would ask the resolver).
            got=$(ip netns exec s1 getent hosts s2 | awk '{print $1}') || true
            [ "$got" = 10.90.0.12 ] || echo "s2 resolved to '$got'" >> $T/bad
            echo . >> $T/reads
          done
        }
        reader & r1=$!; reader & r2=$!
        # The churn; after each command returns its effect is there for everyone, at once.
        for round in $(seq 25); do
          k=$((round % 8 + 1))
          ctnet connect app c$k --ip 10.90.0.$((100 + k))
          for s in s1 s3; do
            [ "$(ip netns exec $s getent hosts c$k | awk '{print $1}' || true)" = 10.90.0.$((100 + k)) ] || die "round $round: $s does not resolve c$k right after its connect"
          done
          j=$(((round + 3) % 8 + 1))
          if ctnet sandbox inspect c$j 2>/dev/null | grep -q 10.90.0; then
            ctnet disconnect app c$j
            # (Through the file each sandbox's /etc/hosts is: a miss in it would wait for a
            # resolver.)
            for s in s1 s3; do
              ip netns exec $s cat /etc/hosts | grep -v '^#' > $T/live || true
              ! grep -qw c$j $T/live || die "round $round: $s still lists c$j after its disconnect"
            done
          fi
        done
        touch $T/stop; wait $r1 $r2 || die "a reader failed"
        umount $T/view/hosts
        [ ! -s $T/bad ] || die "$(sort $T/bad | uniq -c | head)"
        [ "$(wc -l < $T/reads)" -ge 20 ] || die "the readers read only $(wc -l < $T/reads) times"
        # Slots are reused: 8 names churned 25 times leave a file that holds at most 8 of them
        # besides the 133 that stay.
        slots=$(grep -c $'\t' $appfile)
        [ "$slots" -le 141 ] || die "app's file grew to $slots lines: $(cat $appfile)"
        # s3 leaves its second network: its hosts stays a file of its own, so a process that
        # bind-mounted it while s3 was on two networks goes on seeing app's changes.
        mkdir $T/view3; touch $T/view3/hosts; mount --bind $own $T/view3/hosts
        ctnet disconnect other s3
        [ -f $own ] && [ ! -L $own ] || die "s3's hosts became a link again"
        ctnet sandbox create fresh >/dev/null; ctnet connect app fresh --ip 10.90.0.98
        grep -q '^10.90.0.98 .*fresh$' $T/view3/hosts || die "a process pinned on s3's file missed fresh: $(cat $T/view3/hosts)"
        grep -v '^#' $T/view3/hosts > $T/live3 || true
        ! grep -q 10.91.0 $T/live3 || die "s3's file still lists other's names"
        umount $T/view3/hosts
        ctnet sandbox rm fresh >/dev/null
        # An older ctnet's files (a file of its own for every member, no shared file): the
        # next change writes the shared file and links the members to it.
        rm $appfile
        for s in s1 s2; do
          rm /var/lib/ctnet/etc/$s/hosts
          printf '127.0.0.1\tlocalhost\n10.90.0.12\ts2\n' > /var/lib/ctnet/etc/$s/hosts
        done
        ctnet sandbox create late >/dev/null; ctnet connect app late --ip 10.90.0.99
        for s in s1 s2; do
          [ "$(readlink /var/lib/ctnet/etc/$s/hosts)" = $appfile ] || die "$s was not linked to the shared file"
          [ "$(ip netns exec $s getent hosts late | awk '{print $1}' || true)" = 10.90.0.99 ] || die "$s does not resolve late after the upgrade"
        done
        ctnet sandbox rm late >/dev/null
        # gc puts a damaged file right again; network rm takes it away.
        sed -i '/s3/d' $appfile
        ! ip netns exec s1 getent hosts s3 >/dev/null || die "the damage did not take"
        ctnet gc >/dev/null
        check_file $appfile > $T/bad; [ ! -s $T/bad ] || die "after gc: $(cat $T/bad)"
        ip netns exec s1 getent hosts s3 | grep -q 10.90.0.13 || die "s1 lost s3 after gc"
        ctnet sandbox rm s1 s2 s3 $(seq -f c%g 8) $(seq -f p%g 130) >/dev/null
        ctnet network rm app >/dev/null
        [ ! -e $appfile ] || die "app's file outlived it"
        # Freed lines keep their text under '#' (only the first byte changes): the file
        # never showed a reader half of one.
    "#);
}
