//! nft's JSON input, serialised by serde straight from the typed elements: a name reaches
//! nft as a JSON string, never as syntax, and no intermediate `serde_json::Value` tree is
//! built (a 57,000-port range once took 8 KB of them per port).
//!
//! Why not the `nftables` crate: its typed schema (0.6) has no `nf_proto` or `verdict` set
//! types, so it cannot name two of our sets, and nft 1.0.6 cannot take the skeleton's
//! concatenated-data maps as JSON anyway; what is left is the few commands below.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::elements::{Atom, Element};

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Command<'a> {
    Add(Object<'a>),
    Delete(Object<'a>),
    Flush(Object<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Object<'a> {
    Element(Elements<'a>),
    Set(SetObject<'a>),
    Map(SetObject<'a>),
}

/// Elements of one set, all added or all deleted: one command however many there are.
#[derive(Serialize)]
pub(super) struct Elements<'a> {
    family: &'static str,
    table: &'static str,
    name: &'a str,
    elem: Vec<Elem<'a>>,
}

/// A set or map by name; `type` and `flags` only where it is declared.
#[derive(Serialize)]
pub(super) struct SetObject<'a> {
    family: &'static str,
    table: &'static str,
    name: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    flags: &'a [&'a str],
}

impl<'a> SetObject<'a> {
    pub(super) fn named(name: &'a str) -> Self {
        Self::declared(name, None, &[])
    }

    pub(super) fn declared(name: &'a str, kind: Option<&'a str>, flags: &'a [&'a str]) -> Self {
        SetObject {
            family: "inet",
            table: "ctnet",
            name,
            kind,
            flags,
        }
    }
}

impl<'a> Elements<'a> {
    pub(super) fn of(name: &'a str) -> Self {
        Elements {
            family: "inet",
            table: "ctnet",
            name,
            elem: Vec::new(),
        }
    }

    pub(super) fn name(&self) -> &str {
        self.name
    }

    pub(super) fn push(&mut self, element: &'a Element, with_data: bool) {
        self.elem.push(Elem { element, with_data });
    }
}

/// One element as an `elem` list holds it: the key, or `[key, data]` when a map element
/// is added (deletes name the key alone).
pub(super) struct Elem<'a> {
    element: &'a Element,
    with_data: bool,
}

impl Serialize for Elem<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (&self.element.value, self.with_data) {
            (Some(data), true) => (Key(&self.element.key), Key(data)).serialize(s),
            _ => Key(&self.element.key).serialize(s),
        }
    }
}

/// A key or data: one value, or `{"concat": [...]}` for several.
struct Key<'a>(&'a [Atom]);

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => one.serialize(s),
            many => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("concat", many)?;
                map.end()
            }
        }
    }
}

#[derive(Serialize)]
struct Prefix {
    addr: std::net::IpAddr,
    len: u8,
}

impl Serialize for Atom {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Atom::Ifname(name) => s.serialize_str(name),
            Atom::Proto(p) => s.serialize_str(p.name()),
            Atom::Addr(a) => s.collect_str(a),
            Atom::Port(p) => s.serialize_u16(*p),
            Atom::Slot(n) => s.serialize_u32(*n),
            Atom::Prefix(n) => {
                let mut map = s.serialize_map(Some(1))?;
                let prefix = Prefix {
                    addr: n.network(),
                    len: n.prefix_len(),
                };
                map.serialize_entry("prefix", &prefix)?;
                map.end()
            }
            Atom::Verdict(v) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry(v, &())?;
                map.end()
            }
            Atom::Family(f) => s.serialize_str(f),
        }
    }
}

/// The whole input, `{"nftables": [commands]}`.
pub(super) fn document(commands: &[Command]) -> String {
    #[derive(Serialize)]
    struct Document<'a, 'b> {
        nftables: &'b [Command<'a>],
    }
    serde_json::to_string(&Document { nftables: commands }).expect("typed values serialise")
}
