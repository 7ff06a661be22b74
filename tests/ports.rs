//! Issue 3: published ports, with real traffic through the kernel's DNAT.

mod common;
use common::ok;

/// An "outside" host on the uplink 203.0.113.0/24, a network `web` with a server sandbox
/// `srv` (TCP 80 answers "hello") and a neighbour `nb`.
const WORLD: &str = r#"
    outside_host
    ctnet network create --subnet 10.60.0.0/24 web >/dev/null
    ctnet sandbox create srv >/dev/null; ctnet sandbox create nb >/dev/null
"#;

fn scenario(body: &str) -> String {
    ok(&format!("{WORLD}\n{body}"))
}

#[test]
fn a_published_port_answers_from_outside_the_host_and_a_neighbour() {
    let out = scenario(
        r#"
        ctnet connect web srv -p 8080:80
        ctnet connect web nb
        serve srv 80 hello; sleep 0.3
        [ "$(ask outside 203.0.113.1 8080)" = hello ] || die "not reachable from outside"
        [ "$(ask host 127.0.0.1 8080)" = hello ] || die "not reachable on the host's 127.0.0.1"
        [ "$(ask host 203.0.113.1 8080)" = hello ] || die "not reachable on the host's own address"
        [ "$(ask nb 203.0.113.1 8080)" = hello ] || die "neighbour cannot reach it through the host address"
        [ "$(ask nb 10.60.0.1 8080)" = hello ] || die "neighbour cannot reach it through the gateway"
        # Without publishing, the outside still cannot reach the container itself.
        ip -n outside route add 10.60.0.0/24 via 203.0.113.1
        [ -z "$(ask outside 10.60.0.2 80)" ] || die "container reachable directly from outside"
        ctnet port srv
        ctnet sandbox inspect srv | json 'd[0]["Ports"], d[0]["Networks"]["web"]["Ports"]'
        ctnet network inspect web | json '[c["Ports"] for c in d[0]["Containers"].values() if c["Name"] == "srv"][0]'
    "#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "80/tcp -> 0.0.0.0:8080");
    let ports = "{'80/tcp': [{'HostIp': '0.0.0.0', 'HostPort': '8080'}]}";
    assert_eq!(lines[1], format!("{ports} {ports}"));
    assert_eq!(lines[2], ports);
}

#[test]
fn udp_ranges_and_random_ports() {
    ok(&format!(
        "{WORLD}\n{}",
        r#"
        ctnet connect web srv
        serve srv 53 dns udp; serve srv 7000 a; serve srv 7001 b; serve srv 7002 c; serve srv 90 rnd
        sleep 0.3
        ctnet publish srv 5353:53/udp 8000-8002:7000-7002 >/dev/null
        [ "$(ask outside 203.0.113.1 5353 udp)" = dns ] || die "udp"
        [ "$(ask outside 203.0.113.1 8000)" = a ] || die "range start"
        [ "$(ask outside 203.0.113.1 8002)" = c ] || die "range end"
        line=$(ctnet publish srv 90)
        [ "$line" = "90/tcp -> 0.0.0.0:32768" ] || die "random port: $line"
        [ "$(ask outside 203.0.113.1 32768)" = rnd ] || die "random port unreachable"
        [ "$(ctnet port srv | wc -l)" = 5 ] || die "port lists $(ctnet port srv)"
    "#
    ));
}

#[test]
fn host_ip_bindings_are_local_only() {
    ok(&format!(
        "{WORLD}\n{}",
        r#"
        ctnet connect web srv -p 127.0.0.1:9000:80
        serve srv 80 hello; sleep 0.3
        [ "$(ask host 127.0.0.1 9000)" = hello ] || die "127.0.0.1 binding unreachable locally"
        [ -z "$(ask outside 203.0.113.1 9000)" ] || die "127.0.0.1 binding reachable from outside"
        # A network's default binding applies to specs without an address.
        ctnet network create --subnet 10.61.0.0/24 -o host_binding_ipv4=127.0.0.1 lo-only >/dev/null
        ctnet sandbox create two >/dev/null
        ctnet connect lo-only two -p 9100:80
        [ "$(ctnet port two)" = "80/tcp -> 127.0.0.1:9100" ] || die "default binding: $(ctnet port two)"
        serve two 80 second; sleep 0.3
        [ "$(ask host 127.0.0.1 9100)" = second ] || die "default binding unreachable locally"
        [ -z "$(ask outside 203.0.113.1 9100)" ] || die "default binding reachable from outside"
    "#
    ));
}

#[test]
fn unpublish_disconnect_and_rm_take_ports_away() {
    ok(&format!(
        "{WORLD}\n{}",
        r#"
        baseline=$(nft list map inet ctnet dnat_any)
        # The host-wide index keeps host ports, adjacent ones merged; the endpoint, each mapping.
        index() { python3 -c 'import json; print(json.load(open("/var/lib/ctnet/state.json")).get("published"))'; }
        ctnet connect web srv -p 8080:80 -p 8081:81
        [ "$(index)" = "{'srv': ['0.0.0.0:8080-8081->8080-8081/tcp']}" ] || die "index: $(index)"
        agree
        serve srv 80 hello; sleep 0.3
        [ "$(ask outside 203.0.113.1 8080)" = hello ] || die "not published"
        ctnet unpublish srv 8080:80
        [ -z "$(ask outside 203.0.113.1 8080)" ] || die "still reachable after unpublish"
        [ "$(ctnet port srv)" = "81/tcp -> 0.0.0.0:8081" ] || die "port after unpublish: $(ctnet port srv)"
        [ "$(index)" = "{'srv': ['0.0.0.0:8081->8081/tcp']}" ] || die "index after unpublish: $(index)"
        # A port taken out of the middle of a range splits it.
        ctnet publish srv 8080:80 8082:82 >/dev/null
        [ "$(index)" = "{'srv': ['0.0.0.0:8080-8082->8080-8082/tcp']}" ] || die "index: $(index)"
        ctnet unpublish srv 8081:81
        [ "$(index)" = "{'srv': ['0.0.0.0:8080->8080/tcp', '0.0.0.0:8082->8082/tcp']}" ] || die "index: $(index)"
        [ "$(ask outside 203.0.113.1 8080)" = hello ] || die "8080 lost when 8081 went"
        agree
        # Without a host port, the first mapping to the container port goes.
        ctnet unpublish srv 82
        [ "$(ctnet port srv)" = "80/tcp -> 0.0.0.0:8080" ] || die "port after unpublish 82: $(ctnet port srv)"
        agree
        # The ports live in the sandbox's ports file, a line per endpoint, as docker ps shows them.
        grep -qx '[0-9a-f]\{64\} 0.0.0.0:8080->80/tcp' /var/lib/ctnet/sandboxes/srv.ports \
          || die "ports file: $(cat /var/lib/ctnet/sandboxes/srv.ports)"
        grep -q '"ports"' /var/lib/ctnet/sandboxes/srv.json && die "ports kept in the JSON too"
        # A ports file edited into nonsense is one error, before anything changes, even
        # for a forced disconnect (which changes the kernel before it saves).
        cp /var/lib/ctnet/sandboxes/srv.ports $T/ports
        sed -i 's/->80/=>80/' /var/lib/ctnet/sandboxes/srv.ports
        fails "srv's ports file holds a list that is not valid" ctnet disconnect --force web srv
        cp $T/ports /var/lib/ctnet/sandboxes/srv.ports
        ctnet disconnect web srv
        [ -e /var/lib/ctnet/sandboxes/srv.ports ] && die "ports file left with no ports"
        [ "$(nft list map inet ctnet dnat_any)" = "$baseline" ] || die "elements left: $(nft list map inet ctnet dnat_any)"
        ctnet connect web srv -p 8080:80
        ctnet sandbox rm srv >/dev/null
        [ "$(nft list map inet ctnet dnat_any)" = "$baseline" ] || die "elements left after rm"
        python3 -c 'import json; s=json.load(open("/var/lib/ctnet/state.json")); assert not s.get("published"), s'
    "#
    ));
}

#[test]
fn bad_specs_and_taken_ports_change_nothing() {
    ok(&format!(
        "{WORLD}\n{}",
        r#"
        ctnet connect web srv -p 8080:80
        ctnet network create --subnet 10.62.0.0/24 --internal closed >/dev/null
        ctnet sandbox create inside >/dev/null; ctnet connect closed inside
        fails "not a port number" ctnet publish srv http
        fails "outside 1-65535" ctnet publish srv 0
        fails "outside 1-65535" ctnet publish srv 70000:80
        fails "host range has 3 ports" ctnet publish srv 8000-8002:80-81
        fails "unknown protocol" ctnet publish srv 80/icmp
        fails "not an IPv4 address" ctnet publish srv 1.2.3:80:80
        ctnet connect web nb
        fails "already published by sandbox srv" ctnet publish nb 8080:80
        fails "already published by sandbox srv" ctnet publish nb 127.0.0.1:8080:80
        ip netns add fresh
        fails "already published by sandbox srv" ctnet connect web other -p 8080:80 --netns /run/netns/fresh
        ip netns del fresh
        fails "given twice\|already published" ctnet publish nb 9000:80 9000:81
        # A host process holds the port: refused with a message that says so.
        timeout 20 socat TCP-LISTEN:7777,reuseaddr - >/dev/null & sleep 0.3
        fails "a process on this host is already using 7777/tcp" ctnet publish nb 7777:80
        fails "not an address of this host" ctnet publish nb 198.51.100.9:7000:80
        fails "not connected to any bridge network" ctnet publish inside 80
        fails "not found" ctnet publish ghost 80
        fails "no published port matching" ctnet unpublish srv 9999:80
        ctnet sandbox create lonely >/dev/null
        fails "not connected to any bridge network" ctnet publish lonely 80
    "#
    ));
}
