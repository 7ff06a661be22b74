//! A VXLAN device's forwarding and neighbour entries: where other hosts' endpoints live.

use super::*;

impl Netlink {
    /// `bridge fdb append 00:00:00:00:00:00 dev DEV dst PEER`: another VTEP to flood to.
    pub fn append_flood_entry(&mut self, dev: &str, peer: std::net::Ipv4Addr) -> Result<()> {
        use netlink_packet_route::neighbour::{
            NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
        };
        let index = self.ifindex(dev)?;
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Bridge;
        msg.header.ifindex = index;
        msg.header.state = NeighbourState::Permanent;
        msg.header.flags = NeighbourFlags::Own;
        msg.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![0; 6]));
        msg.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                peer,
            )));
        self.request(
            RouteNetlinkMessage::NewNeighbour(msg),
            NLM_F_CREATE | NLM_F_APPEND,
        )
    }

    /// Adds (or replaces) or removes what a VXLAN device needs for an endpoint on another
    /// host: the FDB entries sending its MAC through the bridge's VXLAN port to that host's
    /// VTEP, and a neighbour entry per
    /// address so that the device answers ARP and neighbour solicitations for it. Removing
    /// what is already gone is not an error.
    pub fn set_remote(
        &mut self,
        dev: &str,
        remote: &crate::model::RemoteEndpoint,
        add: bool,
    ) -> Result<()> {
        use netlink_packet_route::neighbour::{
            NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
        };
        let index = self.ifindex(dev)?;
        let mac = remote.mac.octets().to_vec();
        let entry = |family, flags, destination| {
            let mut msg = NeighbourMessage::default();
            msg.header.family = family;
            msg.header.ifindex = index;
            msg.header.state = NeighbourState::Permanent;
            msg.header.flags = flags;
            msg.attributes
                .push(NeighbourAttribute::LinkLayerAddress(mac.clone()));
            msg.attributes
                .push(NeighbourAttribute::Destination(destination));
            msg
        };
        // The bridge's own entry too (static: never learned, so never stale): a MAC that
        // was learned behind the VXLAN port and comes back on a local veth (an address
        // reused on this host) must not stay sent to the old host.
        let mut on_bridge = NeighbourMessage::default();
        on_bridge.header.family = AddressFamily::Bridge;
        on_bridge.header.ifindex = index;
        on_bridge.header.state = NeighbourState::Noarp;
        on_bridge.header.flags = NeighbourFlags::Controller;
        on_bridge
            .attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.clone()));
        let mut messages = vec![
            on_bridge,
            entry(
                AddressFamily::Bridge,
                NeighbourFlags::Own,
                NeighbourAddress::Inet(remote.vtep),
            ),
        ];
        for ip in remote.addresses() {
            messages.push(match ip {
                std::net::IpAddr::V4(v4) => entry(
                    AddressFamily::Inet,
                    NeighbourFlags::empty(),
                    NeighbourAddress::Inet(v4),
                ),
                std::net::IpAddr::V6(v6) => entry(
                    AddressFamily::Inet6,
                    NeighbourFlags::empty(),
                    NeighbourAddress::Inet6(v6),
                ),
            });
        }
        for msg in messages {
            if add {
                self.request(
                    RouteNetlinkMessage::NewNeighbour(msg),
                    NLM_F_CREATE | NLM_F_REPLACE,
                )?;
            } else {
                match self.request(RouteNetlinkMessage::DelNeighbour(msg), 0) {
                    Err(e) if e.errno == nix::libc::ENOENT => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }
}
