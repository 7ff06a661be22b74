//! Labs as files (issue 21): `ctnet lab up` makes a YAML topology real in one transaction,
//! idempotently and down to each attribute; an edited file changes only the difference;
//! `lab down` removes exactly what the lab made; a bad file is one error with its file,
//! line and column, and changes nothing.

mod common;
use common::ok;

/// `lab_snapshot`: the usual snapshot with every namespace's qdiscs and sysctl; `FILES`:
/// the example labs.
const LABS: &str = r#"
    FILES="$SUPPORT/../../examples/labs"
    lab_snapshot() {
      snapshot
      for ns in $(ls /run/netns); do
        echo "== $ns"; tc -n "$ns" qdisc show | grep -v 'noqueue\|pfifo_fast\|fq_codel' || true
        ip netns exec "$ns" sysctl -n net.ipv4.ip_forward
      done
    }
"#;

#[test]
fn a_lab_comes_up_changes_in_place_and_goes_without_a_trace() {
    ok(&format!(
        "{LABS}\n{}",
        r#"
        # Hand-made objects the lab must leave alone.
        ctnet network create --subnet 10.99.0.0/24 mine >/dev/null
        ctnet sandbox create keeper >/dev/null; ctnet connect mine keeper
        before_lab=$(lab_snapshot)
        cp $FILES/routers.yaml $T/lab.yaml
        ctnet lab up -f $T/lab.yaml >$T/up
        grep -q 'lab routers: node r1 created' $T/up || die "up says: $(cat $T/up)"
        # Routing across two p2p links, through r2 (its sysctl), by the nodes' exec routes.
        ip netns exec r1 ping -c1 -W1 -q 10.0.23.2 >/dev/null || die "r1 cannot reach r3 through r2"
        [ "$(ip netns exec r2 sysctl -n net.ipv4.ip_forward)" = 1 ] || die "r2's sysctl"
        tc -n r2 qdisc show dev eth2 | grep -q 'tbf .*rate 10Mbit' || die "the impaired link: $(tc -n r2 qdisc show dev eth2)"
        [ "$(ip -n r3 -j link show eth1 | json 'd[0]["mtu"]')" = 1400 ] || die "the link's mtu"
        # Up twice: nothing changes, byte for byte, and it says so.
        first=$(lab_snapshot)
        ctnet lab up -f $T/lab.yaml >$T/up2
        [ "$(cat $T/up2)" = "lab routers: up to date" ] || die "second up: $(cat $T/up2)"
        [ "$first" = "$(lab_snapshot)" ] || die "a second up changed something"
        ctnet lab ls >$T/ls; grep -q '^routers *3 *2' $T/ls || die "ls: $(cat $T/ls)"
        ctnet graph --lab routers >$T/graph
        grep -q 'network r1-r2 (p2p)' $T/graph || die "graph: $(cat $T/graph)"
        ! grep -q 'keeper\|mine' $T/graph || die "the lab's graph shows hand-made objects"
        ctnet lab inspect routers >$T/inspect
        [ "$(json 'len(d[0]["Nodes"])' <$T/inspect)" = 3 ] || die "inspect: $(cat $T/inspect)"
        # An edit: the impairment changes in place (the link stays), a node comes.
        sed -i 's/a-b: {rate: 10mbit}/a-b: {rate: 20mbit}/' $T/lab.yaml
        cat >>$T/lab.yaml <<'YAML'
  r3-r4:
    a: r3:eth2
    b: r4:eth1
    subnet: 10.0.34.0/30
YAML
        sed -i 's/^  r3:$/  r4: {}\n  r3:/' $T/lab.yaml
        link_before=$(ip -n r2 -o link show eth2 | cut -d: -f1)
        ctnet lab up -f $T/lab.yaml >$T/up3
        grep -q 'r2:eth2: impairment changed' $T/up3 || die "edit: $(cat $T/up3)"
        grep -q 'node r4 created' $T/up3 || die "edit: $(cat $T/up3)"
        ! grep -q 'r1\b' $T/up3 || die "the edit touched r1: $(cat $T/up3)"
        tc -n r2 qdisc show dev eth2 | grep -q 'rate 20Mbit' || die "the impairment did not change"
        [ "$(ip -n r2 -o link show eth2 | cut -d: -f1)" = "$link_before" ] || die "the link was made again"
        ip netns exec r3 ping -c1 -W1 -q 10.0.34.2 >/dev/null || die "r3 cannot reach the new r4"
        # A changed subnet makes its link again; a node taken out goes with its link.
        sed -i 's|10.0.34.0/30|10.0.35.0/30|' $T/lab.yaml
        ctnet lab up -f $T/lab.yaml >$T/up4
        grep -q 'network r3-r4 removed (to be made again)' $T/up4 || die "subnet edit: $(cat $T/up4)"
        ip netns exec r3 ping -c1 -W1 -q 10.0.35.2 >/dev/null || die "the remade link does not carry"
        cp $FILES/routers.yaml $T/lab.yaml
        ctnet lab up -f $T/lab.yaml >$T/up5
        grep -q 'node r4 removed' $T/up5 || die "back to the file: $(cat $T/up5)"
        ! ip netns list | grep -q r4 || die "r4 stayed"
        # A dry run prints the plan and changes nothing.
        sed -i 's/rate: 10mbit/rate: 5mbit/' $T/lab.yaml
        now=$(lab_snapshot)
        ctnet --dry-run lab up -f $T/lab.yaml >$T/plan
        grep -q 'tc -n r2 qdisc replace dev eth2 root tbf rate 5mbit' $T/plan || die "dry run: $(cat $T/plan)"
        [ "$now" = "$(lab_snapshot)" ] || die "a dry run changed something"
        # Down: nothing of the lab is left, and the hand-made objects are untouched. (A
        # process still in r2 keeps its namespace alive: its links are deleted one by one;
        # the others go with their namespaces.)
        ip netns exec r2 sleep 30 & sleeper=$!
        ctnet lab down -f $T/lab.yaml >/dev/null
        kill $sleeper; wait $sleeper 2>/dev/null || true
        [ "$before_lab" = "$(lab_snapshot)" ] || die "down left something: $(diff <(echo "$before_lab") <(lab_snapshot))"
        fails "lab routers not found" ctnet lab down routers
    "#
    ));
}

/// The other example labs: a two-tier app with a published port and an internal back end,
/// isolation between two networks, macvlan on a parent.
#[test]
fn the_example_labs_do_what_they_say() {
    ok(&format!(
        "{LABS}\n{}",
        r#"
        outside_host
        ctnet lab up -f $FILES/two-tier.yaml >/dev/null
        serve web 80 hello-web
        [ "$(ask outside 203.0.113.1 8080)" = hello-web ] || die "the published port"
        serve db 5432 hello-db
        [ "$(ip netns exec web timeout 3 socat -T2 - TCP:database:5432 </dev/null)" = hello-db ] || die "web cannot reach db by its alias"
        [ -z "$(ip -n db route show default)" ] || die "db on an internal network got a way out"
        ctnet lab up -f $FILES/isolation.yaml >/dev/null
        reaches app 10.73.0.2 || die "app cannot reach a"
        reaches app 10.74.0.2 || die "app cannot reach b"
        ! reaches a 10.74.0.2 || die "a reached b across networks"
        ip netns add lanrouter
        ip link add lan0 type veth peer name eth0 netns lanrouter
        ip link set lan0 up; ip -n lanrouter addr add 10.77.0.1/24 dev eth0; ip -n lanrouter link set eth0 up
        ctnet lab up -f $FILES/macvlan.yaml >/dev/null
        reaches m1 10.77.0.22 || die "m1 cannot reach m2"
        reaches m1 10.77.0.1 || die "m1 cannot reach the LAN's router"
        for lab in two-tier isolation lan; do ctnet lab down $lab >/dev/null; done
        [ "$(ls /run/netns)" = "$(printf 'lanrouter\noutside')" ] || die "left: $(ls /run/netns)"
        # A reboot, as far as r1 is concerned: restore brings its namespace, its link and
        # the route its exec added back.
        ctnet lab up -f $FILES/routers.yaml >/dev/null
        ip netns del r1
        # (The kernel ends the namespace a moment later, and r2's end of the link with it.)
        for _ in $(seq 100); do ip -n r2 link show eth1 >/dev/null 2>&1 || break; sleep 0.02; done
        ctnet restore >$T/restore
        grep -q 'ran "ip route replace 10.0.23.0/30 via 10.0.12.2" in lab node r1' $T/restore || die "restore: $(cat $T/restore)"
        ip netns exec r1 ping -c1 -W1 -q 10.0.23.2 >/dev/null || die "r1 cannot reach r3 after restore"
        ctnet lab down routers >/dev/null
    "#
    ));
}

/// Every bad file: one error naming the file, line and column (or what it names that does
/// not exist), and nothing changed. A lab that fails halfway is undone whole.
#[test]
fn bad_lab_files_change_nothing() {
    ok(&format!(
        "{LABS}\n{}",
        r#"
        bad() { # bad EXPECT YAML: that file is refused with EXPECT
          printf '%s\n' "$2" >$T/bad.yaml
          refused lab_snapshot "$1" ctnet lab up -f $T/bad.yaml
        }
        bad "bad.yaml:2:8" 'name: x
nodes: [oops'
        bad "bad.yaml:2:1: unknown field .nodez" 'name: x
nodez: {}'
        bad "bad.yaml:3:" 'name: x
networks:
  n: {subnet: 10.1.0.0/33}'
        bad "invalid lab name" 'name: "a b"'
        bad "names node r9, which the lab does not have" 'name: x
nodes: {r1: {}}
links:
  l: {a: r1:eth1, b: r9:eth1, subnet: 10.0.9.0/30}'
        bad "network nowhere, which neither the lab nor this host has" 'name: x
nodes:
  r1: {networks: {nowhere: {}}}'
        bad "invalid duration" 'name: x
nodes: {r1: {}, r2: {}}
links:
  l: {a: r1:eth1, b: r2:eth1, subnet: 10.0.9.0/30, impair: {a-b: {delay: 5}}}'
        bad "a node sets its namespace's own, net.*" 'name: x
nodes:
  r1: {sysctls: {kernel.core_pattern: x}}'
        bad "node r1 is on l twice" 'name: x
nodes: {r1: {}}
links:
  l: {a: r1:eth1, b: r1:eth2, subnet: 10.0.9.0/30}'
        bad "missing field .subnet" 'name: x
nodes: {r1: {}, r2: {}}
links:
  l: {a: r1:eth1, b: r2:eth1}'
        bad "no host end" 'name: x
networks:
  n: {driver: p2p, subnet: 10.0.8.0/30}
nodes:
  r1: {networks: {n: {impair: {ingress: {rate: 1mbit}}}}}
  r2: {networks: {n: {}}}'
        fails "cannot read the lab file" ctnet lab up -f $T/missing.yaml
        # Halfway: the second node's address is outside its network: nothing of the lab is made.
        bad "not a usable address" 'name: x
networks:
  n: {subnet: 10.5.0.0/24}
nodes:
  a: {networks: {n: {}}}
  b: {networks: {n: {ip: 10.6.0.9}}}'
        # A name a hand-made object has.
        ctnet network create --subnet 10.98.0.0/24 taken >/dev/null
        bad "network taken exists and is not lab x's" 'name: x
networks:
  taken: {subnet: 10.97.0.0/24}'
        ctnet sandbox create busy >/dev/null
        bad "sandbox busy exists and is not lab x's" 'name: x
nodes: {busy: {}}'
    "#
    ));
}

/// A node publishing the same port on a bridge network and on a routed one (where it takes
/// no host port), whose routed network an edit removes: the host port stays its own.
#[test]
fn a_routed_network_going_leaves_the_host_ports_of_the_rest() {
    ok(r#"
        cat >$T/lab.yaml <<'YAML'
name: mixed
networks:
  web: {subnet: 10.61.0.0/24}
  direct: {subnet: 10.62.0.0/24, options: {gateway_mode_ipv4: routed}}
nodes:
  s:
    networks:
      web: {ports: ["80:80"]}
      direct: {ports: ["80"]}
YAML
        ctnet lab up -f $T/lab.yaml >/dev/null 2>&1
        agree
        sed -i '/direct/d' $T/lab.yaml
        ctnet lab up -f $T/lab.yaml >/dev/null
        ctnet network ls | grep -q direct && die "the routed network is still there"
        agree || die "the published index lost a port s still publishes"
        ctnet sandbox create other >/dev/null
        fails "already published by sandbox s" ctnet connect web other -p 80:80
        ctnet lab down mixed >/dev/null
    "#);
}
