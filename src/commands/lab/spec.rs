//! What a lab file asks for, typed and checked (`file` reads it): networks, nodes and
//! every endpoint, each with a digest that `lab up` compares with what it made before.

use std::collections::BTreeMap;

use crate::commands::connect::attach::Attach;
use crate::drivers::NetworkRequest;
use crate::model::LinkImpairment;

/// The label every network a lab makes carries: `ctnet.lab=NAME` (sandboxes carry a
/// `LabMark`), so `lab down` removes exactly what the lab made.
pub const LABEL: &str = "ctnet.lab";
/// A digest of a network as the file asked for it: a change makes it again.
pub const SPEC_LABEL: &str = "ctnet.lab.spec";

/// A lab as its file describes it.
#[derive(Debug)]
pub struct Lab {
    pub name: String,
    pub networks: Vec<LabNetwork>,
    pub nodes: Vec<LabNode>,
    /// Every endpoint, nodes' and links' alike, in the file's order.
    pub attachments: Vec<LabAttachment>,
}

#[derive(Debug)]
pub struct LabNetwork {
    pub name: String,
    pub request: NetworkRequest,
    /// The digest of what the file says of it.
    pub spec: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabNode {
    pub name: String,
    pub sysctls: BTreeMap<String, String>,
    pub exec: Vec<String>,
}

#[derive(Debug)]
pub struct LabAttachment {
    pub node: String,
    pub network: String,
    pub attach: Attach,
    pub impair: LinkImpairment,
    /// The digest of what the file says of it (impairments aside: those change in place).
    pub spec: String,
}

/// A digest of a value's canonical text (FNV-1a, 64 bits): stable across runs and builds,
/// which is all a comparison with an earlier `lab up` needs.
pub fn digest(text: &str) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}")
}
