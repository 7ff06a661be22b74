//! Every driver's settling and plans, against a kernel in memory: no root, no kernel. Plans
//! are compared as the `ip` commands they print, with the network's id written as ID (its
//! first ten characters as SHORT) and the endpoint's as EP, so a change to what a driver does shows up as a readable diff.

use std::net::Ipv4Addr;

use super::*;
use crate::model::{Endpoint, IpvlanMode, LanMode, MacvlanMode, Sandbox};
use crate::sys::fake::FakeKernel;
use crate::sys::{Forwarding, Underlay};

fn request(name: &str, driver: Driver, subnet: &str, options: &[(&str, &str)]) -> NetworkRequest {
    let mut request = NetworkRequest::new(name, driver);
    request.ipv4 = Some(PoolRequest {
        subnet: Some(subnet.parse().unwrap()),
        ..PoolRequest::default()
    });
    request.options = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request
}

fn settle_on(kernel: &mut FakeKernel, request: &NetworkRequest) -> Result<Network> {
    let state = State::new();
    settle(
        request,
        &mut Host {
            state: &state,
            kernel,
            config: &Default::default(),
        },
    )
}

fn sandbox() -> Sandbox {
    Sandbox {
        lab: None,
        own_hosts: false,
        container: None,
        dns: Default::default(),
        id: "5".repeat(64),
        name: "web".into(),
        netns: "/run/netns/web".into(),
        pid: None,
        owned: true,
        created: String::new(),
        netns_inode: None,
        run_by: None,
    }
}

/// The first endpoint on `network`, as connect makes it: the first address, its MAC.
fn endpoint(network: &Network, host_end: bool) -> Endpoint {
    let config = &network.ipam[0];
    let ip = config.subnet.hosts().nth(1).unwrap();
    let own_mac = for_network(network).unwrap().own_macs(network);
    Endpoint {
        impair: Default::default(),
        id: "e".repeat(64),
        network_id: network.id.clone(),
        sandbox_id: sandbox().id,
        ifname: "eth0".into(),
        host_ifname: if host_end {
            "vctneeeeeeeeeee".into()
        } else {
            String::new()
        },
        mac: own_mac.then(|| crate::model::Mac::from_ipv4(ip)),
        ipv4: Some(ipnet::Ipv4Net::new(ip, config.subnet.prefix_len()).unwrap()),
        ipv6: None,
        aliases: Vec::new(),
        default_route: true,
        default_route6: false,
        ports: Default::default(),
    }
}

fn text(plan: &[Op], network: &Network) -> Vec<String> {
    plan.iter()
        .map(|op| {
            op.to_string()
                .replace(&network.id, "ID")
                .replace(&"e".repeat(64), "EP")
                .replace(&network.id[..10], "SHORT")
        })
        .collect()
}

#[test]
fn bridge_networks_get_a_bridge_with_the_gateway_and_veths() {
    let mut kernel = FakeKernel::default();
    let network = settle_on(
        &mut kernel,
        &request("lab", Driver::Bridge, "10.10.0.0/24", &[]),
    )
    .unwrap();
    let driver = for_network(&network).unwrap();
    assert_eq!(driver.egress(), Egress::Routed);
    assert!(!driver.links_follow_endpoints());
    assert_eq!(
        driver.host_link(&network),
        Some(format!("ctn-{}", &network.id[..10]).as_str())
    );
    assert_eq!(
        text(&driver.create(&network), &network),
        [
            "ip link add ctn-SHORT address 02:42:0a:0a:00:01 type bridge && ip link set ctn-SHORT alias ctnet:ID up",
            "ip addr add 10.10.0.1/24 dev ctn-SHORT",
            "sysctl -w net/ipv4/conf/ctn-SHORT/route_localnet=1",
        ]
    );
    let ep = endpoint(&network, true);
    assert_eq!(
        text(&driver.join(&network, &ep, &sandbox()), &network),
        [
            "ip link add vctneeeeeeeeeee master ctn-SHORT type veth peer name eth0 netns web address 02:42:0a:0a:00:02 && ip link set vctneeeeeeeeeee alias ctnet:EP addrgenmode none up",
            "ip -n web link set eth0 alias ctnet:EP addrgenmode none",
            "ip -n web link set eth0 up",
            "ip -n web addr add 10.10.0.2/24 dev eth0",
            "ip -n web route add default via 10.10.0.1 dev eth0",
            "ip -n web link set lo up",
        ]
    );
    assert_eq!(
        text(&driver.leave(&network, &ep, &sandbox(), true), &network),
        ["ip link del vctneeeeeeeeeee"]
    );
    assert_eq!(
        text(&driver.delete(&network), &network),
        ["ip link del ctn-SHORT"]
    );
}

#[test]
fn bridge_options_and_refusals() {
    let mut kernel = FakeKernel::default();
    let network = settle_on(
        &mut kernel,
        &request(
            "lab",
            Driver::Bridge,
            "10.10.0.0/24",
            &[("icc", "false"), ("bridge.name", "br-lab")],
        ),
    )
    .unwrap();
    assert_eq!(
        for_network(&network).unwrap().bridge_of(&network),
        Some(("br-lab", true))
    );
    // The fake host is on 192.0.2.0/24: a bridge there would take its traffic.
    let err = settle_on(
        &mut kernel,
        &request("lan", Driver::Bridge, "192.0.2.0/25", &[]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("overlaps 192.0.2.0/24"), "{err}");
    let err = settle_on(
        &mut kernel,
        &request("x", Driver::Bridge, "10.1.0.0/24", &[("colour", "blue")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown bridge option"), "{err}");
    let mut v6 = request("six", Driver::Bridge, "10.2.0.0/24", &[("mtu", "1000")]);
    v6.ipv6 = Some(PoolRequest::default());
    let err = settle_on(&mut kernel, &v6).unwrap_err();
    assert!(err.to_string().contains("too small for IPv6"), "{err}");
}

#[test]
fn macvlan_children_are_born_in_the_sandbox_with_their_own_mac() {
    let mut kernel = FakeKernel::default();
    let network = settle_on(
        &mut kernel,
        &request(
            "lan",
            Driver::Macvlan,
            "192.0.2.0/24",
            &[("parent", "eth0")],
        ),
    )
    .unwrap();
    let driver = for_network(&network).unwrap();
    assert_eq!(driver.egress(), Egress::Lan);
    assert_eq!(
        network.macvlan.as_ref().unwrap().mode,
        LanMode::Macvlan(MacvlanMode::Bridge)
    );
    assert!(
        driver.create(&network).is_empty(),
        "eth0 is the user's: nothing to make"
    );
    assert_eq!(driver.host_link(&network), None);
    let ep = endpoint(&network, false);
    let plan = text(&driver.join(&network, &ep, &sandbox()), &network);
    assert_eq!(
        plan[0],
        "ip link add eth0 link eth0 netns web address 02:42:c0:00:02:02 type macvlan mode bridge"
    );
    assert_eq!(
        text(&driver.leave(&network, &ep, &sandbox(), true), &network),
        ["ip -n web link del eth0"]
    );
    // A sandbox that is gone took its child along: nothing to do in a namespace that may
    // now be another's.
    assert!(driver.leave(&network, &ep, &sandbox(), false).is_empty());
}

#[test]
fn a_lan_network_without_parent_sits_on_a_dummy_and_is_internal() {
    let mut kernel = FakeKernel::default();
    let network = settle_on(
        &mut kernel,
        &request("iso", Driver::Macvlan, "10.3.0.0/24", &[]),
    )
    .unwrap();
    assert!(network.internal);
    let driver = for_network(&network).unwrap();
    assert_eq!(
        driver.host_link(&network),
        Some(format!("ctd-{}", &network.id[..10]).as_str())
    );
    assert_eq!(
        text(&driver.create(&network), &network),
        ["ip link add ctd-SHORT type dummy && ip link set ctd-SHORT alias ctnet:ID up"]
    );
    assert_eq!(
        text(&driver.delete(&network), &network),
        ["ip link del ctd-SHORT"]
    );
}

#[test]
fn ipvlan_shares_the_parents_mac_and_l3_routes_without_a_gateway() {
    let mut kernel = FakeKernel::default();
    let network = settle_on(
        &mut kernel,
        &request(
            "l3",
            Driver::Ipvlan,
            "10.4.0.0/24",
            &[("parent", "eth0"), ("ipvlan_mode", "l3")],
        ),
    )
    .unwrap();
    let driver = for_network(&network).unwrap();
    assert!(!driver.own_macs(&network));
    assert_eq!(
        network.ipvlan.as_ref().unwrap().mode,
        LanMode::Ipvlan(IpvlanMode::L3)
    );
    let ep = endpoint(&network, false);
    let plan = text(&driver.join(&network, &ep, &sandbox()), &network);
    assert_eq!(
        plan[0],
        "ip link add eth0 link eth0 netns web type ipvlan mode l3"
    );
    assert!(
        plan.contains(&"ip -n web route add default dev eth0".to_string()),
        "{plan:?}"
    );
    let mut with_gateway = request(
        "l3b",
        Driver::Ipvlan,
        "10.5.0.0/24",
        &[("parent", "eth0"), ("ipvlan_mode", "l3")],
    );
    with_gateway.ipv4.as_mut().unwrap().gateway = Some(Ipv4Addr::new(10, 5, 0, 1));
    let err = settle_on(&mut kernel, &with_gateway).unwrap_err();
    assert!(err.to_string().contains("takes no --gateway"), "{err}");
}

#[test]
fn lan_parents_must_exist_be_free_and_be_makeable() {
    let mut kernel = FakeKernel::default();
    kernel.links.insert("br0port".into(), true);
    let refused = |kernel: &mut FakeKernel, parent: &str| {
        settle_on(
            kernel,
            &request("m", Driver::Macvlan, "10.6.0.0/24", &[("parent", parent)]),
        )
        .unwrap_err()
        .to_string()
    };
    assert!(refused(&mut kernel, "nope").contains("does not exist"));
    assert!(refused(&mut kernel, "br0port").contains("is a port of a bridge"));
    assert!(refused(&mut kernel, "lo").contains("loopback"));
    kernel.missing_kinds = vec!["macvlan"];
    assert!(refused(&mut kernel, "eth0").contains("CONFIG_MACVLAN is not set"));
    // A VLAN sub-interface of a link that is there is made with the network.
    kernel.missing_kinds.clear();
    let network = settle_on(
        &mut kernel,
        &request(
            "v",
            Driver::Macvlan,
            "10.7.0.0/24",
            &[("parent", "eth0.10")],
        ),
    )
    .unwrap();
    assert_eq!(
        text(&for_network(&network).unwrap().create(&network), &network),
        ["ip link add eth0.10 link eth0 type vlan id 10 && ip link set eth0.10 alias ctnet:ID up"]
    );
}

#[test]
fn overlays_come_with_the_first_endpoint_and_leave_through_the_gateway_bridge() {
    let mut kernel = FakeKernel::default();
    let underlay = Underlay {
        dev: "eth0".into(),
        mtu: 1500,
        source: None,
    };
    kernel.routes.insert(Ipv4Addr::new(192, 0, 2, 20), underlay);
    let network = settle_on(
        &mut kernel,
        &request(
            "ov",
            Driver::Overlay,
            "10.8.0.0/24",
            &[("peer", "192.0.2.20"), ("vni", "5000")],
        ),
    )
    .unwrap();
    let driver = for_network(&network).unwrap();
    assert!(driver.links_follow_endpoints());
    assert_eq!(driver.egress(), Egress::GatewayBridge);
    assert!(!driver.egress().gateway_here());
    let overlay = network.overlay.as_ref().unwrap();
    assert_eq!(
        (overlay.vni, overlay.mtu, overlay.underlay.as_str()),
        (5000, 1450, "eth0")
    );
    let plan = text(&driver.create(&network), &network);
    assert_eq!(plan.len(), 3, "{plan:?}");
    assert!(
        plan[0].starts_with("ip link add cto-SHORT mtu 1450 address 02:43:"),
        "{plan:?}"
    );
    assert!(
        plan[1].contains("type vxlan id 5000 dstport 4789 dev eth0"),
        "{plan:?}"
    );
    assert_eq!(
        plan[2],
        "bridge fdb append 00:00:00:00:00:00 dev ctv-SHORT dst 192.0.2.20"
    );
    let err = settle_on(
        &mut kernel,
        &request(
            "ov2",
            Driver::Overlay,
            "10.9.0.0/24",
            &[("peer", "198.51.100.1")],
        ),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no route to peer"), "{err}");
}

#[test]
fn host_and_none_have_no_driver_and_names_are_checked_first() {
    let mut kernel = FakeKernel::default();
    let err = settle_on(&mut kernel, &NetworkRequest::new("h", Driver::Host)).unwrap_err();
    assert!(
        err.to_string()
            .contains("only one instance of the host network"),
        "{err}"
    );
    let err = settle_on(
        &mut kernel,
        &NetworkRequest::new("bad name", Driver::Bridge),
    )
    .unwrap_err();
    assert!(err.to_string().contains("invalid network name"), "{err}");
    kernel.forwarding = Forwarding::Off;
    assert!(
        for_network(&Network::blank(
            "0".repeat(64),
            "none",
            Driver::Null,
            String::new()
        ))
        .is_err()
    );
}

/// A cluster overlay with a routing mesh: its share carries this host's mesh address (with
/// the subnet's prefix) and each virtual IP (/32), the bridge has this host's own MAC, and
/// a change of services changes only the addresses.
#[test]
fn a_meshed_overlay_carries_its_mesh_address_and_virtual_ips() {
    use crate::drivers::overlay::mesh;
    use crate::model::{EndpointMode, Service};
    let mut kernel = FakeKernel::default();
    kernel.routes.insert(
        Ipv4Addr::new(192, 0, 2, 100),
        Underlay {
            dev: "eth0".into(),
            mtu: 1500,
            source: Some(Ipv4Addr::new(192, 0, 2, 1)),
        },
    );
    let mut req = request("ov", Driver::Overlay, "10.8.0.0/24", &[("vni", "5000")]);
    req.store = Some("etcd://192.0.2.100:2379".into());
    let mut before = settle_on(&mut kernel, &req).unwrap();
    assert!(!mesh::wanted(&before));
    let web = Service {
        id: "s".repeat(64),
        name: "web".into(),
        mode: EndpointMode::Vip,
        vip4: Some(Ipv4Addr::new(10, 8, 0, 9)),
        vip6: None,
        ports: Default::default(),
        created: String::new(),
    };
    before.services.push(web.clone());
    assert!(mesh::wanted(&before));
    before.overlay.as_mut().unwrap().mesh = Some(Ipv4Addr::new(10, 8, 0, 7));
    let plan = text(&mesh::changes(&before, false, &before, true), &before);
    assert!(
        plan[0].contains("address 02:4d:c0:00:02:01 type bridge"),
        "{plan:?}"
    );
    assert!(plan.contains(&"sysctl -w net/ipv4/conf/cto-SHORT/route_localnet=1".to_string()));
    let addresses: Vec<&String> = plan.iter().filter(|s| s.starts_with("ip addr")).collect();
    assert_eq!(
        addresses,
        [
            "ip addr add 10.8.0.7/24 dev cto-SHORT",
            "ip addr add 10.8.0.9/32 dev cto-SHORT"
        ],
        "{plan:?}"
    );
    // A second service: one more address, nothing else.
    let mut after = before.clone();
    after.services.push(Service {
        name: "api".into(),
        vip4: Some(Ipv4Addr::new(10, 8, 0, 10)),
        ..web
    });
    let plan = text(&mesh::changes(&before, true, &after, true), &after);
    assert_eq!(plan, ["ip addr add 10.8.0.10/32 dev cto-SHORT"]);
    // No mesh any more and no endpoint: the share goes.
    let plan = text(&mesh::changes(&after, true, &after, false), &after);
    assert!(
        plan.iter().all(|s| s.starts_with("ip link del")),
        "{plan:?}"
    );
}

/// A p2p link: no gateway taken from its /30, nothing made for the first end, the veth
/// between both sandboxes (each end then configured in its own) for the second, and the
/// link deleted from a living sandbox when an end leaves.
#[test]
fn a_p2p_link_is_made_when_its_second_end_joins() {
    let mut kernel = FakeKernel::default();
    let network = settle_on(
        &mut kernel,
        &request("l12", Driver::P2p, "10.12.0.0/30", &[("mtu", "1400")]),
    )
    .unwrap();
    let driver = for_network(&network).unwrap();
    assert!(driver.pairs());
    assert_eq!(driver.egress(), Egress::None);
    assert!(!driver.egress().gateway_here() && !driver.egress().forwarded());
    assert_eq!(network.ipam[0].gateway, Ipv4Addr::new(10, 12, 0, 0));
    assert!(driver.create(&network).is_empty());
    let first = endpoint(&network, false);
    let (mut second, mut other) = (first.clone(), sandbox());
    second.ifname = "eth1".into();
    other.name = "r2".into();
    other.netns = "/run/netns/r2".into();
    assert!(driver.join(&network, &first, &sandbox()).is_empty());
    let plan = text(
        &driver.join_beside(&network, &second, &other, Some((&first, &sandbox()))),
        &network,
    );
    assert!(
        plan[0].starts_with("ip -n r2 link add eth1 address 02:42:0a:0c:00:02 mtu 1400 type veth peer name eth0 netns web"),
        "{plan:?}"
    );
    assert!(
        plan.iter()
            .any(|s| s.contains("addr add 10.12.0.2/30 dev eth0")),
        "{plan:?}"
    );
    assert_eq!(
        plan.iter()
            .filter(|s| s.contains(" link set lo up"))
            .count(),
        2,
        "both ends are configured: {plan:?}"
    );
    assert_eq!(
        text(&driver.leave(&network, &second, &other, true), &network),
        ["ip -n r2 link del eth1"]
    );
    assert!(driver.leave(&network, &second, &other, false).is_empty());
    let err = settle_on(
        &mut kernel,
        &request("bad", Driver::P2p, "10.13.0.0/30", &[("parent", "eth0")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown p2p option"), "{err}");
}
