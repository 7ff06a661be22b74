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
