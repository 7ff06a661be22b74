//! `K=V` flags (`-o`, `--label`, `--aux-address`) as maps, and values drivers' options
//! share. Each driver reads its own options (see `drivers::*::options`).

use std::collections::BTreeMap;

use crate::error::UserError;
use crate::refuse;

/// Splits `K=V`; `what` names the flag in the error.
pub fn parse_key_value(what: &str, text: &str) -> Result<(String, String), UserError> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => refuse!("invalid {what} {text:?}: expected KEY=VALUE"),
    }
}

/// An `mtu` option: IPv4's minimum (68) to the largest a link takes.
pub fn parse_mtu(value: &str) -> Result<u32, UserError> {
    value
        .parse()
        .ok()
        .filter(|m| (68..=65535).contains(m))
        .ok_or_else(|| {
            UserError::new(format!(
                "invalid mtu {value:?}: expected a number from 68 to 65535"
            ))
        })
}

/// Labels may be a bare key, as Docker allows (`--label env`); options may not.
pub fn parse_map(what: &str, items: &[String]) -> Result<BTreeMap<String, String>, UserError> {
    let mut map = BTreeMap::new();
    for item in items {
        let (k, v) = match (what, item.contains('=')) {
            ("label", false) if !item.is_empty() => (item.clone(), String::new()),
            // Docker's overlay flag takes no value: `-o encrypted`.
            ("option", false) if item == "encrypted" => (item.clone(), String::new()),
            _ => parse_key_value(what, item)?,
        };
        if map.insert(k.clone(), v).is_some() {
            refuse!("{what} {k} is given twice");
        }
    }
    Ok(map)
}
