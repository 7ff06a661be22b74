//! Links: find, create, change, delete, list, and what a bridge holds.

use super::*;

impl Netlink {
    /// The index of the link called `name`.
    /// Whether a link of that name is there now (asked again: the index cache may know a
    /// link that went since).
    pub fn link_exists(&mut self, name: &str) -> bool {
        self.indexes.remove(name);
        self.ifindex(name).is_ok()
    }

    pub fn ifindex(&mut self, name: &str) -> Result<u32> {
        if let Some(index) = self.indexes.get(name) {
            return Ok(*index);
        }
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        let seq = self.send(RouteNetlinkMessage::GetLink(msg), NLM_F_REQUEST | NLM_F_ACK)?;
        let replies = self.receive(seq).map_err(|e| named(e, name))?;
        let index = replies
            .into_iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link.header.index),
                _ => None,
            })
            .ok_or_else(|| NetlinkError {
                errno: nix::libc::ENODEV,
                message: Some(format!("no link named {name}")),
            })?;
        self.indexes.insert(name.to_string(), index);
        Ok(index)
    }

    /// Sets a link up, addressed by name.
    pub fn link_up(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        self.request(RouteNetlinkMessage::SetLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    pub fn link_down(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.change_mask = LinkFlags::Up;
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        self.request(RouteNetlinkMessage::SetLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    pub fn set_link(&mut self, name: &str, attributes: Vec<LinkAttribute>) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        msg.attributes.extend(attributes);
        self.request(RouteNetlinkMessage::SetLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    /// Keeps a bridge port from talking to other isolated ports (icc=false). Port settings
    /// are taken by RTM_NEWLINK on an existing link; RTM_SETLINK ignores them.
    pub fn isolate_bridge_port(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::PortKind(InfoPortKind::Bridge),
            LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::Isolated(
                true,
            )])),
        ]));
        self.request(RouteNetlinkMessage::NewLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    pub fn delete_link(&mut self, name: &str) -> Result<()> {
        self.indexes.remove(name);
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        self.request(RouteNetlinkMessage::DelLink(msg), 0)
    }

    /// `None` if there is no link called `name`; else its bridge (or bond) master's index.
    pub fn link_controller(&mut self, name: &str) -> Result<Option<Option<u32>>> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        let seq = self.send(RouteNetlinkMessage::GetLink(msg), NLM_F_REQUEST | NLM_F_ACK)?;
        match self.receive(seq) {
            Err(e) if e.errno == nix::libc::ENODEV => Ok(None),
            Err(e) => Err(e),
            Ok(replies) => Ok(Some(replies.into_iter().find_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => {
                    link.attributes.into_iter().find_map(|a| match a {
                        LinkAttribute::Controller(index) => Some(index),
                        _ => None,
                    })
                }
                _ => None,
            }))),
        }
    }

    /// A bridge as the kernel has it: state, MTU, alias, addresses, the routes through it
    /// and its ports (name, alias). `None` if there is no such link.
    pub fn describe_bridge(&mut self, name: &str) -> Result<Option<BridgeView>> {
        let mut bridge = None;
        let mut ports = Vec::new();
        let mut links = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))? {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                links.push(link);
            }
        }
        let attr = |link: &LinkMessage, pick: fn(&LinkAttribute) -> Option<String>| {
            link.attributes.iter().find_map(pick).unwrap_or_default()
        };
        let ifname = |a: &LinkAttribute| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        };
        let alias = |a: &LinkAttribute| match a {
            LinkAttribute::IfAlias(n) => Some(n.clone()),
            _ => None,
        };
        for link in &links {
            if attr(link, ifname) == name {
                let mtu = link.attributes.iter().find_map(|a| match a {
                    LinkAttribute::Mtu(m) => Some(*m),
                    _ => None,
                });
                let up = link.header.flags.contains(LinkFlags::Up);
                bridge = Some((link.header.index, mtu.unwrap_or(0), up, attr(link, alias)));
            }
        }
        let Some((index, mtu, up, bridge_alias)) = bridge else {
            return Ok(None);
        };
        for link in &links {
            let controller = link.attributes.iter().find_map(|a| match a {
                LinkAttribute::Controller(c) => Some(*c),
                _ => None,
            });
            if controller == Some(index) {
                ports.push((attr(link, ifname), attr(link, alias)));
            }
        }
        let mut addresses = Vec::new();
        let mut addr = AddressMessage::default();
        addr.header.family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(addr))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply {
                if a.header.index != index {
                    continue;
                }
                for attribute in &a.attributes {
                    if let AddressAttribute::Local(IpAddr::V4(ip)) = attribute {
                        addresses.extend(Ipv4Net::new(*ip, a.header.prefix_len).ok());
                    }
                }
            }
        }
        let mut routes = Vec::new();
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetRoute(route))? {
            if let RouteNetlinkMessage::NewRoute(r) = reply {
                let oif = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Oif(o) => Some(*o),
                    _ => None,
                });
                let dst = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Destination(RouteAddress::Inet(ip)) => Some(*ip),
                    _ => None,
                });
                if oif == Some(index)
                    && r.header.table != RT_TABLE_LOCAL
                    && let Some(net) =
                        dst.and_then(|ip| Ipv4Net::new(ip, r.header.destination_prefix_length).ok())
                {
                    routes.push(net);
                }
            }
        }
        Ok(Some(BridgeView {
            state: if up { "up".into() } else { "down".into() },
            mtu,
            alias: bridge_alias,
            addresses,
            routes,
            ports,
        }))
    }

    /// Every link of the namespace as (name, alias); the alias is empty when unset.
    pub fn links(&mut self) -> Result<Vec<LinkSummary>> {
        let mut out = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))? {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                let mut summary = LinkSummary {
                    index: link.header.index,
                    ..LinkSummary::default()
                };
                for attr in link.attributes {
                    match attr {
                        LinkAttribute::IfName(n) => summary.name = n,
                        LinkAttribute::IfAlias(a) => summary.alias = a,
                        LinkAttribute::Controller(m) => summary.master = Some(m),
                        LinkAttribute::Address(mac) => summary.mac = mac,
                        _ => {}
                    }
                }
                out.push(summary);
            }
        }
        Ok(out)
    }
}
