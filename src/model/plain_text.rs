//! Long lists saved as plain text, entries one space apart: a network's member lists (one
//! JSON string each in state.json) and an endpoint's published ports (a line of its
//! sandbox's ports file).

use serde::Serializer;
use serde_json::value::RawValue;

/// Writes `text` as one JSON string, as it is: serde_json would look at each of its bytes
/// for one to escape, which for a list of thousands of entries costs more than all else a
/// command saves. The lists hold names, addresses and ports, with nothing to escape; text
/// that might need it (a backslash, or a quote, which `RawValue` refuses) is written the
/// usual way.
pub fn serialize<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    if memchr::memchr(b'\\', text.as_bytes()).is_none() {
        let mut quoted = String::with_capacity(text.len() + 2);
        quoted.push('"');
        quoted.push_str(text);
        quoted.push('"');
        if let Ok(raw) = RawValue::from_string(quoted) {
            return serde::Serialize::serialize(&raw, serializer);
        }
    }
    serializer.serialize_str(text)
}

/// Whether a list's text has its entries one space apart: what the lists' readers count on.
pub fn spaced_once(text: &str) -> bool {
    !(text.starts_with(' ')
        || text.ends_with(' ')
        || memchr::memmem::find(text.as_bytes(), b"  ").is_some())
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_reads_back_whatever_it_holds() {
        for text in [
            "a=10.0.0.2 b=10.0.0.3",
            "",
            "quote\"d",
            "back\\slash",
            "tab\there",
        ] {
            let mut out = Vec::new();
            super::serialize(text, &mut serde_json::Serializer::new(&mut out)).unwrap();
            assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), text);
        }
    }
}
