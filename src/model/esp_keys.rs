//! The keys of an encrypted overlay (`-o encrypted`), as the store and the state hold
//! them; `cluster::esp` makes IPsec of them.

use serde::{Deserialize, Serialize};

/// A network's keys, as the store holds them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EspKeys {
    pub keys: Vec<EspKey>,
    /// The id of the key hosts send with.
    pub primary: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EspKey {
    pub id: u32,
    /// 20 bytes in hex: the AES-128 key, then GCM's 4-byte salt.
    pub key: String,
}

impl EspKeys {
    /// A first key, from 20 random bytes.
    pub fn new(random: &[u8; 20]) -> EspKeys {
        EspKeys {
            keys: vec![EspKey {
                id: 1,
                key: hex(random),
            }],
            primary: 1,
        }
    }

    /// The three steps of a rotation to a new key from `random`: accepted everywhere,
    /// then sent with, then alone.
    pub fn rotation(&self, random: &[u8; 20]) -> [EspKeys; 3] {
        let id = self.keys.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        let new = EspKey {
            id,
            key: hex(random),
        };
        let mut accepted = self.clone();
        accepted.keys.push(new.clone());
        let mut sending = accepted.clone();
        sending.primary = id;
        let alone = EspKeys {
            keys: vec![new],
            primary: id,
        };
        [accepted, sending, alone]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
