//! Addresses and routes: a sandbox's address and default route, and the host's own (what
//! a new subnet must not cover, which way a peer is).

use super::*;

impl Netlink {
    pub fn add_address(&mut self, dev: &str, addr: ipnet::IpNet) -> Result<()> {
        let index = self.ifindex(dev)?;
        let mut msg = AddressMessage::default();
        msg.header.prefix_len = addr.prefix_len();
        msg.header.index = index;
        match addr {
            ipnet::IpNet::V4(addr) => {
                msg.header.family = AddressFamily::Inet;
                let ip = IpAddr::V4(addr.addr());
                msg.attributes.push(AddressAttribute::Local(ip));
                msg.attributes.push(AddressAttribute::Address(ip));
                if addr.prefix_len() < 31 {
                    msg.attributes
                        .push(AddressAttribute::Broadcast(addr.broadcast()));
                }
            }
            ipnet::IpNet::V6(addr) => {
                msg.header.family = AddressFamily::Inet6;
                msg.attributes
                    .push(AddressAttribute::Address(IpAddr::V6(addr.addr())));
                // Usable the moment the command returns: no duplicate address detection
                // (IPAM already made the address unique on the network).
                msg.attributes
                    .push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
        }
        self.create(RouteNetlinkMessage::NewAddress(msg))
    }

    /// Takes `addr` off `dev`.
    pub fn delete_address(&mut self, dev: &str, addr: ipnet::IpNet) -> Result<()> {
        let index = self.ifindex(dev)?;
        let mut msg = AddressMessage::default();
        msg.header.prefix_len = addr.prefix_len();
        msg.header.index = index;
        let ip = addr.addr();
        msg.header.family = match ip {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        msg.attributes.push(AddressAttribute::Local(ip));
        msg.attributes.push(AddressAttribute::Address(ip));
        self.request(RouteNetlinkMessage::DelAddress(msg), 0)
    }

    /// The default route (of `gateway`'s family, or IPv6 if `v6`) out of `dev`, via
    /// `gateway`, or through the device itself when there is none (ipvlan l3).
    pub fn add_default_route(
        &mut self,
        dev: &str,
        v6: bool,
        gateway: Option<IpAddr>,
        replace: bool,
    ) -> Result<()> {
        let index = self.ifindex(dev)?;
        let mut msg = RouteMessage::default();
        msg.header.address_family = if v6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        msg.header.table = RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.kind = RouteType::Unicast;
        msg.header.scope = RouteScope::Universe;
        match gateway {
            Some(IpAddr::V4(gateway)) => msg
                .attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway))),
            Some(IpAddr::V6(gateway)) => msg
                .attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet6(gateway))),
            // An IPv4 device route is link-scoped; IPv6 has no such distinction.
            None if !v6 => msg.header.scope = RouteScope::Link,
            None => {}
        }
        msg.attributes.push(RouteAttribute::Oif(index));
        let flags = if replace {
            NLM_F_CREATE | NLM_F_REPLACE
        } else {
            NLM_F_CREATE | NLM_F_EXCL
        };
        self.request(RouteNetlinkMessage::NewRoute(msg), flags)
    }

    /// The interface the kernel would send a packet to `dst` by, its MTU, and the source
    /// address it would pick.
    pub fn route_to(&mut self, dst: std::net::Ipv4Addr) -> Result<Option<Underlay>> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.destination_prefix_length = 32;
        msg.attributes
            .push(RouteAttribute::Destination(RouteAddress::Inet(dst)));
        let seq = self.send(
            RouteNetlinkMessage::GetRoute(msg),
            NLM_F_REQUEST | NLM_F_ACK,
        )?;
        let replies = match self.receive(seq) {
            Err(e) if e.errno == nix::libc::ENETUNREACH || e.errno == nix::libc::EHOSTUNREACH => {
                return Ok(None);
            }
            other => other?,
        };
        let (mut index, mut source) = (None, None);
        for reply in replies {
            if let RouteNetlinkMessage::NewRoute(route) = reply {
                for attribute in route.attributes {
                    match attribute {
                        RouteAttribute::Oif(i) => index = Some(i),
                        RouteAttribute::PrefSource(RouteAddress::Inet(ip)) => source = Some(ip),
                        _ => {}
                    }
                }
            }
        }
        let Some(index) = index else { return Ok(None) };
        self.underlay_of(index, source)
    }

    /// The link that holds `ip` as one of its own addresses (as an underlay, `ip` its
    /// source), if any.
    pub fn link_with_address(&mut self, ip: std::net::Ipv4Addr) -> Result<Option<Underlay>> {
        let mut addr = AddressMessage::default();
        addr.header.family = AddressFamily::Inet;
        let mut index = None;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(addr))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply
                && a.attributes
                    .contains(&AddressAttribute::Local(IpAddr::V4(ip)))
            {
                index = Some(a.header.index);
            }
        }
        match index {
            Some(index) => self.underlay_of(index, Some(ip)),
            None => Ok(None),
        }
    }

    /// Link `index`'s name and MTU, as an underlay sending from `source`.
    fn underlay_of(
        &mut self,
        index: u32,
        source: Option<std::net::Ipv4Addr>,
    ) -> Result<Option<Underlay>> {
        let mut link = LinkMessage::default();
        link.header.index = index;
        let seq = self.send(
            RouteNetlinkMessage::GetLink(link),
            NLM_F_REQUEST | NLM_F_ACK,
        )?;
        let (mut name, mut mtu) = (None, None);
        for reply in self.receive(seq)? {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                for attribute in link.attributes {
                    match attribute {
                        LinkAttribute::IfName(n) => name = Some(n),
                        LinkAttribute::Mtu(m) => mtu = Some(m),
                        _ => {}
                    }
                }
            }
        }
        Ok(name
            .zip(mtu)
            .map(|(dev, mtu)| Underlay { dev, mtu, source }))
    }

    /// Every IPv4 subnet the namespace uses: its addresses' subnets and its routes'
    /// destinations (all tables but `local`, whose entries mirror the addresses).
    pub fn ipv4_in_use(&mut self) -> Result<Vec<Ipv4Net>> {
        let mut nets = self.ipv4_address_subnets()?;
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetRoute(route))? {
            if let RouteNetlinkMessage::NewRoute(r) = reply {
                if r.header.table == RT_TABLE_LOCAL {
                    continue;
                }
                let dst = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Destination(RouteAddress::Inet(ip)) => Some(*ip),
                    _ => None,
                });
                if let Some(ip) = dst {
                    nets.extend(
                        Ipv4Net::new(ip, r.header.destination_prefix_length)
                            .ok()
                            .map(|n| n.trunc()),
                    );
                }
            }
        }
        Ok(nets)
    }

    /// The addresses (with their prefix) on the link called `dev`, both families; IPv6
    /// link-local ones left out (the kernel makes those itself).
    pub fn link_addresses(&mut self, dev: &str) -> Result<Vec<ipnet::IpNet>> {
        let index = self.ifindex(dev)?;
        let mut addresses = Vec::new();
        let mut request = AddressMessage::default();
        request.header.index = index;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(request))? {
            let RouteNetlinkMessage::NewAddress(a) = reply else {
                continue;
            };
            if a.header.index != index {
                continue;
            }
            // IPv4 addresses carry Local; IPv6 ones only Address.
            let ip = a.attributes.iter().find_map(|attr| match attr {
                AddressAttribute::Local(ip) => Some(*ip),
                _ => None,
            });
            let ip = ip.or_else(|| {
                a.attributes.iter().find_map(|attr| match attr {
                    AddressAttribute::Address(ip) => Some(*ip),
                    _ => None,
                })
            });
            let link_local = matches!(ip, Some(IpAddr::V6(v6)) if v6.is_unicast_link_local());
            if let (Some(ip), false) = (ip, link_local) {
                addresses.extend(ipnet::IpNet::new(ip, a.header.prefix_len).ok());
            }
        }
        Ok(addresses)
    }

    /// Every address of the namespace, both families.
    pub fn local_addresses(&mut self) -> Result<Vec<IpAddr>> {
        let mut out = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply {
                out.extend(a.attributes.iter().find_map(|attr| match attr {
                    AddressAttribute::Address(ip) => Some(*ip),
                    _ => None,
                }));
            }
        }
        Ok(out)
    }

    /// The subnets of the namespace's IPv4 addresses: the networks it is directly on.
    pub fn ipv4_address_subnets(&mut self) -> Result<Vec<Ipv4Net>> {
        let mut nets = Vec::new();
        let mut addr = AddressMessage::default();
        addr.header.family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(addr))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply {
                for attr in &a.attributes {
                    if let AddressAttribute::Local(IpAddr::V4(ip)) = attr {
                        nets.extend(
                            Ipv4Net::new(*ip, a.header.prefix_len)
                                .ok()
                                .map(|n| n.trunc()),
                        );
                    }
                }
            }
        }
        Ok(nets)
    }
}
