//! `ctnet why` (issue 21): whether ctnet's policy lets traffic through, which rule
//! decides, in words and as nft; `--live` confirms with one probe traced by nftables.

mod common;
use common::ok;

#[test]
fn why_names_the_rule_that_decides() {
    ok(r#"
        outside_host
        ctnet network create --subnet 10.61.0.0/24 front >/dev/null
        ctnet network create --subnet 10.62.0.0/24 back >/dev/null
        ctnet network create --subnet 10.63.0.0/24 --internal -o com.docker.network.bridge.enable_icc=false quiet >/dev/null
        ctnet network create -d p2p --subnet 10.64.0.0/30 link >/dev/null
        for s in a b c q1 q2; do ctnet sandbox create $s >/dev/null; done
        ctnet connect front a -p 8080:80; ctnet connect front b; ctnet connect back c
        ctnet connect quiet q1; ctnet connect quiet q2
        ctnet connect link a --ifname eth1; ctnet connect link c --ifname eth1
        why() { ctnet why "$@" >$T/why; cat $T/why; }
        why a b | grep -q '^allowed: a and b are both on bridge network front' || die "same network: $(cat $T/why)"
        why q1 q2 >/dev/null; grep -q '^blocked: .*icc=false' $T/why || die "icc: $(cat $T/why)"
        grep -q 'rule: bridge link set dev PORT isolated on' $T/why || die "icc rule: $(cat $T/why)"
        why b c >/dev/null; grep -q '^blocked: b (network front) and c (network back) share no network' $T/why || die "apart: $(cat $T/why)"
        grep -q 'rule: oifname @bridges drop' $T/why || die "isolation rule: $(cat $T/why)"
        why a c | grep -q '^allowed: a and c are the two ends of link link' || die "a link: $(cat $T/why)"
        why a outside | grep -q '^allowed: .*masqueraded' || die "egress: $(cat $T/why)"
        grep -q 'rule: ip saddr @egress_nets oifname != @bridges masquerade' $T/why || die "egress rule"
        why q1 203.0.113.2 | grep -q '^blocked: q1 has no default route' || die "internal: $(cat $T/why)"
        why outside a:80 | grep -q '^allowed: a port 80/tcp is published on host port 8080' || die "published: $(cat $T/why)"
        grep -q 'element tcp . 8080 : 10.61.0.2 . 80' $T/why || die "published rule: $(cat $T/why)"
        why outside a:81 | grep -q '^blocked: nothing publishes a port 81/tcp' || die "unpublished: $(cat $T/why)"
        why 203.0.113.2 10.61.0.3 | grep -q '^blocked: nothing publishes b' || die "by address: $(cat $T/why)"
        why host b | grep -q '^allowed: the host is on network front' || die "host: $(cat $T/why)"
        # What the words say, the traffic does.
        reaches a 10.61.0.3 || die "a cannot reach b (why said allowed)"
        ! reaches b 10.62.0.2 || die "b reached c (why said blocked)"
        fails "neither a sandbox" ctnet why nope b
        fails "invalid port" ctnet why a b:http
        # --live: one probe, answered or not, and the rule nftables traced.
        ctnet why --live b c >$T/live
        grep -q '^live: the probe got no answer' $T/live || die "live: $(cat $T/live)"
        grep -q 'trace: .*forward rule oifname @bridges drop' $T/live || die "no trace of the drop: $(cat $T/live)"
        ctnet why --live a b >$T/live
        grep -q '^live: the probe was answered' $T/live || die "live same network: $(cat $T/live)"
        ! nft list tables | grep -q ctnet_why || die "the tracing table stayed"
    "#);
}
