//! Each step in one line for `--dry-run`: which CNM concept it serves, in Linux's terms.

use super::{Ns, Op};
use crate::model::MadeParent;
use crate::plan::xfrm::{Xfrm, XfrmChange};

impl Op {
    /// Which CNM step this is and why, one line for `--dry-run`, so the plan reads as a
    /// lesson: what Docker's concept becomes in Linux.
    pub fn explain(&self) -> &'static str {
        match self {
            Op::CreateBridge { .. } => "network: a Linux bridge is the network's switch",
            Op::CreateVeth { .. } => {
                "endpoint: a veth pair, one end on the bridge, the other born inside the sandbox"
            }
            Op::CreateVethBetween { .. } => {
                "p2p link: a veth pair straight between two sandboxes, no bridge"
            }
            Op::CreateMacvlan { .. } => {
                "endpoint: a macvlan child of the LAN interface, inside the sandbox, with its own MAC"
            }
            Op::CreateVxlan { .. } => {
                "network: a VXLAN port joins this host's bridge to the other hosts' (UDP 4789)"
            }
            Op::AddFloodEntry { .. } => {
                "network: broadcasts and unknown MACs also go to this peer host (static mode)"
            }
            Op::AddRemote { .. } => {
                "network: an endpoint on another host, from the store: its MAC behind that host's VTEP, its address answered here"
            }
            Op::DeleteRemote { .. } => "remove: an endpoint that left another host",
            Op::Xfrm {
                change: XfrmChange::Remove,
                ..
            } => "remove: IPsec no longer needed (or an old key)",
            Op::Xfrm {
                object: Xfrm::Policy { .. },
                ..
            } => "encryption: VXLAN to and from this host must be IPsec ESP (never plaintext)",
            Op::Xfrm {
                object: Xfrm::Sa { .. },
                ..
            } => "encryption: an ESP security association (AES-GCM) with a key from the store",
            Op::CreateIpvlan { .. } => {
                "endpoint: an ipvlan child of the LAN interface, inside the sandbox, sharing its MAC"
            }
            Op::CreateParent {
                made: MadeParent::Vlan { .. },
                ..
            } => "network: an 802.1q sub-interface puts the network on its VLAN",
            Op::CreateParent {
                made: MadeParent::Dummy,
                ..
            } => "network: no parent given, so an internal network on a dummy interface",
            Op::PrepareLink {
                link_local: true, ..
            } => "endpoint: tag the interface as ctnet's",
            Op::PrepareLink { .. } => {
                "endpoint: tag the interface as ctnet's; no IPv6 link-local on an IPv4 network"
            }
            Op::LinkUp { dev, .. } if dev == "lo" => "sandbox: loopback up",
            Op::LinkUp { .. } => "endpoint: interface up",
            Op::SysctlIn { .. } => {
                "lab: a kernel setting inside the node's namespace (its own copy of net.*)"
            }
            Op::LinkDown { .. } => "impairment: the link down (a flap), as a cable pulled",
            Op::Impair { to: Some(i), .. } if i.rate_only() => {
                "impairment: a token bucket (tbf) qdisc limits the rate of what leaves the interface"
            }
            Op::Impair { to: Some(_), .. } => {
                "impairment: a netem qdisc delays, drops or corrupts what leaves the interface"
            }
            Op::Impair { to: None, .. } => "impairment: the interface's default qdisc again",
            Op::AddAddress {
                ns: Ns::Host, addr, ..
            } if addr.max_prefix_len() == addr.prefix_len() => {
                "service: its virtual IP on the bridge, so the network's sandboxes reach it"
            }
            Op::DeleteAddress { .. } => "service: its virtual IP off the bridge",
            Op::AddAddress { ns: Ns::Host, .. } => {
                "network: the gateway address lives on the bridge"
            }
            Op::AddAddress { .. } => "endpoint: the address IPAM picked",
            Op::AddDefaultRoute6 { .. } => {
                "endpoint: IPv6 default route through the network's IPv6 gateway"
            }
            Op::AddDefaultRoute { gateway: None, .. } => {
                "endpoint: default route through the interface (the parent routes in l3 mode)"
            }
            Op::AddDefaultRoute { .. } => "endpoint: default route through the network's gateway",
            Op::DeleteLink { .. } => "remove: deleting one end of a veth removes both",
            Op::CreateNetns { .. } => "sandbox: a named network namespace",
            Op::DeleteNetns { .. } => "remove: the sandbox's namespace",
            Op::Sysctl { .. } => "network: let the kernel route for the network",
            Op::ForgetFlows {
                flows: crate::plan::Flows::Of(_),
            } => "remove: the endpoint's tracked flows, so no published port keeps leading to it",
            Op::ForgetFlows { .. } => {
                "ports: UDP flows to the host port forgotten, so a client that keeps sending follows the new mapping"
            }
            Op::EnableForwarding { .. } => {
                "host: let the kernel route for ctnet's networks (ctnet's table forwards nothing else)"
            }
            Op::DisableForwarding { .. } => "undo: forwarding off again, as it was",
            Op::AttachToBridge { .. } => "repair: the endpoint's veth back on its network's bridge",
            Op::DockerUser { .. } => {
                "coexistence: Docker's DOCKER-USER chain lets ctnet's bridges past Docker's FORWARD policy"
            }
            Op::Firewall { .. } => {
                "policy: isolation, masquerade and published ports in table inet ctnet"
            }
        }
    }
}
