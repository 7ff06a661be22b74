//! What goes into the table's sets and maps: typed elements computed from the state. A
//! command compares the elements before and after and hands nft the difference.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::TABLE;
use crate::model::{Driver, Endpoint, State};
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

/// The DNAT map elements for published ports: one per port, so a range is one set of
/// elements in one nft transaction, and the rules never change.
pub fn port_elements<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Policy {
    mapping_elements(endpoints.into_iter().flat_map(forwards))
}

/// Where an endpoint's published ports lead: to its IPv4 address, and (on a dual-stack
/// network) to its IPv6 address as well.
pub fn forwards(ep: &Endpoint) -> impl Iterator<Item = (IpAddr, PortMapping)> + '_ {
    let addresses = ep.addresses().map(|net| net.addr());
    addresses.flat_map(move |address| ep.ports.iter().map(move |m| (address, *m)))
}

/// Map elements for mappings to the given container addresses. A mapping without a host
/// address is published on every address of both families; one with an address, only on
/// that family's side (`::` is every IPv6 address).
pub fn mapping_elements(mappings: impl IntoIterator<Item = (IpAddr, PortMapping)>) -> Policy {
    let mut out = BTreeSet::new();
    for (address, mapping) in mappings {
        let v6 = address.is_ipv6();
        let (any, one) = if v6 {
            ("dnat6_any", "dnat6_ip")
        } else {
            ("dnat_any", "dnat_ip")
        };
        let set = match mapping.host_ip {
            None => any,
            Some(ip) if ip.is_ipv6() != v6 => continue,
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

/// Every element the state calls for.
pub fn elements(state: &State) -> Policy {
    let mut out = network_elements(state);
    out.extend(port_elements(&state.endpoints));
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
    for overlay in state.networks.iter().filter_map(|n| n.overlay.as_ref()) {
        let br = || Atom::Ifname(overlay.bridge.clone());
        out.insert(Element::set_only("bridges", vec![br()]));
        out.insert(Element {
            set: "icc",
            key: vec![br(), br()],
            value: Some(vec![Atom::Verdict("accept")]),
        });
    }
    for net in state.networks.iter().filter(|n| n.driver == Driver::Bridge) {
        let Some(bridge) = &net.bridge else { continue };
        let br = || Atom::Ifname(bridge.ifname.clone());
        out.insert(Element::set_only("bridges", vec![br()]));
        out.insert(Element::set_only("hairpin", vec![br(), br()]));
        let verdict = if bridge.icc { "accept" } else { "drop" };
        out.insert(Element {
            set: "icc",
            key: vec![br(), br()],
            value: Some(vec![Atom::Verdict(verdict)]),
        });
        if net.internal {
            out.insert(Element::set_only("internal", vec![br()]));
        } else if bridge.masquerade {
            for config in &net.ipam {
                out.insert(Element::set_only(
                    "egress_nets",
                    vec![Atom::Prefix(config.subnet.into())],
                ));
            }
            if let Some(config) = &net.ipam6 {
                out.insert(Element::set_only(
                    "egress_nets6",
                    vec![Atom::Prefix(config.subnet.into())],
                ));
            }
        }
    }
    out
}
