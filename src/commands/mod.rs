//! One module per verb. Each validates the whole request, plans kernel steps, and hands both
//! the plan and the new state to a transaction.

pub mod connect;
pub mod dns;
pub mod doctor;
pub mod explain;
pub mod gc;
pub mod graph;
pub mod network;
pub mod overlay;
pub mod publish;
pub mod restore;
pub mod run;
pub mod sandbox;

use std::io::Write;

use anyhow::Result;

use crate::cli::{Format, Global};
use crate::dns::{etcfiles, names};
use crate::drivers;
use crate::firewall;
use crate::refuse;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use crate::cluster::kv::Kv;
use crate::cluster::{self, esp};

use crate::ports::PortMapping;

use crate::model::SandboxFile;
use crate::model::{Endpoint, ForwardingGuard, Published, Sandbox, State, validate_name};
use crate::plan::Op;
use crate::state::store::{FileChange, Store};
use crate::sys::{Forwarding, Kernel, TableState};

/// What every command gets: the global options, the kernel and where output goes.
pub struct Ctx<'a> {
    pub global: &'a Global,
    pub kernel: &'a mut dyn Kernel,
    pub out: &'a mut dyn Write,
}

impl Ctx<'_> {
    pub fn format(&self) -> Format {
        self.global.format
    }
}

/// A command's hold on the state: the lock, the state being changed (every network, and
/// the sandboxes the command loaded), and what was on disk when it was loaded.
pub struct Tx {
    store: Store,
    pub state: State,
    /// state.json's bytes as loaded (empty on a first run): compared at commit to skip
    /// writes that change nothing, and written back if the command fails.
    networks_on_disk: Vec<u8>,
    /// Members the command took out of networks (network id, sandbox, address), and
    /// published ports it gave up: kept on disk until the sandbox files are written.
    released: Vec<(String, String, std::net::IpAddr)>,
    released_ports: Vec<Published>,
    /// Each sandbox name looked up, with its file as it was (`None`: there was none).
    loaded: BTreeMap<String, Option<SandboxFile>>,
    policy_before: firewall::Policy,
    /// ctnet's bridges as loaded: when they change, Docker's DOCKER-USER chain follows.
    bridges_before: Vec<String>,
    /// Kernel steps for a host where ctnet never ran: the default bridge network.
    bootstrap: Vec<Op>,
    /// Write the whole firewall table rather than element changes (gc, restore); the
    /// table as the loaded state describes it is what undo puts back.
    rewrite_firewall: Option<firewall::Script>,
    /// Put the files in place before the kernel steps (see `record_intent`).
    intent_first: bool,
    /// The members of each network that resolves names, as loaded: what tells which
    /// neighbours' `hosts` files a command changes.
    names_before: BTreeMap<String, names::Members>,
    /// The IPsec objects of encrypted overlays, as loaded (empty for a repair: all again).
    esp_before: BTreeSet<crate::plan::xfrm::Xfrm>,
    /// gc or restore: goes on without an unreachable store, and ensures what it can.
    repair: bool,
}

impl Tx {
    /// Locks the state directory and loads the networks, setting up the default networks
    /// on the first run (as Docker's daemon does when it starts), for a command that
    /// changes things. Sandboxes are loaded by the commands that need them. If ctnet's
    /// table is gone (`nft flush ruleset`), the command writes it whole again.
    pub fn begin(ctx: &mut Ctx) -> Result<Tx> {
        let mut tx = Tx::load(ctx)?;
        tx.refuse_a_second_instance(ctx)?;
        // A first run saves its state before it makes anything: a crash in between leaves
        // a state whose links and table are missing, which the next command makes (below),
        // never a table that no state owns.
        if !tx.bootstrap.is_empty() {
            tx.intent_first = true;
        }
        let has_table = tx.state.networks.iter().any(|n| n.bridge.is_some());
        let table = if tx.bootstrap.is_empty() && has_table {
            ctx.kernel.firewall_table()?
        } else {
            TableState::Current
        };
        match table {
            TableState::Current => {}
            TableState::Outdated => {
                // An older ctnet's table: written whole in this version's form; undo puts
                // it back as the loaded state describes it.
                tx.load_all_sandboxes()?;
                tx.rewrite_firewall = Some(firewall::render_full(&tx.state));
            }
            TableState::Missing => {
                // Either only read-only commands ran so far (they save the default networks
                // but make nothing), or the ruleset was flushed: make what is missing of the
                // networks' links, and the whole table.
                let missing = drivers::missing_network_links(&tx.state, |link| {
                    ctx.kernel.has_link(&crate::plan::Ns::Host, link)
                });
                if missing.is_empty() {
                    eprintln!(
                        "ctnet: warning: the nftables table inet ctnet was gone (was the ruleset flushed?): writing it again"
                    );
                }
                // Docker's chain can only hold rules for bridges that were there.
                tx.bridges_before
                    .retain(|b| ctx.kernel.has_link(&crate::plan::Ns::Host, b));
                tx.bootstrap = missing.into_iter().flat_map(|(steps, _)| steps).collect();
                tx.load_all_sandboxes()?;
                tx.rewrite_firewall = Some(firewall::render_full(&State::new()));
            }
        }
        Ok(tx)
    }

    /// One ctnet per host: its bridges, its table and its forwarding are host-wide, so a
    /// second state directory would rewrite the first one's table (and its gc would then
    /// remove the first's bridges).
    fn refuse_a_second_instance(&self, ctx: &mut Ctx) -> Result<()> {
        if !self.bootstrap.is_empty() && ctx.kernel.firewall_table()? != TableState::Missing {
            refuse!(
                "this host already has ctnet's table inet ctnet, but {} holds no state: another state directory manages this host (one ctnet per host); if none does, remove the table with 'nft delete table inet ctnet'",
                ctx.global.state_dir.display()
            );
        }
        Ok(())
    }

    /// Locks and loads, planning a first run's setup without carrying it out.
    fn load(ctx: &mut Ctx) -> Result<Tx> {
        let store = Store::lock(&ctx.global.state_dir)?;
        let (networks_on_disk, mut state, bootstrap) = match store.load_networks()? {
            Some(loaded) => {
                let state = State {
                    networks: loaded.networks,
                    published: loaded.published,
                    ..State::new()
                };
                (loaded.bytes, state, vec![])
            }
            None => {
                let mut state = State::new();
                let bootstrap = network::add_default_networks(&mut state, ctx.kernel)?;
                (vec![], state, bootstrap)
            }
        };
        state.forwarding_guard = ForwardingGuard {
            ipv4: ctx.kernel.forwarding(false) == Forwarding::OnByCtnet,
            ipv6: ctx.kernel.forwarding(true) == Forwarding::OnByCtnet,
        };
        let (policy_before, bridges_before) = if bootstrap.is_empty() {
            (
                firewall::network_elements(&state),
                firewall::bridges(&state),
            )
        } else {
            Default::default()
        };
        let names_before = state
            .networks
            .iter()
            .filter(|n| names::resolves_names(n))
            .map(|n| (n.id.clone(), names::members_of(n)))
            .collect();
        let esp_before = esp::wanted(&state.networks);
        Ok(Tx {
            repair: false,
            esp_before,
            names_before,
            store,
            state,
            networks_on_disk,
            released: Vec::new(),
            released_ports: Vec::new(),
            loaded: BTreeMap::new(),
            policy_before,
            bridges_before,
            bootstrap,
            rewrite_firewall: None,
            intent_first: false,
        })
    }

    /// Forwarding for the networks the state now has: a family they need that is off is
    /// turned on, and since ctnet turned it on, guarded (see `firewall`).
    fn plan_forwarding(&mut self, kernel: &dyn Kernel) -> Vec<Op> {
        let bridges: Vec<&crate::model::Network> = self
            .state
            .networks
            .iter()
            .filter(|n| drivers::routes(n))
            .collect();
        let needs = [
            (false, !bridges.is_empty()),
            (true, bridges.iter().any(|n| n.ipam6.is_some())),
        ];
        let mut ops = Vec::new();
        for (ipv6, needed) in needs {
            if needed && kernel.forwarding(ipv6) == Forwarding::Off {
                ops.push(Op::EnableForwarding { ipv6 });
                let guard = &mut self.state.forwarding_guard;
                *(if ipv6 {
                    &mut guard.ipv6
                } else {
                    &mut guard.ipv4
                }) = true;
            }
        }
        ops
    }

    /// For steps whose result the kernel cannot mark as ctnet's (a named namespace has no
    /// alias): the state is saved first, so a crash leaves a record of something missing,
    /// which `gc` removes, rather than something made that nobody knows about.
    pub fn record_intent(&mut self) {
        self.intent_first = true;
    }

    /// For commands that repair (gc, restore): every sandbox is loaded, the indexes in
    /// state.json are rebuilt from the sandbox files, and the whole firewall table is
    /// written from the state, whatever the kernel had.
    pub fn begin_repair(ctx: &mut Ctx) -> Result<Tx> {
        // A repair makes every missing network link and writes the table itself, on a host
        // where ctnet never ran too.
        let mut tx = Tx::load(ctx)?;
        tx.refuse_a_second_instance(ctx)?;
        tx.bootstrap.clear();
        tx.load_all_sandboxes()?;
        tx.rewrite_firewall = Some(firewall::render_full(&tx.state));
        tx.esp_before.clear();
        tx.repair = true;
        for network in &mut tx.state.networks {
            network.members.clear();
            network.aliases.clear();
            network.members6.clear();
        }
        tx.state.published.clear();
        Ok(tx)
    }

    /// For commands that only read: the state (with every sandbox if `all_sandboxes`). On a
    /// host where ctnet never ran it shows the default networks as they would be made,
    /// without making them: reading changes nothing, forwarding least of all.
    pub fn read(ctx: &mut Ctx, all_sandboxes: bool) -> Result<State> {
        let mut tx = Tx::load(ctx)?;
        if all_sandboxes {
            tx.load_all_sandboxes()?;
        }
        let first_run =
            !tx.bootstrap.is_empty() && ctx.kernel.firewall_table()? == TableState::Missing;
        if first_run && !ctx.global.dry_run {
            // The default networks' ids and subnets are kept from the first look on, so
            // that they read the same every time; the first command that changes
            // something makes them in the kernel (see `begin`).
            let staged = tx.store.stage(tx.file_changes()?)?;
            tx.store.install(staged)?;
        }
        Ok(std::mem::take(&mut tx.state))
    }

    fn load_sandbox_file(&mut self, name: &str) -> Result<()> {
        if self.loaded.contains_key(name) || validate_name("sandbox", name).is_err() {
            return Ok(());
        }
        let file = self.store.load_sandbox(name, &self.state.networks)?;
        if let Some(file) = &file {
            self.state.sandboxes.push(file.sandbox.clone());
            self.state.endpoints.extend(file.endpoints.iter().cloned());
        }
        self.loaded.insert(name.to_string(), file);
        Ok(())
    }

    /// Loads every saved sandbox (for listings and for lookups by id).
    pub fn load_all_sandboxes(&mut self) -> Result<()> {
        for name in self.store.sandbox_names()? {
            self.load_sandbox_file(&name)?;
        }
        Ok(())
    }

    /// The sandbox called `key`, loading its file; an id prefix of 12+ characters is looked
    /// up among all sandboxes.
    pub fn sandbox(&mut self, key: &str) -> Result<Option<Sandbox>> {
        self.load_sandbox_file(key)?;
        if self.state.sandboxes.iter().all(|s| s.name != key)
            && key.len() >= 12
            && key.bytes().all(|b| b.is_ascii_hexdigit())
        {
            self.load_all_sandboxes()?;
        }
        Ok(self.state.sandbox(key)?.cloned())
    }

    /// Networks list their members (sandbox name and address); the sandboxes this command
    /// saw decide their own entries.
    fn update_members(&mut self) {
        let seen: BTreeSet<&String> = self
            .loaded
            .keys()
            .chain(self.state.sandboxes.iter().map(|s| &s.name))
            .collect();
        let mut released = Vec::new();
        for network in &mut self.state.networks {
            network.members.retain(|name, ip| {
                let keep = !seen.contains(name);
                if !keep {
                    released.push((network.id.clone(), name.clone(), (*ip).into()));
                }
                keep
            });
            network.members6.retain(|name, ip| {
                let keep = !seen.contains(name);
                if !keep {
                    released.push((network.id.clone(), name.clone(), (*ip).into()));
                }
                keep
            });
            network.aliases.retain(|name, _| !seen.contains(name));
            network.macs.retain(|name, _| !seen.contains(name));
        }
        type Entry = (
            String,
            String,
            Option<Ipv4Addr>,
            Option<std::net::Ipv6Addr>,
            Vec<String>,
            Option<crate::model::Mac>,
        );
        let entries: Vec<Entry> = self
            .state
            .endpoints
            .iter()
            .filter_map(|ep| {
                let sandbox = self.state.sandbox_by_id(&ep.sandbox_id)?;
                let (network, name) = (ep.network_id.clone(), sandbox.name.clone());
                let ipv6 = ep.ipv6.map(|net| net.addr());
                let ipv4 = ep.ipv4.map(|net| net.addr());
                let own_mac = ep
                    .mac
                    .filter(|mac| crate::model::Mac::of_addresses(ipv4, ipv6) != Some(*mac));
                Some((network, name, ipv4, ipv6, ep.aliases.clone(), own_mac))
            })
            .collect();
        for (network_id, name, ipv4, ipv6, aliases, own_mac) in entries {
            released.retain(|(n, s, a)| {
                let same = match a {
                    std::net::IpAddr::V4(a) => Some(*a) == ipv4,
                    std::net::IpAddr::V6(a) => Some(*a) == ipv6,
                };
                !(n == &network_id && s == &name && same)
            });
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
        self.released = released;
        // The host-wide index of published ports, likewise.
        let (kept, gone): (Vec<Published>, Vec<Published>) =
            std::mem::take(&mut self.state.published)
                .into_iter()
                .partition(|p| !seen.contains(&p.sandbox));
        self.state.published = kept;
        let current: Vec<Published> = self
            .state
            .endpoints
            .iter()
            .filter_map(|ep| Some((self.state.sandbox_by_id(&ep.sandbox_id)?, ep)))
            .flat_map(|(sandbox, ep)| {
                ep.ports.iter().map(|mapping| Published {
                    sandbox: sandbox.name.clone(),
                    mapping: *mapping,
                })
            })
            .collect();
        let (mut gone, mut now) = (gone, current.clone());
        gone.sort_unstable();
        now.sort_unstable();
        self.released_ports = sorted_difference(&gone, &now);
        self.state.published.extend(current);
    }

    /// The sandbox files as the state now has them, by name (`None`: to be removed).
    fn sandbox_files(&self) -> BTreeMap<String, Option<SandboxFile>> {
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
    fn file_changes(&self) -> Result<Vec<FileChange>> {
        let mut changes = Vec::new();
        let final_bytes = Store::networks_bytes(&self.state.networks, &self.state.published)?;
        let mut on_disk: Vec<u8> = self.networks_on_disk.clone();
        if !self.released.is_empty() || !self.released_ports.is_empty() {
            let mut widened = self.state.networks.clone();
            for (network_id, name, ip) in &self.released {
                if let Some(network) = widened.iter_mut().find(|n| &n.id == network_id) {
                    match ip {
                        std::net::IpAddr::V4(ip) => {
                            network.members.insert(name.clone(), *ip);
                        }
                        std::net::IpAddr::V6(ip) => {
                            network.members6.insert(name.clone(), *ip);
                        }
                    }
                }
            }
            let mut published = self.state.published.clone();
            published.extend(self.released_ports.iter().cloned());
            let widened_bytes = Store::networks_bytes(&widened, &published)?;
            if widened_bytes != on_disk {
                changes.push(FileChange::Networks(widened_bytes.clone()));
                on_disk = widened_bytes;
            }
        } else if final_bytes != on_disk {
            changes.push(FileChange::Networks(final_bytes.clone()));
            on_disk = final_bytes.clone();
        }
        for (name, file) in self.sandbox_files() {
            if self.loaded.get(&name).map(Option::as_ref) == Some(file.as_ref()) {
                continue;
            }
            changes.push(match file {
                Some(file) => {
                    let mut bytes = serde_json::to_vec(&file)?;
                    bytes.push(b'\n');
                    FileChange::Sandbox { name, bytes }
                }
                None => FileChange::RemoveSandbox(name),
            });
        }
        if final_bytes != on_disk {
            changes.push(FileChange::Networks(final_bytes));
        }
        Ok(changes)
    }

    /// Puts the files back as they were loaded, as far as it can (after a failed save).
    fn restore_files(&self) {
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

    /// Applies `plan` (after any first-run steps), updates the firewall if the policy
    /// changed, and saves. Nothing is saved if the kernel refuses a step, and the kernel
    /// and files are put back if the save fails.
    pub fn commit(mut self, ctx: &mut Ctx, plan: Vec<Op>) -> Result<()> {
        let fresh = !self.bootstrap.is_empty() || self.rewrite_firewall.is_some();
        let mut steps = std::mem::take(&mut self.bootstrap);
        steps.extend(plan);
        let forwarding = self.plan_forwarding(&*ctx.kernel);
        let bridges_after = firewall::bridges(&self.state);
        let docker_user = (fresh || bridges_after != self.bridges_before).then(|| Op::DockerUser {
            bridges: bridges_after,
            previous: std::mem::take(&mut self.bridges_before),
        });
        // A first run writes the whole table; later commands only add and delete elements.
        let change = if fresh {
            let previous = self
                .rewrite_firewall
                .take()
                .unwrap_or_else(|| firewall::render_full(&State::new()));
            Some((firewall::render_full(&self.state), previous))
        } else {
            // Before: the networks as loaded, and the ports of the sandboxes as loaded.
            // Ports: only endpoints whose ports (or address) changed contribute, so the cost
            // follows what the command changed, not how many ports are published.
            let old = self.loaded.values().flatten().flat_map(|f| &f.endpoints);
            let (gone, added) = changed_mappings(old, &self.state.endpoints);
            let mut before = std::mem::take(&mut self.policy_before);
            before.extend(firewall::mapping_elements(gone));
            let mut policy = firewall::network_elements(&self.state);
            policy.extend(firewall::mapping_elements(added));
            firewall::render_delta(&before, &policy).map(|delta| {
                (
                    delta,
                    firewall::render_delta(&policy, &before).unwrap_or_default(),
                )
            })
        };
        // IPsec: what the encrypted overlays need now that they did not goes first, before
        // any FDB entry can send to a new host (never a moment in plaintext); what they no
        // longer need goes last (a new key is accepted before an old one goes). A repair
        // cannot tell what the kernel had, so it ensures everything.
        let esp_after = esp::wanted(&self.state.networks);
        let xfrm = |change,
                    objects: std::collections::btree_set::Difference<
            '_,
            crate::plan::xfrm::Xfrm,
        >| {
            objects
                .map(|object| Op::Xfrm {
                    change,
                    object: object.clone(),
                })
                .collect::<Vec<_>>()
        };
        let adding = match self.repair {
            true => crate::plan::xfrm::XfrmChange::Ensure,
            false => crate::plan::xfrm::XfrmChange::Add,
        };
        steps.splice(0..0, xfrm(adding, esp_after.difference(&self.esp_before)));
        let esp_removals = xfrm(
            crate::plan::xfrm::XfrmChange::Remove,
            self.esp_before.difference(&esp_after),
        );
        if let Some((ruleset, previous)) = change {
            // Reversible steps first, the firewall next, removals last: a failure at any
            // point can still be undone.
            let at = steps
                .iter()
                .position(|op| matches!(op, Op::DeleteLink { .. } | Op::DeleteNetns { .. }));
            steps.insert(
                at.unwrap_or(steps.len()),
                Op::Firewall { ruleset, previous },
            );
        }
        // Docker's chain and forwarding follow ctnet's own table: forwarding is turned on
        // only once the guard that comes with it is in place.
        let after_firewall = steps
            .iter()
            .position(|op| matches!(op, Op::Firewall { .. }))
            .map_or(steps.len(), |at| at + 1);
        steps.splice(
            after_firewall..after_firewall,
            docker_user.into_iter().chain(forwarding),
        );
        steps.extend(esp_removals);
        if ctx.global.dry_run {
            for op in &steps {
                writeln!(ctx.out, "# {}\n{op}", op.explain())?;
            }
            return Ok(());
        }
        let stores = self.reach_stores()?;
        self.update_members();
        // The new files are written before the kernel is touched (a full disk fails here),
        // and put in place after it: the state on disk never claims what did not happen.
        let staged = self.store.stage(self.file_changes()?)?;
        if self.intent_first {
            if let Err(e) = self.store.install(staged) {
                self.restore_files();
                return Err(e);
            }
            if let Err(e) = ctx.kernel.apply(&steps) {
                self.restore_files();
                return Err(e);
            }
            self.update_name_files(ctx);
            give_back(stores);
            std::mem::forget(std::mem::take(&mut self.state));
            return Ok(());
        }
        let undo = match ctx.kernel.apply(&steps) {
            Ok(undo) => undo,
            Err(e) => {
                self.store.discard(staged);
                return Err(e);
            }
        };
        if let Err(e) = self.store.install(staged) {
            self.restore_files();
            ctx.kernel.undo(undo);
            return Err(e);
        }
        self.update_name_files(ctx);
        give_back(stores);
        // The command ends right after this; freeing every network's member list would cost
        // more than the netlink work of a connect, so the state is left to the process exit.
        // The lock is released now (`ctnet run` lives on after its setup commands).
        std::mem::forget(std::mem::take(&mut self.state));
        std::mem::forget(std::mem::take(&mut self.loaded));
        Ok(())
    }
}

impl Tx {
    /// The store keys of the cluster endpoints this command removes (a disconnect, a
    /// sandbox's removal, gc), by store, each store connected to before anything changes:
    /// an unreachable store is an error then. Only a repair (gc) goes on without it, and
    /// leaves the records to a later gc.
    fn reach_stores(&self) -> Result<Vec<(Kv, Vec<String>)>> {
        let mut by_store: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in self.loaded.values().flatten() {
            for ep in &file.endpoints {
                if self.state.endpoints.iter().any(|e| e.id == ep.id) {
                    continue;
                }
                let Some(network) = self.state.network_by_id(&ep.network_id) else {
                    continue;
                };
                let Some(url) = cluster::store_of(network) else {
                    continue;
                };
                let addresses = (ep.ipv4.map(|n| IpAddr::V4(n.addr())))
                    .into_iter()
                    .chain(ep.ipv6.map(|n| IpAddr::V6(n.addr())));
                by_store
                    .entry(url.to_string())
                    .or_default()
                    .extend(cluster::endpoint_keys(
                        &network.name,
                        &file.sandbox.name,
                        addresses,
                    ));
            }
        }
        let mut stores = Vec::new();
        for (url, keys) in by_store {
            match Kv::connect(&url) {
                Ok(kv) => stores.push((kv, keys)),
                Err(e) if self.repair => eprintln!(
                    "ctnet: warning: {e:#}: the store keeps this host's removed endpoints until a later 'ctnet gc'"
                ),
                Err(e) => return Err(e),
            }
        }
        Ok(stores)
    }

    /// Brings the `hosts` and `resolv.conf` files of the sandboxes this command changed,
    /// and of their neighbours, up to date. They are derived from the saved state (`ctnet
    /// restore` writes them all again), so a failure here is a warning, not a reason to
    /// undo a connect that worked.
    fn update_name_files(&self, ctx: &Ctx) {
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
        );
        let files = etcfiles::Files {
            state_dir: &ctx.global.state_dir,
            networks: &self.state.networks,
            sandboxes: &self.state.sandboxes,
            removed: &removed,
            hosts: names::HostsFiles::new(&self.state.networks),
            resolver: dns::listening(&ctx.global.state_dir),
        };
        if let Err(e) = etcfiles::apply(&files, &updates) {
            eprintln!("ctnet: warning: {e:#} ('ctnet restore' writes the name files again)");
        }
    }

    /// `disconnect -f`: carries out what it can of `plan`, warning about each step the
    /// kernel refuses (say, a sandbox that is already gone), and saves the state anyway.
    ///
    /// Each unit is applied whole or undone whole (a unit is, say, one endpoint's join), so
    /// nothing is left half made. The state directory is checked for room first: a save
    /// that cannot happen must not follow kernel changes.
    pub fn commit_best_effort(self, ctx: &mut Ctx, units: Vec<Vec<Op>>) -> Result<()> {
        if ctx.global.dry_run {
            return self.commit(ctx, units.into_iter().flatten().collect());
        }
        let probe = self.store.stage(vec![FileChange::Networks(Vec::new())])?;
        self.store.discard(probe);
        for unit in &units {
            if let Err(e) = ctx.kernel.apply(unit) {
                eprintln!("ctnet: warning: {e:#}");
            }
        }
        self.commit(ctx, vec![])
    }
}

/// Deletes the store's records of endpoints a command removed (after its own changes are
/// saved: an address is never free in the store while this host still uses it).
fn give_back(stores: Vec<(Kv, Vec<String>)>) {
    for (mut kv, keys) in stores {
        if let Err(e) = kv.delete(&keys, &[]) {
            eprintln!("ctnet: warning: {e:#}: 'ctnet gc' gives the addresses back later");
        }
    }
}

/// A published mapping and the container address it leads to.
type Forward = (std::net::IpAddr, PortMapping);

/// The published mappings (with their container address) that are only in `old`, and
/// those only in `new`: what a command changed, however many ports stay as they were.
fn changed_mappings<'a>(
    old: impl Iterator<Item = &'a Endpoint>,
    new: &'a [Endpoint],
) -> (Vec<Forward>, Vec<Forward>) {
    let sorted = |eps: Vec<&'a Endpoint>| -> Vec<Forward> {
        let mut all: Vec<_> = eps.into_iter().flat_map(firewall::forwards).collect();
        all.sort_unstable();
        all
    };
    let before = sorted(old.collect());
    let after = sorted(new.iter().collect());
    (
        sorted_difference(&before, &after),
        sorted_difference(&after, &before),
    )
}

/// The items of sorted `a` missing from sorted `b`, in one pass.
fn sorted_difference<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = Vec::new();
    let mut rest = b.iter().peekable();
    for item in a {
        while rest.next_if(|x| *x < item).is_some() {}
        if rest.peek() != Some(&item) {
            out.push(item.clone());
        }
    }
    out
}

/// The sandbox's namespace is there, and is the one ctnet recorded (not a reused PID's);
/// for a `ctnet run` sandbox, its run is still going too.
pub fn sandbox_alive(kernel: &dyn Kernel, sandbox: &Sandbox) -> bool {
    if let Some(owner) = sandbox.run_by
        && kernel.process_start(owner.pid) != Some(owner.start)
    {
        return false;
    }
    match sandbox.netns_inode {
        Some(inode) => kernel.netns_inode(&sandbox.netns) == Some(inode),
        None => kernel.is_netns(&sandbox.netns),
    }
}

/// Prints rows under headers in aligned columns three spaces apart, the way Docker's
/// tables look (comfy-table, without borders).
pub fn print_table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(headers.to_vec())
        .add_rows(rows.iter().cloned());
    for column in table.column_iter_mut() {
        column.set_padding((0, 3));
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
