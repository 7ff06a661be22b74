//! Issue 5: crashes at every step, `gc`, `restore`.

mod common;
use common::ok;

/// A debug build aborts at crash point N (CTNET_CRASH_AFTER=N): after each kernel step and
/// each file write. For every point of every command, `ctnet gc` must bring state and
/// kernel into agreement, and ctnet must keep working.
#[test]
fn a_crash_at_any_step_is_repaired_by_gc() {
    let out = ok(r#"
        ctnet network create --subnet 10.50.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create keep >/dev/null
        ctnet connect lab keep -p 7070:70
        matrix() { # NAME SETUP COMMAND
          local n=1
          while :; do
            eval "$2" >/dev/null 2>&1 || true
            agree || die "$1: disagree before crash point $n"
            rc=0; CTNET_CRASH_AFTER=$n bash -c "$3" >/dev/null 2>"$T/crash" || rc=$?
            crashed=$(grep -c 'crash point' "$T/crash" || true)
            python3 "$SUPPORT/reserved.py" || die "$1: a crash at point $n left free what a sandbox file holds"
            ctnet gc >/dev/null || die "$1: gc failed after crash point $n"
            agree || die "$1: state and kernel disagree after a crash at point $n"
            [ "$crashed" = 1 ] || break
            n=$((n + 1))
          done
          [ $n -gt 2 ] || die "$1: no crash point was reached; are crash points compiled in?"
          echo "$1 $((n - 1))"
        }
        matrix connect 'ctnet disconnect lab a' 'ctnet connect lab a -p 8080:80'
        matrix disconnect 'ctnet connect lab a -p 8080:80' 'ctnet disconnect lab a'
        matrix publish 'ctnet connect lab a; ctnet unpublish a 9090:90' 'ctnet publish a 9090:90'
        matrix unpublish 'ctnet connect lab a; ctnet publish a 9090:90' 'ctnet unpublish a 9090:90'
        matrix network-create 'ctnet network rm tmp' 'ctnet network create --subnet 10.99.0.0/24 tmp'
        matrix network-rm 'ctnet network create --subnet 10.99.0.0/24 tmp' 'ctnet network rm tmp'
        matrix sandbox-rm 'ctnet sandbox create b; ctnet connect lab b -p 6060:60' 'ctnet sandbox rm b'
        matrix sandbox-create 'ctnet sandbox rm d' 'ctnet sandbox create d'
        # Dual stack: IPv6 addresses, routes and DNAT elements too.
        ctnet network create --ipv6 --subnet 10.49.0.0/24 --subnet fd00:49::/64 ds >/dev/null
        matrix connect-dual-stack 'ctnet disconnect ds a' 'ctnet connect ds a -p 8181:81'
        matrix disconnect-dual-stack 'ctnet connect ds a -p 8181:81' 'ctnet disconnect ds a'
        # A lab whose node gives up one of two adjacent ports: its endpoint is made again in
        # one command, and the port it gives up stays reserved until its file is written.
        printf '%s\n' 'name: crashlab' 'networks:' '  front: {subnet: 10.48.0.0/24}' \
          'nodes:' '  web: {networks: {front: {ports: ["8090:80", "8091:81"]}}}' >$T/v1.yaml
        sed 's/, "8091:81"//' $T/v1.yaml >$T/v2.yaml
        matrix lab-ports "ctnet lab up -f $T/v1.yaml" "ctnet lab up -f $T/v2.yaml"
        [ "$(ls /run/netns | grep -c '^d$')" = "$(ctnet sandbox ls -q | grep -c '^d$')" ] || die "namespace d without its sandbox"
        # After all that, ctnet still works: a fresh connect talks to the survivor.
        ctnet sandbox create c >/dev/null; ctnet connect lab c
        reaches c 10.50.0.2 || die "no traffic after the crash matrix"
    "#);
    // Every command had several points, so the matrix covered more than a trivial case.
    for line in out.lines() {
        let points: u32 = line.split(' ').nth(1).unwrap().parse().unwrap();
        assert!(points >= 2, "{line}");
    }
    assert_eq!(out.lines().count(), 11, "{out}");
}

#[test]
fn gc_removes_dead_containers_and_unknown_links() {
    let out = ok(r#"
        ctnet network create --subnet 10.51.0.0/24 lab >/dev/null
        unshare --net sleep 60 & pid=$!
        wait_netns $pid
        ctnet connect lab web --pid $pid -p 8080:80
        ctnet sandbox create other >/dev/null; ctnet connect lab other
        # A veth named like ctnet's that the state does not know (a crash before its tag:
        # a veth is born on its bridge), and a user's look-alike on no bridge, left alone.
        bridge=$(ip -o link show | grep -o 'ctn-[0-9a-f]\{10\}' | head -1)
        ip link add vctn0123456789a master $bridge type veth peer name stray
        ip link add vctnaaaaaaaaaaa type veth peer name mine
        ip link add ctn-bbbbbbbbbb address 02:42:0a:33:00:01 type bridge
        kill $pid; wait $pid 2>/dev/null || true
        ctnet --dry-run gc | grep '^would remove' | sed 's/ [^ ]*$//' | sort
        agree && die "agree should see the dead container's leftovers"
        ctnet gc | sed 's/ [^ ]*$//' | sort >/dev/null
        agree || die "gc left disagreement"
        ip link show vctnaaaaaaaaaaa >/dev/null || die "gc removed a user's look-alike link"
        ip link show ctn-bbbbbbbbbb >/dev/null || die "gc removed a user's look-alike bridge"
        [ "$(ctnet sandbox ls -q)" = other ] || die "sandboxes: $(ctnet sandbox ls -q)"
        # The address and port are free again.
        ctnet sandbox create next >/dev/null; ctnet connect lab next --ip 10.51.0.2 -p 8080:80
        [ -z "$(ctnet gc)" ] || die "second gc found something"
        # A path that now names another namespace (a reused PID looks the same) is not the
        # sandbox any more: ctnet refuses to use it, and gc removes the sandbox.
        ip netns add x1
        ctnet connect lab reused --netns /run/netns/x1
        veth=$(ctnet sandbox inspect reused | json 'd[0]["Networks"]["lab"]["HostInterfaceName"]')
        ip netns del x1; ip netns add x1
        # The old namespace goes away in the background, taking its veth: wait for it.
        for i in $(seq 50); do ip link show "$veth" >/dev/null 2>&1 || break; sleep 0.1; done
        sleep 0.2
        fails "is gone" ctnet connect bridge reused
        ctnet gc | grep -q "removed sandbox reused" || die "gc kept the sandbox of a replaced namespace"
        [ -z "$(ip -n x1 -o link show eth0 2>/dev/null)" ] || die "something was put into the new namespace"
    "#);
    assert!(
        out.contains("would remove sandbox web: its namespace"),
        "{out}"
    );
    assert!(
        out.contains("would remove link vctn0123456789a: named like ctnet's but unknown to the"),
        "{out}"
    );
}

#[test]
fn restore_rebuilds_everything_after_a_reboot_and_is_idempotent() {
    ok(r#"
        ctnet network create --subnet 10.52.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect lab a -p 8080:80; ctnet connect lab b; ctnet connect bridge b
        before=$(ctnet network inspect lab bridge | json '[(n["Name"], sorted(c["IPv4Address"] for c in n["Containers"].values())) for n in d]')
        unshare --net sleep 60 & pid=$!
        wait_netns $pid
        ctnet connect lab gone --pid $pid
        # "Reboot": every namespace, link and the nft table disappear; the state stays.
        kill $pid; wait $pid 2>/dev/null || true
        for ns in $(ls /run/netns); do ip netns del $ns; done
        for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$'); do ip link del $l 2>/dev/null || true; done
        nft delete table inet ctnet
        ctnet restore >"$T/out" 2>"$T/err"
        grep -q "cannot restore sandbox gone" "$T/err" || die "no report for the dead --pid sandbox: $(cat $T/err)"
        ctnet gc >/dev/null
        agree || die "restore left disagreement"
        [ "$(ctnet network inspect lab bridge | json '[(n["Name"], sorted(c["IPv4Address"] for c in n["Containers"].values())) for n in d]')" = "$before" ] \
          || die "network contents changed"
        reaches a 10.52.0.3 || die "a cannot reach b after restore"
        ip netns exec a timeout 10 socat TCP-LISTEN:80,reuseaddr SYSTEM:'echo back' &
        sleep 0.3
        [ "$(timeout 3 socat -T2 - TCP:127.0.0.1:8080 </dev/null)" = back ] || die "published port not restored"
        # Idempotent: a second restore restores nothing and changes nothing.
        snap=$(snapshot)
        [ -z "$(ctnet restore)" ] || die "second restore restored something"
        [ "$snap" = "$(snapshot)" ] || die "second restore changed something"
    "#);
}

/// A state.json written before the member lists became text (JSON objects, no `free_from4`)
/// works with connect and disconnect, which read it lazily, and with everything else; the
/// next save writes the lists as text, and the lowest free address is still handed out.
#[test]
fn a_state_from_before_member_lists_were_text_is_taken_over() {
    ok(r#"
        ctnet network create --subnet 10.53.0.0/24 --ipv6 --subnet fd53::/64 lab >/dev/null
        for s in a b c d; do ctnet sandbox create $s >/dev/null; ctnet connect lab $s --alias al-$s; done
        ctnet connect lab a --ip 10.53.0.9 2>/dev/null && die "a second endpoint for a"
        python3 - <<'PY'
import json
p = "/var/lib/ctnet/state.json"
s = json.load(open(p))
lab = [n for n in s["networks"] if n["name"] == "lab"][0]
for index in ("members", "members6", "aliases"):
    text = lab[index]
    assert isinstance(text, str) and text, (index, text)
    entries = dict(e.split("=", 1) for e in text.split())
    lab[index] = {k: v.split(",") if index == "aliases" else v for k, v in entries.items()}
del lab["free_from4"]
json.dump(s, open(p, "w"))
PY
        agree || die "the older form disagrees"
        ctnet disconnect lab b
        ctnet sandbox create e >/dev/null; ctnet connect lab e --alias al-e
        ip -n e -4 -o addr show eth0 | grep -q ' 10.53.0.3/' || die "the freed lowest address was not handed out: $(ip -n e -o addr)"
        ip netns exec a getent ahostsv4 al-e | grep -q 10.53.0.3 || die "a does not see e's alias"
        python3 -c 'import json; s=json.load(open("/var/lib/ctnet/state.json")); lab=[n for n in s["networks"] if n["name"]=="lab"][0]; assert all(isinstance(lab[i], str) for i in ("members", "members6", "aliases")), lab'
        agree || die "state and kernel disagree after the older state was taken over"
        ctnet network inspect lab | json 'sorted(c["Name"] for c in d[0]["Containers"].values())' | grep -qx "\['a', 'c', 'd', 'e'\]" || die "inspect: $(ctnet network inspect lab)"
    "#);
}

/// A sandbox file written before published ports had a file of their own (kept in the
/// JSON, a string per mapping) works with publish and unpublish, which move them to the
/// ports file, and with everything else.
#[test]
fn a_sandbox_file_with_its_ports_inside_is_taken_over() {
    ok(r#"
        ctnet network create --subnet 10.54.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null
        ctnet connect lab a -p 8080:80 -p 8081:81 -p 9000-9001:9000-9001/udp
        python3 - <<'PY'
import json, os
d = "/var/lib/ctnet/sandboxes"
lines = open(f"{d}/a.ports").read().splitlines()
ports = dict(line.split(" ", 1) for line in lines)
f = json.load(open(f"{d}/a.json"))
for ep in f["endpoints"]:
    ep["ports"] = ports[ep["id"]].split(" ")
json.dump(f, open(f"{d}/a.json", "w"))
os.remove(f"{d}/a.ports")
p = "/var/lib/ctnet/state.json"
s = json.load(open(p))
s["version"] = 2
json.dump(s, open(p, "w"))
PY
        agree || die "the older form disagrees"
        [ "$(ctnet port a | wc -l)" = 4 ] || die "ports of the older form: $(ctnet port a)"
        ctnet unpublish a 8081:81
        ctnet publish a 8082:82 >/dev/null
        agree || die "state and kernel disagree after the older file was taken over"
        grep -q '"ports"' /var/lib/ctnet/sandboxes/a.json && die "ports left in the JSON"
        [ "$(ctnet port a | sort | tr '\n' ' ')" = "80/tcp -> 0.0.0.0:8080 82/tcp -> 0.0.0.0:8082 9000/udp -> 0.0.0.0:9000 9001/udp -> 0.0.0.0:9001 " ] \
          || die "ports after: $(ctnet port a)"
        # The state is saved as this version's: an older ctnet refuses it rather than not
        # seeing the ports file and freeing its ports.
        json 'd.get("version")' < /var/lib/ctnet/state.json | grep -qx 3 || die "state version not raised"
        # A ports file whose sandbox has no file (a command stopped between the two) goes at gc.
        echo "$(printf '%064d' 0) 0.0.0.0:1->1/tcp" > /var/lib/ctnet/sandboxes/gone.ports
        ctnet gc | grep -q 'gone.ports: published ports of a sandbox that has no file' || die "gc did not report the orphan"
        [ -e /var/lib/ctnet/sandboxes/gone.ports ] && die "orphan ports file left"
        agree
    "#);
}

/// 64 invocations at once, mixing connect, disconnect, publish and network create/rm:
/// the lock serializes them, and afterwards state and kernel agree exactly.
#[test]
fn sixty_four_parallel_invocations_leave_state_and_kernel_in_agreement() {
    ok(r#"
        ctnet network create --subnet 10.64.0.0/22 lab >/dev/null
        for i in $(seq 16); do ctnet sandbox create s$i >/dev/null; done
        for i in $(seq 8); do ctnet connect lab s$i; done
        for i in $(seq 16); do
          ctnet connect lab s$((i + 8 > 16 ? i : i + 8)) >/dev/null 2>&1 &
          ctnet disconnect lab s$i >/dev/null 2>&1 &
          ctnet publish s$i $((8000 + i)):80 >/dev/null 2>&1 &
          if [ $((i % 2)) = 0 ]; then ctnet network create n$i >/dev/null 2>&1 &
          else ctnet network rm n$((i - 1)) >/dev/null 2>&1 & fi
        done
        wait
        agree || die "state and kernel disagree after the parallel mix"
        [ "$(ip -o link show | grep -c vctn)" = "$(ctnet network inspect lab | json 'len(d[0]["Containers"])')" ] || die "veths and endpoints differ"
    "#);
}

#[test]
fn hostile_input_and_broken_state_change_nothing() {
    ok(r#"
        ctnet network create --subnet 10.70.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null; ctnet connect lab a
        # Names and values that would be nft or shell syntax are refused or never reach nft.
        fails "invalid network name" ctnet network create 'x"; flush ruleset; "'
        fails "invalid bridge.name" ctnet network create -o 'bridge.name=a"}' x
        fails "invalid sandbox name" ctnet sandbox create '$(reboot)'
        fails "invalid alias name" ctnet connect lab a --alias 'a b'
        rules=$(nft list ruleset)
        ctnet network create --label 'note="; flush ruleset; "' labelled >/dev/null
        [ "$(nft list ruleset | grep -c flush)" = 0 ] || die "a label reached nft"
        ctnet network rm labelled >/dev/null
        [ "$(nft list ruleset)" = "$rules" ] || die "ruleset changed"
        # Hand-edited state files are reported precisely and left as they are.
        cp /var/lib/ctnet/state.json "$T/good"
        python3 - <<'PY'
import json
s = json.load(open("/var/lib/ctnet/state.json"))
default = [n for n in s["networks"] if n["name"] == "bridge"][0]
default["ipam"][0]["subnet"] = "10.70.0.0/16"
json.dump(s, open("/var/lib/ctnet/state.json", "w"))
PY
        edited=$(cat /var/lib/ctnet/state.json)
        fails "overlaps subnet" ctnet network ls
        [ "$(cat /var/lib/ctnet/state.json)" = "$edited" ] || die "state rewritten"
        cp "$T/good" /var/lib/ctnet/state.json
        python3 - <<'PY'
import json
s = json.load(open("/var/lib/ctnet/state.json"))
lab = [n for n in s["networks"] if n["name"] == "lab"][0]
a = dict(e.split("=") for e in lab["members"].split())["a"]
lab["members"] += " ghost=" + a
json.dump(s, open("/var/lib/ctnet/state.json", "w"))
PY
        # (connect and disconnect read only the entries they change: any other command
        # checks every list.)
        fails "is held by both" ctnet sandbox create b
        cp "$T/good" /var/lib/ctnet/state.json
        # A read-only or full state directory fails before the kernel is touched.
        ctnet sandbox create b >/dev/null
        mount -o remount,ro /var/lib/ctnet
        fails "read-only\|cannot" ctnet connect lab b
        mount -o remount,rw /var/lib/ctnet
        agree || die "state and kernel disagree"
    "#);
}

/// A full disk: the new files cannot be written, so the kernel is never touched.
#[test]
fn a_full_state_directory_fails_before_the_kernel() {
    ok(r#"
        ctnet network create --subnet 10.71.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null
        # Move the state onto a tiny filesystem, then fill it.
        mkdir -p "$T/state"; cp -a /var/lib/ctnet/. "$T/state/"
        mount -t tmpfs -o size=256k tmpfs /var/lib/ctnet
        cp -a "$T/state/." /var/lib/ctnet/
        dd if=/dev/zero of=/var/lib/ctnet/filler bs=4k 2>/dev/null || true
        fails "No space left\|cannot save" ctnet connect lab a
        rm /var/lib/ctnet/filler
        ctnet connect lab a
        agree || die "state and kernel disagree after the disk had room again"
    "#);
}
