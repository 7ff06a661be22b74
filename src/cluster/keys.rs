//! Where each record lives in the store (see the module's overview).

use std::net::IpAddr;

/// Everything ctnet keeps in the store is under this prefix.
pub const ROOT: &str = "/ctnet/";

pub fn network_key(name: &str) -> String {
    format!("{ROOT}networks/{name}")
}

pub fn vni_key(vni: u32) -> String {
    format!("{ROOT}vnis/{vni}")
}

pub fn endpoints_prefix(network: &str) -> String {
    format!("{ROOT}endpoints/{network}/")
}

pub fn endpoint_key(network: &str, sandbox: &str) -> String {
    format!("{}{sandbox}", endpoints_prefix(network))
}

/// An encrypted network's keys (`esp::EspKeys`).
pub fn keys_key(network: &str) -> String {
    format!("{ROOT}keys/{network}")
}

pub fn ipam_prefix(network: &str) -> String {
    format!("{ROOT}ipam/{network}/")
}

pub fn ipam_key(network: &str, ip: IpAddr) -> String {
    format!("{}{ip}", ipam_prefix(network))
}

/// The keys an endpoint holds: its record and its addresses.
pub fn endpoint_keys(
    network: &str,
    sandbox: &str,
    addresses: impl IntoIterator<Item = IpAddr>,
) -> Vec<String> {
    let mut keys = vec![endpoint_key(network, sandbox)];
    keys.extend(addresses.into_iter().map(|ip| ipam_key(network, ip)));
    keys
}

/// The services of a cluster network (`services/NAME/SERVICE`: a `model::Service`).
pub fn services_prefix(network: &str) -> String {
    format!("{ROOT}services/{network}/")
}

pub fn service_key(network: &str, service: &str) -> String {
    format!("{}{service}", services_prefix(network))
}

/// The hosts' routing-mesh addresses on a network (`mesh/NAME/VTEP`: a
/// `model::RemoteEndpoint`), apart from the endpoints: they are no sandbox's, resolve no
/// name and keep no network from being removed.
pub fn mesh_prefix(network: &str) -> String {
    format!("{ROOT}mesh/{network}/")
}

pub fn mesh_key(network: &str, vtep: std::net::Ipv4Addr) -> String {
    format!("{}{vtep}", mesh_prefix(network))
}
