//! The kernel's IPsec objects (`cluster::esp` decides which an encrypted overlay needs) and
//! the `ip xfrm` commands that make them.

use std::net::Ipv4Addr;

/// What a step does with an IPsec object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XfrmChange {
    Add,
    Remove,
    /// Add unless it is there already (gc and restore, which cannot tell what the kernel
    /// had): undoing it removes nothing.
    Ensure,
}

/// One object of the kernel's IPsec configuration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Xfrm {
    /// Both directions' policies: VXLAN between this host and `remote` must be ESP.
    Policy { local: Ipv4Addr, remote: Ipv4Addr },
    /// A security association: ESP from `src` to `dst` under `spi` with `key`.
    Sa {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        spi: u32,
        key: String,
    },
}

/// The `ip xfrm` commands that add or remove an IPsec object: what `-v` prints, and what
/// `sys` runs (the kernel's XFRM netlink family has no maintained crate that matches the
/// netlink crates ctnet uses; iproute2 is ctnet's dependency anyway).
pub fn xfrm_commands(add: bool, object: &Xfrm) -> Vec<String> {
    let vxlan = format!("proto udp dport {}", crate::ifnames::VXLAN_PORT);
    let vxlan = vxlan.as_str();
    match (add, object) {
        (true, Xfrm::Policy { local, remote }) => vec![
            format!(
                "ip xfrm policy update src {local}/32 dst {remote}/32 {vxlan} dir out \
                 tmpl src {local} dst {remote} proto esp mode transport"
            ),
            format!(
                "ip xfrm policy update src {remote}/32 dst {local}/32 {vxlan} dir in \
                 tmpl src {remote} dst {local} proto esp mode transport"
            ),
        ],
        (false, Xfrm::Policy { local, remote }) => vec![
            format!("ip xfrm policy delete src {local}/32 dst {remote}/32 {vxlan} dir out"),
            format!("ip xfrm policy delete src {remote}/32 dst {local}/32 {vxlan} dir in"),
        ],
        (true, Xfrm::Sa { src, dst, spi, key }) => vec![format!(
            "ip xfrm state add src {src} dst {dst} proto esp spi {spi:#010x} mode transport \
             aead rfc4106(gcm(aes)) 0x{key} 128"
        )],
        (false, Xfrm::Sa { src, dst, spi, .. }) => vec![format!(
            "ip xfrm state delete src {src} dst {dst} proto esp spi {spi:#010x}"
        )],
    }
}

/// A command with its key hidden (for error messages).
pub fn redact(command: &str) -> String {
    command
        .split_whitespace()
        .map(|w| {
            if w.len() > 20 && w.starts_with("0x") {
                "0x<key>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
