//! ctnet's configuration file, `/etc/ctnet/config.yaml` (`--config FILE` or `CTNET_CONFIG`
//! for another): the settings of Docker's `daemon.json` that shape networks. The default
//! address pools for networks made without `--subnet`, and the default bridge's subnet
//! (`bip`) and MTU:
//!
//! ```yaml
//! default-address-pools:
//!   - base: 10.10.0.0/16
//!     size: 24
//!   - base: fd00:10::/56
//!     size: 64
//! bip: 10.9.0.1/24
//! mtu: 1400
//! ```
//!
//! A file that is missing at the default path is an empty configuration; every mistake in
//! one is an error naming the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::UserError;

pub const DEFAULT_PATH: &str = "/etc/ctnet/config.yaml";

/// Where a value stood in the file, for messages that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One of `default-address-pools`: networks get subnets of `size` bits cut from `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPool<Net> {
    pub base: Net,
    pub size: u8,
    pub place: Place,
}

impl<Net: fmt::Display> fmt::Display for AddressPool<Net> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pool {} size {} ({})", self.base, self.size, self.place)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub pools4: Vec<AddressPool<Ipv4Net>>,
    pub pools6: Vec<AddressPool<Ipv6Net>>,
    /// The default bridge's gateway address and prefix.
    pub bip: Option<Ipv4Net>,
    pub mtu: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    default_address_pools: Vec<Spanned<PoolEntry>>,
    #[serde(default)]
    bip: Option<Spanned<String>>,
    #[serde(default)]
    mtu: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolEntry {
    base: Spanned<String>,
    size: Spanned<u8>,
}

impl Config {
    /// The configuration at `path`, or at the default path (where a missing file means
    /// no settings).
    pub fn load(path: Option<&Path>) -> Result<Config, UserError> {
        let (path, required) = match path {
            Some(path) => (path, true),
            None => (Path::new(DEFAULT_PATH), false),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(e) => Err(UserError::new(format!(
                "cannot read the configuration {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, UserError> {
        let place = |line, column| Place {
            file: path.to_path_buf(),
            line,
            column,
        };
        let at = |span: &serde_saphyr::Location| place(span.line(), span.column());
        let file: File = serde_saphyr::from_str(text).map_err(|e| {
            let where_ = e
                .location()
                .map_or_else(|| path.display().to_string(), |l| at(&l).to_string());
            UserError::new(format!("{where_}: {}", first_line(&e.to_string())))
        })?;
        let mut config = Config::default();
        for entry in &file.default_address_pools {
            let entry = &entry.value;
            let base_place = at(&entry.base.referenced);
            let base: IpNet = entry.base.value.parse().map_err(|_| {
                UserError::new(format!(
                    "{base_place}: invalid base {:?}: expected a CIDR like 10.10.0.0/16",
                    entry.base.value
                ))
            })?;
            let size = entry.size.value;
            let max = match base {
                IpNet::V4(_) => 32,
                IpNet::V6(_) => 128,
            };
            if size < base.prefix_len() || size > max || base.trunc() != base {
                return Err(UserError::new(format!(
                    "{}: size {size} does not fit base {base}: it must be a prefix length from {} to {max}, and the base a network address",
                    at(&entry.size.referenced),
                    base.prefix_len()
                )));
            }
            match base {
                IpNet::V4(base) => config.pools4.push(AddressPool {
                    base,
                    size,
                    place: base_place,
                }),
                IpNet::V6(base) => config.pools6.push(AddressPool {
                    base,
                    size,
                    place: base_place,
                }),
            }
        }
        if let Some(bip) = &file.bip {
            let net: Ipv4Net = bip.value.parse().map_err(|_| {
                UserError::new(format!(
                    "{}: invalid bip {:?}: expected the default bridge's address and prefix, like 10.9.0.1/24",
                    at(&bip.referenced),
                    bip.value
                ))
            })?;
            config.bip = Some(net);
        }
        if let Some(mtu) = &file.mtu {
            config.mtu = Some(
                crate::netopts::parse_mtu(&mtu.value.to_string()).map_err(|e| {
                    UserError::new(format!("{}: {}", at(&mtu.referenced), e.message))
                })?,
            );
        }
        Ok(config)
    }
}

/// The parser's message without its own location (the error names file, line and
/// column in front) and on one line.
pub fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or(text);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, message)) => message,
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, UserError> {
        Config::parse(Path::new("/etc/ctnet/config.yaml"), text)
    }

    #[test]
    fn pools_of_both_families_the_bridge_and_its_mtu() {
        let config = parse(
            "default-address-pools:\n  - base: 10.10.0.0/16\n    size: 24\n  - base: fd00:10::/56\n    size: 64\nbip: 10.9.0.1/24\nmtu: 1400\n",
        )
        .unwrap();
        assert_eq!(config.pools4[0].base, "10.10.0.0/16".parse().unwrap());
        assert_eq!(config.pools4[0].size, 24);
        assert_eq!(config.pools4[0].place.line, 2);
        assert_eq!(config.pools6[0].size, 64);
        assert_eq!(config.bip, Some("10.9.0.1/24".parse().unwrap()));
        assert_eq!(config.mtu, Some(1400));
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn every_mistake_names_file_line_and_column() {
        for (text, line, says) in [
            (
                "default-address-pools:\n  - base: 10.10.0/16\n    size: 24\n",
                2,
                "invalid base",
            ),
            (
                "default-address-pools:\n  - base: 10.10.0.0/16\n    size: 8\n",
                3,
                "does not fit",
            ),
            (
                "default-address-pools:\n  - base: 10.10.0.1/16\n    size: 24\n",
                3,
                "network address",
            ),
            (
                "default-address-pools:\n  - base: 10.10.0.0/16\n    sise: 24\n",
                3,
                "sise",
            ),
            ("bip: nope\n", 1, "invalid bip"),
            ("mtu: 9\n", 1, "mtu"),
            ("colour: blue\n", 1, "colour"),
            ("default-address-pools: [\n", 1, "unclosed bracket"),
        ] {
            let err = parse(text).unwrap_err().message;
            assert!(
                err.starts_with(&format!("/etc/ctnet/config.yaml:{line}:")),
                "{text:?}: {err}"
            );
            assert!(err.contains(says), "{text:?}: {err}");
            assert!(!err.contains('\n'), "{text:?}: more than one line: {err}");
        }
    }

    #[test]
    fn a_missing_file_is_empty_only_at_the_default_path() {
        let missing = Path::new("/nonexistent/ctnet.yaml");
        assert!(Config::load(Some(missing)).is_err());
    }
}
