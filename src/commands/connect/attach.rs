//! What an endpoint is asked to have, as one typed request: from `connect`'s flags, or
//! from a CNI runtime's capabilities.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::validate_ifname;
use crate::cli::ConnectArgs;
use crate::commands::publish;
use crate::error::UserError;
use crate::model::{DnsSettings, Mac, validate_name};
use crate::ports::PortSpec;

/// What an endpoint is asked to have, whichever front end asks (the CLI's flags, a CNI
/// runtime's capabilities): typed and checked before anything is looked up or changed.
#[derive(Debug, Default)]
pub struct Attach {
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    pub mac: Option<Mac>,
    pub aliases: Vec<String>,
    /// The interface name in the sandbox (default: the first free ethN).
    pub ifname: Option<String>,
    pub ports: Vec<PortSpec>,
    /// DNS settings for the sandbox (each kind given replaces what it had).
    pub dns: DnsSettings,
}

impl Attach {
    pub fn from_args(args: &ConnectArgs) -> Result<Attach, UserError> {
        let attach = Attach {
            ipv4: parse_address("--ip", "IPv4", &args.ip)?,
            ipv6: parse_address("--ip6", "IPv6", &args.ip6)?,
            mac: args.mac.as_deref().map(str::parse::<Mac>).transpose()?,
            aliases: args.alias.clone(),
            ifname: args.ifname.clone(),
            ports: publish::parse_specs(&args.publish)?,
            dns: crate::commands::sandbox::dns_settings(&args.dns)?,
        };
        attach.validate()?;
        Ok(attach)
    }

    /// The names in it are ones ctnet accepts.
    pub fn validate(&self) -> Result<(), UserError> {
        for alias in &self.aliases {
            validate_name("alias", alias)?;
        }
        if let Some(name) = &self.ifname {
            validate_ifname(name)?;
        }
        Ok(())
    }
}

fn parse_address<T: std::str::FromStr>(
    flag: &str,
    family: &str,
    text: &Option<String>,
) -> Result<Option<T>, UserError> {
    text.as_deref()
        .map(|ip| {
            ip.parse().map_err(|_| {
                UserError::new(format!(
                    "invalid {flag} {ip:?}: expected an {family} address"
                ))
            })
        })
        .transpose()
}
