//! `ctnet graph`: the picture Graphviz draws from it names every object.

mod common;
use common::ok;

#[test]
fn graphviz_draws_every_network_sandbox_address_and_port() {
    let raw = ok(r#"
        ctnet network create --subnet 10.40.0.0/24 web-front >/dev/null
        ctnet network create --subnet 10.41.0.0/24 --internal db.back >/dev/null
        ctnet sandbox create front >/dev/null; ctnet sandbox create store >/dev/null
        ctnet connect web-front front -p 8080:80; ctnet connect db.back front; ctnet connect db.back store
        ctnet graph | dot -Tsvg
        ctnet graph --format mermaid | grep -q '^graph LR' || die "no mermaid graph"
    "#);
    // SVG escapes a few characters in text; read it as a person would see it.
    let svg = raw.replace("&#45;", "-").replace("&gt;", ">");
    for expected in [
        "network web-front",
        "network db.back",
        "network bridge",
        "sandbox front",
        "sandbox store",
        "eth0 10.40.0.2/24",
        "eth1 10.41.0.2/24",
        "eth0 10.41.0.3/24",
        "80/tcp -> 0.0.0.0:8080",
        "internal: nothing in or out",
    ] {
        assert!(
            svg.contains(expected),
            "the picture lacks {expected:?}:\n{svg}"
        );
    }
    assert!(svg.starts_with("<?xml"), "not an SVG: {svg}");
}

#[test]
fn explain_reads_the_linux_objects_back_from_the_kernel() {
    let out = ok(r#"
        ctnet network create --subnet 10.9.0.0/24 -o bridge.name=br-lab lab >/dev/null
        ctnet sandbox create a >/dev/null
        ctnet connect lab a -p 8080:80
        # Something the state does not know is shown as such: it comes from the kernel.
        ip link add vctn0123456789a type veth peer name stray; ip link set vctn0123456789a master br-lab
        ip addr add 10.9.0.200/24 dev br-lab
        ctnet network inspect --explain lab
    "#);
    for expected in [
        "network lab (bridge), as the kernel has it:",
        "bridge br-lab: up, mtu 1500, alias ctnet:",
        "address 10.9.0.1/24 (the network's gateway)",
        "address 10.9.0.200/24",
        "route 10.9.0.0/24 dev br-lab",
        "veth to sandbox a (eth0 10.9.0.2/24 in /run/netns/a)",
        "port vctn0123456789a []: unknown to the state",
        "bridges { br-lab }",
        "icc { br-lab . br-lab : accept }",
        "egress_nets { 10.9.0.0/24 }",
        "dnat_any { tcp . 8080 : 10.9.0.2 . 80 }",
    ] {
        assert!(out.contains(expected), "{expected:?} missing:\n{out}");
    }
}
