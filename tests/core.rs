//! Issue 2, end to end: networks, sandboxes and endpoints on the real kernel.

mod common;
use common::{ok, run};
use serde_json::json;

#[test]
fn fresh_host_has_bridge_host_and_none() {
    let out = ok(r#"
        echo 0 > /proc/sys/net/ipv4/ip_forward
        ctnet network ls
        # Listing shows the default networks without making them: reading changes nothing.
        ! ip link show ctnet0 >/dev/null 2>&1 || die "ls made ctnet0"
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || die "ls turned forwarding on"
        ctnet sandbox create first >/dev/null
        ip -j addr show ctnet0 | json 'd[0]["addr_info"][0]["local"] + "/" + str(d[0]["addr_info"][0]["prefixlen"])'
        ctnet network inspect bridge | json 'd[0]["IPAM"]["Config"][0]["Subnet"], d[0]["Options"]["com.docker.network.bridge.name"]'
        nft list table inet ctnet >/dev/null
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || die "forwarding is off"
        fails "pre-defined" ctnet network rm bridge
        fails "pre-defined" ctnet network rm host
        fails "pre-defined" ctnet network rm none
        fails "only one instance" ctnet network create -d host h2
        ctnet sandbox create a
        fails "host network" ctnet connect host a
        fails "none network" ctnet connect none a
    "#);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NETWORK ID"), "{out}");
    for name in ["bridge", "host", "none"] {
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().nth(1) == Some(name)),
            "{name} missing:\n{out}"
        );
    }
    assert!(out.contains("172.17.0.1/16"), "{out}");
    assert!(out.contains("172.17.0.0/16 ctnet0"), "{out}");
}

#[test]
fn default_pools_skip_host_addresses_and_routes() {
    let out = ok(r#"
        # A host that already uses 172.17.5.0/24 on a link and routes 172.18.0.0/15 elsewhere.
        uplink 172.17.5.1/24
        ip route add 172.18.0.0/15 dev uplink
        ctnet network inspect bridge | json 'd[0]["IPAM"]["Config"][0]["Subnet"]'
        ctnet network create n1 >/dev/null
        ctnet network inspect n1 | json 'd[0]["IPAM"]["Config"][0]["Subnet"]'
        fails "overlaps with network bridge" ctnet network create --subnet 172.20.0.0/24 clash
    "#);
    assert_eq!(out, "172.20.0.0/16\n172.21.0.0/16\n");
}

#[test]
fn create_ls_and_inspect_agree_with_the_kernel() {
    let out = ok(r#"
        id=$(ctnet network create --subnet 10.77.0.0/16 --gateway 10.77.0.254 --ip-range 10.77.5.0/24 \
              --aux-address router=10.77.5.1 --label team=blue --label env -o mtu=1400 \
              -o com.docker.network.bridge.name=br-lab lab 2>&1) || die "create: $id"
        [ ${#id} = 64 ] || die "id is not 64 characters: $id"
        ctnet network ls --filter name=la -q | grep -qx "${id:0:12}" || die "ls -q"
        ctnet network ls --filter label=team=blue | grep -q ' lab ' || die "label filter"
        [ -z "$(ctnet network ls --filter label=team=red -q)" ] || die "label filter matched red"
        [ "$(ctnet network ls --filter type=custom -q)" = "${id:0:12}" ] || die "type=custom"
        [ "$(ctnet network ls --filter type=builtin -q | wc -l)" = 3 ] || die "type=builtin"
        echo "{\"id\": \"$id\"}" | emit created
        ctnet network ls --format json | grep '"Name":"lab"' | emit ls
        ctnet network inspect "${id:0:5}" | emit inspect
        ip -j -d link show br-lab | emit link
        ip -j addr show br-lab | emit address
        ctnet sandbox create s1 >/dev/null
        ctnet connect lab s1
        ip -n s1 -j link show eth0 | emit eth0
        ctnet network inspect lab | emit connected
    "#);
    let got = common::emitted(&out);
    let id = got["created"]["id"].as_str().unwrap();
    let ls = &got["ls"];
    assert_eq!(
        (ls["ID"].as_str(), ls["Driver"].as_str()),
        (Some(&id[..12]), Some("bridge"))
    );
    assert!(ls["Labels"].as_str().unwrap().contains("team=blue"), "{ls}");
    let inspect = &got["inspect"][0];
    assert_eq!(
        (inspect["Name"].as_str(), inspect["Id"].as_str()),
        (Some("lab"), Some(id))
    );
    assert_eq!(
        inspect["IPAM"]["Config"][0],
        json!({"Subnet": "10.77.0.0/16", "Gateway": "10.77.0.254", "IPRange": "10.77.5.0/24",
               "AuxiliaryAddresses": {"router": "10.77.5.1"}})
    );
    assert_eq!(inspect["Labels"], json!({"env": "", "team": "blue"}));
    assert_eq!(inspect["Options"]["mtu"], "1400");
    let link = &got["link"][0];
    assert_eq!(link["mtu"], 1400);
    assert_eq!(link["linkinfo"]["info_kind"], "bridge");
    assert_eq!(
        link["ifalias"].as_str(),
        Some(format!("ctnet:{id}").as_str())
    );
    assert_eq!(got["address"][0]["addr_info"][0]["local"], "10.77.0.254");
    assert_eq!(got["eth0"][0]["mtu"], 1400);
    // The ip-range's first address: inside a /16 it is an ordinary host address, as in Docker.
    let containers = got["connected"][0]["Containers"].as_object().unwrap();
    let first = containers.values().next().unwrap();
    assert_eq!(first["IPv4Address"], "10.77.5.0/16");
    // How full the subnet is: before the connect, the gateway and the aux address; after
    // it, a member too, and the range has one address fewer.
    assert_eq!(
        inspect["AddressUsage"],
        json!([{"Subnet": "10.77.0.0/16", "Size": 65534, "Used": 2, "Free": 255}])
    );
    assert_eq!(
        got["connected"][0]["AddressUsage"],
        json!([{"Subnet": "10.77.0.0/16", "Size": 65534, "Used": 3, "Free": 254}])
    );
    assert_eq!(ls["AddressUsage"][0]["Free"], 255);
}

#[test]
fn two_sandboxes_talk_and_get_dockers_addresses() {
    let out = ok(r#"
        ctnet network create --subnet 10.10.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect lab a; ctnet connect lab b
        reaches a 10.10.0.3 || die "a cannot reach b"
        reaches b 10.10.0.2 || die "b cannot reach a"
        reaches a 10.10.0.1 || die "a cannot reach the gateway"
        ip -n a -j link show eth0 | json 'd[0]["address"], d[0]["operstate"]'
        ip -n a -j link show lo | json '"UP" in d[0]["flags"]'
        [ -z "$(ip -n a -6 addr show eth0)" ] || die "IPv6 link-local on an IPv4 endpoint"
        [ -z "$(ip -6 addr show | grep -A2 vctn)" ] || die "IPv6 link-local on a host-side veth"
        ip -n a route show default
        ctnet sandbox inspect a | json 'd[0]["Networks"]["lab"]["IPAddress"], d[0]["Networks"]["lab"]["InterfaceName"]'
    "#);
    assert_eq!(
        out,
        "02:42:0a:0a:00:02 UP\nTrue\ndefault via 10.10.0.1 dev eth0 \n10.10.0.2 eth0\n"
    );
}

#[test]
fn networks_are_isolated_and_a_sandbox_on_both_reaches_both() {
    ok(r#"
        ctnet network create --subnet 10.1.0.0/24 n1 >/dev/null
        ctnet network create --subnet 10.2.0.0/24 n2 >/dev/null
        for s in a b c; do ctnet sandbox create $s >/dev/null; done
        ctnet connect n1 a; ctnet connect n2 b
        ctnet connect n1 c; ctnet connect n2 c
        [ "$(ip_of c eth1)" = 10.2.0.3 ] || die "c's second interface: $(ip -n c addr)"
        reaches c 10.1.0.2 || die "c cannot reach a"
        reaches c 10.2.0.2 || die "c cannot reach b"
        ! reaches a 10.2.0.2 || die "a reached b across networks"
        ! reaches b 10.1.0.2 || die "b reached a across networks"
        # The first network connected gives the default route; it moves when that one leaves.
        ip -n c route show default | grep -q 'via 10.1.0.1 dev eth0' || die "default route: $(ip -n c route)"
        ctnet disconnect n1 c
        ip -n c route show default | grep -q 'via 10.2.0.1 dev eth1' || die "moved route: $(ip -n c route)"
        ctnet sandbox inspect c | json 'd[0]["Networks"]["n2"]["DefaultRoute"]' | grep -qx True || die "state route"
        # An interface removed behind ctnet's back: a plain disconnect refuses and changes
        # nothing, -f does what it can and forgets the endpoint.
        ctnet connect n1 c
        ip -n c link del eth0
        fails "cannot add a default route" ctnet disconnect n2 c
        ctnet disconnect -f n2 c 2>"$T/warn"
        grep -q '^ctnet: warning: ' "$T/warn" || die "no warning: $(cat $T/warn)"
        ctnet disconnect n1 c
        [ "$(ctnet sandbox inspect c | json 'len(d[0]["Networks"])')" = 0 ] || die "endpoints left"
    "#);
}

#[test]
fn static_addresses_ranges_and_aux_addresses_are_honoured() {
    ok(r#"
        ctnet network create --subnet 10.5.0.0/24 --ip-range 10.5.0.128/30 --aux-address printer=10.5.0.130 lab >/dev/null
        for s in a b c d; do ctnet sandbox create $s >/dev/null; done
        ctnet connect lab a --ip 10.5.0.50
        [ "$(ip_of a)" = 10.5.0.50 ] || die "static ip"
        ctnet connect lab b
        [ "$(ip_of b)" = 10.5.0.128 ] || die "range start: $(ip_of b)"
        ctnet connect lab c
        [ "$(ip_of c)" = 10.5.0.129 ] || die "next: $(ip_of c)"
        ctnet connect lab d
        [ "$(ip_of d)" = 10.5.0.131 ] || die "aux not skipped: $(ip_of d)"
        ctnet sandbox create f >/dev/null
        fails "no free address" ctnet connect lab f
        fails "already in use" ctnet connect lab f --ip 10.5.0.50
        fails "reserved" ctnet connect lab f --ip 10.5.0.130
        fails "reserved" ctnet connect lab f --ip 10.5.0.1
        fails "not a usable address" ctnet connect lab f --ip 10.6.0.9
        fails "not a usable address" ctnet connect lab f --ip 10.5.0.255
        # Addresses are released on disconnect and handed out again.
        ctnet disconnect lab c
        ctnet connect lab f
        [ "$(ip_of f)" = 10.5.0.129 ] || die "released address not reused: $(ip_of f)"
        ctnet sandbox create e >/dev/null
        ctnet connect lab e --ip 10.5.0.60 --mac 02:00:00:00:00:aa --ifname lan0
        ip -n e -j link show lan0 | json 'd[0]["address"]' | grep -qx 02:00:00:00:00:aa || die "mac"
    "#);
}

#[test]
fn bad_input_changes_nothing() {
    ok(r#"
        ctnet network create --subnet 10.9.0.0/24 lab >/dev/null
        ctnet sandbox create a >/dev/null
        ctnet connect lab a
        fails "invalid subnet" ctnet network create --subnet 10.0.0.0/33 x
        fails "invalid subnet" ctnet network create --subnet banana x
        fails "it should be 10.3.0.0/16" ctnet network create --subnet 10.3.0.1/16 x
        fails "overlaps with network lab" ctnet network create --subnet 10.9.0.128/25 x
        fails "gateway" ctnet network create --subnet 10.3.0.0/24 --gateway 10.4.0.1 x
        fails "ip-range" ctnet network create --subnet 10.3.0.0/24 --ip-range 10.4.0.0/28 x
        fails "aux-address" ctnet network create --subnet 10.3.0.0/24 --aux-address r=10.4.0.9 x
        fails "needs an IPv4 --subnet" ctnet network create --gateway 10.3.0.1 x
        fails "unknown driver" ctnet network create -d warp x
        fails "unknown bridge option" ctnet network create -o colour=blue x
        fails "invalid mtu" ctnet network create -o mtu=12 x
        fails "invalid network name" ctnet network create "bad name"
        fails "invalid network name" ctnet network create -- -x
        fails "too long" ctnet network create "$(printf 'n%.0s' $(seq 65))"
        fails "already exists" ctnet network create lab
        fails "not found" ctnet network rm nosuch
        fails "not found" ctnet network inspect nosuch
        fails "active endpoints" ctnet network rm lab
        fails "not found" ctnet connect nosuch a
        fails "ctnet sandbox create ghost" ctnet connect lab ghost
        fails "does not exist" ctnet connect lab ghost --pid 999999
        fails "not a network namespace" ctnet connect lab ghost --netns /etc/hostname
        fails "own network namespace" ctnet connect lab ghost --netns /proc/self/ns/net
        fails "invalid bridge.name" ctnet network create -o 'bridge.name=a"b' x
        fails "invalid bridge.name" ctnet network create -o bridge.name=.. x
        fails "not usable" ctnet network create --subnet 127.0.0.0/8 x
        fails "not usable" ctnet network create --subnet 224.1.0.0/16 x
        fails "invalid interface name" ctnet connect lab a --ifname 'e;th' 
        fails "already connected" ctnet connect lab a
        fails "invalid --ip" ctnet connect lab a --ip 1.2.3
        fails "invalid MAC" ctnet connect lab a --mac zz
        fails "not connected" ctnet disconnect bridge a
        fails "not found" ctnet disconnect lab ghost
        fails "already exists" ctnet sandbox create a
        fails "invalid sandbox name" ctnet sandbox create "a/b"
        fails "not found" ctnet sandbox rm ghost
        # An interface that is already in the sandbox: the kernel refuses, ctnet undoes.
        ctnet sandbox create b >/dev/null
        ip -n b link add eth0 type veth peer name other
        fails "exists already" ctnet connect lab b
        # A failure after the veth exists (the namespace has a default route of its own):
        # the veth is removed again and nothing is recorded.
        ip netns add routed
        ip -n routed link add d0 type veth peer name d1
        ip -n routed addr add 192.0.2.1/24 dev d0; ip -n routed link set d0 up
        ip -n routed route add default via 192.0.2.254
        fails "already has a default route" ctnet connect lab routed
        ! ip -n routed link show eth0 2>/dev/null || die "eth0 left behind in routed"
        # Usage errors exit 2.
        rc=0; ctnet network create 2>/dev/null || rc=$?; [ $rc = 2 ] || die "usage error exited $rc"
        rc=0; ctnet frobnicate 2>/dev/null || rc=$?; [ $rc = 2 ] || die "unknown verb exited $rc"
    "#);
}

#[test]
fn not_root_is_refused_and_changes_nothing() {
    ok(r#"
        ctnet network ls >/dev/null
        chmod 755 /var/lib/ctnet
        fails "must run as root" setpriv --reuid 65534 --regid 65534 --clear-groups ctnet network create x
    "#);
}

#[test]
fn removal_leaves_nothing_behind() {
    ok(r#"
        ctnet gc >/dev/null
        baseline_links=$(ctnet_links); baseline_nft=$(nft list ruleset)
        ctnet network create --subnet 10.8.0.0/24 -o icc=false lab >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect lab a; ctnet connect lab b; ctnet connect bridge b
        ip netns add byhand
        ctnet connect lab byhand
        ctnet disconnect lab a
        ! ip -n a link show eth0 2>/dev/null || die "eth0 left in a"
        ctnet sandbox rm a b
        ctnet disconnect lab byhand
        ip -n byhand link show eth0 2>/dev/null && die "eth0 left in byhand"
        ctnet network rm lab lab
        [ "$(ctnet_links)" = "$baseline_links" ] || die "links left: $(ctnet_links)"
        [ "$(nft list ruleset)" = "$baseline_nft" ] || die "rules left: $(nft list ruleset)"
        [ "$(ls /run/netns)" = byhand ] || die "namespaces left: $(ls /run/netns)"
        [ -z "$(ip -o link show | grep vctn)" ] || die "veths left"
        [ "$(ls /var/lib/ctnet/sandboxes)" = byhand.json ] || die "sandbox files left: $(ls /var/lib/ctnet/sandboxes)"
        python3 -c 'import json; s=json.load(open("/var/lib/ctnet/sandboxes/byhand.json")); assert not s["endpoints"], s'
        python3 -c 'import json; s=json.load(open("/var/lib/ctnet/state.json")); assert not any(n.get("members") for n in s["networks"]), s'
        ctnet network prune -f
    "#);
}

#[test]
fn parallel_connects_get_distinct_addresses() {
    ok(r#"
        ctnet network create --subnet 10.32.0.0/24 lab >/dev/null
        for i in $(seq 32); do ip netns add p$i; done
        for i in $(seq 32); do ctnet connect lab p$i & done
        wait
        addrs=$(for i in $(seq 32); do ip_of p$i; done)
        [ "$(echo "$addrs" | sort -u | wc -l)" = 32 ] || die "duplicates: $(echo "$addrs" | sort | uniq -d)"
        [ "$(ctnet network inspect lab | json 'len(d[0]["Containers"])')" = 32 ] || die "state lost endpoints"
        reaches p1 "$(ip_of p32)" || die "p1 cannot reach p32"
    "#);
}

#[test]
fn unshare_container_joins_by_pid() {
    ok(r#"
        ctnet network create --subnet 10.44.0.0/24 lab >/dev/null
        unshare --net sleep 30 & pid=$!
        wait_netns $pid
        ctnet connect lab web --pid $pid
        nsenter --net=/proc/$pid/ns/net ip -4 -o addr show eth0 | grep -q 10.44.0.2/24 || die "no address"
        ctnet sandbox create probe >/dev/null; ctnet connect lab probe
        reaches probe 10.44.0.2 || die "probe cannot reach the pid sandbox"
        ctnet sandbox inspect web | json 'd[0]["Pid"]' | grep -qx "$pid" || die "pid not recorded"
        kill $pid
    "#);
}

#[test]
fn egress_is_masqueraded_and_internal_networks_stay_inside() {
    ok(r#"
        # An "outside" host on a link of its own, with no route back to container subnets.
        outside_host
        ctnet network create --subnet 10.60.0.0/24 open >/dev/null
        ctnet network create --subnet 10.61.0.0/24 --internal closed >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null; ctnet sandbox create c >/dev/null
        ctnet connect open a; ctnet connect closed b; ctnet connect closed c
        reaches a 203.0.113.2 || die "no masqueraded egress"
        # The outside saw the host's address, not the container's.
        ip netns exec outside timeout 5 socat -u TCP-LISTEN:7000,reuseaddr SYSTEM:"echo \$SOCAT_PEERADDR >$T/peer" &
        sleep 0.3
        ip netns exec a socat -u OPEN:/dev/null TCP:203.0.113.2:7000
        wait
        [ "$(cat $T/peer)" = 203.0.113.1 ] || die "peer was $(cat $T/peer)"
        ! reaches b 203.0.113.2 || die "internal network reached outside"
        reaches b 10.61.0.3 || die "internal endpoints cannot talk"
        ip -n b route show default | grep -q . && die "internal network gave a default route"
        # Ingress: the outside routes the container subnet via us and still cannot get in.
        ip -n outside route add 10.60.0.0/24 via 203.0.113.1
        ! reaches outside 10.60.0.2 || die "outside reached a container directly"
        true
    "#);
}

#[test]
fn icc_false_keeps_endpoints_apart() {
    ok(r#"
        ctnet network create --subnet 10.70.0.0/24 -o icc=false quiet >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect quiet a; ctnet connect quiet b
        ! reaches a 10.70.0.3 || die "icc=false endpoints reached each other"
        # Ports are isolated on the bridge itself, so this holds without br_netfilter too.
        [ "$(bridge -d link show | grep -c 'isolated on')" = 2 ] || die "ports not isolated: $(bridge -d link show)"
        reaches a 10.70.0.1 || die "gateway unreachable"
    "#);
}

#[test]
fn small_mtu_networks_work() {
    ok(r#"
        ctnet network create --subnet 10.71.0.0/24 -o mtu=1200 small >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect small a; ctnet connect small b
        [ "$(ip -n a -j link show eth0 | json 'd[0]["mtu"]')" = 1200 ] || die "mtu"
        reaches a 10.71.0.3 || die "no traffic on a small-MTU network"
    "#);
}

#[test]
fn corrupt_state_is_reported_and_kept() {
    ok(r#"
        ctnet network ls >/dev/null
        cp /var/lib/ctnet/state.json "$T/good"
        echo '{ "version": 1, "networks": [' > /var/lib/ctnet/state.json
        fails "state.json is corrupt" ctnet network ls
        fails "state.json is corrupt" ctnet network create x
        [ "$(cat /var/lib/ctnet/state.json)" = '{ "version": 1, "networks": [' ] || die "state rewritten"
        cp "$T/good" /var/lib/ctnet/state.json
        ctnet sandbox create a >/dev/null
        echo '{ "sandbox": ' > /var/lib/ctnet/sandboxes/a.json
        fails "sandboxes/a.json is corrupt" ctnet connect bridge a
        fails "sandboxes/a.json is corrupt" ctnet sandbox ls
        [ "$(cat /var/lib/ctnet/sandboxes/a.json)" = '{ "sandbox": ' ] || die "sandbox file rewritten"
    "#);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let out = ok(r#"
        ctnet network ls >/dev/null
        ctnet sandbox create a >/dev/null
        before=$(snapshot)
        ctnet --dry-run network create --subnet 10.90.0.0/24 -o bridge.name=br-dry dry
        ctnet --dry-run connect bridge a
        [ "$before" = "$(snapshot)" ] || die "dry run changed something"
        ctnet -v connect bridge a 2>&1 >/dev/null | sed 's/vctn[0-9a-f]*/VETH/g; s/ctnet:[0-9a-f]\{64\}/ID/g'
    "#);
    assert!(
        out.contains("ip link add br-dry address 02:42:0a:5a:00:01 type bridge && ip link set br-dry alias ctnet:"),
        "{out}"
    );
    assert!(out.contains("ip addr add 10.90.0.1/24 dev br-dry"), "{out}");
    assert!(out.contains("nft -f - <<'EOF'"), "{out}");
    assert!(
        out.contains("ctnet: ip link add VETH master ctnet0 type veth peer name eth0 netns a address 02:42:ac:11:00:02"),
        "{out}"
    );
    assert!(
        out.contains("ctnet: ip -n a route add default via 172.17.0.1 dev eth0"),
        "{out}"
    );
}

#[test]
fn listing_into_a_closed_pipe_is_quiet() {
    // The reader is gone before ctnet writes, so the write really meets a closed pipe.
    let out = run(r#"
        ctnet network create lab >/dev/null
        { sleep 0.5; ctnet network ls; echo "status $?" >"$T/status"; } | true
        cat "$T/status"
    "#);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout, "status 0\n");
}
