//! What a commit writes: the derived indexes in state.json (members, aliases, MACs,
//! published ports), the sandbox files a command changed, and the name files of the
//! sandboxes whose neighbours changed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;

use super::Tx;
use super::commit::port_changes;
use crate::commands::Ctx;
use crate::dns::{etcfiles, names};
use crate::model::{Endpoint, Index, Published, Sandbox, SandboxFile};
use crate::ports::bindings::{self, host_bindings};
use crate::ports::{PortList, PortMapping};
use crate::state::store::FileChange;
use crate::state::store::Store;

/// Each endpoint's published ports, for telling whether a sandbox's ports file changes
/// (a list edited but not parsed is told apart without parsing: see `PortList`).
fn ports_of(file: &SandboxFile) -> Vec<(&str, &PortList)> {
    (file.endpoints.iter())
        .filter(|ep| !ep.ports.is_empty())
        .map(|ep| (ep.id.as_str(), &ep.ports))
        .collect()
}

/// What became of the host ports a sandbox holds.
enum HostPorts {
    /// All it holds now (a repair, which trusts no entry of the index).
    All(Vec<PortMapping>),
    /// What it gave up and took since it was loaded.
    Changed {
        gave_up: Vec<PortMapping>,
        took: Vec<PortMapping>,
    },
}

/// Takes `name` out of the published index, which is changed (and so copied, if shared) only
/// if it holds it.
fn take<V: Clone>(index: &mut Index<String, V>, name: &str) -> Option<V> {
    if index.contains_key(name) {
        index.edit().remove(name)
    } else {
        None
    }
}

impl Tx {
    /// Networks list their members (sandbox name and address); the sandboxes this command
    /// saw decide their own entries.
    pub fn update_members(&mut self) {
        self.mark_own_hosts();
        let seen: BTreeSet<&String> = self
            .loaded
            .keys()
            .chain(self.state.sandboxes.iter().map(|s| &s.name))
            .collect();
        let mut released = Vec::new();
        // The lines of the sandboxes about to change, as they are (none where they are no
        // members yet): what their names lose.
        for before in &mut self.names_before {
            let Some(network) = self.state.networks.iter().find(|n| n.id == before.id) else {
                continue;
            };
            for name in &seen {
                before.note_member(network, name);
            }
        }
        // Each seen sandbox's entries come out (a lookup per name: the lists of a big
        // network are neither walked nor, when unchanged, copied).
        for network in &mut self.state.networks {
            for &name in &seen {
                if let Some(ip) = network.members.remove(name) {
                    released.push((network.id.clone(), name.clone(), ip.into()));
                }
                if let Some(ip) = network.members6.remove(name) {
                    released.push((network.id.clone(), name.clone(), ip.into()));
                }
                network.aliases.remove(name);
                network.macs.remove(name);
                network.own_hosts.remove(name);
            }
        }
        type Entry = (
            String,
            String,
            Option<Ipv4Addr>,
            Option<std::net::Ipv6Addr>,
            Vec<String>,
            Option<crate::model::Mac>,
        );
        // (By id, built once: gc and restore see every sandbox and every endpoint.)
        let names: HashMap<&str, &String> = (self.state.sandboxes.iter())
            .map(|s| (s.id.as_str(), &s.name))
            .collect();
        let entries: Vec<Entry> = self
            .state
            .endpoints
            .iter()
            .filter_map(|ep| {
                let sandbox_name = *names.get(ep.sandbox_id.as_str())?;
                let (network, name) = (ep.network_id.clone(), sandbox_name.clone());
                let ipv6 = ep.ipv6.map(|net| net.addr());
                let ipv4 = ep.ipv4.map(|net| net.addr());
                let own_mac = ep
                    .mac
                    .filter(|mac| crate::model::Mac::of_addresses(ipv4, ipv6) != Some(*mac));
                Some((network, name, ipv4, ipv6, ep.aliases.clone(), own_mac))
            })
            .collect();
        // A member that keeps its address was not released after all.
        let kept: HashSet<(&str, &str, IpAddr)> = (entries.iter())
            .flat_map(|(network, name, ipv4, ipv6, ..)| {
                let addresses = ipv4.map(IpAddr::V4).into_iter().chain(ipv6.map(IpAddr::V6));
                addresses.map(|a| (network.as_str(), name.as_str(), a))
            })
            .collect();
        released.retain(|(n, s, a)| !kept.contains(&(n.as_str(), s.as_str(), *a)));
        for (network_id, _, address) in &released {
            if let Some(network) = self.state.networks.iter_mut().find(|n| &n.id == network_id) {
                network.gave_back(*address);
            }
        }
        for (network_id, name, ipv4, ipv6, aliases, own_mac) in entries {
            if let Some(network) = self.state.networks.iter_mut().find(|n| n.id == network_id) {
                if !aliases.is_empty() {
                    network.aliases.insert(name.clone(), aliases);
                }
                if let Some(mac) = own_mac {
                    network.macs.insert(name.clone(), mac);
                }
                if let Some(ipv6) = ipv6 {
                    network.members6.insert(name.clone(), ipv6);
                }
                if let Some(ipv4) = ipv4 {
                    network.members.insert(name, ipv4);
                }
            }
        }
        let own_hosts: Vec<(String, String)> = (self.state.sandboxes.iter())
            .filter(|s| s.own_hosts)
            .flat_map(|s| {
                let on = self.state.endpoints_of_sandbox(&s.id);
                on.map(|ep| (ep.network_id.clone(), s.name.clone()))
            })
            .collect();
        for (network_id, name) in own_hosts {
            if let Some(network) = self.state.networks.iter_mut().find(|n| n.id == network_id) {
                network.own_hosts.insert(name, true);
            }
        }
        // (Called again within one command, by a lab: what an earlier call took out stays.)
        self.released.extend(released);
        // A repair made the lists again from the sandboxes: what it dropped was given back
        // without a word, so the search for a free address starts no later than the lowest.
        if self.repair {
            for network in &mut self.state.networks {
                network.settle_free_from();
            }
        }
        // The host-wide index of published ports, likewise: each seen sandbox's entry is
        // its entry as loaded with the host ports its endpoints took and gave up since (a
        // repair makes it again from all they hold now). A sandbox with 5,000 ports that
        // publishes one more changes its entry by one port, without reading the other 5,000.
        let held = self.host_ports_changed(&seen, &names);
        let mut released_ports = Vec::new();
        for (name, change) in held {
            // Host ports only, in merged ranges (an older state's entry is merged here too).
            let before = host_bindings(take(&mut self.state.published, name).unwrap_or_default());
            let after = match change {
                HostPorts::All(held) => host_bindings(held),
                HostPorts::Changed { gave_up, took } => {
                    let loaded = self.published_loaded.get(name.as_str());
                    let loaded = host_bindings(loaded.cloned().unwrap_or_default());
                    bindings::follow(&loaded, gave_up, took)
                }
            };
            let gone = bindings::released(&before, &after);
            released_ports.extend(gone.into_iter().map(|mapping| Published {
                sandbox: name.clone(),
                mapping,
            }));
            if !after.is_empty() {
                self.state.published.edit().insert(name.clone(), after);
            }
        }
        // (Called again within one command, by a lab: what an earlier call released stays.)
        self.released_ports.extend(released_ports);
    }

    /// For each seen sandbox, the host ports its endpoints gave up and took since they
    /// were loaded (or all they hold: for a repair, and when that is none, which also puts
    /// right an entry a crash left). Ports on a routed network take no host port: nothing
    /// to keep others from (told by the networks as loaded for the endpoints as loaded: a
    /// lab may have removed theirs since).
    fn host_ports_changed<'a>(
        &self,
        seen: &BTreeSet<&'a String>,
        names: &HashMap<&str, &String>,
    ) -> Vec<(&'a String, HostPorts)> {
        let takes_host_ports = |ep: &&Endpoint| {
            !(self.state.network_by_id(&ep.network_id)).is_some_and(|n| n.routed_only())
        };
        let took_host_ports = |ep: &&Endpoint| !self.routed_as_loaded(&ep.network_id).only;
        let mut now: HashMap<&str, Vec<&Endpoint>> = HashMap::new();
        for ep in self.state.endpoints.iter().filter(takes_host_ports) {
            if let Some(&name) = names.get(ep.sandbox_id.as_str()) {
                now.entry(name.as_str()).or_default().push(ep);
            }
        }
        let all = |endpoints: &[&Endpoint]| -> Vec<PortMapping> {
            endpoints
                .iter()
                .flat_map(|ep| ep.ports.iter().copied())
                .collect()
        };
        seen.iter()
            .map(|&name| {
                let now = now.remove(name.as_str()).unwrap_or_default();
                if self.repair || now.iter().all(|ep| ep.ports.is_empty()) {
                    return (name, HostPorts::All(all(&now)));
                }
                let loaded = self.loaded.get(name).and_then(Option::as_ref);
                let mut was: Vec<&Endpoint> = loaded
                    .map(|file| file.endpoints.iter().filter(took_host_ports).collect())
                    .unwrap_or_default();
                let (mut gave_up, mut took) = (Vec::new(), Vec::new());
                for ep in now {
                    let same = |w: &&Endpoint| w.id == ep.id && w.network_id == ep.network_id;
                    match was.iter().position(same) {
                        Some(at) => {
                            // Ports that take host ports: a sandbox holds none twice.
                            let (gone, added) =
                                port_changes(&was.swap_remove(at).ports, &ep.ports, false);
                            gave_up.extend(gone);
                            took.extend(added);
                        }
                        None => took.extend(ep.ports.iter().copied()),
                    }
                }
                gave_up.extend(all(&was));
                (name, HostPorts::Changed { gave_up, took })
            })
            .collect()
    }

    /// Marks the sandboxes this command leaves on several networks that resolve names: their
    /// `hosts` stays a file of their own from then on (`Sandbox::own_hosts`).
    fn mark_own_hosts(&mut self) {
        let resolving: BTreeSet<&String> = (self.state.networks.iter())
            .filter(|n| names::resolves_names(n))
            .map(|n| &n.id)
            .collect();
        let several: Vec<String> = (self.state.sandboxes.iter())
            .filter(|s| !s.own_hosts)
            .filter(|s| {
                let on = self.state.endpoints_of_sandbox(&s.id);
                on.filter(|ep| resolving.contains(&ep.network_id)).count() > 1
            })
            .map(|s| s.id.clone())
            .collect();
        for sandbox in self
            .state
            .sandboxes
            .iter_mut()
            .filter(|s| several.contains(&s.id))
        {
            sandbox.own_hosts = true;
        }
    }

    /// The sandbox files as the state now has them, by name (`None`: to be removed).
    pub(super) fn sandbox_files(&self) -> BTreeMap<String, Option<SandboxFile>> {
        let mut files: BTreeMap<String, Option<SandboxFile>> = self
            .loaded
            .keys()
            .map(|name| (name.clone(), None))
            .collect();
        for sandbox in &self.state.sandboxes {
            let endpoints = self
                .state
                .endpoints_of_sandbox(&sandbox.id)
                .cloned()
                .collect();
            let file = SandboxFile {
                sandbox: sandbox.clone(),
                endpoints,
            };
            files.insert(sandbox.name.clone(), Some(file));
        }
        files
    }

    /// The files to write, in order. An address is never free on disk while a sandbox
    /// file still holds it: members released by this command stay in state.json until the
    /// sandbox files are written. A crash in between can only leave an address reserved.
    pub(super) fn file_changes(&mut self) -> Result<Vec<FileChange>> {
        let mut changes = Vec::new();
        let size = self.networks_on_disk.len();
        let final_bytes = Store::networks_bytes(&self.state.networks, &self.state.published, size)?;
        let mut on_disk: Vec<u8> = self.networks_on_disk.clone();
        if !self.released.is_empty() || !self.released_ports.is_empty() {
            // Released ports stay reserved until the sandbox files are written, unless a
            // sandbox holds that port again now (the same one, rejoining within a lab, or
            // another): two entries for one port would be a state.json that never loads.
            // A released range of which some port is held again goes back port by port.
            let mut published = self.state.published.clone();
            for released in &self.released_ports {
                let held_now = |port: &PortMapping| {
                    crate::model::published_ports(&published).any(|(_, m)| m.collides(port))
                };
                let free: Vec<PortMapping> = if held_now(&released.mapping) {
                    let ports = bindings::single_ports(&released.mapping);
                    ports.filter(|port| !held_now(port)).collect()
                } else {
                    vec![released.mapping]
                };
                if !free.is_empty() {
                    let held = published
                        .edit()
                        .entry(released.sandbox.clone())
                        .or_default();
                    held.extend(host_bindings(free));
                }
            }
            let widened_bytes = self.widened_bytes(&published)?;
            if widened_bytes != on_disk {
                changes.push(FileChange::Networks(widened_bytes.clone()));
                on_disk = widened_bytes;
            }
        } else if final_bytes != on_disk {
            changes.push(FileChange::Networks(final_bytes.clone()));
            on_disk = final_bytes.clone();
        }
        for (name, file) in self.sandbox_files() {
            let loaded = self.loaded.get(&name).and_then(Option::as_ref);
            let Some(file) = file else {
                if loaded.is_some() {
                    changes.push(FileChange::RemoveSandbox(name));
                }
                continue;
            };
            // The ports file first (see `Store`), and each file only if it changes. (Ports an
            // older version kept in the JSON move to the ports file.)
            let json = self.loaded_json.get(&name);
            let ports_change = match loaded {
                Some(loaded) => {
                    ports_of(loaded) != ports_of(&file)
                        || json.is_some_and(|j| Store::ports_inline(j))
                }
                None => !ports_of(&file).is_empty(),
            };
            if ports_change {
                let bytes = Store::ports_bytes(&file);
                changes.push(FileChange::Ports {
                    name: name.clone(),
                    bytes,
                });
            }
            let bytes = Store::sandbox_bytes(&file)?;
            if json != Some(&bytes) {
                changes.push(FileChange::Sandbox { name, bytes });
            }
        }
        if final_bytes != on_disk {
            changes.push(FileChange::Networks(final_bytes));
        }
        Ok(changes)
    }

    /// Serialises state.json with the members this command released put back, in place (a
    /// copy of a big network's lists would cost more than the save), and then takes them out
    /// again, restoring what a member of the same name holds now.
    fn widened_bytes(&mut self, published: &crate::model::PublishedIndex) -> Result<Vec<u8>> {
        use std::net::IpAddr;
        let mut undo = Vec::new();
        for (network_id, name, ip) in &self.released {
            if let Some(i) = self.state.networks.iter().position(|n| &n.id == network_id) {
                let network = &mut self.state.networks[i];
                let before = match ip {
                    IpAddr::V4(ip) => network.members.insert(name.clone(), *ip).map(IpAddr::V4),
                    IpAddr::V6(ip) => network.members6.insert(name.clone(), *ip).map(IpAddr::V6),
                };
                undo.push((i, name.clone(), ip.is_ipv4(), before));
            }
        }
        let size = self.networks_on_disk.len();
        let bytes = Store::networks_bytes(&self.state.networks, published, size);
        for (i, name, v4, before) in undo.into_iter().rev() {
            let network = &mut self.state.networks[i];
            match (v4, before) {
                (_, Some(IpAddr::V4(ip))) => {
                    network.members.insert(name, ip);
                }
                (_, Some(IpAddr::V6(ip))) => {
                    network.members6.insert(name, ip);
                }
                (true, None) => {
                    network.members.remove(&name);
                }
                (false, None) => {
                    network.members6.remove(&name);
                }
            }
        }
        bytes
    }

    /// Puts the files back as they were loaded, as far as it can (after a failed save).
    pub(super) fn restore_files(&self) {
        let _ = if self.networks_on_disk.is_empty() {
            self.store.remove_networks()
        } else {
            self.store.write_networks_bytes(&self.networks_on_disk)
        };
        for (name, file) in &self.loaded {
            let _ = match file {
                Some(file) => self.store.save_sandbox(file),
                None => self.store.remove_sandbox(name),
            };
        }
    }

    /// Brings the `hosts` and `resolv.conf` files of the sandboxes this command changed,
    /// and of their neighbours, up to date. They are derived from the saved state (`ctnet
    /// restore` writes them all again), so a failure here is a warning, not a reason to
    /// undo a connect that worked.
    pub(super) fn update_name_files(&self, ctx: &Ctx) {
        let live: BTreeSet<String> = self
            .state
            .sandboxes
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let removed: Vec<Sandbox> = self
            .loaded
            .values()
            .flatten()
            .filter(|f| !live.contains(&f.sandbox.name))
            .map(|f| f.sandbox.clone())
            .collect();
        let removed_names: BTreeSet<String> = removed.iter().map(|s| s.name.clone()).collect();
        let touched: BTreeSet<String> = live.union(&removed_names).cloned().collect();
        let updates = names::updates(
            &self.names_before,
            &self.state.networks,
            &touched,
            &removed_names,
            self.repair,
        );
        let files = etcfiles::Files {
            state_dir: &ctx.global.state_dir,
            networks: &self.state.networks,
            sandboxes: &self.state.sandboxes,
            removed: &removed,
            resolver: crate::commands::dns::listening(&ctx.global.state_dir),
        };
        if self.repair {
            etcfiles::prune_networks(&ctx.global.state_dir, &self.state.networks);
        }
        if let Err(e) = etcfiles::apply(&files, &updates) {
            eprintln!("ctnet: warning: {e:#} ('ctnet restore' writes the name files again)");
        }
    }
}
