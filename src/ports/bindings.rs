//! The host side of published ports, as the host-wide index in state.json keeps it: which
//! host ports a sandbox takes, not where they lead. By protocol and host address, adjacent
//! ranges are one entry, so 5,000 ports published one by one cost a command that reads
//! the index one entry, not 5,000 (each read and written again by every command).

use super::PortMapping;

/// The host ports `mappings` take: sorted by protocol, host address and port, ranges that
/// touch merged, and each range's container side set to its host side (the index has no
/// use for it, and equal sides let the ranges merge). Ranges that overlap stay apart: a
/// port held twice is for the consistency check to find, not to hide.
pub fn host_bindings(mut mappings: Vec<PortMapping>) -> Vec<PortMapping> {
    for mapping in &mut mappings {
        mapping.container_port = mapping.host_port;
    }
    // Ports are mostly published in order: an already sorted list costs one pass here.
    mappings.sort_unstable();
    let mut merged: Vec<PortMapping> = Vec::with_capacity(mappings.len());
    for mapping in mappings {
        match merged.last_mut() {
            Some(last) if same_binding(last, &mapping) && mapping.host_port as u32 == end(last) => {
                set_end(last, end(&mapping));
            }
            _ => merged.push(mapping),
        }
    }
    merged
}

/// The host ports of `before` that `after` no longer takes; both as `host_bindings` gives
/// them (sorted), so one pass over each.
pub fn released(before: &[PortMapping], after: &[PortMapping]) -> Vec<PortMapping> {
    let key = |m: &PortMapping| (m.proto, m.host_ip);
    let mut out = Vec::new();
    let mut next = 0;
    for gone in before {
        let mut start = gone.host_port as u32;
        // Skip what lies wholly before this range (the ranges are sorted and disjoint).
        while let Some(kept) = after.get(next)
            && (key(kept) < key(gone) || (key(kept) == key(gone) && end(kept) <= start))
        {
            next += 1;
        }
        for kept in after[next..]
            .iter()
            .take_while(|k| key(k) == key(gone) && (k.host_port as u32) < end(gone))
        {
            if kept.host_port as u32 > start {
                out.push(part(gone, start, kept.host_port as u32));
            }
            start = start.max(end(kept));
        }
        if start < end(gone) {
            out.push(part(gone, start, end(gone)));
        }
    }
    out
}

/// An index entry (`before`, as `host_bindings` gives it) after its sandbox gave up the
/// mappings `gave_up` and took `took`: what `host_bindings` of all it holds now would give,
/// without reading what it kept. A sandbox holds a host port once (`publish::allocate`
/// refuses a second), so a port taken that the entry has is the same one: following the
/// same changes again changes nothing more. What it gave up comes out first: a port given
/// up and taken again in one command stays.
pub fn follow(
    before: &[PortMapping],
    gave_up: Vec<PortMapping>,
    took: Vec<PortMapping>,
) -> Vec<PortMapping> {
    let mut now = released(before, &host_bindings(gave_up));
    let new = released(&host_bindings(took), &now);
    now.extend(new);
    host_bindings(now)
}

/// Each port of `binding` on its own.
pub fn single_ports(binding: &PortMapping) -> impl Iterator<Item = PortMapping> + '_ {
    let start = binding.host_port as u32;
    (start..end(binding)).map(|port| part(binding, port, port + 1))
}

fn same_binding(a: &PortMapping, b: &PortMapping) -> bool {
    a.proto == b.proto && a.host_ip == b.host_ip
}

/// One past the range's last port.
fn end(mapping: &PortMapping) -> u32 {
    mapping.host_port as u32 + mapping.count as u32
}

fn set_end(mapping: &mut PortMapping, end: u32) {
    // A range ends at port 65535 at most: the count fits.
    mapping.count = u16::try_from(end - mapping.host_port as u32).unwrap_or(u16::MAX);
}

/// The ports `start` up to (not including) `end` of `binding`.
fn part(binding: &PortMapping, start: u32, end: u32) -> PortMapping {
    let port = u16::try_from(start).expect("within the range");
    let mut part = PortMapping {
        host_port: port,
        container_port: port,
        ..*binding
    };
    set_end(&mut part, end);
    part
}

/// Each host port of `bindings`, one by one: what the tests compare.
#[cfg(test)]
fn ports(
    bindings: &[PortMapping],
) -> std::collections::BTreeSet<(super::Proto, Option<std::net::IpAddr>, u16)> {
    (bindings.iter())
        .flat_map(|b| b.pairs().map(|(host, _)| (b.proto, b.host_ip, host)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Proto;

    fn tcp(ip: Option<&str>, port: u16, count: u16) -> PortMapping {
        PortMapping {
            proto: Proto::Tcp,
            host_ip: ip.map(|ip| ip.parse().unwrap()),
            host_port: port,
            container_port: 80,
            count,
        }
    }

    #[test]
    fn adjacent_ports_of_one_address_are_one_range() {
        let published: Vec<_> = (10002..15002).map(|p| tcp(None, p, 1)).collect();
        let bindings = host_bindings(published);
        let shapes: Vec<_> = bindings
            .iter()
            .map(|b| (b.host_port, b.container_port, b.count))
            .collect();
        assert_eq!(shapes, [(10002, 10002, 5000)]);
        let apart = host_bindings(vec![
            tcp(Some("10.0.0.1"), 81, 1),
            tcp(None, 82, 2),
            tcp(None, 80, 2),
            tcp(Some("10.0.0.1"), 80, 1),
        ]);
        let shapes: Vec<_> = apart
            .iter()
            .map(|b| (b.host_ip.is_some(), b.host_port, b.count))
            .collect();
        assert_eq!(shapes, [(false, 80, 4), (true, 80, 2)]);
        let top = host_bindings(vec![tcp(None, 65535, 1), tcp(None, 65530, 5)]);
        assert_eq!((top[0].host_port, top[0].count), (65530, 6));
        let twice = host_bindings(vec![tcp(None, 80, 2), tcp(None, 81, 1)]);
        assert_eq!(twice.len(), 2, "a port held twice stays visible");
        let singles: Vec<_> = single_ports(&tcp(None, 65534, 2))
            .map(|p| (p.host_port, p.count))
            .collect();
        assert_eq!(singles, [(65534, 1), (65535, 1)]);
    }

    #[test]
    fn released_is_what_before_has_and_after_lacks() {
        let before = host_bindings(vec![tcp(None, 10, 10), tcp(Some("10.0.0.1"), 10, 1)]);
        let after = host_bindings(vec![
            tcp(None, 12, 1),
            tcp(None, 15, 2),
            tcp(Some("10.0.0.2"), 10, 1),
        ]);
        let gone = released(&before, &after);
        let expect: Vec<_> = [
            (None, 10, 2),
            (None, 13, 2),
            (None, 17, 3),
            (Some("10.0.0.1"), 10, 1),
        ]
        .into_iter()
        .map(|(ip, port, count)| tcp(ip, port, count))
        .collect();
        assert_eq!(ports(&gone), ports(&expect));
        assert!(released(&after, &after).is_empty());
        assert_eq!(ports(&released(&before, &[])), ports(&before));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::ports::Proto;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use std::net::{IpAddr, Ipv4Addr};

    fn mapping() -> impl Strategy<Value = PortMapping> {
        (0u8..3, 0u8..3, 1u16..200, 1u16..20).prop_map(|(proto, ip, port, count)| PortMapping {
            proto: [Proto::Tcp, Proto::Udp, Proto::Sctp][proto as usize],
            host_ip: (ip > 0).then(|| IpAddr::V4(Ipv4Addr::new(10, 0, 0, ip))),
            host_port: port,
            container_port: 1,
            count,
        })
    }

    fn disjoint(mappings: Vec<PortMapping>) -> Vec<PortMapping> {
        let mut kept: Vec<PortMapping> = Vec::new();
        for m in mappings {
            if !kept.iter().any(|k| !ports(&[*k]).is_disjoint(&ports(&[m]))) {
                kept.push(m);
            }
        }
        kept
    }

    proptest! {
        /// Merged, the ports are the same ones, in sorted ranges that neither touch nor
        /// overlap; released, exactly those before had and after has not.
        #[test]
        fn bindings_keep_the_ports(before in prop::collection::vec(mapping(), 0..12),
                                   after in prop::collection::vec(mapping(), 0..12)) {
            // As a sandbox holds them: no port twice (publish refuses that).
            let (before, after) = (disjoint(before), disjoint(after));
            let (b, a) = (host_bindings(before.clone()), host_bindings(after.clone()));
            prop_assert_eq!(ports(&b), ports(&before));
            for pair in b.windows(2) {
                    prop_assert!(!same_binding(&pair[0], &pair[1]) || end(&pair[0]) < pair[1].host_port as u32);
            }
            let gone = released(&b, &a);
            let expect: BTreeSet<_> = ports(&before).difference(&ports(&after)).copied().collect();
            prop_assert_eq!(ports(&gone), expect);
            prop_assert_eq!(gone.iter().map(|g| g.count as usize).sum::<usize>(), ports(&gone).len());
        }

        /// An entry that follows what its sandbox gave up and took is the entry all it
        /// holds now makes, and following the same changes again changes nothing.
        #[test]
        fn an_entry_follows_its_changes(held in prop::collection::vec(mapping(), 0..12),
                                        gives_up in prop::collection::vec(any::<bool>(), 12),
                                        took in prop::collection::vec(mapping(), 0..6)) {
            let held = disjoint(held);
            let (mut kept, mut gave_up) = (Vec::new(), Vec::new());
            for (m, gone) in held.iter().zip(&gives_up) {
                if *gone { gave_up.push(*m) } else { kept.push(*m) }
            }
            // What it takes is free of what it keeps (it may be what it gave up).
            let took: Vec<PortMapping> = disjoint(took)
                .into_iter()
                .filter(|t| kept.iter().all(|k| ports(&[*k]).is_disjoint(&ports(&[*t]))))
                .collect();
            let before = host_bindings(held.clone());
            let after = follow(&before, gave_up.clone(), took.clone());
            let mut now = kept.clone();
            now.extend(&took);
            prop_assert_eq!(&after, &host_bindings(now));
            prop_assert_eq!(follow(&after, gave_up, took), after);
        }
    }
}
