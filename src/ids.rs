//! Ids and creation times of networks, sandboxes and endpoints, as Docker's.

use anyhow::{Context, Result};

/// 64 hex characters from the kernel's random source, as Docker's IDs.
pub fn new_id() -> Result<String> {
    let bytes: [u8; 32] = random_bytes()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Bytes from the kernel's random source (ids, encryption keys).
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("cannot read /dev/urandom")?;
    Ok(bytes)
}

/// An id as listings show it: its first 12 characters.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Now, as an object's `Created` time (RFC 3339 with nanoseconds, as Docker's).
pub fn now() -> String {
    humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string()
}
