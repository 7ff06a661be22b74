//! The names and marks of the interfaces ctnet makes on the host, made and recognised in
//! one place: drivers name their links here, and `gc` and the agreement checks recognise
//! them here.
//!
//! Every host link ctnet makes carries its mark, the alias `ctnet:<id>`. The kernel takes
//! no alias at creation, so a link exists untagged for a moment; `sys` keeps a birth note
//! for that moment, and a port (veth, VXLAN device) is born on its bridge, so an untagged
//! port on a marked bridge is ctnet's too. Names alone never make a link ctnet's: a user's
//! `ctn-0123456789` is left alone.

/// The default network's bridge, as Docker's `docker0`.
pub const DEFAULT_BRIDGE: &str = "ctnet0";

/// The IANA VXLAN port, which Docker's overlay uses too.
pub const VXLAN_PORT: u16 = 4789;

const MARK: &str = "ctnet:";

/// The first `len` characters of an id (all of it if shorter: a hand-edited state must not
/// make a name panic; consistency reports the id).
fn short(id: &str, len: usize) -> &str {
    id.get(..len).unwrap_or(id)
}

/// A bridge network's bridge, as Docker's `br-<12 hex>` (15 characters at most).
pub fn bridge(network_id: &str) -> String {
    format!("ctn-{}", short(network_id, 10))
}

/// The dummy parent ctnet makes for a macvlan or ipvlan network given no parent.
pub fn dummy_parent(network_id: &str) -> String {
    format!("ctd-{}", short(network_id, 10))
}

/// An overlay network's bridge on this host.
pub fn overlay_bridge(network_id: &str) -> String {
    format!("cto-{}", short(network_id, 10))
}

/// An overlay network's VXLAN device, a port of its bridge.
pub fn vxlan(network_id: &str) -> String {
    format!("ctv-{}", short(network_id, 10))
}

/// The host end of an endpoint's veth, as Docker's `veth<7 hex>`.
pub fn veth(endpoint_id: &str) -> String {
    format!("vctn{}", short(endpoint_id, 11))
}

/// The mark a host link carries: the id of the network or endpoint it belongs to.
pub fn mark(id: &str) -> String {
    format!("{MARK}{id}")
}

/// The id a link's alias marks it with, if it is ctnet's mark.
pub fn marked_id(alias: &str) -> Option<&str> {
    alias.strip_prefix(MARK)
}

/// A port ctnet puts on its bridges: a veth's host end or a VXLAN device. Untagged, it is
/// ctnet's only on a bridge that carries the mark.
pub fn is_port(name: &str) -> bool {
    let hex_after = |prefix: &str, len: usize| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.len() == len && rest.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    hex_after("vctn", 11) || hex_after("ctv-", 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn names_fit_the_kernels_fifteen_characters() {
        for name in [
            bridge(ID),
            dummy_parent(ID),
            overlay_bridge(ID),
            vxlan(ID),
            veth(ID),
        ] {
            assert!(name.len() <= 15, "{name}");
        }
        assert_eq!(bridge(ID), "ctn-0123456789");
        assert_eq!(veth(ID), "vctn0123456789a");
    }

    #[test]
    fn a_short_id_makes_a_short_name_not_a_panic() {
        assert_eq!(bridge("ab"), "ctn-ab");
        assert_eq!(veth(""), "vctn");
    }

    #[test]
    fn ports_and_marks_are_recognised() {
        assert!(is_port(&veth(ID)) && is_port(&vxlan(ID)));
        assert!(!is_port(&bridge(ID)) && !is_port("vctn-user") && !is_port("eth0"));
        assert_eq!(marked_id(&mark("abc")), Some("abc"));
        assert_eq!(marked_id("my link"), None);
    }
}
