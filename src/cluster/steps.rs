//! Changes a command makes to the cluster store, as steps of its transaction: `--dry-run`
//! prints them and changes nothing, a failure later in the command undoes them, and
//! `-v` shows each as the `etcdctl` command that would do the same.

use std::fmt;

use anyhow::Result;

use super::kv::Kv;
use super::mesh::{publish_service, withdraw_service};
use super::{
    endpoints_prefix, network_key, publish_network, remove_network, service_key, withdraw_network,
};
use crate::model::{Network, Service};

#[derive(Debug, Clone)]
pub enum StoreOp {
    /// A new cluster network: refused if the cluster has one by its name, its VNI or an
    /// overlapping subnet.
    Publish(Network),
    /// Takes back a network this command published (the undo of `Publish`).
    Withdraw { name: String, vni: u32 },
    /// A cluster network leaves the store: refused while any host has endpoints on it.
    Remove(Network),
    /// A new service of a cluster network, with its virtual IP: refused if the name or the
    /// address is taken.
    PublishService { network: String, service: Service },
    /// A service leaves the store (and the undo of `PublishService`).
    WithdrawService { network: String, service: Service },
    /// The records of endpoints this host no longer has, deleted once the command's own
    /// changes are saved (an address is never free in the store while this host uses it).
    Release(Vec<String>),
}

impl StoreOp {
    /// Steps that go before the kernel's, and can be undone; the others go last.
    pub fn goes_first(&self) -> bool {
        !matches!(self, StoreOp::Release(_))
    }

    pub fn apply(&self, kv: &mut Kv) -> Result<()> {
        match self {
            StoreOp::Publish(network) => publish_network(kv, network),
            StoreOp::Withdraw { name, vni } => withdraw_network(kv, name, *vni),
            StoreOp::Remove(network) => remove_network(kv, network),
            StoreOp::Release(keys) => kv.delete(keys, &[]),
            StoreOp::PublishService { network, service } => publish_service(kv, network, service),
            StoreOp::WithdrawService { network, service } => withdraw_service(kv, network, service),
        }
    }

    pub fn undo(&self) -> Option<StoreOp> {
        match self {
            StoreOp::Publish(network) => Some(StoreOp::Withdraw {
                name: network.name.clone(),
                vni: network.overlay.as_ref()?.vni,
            }),
            StoreOp::Remove(network) => Some(StoreOp::Publish(network.clone())),
            StoreOp::PublishService { network, service } => Some(StoreOp::WithdrawService {
                network: network.clone(),
                service: service.clone(),
            }),
            StoreOp::WithdrawService { network, service } => Some(StoreOp::PublishService {
                network: network.clone(),
                service: service.clone(),
            }),
            StoreOp::Withdraw { .. } | StoreOp::Release(_) => None,
        }
    }
}

impl fmt::Display for StoreOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreOp::Publish(network) => write!(
                f,
                "etcdctl put {} '<network {}>'  # with its VNI, if no network has the name",
                network_key(&network.name),
                network.name
            ),
            StoreOp::Withdraw { name, .. } => write!(f, "etcdctl del {}", network_key(name)),
            StoreOp::Remove(network) => write!(
                f,
                "etcdctl del {}  # if nothing is under {}",
                network_key(&network.name),
                endpoints_prefix(&network.name)
            ),
            StoreOp::Release(keys) => write!(f, "etcdctl del {}", keys.join(" ")),
            StoreOp::PublishService { network, service } => write!(
                f,
                "etcdctl put {} '<service {}>'  # with its virtual IP, if neither is taken",
                service_key(network, &service.name),
                service.name
            ),
            StoreOp::WithdrawService { network, service } => {
                write!(f, "etcdctl del {}", service_key(network, &service.name))
            }
        }
    }
}
