//! Link impairment (issue 21): `ctnet impair` shapes, delays, drops and flaps an endpoint's
//! link, per direction, and the impairment lives with the endpoint. This kernel has tbf but
//! no netem: rates and flaps are tested here, delay and loss in the full-kernel lane
//! (tests/lanes.rs).

mod common;
use common::ok;

/// Sandboxes a (10.90.0.2) and b (10.90.0.3), each with a sink on port 9000; `send FROM
/// TO_IP`: milliseconds to push 2 MB over TCP to a sink.
const SINK: &str = r#"
    ctnet network create --subnet 10.90.0.0/24 net >/dev/null
    for s in a b; do ctnet sandbox create $s >/dev/null; ctnet connect net $s; done
    for s in a b; do
      ip netns exec $s timeout 120 socat -u TCP-LISTEN:9000,fork,reuseaddr OPEN:/dev/null &
      for _ in $(seq 100); do ip netns exec $s ss -H -lnt "sport = :9000" | grep -q . && break; sleep 0.02; done
    done
    send() {
      local start=$(date +%s%N)
      head -c 2000000 /dev/zero | ip netns exec $1 timeout 20 socat -u - TCP:$2:9000 || die "sending from $1 failed"
      echo $(( ($(date +%s%N) - start) / 1000000 ))
    }
"#;

#[test]
fn rates_flaps_and_their_errors() {
    ok(&format!(
        "{SINK}\n{}",
        r#"
        fast=$(send a 10.90.0.3)
        # 2 MB at 8 Mbit/s takes 2 s (a second or more once the socket buffers took their
        # share): a shaped link, measured.
        ctnet impair a eth0 --rate 8mbit
        tc -n a qdisc show dev eth0 | grep -q 'qdisc tbf .*rate 8Mbit' || die "no tbf: $(tc -n a qdisc show dev eth0)"
        slow=$(send a 10.90.0.3)
        [ "$slow" -ge 1000 ] || die "2 MB at 8mbit took $slow ms (unshaped: $fast ms)"
        ctnet sandbox inspect a >$T/inspect
        [ "$(json 'd[0]["Networks"]["net"]["Impairment"]["Egress"]' <$T/inspect)" = "rate 8mbit" ] || die "inspect: $(cat $T/inspect)"
        # Changed in place: a new rate replaces the old qdisc.
        ctnet impair a eth0 --rate 50mbit
        tc -n a qdisc show dev eth0 | grep -q 'rate 50Mbit' || die "not changed in place"
        # Ingress: what reaches a leaves the host end of its veth.
        host_end=$(json 'd[0]["Networks"]["net"]["HostInterfaceName"]' <$T/inspect)
        ctnet impair a eth0 --direction ingress --rate 8mbit
        tc qdisc show dev $host_end | grep -q 'qdisc tbf .*rate 8Mbit' || die "no tbf on the host end"
        back=$(send b 10.90.0.2)
        [ "$back" -ge 1000 ] || die "2 MB into a at 8mbit took $back ms"
        # --clear takes both directions back to the kernel's default.
        ctnet impair a eth0 --clear
        ! tc -n a qdisc show dev eth0 | grep -q tbf || die "egress kept its tbf"
        ! tc qdisc show dev $host_end | grep -q tbf || die "ingress kept its tbf"
        ctnet sandbox inspect a >$T/inspect
        [ "$(json 'd[0]["Networks"]["net"]["Impairment"]' <$T/inspect)" = None ] || die "inspect after clear"
        # A flap: down, nothing passes; up, it does again.
        ctnet impair a eth0 --down
        ! ip netns exec a ping -c1 -W1 -q 10.90.0.3 >/dev/null 2>&1 || die "a down link carried"
        ctnet impair a eth0 --up
        ip netns exec a ping -c1 -W2 -q 10.90.0.3 >/dev/null || die "the link did not come back up"
        # Bad input: one clear error, nothing changed.
        fails "invalid duration" ctnet impair a eth0 --delay 50
        fails "give --delay too" ctnet impair a eth0 --jitter 5ms
        fails "invalid percentage" ctnet impair a eth0 --loss 150%
        fails "invalid rate" ctnet impair a eth0 --rate fast
        fails "no impairment given" ctnet impair a eth0
        fails "has no interface eth9" ctnet impair a eth9 --rate 1mbit
        fails "sandbox nope not found" ctnet impair nope eth0 --rate 1mbit
        fails "invalid --direction" ctnet impair a eth0 --direction sideways --rate 1mbit
        if zcat /proc/config.gz 2>/dev/null | grep -q 'CONFIG_NET_SCH_NETEM is not set'; then
          fails "CONFIG_NET_SCH_NETEM" ctnet impair a eth0 --delay 50ms
        fi
        ctnet --dry-run impair a eth0 --rate 1mbit >$T/plan
        grep -q 'tc -n a qdisc replace dev eth0 root tbf rate 1mbit' $T/plan || die "dry run: $(cat $T/plan)"
        ! tc -n a qdisc show dev eth0 | grep -q tbf || die "a dry run shaped"
        agree || die "state and kernel disagree"
        "#
    ));
}

/// On a p2p link: a waiting end's impairment comes with the link, ingress is the other
/// end's egress, and restore brings a deleted link back impaired.
#[test]
fn impairments_live_with_the_endpoint() {
    ok(r#"
        ctnet network create -d p2p --subnet 10.12.0.0/30 l12 >/dev/null
        for r in r1 r2; do ctnet sandbox create $r >/dev/null; done
        ctnet connect l12 r1 --ifname eth1
        ctnet impair r1 eth1 --rate 4mbit
        ctnet connect l12 r2 --ifname eth1
        tc -n r1 qdisc show dev eth1 | grep -q 'qdisc tbf .*rate 4Mbit' || die "the waiting end's impairment did not come with the link"
        fails "impair the other end's egress" ctnet impair r2 eth1 --direction ingress --rate 1mbit
        ctnet impair r2 eth1 --down
        ! ip netns exec r1 ping -c1 -W1 -q 10.12.0.2 >/dev/null 2>&1 || die "the link carried with one end down"
        ctnet impair r2 eth1 --up
        ip -n r1 link del eth1
        ctnet restore >/dev/null
        tc -n r1 qdisc show dev eth1 | grep -q 'qdisc tbf .*rate 4Mbit' || die "restore lost the impairment"
        ip netns exec r1 ping -c1 -W2 -q 10.12.0.2 >/dev/null || die "the restored link does not carry"
    "#);
}
