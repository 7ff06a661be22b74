//! The lab scripts in examples/ keep working: each runs in its own throw-away host.

mod common;
use common::ok;

#[test]
fn lab_scripts_run_and_clean_up() {
    let out = ok(r#"
        dir="$SUPPORT/../../examples"
        # Lookups that miss the hosts files go to this host's resolver: the default bridge's
        # gateway, where nothing listens, so they fail at once and nothing leaves the test.
        ctnet network ls >/dev/null
        printf 'nameserver 172.17.0.1\noptions timeout:1 attempts:1\n' > $T/resolv.conf
        mount --bind $T/resolv.conf /etc/resolv.conf
        bash "$dir/lab-isolation.sh"
        bash "$dir/lab-ports.sh"
        bash "$dir/lab-macvlan.sh"
        bash "$dir/lab-names.sh"
        bash "$dir/lab-overlay.sh"
        bash "$dir/lab-cluster.sh"
        bash "$dir/unshare-container.sh" >/dev/null
        [ -z "$(ls /run/netns)" ] || die "a lab left namespaces"
        [ -z "$(ctnet sandbox ls -q)" ] || die "a lab left sandboxes"
    "#);
    assert_eq!(
        out.matches("lab done; everything removed").count(),
        6,
        "{out}"
    );
    // Isolation: app reaches both networks. macvlan: the children reach each other and the
    // router, the LAN reaches them; the host through its parent does not.
    assert_eq!(out.matches("(reached)").count(), 2 + 3, "{out}");
    assert_eq!(out.matches("(not reached)").count(), 1, "{out}");
    assert!(out.contains("(blocked, as the policy says)"), "{out}");
    assert!(out.contains("hello from the sandbox"), "{out}");
    // Names: web finds db by name and alias, through the hosts file and the resolver;
    // the intruder on another network does not.
    assert_eq!(out.matches("(resolved)").count(), 1, "{out}");
    assert_eq!(
        out.matches("(unknown here, as in Docker)").count(),
        1,
        "{out}"
    );
    assert!(
        out.contains("$ ip netns exec web dig +short db\n10.93.0.3\n"),
        "{out}"
    );
    assert!(out.contains("\ndb.\n"), "{out}");
    // Overlay: web on host1 reaches db on host2 across VXLAN.
    assert!(out.contains("64 bytes from 10.220.0.128"), "{out}");
    assert!(out.contains("00:00:00:00:00:00 dst 192.0.2.2"), "{out}");
}
