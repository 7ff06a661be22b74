//! What goes into the table's sets and maps: typed elements computed from the state. A
//! command compares the elements before and after and hands nft the difference.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::TABLE;
use crate::model::{Driver, Endpoint, GatewayMode, Network, State};
use crate::ports::{PortMapping, Proto};

/// One value inside an element's key or data: typed, so nft receives JSON built from
/// values, never text built from names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Atom {
    Ifname(String),
    Proto(Proto),
    Addr(IpAddr),
    Port(u16),
    Prefix(IpNet),
    Verdict(&'static str),
    /// `ipv4` or `ipv6`, nft's `nf_proto`.
    Family(&'static str),
    /// One of a service's balancing slots (`numgen random mod SLOTS`).
    Slot(u32),
}

impl Atom {
    fn text(&self) -> String {
        match self {
            Atom::Ifname(name) => format!("\"{name}\""),
            Atom::Proto(p) => p.name().to_string(),
            Atom::Addr(a) => a.to_string(),
            Atom::Port(p) => p.to_string(),
            Atom::Prefix(n) => n.to_string(),
            Atom::Verdict(v) | Atom::Family(v) => v.to_string(),
            Atom::Slot(n) => n.to_string(),
        }
    }
}

fn text_of(atoms: &[Atom]) -> String {
    atoms.iter().map(Atom::text).collect::<Vec<_>>().join(" . ")
}

/// One element of one set or map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Element {
    pub(super) set: &'static str,
    pub(super) key: Vec<Atom>,
    /// The data of a map element; deletes name the key alone.
    pub(super) value: Option<Vec<Atom>>,
}

/// The firewall's contents for a state: what a command compares before and after.
pub type Policy = BTreeSet<Element>;

impl Element {
    fn set_only(set: &'static str, key: Vec<Atom>) -> Element {
        Element {
            set,
            key,
            value: None,
        }
    }

    /// The element as nft's text, `add element inet ctnet SET { KEY : DATA }`: for display.
    pub(super) fn add(&self) -> String {
        match &self.value {
            Some(v) => format!(
                "add element {TABLE} {} {{ {} : {} }}\n",
                self.set,
                text_of(&self.key),
                text_of(v)
            ),
            None => format!(
                "add element {TABLE} {} {{ {} }}\n",
                self.set,
                text_of(&self.key)
            ),
        }
    }

    pub(super) fn delete(&self) -> String {
        format!(
            "delete element {TABLE} {} {{ {} }}\n",
            self.set,
            text_of(&self.key)
        )
    }
}

/// The elements for published ports: one per port, so a range is one set of elements in
/// one nft transaction, and the rules never change.
pub fn port_elements<'a>(
    state: &'a State,
    endpoints: impl IntoIterator<Item = &'a Endpoint>,
) -> Policy {
    mapping_elements(endpoints.into_iter().flat_map(|ep| forwards(state, ep)))
}

/// One published mapping and the container address it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Forward {
    pub to: IpAddr,
    pub mapping: PortMapping,
    /// The family is in gateway mode routed: the port opens at the container's address
    /// and no host port is mapped.
    pub routed: bool,
}

/// Where an endpoint's published ports lead: to its IPv4 address, and (on a dual-stack
/// network) to its IPv6 address as well.
pub fn forwards<'a>(state: &State, ep: &'a Endpoint) -> impl Iterator<Item = Forward> + 'a {
    forwards_of(state, ep, &ep.ports)
}

/// Where some of an endpoint's published ports (`ports`) lead.
pub fn forwards_of<'a>(
    state: &State,
    ep: &Endpoint,
    ports: &'a [PortMapping],
) -> impl Iterator<Item = Forward> + 'a {
    forwards_with(
        routed_families(state.network_by_id(&ep.network_id)),
        ep,
        ports,
    )
}

/// Which families of a network are in gateway mode routed: IPv4, IPv6.
pub fn routed_families(network: Option<&Network>) -> [bool; 2] {
    let bridge = network.and_then(|n| n.bridge.as_ref());
    let routed = |v6| bridge.is_some_and(|b| b.gateway_mode(v6) == GatewayMode::Routed);
    [routed(false), routed(true)]
}

/// Where some of an endpoint's published ports lead, given which families of its network
/// are routed (for an endpoint whose network a command removed: see `Tx::commit`).
pub fn forwards_with<'a>(
    routed: [bool; 2],
    ep: &Endpoint,
    ports: &'a [PortMapping],
) -> impl Iterator<Item = Forward> + 'a {
    let addresses: Vec<IpAddr> = ep.addresses().map(|net| net.addr()).collect();
    addresses.into_iter().flat_map(move |to| {
        ports.iter().map(move |m| Forward {
            to,
            mapping: *m,
            routed: routed[usize::from(to.is_ipv6())],
        })
    })
}

/// Elements for mappings to the given container addresses. A mapping without a host
/// address is published on every address of both families; one with an address, only on
/// that family's side (`::` is every IPv6 address). A routed one opens the container's
/// port at its address; the others map host ports to it.
pub fn mapping_elements(forwards: impl IntoIterator<Item = Forward>) -> Policy {
    let mut out = BTreeSet::new();
    for Forward {
        to: address,
        mapping,
        routed,
    } in forwards
    {
        let v6 = address.is_ipv6();
        if mapping.host_ip.is_some_and(|ip| ip.is_ipv6() != v6) {
            continue;
        }
        if routed {
            let set = if v6 { "routed_ports6" } else { "routed_ports" };
            for (_, container_port) in mapping.pairs() {
                out.insert(Element::set_only(
                    set,
                    vec![
                        Atom::Addr(address),
                        Atom::Proto(mapping.proto),
                        Atom::Port(container_port),
                    ],
                ));
            }
            continue;
        }
        let (any, one) = if v6 {
            ("dnat6_any", "dnat6_ip")
        } else {
            ("dnat_any", "dnat_ip")
        };
        let set = match mapping.host_ip {
            None => any,
            Some(ip) if ip.is_unspecified() => any,
            Some(_) => one,
        };
        for (host_port, container_port) in mapping.pairs() {
            let mut key = vec![Atom::Proto(mapping.proto), Atom::Port(host_port)];
            if set == one {
                key.insert(0, Atom::Addr(mapping.host_ip.expect("one address")));
            }
            let target = vec![Atom::Addr(address), Atom::Port(container_port)];
            out.insert(Element {
                set,
                key,
                value: Some(target),
            });
        }
    }
    out
}

/// Every bridge of ctnet's on this host, in the order the state lists them: the bridge
/// networks' and the overlays'.
pub fn bridges(state: &State) -> Vec<String> {
    let overlays = state.networks.iter().filter_map(|n| n.overlay.as_ref());
    let bridged = state.networks.iter().filter(|n| n.driver == Driver::Bridge);
    bridged
        .filter_map(|n| Some(n.bridge.as_ref()?.ifname.clone()))
        .chain(overlays.map(|o| o.bridge.clone()))
        .collect()
}

use super::slots::{self, SLOTS};

/// The elements of a network's services: each virtual IP (asked from the network's
/// bridge) and each published port, slot by slot, to the tasks (the rules' `numgen random
/// mod 251` picks the slot; `slots` deals them). A change of tasks changes elements, never
/// rules.
fn service_elements(net: &crate::model::Network, bridge: &str, ipv6: bool, out: &mut Policy) {
    for service in &net.services {
        let tasks = net.tasks_of(&service.name);
        let v4: Vec<IpAddr> = tasks.iter().filter_map(|t| t.0.map(IpAddr::V4)).collect();
        let v6: Vec<IpAddr> = (tasks.iter())
            .filter(|_| ipv6)
            .filter_map(|t| t.1.map(IpAddr::V6))
            .collect();
        for vip in service.vips() {
            let (map, set, tasks) = match vip {
                IpAddr::V4(_) => ("service_vips", "service_vip_addrs", &v4),
                IpAddr::V6(_) => ("service_vips6", "service_vip_addrs6", &v6),
            };
            out.insert(Element::set_only(set, vec![Atom::Addr(vip)]));
            for (slot, task) in (0..SLOTS).zip(slots::deal(tasks)) {
                let task = tasks[task];
                out.insert(Element {
                    set: map,
                    key: vec![
                        Atom::Ifname(bridge.to_string()),
                        Atom::Addr(vip),
                        Atom::Slot(slot),
                    ],
                    value: Some(vec![Atom::Addr(task)]),
                });
            }
        }
        for port in &service.ports {
            for (map, tasks) in [("service_ports", &v4), ("service_ports6", &v6)] {
                for (slot, task) in (0..SLOTS).zip(slots::deal(tasks)) {
                    let task = tasks[task];
                    out.insert(Element {
                        set: map,
                        key: vec![
                            Atom::Proto(port.proto),
                            Atom::Port(port.published),
                            Atom::Slot(slot),
                        ],
                        value: Some(vec![Atom::Addr(task), Atom::Port(port.target)]),
                    });
                }
            }
        }
    }
}

/// The routing mesh of a cluster overlay on this host: its services balanced like a
/// bridge network's, the bridge a hairpin (a sandbox asking a virtual IP for a task on the
/// same bridge), and the tasks on other hosts masqueraded to (their answers must come back
/// through this host; a task here answers through it anyway, and sees the client's own
/// address).
fn mesh_elements(net: &crate::model::Network, bridge: &str, out: &mut Policy) {
    let br = || Atom::Ifname(bridge.to_string());
    out.insert(Element::set_only("hairpin", vec![br(), br()]));
    // IPv4 only: the mesh's addresses (and its masquerade) are.
    service_elements(net, bridge, false, out);
    for service in &net.services {
        let remote = (net.remotes()).filter(|(_, r)| r.aliases.contains(&service.name));
        for ip in remote.filter_map(|(_, r)| r.ipv4) {
            out.insert(Element::set_only(
                "mesh_remote_tasks",
                vec![Atom::Addr(IpAddr::V4(ip))],
            ));
        }
    }
}

/// Every element the state calls for.
pub fn elements(state: &State) -> Policy {
    let mut out = network_elements(state);
    out.extend(port_elements(state, &state.endpoints));
    out
}

/// The elements that come from the networks alone.
pub fn network_elements(state: &State) -> Policy {
    let mut out = BTreeSet::new();
    let guard = &state.forwarding_guard;
    for (on, family) in [(guard.ipv4, "ipv4"), (guard.ipv6, "ipv6")] {
        if on {
            out.insert(Element::set_only(
                "forward_guard",
                vec![Atom::Family(family)],
            ));
        }
    }
    // An overlay's bridge: closed to routed traffic like any network, open within (its
    // frames cross the bridge, and the VXLAN port, on every host).
    for net in &state.networks {
        let Some(overlay) = &net.overlay else {
            continue;
        };
        let br = || Atom::Ifname(overlay.bridge.clone());
        out.insert(Element::set_only("bridges", vec![br()]));
        out.insert(Element {
            set: "icc",
            key: vec![br(), br()],
            value: Some(vec![Atom::Verdict("accept")]),
        });
        if net.meshed_here() {
            mesh_elements(net, &overlay.bridge, &mut out);
        }
    }
    for net in state.networks.iter().filter(|n| n.driver == Driver::Bridge) {
        let Some(bridge) = &net.bridge else { continue };
        let br = || Atom::Ifname(bridge.ifname.clone());
        out.insert(Element::set_only("bridges", vec![br()]));
        out.insert(Element::set_only("hairpin", vec![br(), br()]));
        service_elements(net, &bridge.ifname, true, &mut out);
        let verdict = if bridge.icc { "accept" } else { "drop" };
        out.insert(Element {
            set: "icc",
            key: vec![br(), br()],
            value: Some(vec![Atom::Verdict(verdict)]),
        });
        if net.internal {
            out.insert(Element::set_only("internal", vec![br()]));
            continue;
        }
        for (v6, family) in [(false, "ipv4"), (true, "ipv6")] {
            if bridge.gateway_mode(v6) == GatewayMode::NatUnprotected {
                out.insert(Element::set_only(
                    "unprotected",
                    vec![Atom::Family(family), br()],
                ));
            }
        }
        let masquerades = |v6| bridge.masquerade && bridge.gateway_mode(v6).masquerades();
        for config in net.ipam.iter().filter(|_| masquerades(false)) {
            out.insert(Element::set_only(
                "egress_nets",
                vec![Atom::Prefix(config.subnet.into())],
            ));
        }
        if let Some(config) = net.ipam6.as_ref().filter(|_| masquerades(true)) {
            out.insert(Element::set_only(
                "egress_nets6",
                vec![Atom::Prefix(config.subnet.into())],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::bridge_network;
    use crate::model::{EndpointMode, Service, ServicePort};

    fn with_service(tasks: &[(&str, &str)]) -> State {
        let mut net = bridge_network("app", "br-app", "10.1.0.0/24", true);
        for (name, ip) in tasks {
            net.members
                .edit()
                .insert(name.to_string(), ip.parse().unwrap());
            net.aliases
                .edit()
                .insert(name.to_string(), vec!["web".into()]);
        }
        net.services.push(Service {
            id: "s".repeat(64),
            name: "web".into(),
            mode: EndpointMode::Vip,
            vip4: Some("10.1.0.100".parse().unwrap()),
            vip6: None,
            ports: vec![ServicePort {
                proto: Proto::Tcp,
                published: 8000,
                target: 80,
            }],
            created: String::new(),
        });
        State {
            networks: vec![net],
            ..State::new()
        }
    }

    /// Each slot leads to one task, dealt round robin: the tasks share the slots evenly.
    #[test]
    fn a_services_slots_are_dealt_to_its_tasks() {
        let state = with_service(&[("t1", "10.1.0.2"), ("t2", "10.1.0.3"), ("t3", "10.1.0.4")]);
        let elements = network_elements(&state);
        for set in ["service_vips", "service_ports"] {
            let mut per_task = std::collections::BTreeMap::<String, u32>::new();
            for e in elements.iter().filter(|e| e.set == set) {
                let task = e.value.as_ref().unwrap()[0].text();
                *per_task.entry(task).or_default() += 1;
            }
            assert_eq!(per_task.values().sum::<u32>(), SLOTS, "{set}");
            assert!(
                per_task.values().all(|n| (83..=84).contains(n)),
                "{set}: {per_task:?}"
            );
        }
        assert!(elements.iter().any(|e| e.set == "service_vip_addrs"
            && e.key == [Atom::Addr("10.1.0.100".parse().unwrap())]));
    }

    /// A service without tasks keeps its VIP in the set the input chain drops, and no slot.
    #[test]
    fn a_service_without_tasks_has_no_slots() {
        let elements = network_elements(&with_service(&[]));
        assert!(
            !elements
                .iter()
                .any(|e| e.set.starts_with("service_vips") || e.set.starts_with("service_ports"))
        );
        assert!(elements.iter().any(|e| e.set == "service_vip_addrs"));
    }
}
