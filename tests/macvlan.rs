//! macvlan networks: containers on the LAN itself (issue 7). ipvlan, VLAN parents and
//! dummy parents need kernel drivers this machine lacks: tests/lanes.rs runs them in the
//! full-kernel lane.

mod common;
use common::ok;

/// A "LAN" namespace with its router at 10.77.0.1, joined to the host by a veth whose host
/// end `lan0` is the macvlan parent.
const LAN: &str = r#"
    ip netns add lan
    ip link add lan0 type veth peer name eth0 netns lan
    ip link set lan0 up
    ip -n lan addr add 10.77.0.1/24 dev eth0; ip -n lan link set eth0 up
    parent_before=$(ip -d -o link show lan0 | sed -E 's/ (state|group|qlen) [^ ]+//g')
"#;

#[test]
fn macvlan_containers_are_on_the_lan() {
    ok(&format!(
        "{LAN}\n{}",
        r#"
        ctnet network create -d macvlan --subnet 10.77.0.0/24 --gateway 10.77.0.1 -o parent=lan0 onlan >/dev/null
        ctnet sandbox create a >/dev/null; ctnet sandbox create b >/dev/null
        ctnet connect onlan a; ctnet connect onlan b
        ip -n a -d link show eth0 | grep -q 'macvlan mode bridge' || die "not a macvlan child"
        [ "$(ip -n a -j link show eth0 | json 'd[0]["address"]')" = 02:42:0a:4d:00:02 ] || die "MAC"
        reaches a 10.77.0.3 || die "a cannot reach b"
        reaches a 10.77.0.1 || die "a cannot reach the LAN's router"
        reaches lan 10.77.0.2 || die "the LAN cannot reach a (no NAT, open as the LAN is)"
        ip -n a route show default | grep -q 'via 10.77.0.1 dev eth0' || die "default route"
        # The documented macvlan property: the host cannot reach its children through the parent.
        ip addr add 10.77.0.254/24 dev lan0
        ip netns exec lan ping -c1 -W1 10.77.0.254 >/dev/null || die "host address on the parent unreachable from the LAN"
        ! ping -c1 -W1 10.77.0.2 >/dev/null 2>&1 || die "the host reached a macvlan child through its parent"
        ip addr del 10.77.0.254/24 dev lan0
        # Nothing of it is in the firewall, and it publishes no ports.
        ! nft list set inet ctnet bridges | grep -q lan0 || die "parent in the bridges set"
        fails "publish no ports" ctnet publish a 8080:80
        agree || die "state and kernel disagree"
        # Dual stack on the LAN: the LAN's IPv6 router is the gateway.
        ip link add lan6 type veth peer name eth1 netns lan; ip link set lan6 up
        ip -n lan -6 addr add fd00:77::1/64 dev eth1 nodad; ip -n lan link set eth1 up
        ctnet network create -d macvlan --ipv6 --subnet 10.76.0.0/24 --subnet fd00:77::/64 --gateway fd00:77::1 -o parent=lan6 onlan6 >/dev/null
        ctnet sandbox create c >/dev/null; ctnet connect onlan6 c
        ip netns exec c ping -6 -c1 -W2 -q fd00:77::1 >/dev/null || die "IPv6 to the LAN's router"
        ip -n c -6 route show default | grep -q 'via fd00:77::1' || die "IPv6 default route on macvlan"
        ctnet sandbox rm c >/dev/null; ctnet network rm onlan6 >/dev/null
        [ -z "$(ctnet restore)" ] || die "restore found something missing"
        [ -z "$(ctnet gc)" ] || die "gc found something to remove"
        # A namespace that replaced the sandbox's (a reused PID looks the same) is not
        # touched when the sandbox goes: its own eth0 stays.
        ip netns add x1
        ctnet connect onlan stranger --netns /run/netns/x1
        ip netns del x1; ip netns add x1
        ip -n x1 link add eth0 type veth peer name other
        ctnet sandbox rm stranger >/dev/null
        ip -n x1 link show eth0 >/dev/null || die "ctnet deleted an interface of a namespace it does not own"
        ip netns del x1
        ctnet sandbox rm a b >/dev/null; ctnet network rm onlan >/dev/null
        [ "$(ip -d -o link show lan0 | sed -E 's/ (state|group|qlen) [^ ]+//g')" = "$parent_before" ] || die "parent changed"
        agree || die "state and kernel disagree after removal"
    "#
    ));
}

#[test]
fn macvlan_refuses_what_cannot_work() {
    ok(&format!(
        "{LAN}\n{}",
        r#"
        ctnet gc >/dev/null
        ip link add port0 type veth peer name port1
        ip link add br-x type bridge; ip link set port0 master br-x
        fails "does not exist" ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=nosuch m
        fails "port of a bridge" ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=port0 m
        fails "is the bridge of network bridge" ctnet network create -d macvlan --subnet 10.78.0.0/24 -o parent=ctnet0 m
        # This kernel lacks dummy, 802.1q and ipvlan: each is named (tests/lanes.rs has them
        # working in the full-kernel lane).
        fails "CONFIG_DUMMY" ctnet network create -d macvlan --subnet 10.77.0.0/24 m
        fails "CONFIG_VLAN_8021Q" ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=lan0.10 m
        fails "CONFIG_IPVLAN" ctnet network create -d ipvlan --subnet 10.77.0.0/24 -o parent=lan0 m
        fails "nor does eth9" ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=eth9.10 m
        fails "give its --subnet" ctnet network create -d macvlan -o parent=lan0 m
        fails "invalid macvlan_mode" ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=lan0 -o macvlan_mode=loud m
        fails "unknown macvlan option" ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=lan0 -o icc=false m
        fails "does not apply to macvlan" ctnet network create -d macvlan --internal --subnet 10.77.0.0/24 -o parent=lan0 m
        ctnet network create -d macvlan --subnet 10.77.0.0/24 -o parent=lan0 -o macvlan_mode=private m >/dev/null
        ip link add lan2 type veth peer name lan3
        fails "overlaps with network m" ctnet network create -d macvlan --subnet 10.77.0.0/25 -o parent=lan2 m2
        fails "already used by network m" ctnet network create -d macvlan --subnet 10.79.0.0/24 -o parent=lan0 m2
    "#
    ));
}
