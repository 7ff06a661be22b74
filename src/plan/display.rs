//! Each step as the `ip`, `nft` or `sysctl` command that does the same: what `-v` and
//! `--dry-run` print, so a learner can replay a plan by hand.

use std::fmt;

use ipnet::IpNet;

use super::{Flows, Ns, Op, forwarding_key};
use crate::model::MadeParent;
use crate::plan::xfrm::XfrmChange;

/// `ip -n NAME` for named namespaces, `nsenter --net=PATH ip` for the rest.
fn ip_in(ns: &Ns) -> String {
    match ns {
        Ns::Host => "ip".into(),
        Ns::Path(path) => match netns_name(path) {
            Some(name) => format!("ip -n {name}"),
            None => format!("nsenter --net={} ip", path.display()),
        },
    }
}

fn netns_name(path: &std::path::Path) -> Option<String> {
    let name = path.strip_prefix("/run/netns").ok()?;
    Some(name.to_str()?.to_string())
}

fn address_arg(mac: &Option<crate::model::Mac>) -> String {
    mac.map(|m| format!(" address {m}")).unwrap_or_default()
}

fn mtu_arg(mtu: &Option<u32>) -> String {
    mtu.map(|m| format!(" mtu {m}")).unwrap_or_default()
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::CreateBridge {
                name,
                mtu,
                alias,
                mac,
            } => write!(
                f,
                "ip link add {name}{} address {} type bridge && ip link set {name} alias {alias} up",
                mtu_arg(mtu),
                mac
            ),
            Op::CreateVeth {
                host_name,
                bridge,
                alias,
                mtu,
                isolated,
                peer_ns,
                peer_name,
                peer_mac,
            } => {
                let netns = netns_name(peer_ns).unwrap_or_else(|| peer_ns.display().to_string());
                write!(
                    f,
                    "ip link add {host_name}{mtu} master {bridge} type veth peer name {peer_name} netns {netns}\
                     {}{mtu} && ip link set {host_name} alias {alias} addrgenmode none up",
                    address_arg(peer_mac),
                    mtu = mtu_arg(mtu)
                )?;
                if *isolated {
                    write!(f, " && bridge link set dev {host_name} isolated on")?;
                }
                Ok(())
            }
            Op::CreateVethBetween { a, b, mtu } => {
                let netns = |ns: &std::path::PathBuf| {
                    netns_name(ns).unwrap_or_else(|| ns.display().to_string())
                };
                write!(
                    f,
                    "ip -n {} link add {}{}{mtu} type veth peer name {} netns {}{}{mtu}",
                    netns(&a.ns),
                    a.name,
                    address_arg(&a.mac),
                    b.name,
                    netns(&b.ns),
                    address_arg(&b.mac),
                    mtu = mtu_arg(mtu)
                )
            }
            Op::CreateMacvlan {
                parent,
                mode,
                mtu,
                peer_ns,
                name,
                mac,
            } => {
                let netns = netns_name(peer_ns).unwrap_or_else(|| peer_ns.display().to_string());
                write!(
                    f,
                    "ip link add {name} link {parent} netns {netns}{}{} type macvlan mode {}",
                    address_arg(mac),
                    mtu_arg(mtu),
                    mode.name()
                )
            }
            Op::CreateIpvlan {
                parent,
                mode,
                flag,
                mtu,
                peer_ns,
                name,
            } => {
                let netns = netns_name(peer_ns).unwrap_or_else(|| peer_ns.display().to_string());
                let flag = flag.map(|f| format!(" {}", f.name())).unwrap_or_default();
                write!(
                    f,
                    "ip link add {name} link {parent} netns {netns}{} type ipvlan mode {}{flag}",
                    mtu_arg(mtu),
                    mode.name()
                )
            }
            Op::CreateVxlan {
                name,
                vni,
                underlay,
                mtu,
                bridge,
                alias,
                vtep,
            } => {
                write!(
                    f,
                    "ip link add {name} mtu {mtu} type vxlan id {vni} dstport {} dev {underlay} ",
                    crate::ifnames::VXLAN_PORT
                )?;
                match vtep {
                    Some(vtep) => write!(f, "local {vtep} nolearning proxy")?,
                    None => write!(f, "learning")?,
                }
                write!(
                    f,
                    " && ip link set {name} master {bridge} alias {alias} addrgenmode none up"
                )
            }
            Op::AddRemote { dev, remote } => {
                let mac = &remote.mac;
                write!(
                    f,
                    "bridge fdb replace {mac} dev {dev} dst {} self permanent",
                    remote.vtep
                )?;
                for ip in remote.addresses() {
                    write!(
                        f,
                        " && ip neigh replace {ip} lladdr {mac} dev {dev} nud permanent"
                    )?;
                }
                Ok(())
            }
            // Keys stay out of logs and dry runs.
            Op::Xfrm { change, object } => {
                let commands: Vec<String> =
                    crate::plan::xfrm::xfrm_commands(*change != XfrmChange::Remove, object)
                        .iter()
                        .map(|c| crate::plan::xfrm::redact(c))
                        .collect();
                write!(f, "{}", commands.join(" && "))
            }
            Op::DeleteRemote { dev, remote } => {
                write!(f, "bridge fdb del {} dev {dev} self", remote.mac)?;
                for ip in remote.addresses() {
                    write!(f, " && ip neigh del {ip} dev {dev}")?;
                }
                Ok(())
            }
            Op::AddFloodEntry { dev, peer } => {
                write!(
                    f,
                    "bridge fdb append 00:00:00:00:00:00 dev {dev} dst {peer}"
                )
            }
            Op::CreateParent { name, made, alias } => {
                match made {
                    MadeParent::Vlan { link, id } => {
                        write!(f, "ip link add {name} link {link} type vlan id {id}")?
                    }
                    MadeParent::Dummy => write!(f, "ip link add {name} type dummy")?,
                }
                write!(f, " && ip link set {name} alias {alias} up")
            }
            Op::LinkUp { ns, dev } => write!(f, "{} link set {dev} up", ip_in(ns)),
            Op::SysctlIn { ns, key, value } => write!(
                f,
                "{} sysctl -qw {key}={value}",
                ip_in(&Ns::Path(ns.clone()))
                    .replacen(" ip", "", 1)
                    .replacen("ip -n", "ip netns exec", 1)
            ),
            Op::LinkDown { ns, dev } => write!(f, "{} link set {dev} down", ip_in(ns)),
            Op::Impair { ns, dev, to, .. } => {
                let tc = ip_in(ns).replacen("ip", "tc", 1);
                match to {
                    Some(impairment) => write!(
                        f,
                        "{tc} qdisc replace dev {dev} root {}",
                        impairment.tc_args().join(" ")
                    ),
                    None => write!(f, "{tc} qdisc del dev {dev} root"),
                }
            }
            Op::PrepareLink {
                ns,
                dev,
                alias,
                link_local,
            } => {
                let mode = if *link_local { "" } else { " addrgenmode none" };
                write!(f, "{} link set {dev} alias {alias}{mode}", ip_in(ns))
            }
            Op::DeleteAddress { ns, dev, addr } => {
                write!(f, "{} addr del {addr} dev {dev}", ip_in(ns))
            }
            Op::AddAddress { ns, dev, addr } => {
                let nodad = if matches!(addr, IpNet::V6(_)) {
                    " nodad"
                } else {
                    ""
                };
                write!(f, "{} addr add {addr} dev {dev}{nodad}", ip_in(ns))
            }
            Op::AddDefaultRoute6 {
                ns,
                dev,
                gateway,
                replace,
            } => {
                let verb = if *replace { "replace" } else { "add" };
                let via = gateway.map(|g| format!(" via {g}")).unwrap_or_default();
                write!(f, "{} -6 route {verb} default{via} dev {dev}", ip_in(ns))
            }
            Op::AddDefaultRoute {
                ns,
                dev,
                gateway,
                replace,
            } => {
                let verb = if *replace { "replace" } else { "add" };
                let via = gateway.map(|g| format!(" via {g}")).unwrap_or_default();
                write!(f, "{} route {verb} default{via} dev {dev}", ip_in(ns))
            }
            Op::DeleteLink { ns, dev } => write!(f, "{} link del {dev}", ip_in(ns)),
            Op::CreateNetns { name } => {
                write!(f, "ip netns add {name} && ip -n {name} link set lo up")
            }
            Op::DeleteNetns { name } => write!(f, "ip netns del {name}"),
            Op::Sysctl { key, value } => write!(f, "sysctl -w {key}={value}"),
            Op::ForgetFlows {
                flows: Flows::Of(addr),
            } => write!(
                f,
                "conntrack -D --orig-src {addr}; conntrack -D --reply-src {addr}"
            ),
            Op::ForgetFlows {
                flows: Flows::ToUdpPorts(ranges),
            } => {
                let each: Vec<String> = ranges
                    .iter()
                    .map(|r| match (r.start(), r.end()) {
                        (a, b) if a == b => format!("conntrack -D -p udp --dport {a}"),
                        (a, b) => format!(
                            "for p in $(seq {a} {b}); do conntrack -D -p udp --dport $p; done"
                        ),
                    })
                    .collect();
                write!(f, "{}", each.join("; "))
            }
            Op::EnableForwarding { ipv6 } => write!(f, "sysctl -w {}=1", forwarding_key(*ipv6)),
            Op::DisableForwarding { ipv6 } => write!(f, "sysctl -w {}=0", forwarding_key(*ipv6)),
            Op::AttachToBridge {
                dev,
                bridge,
                isolated,
            } => {
                write!(f, "ip link set {dev} master {bridge}")?;
                if *isolated {
                    write!(f, " && bridge link set dev {dev} isolated on")?;
                }
                Ok(())
            }
            Op::DockerUser { bridges, .. } => write!(
                f,
                "# where Docker's chain exists: iptables -I DOCKER-USER -i BRIDGE -j ACCEPT, and -o, for {}",
                if bridges.is_empty() {
                    "no bridge (ctnet's rules go)".to_string()
                } else {
                    bridges.join(", ")
                }
            ),
            // Keys are paths under /proc/sys (slashes, since interface names may hold dots);
            // sysctl(8) takes that form too.
            Op::Firewall { ruleset, .. } => write!(f, "nft -f - <<'EOF'\n{}EOF", ruleset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_print_as_ip_commands() {
        let op = Op::CreateVeth {
            host_name: "vctnabc".into(),
            bridge: "ctnet0".into(),
            alias: "ctnet:abc".into(),
            mtu: Some(1400),
            isolated: false,
            peer_ns: "/run/netns/web".into(),
            peer_name: "eth0".into(),
            peer_mac: "02:42:ac:11:00:02".parse().ok(),
        };
        assert_eq!(
            op.to_string(),
            "ip link add vctnabc mtu 1400 master ctnet0 type veth peer name eth0 netns web \
             address 02:42:ac:11:00:02 mtu 1400 && ip link set vctnabc alias ctnet:abc addrgenmode none up"
        );
        let route = Op::AddDefaultRoute {
            replace: false,
            ns: Ns::Path("/proc/42/ns/net".into()),
            dev: "eth0".into(),
            gateway: Some("172.17.0.1".parse().unwrap()),
        };
        assert_eq!(
            route.to_string(),
            "nsenter --net=/proc/42/ns/net ip route add default via 172.17.0.1 dev eth0"
        );
    }

    #[test]
    fn creations_undo_to_deletions() {
        let op = Op::CreateBridge {
            name: "ctn-x".into(),
            mtu: None,
            alias: "ctnet:x".into(),
            mac: "02:42:0a:00:00:01".parse().unwrap(),
        };
        assert_eq!(
            op.undo(),
            Some(Op::DeleteLink {
                ns: Ns::Host,
                dev: "ctn-x".into()
            })
        );
        use crate::firewall::{Part, Script};
        let script = |t: &str| Script {
            parts: vec![Part::Text(t.into())],
        };
        let fw = Op::Firewall {
            ruleset: script("new"),
            previous: script("old"),
        };
        assert_eq!(
            fw.undo(),
            Some(Op::Firewall {
                ruleset: script("old"),
                previous: script("new")
            })
        );
    }
}
