//! `lab up`: the file compared with what the lab made before, and the difference made in
//! one transaction. The steps, in order: refuse what stands in the way; take away what
//! changed or went (endpoints, nodes, networks); make what is new (networks, nodes,
//! endpoints); change impairments and sysctls in place; commit; run the commands of nodes
//! made now (or whose commands changed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::spec::{Lab, LabAttachment, SPEC_LABEL};
use super::{our_sandbox, ours, read};
use crate::commands::{Ctx, Tx, connect, impair, network, sandbox_alive};
use crate::model::{LabMark, Sandbox};
use crate::plan::Op;
use crate::refuse;
use crate::sys::netns;

/// One `lab up` under way: the transaction, its steps, and what it says it did.
struct Up<'a> {
    lab: &'a Lab,
    path: &'a Path,
    tx: Tx,
    plan: Vec<Op>,
    did: Vec<String>,
    /// Nodes made by this run (their sysctls and commands all apply).
    fresh: BTreeSet<String>,
    /// Nodes with an interface made (again) by this run: their commands run again (routes
    /// through an interface go with it).
    relinked: BTreeSet<String>,
    /// Sysctls, set once every interface is there (`net.ipv4.conf.eth1.*` needs eth1).
    sysctls: Vec<Op>,
    /// The lab's sandboxes as loaded (what its nodes were asked before).
    before: Vec<Sandbox>,
}

pub fn up(ctx: &mut Ctx, path: &Path) -> Result<()> {
    let lab = read(path)?;
    let mut tx = Tx::begin(ctx)?;
    tx.load_all_sandboxes()?;
    let before = (tx.state.sandboxes.iter())
        .filter(|s| our_sandbox(s, &lab.name))
        .cloned()
        .collect();
    let mut up = Up {
        lab: &lab,
        path,
        tx,
        plan: Vec::new(),
        did: Vec::new(),
        fresh: BTreeSet::new(),
        relinked: BTreeSet::new(),
        sysctls: Vec::new(),
        before,
    };
    up.refuse_what_stands_in_the_way()?;
    let remade = up.networks_to_remove();
    up.remove_endpoints_and_nodes(ctx, &remade)?;
    up.remove_networks(&remade)?;
    up.add_networks(ctx)?;
    up.add_nodes()?;
    for attachment in &lab.attachments {
        up.attach(ctx, attachment)?;
    }
    let sysctls = std::mem::take(&mut up.sysctls);
    up.plan.extend(sysctls);
    up.forget_attachments_gone();
    let exec = up.commands_to_run();
    let Up {
        tx, plan, mut did, ..
    } = up;
    let name = &lab.name;
    let dry_run = ctx.global.dry_run;
    tx.commit(ctx, plan)?;
    if dry_run {
        for (node, _, commands) in &exec {
            for command in commands {
                writeln!(
                    ctx.out,
                    "# lab: node {node} runs\nip netns exec {node} sh -c {command:?}"
                )?;
            }
        }
        return Ok(());
    }
    for (node, path, commands) in &exec {
        for command in commands {
            let status = netns::run_shell(path, command)
                .with_context(|| format!("lab {name}: node {node}: cannot run {command:?}"))?;
            if !status.success() {
                refuse!(
                    "lab {name}: node {node}: {command:?} failed ({status}); the lab is up otherwise ('ctnet lab down' removes it)"
                );
            }
            did.push(format!("node {node} ran {command:?}"));
        }
    }
    if did.is_empty() {
        writeln!(ctx.out, "lab {name}: up to date")?;
    }
    for line in did {
        writeln!(ctx.out, "lab {name}: {line}")?;
    }
    Ok(())
}

impl Up<'_> {
    /// A network or sandbox of one of the lab's names that is not the lab's, a network no
    /// one has: refused before anything changes.
    fn refuse_what_stands_in_the_way(&self) -> Result<()> {
        let (lab, state, file) = (&self.lab.name, &self.tx.state, self.path.display());
        for wanted in &self.lab.networks {
            if let Some(other) = state.networks.iter().find(|n| n.name == wanted.name)
                && !ours(other, lab)
            {
                refuse!(
                    "network {} exists and is not lab {lab}'s: rename it in {file} or remove it",
                    wanted.name
                );
            }
        }
        for node in &self.lab.nodes {
            if let Some(other) = state.sandboxes.iter().find(|s| s.name == node.name)
                && !our_sandbox(other, lab)
            {
                refuse!(
                    "sandbox {} exists and is not lab {lab}'s: rename the node in {file} or remove it",
                    node.name
                );
            }
        }
        for attachment in &self.lab.attachments {
            let known = self
                .lab
                .networks
                .iter()
                .any(|n| n.name == attachment.network)
                || state.networks.iter().any(|n| n.name == attachment.network);
            if !known {
                refuse!(
                    "{file}: node {} is on network {}, which neither the lab nor this host has",
                    attachment.node,
                    attachment.network
                );
            }
        }
        Ok(())
    }

    /// The lab's networks that go: no longer in the file, or changed there (made again).
    fn networks_to_remove(&self) -> BTreeSet<String> {
        (self.tx.state.networks.iter())
            .filter(|n| ours(n, &self.lab.name))
            .filter(|n| {
                let wanted = self.lab.networks.iter().find(|w| w.name == n.name);
                wanted.is_none_or(|w| n.labels.get(SPEC_LABEL) != Some(&w.spec))
            })
            .map(|n| n.name.clone())
            .collect()
    }

    /// Endpoints on a network that goes, of a node that goes, or asked otherwise now; and
    /// the nodes that go.
    fn remove_endpoints_and_nodes(
        &mut self,
        ctx: &mut Ctx,
        remade: &BTreeSet<String>,
    ) -> Result<()> {
        for sandbox in self.before.clone() {
            let node = self.lab.nodes.iter().find(|n| n.name == sandbox.name);
            let mark = sandbox.lab.clone().unwrap_or_default();
            let state = &mut self.tx.state;
            let endpoints: Vec<_> = state.endpoints_of_sandbox(&sandbox.id).cloned().collect();
            for ep in endpoints {
                let Some(net) = state.network_by_id(&ep.network_id).map(|n| n.name.clone()) else {
                    continue;
                };
                // An overlay's gateway bridge endpoint comes and goes with the overlay's.
                if net == crate::drivers::bridge::GATEWAY_BRIDGE && node.is_some() {
                    continue;
                }
                let wanted = (self.lab.attachments.iter())
                    .find(|a| a.node == sandbox.name && a.network == net);
                let keep = node.is_some()
                    && !remade.contains(&net)
                    && wanted.is_some_and(|w| mark.attachments.get(&net) == Some(&w.spec));
                // (Leaving an overlay may have taken its gateway bridge endpoint already.)
                if keep || !state.endpoints.iter().any(|e| e.id == ep.id) {
                    continue;
                }
                let alive = sandbox_alive(ctx.kernel, &sandbox);
                self.plan
                    .extend(connect::plan_disconnect(state, &ep, alive)?);
                if node.is_some() {
                    self.did
                        .push(format!("{} left {net} (to join again)", sandbox.name));
                }
            }
            if node.is_none() {
                if sandbox.owned {
                    self.plan.push(Op::DeleteNetns {
                        name: sandbox.name.clone(),
                    });
                }
                state.sandboxes.retain(|s| s.id != sandbox.id);
                self.did.push(format!("node {} removed", sandbox.name));
            }
        }
        // The networks' members as the removals left them, for the networks' removal.
        self.tx.update_members();
        Ok(())
    }

    fn remove_networks(&mut self, remade: &BTreeSet<String>) -> Result<()> {
        for name in remade {
            let net = self.tx.state.network(name)?.clone();
            self.plan.extend(network::plan_removal(&mut self.tx, &net)?);
            self.tx.state.networks.retain(|n| n.id != net.id);
            let again = self.lab.networks.iter().any(|w| &w.name == name);
            let why = if again { " (to be made again)" } else { "" };
            self.did.push(format!("network {name} removed{why}"));
        }
        Ok(())
    }

    fn add_networks(&mut self, ctx: &mut Ctx) -> Result<()> {
        for wanted in &self.lab.networks {
            if self.tx.state.networks.iter().any(|n| n.name == wanted.name) {
                continue;
            }
            let (_, steps) = network::plan_creation(ctx, &mut self.tx, &wanted.request)?;
            self.plan.extend(steps);
            self.did.push(format!("network {} created", wanted.name));
        }
        Ok(())
    }

    /// New nodes (a named namespace each), and every node's sysctls where they changed.
    fn add_nodes(&mut self) -> Result<()> {
        for node in &self.lab.nodes {
            let existing = self
                .tx
                .state
                .sandboxes
                .iter()
                .position(|s| s.name == node.name);
            let index = match existing {
                Some(index) => index,
                None => {
                    let sandbox = new_node(&node.name)?;
                    self.tx.state.sandboxes.push(sandbox);
                    // A namespace cannot carry ctnet's mark: the state is saved first.
                    self.tx.record_intent();
                    self.plan.push(Op::CreateNetns {
                        name: node.name.clone(),
                    });
                    self.fresh.insert(node.name.clone());
                    self.did.push(format!("node {} created", node.name));
                    self.tx.state.sandboxes.len() - 1
                }
            };
            let fresh = self.fresh.contains(&node.name);
            let sandbox = &mut self.tx.state.sandboxes[index];
            let before = sandbox.lab.clone().unwrap_or_default();
            for (key, value) in &node.sysctls {
                if fresh || before.sysctls.get(key) != Some(value) {
                    self.sysctls.push(Op::SysctlIn {
                        ns: sandbox.netns.clone(),
                        key: key.clone(),
                        value: value.clone(),
                    });
                    if !fresh {
                        self.did.push(format!("node {}: {key}={value}", node.name));
                    }
                }
            }
            sandbox.lab = Some(LabMark {
                name: self.lab.name.clone(),
                sysctls: node.sysctls.clone(),
                exec: node.exec.clone(),
                attachments: before.attachments,
            });
        }
        Ok(())
    }

    /// One endpoint: joined if missing (with its impairment once its interface exists),
    /// its impairment changed in place if it is there.
    fn attach(&mut self, ctx: &mut Ctx, attachment: &LabAttachment) -> Result<()> {
        let state = &self.tx.state;
        let sandbox = (state.sandboxes.iter())
            .find(|s| s.name == attachment.node)
            .cloned()
            .expect("every node is in the state now");
        let net = state.network(&attachment.network)?.clone();
        let endpoint = match state.endpoint(&net.id, &sandbox.id).cloned() {
            Some(ep) => {
                // A link whose other end left in this run has no interface until it joins
                // again (which brings this end's impairment from the state).
                let link_down = net.p2p.is_some() && net.member_names().len() < 2;
                if ep.impair != attachment.impair && !link_down {
                    let steps = impair::changes(&ep.impair, &attachment.impair, &ep, &sandbox);
                    self.plan.extend(steps);
                    self.did.push(format!(
                        "{}:{}: impairment changed",
                        sandbox.name, ep.ifname
                    ));
                }
                ep
            }
            None => {
                let (steps, mut ep) = connect::plan_connect(
                    ctx,
                    &mut self.tx,
                    &attachment.attach,
                    |_, _| Ok(sandbox.clone()),
                    net.clone(),
                    None,
                    &mut Vec::new(),
                )?;
                self.plan.extend(steps);
                if attachment.impair.ingress.is_some() && ep.host_ifname.is_empty() {
                    refuse!(
                        "{}: node {}'s endpoint on {} has no host end to shape what reaches it: impair the other end's egress",
                        self.path.display(),
                        sandbox.name,
                        net.name
                    );
                }
                ep.impair = attachment.impair;
                self.relinked.insert(sandbox.name.clone());
                // A link made now is the other end's new interface too.
                if net.p2p.is_some() {
                    for other in net.member_names() {
                        self.relinked.insert(other.clone());
                    }
                }
                // A link's interface exists once its second end joined (which brings the
                // first end's impairment along).
                if net.p2p.is_none() || net.has_members() {
                    self.plan.extend(impair::reapply(&ep, &sandbox));
                }
                self.did.push(format!(
                    "{} joined {} ({})",
                    sandbox.name, net.name, ep.ifname
                ));
                // The next endpoint's address is picked knowing this one's.
                self.tx.update_members();
                ep
            }
        };
        let state = &mut self.tx.state;
        let stored = (state.endpoints.iter_mut()).find(|e| e.id == endpoint.id);
        stored.expect("in the state").impair = attachment.impair;
        let sandbox = (state.sandboxes.iter_mut()).find(|s| s.id == sandbox.id);
        if let Some(mark) = sandbox.expect("in the state").lab.as_mut() {
            mark.attachments
                .insert(attachment.network.clone(), attachment.spec.clone());
        }
        Ok(())
    }

    /// The marks keep only the attachments the file still has.
    fn forget_attachments_gone(&mut self) {
        let lab = self.lab;
        for sandbox in (self.tx.state.sandboxes.iter_mut()).filter(|s| our_sandbox(s, &lab.name)) {
            let wanted: BTreeSet<&String> = (lab.attachments.iter())
                .filter(|a| a.node == sandbox.name)
                .map(|a| &a.network)
                .collect();
            let mark = sandbox.lab.as_mut().expect("ours");
            mark.attachments.retain(|net, _| wanted.contains(net));
        }
    }

    /// The commands of nodes made now, with an interface made again, or whose commands
    /// changed.
    fn commands_to_run(&self) -> Vec<(String, PathBuf, Vec<String>)> {
        (self.lab.nodes.iter())
            .filter(|node| !node.exec.is_empty())
            .filter(|node| {
                self.fresh.contains(&node.name)
                    || self.relinked.contains(&node.name)
                    || (self.before.iter())
                        .find(|s| s.name == node.name)
                        .and_then(|s| s.lab.as_ref())
                        .is_some_and(|m| m.exec != node.exec)
            })
            .map(|node| {
                (
                    node.name.clone(),
                    netns::named_path(&node.name),
                    node.exec.clone(),
                )
            })
            .collect()
    }
}

/// A lab's node: a named namespace of its own (one that exists is someone else's).
fn new_node(name: &str) -> Result<Sandbox> {
    crate::model::validate_name("node", name)?;
    let netns = netns::named_path(name);
    if netns.exists() {
        refuse!(
            "network namespace {} exists already and is not the lab's",
            netns.display()
        );
    }
    Ok(Sandbox {
        lab: None,
        own_hosts: false,
        container: None,
        dns: Default::default(),
        id: crate::ids::new_id()?,
        name: name.to_string(),
        netns,
        pid: None,
        owned: true,
        created: crate::ids::now(),
        netns_inode: None,
        run_by: None,
    })
}
