//! The answers of `ctnet dns serve`, without any I/O: a zone built from the networks'
//! member lists, and the reply to one query from one asker.
//!
//! A sandbox sees the names (and aliases) of the sandboxes on its own user-defined networks,
//! as in Docker; everything else is forwarded upstream. The wire format is hickory's.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, PTR};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dns::names::resolves_names;
use crate::model::Network;

/// Docker's embedded DNS answers with this TTL.
const TTL: u32 = 600;

/// One network's names.
#[derive(Debug, Default)]
struct NetworkNames {
    /// Lower-case name or alias → addresses (IPv4 and, on a dual-stack network, IPv6).
    addresses: HashMap<String, Vec<IpAddr>>,
    /// Address → the sandbox's name (as a fully qualified DNS name).
    names: HashMap<IpAddr, String>,
}

/// Everything the resolver knows, rebuilt whenever state.json changes.
#[derive(Debug, Default)]
pub struct Zone {
    networks: Vec<NetworkNames>,
    /// Sandbox address → what that sandbox may ask. Nobody else gets an answer: the
    /// gateway is reachable from outside too, and must not become an open relay.
    askers: HashMap<IpAddr, Asker>,
    /// Where the resolver listens: the gateways of the networks that resolve names, each
    /// with the bridge its askers' queries must arrive on.
    pub listen: BTreeMap<IpAddr, String>,
}

/// A sandbox as the resolver sees it.
#[derive(Debug, Clone, Default)]
struct Asker {
    /// The networks (indexes into `Zone::networks`) whose names it sees.
    networks: Vec<usize>,
    /// It has a way out (a network that is not internal), so its other queries go upstream;
    /// a sandbox only on internal networks reaches nothing outside, DNS included.
    may_forward: bool,
    /// The sandbox's name: whose own `--dns` servers to look up.
    name: String,
    /// The `--dns` servers of its first network that has any.
    network_dns: Vec<IpAddr>,
}

impl Zone {
    pub fn build(networks: &[Network]) -> Zone {
        let mut zone = Zone::default();
        let mut of_sandbox: HashMap<&str, Asker> = HashMap::new();
        for network in networks {
            for member in network.member_names() {
                let asker = of_sandbox.entry(member).or_default();
                asker.name = member.clone();
                asker.may_forward |= !network.internal;
                if asker.network_dns.is_empty() {
                    asker.network_dns = network.dns_servers.clone();
                }
            }
        }
        for network in networks.iter().filter(|n| resolves_names(n)) {
            let index = zone.networks.len();
            let mut names = NetworkNames::default();
            for member in network.named_members() {
                let (ipv4, ipv6) = network.addresses_of(member);
                let ips: Vec<IpAddr> = (ipv4.map(IpAddr::V4))
                    .into_iter()
                    .chain(ipv6.map(IpAddr::V6))
                    .collect();
                let member_aliases = network.aliases_of(member);
                let aliases =
                    (member_aliases.iter()).filter(|alias| network.vip_service(alias).is_none());
                for name in std::iter::once(member).chain(aliases) {
                    let entry = names
                        .addresses
                        .entry(name.to_ascii_lowercase())
                        .or_default();
                    entry.extend(&ips);
                }
                for ip in ips {
                    names.names.insert(ip, format!("{member}."));
                }
                of_sandbox.entry(member).or_default().networks.push(index);
            }
            // A vip service's name is its virtual IPs.
            for service in &network.services {
                let vips: Vec<IpAddr> = service.vips().collect();
                if vips.is_empty() {
                    continue;
                }
                for vip in &vips {
                    names.names.insert(*vip, format!("{}.", service.name));
                }
                names
                    .addresses
                    .insert(service.name.to_ascii_lowercase(), vips);
            }
            zone.networks.push(names);
            if let Some(bridge) = &network.bridge {
                let on_bridge = |ip| (ip, bridge.ifname.clone());
                zone.listen.extend(
                    network
                        .ipam
                        .iter()
                        .map(|c| on_bridge(IpAddr::V4(c.gateway))),
                );
                // An IPv6-only network's sandboxes ask on its IPv6 gateway.
                if network.ipam.is_empty() {
                    zone.listen.extend(
                        network
                            .ipam6
                            .iter()
                            .map(|c| on_bridge(IpAddr::V6(c.gateway))),
                    );
                }
            }
        }
        // Every address of a sandbox, on any network, asks with that sandbox's view.
        for network in networks {
            let v4 = network.members.iter().map(|(m, ip)| (m, IpAddr::V4(*ip)));
            let v6 = network.members6.iter().map(|(m, ip)| (m, IpAddr::V6(*ip)));
            for (member, ip) in v4.chain(v6) {
                let asker = of_sandbox.get(member.as_str()).cloned().unwrap_or_default();
                zone.askers.insert(ip, asker);
            }
        }
        zone
    }

    fn asker(&self, address: IpAddr) -> Option<&Asker> {
        // A v4 asker on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.askers.get(&address)
    }

    /// Who asks from `address`: the sandbox's name and its network's DNS servers, for the
    /// choice of upstream.
    pub fn asked_by(&self, address: IpAddr) -> Option<(&str, &[IpAddr])> {
        self.asker(address)
            .map(|a| (a.name.as_str(), a.network_dns.as_slice()))
    }

    fn seen_by<'a>(&'a self, asker: &'a Asker) -> impl Iterator<Item = &'a NetworkNames> {
        asker.networks.iter().map(|&i| &self.networks[i])
    }
}

/// What to do with a datagram.
#[derive(Debug, PartialEq)]
pub enum Reply {
    /// Send these bytes back.
    Answer(Vec<u8>),
    /// Not one of ours: ask the upstream servers and relay their reply.
    Forward,
    /// Not a query (a response, or too short to carry an id): say nothing.
    Ignore,
}

/// The reply to `packet` from `asker`.
pub fn answer(zone: &Zone, packet: &[u8], asker: IpAddr) -> Reply {
    let request = match Message::from_vec(packet) {
        Ok(request) => request,
        Err(_) if packet.len() >= 12 && packet[2] & 0x80 == 0 => {
            let id = u16::from_be_bytes([packet[0], packet[1]]);
            return encode(Message::error_msg(id, OpCode::Query, ResponseCode::FormErr));
        }
        Err(_) => return Reply::Ignore,
    };
    let meta = &request.metadata;
    if meta.message_type != MessageType::Query {
        return Reply::Ignore;
    }
    let mut response = Message::response(meta.id, meta.op_code);
    response.metadata.recursion_desired = meta.recursion_desired;
    response.metadata.recursion_available = true;
    if meta.op_code != OpCode::Query {
        response.metadata.response_code = ResponseCode::NotImp;
        return encode(response);
    }
    let [query] = request.queries.as_slice() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return encode(response);
    };
    response.add_query(query.clone());
    let Some(asker) = zone.asker(asker) else {
        response.metadata.response_code = ResponseCode::Refused;
        return encode(response);
    };
    // Not one of ours: upstream, if this sandbox may reach out at all.
    let elsewhere = |mut response: Message| match asker.may_forward {
        true => Reply::Forward,
        false => {
            response.metadata.response_code = ResponseCode::Refused;
            encode(response)
        }
    };
    let name = &query.name;
    let records: Vec<Record> = match query.query_type {
        RecordType::PTR => {
            let Some(ip) = arpa_ip(name) else {
                return elsewhere(response);
            };
            let Some(target) = zone.seen_by(asker).find_map(|n| n.names.get(&ip)) else {
                return elsewhere(response);
            };
            let Ok(target) = Name::from_ascii(target) else {
                return elsewhere(response);
            };
            vec![Record::from_rdata(
                name.clone(),
                TTL,
                RData::PTR(PTR(target)),
            )]
        }
        query_type => {
            let key = name.to_ascii().trim_end_matches('.').to_ascii_lowercase();
            let found: Vec<IpAddr> = zone
                .seen_by(asker)
                .filter_map(|n| n.addresses.get(&key))
                .flatten()
                .copied()
                .collect();
            if found.is_empty() {
                return elsewhere(response);
            }
            // Several addresses (a dnsrr service's tasks) in turn: each query starts the
            // list at another one, by its id.
            let mut found = found;
            let turn = usize::from(meta.id) % found.len();
            found.rotate_left(turn);
            // A name of ours: its A and AAAA records, and "no such record" for any other
            // type, never a forward that would leak the name or find another host's.
            let wanted = |ip: &IpAddr| match query_type {
                RecordType::ANY => true,
                RecordType::A => ip.is_ipv4(),
                RecordType::AAAA => ip.is_ipv6(),
                _ => false,
            };
            found
                .into_iter()
                .filter(wanted)
                .map(|ip| {
                    let data = match ip {
                        IpAddr::V4(v4) => RData::A(A(v4)),
                        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
                    };
                    Record::from_rdata(name.clone(), TTL, data)
                })
                .collect()
        }
    };
    response.metadata.authoritative = true;
    response.add_answers(records);
    encode(response)
}

/// The address of an `in-addr.arpa` or `ip6.arpa` name.
fn arpa_ip(name: &Name) -> Option<IpAddr> {
    match name.parse_arpa_name().ok()? {
        ipnet::IpNet::V4(net) if net.prefix_len() == 32 => Some(IpAddr::V4(net.addr())),
        ipnet::IpNet::V6(net) if net.prefix_len() == 128 => Some(IpAddr::V6(net.addr())),
        _ => None,
    }
}

fn encode(message: Message) -> Reply {
    match message.to_vec() {
        Ok(bytes) => Reply::Answer(bytes),
        Err(_) => Reply::Ignore,
    }
}

/// A SERVFAIL for `packet` (when no upstream answered).
pub fn server_failure(packet: &[u8]) -> Option<Vec<u8>> {
    let id = u16::from_be_bytes([*packet.first()?, *packet.get(1)?]);
    let mut message = Message::error_msg(id, OpCode::Query, ResponseCode::ServFail);
    if let Ok(request) = Message::from_vec(packet) {
        message.metadata.recursion_desired = request.metadata.recursion_desired;
        message.add_queries(request.queries);
    }
    message.to_vec().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::network_with_members;
    use hickory_proto::op::Query;

    fn zone() -> Zone {
        let mut app =
            network_with_members("app", false, &[("web", "10.1.0.2"), ("db", "10.1.0.3")]);
        app.aliases
            .edit()
            .insert("db".into(), vec!["Postgres".into()]);
        let other = network_with_members(
            "other",
            false,
            &[("web", "10.2.0.2"), ("cache", "10.2.0.3")],
        );
        let default = network_with_members(
            "bridge",
            true,
            &[("lone", "172.17.0.2"), ("db", "172.17.0.3")],
        );
        let mut closed = network_with_members("closed", false, &[("vault", "10.3.0.2")]);
        closed.internal = true;
        Zone::build(&[app, other, default, closed])
    }

    fn ask(zone: &Zone, asker: &str, name: &str, kind: RecordType) -> Reply {
        let mut query = Message::query();
        query.add_query(Query::query(Name::from_ascii(name).unwrap(), kind));
        answer(zone, &query.to_vec().unwrap(), asker.parse().unwrap())
    }

    fn addresses(reply: Reply) -> Vec<String> {
        let Reply::Answer(bytes) = reply else {
            panic!("{reply:?}")
        };
        let message = Message::from_vec(&bytes).unwrap();
        message.answers.iter().map(|r| r.data.to_string()).collect()
    }

    fn rcode(reply: Reply) -> ResponseCode {
        let Reply::Answer(bytes) = reply else {
            panic!("{reply:?}")
        };
        Message::from_vec(&bytes).unwrap().metadata.response_code
    }

    #[test]
    fn names_and_aliases_on_the_askers_networks_only() {
        let zone = zone();
        assert_eq!(
            addresses(ask(&zone, "10.1.0.3", "web", RecordType::A)),
            ["10.1.0.2"]
        );
        assert_eq!(
            addresses(ask(&zone, "10.1.0.2", "postgres.", RecordType::A)),
            ["10.1.0.3"]
        );
        // web is on both networks: it sees cache; db (only on app) does not.
        assert_eq!(
            addresses(ask(&zone, "10.1.0.2", "cache", RecordType::A)),
            ["10.2.0.3"]
        );
        assert_eq!(
            ask(&zone, "10.1.0.3", "cache", RecordType::A),
            Reply::Forward
        );
        // The default network resolves no names.
        assert_eq!(
            ask(&zone, "172.17.0.2", "db", RecordType::A),
            Reply::Forward
        );
        // Strangers (a LAN host, a spoofed source) are refused: no open relay.
        assert_eq!(
            rcode(ask(&zone, "192.0.2.9", "web", RecordType::A)),
            ResponseCode::Refused
        );
        assert_eq!(
            rcode(ask(&zone, "192.0.2.9", "example.org", RecordType::A)),
            ResponseCode::Refused
        );
        // A sandbox only on an internal network reaches nothing outside, DNS included.
        assert_eq!(
            rcode(ask(&zone, "10.3.0.2", "example.org", RecordType::A)),
            ResponseCode::Refused
        );
        assert_eq!(
            ask(&zone, "10.1.0.3", "example.org", RecordType::A),
            Reply::Forward
        );
        // A local name has no AAAA record; that is an empty answer, not a forward.
        assert!(addresses(ask(&zone, "10.1.0.3", "web", RecordType::AAAA)).is_empty());
    }

    #[test]
    fn reverse_lookups_of_neighbours() {
        let zone = zone();
        assert_eq!(
            addresses(ask(
                &zone,
                "10.1.0.3",
                "2.0.1.10.in-addr.arpa.",
                RecordType::PTR
            )),
            ["web."]
        );
        assert_eq!(
            ask(&zone, "10.1.0.3", "3.0.2.10.in-addr.arpa.", RecordType::PTR),
            Reply::Forward
        );
        assert_eq!(zone.listen.len(), 0, "test networks have no bridge");
    }

    #[test]
    fn garbage_gets_a_format_error_and_responses_are_ignored() {
        let zone = zone();
        let mut junk = vec![0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
        junk.extend_from_slice(&[0xff; 7]);
        let Reply::Answer(bytes) = answer(&zone, &junk, "10.1.0.2".parse().unwrap()) else {
            panic!()
        };
        let reply = Message::from_vec(&bytes).unwrap();
        assert_eq!(
            (reply.metadata.id, reply.metadata.response_code),
            (0x1234, ResponseCode::FormErr)
        );
        junk[2] |= 0x80;
        assert_eq!(
            answer(&zone, &junk, "10.1.0.2".parse().unwrap()),
            Reply::Ignore
        );
        assert_eq!(
            answer(&zone, &[1, 2, 3], "10.1.0.2".parse().unwrap()),
            Reply::Ignore
        );
    }
}
