//! Forgetting tracked connections (ctnetlink). A UDP client that keeps sending to a
//! published port keeps its flow, and the flow keeps the translation it got first: to an
//! endpoint that went, or to nothing while the port was not published. The flows are read
//! with a dump and deleted one by one by their original tuple, which is what identifies an
//! entry to the kernel.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_netfilter::conntrack::{
    ConntrackAttribute, ConntrackMessage, IPTuple, ProtoTuple, Protocol, Tuple,
};
use netlink_packet_netfilter::{
    NetfilterHeader, NetfilterMessage, NetfilterMessageInner, NetfilterProtoFamily,
};
use netlink_sys::protocols::NETLINK_NETFILTER;

use super::{Netlink, Result};
use crate::plan::Flows;

/// The source address of one direction of a flow.
fn source(tuple: &[Tuple]) -> Option<IpAddr> {
    tuple.iter().find_map(|t| match t {
        Tuple::Ip(ips) => ips.iter().find_map(|ip| match ip {
            IPTuple::SourceAddress(a) => Some(*a),
            _ => None,
        }),
        _ => None,
    })
}

/// The protocol and destination port of one direction of a flow.
fn destination_port(tuple: &[Tuple]) -> Option<(Protocol, u16)> {
    let proto = tuple.iter().find_map(|t| match t {
        Tuple::Proto(parts) => Some(parts),
        _ => None,
    })?;
    let protocol = proto.iter().find_map(|p| match p {
        ProtoTuple::Protocol(p) => Some(*p),
        _ => None,
    })?;
    let port = proto.iter().find_map(|p| match p {
        ProtoTuple::DestinationPort(port) => Some(*port),
        _ => None,
    })?;
    Some((protocol, port))
}

/// The destination address of one direction of a flow.
fn destination(tuple: &[Tuple]) -> Option<IpAddr> {
    tuple.iter().find_map(|t| match t {
        Tuple::Ip(ips) => ips.iter().find_map(|ip| match ip {
            IPTuple::DestinationAddress(a) => Some(*a),
            _ => None,
        }),
        _ => None,
    })
}

/// Whether `flows` takes the flow with these original and reply directions. A UDP port's
/// flows are those sent to this host (`local`: its addresses) or translated: an outgoing
/// flow to a server's port of the same number is not the mapping's.
fn matches(flows: &Flows, original: &[Tuple], reply: &[Tuple], local: &[IpAddr]) -> bool {
    match flows {
        Flows::Of(addr) => source(original) == Some(*addr) || source(reply) == Some(*addr),
        Flows::ToUdpPorts(ranges) => {
            let to_us = destination(original).is_some_and(|d| local.contains(&d));
            let translated = destination(original) != source(reply);
            (to_us || translated)
                && matches!(
                    destination_port(original),
                    Some((Protocol::Udp, port)) if ranges.iter().any(|r| r.contains(&port))
                )
        }
    }
}

impl Netlink {
    /// A socket for the netfilter family (connection tracking).
    pub fn open_netfilter() -> Result<Netlink> {
        Netlink::open_for(NETLINK_NETFILTER)
    }

    /// Deletes the tracked flows `flows` names; returns how many went. A flow that ends
    /// meanwhile is no error.
    pub fn forget_flows(&mut self, flows: &Flows, local: &[IpAddr]) -> Result<usize> {
        let families: &[NetfilterProtoFamily] = match flows {
            Flows::Of(IpAddr::V4(_)) => &[NetfilterProtoFamily::IPv4],
            Flows::Of(IpAddr::V6(_)) => &[NetfilterProtoFamily::IPv6],
            Flows::ToUdpPorts(_) => &[NetfilterProtoFamily::IPv4, NetfilterProtoFamily::IPv6],
        };
        let mut forgotten = 0;
        for family in families {
            forgotten += self.forget_flows_of_family(*family, flows, local)?;
        }
        Ok(forgotten)
    }

    fn forget_flows_of_family(
        &mut self,
        family: NetfilterProtoFamily,
        flows: &Flows,
        local: &[IpAddr],
    ) -> Result<usize> {
        let header = NetfilterHeader::new(family, 0, 0);
        let dump = NetfilterMessage::new(header.clone(), ConntrackMessage::Get(vec![]));
        let seq = self.send(dump, NLM_F_REQUEST | NLM_F_DUMP)?;
        let tracked: Vec<NetfilterMessage> = self.receive(seq)?;
        let mut forgotten = 0;
        for flow in tracked {
            let NetfilterMessageInner::Conntrack(ConntrackMessage::New(attributes)) = flow.inner
            else {
                continue;
            };
            let original = attributes.iter().find_map(|a| match a {
                ConntrackAttribute::CtaTupleOrig(t) => Some(t),
                _ => None,
            });
            let reply = attributes.iter().find_map(|a| match a {
                ConntrackAttribute::CtaTupleReply(t) => Some(t),
                _ => None,
            });
            let (Some(original), Some(reply)) = (original, reply) else {
                continue;
            };
            if !matches(flows, original, reply, local) {
                continue;
            }
            let delete = NetfilterMessage::new(
                header.clone(),
                ConntrackMessage::Delete(vec![ConntrackAttribute::CtaTupleOrig(original.clone())]),
            );
            let seq = self.send(delete, NLM_F_REQUEST | NLM_F_ACK)?;
            match self.receive::<NetfilterMessage>(seq) {
                Ok(_) => forgotten += 1,
                Err(e) if e.errno == nix::libc::ENOENT => {}
                Err(e) => return Err(e),
            }
        }
        Ok(forgotten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direction(src: &str, dst: &str, dport: u16) -> Vec<Tuple> {
        vec![
            Tuple::Ip(vec![
                IPTuple::SourceAddress(src.parse().unwrap()),
                IPTuple::DestinationAddress(dst.parse().unwrap()),
            ]),
            Tuple::Proto(vec![
                ProtoTuple::Protocol(Protocol::Udp),
                ProtoTuple::SourcePort(40000),
                ProtoTuple::DestinationPort(dport),
            ]),
        ]
    }

    #[test]
    fn a_ports_flows_are_those_to_this_host_or_translated() {
        let local: Vec<IpAddr> = vec!["203.0.113.1".parse().unwrap()];
        let port = Flows::ToUdpPorts(vec![5353..=5353]);
        // To this host's port, not translated (nothing was published): forgotten.
        let to_host = direction("203.0.113.2", "203.0.113.1", 5353);
        let back = direction("203.0.113.1", "203.0.113.2", 40000);
        assert!(matches(&port, &to_host, &back, &local));
        // Translated to a container: forgotten.
        let dnat_back = direction("10.5.0.2", "203.0.113.2", 40000);
        assert!(matches(&port, &to_host, &dnat_back, &local));
        // A container's own query to a server's port 5353 elsewhere: kept.
        let out = direction("10.5.0.2", "198.51.100.9", 5353);
        let out_back = direction("198.51.100.9", "203.0.113.1", 40000);
        assert!(!matches(&port, &out, &out_back, &local));
        // Of an address: what it sent and what was translated to it.
        let of = Flows::Of("10.5.0.2".parse().unwrap());
        assert!(matches(&of, &to_host, &dnat_back, &local));
        assert!(matches(&of, &out, &out_back, &local));
        assert!(!matches(&of, &to_host, &back, &local));
    }
}
