//! MAC addresses: typed from the command line to the kernel, text only in files and output.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::UserError;

/// A unicast Ethernet address other than all zeros (the only kind an interface can have).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac([u8; 6]);

impl Mac {
    /// Docker's MAC for a container: 02:42 then the four octets of its IPv4 address.
    pub fn from_ipv4(ip: Ipv4Addr) -> Mac {
        let [a, b, c, d] = ip.octets();
        Mac([0x02, 0x42, a, b, c, d])
    }

    /// The IPv4 address whose MAC this is (`from_ipv4`), if it is one of those.
    pub fn ipv4(self) -> Option<Ipv4Addr> {
        match self.0 {
            [0x02, 0x42, a, b, c, d] => Some(Ipv4Addr::new(a, b, c, d)),
            _ => None,
        }
    }

    /// The MAC of an IPv6-only endpoint: 02:42 and the address's last four bytes.
    pub fn from_ipv6(ip: Ipv6Addr) -> Mac {
        let o = ip.octets();
        Mac([0x02, 0x42, o[12], o[13], o[14], o[15]])
    }

    /// The MAC an endpoint's addresses make: its IPv4 address's, or on an IPv6-only
    /// network its IPv6 address's.
    pub fn of_addresses(ipv4: Option<Ipv4Addr>, ipv6: Option<Ipv6Addr>) -> Option<Mac> {
        match (ipv4, ipv6) {
            (Some(v4), _) => Some(Mac::from_ipv4(v4)),
            (None, Some(v6)) => Some(Mac::from_ipv6(v6)),
            (None, None) => None,
        }
    }

    /// A host's own MAC on its cluster overlays: 02:4d and its VTEP's four octets.
    pub fn of_host(vtep: Ipv4Addr) -> Mac {
        let [a, b, c, d] = vtep.octets();
        Mac([0x02, 0x4d, a, b, c, d])
    }

    /// A locally administered MAC: `first` (its low bit clear: unicast) and four bytes of
    /// an id's hex (zeros where the id has none: a hand-edited id must not panic).
    pub fn from_id(first: [u8; 2], id: &str) -> Mac {
        let mut mac = [first[0] & !1, first[1], 0, 0, 0, 0];
        for (i, byte) in mac[2..].iter_mut().enumerate() {
            let pair = id.get(2 * i..2 * i + 2).unwrap_or("00");
            *byte = u8::from_str_radix(pair, 16).unwrap_or(0);
        }
        Mac(mac)
    }

    pub fn octets(self) -> [u8; 6] {
        self.0
    }
}

impl fmt::Display for Mac {
    /// As `ip` writes it: six lowercase hex pairs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl FromStr for Mac {
    type Err = UserError;

    fn from_str(text: &str) -> Result<Mac, UserError> {
        let bad = || {
            UserError::new(format!(
                "invalid MAC address {text:?}: expected six hex pairs like 02:42:ac:11:00:02"
            ))
        };
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut mac = [0u8; 6];
        for (byte, part) in mac.iter_mut().zip(&parts) {
            // Hex digits only: the radix parser would take "+a" as 0a.
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if mac == [0; 6] {
            return Err(UserError::new(format!(
                "invalid MAC address {text}: the all-zero address belongs to no interface"
            )));
        }
        if mac[0] & 1 == 1 {
            return Err(UserError::new(format!(
                "invalid MAC address {text}: it is a multicast address"
            )));
        }
        Ok(Mac(mac))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mac, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An endpoint's MAC in its file: `""` where it has none of its own (ipvlan shares its
/// parent's), as Docker's `MacAddress` shows it.
pub mod or_empty {
    use super::*;

    pub fn serialize<S: Serializer>(mac: &Option<Mac>, s: S) -> Result<S::Ok, S::Error> {
        match mac {
            Some(mac) => mac.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Mac>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_addresses_and_parsed_strictly() {
        let mac = Mac::from_ipv4("172.17.0.2".parse().unwrap());
        assert_eq!(mac.to_string(), "02:42:ac:11:00:02");
        assert_eq!("02:42:ac:11:00:02".parse::<Mac>().unwrap(), mac);
        assert_eq!(
            Mac::from_ipv6("fd00::1:a00:2".parse().unwrap()).to_string(),
            "02:42:0a:00:00:02"
        );
        for bad in [
            "02:42:ac:11:00",
            "zz:42:ac:11:00:02",
            "01:00:5e:00:00:01",
            "2:42:ac:11:00:02",
            "00:00:00:00:00:00",
            "+2:42:ac:11:00:02",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ids_make_macs_without_panicking() {
        assert_eq!(
            Mac::from_id([2, 0x43], "a1b2c3d4e5").to_string(),
            "02:43:a1:b2:c3:d4"
        );
        assert_eq!(
            Mac::from_id([2, 0x43], "zz").to_string(),
            "02:43:00:00:00:00"
        );
    }

    #[test]
    fn an_endpoints_missing_mac_is_an_empty_string_in_its_file() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct E {
            #[serde(with = "or_empty")]
            mac: Option<Mac>,
        }
        assert_eq!(
            serde_json::to_string(&E { mac: None }).unwrap(),
            r#"{"mac":""}"#
        );
        let e: E = serde_json::from_str(r#"{"mac":"02:42:0a:00:00:02"}"#).unwrap();
        assert_eq!(e.mac.unwrap().to_string(), "02:42:0a:00:00:02");
        assert!(serde_json::from_str::<E>(r#"{"mac":"zz"}"#).is_err());
    }
}
