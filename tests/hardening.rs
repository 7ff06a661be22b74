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

/// Item 9: `ctnet run` killed outright takes its command with it, and gc then removes
/// its sandbox, veth, address and published port.
#[test]
fn a_killed_run_leaves_nothing_after_gc() {
    ok(r#"
        ctnet gc >/dev/null
        links=$(ctnet_links)
        ctnet run --name job -p 8080:80 -- sleep 300 & runpid=$!
        for _ in $(seq 100); do [ -n "$(ctnet port job 2>/dev/null)" ] && break; sleep 0.05; done
        [ -n "$(ctnet port job 2>/dev/null)" ] || die "the run never published its port"
        child=$(pgrep -P $runpid)
        # While the run goes on, gc leaves it alone.
        ctnet gc >$T/gc; [ ! -s $T/gc ] || die "gc touched a live run: $(cat $T/gc)"
        kill -KILL $runpid; wait $runpid 2>/dev/null || true
        for _ in $(seq 100); do kill -0 $child 2>/dev/null || break; sleep 0.02; done
        ! kill -0 $child 2>/dev/null || die "the command outlived ctnet run"
        ctnet gc >$T/gc
        grep -q "removed sandbox job: the ctnet run that made it (pid $runpid) is gone" $T/gc || die "gc: $(cat $T/gc)"
        [ -z "$(ls /run/netns)" ] || die "namespaces left: $(ls /run/netns)"
        [ "$(ctnet_links)" = "$links" ] || die "links left: $(ctnet_links)"
        nft list map inet ctnet dnat_any >$T/map; ! grep -q 8080 $T/map || die "port left: $(cat $T/map)"
        [ -z "$(ctnet sandbox ls -q)" ] || die "sandbox left: $(ctnet sandbox ls)"
        agree
    "#);
}

/// Items 11 and 12: input that was accepted and then broke something is refused, in one
/// line, changing nothing.
#[test]
fn bad_input_found_by_the_review_is_refused() {
    ok(r#"
        uplink 192.0.2.1/24
        # Subnets are checked whole, not by their first address.
        fails "overlaps 192.0.2.0/24, which this host already reaches" ctnet network create --subnet 192.0.2.0/25 lan
        # A narrower route is refused; a broader one (a VPN's) is no reason to.
        ip route add 10.86.5.0/24 dev uplink; ip route add 10.0.0.0/8 dev uplink
        fails "overlaps 10.86.5.0/24" ctnet network create --subnet 10.86.0.0/16 narrow
        ctnet network create --subnet 10.87.0.0/24 vpn >/dev/null || die "refused under a broader route"
        ctnet network rm vpn >/dev/null
        fails "overlaps 224.0.0.0/4 (multicast)" ctnet network create --subnet 192.0.0.0/2 wide
        fails "overlaps 240.0.0.0/4" ctnet network create --subnet 255.255.255.252/30 top
        fails "overlaps 169.254.0.0/16 (link-local)" ctnet network create --subnet 169.254.0.0/16 ll
        fails "overlaps fe80::/10 (link-local)" ctnet network create --ipv6 --subnet 8000::/1 half
        fails "IPv4-mapped" ctnet network create --ipv6 --subnet ::ffff:0:0/96 mapped
        fails "too small for IPv6" ctnet network create --ipv6 -o mtu=1000 small
        fails "loopback" ctnet network create -d macvlan --subnet 10.76.0.0/24 -o parent=lo m
        # doctor names a subnet clash once, though the host has it as an address and a route.
        ctnet network create --subnet 10.83.0.0/24 clash >/dev/null
        ip link add stray type veth peer name stray-peer; ip addr add 10.83.0.128/25 dev stray
        ip link set stray up; ip link set stray-peer up
        ctnet doctor >$T/doctor || true
        [ "$(grep -c 'overlaps 10.83.0.128/25' $T/doctor)" = 1 ] || die "doctor: $(cat $T/doctor)"
        ip link del stray; ctnet network rm clash >/dev/null
        ctnet network create --subnet 10.75.0.0/24 n >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect n a
        fails "is the bridge's" ctnet connect n b --mac 02:42:0a:4b:00:01
        fails "in use by a" ctnet connect n b --mac 02:42:0a:4b:00:02
        fails "all-zero" ctnet connect n b --mac 00:00:00:00:00:00
        # A member's own --mac is taken too, by another --mac or by a MAC an address makes.
        ctnet sandbox create c >/dev/null; ctnet connect n c --ip 10.75.0.9 --mac 02:42:0a:4b:00:03
        fails "is in use by c" ctnet connect n b --mac 02:42:0a:4b:00:03
        fails "address 10.75.0.3 would get the MAC 02:42:0a:4b:00:03, in use by c" ctnet connect n b
        ctnet connect n b --ip 10.75.0.4 >/dev/null; ctnet disconnect n b; ctnet disconnect n c
        # An IPv6-only network's bridge has a MAC made from its IPv6 gateway.
        id6=$(ctnet network create --ipv6 --subnet fd00:79::/64 only6)
        mac6=$(ip -o link show ctn-${id6:0:10} | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
        fails "is the bridge's" ctnet connect only6 a --mac $mac6
        fails "invalid MAC" ctnet connect n b --mac +2:42:0a:4b:00:09
        fails "not a port number" ctnet publish a +8080:80
        fails "IPv4 address in IPv6 form" ctnet publish a '[::ffff:127.0.0.1]:8080:80'
        fails "link-local" ctnet publish a '[fe80::1]:8080:80'
        cd $T; fails "relative" ctnet --state-dir rel network ls; [ ! -e $T/rel ] || die "made a relative state dir"; cd /
        # A whole id wins over a network named like it.
        id=$(ctnet network create --subnet 10.77.0.0/24 m2)
        ctnet network create --subnet 10.78.0.0/24 "$id" >/dev/null
        ctnet network rm "$id" >/dev/null
        ! ctnet network inspect m2 >/dev/null 2>&1 || die "rm by id removed the network named like it"
        ctnet network inspect "$id" >/dev/null || die "the network named like the id is gone"
        # One namespace is one sandbox, under one name.
        unshare --net sleep 30 & twice=$!
        wait_netns $twice
        ctnet connect n first --pid $twice >/dev/null
        fails "already a sandbox's namespace" ctnet connect n second --netns /proc/$twice/ns/net
        ctnet sandbox rm first >/dev/null; kill $twice; wait $twice 2>/dev/null || true
        # No ports for a container that is gone.
        unshare --net sleep 30 & gone=$!
        wait_netns $gone
        ctnet connect n gone --pid $gone >/dev/null
        kill $gone; wait $gone 2>/dev/null || true
        # The kernel takes the namespace's veth away a moment after its last process.
        for _ in $(seq 100); do [ "$(ip -o link show | grep -c vctn)" = 1 ] && break; sleep 0.05; done
        fails "namespace /proc/$gone/ns/net is gone" ctnet publish gone 8080:80
        ctnet gc >/dev/null
        # A name under /run/netns that is the host's own namespace is no sandbox.
        touch /run/netns/hostns; mount --bind /proc/self/ns/net /run/netns/hostns
        fails "own network namespace" ctnet connect n hostns
        umount /run/netns/hostns; rm /run/netns/hostns
    "#);
}

/// Item 6: names in an edited state file are checked again before anything uses them.
#[test]
fn names_edited_into_the_state_are_reported() {
    ok(r#"
        ctnet network create --subnet 10.79.0.0/24 n >/dev/null
        ctnet sandbox create a >/dev/null; ctnet connect n a
        cp /var/lib/ctnet/state.json $T/good
        edit() { python3 -c "import json,sys; p='/var/lib/ctnet/state.json'; s=json.load(open(p)); $1; json.dump(s, open(p,'w'))"; }
        edit "n=[x for x in s['networks'] if x['name']=='n'][0]; n['members']=n['members'].replace('a=', '../../x=')"
        fails 'state.json' ctnet network ls
        grep -q '"../../x=' /var/lib/ctnet/state.json || die "the file was rewritten"
        cp $T/good /var/lib/ctnet/state.json
        edit "n=[x for x in s['networks'] if x['name']=='n'][0]; n['bridge']['ifname']='x\" ; flush ruleset'"
        fails 'invalid bridge' ctnet gc
        cp $T/good /var/lib/ctnet/state.json
        ctnet network ls >/dev/null || die "the good state no longer loads"
    "#);
}

/// Item 7: one ctnet per host: a second state directory cannot take over the table.
#[test]
fn a_second_state_directory_is_refused() {
    ok(r#"
        ctnet network create --subnet 10.80.0.0/24 n >/dev/null
        ctnet sandbox create a >/dev/null; ctnet connect n a -p 8080:80 >/dev/null
        ip link del ctnet0
        before=$(nft list ruleset)
        fails "another state directory manages this host" ctnet --state-dir $T/second network create --subnet 10.81.0.0/24 m
        fails "another state directory manages this host" ctnet --state-dir $T/second gc
        fails "another state directory manages this host" ctnet --state-dir $T/second restore
        ctnet --state-dir $T/second network ls >/dev/null
        [ ! -e $T/second/state.json ] || die "a read saved a second state"
        [ "$(nft list ruleset)" = "$before" ] || die "the table changed"
        ctnet gc >/dev/null; agree
    "#);
}

/// Item 4: the resolver answers only queries that arrive on its networks' bridges (not an
/// outside host spoofing a sandbox's address), and a sandbox that floods it uses up only
/// its own share of the forwarding budget.
#[test]
fn the_resolver_takes_only_its_bridges_and_budgets_each_asker() {
    ok(r#"
        echo 2 > /proc/sys/net/ipv4/conf/all/rp_filter
        outside_host
        ip -n outside route add 10.0.0.0/8 via 203.0.113.1
        ip route add default via 203.0.113.2
        # A slow upstream: every A query answered with 198.51.100.7 after a second; it logs
        # who asked.
        cat > $T/upstream.py <<'PY'
import socket, sys, threading, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.2", 53))
log = open(sys.argv[1], "a", buffering=1)
def reply(data, addr):
    time.sleep(1.0)
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([198, 51, 100, 7])
    end = data.index(b"\0", 12) + 5  # the question alone: name, type, class
    s.sendto(data[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + data[12:end] + answer, addr)
while True:
    data, addr = s.recvfrom(4096)
    log.write(addr[0] + "\n")
    threading.Thread(target=reply, args=(data, addr), daemon=True).start()
PY
        touch $T/upstream.log
        ip netns exec outside timeout 120 python3 $T/upstream.py $T/upstream.log &
        for _ in $(seq 100); do ip netns exec outside ss -H -lnu "sport = :53" | grep -q . && break; sleep 0.02; done
        printf 'nameserver 203.0.113.2\noptions timeout:1 attempts:1\n' > $T/resolv.conf
        mount --bind $T/resolv.conf /etc/resolv.conf
        ctnet network create --subnet 10.82.0.0/24 n >/dev/null
        for s in a b c; do ctnet sandbox create $s >/dev/null; ctnet connect n $s; done
        ctnet dns serve 2>$T/dns.err & 
        for _ in $(seq 50); do grep -q 'listening on 10.82.0.1' $T/dns.err && break; sleep 0.1; done
        grep -q 'listening on 10.82.0.1:53 (ctn-' $T/dns.err || die "dns serve: $(cat $T/dns.err)"
        ask() { ip netns exec "$1" dig +short +time=4 +tries=1 @10.82.0.1 "$2"; }
        [ "$(ask b first.example)" = 198.51.100.7 ] || die "forwarding does not work: $(ask b first.example; cat $T/dns.err $T/upstream.log)"
        # An outside host takes a's address and asks: nothing is relayed.
        before=$(wc -l <$T/upstream.log)
        ip -n outside addr add 10.82.0.2/32 dev eth0
        for i in $(seq 20); do
          ip netns exec outside dig -b 10.82.0.2 +time=1 +tries=1 @10.82.0.1 spoof$i.example >/dev/null 2>&1 &
        done
        wait_spoof() { for _ in $(seq 30); do [ -z "$(jobs -p | xargs -r ps -o comm= -p 2>/dev/null | grep dig)" ] && return; sleep 0.1; done; }
        wait_spoof; sleep 1.2
        [ "$(wc -l <$T/upstream.log)" = "$before" ] || die "$(( $(wc -l <$T/upstream.log) - before )) spoofed queries were relayed upstream"
        ip -n outside addr del 10.82.0.2/32 dev eth0
        # a floods the resolver with 300 queries for names only the upstream knows...
        ip netns exec a python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(300):
    name = b"".join(bytes([len(p)]) + p for p in [b"flood%d" % i, b"example"]) + b"\0"
    s.sendto(i.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + name + b"\x00\x01\x00\x01", ("10.82.0.1", 53))
PY
        # ...and b's lookup, right behind it, is still answered, not SERVFAIL.
        [ "$(ask b second.example)" = 198.51.100.7 ] || die "b was starved by a's flood"
        [ "$(grep -c 10.82.0.2 $T/upstream.log || true)" = 0 ] || true
        flood=$(( $(wc -l <$T/upstream.log) - before - 1 ))
        [ "$flood" -le 16 ] || die "a had $flood queries relayed at once, beyond its own budget"
        # The network's bridge deleted and made again by gc: the resolver follows it, also
        # when the same gc changes state.json (it drops c, whose namespace is gone).
        ip link del $(ip -o link show | grep -o 'ctn-[0-9a-f]\{10\}' | head -1)
        ip netns del c
        ctnet gc >/dev/null
        for _ in $(seq 30); do [ "$(ask a b 2>/dev/null)" = 10.82.0.3 ] && break; sleep 0.2; done
        [ "$(ask a b)" = 10.82.0.3 ] || die "the resolver did not follow its bridge: $(cat $T/dns.err)"
    "#);
}

/// Item 5: modes are ctnet's whatever the umask, and links planted in the state tree or
/// under /run/netns are never followed.
#[test]
fn modes_are_explicit_and_planted_links_are_not_followed() {
    ok(r#"
        umask 000
        ctnet network create --subnet 10.84.0.0/24 lab >/dev/null
        ctnet sandbox create s1 >/dev/null; ctnet connect lab s1
        for d in /var/lib/ctnet /var/lib/ctnet/sandboxes /var/lib/ctnet/etc /var/lib/ctnet/etc/s1 /var/lib/ctnet/names; do
          [ "$(stat -c %a $d)" = 755 ] || die "$d has mode $(stat -c %a $d) under umask 000"
        done
        [ "$(stat -c %a /var/lib/ctnet/state.json)" = 600 ] || die "state.json: $(stat -c %a /var/lib/ctnet/state.json)"
        [ "$(stat -c %a /var/lib/ctnet/names/lab-*.hosts)" = 644 ] || die "lab's shared hosts: $(stat -c %a /var/lib/ctnet/names/lab-*.hosts)"
        # etc/NAME made a link to someone's directory: sandbox rm deletes nothing there.
        mkdir $T/victim; echo keep > $T/victim/hosts; echo keep > $T/victim/resolv.conf
        rm -rf /var/lib/ctnet/etc/s1; ln -s $T/victim /var/lib/ctnet/etc/s1
        ctnet sandbox rm s1 >/dev/null 2>&1 || true
        [ "$(cat $T/victim/hosts $T/victim/resolv.conf)" = "keep
keep" ] || die "files deleted or written through a link"
        # /run/netns/NAME made a link to a mount point: removing the sandbox unmounts nothing.
        ctnet sandbox create s2 >/dev/null
        mkdir $T/mnt; mount -t tmpfs tmpfs $T/mnt
        umount /run/netns/s2; rm /run/netns/s2; ln -s $T/mnt /run/netns/s2
        ctnet sandbox rm s2 >/dev/null 2>&1 || true
        mountpoint -q $T/mnt || die "ctnet unmounted what a planted link pointed to"
        umount $T/mnt
    "#);
}
