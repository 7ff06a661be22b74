//! The command line, defined once: `--help`, the man page and the completions come from here.

mod impair;
mod lab;
pub use impair::ImpairArgs;
pub use lab::LabCommand;

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "ctnet",
    version,
    about = "Docker-style container networks for Linux, without a daemon",
    long_about = "ctnet implements Docker's Container Network Model as one command-line tool: \
networks (Linux bridges), sandboxes (network namespaces) and endpoints (veth pairs), \
with IP address management and nftables isolation. Every command is one short transaction \
of netlink and nftables calls against a JSON state file.",
    after_long_help = "\
EXIT STATUS: 0 on success, 1 when ctnet refuses or fails (one line on stderr, starting \
'ctnet: error:'; neither the state nor the kernel is changed), 2 on a usage error.

FILES: STATE_DIR/state.json (the networks and their members), STATE_DIR/sandboxes/NAME.json \
(a sandbox and its endpoints), STATE_DIR/state.lock (held for the whole command, so \
parallel invocations queue) and STATE_DIR/etc/NAME/hosts and resolv.conf (a sandbox's names, \
linked from /etc/netns/NAME/ for named namespaces). Links ctnet creates carry the alias \
'ctnet:<network or endpoint id>'; its firewall is the nftables table 'inet ctnet'.

KERNEL NAMES: the default network's bridge is ctnet0, other bridges ctn-<10 id chars> \
(or -o bridge.name), host ends of veth pairs vctn<11 endpoint id chars>; an overlay's bridge \
and VXLAN device on a host are cto- and ctv-<10 id chars>.

CLUSTER STORE: with --store etcd://HOST:PORT (or CTNET_STORE), overlay networks live in etcd \
under /ctnet/: networks/NAME, vnis/VNI, endpoints/NAME/SANDBOX and ipam/NAME/IP. Every address \
is claimed by a compare-and-swap transaction; a host finds a network it has not used on its \
first connect. An https://HOST:PORT store is reached over TLS (--store-cacert, --store-cert, \
--store-key), with an etcd user if given (--store-user, password in CTNET_STORE_PASSWORD); an \
encrypted overlay's keys never go to a plain etcd:// store without --insecure-store."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Where state.json and its lock live
    #[arg(
        long,
        global = true,
        env = "CTNET_STATE_DIR",
        default_value = "/var/lib/ctnet"
    )]
    pub state_dir: PathBuf,
    /// Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only names or IDs
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log each kernel operation to stderr, as the equivalent ip/nft command
    #[arg(short, long, global = true, env = "CTNET_LOG")]
    pub verbose: bool,
    /// Print what would be done, as ip/nft commands, and change nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS
    #[arg(long, global = true, env = "CTNET_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// The CA that signed the store's certificate (PEM), for an https:// store
    #[arg(long, global = true, env = "CTNET_STORE_CACERT", value_name = "FILE")]
    pub store_cacert: Option<PathBuf>,
    /// This host's client certificate for the store (PEM), with --store-key
    #[arg(long, global = true, env = "CTNET_STORE_CERT", value_name = "FILE")]
    pub store_cert: Option<PathBuf>,
    /// The key of --store-cert (PEM)
    #[arg(long, global = true, env = "CTNET_STORE_KEY", value_name = "FILE")]
    pub store_key: Option<PathBuf>,
    /// The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD
    #[arg(long, global = true, env = "CTNET_STORE_USER", value_name = "NAME")]
    pub store_user: Option<String>,
    /// Allow an encrypted overlay's keys to cross the network to a plain http store
    #[arg(long, global = true)]
    pub insecure_store: bool,
    /// ctnet's configuration file (default address pools, the default bridge's bip and mtu)
    #[arg(long, global = true, env = "CTNET_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl Global {
    /// The global options as the environment sets them (CTNET_STATE_DIR, CTNET_STORE, ...):
    /// for ctnet run as a CNI plugin, whose command line is not its own.
    pub fn from_env() -> Result<Global, clap::Error> {
        let command = Global::augment_args(clap::Command::new("ctnet").no_binary_name(true));
        Global::from_arg_matches(&command.try_get_matches_from(Vec::<String>::new())?)
    }

    /// How to reach the cluster store, beyond its URL.
    pub fn store_options(&self) -> crate::cluster::kv::StoreOptions {
        crate::cluster::kv::StoreOptions {
            cacert: self.store_cacert.clone(),
            cert: self.store_cert.clone(),
            key: self.store_key.clone(),
            user: self.store_user.clone(),
            password: std::env::var("CTNET_STORE_PASSWORD").ok(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    /// Graphviz, for `graph` only
    Dot,
    /// Mermaid, for `graph` only
    Mermaid,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service on a network: its tasks are the sandboxes connected with --alias NAME
    Create(ServiceCreateArgs),
    /// List services
    #[command(alias = "list")]
    Ls,
    /// Show services as JSON
    Inspect {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove services (their tasks stay, as sandboxes)
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true)]
        names: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct ServiceCreateArgs {
    pub name: String,
    /// The network whose sandboxes with the alias NAME are the tasks (a user-defined bridge
    /// network, or a cluster overlay: then every host of it publishes and balances, the
    /// routing mesh)
    #[arg(long, required = true, value_name = "NET")]
    pub network: String,
    /// vip: a virtual IP the kernel balances over the tasks; dnsrr: the tasks' addresses in turn
    #[arg(long, default_value = "vip", value_name = "MODE")]
    pub endpoint_mode: String,
    /// Publish a port on every host address, balanced over the tasks: PUBLISHED:TARGET[/PROTO]
    #[arg(short, long = "publish", value_name = "SPEC")]
    pub publish: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CniCommand {
    /// Print a CNI configuration list for a network, or write it where runtimes look
    Config {
        network: String,
        /// Write it into DIR as ctnet-NETWORK.conflist (default DIR: /etc/cni/net.d)
        #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "/etc/cni/net.d")]
        write: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage networks
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Manage sandboxes (network namespaces)
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Connect a sandbox to a network
    Connect(ConnectArgs),
    /// Disconnect a sandbox from a network
    Disconnect(DisconnectArgs),
    /// Publish ports of a connected sandbox on the host
    Publish {
        sandbox: String,
        /// [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp|sctp]
        #[arg(required = true, value_name = "SPEC")]
        specs: Vec<String>,
    },
    /// Remove published ports
    Unpublish {
        sandbox: String,
        #[arg(required = true, value_name = "SPEC")]
        specs: Vec<String>,
    },
    /// List a sandbox's published ports, like `docker port`
    Port { sandbox: String },
    /// Remove what belongs to dead sandboxes and kernel objects the state does not know
    Gc,
    /// Re-create the kernel side of the state (after a reboot); safe to run twice
    Restore,
    /// Check what this host has and lacks for ctnet (exit 1 if something needed is missing)
    Doctor,
    /// Draw the host's networks, sandboxes, addresses and ports (--format dot|mermaid)
    Graph {
        /// Only what the lab of that name made
        #[arg(long, value_name = "NAME")]
        lab: Option<String>,
    },
    /// Impair an endpoint's link: delay, jitter, loss, corruption, rate, or down and up
    Impair(ImpairArgs),
    /// Labs kept as files: networks, nodes and point-to-point links in YAML
    #[command(subcommand)]
    Lab(LabCommand),
    /// Why FROM can or cannot reach TO[:PORT[/PROTO]]: the rule that decides, in words and
    /// as nft (FROM and TO: a sandbox, an address, host or outside)
    Why {
        from: String,
        to: String,
        /// Send one probe and show what nftables traced of it in ctnet's table
        #[arg(long)]
        live: bool,
    },
    /// Run a command in a new sandbox, connected and with ports published; remove it all
    /// when the command ends, and exit with its status
    Run(RunArgs),
    /// Name resolution for sandboxes
    #[command(subcommand)]
    Dns(DnsCommand),
    /// Cluster-mode overlay networks (with --store)
    #[command(subcommand)]
    Overlay(OverlayCommand),
    /// ctnet as a CNI plugin for container runtimes (podman, containerd)
    #[command(subcommand)]
    Cni(CniCommand),
    /// Manage services: names whose tasks are the sandboxes carrying them as an alias
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum OverlayCommand {
    /// Follow the cluster store and keep this host's VXLAN entries and names up to date,
    /// until stopped
    #[command(
        long_about = "Reads every cluster overlay's endpoints from the store, programs this \
host's VXLAN FDB and neighbour entries for the endpoints on other hosts (and their names into \
local sandboxes' hosts files), then follows the store's watch events and does the same for \
each change, within milliseconds. If the store goes away it warns once, tries again every \
quarter second, and says so and reads everything again when it is back. Every ctnet command \
that touches a cluster network does the same once; this keeps hosts current in between. The store is --store (CTNET_STORE), or \
the one this host's cluster networks were made with."
    )]
    Watch,
    /// Give an encrypted overlay a new IPsec key, without dropping traffic
    #[command(
        long_about = "Rotates an encrypted overlay's key in three steps, each written to the store \
and applied by every host's `overlay watch`, 2 seconds apart: a new key that every host \
accepts, then the new key as the one every host sends with, then the old key removed. No \
packet is sent with a key its receiver does not have yet. Hosts that do not run \
`overlay watch` pick the keys up on their next ctnet command, and meanwhile cannot talk to \
the others: run the watch on every host of an encrypted overlay."
    )]
    RotateKey {
        /// The encrypted overlay network
        network: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Answer for sandbox names on each network's gateway (UDP port 53) until stopped;
    /// meanwhile sandboxes' resolv.conf points here
    #[command(
        long_about = "Answers A and PTR queries for the names and aliases of sandboxes on the \
asking sandbox's own user-defined networks, on UDP port 53 of each bridge network's gateway \
address, and relays every other query to the upstream servers. It follows state changes \
without a restart. While it runs, every sandbox's resolv.conf names it; on SIGINT, SIGTERM \
or SIGHUP it stops and they name the upstream servers again. Without it, the hosts files \
ctnet writes on every connect resolve the same names."
    )]
    Serve(DnsServeArgs),
}

#[derive(Debug, Args)]
pub struct DnsServeArgs {
    /// Server for names that are not sandboxes' (default: the host's, from resolv.conf)
    #[arg(long, value_name = "IP")]
    pub upstream: Vec<std::net::IpAddr>,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Create a network
    Create(CreateArgs),
    /// List networks
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Show networks as JSON, with Docker's field names
    Inspect {
        #[arg(required = true, value_name = "NAME|ID")]
        networks: Vec<String>,
        /// Show the Linux objects behind each network instead, read from the kernel
        #[arg(long)]
        explain: bool,
    },
    /// Remove networks (refused while endpoints are attached)
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true, value_name = "NAME|ID")]
        networks: Vec<String>,
    },
    /// Remove every network without endpoints
    Prune {
        /// Do not ask for confirmation (ctnet never asks; accepted for Docker's habit)
        #[arg(short, long)]
        force: bool,
    },
    /// Same as `ctnet connect`
    Connect(ConnectArgs),
    /// Same as `ctnet disconnect`
    Disconnect(DisconnectArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Driver: bridge (default), macvlan, ipvlan, overlay, p2p (a link between two sandboxes)
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR form; taken from the default pools when absent
    #[arg(long, value_name = "CIDR")]
    pub subnet: Vec<String>,
    /// Gateway address (default: the subnet's first usable address)
    #[arg(long, value_name = "IP")]
    pub gateway: Vec<String>,
    /// Allocate endpoint addresses from this sub-range only
    #[arg(long, value_name = "CIDR")]
    pub ip_range: Vec<String>,
    /// Reserve an address: NAME=IP
    #[arg(long, value_name = "NAME=IP")]
    pub aux_address: Vec<String>,
    /// IPv4 addressing; `--ipv4=false` with --ipv6 makes an IPv6-only network
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub ipv4: bool,
    /// Dual stack: an IPv6 subnet too (given with --subnet, or a /64 of ctnet's unique-local /48)
    #[arg(long)]
    pub ipv6: bool,
    /// No traffic leaves the network, none enters it
    #[arg(long)]
    pub internal: bool,
    /// DNS server for the network's sandboxes: the resolver forwards their other queries here
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// Metadata: K=V
    #[arg(long, value_name = "K=V")]
    pub label: Vec<String>,
    /// Driver option: bridge.name, mtu, icc, masquerade (Docker's names work too)
    #[arg(short, long = "opt", value_name = "K=V")]
    pub opt: Vec<String>,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Filter: driver=, id=, name=, label=K[=V], scope=, type=custom|builtin, dangling=true
    #[arg(short, long, value_name = "K=V")]
    pub filter: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Create a named network namespace (/run/netns/NAME) with lo up
    Create {
        name: String,
        #[command(flatten)]
        dns: DnsArgs,
    },
    /// List sandboxes
    #[command(alias = "list")]
    Ls,
    /// Show sandboxes as JSON
    Inspect {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Disconnect a sandbox from every network and remove it
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true)]
        names: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Sandbox name (default: run-<12 hex characters>)
    #[arg(long)]
    pub name: Option<String>,
    /// Networks to join, in order (default: bridge); `host` runs in the host's namespace,
    /// `none` leaves only lo
    #[arg(long, value_name = "NET")]
    pub network: Vec<String>,
    /// Publish a port on the first network: [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]
    #[arg(short, long = "publish", value_name = "SPEC")]
    pub publish: Vec<String>,
    /// Static IPv4 address on the first network
    #[arg(long)]
    pub ip: Option<String>,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    pub network: String,
    pub sandbox: String,
    /// The sandbox is this process's network namespace (an unshare-based container)
    #[arg(long, conflicts_with = "netns")]
    pub pid: Option<u32>,
    /// The sandbox is the namespace at this path
    #[arg(long, value_name = "PATH")]
    pub netns: Option<PathBuf>,
    /// Static IPv4 address
    #[arg(long)]
    pub ip: Option<String>,
    /// Static IPv6 address (on a network made with --ipv6)
    #[arg(long)]
    pub ip6: Option<String>,
    /// Extra name for the sandbox on this network
    #[arg(long, value_name = "NAME")]
    pub alias: Vec<String>,
    /// MAC address (default: 02:42 followed by the IPv4 address)
    #[arg(long)]
    pub mac: Option<String>,
    /// Interface name inside the sandbox (default: eth0, eth1, ...)
    #[arg(long, value_name = "NAME")]
    pub ifname: Option<String>,
    /// Publish a port: [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]
    #[arg(short, long = "publish", value_name = "SPEC")]
    pub publish: Vec<String>,
    #[command(flatten)]
    pub dns: DnsArgs,
}

/// A sandbox's own DNS settings, as Docker's flags.
#[derive(Debug, Args, Default, Clone)]
pub struct DnsArgs {
    /// DNS server for the sandbox (repeatable): in its resolv.conf, or where ctnet's
    /// resolver forwards its queries
    #[arg(long = "dns", value_name = "IP")]
    pub servers: Vec<String>,
    /// DNS search domain for the sandbox (repeatable)
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub search: Vec<String>,
    /// resolv.conf option for the sandbox (repeatable), e.g. ndots:2
    #[arg(long = "dns-option", value_name = "OPTION")]
    pub options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DisconnectArgs {
    pub network: String,
    pub sandbox: String,
    /// Forget the endpoint even if its kernel objects are already gone
    #[arg(short, long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::path::Path;

    fn check_or_update(path: &Path, fresh: &[u8]) {
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, fresh).unwrap();
        }
        let committed = std::fs::read(path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is out of date with the CLI definition: rerun with UPDATE_GOLDEN=1",
            path.display()
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The man pages and completions in the repository are generated from this file.
    #[test]
    fn man_pages_and_completions_are_current() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = std::env::temp_dir().join(format!("ctnet-man-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        clap_mangen::generate_to(Cli::command(), &tmp).unwrap();
        for entry in std::fs::read_dir(&tmp).unwrap() {
            let entry = entry.unwrap();
            let fresh = std::fs::read(entry.path()).unwrap();
            check_or_update(&root.join("man").join(entry.file_name()), &fresh);
        }
        std::fs::remove_dir_all(&tmp).unwrap();
        for (shell, file) in [
            (clap_complete::Shell::Bash, "ctnet.bash"),
            (clap_complete::Shell::Zsh, "_ctnet"),
            (clap_complete::Shell::Fish, "ctnet.fish"),
        ] {
            let mut fresh = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ctnet", &mut fresh);
            check_or_update(&root.join("completions").join(file), &fresh);
        }
    }
}
