//! `ctnet dns serve`: the optional resolver for network-scoped names.
//!
//! It listens on UDP port 53 at the gateway of every bridge network that resolves names,
//! answers from the member lists in state.json (re-read whenever the file changes, so a
//! sandbox connected a moment ago is found), and relays every other query to the host's
//! upstream servers. While it runs, sandboxes' `resolv.conf` files point at it; when it
//! stops they name the upstream servers again.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

use super::{Ctx, Tx};
use crate::cli::DnsServeArgs;
use crate::etcfiles;
use crate::refuse;
use crate::resolver::{self, Reply, Zone};
use crate::store::Store;

const PORT: u16 = 53;
/// Forwarded queries waiting for an upstream at once; beyond this, SERVFAIL at once.
const MAX_IN_FLIGHT: usize = 128;
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn request_stop(_: i32) {
    STOP.store(true, Ordering::SeqCst);
}

fn pid_file(state_dir: &Path) -> PathBuf {
    state_dir.join("dns.pid")
}

/// The pid of a running `ctnet dns serve` for this state directory.
fn running_pid(state_dir: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file(state_dir))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // A stale file (after a crash or a reboot) may name a pid that is now another program.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "ctnet").then_some(pid)
}

/// Whether sandboxes should be pointed at the resolver.
pub fn server_running(state_dir: &Path) -> bool {
    running_pid(state_dir).is_some()
}

/// Runs the resolver until SIGINT, SIGTERM or SIGHUP.
pub fn serve(ctx: &mut Ctx, args: &DnsServeArgs) -> Result<()> {
    let state_dir = ctx.global.state_dir.clone();
    let state = Tx::read(ctx, true)?;
    if let Some(pid) = running_pid(&state_dir) {
        refuse!(
            "ctnet dns serve already runs for {} (pid {pid})",
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
        zone: Zone::default(),
        sockets: BTreeMap::new(),
        seen: None,
        upstreams: Arc::new(upstreams),
        in_flight: Arc::new(AtomicUsize::new(0)),
    };
    server.reload();
    if server.sockets.is_empty() {
        eprintln!("ctnet: warning: no user-defined bridge network yet; listening once one exists");
    }
    std::fs::write(pid_file(&state_dir), format!("{}\n", std::process::id()))
        .with_context(|| format!("cannot write {}", pid_file(&state_dir).display()))?;
    point_sandboxes(&state_dir, &state, true);
    let served = server.run();
    let _ = std::fs::remove_file(pid_file(&state_dir));
    // The sandboxes as they are now (some may have come and gone meanwhile).
    let state = Tx::read(ctx, true)?;
    point_sandboxes(&state_dir, &state, false);
    served
}

/// Rewrites every sandbox's resolv.conf to name the resolver (or the upstream servers).
fn point_sandboxes(state_dir: &Path, state: &crate::model::State, running: bool) {
    let files = etcfiles::Files {
        state_dir,
        networks: &state.networks,
        sandboxes: &state.sandboxes,
        removed: &[],
        hosts: crate::names::HostsFiles::new(&state.networks),
        resolver_running: running,
    };
    if let Err(e) = etcfiles::rewrite_resolv_confs(&files) {
        eprintln!("ctnet: warning: {e:#}");
    }
}

struct Server {
    state_dir: PathBuf,
    zone: Zone,
    sockets: BTreeMap<Ipv4Addr, UdpSocket>,
    /// state.json's inode and modification time when the zone was built.
    seen: Option<(u64, i64, i64)>,
    upstreams: Arc<Vec<IpAddr>>,
    in_flight: Arc<AtomicUsize>,
}

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
        let networks = match Store::peek_networks(&path) {
            Ok(networks) => networks,
            Err(e) => {
                eprintln!("ctnet: warning: keeping the names I had: {e:#}");
                return;
            }
        };
        self.zone = Zone::build(&networks);
        self.sockets.retain(|ip, _| self.zone.listen.contains(ip));
        for ip in &self.zone.listen {
            if self.sockets.contains_key(ip) {
                continue;
            }
            match UdpSocket::bind((*ip, PORT)).and_then(|s| s.set_nonblocking(true).map(|()| s)) {
                Ok(socket) => {
                    eprintln!("ctnet: dns: listening on {ip}:{PORT}");
                    self.sockets.insert(*ip, socket);
                }
                Err(e) => eprintln!("ctnet: warning: cannot listen on {ip}:{PORT}: {e}"),
            }
        }
    }

    fn run(&mut self) -> Result<()> {
        let mut buffer = [0u8; 4096];
        while !STOP.load(Ordering::SeqCst) {
            let sockets: Vec<UdpSocket> = self
                .sockets
                .values()
                .map(UdpSocket::try_clone)
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
                // Drain what is queued, then poll again.
                loop {
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

    /// Relays a query to the upstream servers on a thread of its own, so a slow upstream
    /// never holds up the local names.
    fn forward(&self, socket: &UdpSocket, packet: &[u8], from: SocketAddr) {
        let fail = move |socket: &UdpSocket, packet: &[u8]| {
            if let Some(reply) = resolver::server_failure(packet) {
                let _ = socket.send_to(&reply, from);
            }
        };
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return fail(socket, packet);
        }
        let Ok(reply_socket) = socket.try_clone() else {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return fail(socket, packet);
        };
        let (packet, upstreams, in_flight) = (
            packet.to_vec(),
            self.upstreams.clone(),
            self.in_flight.clone(),
        );
        std::thread::spawn(move || {
            match ask_upstreams(&upstreams, &packet) {
                Some(reply) => {
                    let _ = reply_socket.send_to(&reply, from);
                }
                None => fail(&reply_socket, &packet),
            }
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
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
