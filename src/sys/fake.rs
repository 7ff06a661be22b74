//! A kernel in memory, for unit tests above `sys`: it records the plans it is given and
//! answers questions from what a test set up. Nothing touches the machine, so the tests
//! that use it need no root.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{Result, anyhow};
use ipnet::Ipv4Net;

use super::{BridgeView, Forwarding, Kernel, TableState, Underlay};
use crate::plan::{Ns, Op};
use crate::ports::Proto;

pub struct FakeKernel {
    /// Every step applied, in order (undo steps too).
    pub applied: Vec<Op>,
    /// Host links by name, with whether each is a bridge port.
    pub links: BTreeMap<String, bool>,
    /// The subnets of the host's own addresses, and its other routes.
    pub host_addresses: Vec<Ipv4Net>,
    pub host_routes: Vec<Ipv4Net>,
    /// Routes to peers: the underlay each goes out of.
    pub routes: BTreeMap<Ipv4Addr, Underlay>,
    /// Link kinds this kernel cannot make.
    pub missing_kinds: Vec<&'static str>,
    pub forwarding: Forwarding,
    pub table: TableState,
    /// Refuse the step at this index of the next plan (to test undo).
    pub fail_at: Option<usize>,
}

impl Default for FakeKernel {
    fn default() -> Self {
        FakeKernel {
            applied: Vec::new(),
            links: BTreeMap::from([("eth0".to_string(), false)]),
            host_addresses: vec!["192.0.2.0/24".parse().unwrap()],
            host_routes: vec!["192.0.2.0/24".parse().unwrap()],
            routes: BTreeMap::new(),
            missing_kinds: Vec::new(),
            forwarding: Forwarding::OnByOthers,
            table: TableState::Current,
            fail_at: None,
        }
    }
}

impl Kernel for FakeKernel {
    fn apply(&mut self, plan: &[Op]) -> Result<Vec<Op>> {
        let mut undo = Vec::new();
        for (i, op) in plan.iter().enumerate() {
            if self.fail_at.take_if(|at| *at == i).is_some() {
                self.undo(undo);
                return Err(anyhow!("refused: {op}"));
            }
            self.applied.push(op.clone());
            undo.extend(op.undo());
        }
        Ok(undo)
    }

    fn undo(&mut self, undo: Vec<Op>) {
        self.applied.extend(undo.into_iter().rev());
    }

    fn host_ipv4_in_use(&mut self) -> Result<Vec<Ipv4Net>> {
        let mut all = self.host_addresses.clone();
        all.extend(&self.host_routes);
        Ok(all)
    }

    fn host_ipv4_addresses(&mut self) -> Result<Vec<Ipv4Net>> {
        Ok(self.host_addresses.clone())
    }

    fn route_to(&mut self, peer: Ipv4Addr) -> Result<Option<Underlay>> {
        Ok(self.routes.get(&peer).cloned())
    }

    fn link_with_address(&mut self, _ip: Ipv4Addr) -> Result<Option<Underlay>> {
        Ok(None)
    }

    fn missing_link_kinds(&mut self, kinds: &[&str]) -> Vec<&'static str> {
        let missing = self.missing_kinds.iter();
        missing.filter(|k| kinds.contains(k)).copied().collect()
    }

    fn link_enslaved(&mut self, name: &str) -> Result<Option<bool>> {
        Ok(self.links.get(name).copied())
    }

    fn describe_bridge(&mut self, _name: &str) -> Result<Option<BridgeView>> {
        Ok(None)
    }

    fn netns_in_use(&self, _path: &std::path::Path) -> bool {
        false
    }

    fn has_link(&mut self, ns: &Ns, name: &str) -> bool {
        *ns == Ns::Host && self.links.contains_key(name)
    }

    fn link_addresses(&mut self, _ns: &Ns, _name: &str) -> Result<Vec<ipnet::IpNet>> {
        Ok(Vec::new())
    }

    fn probe_link_kinds(&mut self) -> Vec<(&'static str, &'static str, Option<String>)> {
        Vec::new()
    }

    fn nft_accepts(&mut self, _ruleset: &str, _json: bool) -> std::result::Result<(), String> {
        Ok(())
    }

    fn ruleset(&mut self) -> std::result::Result<serde_json::Value, String> {
        Ok(serde_json::json!({ "nftables": [] }))
    }

    fn machine_id(&self) -> Vec<u8> {
        b"0123456789abcdef0123456789abcdef".to_vec()
    }

    fn tagged_link(&mut self, _ns: &Ns) -> Option<String> {
        None
    }

    fn marked_links(&mut self) -> Result<Vec<(String, String)>> {
        Ok(Vec::new())
    }

    fn is_netns(&self, _path: &Path) -> bool {
        true
    }

    fn netns_inode(&self, _path: &Path) -> Option<u64> {
        Some(1)
    }

    fn is_host_netns(&self, _path: &Path) -> bool {
        false
    }

    fn process_start(&self, _pid: u32) -> Option<u64> {
        None
    }

    fn forwarding(&self, _ipv6: bool) -> Forwarding {
        self.forwarding
    }

    fn firewall_table(&mut self) -> Result<TableState> {
        Ok(self.table)
    }

    fn probe(
        &mut self,
        _netns: Option<&std::path::Path>,
        _target: std::net::IpAddr,
        _port: Option<(crate::ports::Proto, u16)>,
    ) -> Result<super::trace::ProbeReport> {
        Ok(Default::default())
    }

    fn host_firewall(&mut self) -> Result<crate::hostfw::HostFirewall> {
        Ok(crate::hostfw::HostFirewall {
            chains: Vec::new(),
            bridge_netfilter: false,
        })
    }

    fn host_port_unavailable(
        &self,
        _ip: Option<std::net::IpAddr>,
        _proto: Proto,
        _port: u16,
    ) -> Option<String> {
        None
    }
}
