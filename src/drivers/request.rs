//! What a caller asks of a new network, and how it becomes one. The command line, the
//! predefined networks and the gateway bridge (later lab files and CNI) all make a
//! `NetworkRequest`; `settle` checks the name and settles the addresses for every driver,
//! then hands the rest to the network's driver (`NetworkDriver::settle`).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::Result;
use ipnet::{Ipv4Net, Ipv6Net};

use crate::ids::{new_id, now};
use crate::model::{Driver, Ipam6Config, IpamConfig, Network, State, validate_name};
use crate::refuse;
use crate::sys::Kernel;
use crate::{ipam, ipam6};

/// A new network, as asked for: typed, each address parsed, options not yet read (they
/// are the driver's).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRequest {
    pub name: String,
    pub driver: Driver,
    /// The IPv4 pool asked for; `None` for an IPv6-only network (`--ipv4=false`).
    pub ipv4: Option<PoolRequest<Ipv4Net, Ipv4Addr>>,
    /// The IPv6 pool asked for (`--ipv6`).
    pub ipv6: Option<PoolRequest<Ipv6Net, Ipv6Addr>>,
    pub internal: bool,
    /// The network's own DNS servers (`--dns`).
    pub dns: Vec<std::net::IpAddr>,
    pub labels: BTreeMap<String, String>,
    /// The driver's options (`-o`), as given: shown by `inspect`, read by the driver.
    pub options: BTreeMap<String, String>,
    /// ctnet's own: the predefined networks and the gateway bridge (no names resolved,
    /// `network rm` leaves them).
    pub builtin: bool,
    /// Cluster mode's store (`--store`), for an overlay.
    pub store: Option<String>,
    /// An encrypted overlay's keys may go to a plain http store (`--insecure-store`).
    pub insecure_store: bool,
}

/// One family's pool: what was given of it (nothing: the first free default subnet).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolRequest<Net, Addr> {
    pub subnet: Option<Net>,
    pub gateway: Option<Addr>,
    pub range: Option<Net>,
    pub aux: Vec<(String, Addr)>,
}

impl<Net, Addr> Default for PoolRequest<Net, Addr> {
    fn default() -> Self {
        PoolRequest {
            subnet: None,
            gateway: None,
            range: None,
            aux: Vec::new(),
        }
    }
}

impl NetworkRequest {
    /// A request with nothing but a name and a driver: IPv4 from the default pools.
    pub fn new(name: &str, driver: Driver) -> NetworkRequest {
        NetworkRequest {
            name: name.to_string(),
            driver,
            ipv4: Some(PoolRequest::default()),
            ipv6: None,
            internal: false,
            dns: Vec::new(),
            labels: BTreeMap::new(),
            options: BTreeMap::new(),
            builtin: false,
            store: None,
            insecure_store: false,
        }
    }

    /// Whether any subnet was given, of either family.
    pub fn has_subnet(&self) -> bool {
        self.ipv4.as_ref().is_some_and(|p| p.subnet.is_some())
            || self.ipv6.as_ref().is_some_and(|p| p.subnet.is_some())
    }

    /// Whether any gateway was given, of either family.
    pub fn has_gateway(&self) -> bool {
        self.ipv4.as_ref().is_some_and(|p| p.gateway.is_some())
            || self.ipv6.as_ref().is_some_and(|p| p.gateway.is_some())
    }
}

/// What settling a network may look at: the state and the host. Nothing is changed.
pub struct Host<'a> {
    pub state: &'a State,
    pub kernel: &'a mut dyn Kernel,
    /// ctnet's configuration: the default address pools.
    pub config: &'a crate::config::Config,
}

/// The network `request` describes, fully validated against the state and the host.
pub fn settle(request: &NetworkRequest, host: &mut Host) -> Result<Network> {
    validate_name("network", &request.name)?;
    if host.state.networks.iter().any(|n| n.name == request.name) {
        refuse!("network with name {} already exists", request.name);
    }
    let driver = match request.driver {
        Driver::Host | Driver::Null => refuse!(
            "only one instance of the {} network is allowed, and it exists already",
            request.driver.name()
        ),
        _ => super::for_network_driver(request.driver)?,
    };
    let mut network = Network::blank(new_id()?, &request.name, request.driver, now());
    network.ipam6 = match &request.ipv6 {
        Some(pool) => Some(ipv6_pool(pool, host)?),
        None => None,
    };
    network.enable_ipv6 = network.ipam6.is_some();
    network.ipam = match &request.ipv4 {
        Some(pool) => vec![ipv4_pool(pool, host)?],
        None => Vec::new(),
    };
    network.internal = request.internal;
    network.dns_servers = request.dns.clone();
    network.labels = request.labels.clone();
    network.options = request.options.clone();
    network.builtin = request.builtin;
    driver.settle(request, &mut network, host)?;
    Ok(network)
}

/// The IPv4 pool: the given subnet (checked against every other network), or the first
/// free one of the default pools.
fn ipv4_pool(pool: &PoolRequest<Ipv4Net, Ipv4Addr>, host: &mut Host) -> Result<IpamConfig> {
    Ok(match pool.subnet {
        Some(subnet) => {
            if let Some(other) = ipam::occupied(host.state, &[])
                .into_iter()
                .find(|o| o.net.contains(&subnet.network()) || subnet.contains(&o.net.network()))
            {
                refuse!(
                    "subnet {subnet} overlaps with {} ({})",
                    other.reason,
                    other.net
                );
            }
            ipam::build_config(subnet, pool.gateway, pool.range, &pool.aux)?
        }
        None => {
            if pool.gateway.is_some() || pool.range.is_some() || !pool.aux.is_empty() {
                refuse!("an IPv4 --gateway, --ip-range or --aux-address needs an IPv4 --subnet");
            }
            let host_nets = host.kernel.host_ipv4_in_use()?;
            let occupied = ipam::occupied(host.state, &host_nets);
            let subnet = ipam::pick_subnet(&occupied, &host.config.pools4)?;
            ipam::build_config(subnet, None, None, &[])?
        }
    })
}

/// The IPv6 pool: the given subnet, or the first free /64 of ctnet's unique-local /48.
fn ipv6_pool(pool: &PoolRequest<Ipv6Net, Ipv6Addr>, host: &mut Host) -> Result<Ipam6Config> {
    let state = host.state;
    let used: Vec<Ipv6Net> = state
        .networks
        .iter()
        .filter_map(|n| Some(n.ipam6.as_ref()?.subnet))
        .collect();
    let subnet = match pool.subnet {
        Some(subnet) => {
            if let Some((other, net)) = state.networks.iter().find_map(|n| {
                let theirs = n.ipam6.as_ref()?.subnet;
                (theirs.contains(&subnet.network()) || subnet.contains(&theirs.network()))
                    .then_some((&n.name, theirs))
            }) {
                refuse!("subnet {subnet} overlaps with network {other} ({net})");
            }
            subnet
        }
        None => {
            if pool.gateway.is_some() || pool.range.is_some() || !pool.aux.is_empty() {
                refuse!("an IPv6 --gateway, --ip-range or --aux-address needs an IPv6 --subnet");
            }
            // RFC 4193's global ID from this host's identity.
            let seed = host.kernel.machine_id();
            ipam6::pick_subnet(ipam6::ula_prefix(&seed), &used, &host.config.pools6)?
        }
    };
    Ok(ipam6::build_config(
        subnet,
        pool.gateway,
        pool.range,
        &pool.aux,
    )?)
}
