//! `network create`'s flags as a `NetworkRequest`: each address flag may carry one IPv4
//! and (with --ipv6) one IPv6 value, as Docker's, and every value is parsed here.

use super::*;

pub(super) fn parse_ipv4(what: &str, text: &str) -> Result<Ipv4Addr, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}: expected an IPv4 address")))
}

pub(super) fn parse_ip6(what: &str, text: &str) -> Result<Ipv6Addr, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}: expected an IPv6 address")))
}

pub(super) fn parse_cidr(what: &str, text: &str) -> Result<Ipv4Net, UserError> {
    text.parse().map_err(|_| {
        UserError::new(format!(
            "invalid {what} {text:?}: expected IPv4 CIDR like 172.20.0.0/16"
        ))
    })
}

pub(super) fn parse_cidr6(what: &str, text: &str) -> Result<Ipv6Net, UserError> {
    text.parse().map_err(|_| {
        UserError::new(format!(
            "invalid {what} {text:?}: expected IPv6 CIDR like fd00:1::/64"
        ))
    })
}

/// `--dns` values: addresses of DNS servers, either family.
pub fn parse_dns_servers(values: &[String]) -> Result<Vec<std::net::IpAddr>, UserError> {
    values
        .iter()
        .map(|text| {
            text.parse().map_err(|_| {
                UserError::new(format!("invalid --dns {text:?}: expected an IP address"))
            })
        })
        .collect()
}

/// Splits a flag's values into IPv4 ones and IPv6 ones (those with a colon).
pub(super) fn by_family(values: &[String]) -> (Vec<String>, Vec<String>) {
    values.iter().cloned().partition(|v| !v.contains(':'))
}

/// At most one IPv4 value of a repeatable flag.
pub(super) fn single<'a>(
    flag: &str,
    values: &'a [String],
) -> Result<Option<&'a String>, UserError> {
    if values.len() > 1 {
        refuse!(
            "--{flag} is given {} times; a bridge network takes one IPv4 subnet",
            values.len()
        );
    }
    Ok(values.first())
}

/// At most one IPv6 value of a repeatable flag.
pub(super) fn single6<'a>(
    flag: &str,
    values: &'a [String],
) -> Result<Option<&'a String>, UserError> {
    if values.len() > 1 {
        refuse!(
            "--{flag} is given {} IPv6 values; a network takes one",
            values.len()
        );
    }
    Ok(values.first())
}

/// The request the command line makes: each address flag may carry one IPv4 and (with
/// --ipv6) one IPv6 value, as Docker's; every value is parsed here.
pub(super) fn request_from_args(
    args: &CreateArgs,
    store: Option<&str>,
    insecure_store: bool,
) -> Result<NetworkRequest> {
    let driver = Driver::parse(&args.driver)?;
    let (subnet4, subnet6) = by_family(&args.subnet);
    let (gateway4, gateway6) = by_family(&args.gateway);
    let (range4, range6) = by_family(&args.ip_range);
    let (mut aux, mut aux6) = (Vec::new(), Vec::new());
    for item in &args.aux_address {
        let (name, ip) = parse_key_value("aux-address", item)?;
        match ip.contains(':') {
            true => aux6.push((name, parse_ip6("aux-address", &ip)?)),
            false => aux.push((name, parse_ipv4("aux-address", &ip)?)),
        }
    }
    let ipv6 = if args.ipv6 {
        Some(PoolRequest {
            subnet: single6("subnet", &subnet6)?
                .map(|s| parse_cidr6("subnet", s))
                .transpose()?,
            gateway: single6("gateway", &gateway6)?
                .map(|g| parse_ip6("gateway", g))
                .transpose()?,
            range: single6("ip-range", &range6)?
                .map(|r| parse_cidr6("ip-range", r))
                .transpose()?,
            aux: aux6,
        })
    } else {
        if !(subnet6.is_empty() && gateway6.is_empty() && range6.is_empty() && aux6.is_empty()) {
            refuse!(
                "IPv6 addresses in --subnet, --gateway, --ip-range or --aux-address need --ipv6"
            );
        }
        None
    };
    let ipv4 = PoolRequest {
        subnet: single("subnet", &subnet4)?
            .map(|s| parse_cidr("subnet", s))
            .transpose()?,
        gateway: single("gateway", &gateway4)?
            .map(|g| parse_ipv4("gateway", g))
            .transpose()?,
        range: single("ip-range", &range4)?
            .map(|r| parse_cidr("ip-range", r))
            .transpose()?,
        aux,
    };
    let ipv4 = if args.ipv4 {
        Some(ipv4)
    } else {
        if ipv6.is_none() {
            refuse!("--ipv4=false needs --ipv6: a network needs addresses of one family at least");
        }
        if ipv4 != PoolRequest::default() {
            refuse!("--ipv4=false takes no IPv4 --subnet, --gateway, --ip-range or --aux-address");
        }
        None
    };
    Ok(NetworkRequest {
        name: args.name.clone(),
        driver,
        ipv4,
        ipv6,
        internal: args.internal,
        dns: parse_dns_servers(&args.dns)?,
        labels: parse_map("label", &args.label)?,
        options: parse_map("option", &args.opt)?,
        builtin: false,
        store: store.map(str::to_string),
        insecure_store,
    })
}
