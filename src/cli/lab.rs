//! `ctnet lab`'s subcommands: a topology kept as a YAML file.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Make the lab in FILE real, or bring a running one in step with an edited FILE
    /// (only the difference changes); says what it did
    #[command(
        long_about = "Makes the lab in FILE real in one transaction, or brings a running one in step \
with an edited FILE: only the difference changes, and it says what it did. FILE is YAML: \
name, networks (driver, subnet, gateway, ipv6, subnet6, internal, options), nodes \
(networks with ip, ip6, aliases, mac, ports, ifname, impair; sysctls; exec) and links \
(a: NODE:IFACE, b: NODE:IFACE, subnet, ips, mtu, impair a-b/b-a). The full reference is \
docs/lab-file.md in ctnet's repository."
    )]
    Up {
        #[arg(short, long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Remove everything the lab made (and nothing else), by its file or its name
    Down {
        #[arg(
            short,
            long,
            value_name = "FILE",
            conflicts_with = "name",
            required_unless_present = "name"
        )]
        file: Option<PathBuf>,
        name: Option<String>,
    },
    /// List the labs on this host
    #[command(alias = "list")]
    Ls,
    /// Show a lab as JSON: its networks, nodes, endpoints and impairments
    Inspect { name: String },
}
