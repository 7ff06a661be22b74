//! `Index`: the host-wide index of published ports (sandbox name → the host ports it takes).
//!
//! Shared behind an `Arc`, copying it costs a count; the map itself is copied only when it
//! changes while shared (`edit`). Loaded, it is built in one pass from the saved (sorted)
//! entries instead of inserting them one by one. (A network's member lists, which connect
//! and disconnect change one entry at a time, are `Members`.)

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index<K, V>(Arc<BTreeMap<K, V>>);

impl<K, V> Default for Index<K, V> {
    fn default() -> Self {
        Index(Arc::new(BTreeMap::new()))
    }
}

impl<K, V> Deref for Index<K, V> {
    type Target = BTreeMap<K, V>;
    fn deref(&self) -> &BTreeMap<K, V> {
        &self.0
    }
}

impl<K: Clone, V: Clone> Index<K, V> {
    /// The list to change: copied first only if another copy of the network shares it.
    pub fn edit(&mut self) -> &mut BTreeMap<K, V> {
        Arc::make_mut(&mut self.0)
    }
}

impl<K, V> Index<K, V> {
    /// For serde's `skip_serializing_if`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for Index<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Index(Arc::new(iter.into_iter().collect()))
    }
}

impl<K: Ord, V> From<BTreeMap<K, V>> for Index<K, V> {
    fn from(map: BTreeMap<K, V>) -> Self {
        Index(Arc::new(map))
    }
}

impl<'a, K, V> IntoIterator for &'a Index<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<K: Serialize, V: Serialize> Serialize for Index<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for Index<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = Index<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                // Saved sorted: collecting a sorted list builds the tree without a search
                // per entry (a hand-edited file in any order still loads, only slower).
                Ok(entries.into_iter().collect())
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_the_list_until_one_side_changes_it() {
        let mut a: Index<String, u32> = [("x".to_string(), 1), ("y".to_string(), 2)]
            .into_iter()
            .collect();
        let b = a.clone();
        a.edit().insert("z".into(), 3);
        assert_eq!(b.len(), 2);
        assert_eq!(a.len(), 3);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"x":1,"y":2,"z":3}"#);
        let back: Index<String, u32> = serde_json::from_str(r#"{"z":3,"x":1,"y":2}"#).unwrap();
        assert_eq!(back, a);
    }
}
