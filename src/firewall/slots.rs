//! How a service's slots are dealt to its tasks: Maglev hashing (Google's load balancer,
//! NSDI 2016). Each task walks the slots in an order of its own, derived from its address,
//! and the tasks take turns claiming the next free slot in their order. Every task ends up
//! with as many slots as any other, give or take one, and a task that joins or leaves moves
//! little more than its own share: a connect or disconnect changes a few map elements, not
//! all of them, however many tasks the service has.

use std::net::IpAddr;

/// The slot count: a prime, which Maglev's walk needs to reach every slot.
pub const SLOTS: u32 = 251;

/// FNV-1a of the address with a seed: stable across releases (std's hasher is not).
fn hash(address: &IpAddr, seed: u8) -> u64 {
    let octets: Vec<u8> = match address {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in std::iter::once(seed).chain(octets) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

/// For each slot, the index (into `tasks`) of the task it leads to. Empty without tasks.
pub fn deal(tasks: &[IpAddr]) -> Vec<usize> {
    if tasks.is_empty() {
        return Vec::new();
    }
    let m = u64::from(SLOTS);
    let walks: Vec<(u64, u64)> = tasks
        .iter()
        .map(|t| (hash(t, 1) % m, hash(t, 2) % (m - 1) + 1))
        .collect();
    let mut next = vec![0u64; tasks.len()];
    let mut owner: Vec<Option<usize>> = vec![None; SLOTS as usize];
    let mut filled = 0;
    'deal: loop {
        for (task, (offset, skip)) in walks.iter().enumerate() {
            let mut slot = ((offset + next[task] * skip) % m) as usize;
            while owner[slot].is_some() {
                next[task] += 1;
                slot = ((offset + next[task] * skip) % m) as usize;
            }
            owner[slot] = Some(task);
            next[task] += 1;
            filled += 1;
            if filled == SLOTS {
                break 'deal;
            }
        }
    }
    owner
        .into_iter()
        .map(|o| o.expect("every slot dealt"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(n: u8) -> Vec<IpAddr> {
        (0..n).map(|i| IpAddr::from([10, 1, 0, 2 + i])).collect()
    }

    fn shares(tasks: &[IpAddr]) -> Vec<usize> {
        let mut counts = vec![0; tasks.len()];
        for task in deal(tasks) {
            counts[task] += 1;
        }
        counts
    }

    #[test]
    fn every_task_gets_its_share_give_or_take_one() {
        for n in [1, 2, 3, 7, 50, 200] {
            let counts = shares(&tasks(n));
            let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(max - min <= 1, "{n} tasks: {counts:?}");
        }
        assert!(deal(&[]).is_empty());
    }

    /// A task that joins takes about its share; the others keep the rest of their slots.
    #[test]
    fn a_new_task_moves_little_more_than_its_share() {
        for n in [3u8, 20, 200] {
            let before = tasks(n);
            let mut after = before.clone();
            after.push(IpAddr::from([10, 1, 1, 1]));
            let (old, new) = (deal(&before), deal(&after));
            let moved = old
                .iter()
                .zip(&new)
                .filter(|(o, n)| before[**o] != after[**n])
                .count();
            // Maglev moves a little more than the share when the table is small against
            // the tasks (251 slots); dealing round robin would move nearly all of them.
            let share = SLOTS as usize / (n as usize + 1) + 1;
            eprintln!("{n} tasks: {moved} slots moved, share {share}");
            assert!(
                moved <= share * 3 + 8,
                "{n} tasks: {moved} slots moved, share {share}"
            );
        }
    }
}
