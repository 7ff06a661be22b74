//! `ctnet network create | ls | inspect | rm | prune`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::Result;
use ipnet::{Ipv4Net, Ipv6Net};
use serde_json::{Value, json};

use super::{Ctx, Tx, new_id, now, print_table, short_id};
use crate::cli::{CreateArgs, Format, LsArgs};
use crate::drivers::{self, NetworkDriver, bridge::Bridge};
use crate::error::UserError;
use crate::kv::Kv;
use crate::model::{
    BridgeSettings, Driver, Ipam6Config, IpamConfig, LanSettings, MadeParent, Network,
    OverlaySettings, State, validate_name,
};
use crate::netopts::{BridgeOptions, LanOptions, OverlayOptions, parse_key_value, parse_map};
use crate::plan::Op;
use crate::refuse;
use crate::sys::Kernel;
use crate::{cluster, ifnames, ipam, ipam6};

/// Adds Docker's three predefined networks to a fresh state and returns the steps that
/// create the default bridge in the kernel.
pub fn add_default_networks(state: &mut State, kernel: &mut dyn Kernel) -> Result<Vec<Op>> {
    let host_nets = kernel.host_ipv4_in_use()?;
    let subnet = ipam::pick_subnet(&ipam::occupied(state, &host_nets))?;
    let created = now();
    let predefined = |name: &str, driver| -> Result<Network> {
        Ok(Network {
            id: new_id()?,
            name: name.into(),
            driver,
            created: created.clone(),
            ipam: vec![],
            internal: false,
            enable_ipv6: false,
            ipam6: None,
            labels: BTreeMap::new(),
            options: BTreeMap::new(),
            builtin: true,
            bridge: None,
            macvlan: None,
            ipvlan: None,
            overlay: None,
            members: BTreeMap::new(),
            aliases: BTreeMap::new(),
            members6: BTreeMap::new(),
            macs: BTreeMap::new(),
        })
    };
    let mut bridge = predefined("bridge", Driver::Bridge)?;
    bridge.ipam = vec![ipam::build_config(subnet, None, None, &[])?];
    bridge.bridge = Some(BridgeSettings {
        ifname: ifnames::DEFAULT_BRIDGE.into(),
        mtu: None,
        icc: true,
        masquerade: true,
        host_binding: None,
    });
    // Docker shows these options on its default bridge; scripts sometimes read them.
    bridge.options = [
        ("com.docker.network.bridge.default_bridge", "true"),
        ("com.docker.network.bridge.enable_icc", "true"),
        ("com.docker.network.bridge.enable_ip_masquerade", "true"),
        ("com.docker.network.bridge.name", ifnames::DEFAULT_BRIDGE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let plan = Bridge.create(&bridge);
    state.networks.push(bridge);
    state.networks.push(predefined("host", Driver::Host)?);
    state.networks.push(predefined("none", Driver::Null)?);
    Ok(plan)
}

fn parse_ipv4(what: &str, text: &str) -> Result<Ipv4Addr, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}: expected an IPv4 address")))
}

fn parse_ip6(what: &str, text: &str) -> Result<Ipv6Addr, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}: expected an IPv6 address")))
}

fn parse_cidr6(what: &str, text: &str) -> Result<Ipv6Net, UserError> {
    text.parse().map_err(|_| {
        UserError::new(format!(
            "invalid {what} {text:?}: expected IPv6 CIDR like fd00:1::/64"
        ))
    })
}

/// Splits a flag's values into IPv4 ones and IPv6 ones (those with a colon).
fn by_family(values: &[String]) -> (Vec<String>, Vec<String>) {
    values.iter().cloned().partition(|v| !v.contains(':'))
}

/// The IPv6 pool of a `--ipv6` network: the given subnet, or the first free /64 of ctnet's
/// unique-local /48.
fn plan_ipv6(
    enabled: bool,
    subnet: &[String],
    gateway: &[String],
    range: &[String],
    aux: &[(String, Ipv6Addr)],
    state: &State,
) -> Result<Option<Ipam6Config>> {
    if !enabled {
        if !(subnet.is_empty() && gateway.is_empty() && range.is_empty() && aux.is_empty()) {
            refuse!(
                "IPv6 addresses in --subnet, --gateway, --ip-range or --aux-address need --ipv6"
            );
        }
        return Ok(None);
    }
    let one = |flag: &str, values: &[String]| -> Result<Option<String>, UserError> {
        if values.len() > 1 {
            refuse!(
                "--{flag} is given {} IPv6 values; a network takes one",
                values.len()
            );
        }
        Ok(values.first().cloned())
    };
    let subnet = one("subnet", subnet)?
        .map(|s| parse_cidr6("subnet", &s))
        .transpose()?;
    let gateway = one("gateway", gateway)?
        .map(|g| parse_ip6("gateway", &g))
        .transpose()?;
    let range = one("ip-range", range)?
        .map(|r| parse_cidr6("ip-range", &r))
        .transpose()?;
    let used: Vec<Ipv6Net> = state
        .networks
        .iter()
        .filter_map(|n| Some(n.ipam6.as_ref()?.subnet))
        .collect();
    let subnet = match subnet {
        Some(subnet) => {
            if let Some((other, net)) = state.networks.iter().find_map(|n| {
                let theirs = n.ipam6.as_ref()?.subnet;
                (theirs.contains(&subnet.network()) || subnet.contains(&theirs.network()))
                    .then_some((&n.name, theirs))
            }) {
                refuse!("subnet {subnet} overlaps with network {other} ({net})");
            }
            subnet
        }
        None => {
            if gateway.is_some() || range.is_some() || !aux.is_empty() {
                refuse!("an IPv6 --gateway, --ip-range or --aux-address needs an IPv6 --subnet");
            }
            // RFC 4193's global ID from this host's machine-id (its hostname if it has none).
            let seed = std::fs::read("/etc/machine-id")
                .or_else(|_| std::fs::read("/proc/sys/kernel/hostname"))
                .unwrap_or_default();
            ipam6::pick_subnet(ipam6::ula_prefix(&seed), &used)?
        }
    };
    Ok(Some(ipam6::build_config(subnet, gateway, range, aux)?))
}

fn parse_cidr(what: &str, text: &str) -> Result<Ipv4Net, UserError> {
    text.parse().map_err(|_| {
        UserError::new(format!(
            "invalid {what} {text:?}: expected IPv4 CIDR like 172.20.0.0/16"
        ))
    })
}

/// At most one value of a repeatable flag, for the IPv4 bridge driver.
fn single<'a>(flag: &str, values: &'a [String]) -> Result<Option<&'a String>, UserError> {
    if values.len() > 1 {
        refuse!(
            "--{flag} is given {} times; a bridge network takes one IPv4 subnet",
            values.len()
        );
    }
    Ok(values.first())
}

/// The network `args` describe, fully validated against `state`; nothing is changed.
fn plan_network(
    args: &CreateArgs,
    state: &State,
    kernel: &mut dyn Kernel,
    store: Option<&str>,
) -> Result<Network> {
    validate_name("network", &args.name)?;
    if state.networks.iter().any(|n| n.name == args.name) {
        refuse!("network with name {} already exists", args.name);
    }
    let driver = Driver::parse(&args.driver)?;
    match driver {
        Driver::Bridge | Driver::Macvlan | Driver::Ipvlan | Driver::Overlay => {}
        Driver::Host | Driver::Null => {
            refuse!(
                "only one instance of the {} network is allowed, and it exists already",
                driver.name()
            )
        }
    }
    // Each address flag may carry one IPv4 and (with --ipv6) one IPv6 value, as Docker's.
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
    let ipam6 = plan_ipv6(args.ipv6, &subnet6, &gateway6, &range6, &aux6, state)?;
    let labels = parse_map("label", &args.label)?;
    let options = parse_map("option", &args.opt)?;
    let overlay_opts = match driver {
        Driver::Overlay => Some(OverlayOptions::parse(&options)?),
        _ => None,
    };
    let (bridge_opts, lan) = match driver {
        Driver::Overlay => (BridgeOptions::default(), None),
        Driver::Macvlan | Driver::Ipvlan => (
            BridgeOptions::default(),
            Some(plan_lan(driver, args, &options, state, kernel)?),
        ),
        _ => (BridgeOptions::parse(&options)?, None),
    };
    // Without a parent the network sits on a dummy interface and is internal, as in Docker.
    let internal = args.internal
        || lan
            .as_ref()
            .is_some_and(|l| l.made_parent == Some(MadeParent::Dummy));

    let subnet = single("subnet", &subnet4)?
        .map(|s| parse_cidr("subnet", s))
        .transpose()?;
    let gateway = single("gateway", &gateway4)?
        .map(|g| parse_ipv4("gateway", g))
        .transpose()?;
    let ip_range = single("ip-range", &range4)?
        .map(|r| parse_cidr("ip-range", r))
        .transpose()?;
    if !args.ipv4 {
        if ipam6.is_none() {
            refuse!("--ipv4=false needs --ipv6: a network needs addresses of one family at least");
        }
        if subnet.is_some() || gateway.is_some() || ip_range.is_some() || !aux.is_empty() {
            refuse!("--ipv4=false takes no IPv4 --subnet, --gateway, --ip-range or --aux-address");
        }
    }
    if ipam6.is_some()
        && let Some(mtu) = bridge_opts.mtu.filter(|m| *m < 1280)
    {
        refuse!("mtu {mtu} is too small for IPv6, which needs at least 1280");
    }
    let ipam = if args.ipv4 {
        vec![ipv4_pool(subnet, gateway, ip_range, &aux, state, kernel)?]
    } else {
        vec![]
    };
    // A bridge takes its subnet's traffic to itself: one over a network the host is on
    // (its uplink's LAN) would take the host's own address or a neighbour's, and one over
    // a narrower route would take that route's traffic. A broader route (a VPN's 10.0.0.0/8,
    // a split default) stays the way to everything else, so it is no reason to refuse.
    // (macvlan and ipvlan networks are meant to share the LAN's subnet.)
    if let (Driver::Bridge, Some(subnet)) = (driver, subnet) {
        let on_lan = kernel
            .host_ipv4_addresses()?
            .into_iter()
            .find(|lan| lan.contains(&subnet.network()) || subnet.contains(&lan.network()));
        let narrower = || -> Result<Option<ipnet::Ipv4Net>> {
            Ok(kernel.host_ipv4_in_use()?.into_iter().find(|route| {
                subnet.contains(&route.network()) && route.prefix_len() >= subnet.prefix_len()
            }))
        };
        if let Some(route) = on_lan.map_or_else(narrower, |lan| Ok(Some(lan)))? {
            refuse!(
                "subnet {subnet} overlaps {route}, which this host already reaches through an address or route of its own: the bridge would take that traffic; choose another subnet"
            );
        }
    }

    let id = new_id()?;
    let mut lan = lan;
    if let Some(lan) = lan
        .as_mut()
        .filter(|l| l.made_parent == Some(MadeParent::Dummy))
    {
        lan.parent = ifnames::dummy_parent(&id);
    }
    let ifname = bridge_opts
        .name
        .clone()
        .unwrap_or_else(|| ifnames::bridge(&id));
    if let Some(other) = state
        .networks
        .iter()
        .find(|n| n.bridge.as_ref().is_some_and(|b| b.ifname == ifname))
    {
        refuse!("bridge {ifname} already belongs to network {}", other.name);
    }
    let overlay = match overlay_opts {
        Some(opts) => Some(plan_overlay(
            opts, &args.name, &ipam, &id, state, kernel, store,
        )?),
        None => None,
    };
    Ok(Network {
        id,
        name: args.name.clone(),
        driver,
        created: now(),
        ipam,
        internal,
        enable_ipv6: ipam6.is_some(),
        ipam6,
        labels,
        options,
        builtin: false,
        overlay,
        bridge: (lan.is_none() && driver != Driver::Overlay).then(|| BridgeSettings {
            ifname,
            mtu: bridge_opts.mtu,
            icc: bridge_opts.icc.unwrap_or(true),
            masquerade: bridge_opts.masquerade.unwrap_or(true),
            host_binding: bridge_opts.host_binding_ipv4,
        }),
        macvlan: lan.clone().filter(|_| driver == Driver::Macvlan),
        ipvlan: lan.filter(|_| driver == Driver::Ipvlan),
        members: BTreeMap::new(),
        aliases: BTreeMap::new(),
        members6: BTreeMap::new(),
        macs: BTreeMap::new(),
    })
}

/// The IPv4 pool: the given subnet (checked against every other network), or the first
/// free one of the default pools.
fn ipv4_pool(
    subnet: Option<Ipv4Net>,
    gateway: Option<Ipv4Addr>,
    ip_range: Option<Ipv4Net>,
    aux: &[(String, Ipv4Addr)],
    state: &State,
    kernel: &mut dyn Kernel,
) -> Result<IpamConfig> {
    Ok(match subnet {
        Some(subnet) => {
            if let Some(other) = ipam::occupied(state, &[])
                .into_iter()
                .find(|o| o.net.contains(&subnet.network()) || subnet.contains(&o.net.network()))
            {
                refuse!(
                    "subnet {subnet} overlaps with {} ({})",
                    other.reason,
                    other.net
                );
            }
            ipam::build_config(subnet, gateway, ip_range, aux)?
        }
        None => {
            if gateway.is_some() || ip_range.is_some() || !aux.is_empty() {
                refuse!("an IPv4 --gateway, --ip-range or --aux-address needs an IPv4 --subnet");
            }
            let host_nets = kernel.host_ipv4_in_use()?;
            let subnet = ipam::pick_subnet(&ipam::occupied(state, &host_nets))?;
            ipam::build_config(subnet, None, None, &[])?
        }
    })
}

/// An overlay network's settings: its VNI (given, or derived from its name, which every
/// host of the network shares), its peers, and the underlay towards them.
fn plan_overlay(
    opts: OverlayOptions,
    name: &str,
    ipam: &[IpamConfig],
    id: &str,
    state: &State,
    kernel: &mut dyn Kernel,
    store: Option<&str>,
) -> Result<OverlaySettings> {
    if ipam.is_empty() {
        refuse!("an overlay network needs an IPv4 --subnet");
    }
    let vni = opts.vni.unwrap_or_else(|| overlay_vni(name));
    if let Some(other) = state
        .networks
        .iter()
        .find(|n| n.overlay.as_ref().is_some_and(|o| o.vni == vni))
    {
        refuse!(
            "VNI {vni} is already used by network {}; pick another with -o vni=N",
            other.name
        );
    }
    let mtu = |underlay_mtu: u32| {
        opts.mtu
            .unwrap_or(underlay_mtu.saturating_sub(crate::drivers::overlay::VXLAN_OVERHEAD))
    };
    let mut settings = OverlaySettings {
        vni,
        peers: Vec::new(),
        bridge: ifnames::overlay_bridge(id),
        vxlan: ifnames::vxlan(id),
        underlay: String::new(),
        mtu: 0,
        store: None,
        vtep: None,
        remotes: BTreeMap::new(),
        encrypted: false,
        keys: None,
    };
    // Cluster mode: the store knows the peers; the underlay is the way to the store.
    if opts.peers.is_empty() {
        let Some(url) = store else {
            refuse!(
                "an overlay network needs -o peer=IP[,IP...] (static mode: the other hosts' \
                 addresses) or --store etcd://HOST:PORT (cluster mode)"
            );
        };
        let underlay = cluster::underlay_towards(kernel, url)?;
        settings.mtu = mtu(underlay.mtu);
        settings.vtep = Some(cluster::local_vtep(&underlay));
        settings.underlay = underlay.dev;
        settings.store = Some(url.to_string());
        if opts.encrypted {
            settings.encrypted = true;
            settings.keys = Some(crate::esp::EspKeys::new(&super::random_bytes()?));
        }
        return Ok(settings);
    }
    if opts.encrypted {
        refuse!(
            "-o encrypted needs cluster mode (--store etcd://HOST:PORT): the keys are held in the store"
        );
    }
    // The same peer list may be pasted on every host: this host's own address is dropped.
    let mut underlay: Option<(String, u32)> = None;
    for peer in opts.peers {
        let Some(route) = kernel.route_to(peer)? else {
            refuse!(
                "no route to peer {peer}: the overlay's VXLAN traffic could not leave this host"
            );
        };
        let (dev, route_mtu) = (route.dev, route.mtu);
        if dev == "lo" {
            continue;
        }
        match &underlay {
            Some((other, _)) if *other != dev => {
                refuse!("peers are reached through {other} and {dev}: an overlay has one underlay")
            }
            Some((_, known)) if *known <= route_mtu => {}
            _ => underlay = Some((dev, route_mtu)),
        }
        settings.peers.push(peer);
    }
    let Some((underlay, underlay_mtu)) = underlay else {
        refuse!("every peer is this host's own address: list the other hosts");
    };
    settings.mtu = mtu(underlay_mtu);
    settings.underlay = underlay;
    Ok(settings)
}

/// Docker's overlay VNIs start at 4096; ctnet derives one from the network's name so that
/// every host that creates the network by that name agrees without asking anyone.
fn overlay_vni(name: &str) -> u32 {
    let mut hash: u32 = 0x811c9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x01000193);
    }
    4096 + hash % (16_777_215 - 4096)
}

/// A macvlan or ipvlan network's settings, refusing what cannot work here.
fn plan_lan(
    driver: Driver,
    args: &CreateArgs,
    options: &BTreeMap<String, String>,
    state: &State,
    kernel: &mut dyn Kernel,
) -> Result<LanSettings> {
    let kind = driver.name();
    let opts = LanOptions::parse(driver, options)?;
    let routed = matches!(opts.mode.as_str(), "l3" | "l3s");
    if args.subnet.is_empty() {
        refuse!(
            "a {kind} network is on the LAN: give its --subnet (and --gateway, the LAN's router)"
        );
    }
    if routed && !args.gateway.is_empty() {
        refuse!(
            "an ipvlan {} network takes no --gateway: the host routes for it, and each sandbox's \
             default route goes out of its interface",
            opts.mode
        );
    }
    if args.internal && opts.parent.is_some() {
        refuse!("--internal does not apply to {kind} on a parent: its containers are on the LAN");
    }
    let mut needs = vec![(kind, kernel_option(driver))];
    let (parent, made_parent) = match opts.parent {
        None => {
            needs.push(("dummy", "CONFIG_DUMMY"));
            // Named after the network's id once it has one (see `plan_network`).
            (String::new(), Some(MadeParent::Dummy))
        }
        Some(parent) if parent == "lo" => {
            refuse!("parent lo is the loopback interface: {kind} needs an interface on a LAN")
        }
        Some(parent) => match kernel.link_enslaved(&parent)? {
            Some(true) => refuse!(
                "parent {parent} is a port of a bridge: {kind} needs an interface of its own"
            ),
            Some(false) => (parent, None),
            None => match vlan_of(&parent) {
                Some((link, id)) => {
                    match kernel.link_enslaved(&link)? {
                        None => {
                            refuse!("parent {parent} does not exist, nor does {link} to make it on")
                        }
                        Some(true) => {
                            refuse!("{link} is a port of a bridge: VLAN {id} cannot be made on it")
                        }
                        Some(false) => {}
                    }
                    needs.push(("802.1q vlan", "CONFIG_VLAN_8021Q"));
                    (parent, Some(MadeParent::Vlan { link, id }))
                }
                None => refuse!("parent {parent} does not exist"),
            },
        },
    };
    if let Some(bridge) = state
        .networks
        .iter()
        .find(|n| n.bridge.as_ref().is_some_and(|b| b.ifname == parent))
    {
        refuse!("parent {parent} is the bridge of network {}", bridge.name);
    }
    if let Some(other) = state
        .networks
        .iter()
        .find(|n| n.lan().is_some_and(|l| l.parent == parent))
    {
        refuse!(
            "parent {parent} is already used by network {} (one network per parent, as in Docker; \
             use a VLAN sub-interface such as {parent}.10 for another)",
            other.name
        );
    }
    let missing = kernel.missing_link_kinds(&needs.iter().map(|(k, _)| *k).collect::<Vec<_>>());
    if let Some((label, option)) = needs.iter().find(|(k, _)| missing.contains(k)) {
        refuse!("this kernel cannot make {label} interfaces ({option} is not set)");
    }
    Ok(LanSettings {
        parent,
        mode: opts.mode,
        flag: opts.flag,
        mtu: opts.mtu,
        made_parent,
    })
}

/// The kernel option behind a driver.
fn kernel_option(driver: Driver) -> &'static str {
    match driver {
        Driver::Ipvlan => "CONFIG_IPVLAN",
        _ => "CONFIG_MACVLAN",
    }
}

/// `eth0.10` → (`eth0`, 10): the parent names a VLAN sub-interface to make.
fn vlan_of(parent: &str) -> Option<(String, u16)> {
    let (link, id) = parent.rsplit_once('.')?;
    let id: u16 = id.parse().ok().filter(|id| (1..=4094).contains(id))?;
    (!link.is_empty()).then(|| (link.to_string(), id))
}

/// Docker's `docker_gwbridge`: the bridge network through which overlay endpoints reach the
/// outside and publish ports. Made on a host with its first overlay endpoint; closed
/// between its endpoints (icc=false), so containers never talk to each other over it.
pub const GATEWAY_BRIDGE: &str = "ctnet_gwbridge";

/// The gateway bridge network, and the steps that make it (none if it exists).
pub fn gateway_bridge(state: &State, kernel: &mut dyn Kernel) -> Result<(Network, Vec<Op>)> {
    if let Some(existing) = state.networks.iter().find(|n| n.name == GATEWAY_BRIDGE) {
        return Ok((existing.clone(), Vec::new()));
    }
    let args = CreateArgs {
        driver: "bridge".into(),
        subnet: vec![],
        gateway: vec![],
        ip_range: vec![],
        aux_address: vec![],
        ipv4: true,
        ipv6: false,
        internal: false,
        label: vec![],
        opt: vec![
            "com.docker.network.bridge.enable_icc=false".into(),
            "com.docker.network.bridge.name=ctnet_gwbridge".into(),
        ],
        name: GATEWAY_BRIDGE.into(),
    };
    let mut network = plan_network(&args, state, kernel, None)?;
    // Like the predefined networks: it resolves no names and `network rm` leaves it.
    network.builtin = true;
    let plan = Bridge.create(&network);
    Ok((network, plan))
}

pub fn create(ctx: &mut Ctx, args: &CreateArgs) -> Result<()> {
    if args.name == GATEWAY_BRIDGE {
        refuse!("{GATEWAY_BRIDGE} is ctnet's: overlay endpoints get it by themselves");
    }
    let mut tx = Tx::begin(ctx)?;
    let network = plan_network(args, &tx.state, ctx.kernel, ctx.global.store.as_deref())?;
    // An overlay comes to a host with its first endpoint there.
    let plan = match network.overlay {
        Some(_) => Vec::new(),
        None => drivers::for_network(&network)?.create(&network),
    };
    // A cluster network is the cluster's first: it exists once the store has it.
    let mut published = match cluster::store_of(&network) {
        Some(url) if !ctx.global.dry_run => {
            let mut kv = Kv::connect(url)?;
            cluster::publish_network(&mut kv, &network)?;
            Some(kv)
        }
        _ => None,
    };
    let id = network.id.clone();
    let name = network.name.clone();
    let vni = network.overlay.as_ref().map(|o| o.vni);
    let forwarded = network.bridge.is_some() || network.overlay.is_some();
    tx.state.networks.push(network);
    if let Err(e) = tx.commit(ctx, plan) {
        if let (Some(kv), Some(vni)) = (published.as_mut(), vni)
            && let Err(undo) = cluster::withdraw_network(kv, &name, vni)
        {
            eprintln!("ctnet: warning: network {name} stays in the store: {undo:#}");
        }
        return Err(e);
    }
    if !ctx.global.dry_run {
        writeln!(ctx.out, "{id}")?;
        if forwarded {
            warn_about_forward_blockers(ctx, &name);
        }
    }
    Ok(())
}

/// One line on stderr when another table drops forwarded traffic that this network needs;
/// `ctnet doctor` says more, with the rules to add.
fn warn_about_forward_blockers(ctx: &mut Ctx, name: &str) {
    let Ok(host) = ctx.kernel.host_firewall() else {
        return;
    };
    let blockers: Vec<String> = host
        .forward_blockers()
        .iter()
        .map(|c| c.to_string())
        .collect();
    if !blockers.is_empty() {
        eprintln!(
            "ctnet: warning: {} drops forwarded traffic by default: network {name}'s {} will not work unless it accepts them (see 'ctnet doctor' for the rules to add)",
            blockers.join(" and "),
            host.what_breaks()
        );
    }
}

/// Docker's `network ls --filter` keys.
fn matches_filter(net: &Network, key: &str, value: &str) -> Result<bool, UserError> {
    Ok(match key {
        "driver" => net.driver.name() == value || (value == "none" && net.driver == Driver::Null),
        "id" => net.id.starts_with(value),
        "name" => net.name.contains(value),
        "label" => match value.split_once('=') {
            Some((k, v)) => net.labels.get(k).is_some_and(|x| x == v),
            None => net.labels.contains_key(value),
        },
        "scope" => value == "local",
        "type" => match value {
            "builtin" => net.builtin,
            "custom" => !net.builtin,
            _ => refuse!("invalid filter type={value}: use builtin or custom"),
        },
        "dangling" => {
            let unused = !net.builtin && net.member_names().is_empty();
            match value {
                "true" | "1" => unused,
                "false" | "0" => !unused,
                _ => refuse!("invalid filter dangling={value}: use true or false"),
            }
        }
        _ => {
            refuse!("invalid filter {key:?}: use driver, id, name, label, scope, type or dangling")
        }
    })
}

pub fn ls(ctx: &mut Ctx, args: &LsArgs) -> Result<()> {
    let filters: Vec<(String, String)> = args
        .filter
        .iter()
        .map(|f| parse_key_value("filter", f))
        .collect::<Result<_, _>>()?;
    let state = Tx::read(ctx, false)?;
    // Filters with the same key widen the match, different keys narrow it, as in Docker.
    let mut shown = Vec::new();
    for net in &state.networks {
        let mut keep = true;
        for key in filters
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let mut any = false;
            for (_, value) in filters.iter().filter(|(k, _)| k == key) {
                any |= matches_filter(net, key, value)?;
            }
            keep &= any;
        }
        if keep {
            shown.push(net);
        }
    }
    if ctx.global.quiet {
        for net in shown {
            writeln!(ctx.out, "{}", short_id(&net.id))?;
        }
        return Ok(());
    }
    match ctx.format() {
        Format::Json => {
            // One object per line, as `docker network ls --format json` prints.
            for net in shown {
                let line = json!({
                    "CreatedAt": net.created, "Driver": net.driver.name(), "ID": short_id(&net.id),
                    "IPv6": net.enable_ipv6.to_string(), "Internal": net.internal.to_string(),
                    "Labels": net.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
                    "Name": net.name, "Scope": scope(net),
                });
                writeln!(ctx.out, "{line}")?;
            }
        }
        Format::Table | Format::Dot | Format::Mermaid => {
            let rows: Vec<Vec<String>> = shown
                .iter()
                .map(|n| {
                    vec![
                        short_id(&n.id).into(),
                        n.name.clone(),
                        n.driver.name().into(),
                        scope(n).into(),
                    ]
                })
                .collect();
            print_table(ctx.out, &["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows)?;
        }
    }
    Ok(())
}

/// Docker's scope: "global" for a network the cluster store holds.
fn scope(net: &Network) -> &'static str {
    match cluster::store_of(net) {
        Some(_) => "global",
        None => "local",
    }
}

/// A network as `docker network inspect` shows it.
pub fn inspect_json(net: &Network, state: &State) -> Value {
    let mut configs: Vec<Value> = net
        .ipam
        .iter()
        .map(|c: &IpamConfig| {
            let mut v = json!({ "Subnet": c.subnet.to_string(), "Gateway": c.gateway.to_string() });
            if let Some(range) = c.ip_range {
                v["IPRange"] = json!(range.to_string());
            }
            if !c.aux_addresses.is_empty() {
                v["AuxiliaryAddresses"] = json!(c.aux_addresses);
            }
            v
        })
        .collect();
    if let Some(c) = &net.ipam6 {
        let mut v = json!({ "Subnet": c.subnet.to_string(), "Gateway": c.gateway.to_string() });
        if let Some(range) = c.ip_range {
            v["IPRange"] = json!(range.to_string());
        }
        if !c.aux_addresses.is_empty() {
            v["AuxiliaryAddresses"] = json!(c.aux_addresses);
        }
        configs.push(v);
    }
    let containers: serde_json::Map<String, Value> = state
        .endpoints_of_network(&net.id)
        .filter_map(|ep| {
            let sandbox = state.sandbox_by_id(&ep.sandbox_id)?;
            Some((
                sandbox.id.clone(),
                json!({
                    "Name": sandbox.name, "EndpointID": ep.id, "MacAddress": ep.mac,
                    "IPv4Address": ep.ipv4.map(|a| a.to_string()).unwrap_or_default(),
                    "IPv6Address": ep.ipv6.map(|a| a.to_string()).unwrap_or_default(),
                    "Ports": super::publish::ports_json(&ep.ports),
                }),
            ))
        })
        .collect();
    json!({
        "Name": net.name,
        "Id": net.id,
        "Created": net.created,
        "Scope": scope(net),
        "Driver": net.driver.name(),
        "EnableIPv4": net.driver != Driver::Null && net.driver != Driver::Host,
        "EnableIPv6": net.enable_ipv6,
        "IPAM": { "Driver": "default", "Options": {}, "Config": configs },
        "Internal": net.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": containers,
        "Options": net.options,
        "Labels": net.labels,
    })
}

pub fn inspect(ctx: &mut Ctx, keys: &[String]) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    let mut found = Vec::new();
    for key in keys {
        found.push(inspect_json(state.network(key)?, &state));
    }
    serde_json::to_writer_pretty(&mut *ctx.out, &found)?;
    writeln!(ctx.out)?;
    Ok(())
}

/// Removes `network` from `tx.state` and returns the kernel steps, refusing what Docker refuses.
fn plan_removal(tx: &mut Tx, network: &Network) -> Result<Vec<Op>> {
    // The gateway bridge is made on demand, and may go once no overlay endpoint uses it.
    if network.builtin && network.name != GATEWAY_BRIDGE {
        refuse!(
            "{} is a pre-defined network and cannot be removed",
            network.name
        );
    }
    let attached: Vec<String> = network.member_names().into_iter().cloned().collect();
    if !attached.is_empty() {
        refuse!(
            "network {} has active endpoints ({}): disconnect them first",
            network.name,
            attached.join(", ")
        );
    }
    tx.state.networks.retain(|n| n.id != network.id);
    Ok(match drivers::for_network(network) {
        Ok(driver) => driver.delete(network),
        Err(_) => vec![],
    })
}

pub fn rm(ctx: &mut Ctx, keys: &[String]) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let mut plan = Vec::new();
    // All or nothing: every name is resolved and checked before anything is removed, and
    // a network named twice (or by name and by id) is removed once.
    let mut networks: Vec<Network> = Vec::new();
    for key in keys {
        let network = tx.state.network(key)?;
        if !networks.iter().any(|n| n.id == network.id) {
            networks.push(network.clone());
        }
    }
    for network in &networks {
        plan.extend(plan_removal(&mut tx, network)?);
    }
    // Cluster networks leave the store first (refused while any host has endpoints on
    // them), and come back if anything fails.
    let mut withdrawn: Vec<(Kv, &Network)> = Vec::new();
    let mut result = Ok(());
    for network in networks.iter().filter(|_| !ctx.global.dry_run) {
        let Some(url) = cluster::store_of(network) else {
            continue;
        };
        let removed = Kv::connect(url).and_then(|mut kv| {
            cluster::remove_network(&mut kv, network)?;
            Ok(kv)
        });
        match removed {
            Ok(kv) => withdrawn.push((kv, network)),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let result = result.and_then(|()| tx.commit(ctx, plan));
    if result.is_err() {
        for (mut kv, network) in withdrawn {
            if let Err(e) = cluster::publish_network(&mut kv, network) {
                eprintln!(
                    "ctnet: warning: could not put network {} back into the store: {e:#}",
                    network.name
                );
            }
        }
    }
    result?;
    if !ctx.global.dry_run {
        for key in keys {
            writeln!(ctx.out, "{key}")?;
        }
    }
    Ok(())
}

pub fn prune(ctx: &mut Ctx) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let unused: Vec<Network> = tx
        .state
        .networks
        .iter()
        // A cluster network is the cluster's: unused here says nothing about elsewhere.
        .filter(|n| !n.builtin && n.member_names().is_empty() && cluster::store_of(n).is_none())
        .cloned()
        .collect();
    let mut plan = Vec::new();
    for network in &unused {
        plan.extend(plan_removal(&mut tx, network)?);
    }
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run && !unused.is_empty() {
        writeln!(ctx.out, "Deleted Networks:")?;
        for network in &unused {
            writeln!(ctx.out, "{}", network.name)?;
        }
    }
    Ok(())
}
