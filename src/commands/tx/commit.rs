//! Carrying a command out: its steps and the ones that follow from the new state
//! (firewall, Docker's chain, forwarding, IPsec), in an order that can always be undone,
//! then the files.

use anyhow::Result;

use super::Tx;
use super::stores::Stores;
use crate::cluster::esp;
use crate::commands::Ctx;
use crate::firewall::{self, Forward};
use crate::model::{Endpoint, State};
use crate::plan::Op;
use crate::plan::xfrm::{Xfrm, XfrmChange};
use crate::ports::{PortList, PortMapping};
use crate::state::store::FileChange;

impl Tx {
    /// Applies `plan` (after any first-run steps), updates the firewall if the policy
    /// changed, and saves. Nothing is saved if the kernel refuses a step, and the kernel
    /// and files are put back if the save fails.
    pub fn commit(mut self, ctx: &mut Ctx, plan: Vec<Op>) -> Result<()> {
        // The networks' member indexes first: services balance over them (the firewall
        // elements below are computed from them).
        self.update_members();
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
            let routed_before = |id: &str| self.routed_as_loaded(id).families;
            let (gone, added) =
                changed_mappings(&self.state, routed_before, old, &self.state.endpoints);
            steps.extend(forget_udp_flows(gone.iter().chain(&added)));
            let mut before = std::mem::take(&mut self.policy_before);
            before.extend(firewall::mapping_elements(gone.iter().copied()));
            let mut policy = firewall::network_elements(&self.state);
            policy.extend(firewall::mapping_elements(added.iter().copied()));
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
        let xfrm = |change, objects: std::collections::btree_set::Difference<'_, Xfrm>| {
            objects
                .map(|object| Op::Xfrm {
                    change,
                    object: object.clone(),
                })
                .collect::<Vec<_>>()
        };
        let adding = match self.repair {
            true => XfrmChange::Ensure,
            false => XfrmChange::Add,
        };
        let steps = arrange(
            steps,
            Following {
                ipsec_added: xfrm(adding, esp_after.difference(&self.esp_before)),
                firewall: change.map(|(ruleset, previous)| Op::Firewall { ruleset, previous }),
                docker_user,
                forwarding,
                ipsec_removed: xfrm(XfrmChange::Remove, self.esp_before.difference(&esp_after)),
            },
        );
        let store_steps = self.store_steps();
        // Dropped with an error from here on, the claims are given back.
        let claims = std::mem::take(&mut self.claims);
        // The one place a dry run stops: every step, the kernel's and the store's, printed.
        if ctx.global.dry_run {
            for op in &steps {
                writeln!(ctx.out, "# {}\n{op}", op.explain())?;
            }
            for (url, op) in &store_steps {
                writeln!(ctx.out, "# cluster store {url}\n{op}")?;
            }
            return Ok(());
        }
        let mut stores = Stores::reach(&store_steps, self.repair)?;
        let store_undo = stores.apply_first(&store_steps)?;
        if let Err(e) = self.carry_out(ctx, &steps) {
            stores.undo(store_undo);
            return Err(e);
        }
        stores.apply_last(&store_steps);
        claims.keep();
        Ok(())
    }

    /// The kernel's steps and the files: nothing is saved if the kernel refuses a step, and
    /// the kernel and the files are put back if the save fails.
    fn carry_out(&mut self, ctx: &mut Ctx, steps: &[Op]) -> Result<()> {
        // The new files are written before the kernel is touched (a full disk fails here),
        // and put in place after it: the state on disk never claims what did not happen.
        let changes = self.file_changes()?;
        let staged = self.store.stage(changes)?;
        if self.intent_first {
            if let Err(e) = self.store.install(staged) {
                self.restore_files();
                return Err(e);
            }
            if let Err(e) = ctx.kernel.apply(steps) {
                self.restore_files();
                return Err(e);
            }
            self.update_name_files(ctx);
            std::mem::forget(std::mem::take(&mut self.state));
            return Ok(());
        }
        let undo = match ctx.kernel.apply(steps) {
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
        // The command ends right after this; freeing every network's member list would cost
        // more than the netlink work of a connect, so the state is left to the process exit.
        // The lock is released now (`ctnet run` lives on after its setup commands).
        std::mem::forget(std::mem::take(&mut self.state));
        std::mem::forget(std::mem::take(&mut self.loaded));
        Ok(())
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
        // A ports file edited by hand is found here, before the kernel changes, rather than
        // when the commit reads the ports of the endpoints that go (see `PortList`).
        let sandboxes = self.loaded.values().flatten();
        for (sandbox, ep) in sandboxes.flat_map(|f| f.endpoints.iter().map(move |ep| (f, ep))) {
            if let Err(why) = ep.ports.parse() {
                crate::refuse!(
                    "sandbox {}'s ports file holds a list that is not valid ({why}): fix it by hand or move it away",
                    sandbox.sandbox.name
                );
            }
        }
        // Tracked flows are forgotten only once the firewall no longer translates to the
        // endpoint (the commit below), or a client still sending would bring them back.
        let (forget, units): (Vec<Vec<Op>>, Vec<Vec<Op>>) = units
            .into_iter()
            .partition(|unit| unit.iter().all(|op| matches!(op, Op::ForgetFlows { .. })));
        let apply = |ctx: &mut Ctx, units: &[Vec<Op>]| {
            for unit in units {
                if let Err(e) = ctx.kernel.apply(unit) {
                    eprintln!("ctnet: warning: {e:#}");
                }
            }
        };
        apply(ctx, &units);
        self.commit(ctx, vec![])?;
        apply(ctx, &forget);
        Ok(())
    }
}

/// The steps that follow from a command's new state, beside its own.
struct Following {
    /// IPsec the encrypted overlays now need.
    ipsec_added: Vec<Op>,
    /// The firewall change, if the policy changed.
    firewall: Option<Op>,
    docker_user: Option<Op>,
    forwarding: Vec<Op>,
    /// IPsec they no longer need.
    ipsec_removed: Vec<Op>,
}

/// The order a commit carries steps out in, so that a failure at any point can be undone
/// and nothing is ever open that should not be:
/// - IPsec additions first, before any FDB entry can send to a new host (never a moment in
///   plaintext); IPsec removals last (a new key is accepted before an old one goes);
/// - the command's reversible steps, then the firewall, then its removals (which cannot be
///   undone);
/// - Docker's chain and forwarding right after the firewall: forwarding is turned on only
///   once the guard that comes with it is in place.
fn arrange(mut steps: Vec<Op>, following: Following) -> Vec<Op> {
    let irreversible = |op: &Op| {
        matches!(
            op,
            Op::DeleteLink { .. } | Op::DeleteNetns { .. } | Op::ForgetFlows { .. }
        )
    };
    let firewall_at = match following.firewall {
        Some(firewall) => {
            let at = steps.iter().position(irreversible).unwrap_or(steps.len());
            steps.insert(at, firewall);
            at + 1
        }
        None => steps.len(),
    };
    let after_firewall = following
        .docker_user
        .into_iter()
        .chain(following.forwarding);
    steps.splice(firewall_at..firewall_at, after_firewall);
    let mut arranged = following.ipsec_added;
    arranged.extend(steps);
    arranged.extend(following.ipsec_removed);
    arranged
}

/// The published mappings (with their container address) that are only in `old`, and
/// those only in `new`: what a command changed, however many ports stay as they were. An
/// endpoint that kept its addresses contributes only the ports that changed (a sandbox
/// with 5,000 ports that publishes one more is one forward, not 10,000 compared).
/// (A network's gateway modes never change, but a command may remove the network of an
/// endpoint as loaded: `routed_before` tells its modes as they were.)
fn changed_mappings<'a>(
    state: &'a State,
    routed_before: impl Fn(&str) -> [bool; 2],
    old: impl Iterator<Item = &'a Endpoint>,
    new: &'a [Endpoint],
) -> (Vec<Forward>, Vec<Forward>) {
    let mut old: Vec<&Endpoint> = old.collect();
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    for ep in new {
        let same_addresses = |was: &&Endpoint| {
            was.id == ep.id
                && was.network_id == ep.network_id
                && was.ipv4 == ep.ipv4
                && was.ipv6 == ep.ipv6
        };
        match old.iter().position(same_addresses) {
            Some(i) => {
                let was = old.swap_remove(i);
                let routed = firewall::routed_families(state.network_by_id(&ep.network_id));
                let may_repeat = routed.contains(&true);
                let (ports_gone, ports_added) = port_changes(&was.ports, &ep.ports, may_repeat);
                gone.extend(firewall::forwards_of(state, was, &ports_gone));
                added.extend(firewall::forwards_of(state, ep, &ports_added));
            }
            None => added.extend(firewall::forwards(state, ep)),
        }
    }
    gone.extend(
        old.into_iter().flat_map(|was| {
            firewall::forwards_with(routed_before(&was.network_id), was, &was.ports)
        }),
    );
    // What one endpoint gave up and another took (a lab remaking a sandbox) is no change.
    changes(&gone, &added)
}

/// UDP flows to host ports whose mapping changed are forgotten (once the firewall has the
/// change, see `arrange`): a client that keeps sending would otherwise keep the
/// translation its flow got first, to a container no longer there, or to none at all.
fn forget_udp_flows<'a>(changed: impl Iterator<Item = &'a Forward>) -> Option<Op> {
    let mut ranges: Vec<_> = changed
        .filter(|f| f.mapping.proto == crate::ports::Proto::Udp && !f.routed)
        .map(|f| f.mapping.host_port..=f.mapping.host_port.saturating_add(f.mapping.count - 1))
        .collect();
    ranges.sort_by_key(|r| (*r.start(), *r.end()));
    ranges.dedup();
    (!ranges.is_empty()).then_some(Op::ForgetFlows {
        flows: crate::plan::Flows::ToUdpPorts(ranges),
    })
}

/// The mappings only in `before` and those only in `after`: read off the edits made since
/// the list was loaded, or (parsed since) found by comparing the lists. `may_repeat`: the
/// list may hold a mapping twice (a routed port published twice: elsewhere a second is
/// refused as taken).
pub(super) fn port_changes(
    before: &PortList,
    after: &PortList,
    may_repeat: bool,
) -> (Vec<PortMapping>, Vec<PortMapping>) {
    match after.edits_since(before) {
        Some((gone, added)) => {
            // A mapping taken out and added again (a lab) is no change; nor is one of two
            // the list holds going, or a second coming.
            let (mut gone, mut added) = changes(&gone, &added);
            if may_repeat {
                gone.dedup();
                added.dedup();
                gone.retain(|mapping| !after.holds(mapping));
                added.retain(|mapping| !before.holds(mapping));
            }
            (gone, added)
        }
        None => changes(before, after),
    }
}

/// The items only in `before` and those only in `after`. A command changes a few items of
/// lists that can hold thousands (a sandbox's published ports), so the part both share at
/// the start and at the end is skipped before the rest is sorted and compared.
pub(super) fn changes<T: Ord + Clone>(before: &[T], after: &[T]) -> (Vec<T>, Vec<T>) {
    let head = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let tail = (before[head..].iter().rev())
        .zip(after[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let middle = |list: &[T]| {
        let mut middle = list[head..list.len() - tail].to_vec();
        middle.sort_unstable();
        middle
    };
    let (before_middle, after_middle) = (middle(before), middle(after));
    let mut gone = sorted_difference(&before_middle, &after_middle);
    let mut added = sorted_difference(&after_middle, &before_middle);
    // An item a list holds twice (a routed port published twice) may also be in the shared
    // part, which both lists hold: then it is no change. Checked for the few candidates.
    if !gone.is_empty() || !added.is_empty() {
        let shared = || before[..head].iter().chain(&before[before.len() - tail..]);
        if gone.len() + added.len() <= 16 {
            gone.retain(|x| !shared().any(|s| s == x));
            added.retain(|x| !shared().any(|s| s == x));
        } else {
            let mut shared: Vec<&T> = shared().collect();
            shared.sort_unstable();
            gone.retain(|x| shared.binary_search(&x).is_err());
            added.retain(|x| shared.binary_search(&x).is_err());
        }
    }
    (gone, added)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Script;
    use crate::plan::Ns;
    use crate::ports::PortMapping;

    /// The shared start and end are skipped; what is left is compared as sets.
    #[test]
    fn changes_between_long_lists() {
        let before: Vec<u32> = (0..5000).collect();
        let mut after = before.clone();
        after.remove(2500);
        after.push(7000);
        assert_eq!(changes(&before, &after), (vec![2500], vec![7000]));
        assert_eq!(changes(&before, &before), (vec![], vec![]));
        // Reordered: the same items, nothing changed.
        let mut shuffled = before.clone();
        shuffled.swap(10, 4000);
        assert_eq!(changes(&before, &shuffled), (vec![], vec![]));
        assert_eq!(changes(&[1, 2, 3], &[]), (vec![1, 2, 3], vec![]));
        assert_eq!(changes(&[], &[4, 5]), (vec![], vec![4, 5]));
        assert_eq!(changes(&[1, 2, 3], &[3, 2, 9, 1]), (vec![], vec![9]));
        // Repeats: what either list still holds somewhere is no change.
        assert_eq!(changes(&[7, 7], &[7]), (vec![], vec![]));
        assert_eq!(changes(&[7], &[7, 7]), (vec![], vec![]));
        assert_eq!(changes(&[7, 1, 7, 2], &[7, 2]), (vec![1], vec![]));
        let many: Vec<u32> = (0..40).chain(0..40).collect();
        assert_eq!(changes(&many, &many[..40]), (vec![], vec![]));
    }

    /// Read off a list's edits, as compared whole: a mapping the list holds twice (a
    /// routed port published twice) stays when one goes, and a second is no new element.
    #[test]
    fn port_changes_read_off_the_edits() {
        let tcp = |port| PortMapping {
            proto: crate::ports::Proto::Tcp,
            host_ip: None,
            host_port: port,
            container_port: port,
            count: 1,
        };
        let mut text = String::new();
        PortList::from(vec![tcp(80), tcp(81), tcp(80)]).write_text(&mut text);
        let file = std::sync::Arc::new(text);
        let before = PortList::in_file(&file, 0..file.len()).unwrap();
        let mut after = before.clone();
        after.take_first(Some(80), |_| true);
        assert_eq!(port_changes(&before, &after, true), (vec![], vec![]));
        after.take_first(Some(80), |_| true);
        assert_eq!(port_changes(&before, &after, true), (vec![tcp(80)], vec![]));
        after.extend([tcp(80), tcp(82)]);
        assert_eq!(port_changes(&before, &after, true), (vec![], vec![tcp(82)]));
        after.take_first(Some(81), |_| true);
        after.extend([tcp(81)]);
        assert_eq!(port_changes(&before, &after, true), (vec![], vec![tcp(82)]));
        assert!(
            !before.is_parsed() && !after.is_parsed(),
            "told without parsing"
        );
        // Parsed, the lists are compared whole, to the same answer.
        let _ = after.parse();
        assert_eq!(port_changes(&before, &after, true), (vec![], vec![tcp(82)]));
    }

    fn link(dev: &str) -> Op {
        Op::LinkUp {
            ns: Ns::Host,
            dev: dev.into(),
        }
    }

    fn delete(dev: &str) -> Op {
        Op::DeleteLink {
            ns: Ns::Host,
            dev: dev.into(),
        }
    }

    fn firewall() -> Op {
        Op::Firewall {
            ruleset: Script::default(),
            previous: Script::default(),
        }
    }

    fn ipsec(change: XfrmChange) -> Op {
        Op::Xfrm {
            change,
            object: Xfrm::Policy {
                local: "10.0.0.1".parse().unwrap(),
                remote: "10.0.0.2".parse().unwrap(),
            },
        }
    }

    fn names(steps: &[Op]) -> Vec<String> {
        steps
            .iter()
            .map(|op| match op {
                Op::LinkUp { dev, .. } => format!("up {dev}"),
                Op::DeleteLink { dev, .. } => format!("del {dev}"),
                Op::Firewall { .. } => "firewall".into(),
                Op::DockerUser { .. } => "docker-user".into(),
                Op::EnableForwarding { .. } => "forwarding".into(),
                Op::Xfrm { change, .. } => format!("ipsec {change:?}"),
                other => other.to_string(),
            })
            .collect()
    }

    fn following(firewall_op: Option<Op>) -> Following {
        Following {
            ipsec_added: vec![ipsec(XfrmChange::Add)],
            firewall: firewall_op,
            docker_user: Some(Op::DockerUser {
                bridges: vec!["ctnet0".into()],
                previous: vec![],
            }),
            forwarding: vec![Op::EnableForwarding { ipv6: false }],
            ipsec_removed: vec![ipsec(XfrmChange::Remove)],
        }
    }

    /// A connect, say: its steps, then the table, Docker's chain, forwarding, with IPsec
    /// around them all.
    #[test]
    fn the_firewall_follows_what_is_made_and_forwarding_follows_the_firewall() {
        let steps = arrange(vec![link("a"), link("b")], following(Some(firewall())));
        assert_eq!(
            names(&steps),
            [
                "ipsec Add",
                "up a",
                "up b",
                "firewall",
                "docker-user",
                "forwarding",
                "ipsec Remove"
            ]
        );
    }

    /// A removal cannot be undone: it comes after the firewall, so a refused firewall
    /// change leaves everything as it was.
    #[test]
    fn removals_come_after_the_firewall() {
        let steps = arrange(
            vec![link("a"), delete("b"), delete("c")],
            following(Some(firewall())),
        );
        assert_eq!(
            names(&steps),
            [
                "ipsec Add",
                "up a",
                "firewall",
                "docker-user",
                "forwarding",
                "del b",
                "del c",
                "ipsec Remove"
            ]
        );
    }

    #[test]
    fn without_a_firewall_change_the_rest_goes_last() {
        let steps = arrange(vec![delete("b")], following(None));
        assert_eq!(
            names(&steps),
            [
                "ipsec Add",
                "del b",
                "docker-user",
                "forwarding",
                "ipsec Remove"
            ]
        );
    }

    /// Forgotten flows come back if the firewall still translates the old way when the
    /// next datagram arrives: forgetting comes after the firewall change.
    #[test]
    fn udp_flows_are_forgotten_after_the_firewall_changes() {
        let mapping = |proto, host_port, count| Forward {
            to: std::net::IpAddr::from([10, 0, 0, 2]),
            mapping: PortMapping {
                proto,
                host_ip: None,
                host_port,
                container_port: 53,
                count,
            },
            routed: false,
        };
        use crate::ports::Proto::{Tcp, Udp};
        let changed = [
            mapping(Udp, 5353, 1),
            mapping(Tcp, 8080, 1),
            mapping(Udp, 6000, 3),
            mapping(Udp, 5353, 1),
        ];
        let forget = forget_udp_flows(changed.iter()).expect("UDP ports changed");
        assert_eq!(
            forget.to_string(),
            "conntrack -D -p udp --dport 5353; for p in $(seq 6000 6002); do conntrack -D -p udp --dport $p; done"
        );
        assert_eq!(forget_udp_flows([mapping(Tcp, 80, 1)].iter()), None);
        let steps = arrange(vec![link("a"), forget], following(Some(firewall())));
        let names = names(&steps);
        let at = |name: &str| names.iter().position(|n| n.starts_with(name)).unwrap();
        assert!(at("firewall") < at("conntrack"), "{names:?}");
    }
}
