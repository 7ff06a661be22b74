//! `ctnet dns serve`: the optional resolver for network-scoped names.
//!
//! It listens on UDP port 53 at the gateway of every bridge network that resolves names,
//! answers from the member lists in state.json (re-read whenever the file changes, so a
//! sandbox connected a moment ago is found), and relays every other query to the host's
//! upstream servers. While it runs, sandboxes' `resolv.conf` files point at it; when it
//! stops they name the upstream servers again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::sys::socket::{setsockopt, sockopt};

use super::{Ctx, Tx};
use crate::cli::DnsServeArgs;
use crate::dns::etcfiles;
use crate::dns::resolver::{self, Reply, Zone};
use crate::refuse;
use crate::state::consistency::Lists;
use crate::state::store::Store;

const PORT: u16 = 53;
/// Forwarded queries waiting for an upstream at once; beyond this, SERVFAIL at once.
const MAX_IN_FLIGHT: usize = 128;
/// The same, for one asker: a sandbox that floods the resolver uses up its own share,
/// never the others' (with one budget for all, ~100 queries/s from one sandbox turned
/// every other sandbox's lookups into SERVFAIL).
const MAX_IN_FLIGHT_PER_ASKER: usize = 16;

/// Forwarded queries in flight, in all and per asker.
#[derive(Default)]
struct Budget {
    total: usize,
    by_asker: HashMap<IpAddr, usize>,
}

impl Budget {
    /// Takes one query's place for `asker`, or says there is none.
    fn take(budget: &Mutex<Budget>, asker: IpAddr) -> bool {
        let mut b = budget.lock().unwrap_or_else(|e| e.into_inner());
        let mine = b.by_asker.get(&asker).copied().unwrap_or(0);
        if b.total >= MAX_IN_FLIGHT || mine >= MAX_IN_FLIGHT_PER_ASKER {
            return false;
        }
        b.total += 1;
        b.by_asker.insert(asker, mine + 1);
        true
    }

    fn give_back(budget: &Mutex<Budget>, asker: IpAddr) {
        let mut b = budget.lock().unwrap_or_else(|e| e.into_inner());
        b.total = b.total.saturating_sub(1);
        if let Some(mine) = b.by_asker.get_mut(&asker) {
            *mine -= 1;
            if *mine == 0 {
                b.by_asker.remove(&asker);
            }
        }
    }
}
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn request_stop(_: i32) {
    STOP.store(true, Ordering::SeqCst);
}

/// `STATE_DIR/dns.pid`: the server's pid and the addresses it answers on, one per line
/// after the pid. The server holds an exclusive lock on it while it runs, so a stale file
/// (after a crash or a reboot) is told apart from a live server whatever its pid became.
fn pid_file(state_dir: &Path) -> PathBuf {
    state_dir.join("dns.pid")
}

/// The addresses a running `ctnet dns serve` answers on (empty when none runs).
pub fn listening(state_dir: &Path) -> BTreeSet<IpAddr> {
    let Ok(file) = File::open(pid_file(state_dir)) else {
        return BTreeSet::new();
    };
    // Locking succeeds only if no server holds the file.
    if file.try_lock_shared().is_ok() {
        return BTreeSet::new();
    }
    let text = std::io::read_to_string(&file).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Runs the resolver until SIGINT, SIGTERM or SIGHUP.
pub fn serve(ctx: &mut Ctx, args: &DnsServeArgs) -> Result<()> {
    let state_dir = ctx.global.state_dir.clone();
    // A first run sets up the default networks; the state must load before anything else.
    Tx::read(ctx, false)?;
    let pid_path = pid_file(&state_dir);
    // Root's alone: a user who could hold its lock would make ctnet point every sandbox
    // at a resolver that is not there.
    let pid = crate::state::open_root_only(&pid_path)?;
    if pid.try_lock().is_err() {
        let other = std::fs::read_to_string(&pid_path).unwrap_or_default();
        let other = other.lines().next().unwrap_or("?");
        refuse!(
            "ctnet dns serve already runs for {} (pid {other})",
            state_dir.display()
        );
    }
    let upstreams: Vec<IpAddr> = match args.upstream.is_empty() {
        true => etcfiles::host_upstream().nameservers,
        false => args.upstream.clone(),
    };
    let action = SigAction::new(
        SigHandler::Handler(request_stop),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic.
        unsafe { sigaction(signal, &action) }.context("cannot install a signal handler")?;
    }
    let mut server = Server {
        state_dir: state_dir.clone(),
        pid,
        zone: Zone::default(),
        sockets: BTreeMap::new(),
        seen: None,
        seen_published: None,
        upstreams: Arc::new(upstreams),
        in_flight: Arc::new(Mutex::new(Budget::default())),
        own_servers: HashMap::new(),
    };
    server.reload();
    if server.sockets.is_empty() {
        eprintln!("ctnet: warning: no bridge network to listen on yet; listening once one exists");
    }
    let served = server.run();
    // Stop answering first, then point the sandboxes back at the upstream servers.
    server.sockets.clear();
    let _ = std::fs::remove_file(&pid_path);
    let restored = point_sandboxes(&state_dir, &server.pid, &BTreeSet::new());
    served.and(restored)
}

/// Publishes the addresses the server answers on and rewrites every sandbox's resolv.conf
/// to match, under the state lock: a command that connects a sandbox meanwhile sees either
/// the old addresses and files or the new ones.
fn point_sandboxes(state_dir: &Path, pid: &File, listening: &BTreeSet<IpAddr>) -> Result<()> {
    let store = Store::lock(state_dir)?;
    let mut text = format!("{}\n", std::process::id());
    for ip in listening {
        text.push_str(&format!("{ip}\n"));
    }
    pid.set_len(0)
        .and_then(|()| std::os::unix::fs::FileExt::write_all_at(pid, text.as_bytes(), 0))
        .context("cannot write dns.pid")?;
    let networks = store
        .load_networks()?
        .map(|l| l.networks)
        .unwrap_or_default();
    let mut sandboxes = Vec::new();
    for saved in store.saved_sandboxes()? {
        if let Some((file, _)) =
            store.load_sandbox(&saved.name, &networks, Some(saved.has_ports_file))?
        {
            sandboxes.push(file.sandbox);
        }
    }
    let files = etcfiles::Files {
        state_dir,
        networks: &networks,
        sandboxes: &sandboxes,
        removed: &[],
        resolver: listening.clone(),
    };
    etcfiles::rewrite_resolv_confs(&files)
}

struct Server {
    state_dir: PathBuf,
    /// dns.pid, locked for as long as the server runs.
    pid: File,
    zone: Zone,
    /// Each gateway's socket, bound to the bridge its askers are on (name and index).
    sockets: BTreeMap<IpAddr, (String, u32, UdpSocket)>,
    /// state.json's stamp when the zone was built.
    seen: Option<FileStamp>,
    /// Whether the addresses were published once (even an empty set, on a first start).
    seen_published: Option<()>,
    upstreams: Arc<Vec<IpAddr>>,
    in_flight: Arc<Mutex<Budget>>,
    /// Sandboxes' own `--dns` servers, read from their files, with the file's stamp.
    own_servers: HashMap<String, (Option<FileStamp>, Arc<Vec<IpAddr>>)>,
}

/// A file's inode and modification time: every save replaces a state file, so a change
/// shows as a new stamp.
type FileStamp = (u64, i64, i64);

impl Server {
    /// Rebuilds the zone and the listening sockets if state.json changed (a save replaces
    /// the file, so its inode changes with every command that changes anything).
    fn reload(&mut self) {
        let path = self.state_dir.join("state.json");
        let stamp = std::fs::metadata(&path)
            .ok()
            .map(|m| (m.ino(), m.mtime(), m.mtime_nsec()));
        if stamp == self.seen {
            return;
        }
        self.seen = stamp;
        let networks = match Store::peek_networks(&path, Lists::CheckAll) {
            Ok(networks) => networks,
            Err(e) => {
                eprintln!("ctnet: warning: keeping the names I had: {e:#}");
                return;
            }
        };
        self.zone = Zone::build(&networks);
        let before: BTreeSet<IpAddr> = self.sockets.keys().copied().collect();
        self.sockets.retain(|ip, (bridge, index, _)| {
            self.zone.listen.get(ip) == Some(bridge) && bridge_index(bridge) == Some(*index)
        });
        for (ip, bridge) in &self.zone.listen {
            if self.sockets.contains_key(ip) {
                continue;
            }
            match listen_on(*ip, bridge) {
                Ok((socket, index)) => {
                    eprintln!(
                        "ctnet: dns: listening on {} ({bridge})",
                        SocketAddr::new(*ip, PORT)
                    );
                    self.sockets.insert(*ip, (bridge.clone(), index, socket));
                }
                Err(e) => {
                    eprintln!("ctnet: warning: cannot listen on {ip}:{PORT}: {e}");
                    // Tried again at the next round: a bridge made again while this round
                    // still holds a copy of the old socket finds its port taken until then.
                    self.seen = None;
                }
            }
        }
        let now: BTreeSet<IpAddr> = self.sockets.keys().copied().collect();
        if now != before || stamp.is_some() && self.seen_published.is_none() {
            if let Err(e) = point_sandboxes(&self.state_dir, &self.pid, &now) {
                eprintln!("ctnet: warning: {e:#}");
            }
            self.seen_published = Some(());
        }
    }

    /// Whether a bridge the server listens on has a new index (it was made again).
    fn bridges_moved(&self) -> bool {
        self.sockets
            .values()
            .any(|(bridge, index, _)| bridge_index(bridge) != Some(*index))
    }

    fn run(&mut self) -> Result<()> {
        let mut buffer = [0u8; 4096];
        let mut last_check = std::time::Instant::now();
        while !STOP.load(Ordering::SeqCst) {
            // A socket is bound to its bridge's index: a bridge deleted and made again (gc,
            // restore) has a new one, and the socket must follow. Checked once a second,
            // not per query, and before the sockets are cloned for this round (a clone
            // would keep the old one's port).
            if last_check.elapsed() >= Duration::from_secs(1) {
                last_check = std::time::Instant::now();
                if self.bridges_moved() {
                    self.seen = None;
                    self.reload();
                }
            }
            let sockets: Vec<UdpSocket> = self
                .sockets
                .values()
                .map(|(_, _, socket)| socket.try_clone())
                .collect::<Result<_, _>>()?;
            let mut fds: Vec<PollFd> = sockets
                .iter()
                .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
                .collect();
            // Wakes at least once a second to pick up new networks.
            match poll(&mut fds, PollTimeout::from(1000u16)) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("poll"),
            }
            let ready: Vec<bool> = fds
                .iter()
                .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            self.reload();
            for (socket, _) in sockets.iter().zip(ready).filter(|(_, ready)| *ready) {
                // Take what is queued, a bounded batch per socket so that a flood on one
                // starves neither the others nor the stop check; then poll again.
                for _ in 0..64 {
                    match socket.recv_from(&mut buffer) {
                        Ok((len, from)) => self.handle(socket, &buffer[..len], from),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
            }
        }
        Ok(())
    }

    fn handle(&mut self, socket: &UdpSocket, packet: &[u8], from: SocketAddr) {
        self.reload();
        match resolver::answer(&self.zone, packet, from.ip()) {
            Reply::Answer(bytes) => {
                let _ = socket.send_to(&bytes, from);
            }
            Reply::Ignore => {}
            Reply::Forward => self.forward(socket, packet, from),
        }
    }

    /// Where an asker's other queries go, as with Docker's embedded DNS: its sandbox's own
    /// `--dns` servers, else its network's, else the host's.
    fn upstreams_for(&mut self, asker: IpAddr) -> Arc<Vec<IpAddr>> {
        let Some((name, network_dns)) = self.zone.asked_by(asker) else {
            return self.upstreams.clone();
        };
        let network_dns = network_dns.to_vec();
        let path = self
            .state_dir
            .join("sandboxes")
            .join(format!("{name}.json"));
        let stamp = std::fs::metadata(&path)
            .ok()
            .map(|m| (m.ino(), m.mtime(), m.mtime_nsec()));
        let own = match self.own_servers.get(name) {
            Some((seen, servers)) if *seen == stamp => servers.clone(),
            _ => {
                let servers = Arc::new(Store::peek_sandbox_dns(&self.state_dir, name));
                self.own_servers
                    .insert(name.to_string(), (stamp, servers.clone()));
                servers
            }
        };
        if !own.is_empty() {
            own
        } else if !network_dns.is_empty() {
            Arc::new(network_dns)
        } else {
            self.upstreams.clone()
        }
    }

    /// Relays a query to the upstream servers on a thread of its own, so a slow upstream
    /// never holds up the local names.
    fn forward(&mut self, socket: &UdpSocket, packet: &[u8], from: SocketAddr) {
        let fail = move |socket: &UdpSocket, packet: &[u8]| {
            if let Some(reply) = resolver::server_failure(packet) {
                let _ = socket.send_to(&reply, from);
            }
        };
        let asker = from.ip();
        if !Budget::take(&self.in_flight, asker) {
            return fail(socket, packet);
        }
        let Ok(reply_socket) = socket.try_clone() else {
            Budget::give_back(&self.in_flight, asker);
            return fail(socket, packet);
        };
        let (query, upstreams, in_flight) = (
            packet.to_vec(),
            self.upstreams_for(asker),
            self.in_flight.clone(),
        );
        let spawned = std::thread::Builder::new().spawn(move || {
            match ask_upstreams(&upstreams, &query) {
                Some(reply) => {
                    let _ = reply_socket.send_to(&reply, from);
                }
                None => fail(&reply_socket, &query),
            }
            Budget::give_back(&in_flight, asker);
        });
        if spawned.is_err() {
            Budget::give_back(&self.in_flight, asker);
            fail(socket, packet);
        }
    }
}

/// A socket for the resolver on `ip`, taking only what arrives on `bridge`: a query that
/// comes in from anywhere else (an outside host spoofing a sandbox's address, which a
/// host with loose reverse-path filtering lets in) never reaches it.
fn listen_on(ip: IpAddr, bridge: &str) -> std::io::Result<(UdpSocket, u32)> {
    let index = bridge_index(bridge)
        .ok_or_else(|| std::io::Error::other(format!("bridge {bridge} is missing")))?;
    let socket = UdpSocket::bind((ip, PORT))?;
    setsockopt(
        &socket,
        sockopt::BindToDevice,
        &std::ffi::OsString::from(bridge),
    )?;
    socket.set_nonblocking(true)?;
    Ok((socket, index))
}

/// The bridge's interface index now (`None`: it is gone).
fn bridge_index(bridge: &str) -> Option<u32> {
    nix::net::if_::if_nametoindex(bridge).ok()
}

/// The first upstream reply to `packet` that carries its id.
fn ask_upstreams(upstreams: &[IpAddr], packet: &[u8]) -> Option<Vec<u8>> {
    let mut buffer = [0u8; 4096];
    for upstream in upstreams {
        let local: SocketAddr = match upstream {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let Ok(socket) = UdpSocket::bind(local) else {
            continue;
        };
        if socket.connect((*upstream, PORT)).is_err()
            || socket.set_read_timeout(Some(UPSTREAM_TIMEOUT)).is_err()
            || socket.send(packet).is_err()
        {
            continue;
        }
        while let Ok(len) = socket.recv(&mut buffer) {
            if len >= 2 && buffer[..2] == packet[..2] {
                return Some(buffer[..len].to_vec());
            }
        }
    }
    None
}
