//! `ctnet doctor`: real probes of this kernel and nftables, in a throw-away host.

mod common;
use common::ok;

#[test]
fn doctor_reports_what_the_host_has_and_what_blocks_ctnet() {
    let out = ok(r#"
        ctnet doctor >"$T/report" || die "doctor failed on a host that has what ctnet needs: $(cat $T/report)"
        cat "$T/report"
        # Another table that drops forwarded traffic is named, with the consequence.
        nft -f - <<'X'
table ip filter {
	chain FORWARD {
		type filter hook forward priority 0; policy drop;
	}
}
X
        ctnet doctor | grep '^warn  chain ip filter FORWARD drops forwarded traffic'
        # A network whose subnet another link also uses is pointed out.
        ctnet network create --subnet 10.30.0.0/24 lab >/dev/null
        ip link add stray type veth peer name stray-peer; ip addr add 10.30.0.128/25 dev stray
        ctnet doctor | grep '^warn  subnet 10.30.0.0/24 of network lab overlaps 10.30.0.128/25'
        ip link del stray; ctnet network rm lab >/dev/null; rm -f /var/lib/ctnet/state.json /var/lib/ctnet/state.lock
        nft delete table inet ctnet; ip link del ctnet0
        rc=0; setpriv --reuid 65534 --regid 65534 --clear-groups ctnet doctor >"$T/nonroot" || rc=$?
        [ $rc = 1 ] || die "doctor as nobody exited $rc"
        grep -q '^FAIL  not running as root' "$T/nonroot" || die "$(cat $T/nonroot)"
        # It changed nothing: no links, no ctnet table, no state.
        [ -z "$(ip -o link show | grep -v ' lo:')" ] || die "doctor left links"
        ! nft list table inet ctnet >/dev/null 2>&1 || die "doctor made a table"
        [ ! -e /var/lib/ctnet/state.json ] || die "doctor wrote state"
    "#);
    for line in [
        "ok    running as root",
        "ok    bridge links",
        "ok    veth links",
        "ok    nftables with nat",
        "ok    nft takes JSON input",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(line)),
            "{line} missing:\n{out}"
        );
    }
    // Every optional driver is reported one way or the other.
    for kind in [
        "macvlan links",
        "ipvlan links",
        "802.1q vlan links",
        "vxlan links",
    ] {
        assert!(out.contains(kind), "{kind} missing:\n{out}");
    }
    assert!(
        out.contains("warn  chain ip filter FORWARD drops forwarded traffic"),
        "{out}"
    );
}
