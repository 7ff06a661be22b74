//! `PortList`: an endpoint's published ports, as its sandbox's ports file keeps them.
//!
//! A sandbox can hold thousands of published ports, and a publish or an unpublish changes
//! one. Parsed and written whole, in the sandbox's JSON, the list took 6 M of a publish's
//! 8.9 M instructions at 5,000 ports. So each endpoint's list is a line of plain text in
//! `sandboxes/NAME.ports` (see `state::store`), mappings one space apart
//! (`0.0.0.0:8080->80/tcp 0.0.0.0:8081->80/tcp`), and loaded it stays that text: a mapping
//! added goes on a list of additions; one taken out is found by a search of the text for
//! its host port, and noted by its place. Saving splices both into the text, and what the
//! firewall must change is read off them (`edits_since`). Only code that walks the list
//! (through `Deref`) parses it, once; from then on the parsed list is the list, shared
//! behind an `Arc` so that a copy of the endpoint costs a count.
//!
//! The text is the one ctnet writes (`PortMapping::saved`): a search for a host port finds
//! `:PORT-` in it. The JSON array older versions kept in the sandbox file still loads
//! (parsed at once), and moves to the ports file at the next save.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::{Arc, OnceLock};

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::PortMapping;
use crate::model::plain_text;

#[derive(Clone, Default)]
pub struct PortList {
    /// The whole list, once parsed (or made in memory): from then on, the list.
    parsed: OnceLock<Arc<Vec<PortMapping>>>,
    /// Until then: the list as saved, the entries of it taken out since (where they lie,
    /// and what they were, in the order taken), and the mappings added since.
    saved: Saved,
    removed: Vec<(Range<usize>, PortMapping)>,
    added: Vec<PortMapping>,
}

/// A list's text as loaded: its part of the ports file, which the lists of a sandbox's
/// endpoints share (read once, never copied).
#[derive(Clone, Default)]
struct Saved {
    file: Arc<String>,
    span: Range<usize>,
}

impl Deref for Saved {
    type Target = str;
    fn deref(&self) -> &str {
        &self.file[self.span.clone()]
    }
}

impl Saved {
    /// The same text of the same file (not merely equal text).
    fn same(&self, other: &Saved) -> bool {
        Arc::ptr_eq(&self.file, &other.file) && self.span == other.span
    }
}

impl From<Vec<PortMapping>> for PortList {
    fn from(list: Vec<PortMapping>) -> Self {
        PortList {
            parsed: OnceLock::from(Arc::new(list)),
            ..PortList::default()
        }
    }
}

impl FromIterator<PortMapping> for PortList {
    fn from_iter<I: IntoIterator<Item = PortMapping>>(iter: I) -> Self {
        PortList::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl Deref for PortList {
    type Target = [PortMapping];
    fn deref(&self) -> &[PortMapping] {
        self.parse().unwrap_or_else(|why| corrupt(&why))
    }
}

impl<'a> IntoIterator for &'a PortList {
    type Item = &'a PortMapping;
    type IntoIter = std::slice::Iter<'a, PortMapping>;
    fn into_iter(self) -> Self::IntoIter {
        self.deref().iter()
    }
}

impl PartialEq for PortList {
    /// Equal as lists of mappings, in order. Two edits of one loaded text whose lengths
    /// differ (the common case: a publish against the file as loaded) are told apart
    /// without parsing either.
    fn eq(&self, other: &Self) -> bool {
        if self.unparsed_edit_of(&other.saved) && other.unparsed_edit_of(&self.saved) {
            if self.removed == other.removed && self.added == other.added {
                return true;
            }
            if self.removed.len() + other.added.len() != other.removed.len() + self.added.len() {
                return false;
            }
        }
        **self == **other
    }
}

impl fmt::Debug for PortList {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl PortList {
    /// The list `span` of a ports file's text holds, not parsed (see `parse`): refused only
    /// if its mappings are not one space apart, which the rest counts on.
    pub fn in_file(file: &Arc<String>, span: Range<usize>) -> Result<PortList, String> {
        let saved = Saved {
            file: Arc::clone(file),
            span,
        };
        if !plain_text::spaced_once(&saved) {
            return Err(format!(
                "{:?} does not have its mappings one space apart",
                &*saved
            ));
        }
        Ok(PortList {
            saved,
            ..PortList::default()
        })
    }

    /// The list `text` saves, not parsed.
    #[cfg(test)]
    pub fn from_text(text: &str) -> Result<PortList, String> {
        PortList::in_file(&Arc::new(text.to_string()), 0..text.len())
    }

    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// Whether the list is `saved`, loaded and not parsed since (edited or not).
    fn unparsed_edit_of(&self, saved: &Saved) -> bool {
        !self.is_parsed() && self.saved.same(saved)
    }

    /// The list to change as a whole: parsed first, and copied if another copy shares it.
    fn edit(&mut self) -> &mut Vec<PortMapping> {
        let _ = self.deref();
        self.saved = Saved::default();
        self.removed.clear();
        self.added.clear();
        Arc::make_mut(self.parsed.get_mut().expect("parsed just now"))
    }

    /// Adds mappings at the end (without parsing the list).
    pub fn extend(&mut self, mappings: impl IntoIterator<Item = PortMapping>) {
        match self.is_parsed() {
            true => self.edit().extend(mappings),
            false => self.added.extend(mappings),
        }
    }

    /// Takes out the first mapping that starts at `host_port` (any, if `None`) and that
    /// `matches` accepts. Given a host port, the saved text is searched for it instead of
    /// parsed whole.
    pub fn take_first(
        &mut self,
        host_port: Option<u16>,
        matches: impl Fn(&PortMapping) -> bool,
    ) -> Option<PortMapping> {
        let matches = |m: &PortMapping| host_port.is_none_or(|p| p == m.host_port) && matches(m);
        if let (false, Some(port)) = (self.is_parsed(), host_port) {
            if let Some((place, mapping)) = self.find_saved(port, matches) {
                self.removed.push((place, mapping));
                return Some(mapping);
            }
            let at = self.added.iter().position(matches)?;
            return Some(self.added.remove(at));
        }
        let at = self.iter().position(matches)?;
        Some(self.edit().remove(at))
    }

    /// The first entry of the saved text, not yet taken out, that starts at host port
    /// `port` and that `matches` accepts.
    fn find_saved(
        &self,
        port: u16,
        matches: impl Fn(&PortMapping) -> bool,
    ) -> Option<(Range<usize>, PortMapping)> {
        // `ADDRESS:PORT->` or `ADDRESS:PORT-LAST->`: an address never has a '-'.
        let needle = format!(":{port}-");
        let bytes = self.saved.as_bytes();
        memchr::memmem::find_iter(bytes, needle.as_bytes())
            .map(|at| {
                let start = memchr::memrchr(b' ', &bytes[..at]).map_or(0, |space| space + 1);
                let end = memchr::memchr(b' ', &bytes[at..]).map_or(bytes.len(), |n| at + n);
                start..end
            })
            .filter(|place| !self.removed.iter().any(|(gone, _)| gone == place))
            .map(|place| {
                let text = &self.saved[place.clone()];
                let mapping = PortMapping::from_saved(text)
                    .unwrap_or_else(|| corrupt(&format!("{text:?} is no published port")));
                (place, mapping)
            })
            .find(|(_, mapping)| matches(mapping))
    }

    /// Whether the list holds `mapping` (a search of the text for its host port, not a
    /// parse).
    pub fn holds(&self, mapping: &PortMapping) -> bool {
        match self.parsed.get() {
            Some(list) => list.contains(mapping),
            None => {
                self.added.contains(mapping)
                    || self
                        .find_saved(mapping.host_port, |m| m == mapping)
                        .is_some()
            }
        }
    }

    /// How many mappings the list holds (counting the saved ones without parsing them).
    pub fn len(&self) -> usize {
        match self.parsed.get() {
            Some(list) => list.len(),
            None => saved_count(&self.saved) - self.removed.len() + self.added.len(),
        }
    }

    /// Does not parse the list (and counts the saved mappings only if some were taken out).
    pub fn is_empty(&self) -> bool {
        match (
            self.parsed.get(),
            self.added.is_empty(),
            self.removed.is_empty(),
        ) {
            (Some(list), _, _) => list.is_empty(),
            (None, false, _) => false,
            (None, true, true) => self.saved.is_empty(),
            (None, true, false) => self.len() == 0,
        }
    }

    /// About how many bytes the list takes saved: to size a file's buffer at once.
    pub fn saved_size(&self) -> usize {
        match self.parsed.get() {
            Some(list) => 32 * list.len(),
            None => self.saved.len() + 32 * self.added.len(),
        }
    }

    /// What changed since `before`: the mappings taken out and those added, read off the
    /// edits when this list is `before` edited and neither was parsed; `None` when the
    /// lists must be compared whole.
    pub fn edits_since(&self, before: &PortList) -> Option<(Vec<PortMapping>, Vec<PortMapping>)> {
        let unedited = before.removed.is_empty() && before.added.is_empty();
        if !(self.unparsed_edit_of(&before.saved)
            && before.unparsed_edit_of(&self.saved)
            && unedited)
        {
            return None;
        }
        let removed = self.removed.iter().map(|(_, mapping)| *mapping).collect();
        Some((removed, self.added.clone()))
    }

    /// The whole list, parsed once: what `Deref` gives, or why the text is no list.
    pub fn parse(&self) -> Result<&[PortMapping], String> {
        if let Some(list) = self.parsed.get() {
            return Ok(list);
        }
        let mut list = Vec::with_capacity(self.len());
        for (place, text) in entries(&self.saved) {
            if self.removed.iter().any(|(gone, _)| *gone == place) {
                continue;
            }
            let mapping = PortMapping::from_saved(text)
                .ok_or_else(|| format!("{text:?} is no published port"))?;
            list.push(mapping);
        }
        list.extend(&self.added);
        Ok(self.parsed.get_or_init(|| Arc::new(list)))
    }

    /// Adds the list as saved text to `out`, parsed or not: the saved text with the
    /// entries taken out cut, and the added ones at the end.
    pub fn write_text(&self, out: &mut String) {
        let start = out.len();
        let push = |out: &mut String, mapping: &PortMapping| {
            if out.len() > start {
                out.push(' ');
            }
            out.push_str(mapping.saved().as_str());
        };
        if let Some(list) = self.parsed.get() {
            out.reserve(32 * list.len());
            for mapping in list.iter() {
                push(out, mapping);
            }
            return;
        }
        out.reserve(self.saved.len() + 32 * self.added.len());
        let mut cuts: Vec<&Range<usize>> = self.removed.iter().map(|(place, _)| place).collect();
        cuts.sort_by_key(|place| place.start);
        let mut from = 0;
        for cut in cuts {
            out.push_str(&self.saved[from..cut.start]);
            // With the space after it (the last entry leaves one before it, trimmed below).
            from = (cut.end + 1).min(self.saved.len());
        }
        out.push_str(&self.saved[from..]);
        if out.len() > start && out.ends_with(' ') {
            out.pop();
        }
        for mapping in &self.added {
            push(out, mapping);
        }
    }
}

/// How many entries a saved text holds: they are one space apart (see `in_file`).
fn saved_count(text: &str) -> usize {
    match text.is_empty() {
        true => 0,
        false => memchr::memchr_iter(b' ', text.as_bytes()).count() + 1,
    }
}

/// A saved text's entries, each with where it lies.
fn entries(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut start = 0;
    text.split(' ')
        .map(move |entry| {
            let place = start..start + entry.len();
            start = place.end + 1;
            (place, entry)
        })
        .filter(|(_, entry)| !entry.is_empty())
}

/// The form older versions kept in the sandbox file: one string (or array) per mapping.
impl<'de> Deserialize<'de> for PortList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Inline;
        impl<'de> Visitor<'de> for Inline {
            type Value = PortList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of published ports")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PortList, A::Error> {
                let mut list = Vec::new();
                while let Some(mapping) = seq.next_element::<PortMapping>()? {
                    list.push(mapping);
                }
                Ok(PortList::from(list))
            }
        }
        deserializer.deserialize_seq(Inline)
    }
}

/// A list loaded without parsing that turns out not to parse: a ports file was edited by
/// hand. Met while a command plans (lists are only written back when it saves), so it ends
/// the command here, before it has changed anything (a command that changes the kernel
/// before it saves whatever happens, `Tx::commit_best_effort`, parses its lists first).
fn corrupt(why: &str) -> ! {
    eprintln!(
        "ctnet: error: a sandbox's ports file (sandboxes/NAME.ports) holds a list that is not valid ({why}): fix it by hand or move it away"
    );
    std::process::exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Proto;

    fn tcp(host_port: u16, container_port: u16) -> PortMapping {
        PortMapping {
            proto: Proto::Tcp,
            host_ip: None,
            host_port,
            container_port,
            count: 1,
        }
    }

    fn loaded(text: &str) -> PortList {
        PortList::from_text(text).unwrap()
    }

    fn saved(list: &PortList) -> String {
        let mut text = String::from("id ");
        list.write_text(&mut text);
        text.strip_prefix("id ").unwrap().to_string()
    }

    /// Saved as `docker ps` shows them, one space apart; the array older versions kept in
    /// the sandbox file still loads and is written as text.
    #[test]
    fn on_disk() {
        let text = "0.0.0.0:8080->80/tcp [::1]:53-54->53-54/udp 10.0.0.1:9->9/sctp";
        let list = loaded(text);
        assert!(!list.is_parsed());
        assert_eq!(list.len(), 3);
        assert_eq!(list[0], tcp(8080, 80));
        assert_eq!(saved(&list), text);
        let old: PortList = serde_json::from_str(
            r#"["0.0.0.0:8080->80/tcp",["udp","::1",53,53,2],"10.0.0.1:9->9/sctp"]"#,
        )
        .unwrap();
        assert_eq!(old, list);
        assert_eq!(saved(&old), text);
        for bad in [
            "0.0.0.0:1->1/tcp  0.0.0.0:2->2/tcp",
            " 0.0.0.0:1->1/tcp",
            "0.0.0.0:1->1/tcp ",
        ] {
            assert!(PortList::from_text(bad).is_err(), "{bad}");
        }
        assert_eq!(loaded("").len(), 0);
        assert!(loaded("").is_empty());
    }

    /// A publish and an unpublish by host port neither parse the list nor lose track of
    /// what they changed.
    #[test]
    fn edits_without_parsing() {
        let before = loaded("0.0.0.0:8080->80/tcp 0.0.0.0:8081->81/tcp 0.0.0.0:8082->82/tcp");
        let mut list = before.clone();
        list.extend([tcp(9000, 90)]);
        assert_eq!(
            list.take_first(Some(8081), |m| m.container_port == 81),
            Some(tcp(8081, 81))
        );
        assert_eq!(list.take_first(Some(8081), |_| true), None, "taken already");
        assert_eq!(list.take_first(Some(9000), |_| true), Some(tcp(9000, 90)));
        list.extend([tcp(9001, 91)]);
        assert_eq!(
            list.edits_since(&before),
            Some((vec![tcp(8081, 81)], vec![tcp(9001, 91)]))
        );
        assert_eq!(list.len(), 3);
        assert_eq!(
            saved(&list),
            "0.0.0.0:8080->80/tcp 0.0.0.0:8082->82/tcp 0.0.0.0:9001->91/tcp"
        );
        let mut longer = list.clone();
        longer.extend([tcp(9002, 92)]);
        assert_ne!(longer, before, "told apart by length");
        assert!(!list.is_parsed() && !longer.is_parsed() && !before.is_parsed());
        assert_ne!(list, before, "as long: compared whole");
        assert_eq!(&*list, &[tcp(8080, 80), tcp(8082, 82), tcp(9001, 91)]);
        assert_eq!(list.edits_since(&before), None, "parsed: compared whole");
    }

    #[test]
    fn a_text_that_does_not_parse_is_reported() {
        let list = loaded("0.0.0.0:8080->80/tcp nonsense");
        assert!(list.parse().unwrap_err().contains("nonsense"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::ports::Proto;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Edit {
        Publish(PortMapping),
        /// Take out the first mapping from this host port (or any port) to this container port.
        Unpublish(Option<u16>, u16),
        Parse,
    }

    fn mapping() -> impl Strategy<Value = PortMapping> {
        (1u16..6, 1u16..4, 1u16..3, proptest::bool::ANY).prop_map(|(host, container, count, v6)| {
            PortMapping {
                proto: Proto::Tcp,
                host_ip: v6.then(|| "::1".parse().unwrap()),
                host_port: host * 10,
                container_port: container,
                count,
            }
        })
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            4 => mapping().prop_map(Edit::Publish),
            4 => (proptest::option::of(1u16..6), 1u16..4)
                .prop_map(|(host, container)| Edit::Unpublish(host.map(|h| h * 10), container)),
            1 => Just(Edit::Parse),
        ]
    }

    proptest! {
        /// Whatever is published and unpublished, parsed between or not, the list is what a
        /// plain vector given the same edits holds, saved and loaded again, and the edits
        /// read off it are what changed.
        #[test]
        fn a_lazy_list_is_the_list(
            start in proptest::collection::vec(mapping(), 0..8),
            edits in proptest::collection::vec(edit(), 0..12),
        ) {
            let text = |list: &PortList| {
                let mut text = String::new();
                list.write_text(&mut text);
                text
            };
            let before = PortList::from_text(&text(&PortList::from(start.clone()))).unwrap();
            let mut list = before.clone();
            let mut model = start.clone();
            for edit in edits {
                match edit {
                    Edit::Publish(m) => {
                        list.extend([m]);
                        model.push(m);
                    }
                    Edit::Unpublish(host, container) => {
                        let matches = |m: &PortMapping| {
                            m.container_port == container && host.is_none_or(|h| h == m.host_port)
                        };
                        let expected = model.iter().position(matches).map(|at| model.remove(at));
                        prop_assert_eq!(list.take_first(host, matches), expected);
                    }
                    Edit::Parse => {
                        let _ = list.parse();
                    }
                }
                prop_assert_eq!(list.len(), model.len());
            }
            if let Some((gone, added)) = list.edits_since(&before) {
                let mut after = start.clone();
                for m in &gone {
                    let at = after.iter().position(|x| x == m).expect("gone from the start");
                    after.remove(at);
                }
                after.extend(&added);
                after.sort();
                let mut sorted = model.clone();
                sorted.sort();
                prop_assert_eq!(after, sorted);
            }
            for mapping in start.iter().chain(&model) {
                prop_assert_eq!(list.holds(mapping), model.contains(mapping));
            }
            let reloaded = PortList::from_text(&text(&list)).unwrap();
            prop_assert_eq!(&*reloaded, &model[..]);
            prop_assert_eq!(&*list, &model[..]);
        }
    }
}
