//! The transaction every changing command runs in: the lock, the state as loaded, and at
//! the end one commit that carries out the kernel steps and saves the files, or undoes
//! both. `commit` orders the steps, `files` derives and writes the files, `stores` holds
//! the cluster store's records a command gives back.

mod commit;
mod files;
mod stores;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::{Ctx, network};
use crate::cluster::esp;
use crate::dns::names;
use crate::drivers;
use crate::firewall;
use crate::model::{ForwardingGuard, Published, Sandbox, SandboxFile, State, validate_name};
use crate::plan::Op;
use crate::refuse;
use crate::state::consistency::Lists;
use crate::state::store::Store;
use crate::sys::{Forwarding, Kernel, TableState};

/// A command's hold on the state: the lock, the state being changed (every network, and
/// the sandboxes the command loaded), and what was on disk when it was loaded.
pub struct Tx {
    pub(super) store: Store,
    pub state: State,
    /// state.json's bytes as loaded (empty on a first run): compared at commit to skip
    /// writes that change nothing, and written back if the command fails.
    networks_on_disk: Vec<u8>,
    /// Members the command took out of networks (network id, sandbox, address), and
    /// published ports it gave up: kept on disk until the sandbox files are written.
    released: Vec<(String, String, std::net::IpAddr)>,
    released_ports: Vec<Published>,
    /// The published index as loaded: what each sandbox's entry follows from (see
    /// `update_members`).
    published_loaded: crate::model::PublishedIndex,
    /// The networks with a family in gateway mode routed, as loaded: where the ports of an
    /// endpoint as loaded lead, and whether they took a host port, even once a command
    /// (a lab) has removed its network.
    routed_loaded: BTreeMap<String, RoutedAsLoaded>,
    /// Each sandbox name looked up, with its file as it was (`None`: there was none).
    loaded: BTreeMap<String, Option<SandboxFile>>,
    /// The JSON of each loaded sandbox file as it was on disk: a save that would write the
    /// same bytes (a publish changes only the ports file) is skipped.
    loaded_json: BTreeMap<String, Vec<u8>>,
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
    /// The networks that resolve names, as loaded: what tells which lines of which `hosts`
    /// files a command changes.
    names_before: Vec<names::Before>,
    /// The IPsec objects of encrypted overlays, as loaded (empty for a repair: all again).
    esp_before: BTreeSet<crate::plan::xfrm::Xfrm>,
    /// gc or restore: goes on without an unreachable store, and ensures what it can.
    repair: bool,
    /// Changes to cluster stores (url, step), carried out with the kernel's steps.
    store_steps: Vec<(String, crate::cluster::StoreOp)>,
    /// Store records a command claimed while planning: given back unless its commit saves.
    pub(super) claims: stores::Claims,
}

/// A network's gateway modes as loaded (see `Tx::routed_loaded`).
#[derive(Clone, Copy, Default)]
struct RoutedAsLoaded {
    /// IPv4, IPv6: in gateway mode routed.
    families: [bool; 2],
    /// Every family it has is: its ports take no host port.
    only: bool,
}

impl Tx {
    /// Which families of network `id` were in gateway mode routed when the command began.
    fn routed_as_loaded(&self, id: &str) -> RoutedAsLoaded {
        self.routed_loaded.get(id).copied().unwrap_or_default()
    }

    /// Locks the state directory and loads the networks, setting up the default networks
    /// on the first run (as Docker's daemon does when it starts), for a command that
    /// changes things. Sandboxes are loaded by the commands that need them. If ctnet's
    /// table is gone (`nft flush ruleset`), the command writes it whole again.
    pub fn begin(ctx: &mut Ctx) -> Result<Tx> {
        Tx::begin_with(ctx, Lists::CheckAll)
    }

    /// `begin` for a command that changes one sandbox's membership (connect, disconnect,
    /// CNI ADD, DEL and CHECK): the networks' member lists are read only as far as it looks
    /// (see `Members`), so its cost does not grow with the network.
    pub fn begin_for_one_member(ctx: &mut Ctx) -> Result<Tx> {
        Tx::begin_with(ctx, Lists::CheckParsed)
    }

    fn begin_with(ctx: &mut Ctx, lists: Lists) -> Result<Tx> {
        let mut tx = Tx::load(ctx, lists)?;
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
    fn load(ctx: &mut Ctx, lists: Lists) -> Result<Tx> {
        let store = Store::lock(&ctx.global.state_dir)?;
        let loaded = match lists {
            Lists::CheckAll => store.load_networks()?,
            Lists::CheckParsed => store.load_networks_lazily()?,
        };
        let (networks_on_disk, mut state, bootstrap) = match loaded {
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
                let config = crate::config::Config::load(ctx.global.config.as_deref())?;
                let bootstrap = network::add_default_networks(&mut state, ctx.kernel, &config)?;
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
            .map(names::Before::of)
            .collect();
        let esp_before = esp::wanted(&state.networks);
        let published_loaded = state.published.clone();
        let routed_loaded = (state.networks.iter())
            .map(|n| {
                let families = firewall::routed_families(Some(n));
                (n, families)
            })
            .filter(|(_, families)| families.contains(&true))
            .map(|(n, families)| {
                let modes = RoutedAsLoaded {
                    families,
                    only: n.routed_only(),
                };
                (n.id.clone(), modes)
            })
            .collect();
        Ok(Tx {
            repair: false,
            esp_before,
            names_before,
            store,
            state,
            networks_on_disk,
            released: Vec::new(),
            released_ports: Vec::new(),
            published_loaded,
            routed_loaded,
            loaded: BTreeMap::new(),
            loaded_json: BTreeMap::new(),
            policy_before,
            bridges_before,
            bootstrap,
            rewrite_firewall: None,
            intent_first: false,
            store_steps: Vec::new(),
            claims: Default::default(),
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
        let mut tx = Tx::load(ctx, Lists::CheckAll)?;
        tx.refuse_a_second_instance(ctx)?;
        tx.bootstrap.clear();
        tx.load_all_sandboxes()?;
        tx.rewrite_firewall = Some(firewall::render_full(&tx.state));
        tx.esp_before.clear();
        tx.repair = true;
        for network in &mut tx.state.networks {
            network.members = Default::default();
            network.aliases = Default::default();
            network.members6 = Default::default();
        }
        tx.state.published = Default::default();
        Ok(tx)
    }

    /// For commands that only read: the state (with every sandbox if `all_sandboxes`). On a
    /// host where ctnet never ran it shows the default networks as they would be made,
    /// without making them: reading changes nothing, forwarding least of all.
    pub fn read(ctx: &mut Ctx, all_sandboxes: bool) -> Result<State> {
        let mut tx = Tx::load(ctx, Lists::CheckAll)?;
        if all_sandboxes {
            tx.load_all_sandboxes()?;
        }
        let first_run =
            !tx.bootstrap.is_empty() && ctx.kernel.firewall_table()? == TableState::Missing;
        if first_run && !ctx.global.dry_run {
            // The default networks' ids and subnets are kept from the first look on, so
            // that they read the same every time; the first command that changes
            // something makes them in the kernel (see `begin`).
            let changes = tx.file_changes()?;
            let staged = tx.store.stage(changes)?;
            tx.store.install(staged)?;
        }
        Ok(std::mem::take(&mut tx.state))
    }

    fn load_sandbox_file(&mut self, name: &str, has_ports_file: Option<bool>) -> Result<()> {
        if self.loaded.contains_key(name) || validate_name("sandbox", name).is_err() {
            return Ok(());
        }
        let file = match (self.store).load_sandbox(name, &self.state.networks, has_ports_file)? {
            Some((file, json)) => {
                self.state.sandboxes.push(file.sandbox.clone());
                self.state.endpoints.extend(file.endpoints.iter().cloned());
                self.loaded_json.insert(name.to_string(), json);
                Some(file)
            }
            None => None,
        };
        self.loaded.insert(name.to_string(), file);
        Ok(())
    }

    /// Loads every saved sandbox (for listings and for lookups by id).
    pub fn load_all_sandboxes(&mut self) -> Result<()> {
        for saved in self.store.saved_sandboxes()? {
            self.load_sandbox_file(&saved.name, Some(saved.has_ports_file))?;
        }
        Ok(())
    }

    /// The sandbox called `key`, loading its file; an id prefix of 12+ characters is looked
    /// up among all sandboxes.
    pub fn sandbox(&mut self, key: &str) -> Result<Option<Sandbox>> {
        self.load_sandbox_file(key, None)?;
        if self.state.sandboxes.iter().all(|s| s.name != key)
            && key.len() >= 12
            && key.bytes().all(|b| b.is_ascii_hexdigit())
        {
            self.load_all_sandboxes()?;
        }
        Ok(self.state.sandbox(key)?.cloned())
    }
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
