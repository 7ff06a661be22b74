//! What this kernel can make: each link kind tried once in a scratch namespace.

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};

use super::netlink::Netlink;

/// Which link kinds this kernel can create, tried for real in a throw-away namespace (a
/// thread that unshares its network namespace, which vanishes with the thread).
pub(super) fn probe_link_kinds() -> Vec<(&'static str, &'static str, Option<String>)> {
    let probe = || -> Vec<(&'static str, &'static str, Option<String>)> {
        if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
            return vec![("namespaces", "CONFIG_NET_NS", Some(e.to_string()))];
        }
        let Ok(mut nl) = Netlink::open() else {
            return vec![(
                "netlink",
                "CONFIG_NET",
                Some("cannot open a netlink socket".into()),
            )];
        };
        // A veth pair first: it is needed, and it is the parent the other kinds hang on.
        let mut parent = LinkMessage::default();
        parent
            .attributes
            .push(LinkAttribute::IfName("probe-parent".into()));
        let mut peer = LinkMessage::default();
        peer.attributes
            .push(LinkAttribute::IfName("probe-peer".into()));
        parent.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
        ]));
        let veth = nl
            .create(RouteNetlinkMessage::NewLink(parent))
            .err()
            .map(|e| e.to_string());
        // ipvlan and macvlan refuse to share a parent (EBUSY): each end of the pair is one.
        let parent_index = nl.ifindex("probe-parent").ok();
        let peer_index = nl.ifindex("probe-peer").ok();
        let mut out_all = vec![("veth", "CONFIG_VETH", veth)];
        let mut out = Vec::new();
        let mut try_kind =
            |label, option, kind: InfoKind, data: Option<InfoData>, on_parent: bool| {
                let mut msg = LinkMessage::default();
                msg.attributes
                    .push(LinkAttribute::IfName(format!("probe{}", out.len())));
                if on_parent {
                    let lower = if kind == InfoKind::IpVlan {
                        peer_index
                    } else {
                        parent_index
                    };
                    let Some(index) = lower else {
                        out.push((label, option, Some("no veth to try it on".to_string())));
                        return;
                    };
                    msg.attributes.push(LinkAttribute::Link(index));
                }
                let mut info = vec![LinkInfo::Kind(kind)];
                info.extend(data.map(LinkInfo::Data));
                msg.attributes.push(LinkAttribute::LinkInfo(info));
                let result = nl
                    .create(RouteNetlinkMessage::NewLink(msg))
                    .err()
                    .map(|e| e.to_string());
                out.push((label, option, result));
            };
        try_kind("bridge", "CONFIG_BRIDGE", InfoKind::Bridge, None, false);
        try_kind("dummy", "CONFIG_DUMMY", InfoKind::Dummy, None, false);
        try_kind("macvlan", "CONFIG_MACVLAN", InfoKind::MacVlan, None, true);
        try_kind("ipvlan", "CONFIG_IPVLAN", InfoKind::IpVlan, None, true);
        try_kind(
            "802.1q vlan",
            "CONFIG_VLAN_8021Q",
            InfoKind::Vlan,
            Some(InfoData::Vlan(vec![
                netlink_packet_route::link::InfoVlan::Id(10),
            ])),
            true,
        );
        try_kind(
            "vxlan",
            "CONFIG_VXLAN",
            InfoKind::Vxlan,
            Some(InfoData::Vxlan(vec![
                netlink_packet_route::link::InfoVxlan::Id(42),
                netlink_packet_route::link::InfoVxlan::Port(crate::ifnames::VXLAN_PORT),
            ])),
            false,
        );
        out_all.extend(out);
        out_all
    };
    std::thread::spawn(probe).join().unwrap_or_default()
}
