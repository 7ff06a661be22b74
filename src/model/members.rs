//! `Members`: a network's lists keyed by member (sandbox) name: addresses, aliases, MACs.
//!
//! With 1,000 endpoints on a network these lists are most of state.json, and a connect or
//! a disconnect changes one entry of them. Each list is saved as one string of entries,
//! `NAME=VALUE` apart by spaces (`"a=10.0.0.2 b=10.0.0.3"`): serde_json reads and writes
//! a string at a few instructions a byte, where a JSON object costs a few hundred a member
//! (every key and value a token of its own, a `String` and a tree node). Loaded, a list
//! stays that text, and looking up, adding or removing a name works on it: a search for
//! `NAME=` and a parse of its one value. Saving writes the text back with the changes
//! spliced in. Only code that walks a list (through `Deref`: `iter`, `keys`, `values`,
//! `len`) parses it whole, once; from then on the parsed list is the list. Parsed, it is
//! shared behind an `Arc`, so copying a network costs a count, and the list is copied
//! only when it changes while shared (`edit`).
//!
//! Names are sandbox names (no spaces, no `=`: see `validate_name`), values addresses,
//! MACs, flags and lists of names, none with a space either. The JSON object older
//! versions saved still loads (parsed at once) and is written as text at the next save.

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::{Deref, Range};
use std::sync::{Arc, OnceLock};

use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Mac, validate_name};

#[derive(Clone)]
pub struct Members<V> {
    /// The whole list, once parsed (or made in memory): from then on, the list.
    parsed: OnceLock<Arc<BTreeMap<String, V>>>,
    /// Until then: the list as saved, and what changed since, by name (`None`: gone).
    saved: Arc<str>,
    changes: BTreeMap<String, Option<V>>,
}

/// A list's values, as their text in a saved list.
pub trait Value: Clone + PartialEq {
    fn write(&self, out: &mut String);
    fn read(text: &str) -> Option<Self>;
}

macro_rules! displayed {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn write(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
            fn read(text: &str) -> Option<Self> {
                text.parse().ok()
            }
        }
    )*};
}
displayed!(Ipv4Addr, Ipv6Addr, Mac, bool);

/// Aliases: names, apart by commas.
impl Value for Vec<String> {
    fn write(&self, out: &mut String) {
        out.push_str(&self.join(","));
    }
    fn read(text: &str) -> Option<Self> {
        Some(
            text.split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }
}

impl<V> Default for Members<V> {
    fn default() -> Self {
        Members::from(BTreeMap::new())
    }
}

impl<V> From<BTreeMap<String, V>> for Members<V> {
    fn from(map: BTreeMap<String, V>) -> Self {
        Members {
            parsed: OnceLock::from(Arc::new(map)),
            saved: Arc::from(""),
            changes: BTreeMap::new(),
        }
    }
}

impl<V> FromIterator<(String, V)> for Members<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Members::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl<V: Value> Deref for Members<V> {
    type Target = BTreeMap<String, V>;
    fn deref(&self) -> &BTreeMap<String, V> {
        self.parse().unwrap_or_else(|why| corrupt(&why))
    }
}

impl<'a, V: Value> IntoIterator for &'a Members<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, String, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.deref().iter()
    }
}

impl<V: Value> PartialEq for Members<V> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<V: Value + fmt::Debug> fmt::Debug for Members<V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<V: Value> Members<V> {
    /// Whether the list has been parsed whole (what `consistency` checks of a list it
    /// loaded lazily: see `Store::load_networks_lazily`).
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// The list to change as a whole: parsed first, and copied if another copy of the
    /// network shares it.
    pub fn edit(&mut self) -> &mut BTreeMap<String, V> {
        let _ = self.deref();
        self.saved = Arc::from("");
        self.changes.clear();
        Arc::make_mut(self.parsed.get_mut().expect("parsed just now"))
    }

    /// Whether `name` has an entry (without parsing the list).
    pub fn contains_key(&self, name: &str) -> bool {
        if let Some(map) = self.parsed.get() {
            return map.contains_key(name);
        }
        match self.changes.get(name) {
            Some(change) => change.is_some(),
            None => entry(&self.saved, name).is_some(),
        }
    }

    /// `name`'s value (without parsing the list).
    pub fn lookup(&self, name: &str) -> Option<V> {
        if let Some(map) = self.parsed.get() {
            return map.get(name).cloned();
        }
        match self.changes.get(name) {
            Some(change) => change.clone(),
            None => {
                let (_, value) = entry(&self.saved, name)?;
                let text = &self.saved[value];
                let why = || format!("member {name} has {text:?}, which is no value here");
                Some(V::read(text).unwrap_or_else(|| corrupt(&why())))
            }
        }
    }

    /// Sets `name`'s value, returning what it had.
    pub fn insert(&mut self, name: String, value: V) -> Option<V> {
        if self.is_parsed() {
            return self.edit().insert(name, value);
        }
        let before = self.lookup(&name);
        self.changes.insert(name, Some(value));
        before
    }

    /// Takes `name`'s entry out, returning its value. A list without it is not changed
    /// (nor, when shared, copied).
    pub fn remove(&mut self, name: &str) -> Option<V> {
        if self.is_parsed() {
            return match self.contains_key(name) {
                true => self.edit().remove(name),
                false => None,
            };
        }
        let before = self.lookup(name);
        if before.is_some() {
            self.changes.insert(name.to_string(), None);
        }
        before
    }

    /// The name whose value is `value`, if any (a search of the text, not a parse).
    pub fn key_of(&self, value: &V) -> Option<String> {
        if let Some(map) = self.parsed.get() {
            return map
                .iter()
                .find(|(_, v)| *v == value)
                .map(|(k, _)| k.clone());
        }
        let changed = self.changes.iter().find(|(_, v)| v.as_ref() == Some(value));
        if let Some((name, _)) = changed {
            return Some(name.clone());
        }
        let mut needle = String::from("=");
        value.write(&mut needle);
        let text = &*self.saved;
        memchr::memmem::find_iter(text.as_bytes(), needle.as_bytes())
            .filter(|&at| matches!(text.as_bytes().get(at + needle.len()), None | Some(b' ')))
            .map(|at| {
                let start = text[..at].rfind(' ').map_or(0, |space| space + 1);
                &text[start..at]
            })
            .find(|name| !self.changes.contains_key(*name))
            .map(str::to_string)
    }

    /// For serde's `skip_serializing_if`; does not parse the list, and reads only as far
    /// as the first entry not removed.
    pub fn is_empty(&self) -> bool {
        if let Some(map) = self.parsed.get() {
            return map.is_empty();
        }
        if self.changes.values().any(Option::is_some) {
            return false;
        }
        !entries(&self.saved).any(|(name, _)| !self.changes.contains_key(name))
    }

    /// The whole list, parsed once, every name checked: what `consistency` asks for, so
    /// that a list edited by hand is reported as the rest of the file is.
    pub fn parse(&self) -> Result<&BTreeMap<String, V>, String> {
        if let Some(map) = self.parsed.get() {
            return Ok(map);
        }
        let map = self.parse_whole()?;
        Ok(self.parsed.get_or_init(|| Arc::new(map)))
    }

    fn parse_whole(&self) -> Result<BTreeMap<String, V>, String> {
        let mut map = BTreeMap::new();
        for (name, value) in entries(&self.saved) {
            validate_name("sandbox", name).map_err(|e| e.to_string())?;
            let value = V::read(value)
                .ok_or_else(|| format!("member {name} has {value:?}, which is no value here"))?;
            map.insert(name.to_string(), value);
        }
        for (name, change) in &self.changes {
            match change {
                Some(value) => map.insert(name.clone(), value.clone()),
                None => map.remove(name),
            };
        }
        Ok(map)
    }

    /// The saved text with the changes made: entries changed or removed cut out, the
    /// changed and new ones added at the end (a list is read in any order).
    fn spliced(&self) -> String {
        let extra: usize = self.changes.keys().map(|name| name.len() + 42).sum();
        let mut text = String::with_capacity(self.saved.len() + extra);
        text.push_str(&self.saved);
        for name in self.changes.keys() {
            if let Some((found, value)) = entry(&text, name) {
                // With the space after it, or (the last entry) before it.
                let cut = if value.end < text.len() {
                    found.start..value.end + 1
                } else {
                    found.start.saturating_sub(1)..value.end
                };
                text.replace_range(cut, "");
            }
        }
        for (name, value) in &self.changes {
            if let Some(value) = value {
                push_entry(&mut text, name, value);
            }
        }
        text
    }

    /// The list as saved text, parsed or not.
    fn text(&self) -> String {
        match self.parsed.get() {
            Some(map) => {
                let mut text = String::with_capacity(map.len() * 24);
                for (name, value) in map.iter() {
                    push_entry(&mut text, name, value);
                }
                text
            }
            None => self.spliced(),
        }
    }
}

impl<V: Value> Serialize for Members<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        super::plain_text::serialize(&self.text(), serializer)
    }
}

impl<'de, V: Value + Deserialize<'de>> Deserialize<'de> for Members<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Saved<V>(std::marker::PhantomData<V>);
        impl<'de, V: Value + Deserialize<'de>> Visitor<'de> for Saved<V> {
            type Value = Members<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member list")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Members<V>, E> {
                Ok(Members {
                    parsed: OnceLock::new(),
                    saved: Arc::from(text),
                    changes: BTreeMap::new(),
                })
            }
            /// The form older versions saved.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<V>, A::Error> {
                let mut entries = BTreeMap::new();
                while let Some((name, value)) = map.next_entry::<String, V>()? {
                    entries.insert(name, value);
                }
                Ok(Members::from(entries))
            }
        }
        let members = deserializer.deserialize_any(Saved(std::marker::PhantomData))?;
        if !super::plain_text::spaced_once(&members.saved) {
            return Err(D::Error::custom(
                "a member list has its entries one space apart",
            ));
        }
        Ok(members)
    }
}

/// Adds `NAME=VALUE` at the end of a list's text.
fn push_entry<V: Value>(text: &mut String, name: &str, value: &V) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(name);
    text.push('=');
    value.write(text);
}

/// A list's entries: (name, value text).
fn entries(text: &str) -> impl Iterator<Item = (&str, &str)> {
    (text.split(' ').filter(|e| !e.is_empty())).map(|e| e.split_once('=').unwrap_or((e, "")))
}

/// Where `name`'s entry lies in a list's text, and its value.
fn entry(text: &str, name: &str) -> Option<(Range<usize>, Range<usize>)> {
    let needle = format!("{name}=");
    let bytes = text.as_bytes();
    let at = memchr::memmem::find_iter(bytes, needle.as_bytes())
        .find(|&at| at == 0 || bytes[at - 1] == b' ')?;
    let value = at + needle.len();
    let end = memchr::memchr(b' ', &bytes[value..]).map_or(text.len(), |n| value + n);
    Some((at..end, value..end))
}

/// A list loaded without parsing that turns out not to parse: state.json was edited by
/// hand. Met deep inside a command, so it ends the command here, before it has changed
/// anything (lists are read while a command plans, and only written back when it saves).
fn corrupt(why: &str) -> ! {
    eprintln!(
        "ctnet: error: state.json holds a member list that is not valid ({why}): fix it by hand or move it away"
    );
    std::process::exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(text: &str) -> Members<Ipv4Addr> {
        serde_json::from_str(&serde_json::to_string(text).unwrap()).unwrap()
    }

    fn saved<V: Value>(list: &Members<V>) -> String {
        serde_json::from_str(&serde_json::to_string(list).unwrap()).unwrap()
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    const SAVED: &str = "a=10.0.0.2 b=10.0.0.3 c=10.0.0.4";

    #[test]
    fn a_loaded_list_answers_lookups_without_being_parsed() {
        let list = loaded(SAVED);
        assert!(list.contains_key("b"));
        assert!(!list.contains_key("d"));
        assert_eq!(list.lookup("c"), Some(ip("10.0.0.4")));
        assert_eq!(list.key_of(&ip("10.0.0.3")).as_deref(), Some("b"));
        assert_eq!(list.key_of(&ip("10.0.0.9")), None);
        assert!(!list.is_empty());
        assert!(!list.is_parsed());
    }

    #[test]
    fn changes_are_spliced_into_the_saved_text() {
        for (gone, text) in [
            ("a", "b=10.0.0.3 c=10.0.0.4 d=10.0.0.9"),
            ("b", "a=10.0.0.2 c=10.0.0.4 d=10.0.0.9"),
            ("c", "a=10.0.0.2 b=10.0.0.3 d=10.0.0.9"),
        ] {
            let mut list = loaded(SAVED);
            let value = list.lookup(gone);
            assert_eq!(list.remove(gone), value);
            assert_eq!(list.remove("nobody"), None);
            list.insert("d".into(), ip("10.0.0.9"));
            assert_eq!(saved(&list), text);
            assert!(!list.contains_key(gone));
            assert_eq!(list.key_of(&ip("10.0.0.9")).as_deref(), Some("d"));
            assert!(!list.is_parsed());
            // Parsed whole, the same list.
            let whole = list.clone();
            assert_eq!(whole.len(), 3);
            assert_eq!(whole, loaded(text));
            assert_eq!(saved(&whole), text);
        }
    }

    #[test]
    fn a_changed_value_moves_to_the_end_and_its_old_value_is_no_ones() {
        let mut list = loaded(SAVED);
        assert_eq!(
            list.insert("a".into(), ip("10.0.0.7")),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(list.key_of(&ip("10.0.0.2")), None);
        assert_eq!(saved(&list), "b=10.0.0.3 c=10.0.0.4 a=10.0.0.7");
    }

    #[test]
    fn a_list_whose_every_entry_went_is_empty() {
        let mut list = loaded(SAVED);
        for name in ["c", "a", "b"] {
            assert!(!list.is_empty());
            list.remove(name);
        }
        assert!(list.is_empty());
        assert!(!list.is_parsed());
        assert_eq!(saved(&list), "");
        assert!(loaded("").is_empty());
    }

    #[test]
    fn names_and_values_are_found_whole_not_as_parts_of_others() {
        let list = loaded("xa=10.0.0.2 a=10.0.0.22");
        assert_eq!(list.lookup("a"), Some(ip("10.0.0.22")));
        assert_eq!(list.lookup("x"), None);
        assert_eq!(list.key_of(&ip("10.0.0.2")).as_deref(), Some("xa"));
        let aliases: Members<Vec<String>> = serde_json::from_str(r#""a=b,c b=a""#).unwrap();
        assert_eq!(aliases.lookup("b"), Some(vec!["a".to_string()]));
        assert_eq!(aliases.lookup("c"), None);
        assert_eq!(aliases.len(), 2);
    }

    #[test]
    fn the_object_older_versions_saved_loads_and_is_saved_as_text() {
        let old: Members<Ipv4Addr> =
            serde_json::from_str(r#"{ "b": "10.0.0.3", "a": "10.0.0.2" }"#).unwrap();
        assert!(old.is_parsed());
        assert_eq!(old.lookup("a"), Some(ip("10.0.0.2")));
        assert_eq!(saved(&old), "a=10.0.0.2 b=10.0.0.3");
        assert!(serde_json::from_str::<Members<Ipv4Addr>>("[1]").is_err());
        assert!(serde_json::from_str::<Members<Ipv4Addr>>(r#"{"a": 7}"#).is_err());
        assert!(serde_json::from_str::<Members<Ipv4Addr>>(r#""a=10.0.0.2  b=10.0.0.3""#).is_err());
    }

    #[test]
    fn a_name_or_value_edited_in_is_reported_when_the_list_is_parsed() {
        let bad = loaded("a=10.0.0.2 ../x=10.0.0.3");
        assert!(bad.lookup("a").is_some(), "a lookup reads only its entry");
        let why = bad.parse().unwrap_err();
        assert!(why.contains("invalid sandbox name \"../x\""), "{why}");
        let why = loaded("a=10.0.0.2 b=ten").parse().unwrap_err();
        assert!(why.contains("member b has \"ten\""), "{why}");
    }

    #[test]
    fn a_copy_shares_the_parsed_list_until_one_side_changes_it() {
        let mut a: Members<Ipv4Addr> = [("x".to_string(), ip("10.0.0.2"))].into_iter().collect();
        let b = a.clone();
        a.edit().insert("z".into(), ip("10.0.0.3"));
        assert_eq!(b.len(), 1);
        assert_eq!(a.len(), 2);
        assert_eq!(saved(&a), "x=10.0.0.2 z=10.0.0.3");
    }
}
