//! Services as saved: a name on a network whose tasks are the network's members that carry
//! it as an alias (`commands::service` makes them; `firewall` balances over the tasks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

named!(
    /// How a service's name resolves: to a virtual IP the kernel balances over the tasks
    /// (`vip`), or to the tasks' own addresses in turn (`dnsrr`).
    EndpointMode { Vip = "vip", Dnsrr = "dnsrr" }
);

/// A service on a network: a name whose tasks are the network's members that carry it as
/// an alias (`connect --alias NAME`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub mode: EndpointMode,
    /// The virtual IPs of a `vip` service, from the network's subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip4: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip6: Option<Ipv6Addr>,
    /// Ports published on the host's addresses, balanced over the tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
    pub created: String,
}

/// A service port published on the host: `published` on every host address, to `target`
/// on a task.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServicePort {
    pub proto: crate::ports::Proto,
    pub published: u16,
    pub target: u16,
}

impl Service {
    pub fn vips(&self) -> impl Iterator<Item = IpAddr> {
        let v4 = self.vip4.map(IpAddr::V4);
        v4.into_iter().chain(self.vip6.map(IpAddr::V6))
    }
}
