//! `ctnet impair`'s arguments: one endpoint's link made slow, lossy or broken.

use clap::Args;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").multiple(true).args(["delay", "jitter", "loss", "corrupt", "rate"]))]
pub struct ImpairArgs {
    pub sandbox: String,
    /// The sandbox's interface (eth0, eth1, ...), on any ctnet network
    pub iface: String,
    /// Delay added to every packet (50ms, 1s, 200us)
    #[arg(long, value_name = "D")]
    pub delay: Option<String>,
    /// Variation of the delay (5ms)
    #[arg(long, value_name = "D")]
    pub jitter: Option<String>,
    /// Packets dropped (1%, 0.1%, 100%)
    #[arg(long, value_name = "P%")]
    pub loss: Option<String>,
    /// Packets with a bit flipped (0.1%)
    #[arg(long, value_name = "P%")]
    pub corrupt: Option<String>,
    /// Rate limit (10mbit, 512kbit, 1gbit)
    #[arg(long, value_name = "R")]
    pub rate: Option<String>,
    /// egress: what leaves the interface (the default); ingress: what reaches it
    #[arg(long, value_name = "DIR")]
    pub direction: Option<String>,
    /// Remove the impairment (of --direction, else of both)
    #[arg(long, conflicts_with = "what")]
    pub clear: bool,
    /// Take the link down (a flap: the cable pulled)
    #[arg(long, conflicts_with_all = ["what", "up", "clear"])]
    pub down: bool,
    /// Bring the link back up
    #[arg(long, conflicts_with_all = ["what", "clear"])]
    pub up: bool,
}
