//! The lab file, YAML read with serde-saphyr (a maintained parser that reports where each
//! value stood; serde_yaml is archived). Every mistake names the file, line and column:
//! syntax, unknown keys, bad values and references to nodes or networks that do not exist.
//!
//! ```yaml
//! name: routers
//! networks:
//!   front: {subnet: 10.70.0.0/24}          # driver bridge unless given
//! nodes:
//!   web:
//!     networks:
//!       front: {ip: 10.70.0.10, aliases: [www], ports: ["8080:80"]}
//!     sysctls: {net.ipv4.ip_forward: 1}
//!     exec: ["ip route replace 10.0.0.0/8 via 10.70.0.1"]
//! links:
//!   r1-r2:
//!     a: r1:eth1
//!     b: r2:eth1
//!     subnet: 10.0.12.0/30
//!     mtu: 1400
//!     impair: {a-b: {delay: 50ms}, b-a: {loss: 1%}}
//! ```

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::spec::{Lab, LabAttachment, LabNetwork, LabNode, digest};
use crate::commands::connect::attach::Attach;
use crate::config::Place;
use crate::drivers::{NetworkRequest, PoolRequest};
use crate::error::UserError;
use crate::model::impair::{parse_duration, parse_percent, parse_rate};
use crate::model::{Driver, Impairment, LinkImpairment, Mac, validate_name};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Spanned<String>,
    #[serde(default)]
    networks: BTreeMap<String, Spanned<NetworkSpec>>,
    #[serde(default)]
    nodes: BTreeMap<String, Spanned<NodeSpec>>,
    #[serde(default)]
    links: BTreeMap<String, Spanned<LinkSpec>>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct NetworkSpec {
    #[serde(default)]
    driver: Option<String>,
    #[serde(default)]
    subnet: Option<String>,
    #[serde(default)]
    gateway: Option<String>,
    #[serde(default)]
    subnet6: Option<String>,
    #[serde(default)]
    gateway6: Option<String>,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    ipv6: bool,
    /// The driver's options, as `-o` takes them (`parent`, `mtu`, `com.docker...`).
    #[serde(default)]
    options: BTreeMap<String, Scalar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeSpec {
    #[serde(default)]
    networks: BTreeMap<String, Spanned<AttachSpec>>,
    #[serde(default)]
    sysctls: BTreeMap<String, Scalar>,
    #[serde(default)]
    exec: Vec<String>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct AttachSpec {
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    ip6: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    mac: Option<String>,
    #[serde(default)]
    ports: Vec<String>,
    #[serde(default)]
    ifname: Option<String>,
    #[serde(default, skip_serializing)]
    impair: Option<ImpairSpec>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ImpairSpec {
    #[serde(default)]
    egress: Option<DirectionSpec>,
    #[serde(default)]
    ingress: Option<DirectionSpec>,
    #[serde(default)]
    down: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DirectionSpec {
    #[serde(default)]
    delay: Option<String>,
    #[serde(default)]
    jitter: Option<String>,
    #[serde(default)]
    loss: Option<String>,
    #[serde(default)]
    corrupt: Option<String>,
    #[serde(default)]
    rate: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkSpec {
    a: Spanned<String>,
    b: Spanned<String>,
    subnet: String,
    /// a's address and b's (default: the subnet's first two).
    #[serde(default)]
    ips: Vec<String>,
    #[serde(default)]
    mtu: Option<u32>,
    #[serde(default)]
    impair: LinkImpairSpec,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LinkImpairSpec {
    /// What a sends to b.
    #[serde(default, rename = "a-b")]
    a_b: Option<DirectionSpec>,
    #[serde(default, rename = "b-a")]
    b_a: Option<DirectionSpec>,
    /// The link down (a flap).
    #[serde(default)]
    down: bool,
}

/// A YAML scalar that means text: `1`, `true` and `"1"` alike (sysctls and options).
#[derive(Deserialize, Serialize, Clone, PartialEq)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Integer(i64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(t) => t.clone(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// Reads and checks a lab file.
pub fn parse(path: &Path, text: &str) -> Result<Lab, UserError> {
    let place = |location: &serde_saphyr::Location| Place {
        file: path.to_path_buf(),
        line: location.line(),
        column: location.column(),
    };
    let file: File = serde_saphyr::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map_or_else(|| path.display().to_string(), |l| place(&l).to_string());
        UserError::new(format!(
            "{at}: {}",
            crate::config::first_line(&e.to_string())
        ))
    })?;
    // An error about one value, at its place in the file.
    let at = |location: &serde_saphyr::Location, e: UserError| {
        UserError::new(format!("{}: {}", place(location), e.message))
    };
    validate_name("lab", &file.name.value).map_err(|e| at(&file.name.referenced, e))?;
    let mut lab = Lab {
        name: file.name.value.clone(),
        networks: Vec::new(),
        nodes: Vec::new(),
        attachments: Vec::new(),
    };
    for (name, spec) in &file.networks {
        let network = network(&lab.name, name, &spec.value).map_err(|e| at(&spec.referenced, e))?;
        lab.networks.push(network);
    }
    for (name, spec) in &file.links {
        if file.networks.contains_key(name) {
            return Err(at(
                &spec.referenced,
                UserError::new(format!("link {name} has the name of a network of the lab")),
            ));
        }
        let (network, ends) =
            link(&lab.name, name, &spec.value, &file).map_err(|e| at(&spec.referenced, e))?;
        lab.networks.push(network);
        lab.attachments.extend(ends);
    }
    for (name, spec) in &file.nodes {
        validate_name("node", name).map_err(|e| at(&spec.referenced, e))?;
        let node = &spec.value;
        lab.nodes.push(LabNode {
            name: name.clone(),
            sysctls: (node.sysctls.iter())
                .map(|(k, v)| sysctl(k, v))
                .collect::<Result<_, _>>()
                .map_err(|e| at(&spec.referenced, e))?,
            exec: node.exec.clone(),
        });
        for (network, attach) in &node.networks {
            let attachment =
                attachment(name, network, &attach.value).map_err(|e| at(&attach.referenced, e))?;
            lab.attachments.push(attachment);
        }
    }
    check_references(&file).map_err(|(location, e)| at(&location, e))?;
    // One endpoint per node and network: a link's two ends are two nodes, and a node does
    // not list a link's network beside it.
    let mut seen = std::collections::BTreeSet::new();
    for attachment in &lab.attachments {
        if !seen.insert((&attachment.node, &attachment.network)) {
            return Err(UserError::new(format!(
                "{}: node {} is on {} twice (a link's ends are two nodes; a node lists no link's network)",
                path.display(),
                attachment.node,
                attachment.network
            )));
        }
    }
    Ok(lab)
}

/// Every node a link names is a node of the file; every network a node names is one of
/// the lab's (or one on the host: checked when the lab goes up).
fn check_references(file: &File) -> Result<(), (serde_saphyr::Location, UserError)> {
    for (name, spec) in &file.links {
        for end in [&spec.value.a, &spec.value.b] {
            let (node, _) = end.value.split_once(':').unwrap_or((&end.value, ""));
            if !file.nodes.contains_key(node) {
                return Err((
                    end.referenced,
                    UserError::new(format!(
                        "link {name} names node {node}, which the lab does not have"
                    )),
                ));
            }
        }
    }
    Ok(())
}

/// A node's sysctl: one of its namespace's own (`net.*`: every other key is the host's),
/// its value one word (`true` and `false` as 1 and 0).
fn sysctl(key: &str, value: &Scalar) -> Result<(String, String), UserError> {
    let key_ok = key.starts_with("net.")
        && key.split('.').all(|part| !part.is_empty())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !key_ok {
        return Err(UserError::new(format!(
            "sysctl {key:?}: a node sets its namespace's own, net.* (net.ipv4.ip_forward)"
        )));
    }
    let value = match value {
        Scalar::Bool(b) => u8::from(*b).to_string(),
        other => other.text(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UserError::new(format!(
            "sysctl {key}: invalid value {value:?}"
        )));
    }
    Ok((key.to_string(), value))
}

fn network(lab: &str, name: &str, spec: &NetworkSpec) -> Result<LabNetwork, UserError> {
    validate_name("network", name)?;
    let driver = Driver::parse(spec.driver.as_deref().unwrap_or("bridge"))?;
    let mut request = NetworkRequest::new(name, driver);
    request.ipv4 = Some(PoolRequest {
        subnet: spec
            .subnet
            .as_deref()
            .map(|s| value("subnet", s))
            .transpose()?,
        gateway: spec
            .gateway
            .as_deref()
            .map(|s| value("gateway", s))
            .transpose()?,
        ..PoolRequest::default()
    });
    if spec.ipv6 || spec.subnet6.is_some() {
        request.ipv6 = Some(PoolRequest {
            subnet: spec
                .subnet6
                .as_deref()
                .map(|s| value::<Ipv6Net>("subnet6", s))
                .transpose()?,
            gateway: spec
                .gateway6
                .as_deref()
                .map(|s| value::<Ipv6Addr>("gateway6", s))
                .transpose()?,
            ..PoolRequest::default()
        });
    }
    request.internal = spec.internal;
    request.options = (spec.options.iter())
        .map(|(k, v)| (k.clone(), v.text()))
        .collect();
    Ok(labelled(lab, request, spec))
}

/// The request with the lab's labels: whose it is, and the digest of what was asked.
fn labelled(lab: &str, mut request: NetworkRequest, spec: &impl Serialize) -> LabNetwork {
    let spec = digest(&serde_json::to_string(spec).expect("plain data"));
    request.labels.insert(super::spec::LABEL.into(), lab.into());
    request
        .labels
        .insert(super::spec::SPEC_LABEL.into(), spec.clone());
    LabNetwork {
        name: request.name.clone(),
        request,
        spec,
    }
}

fn value<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}")))
}

fn impairment(spec: &DirectionSpec) -> Result<Impairment, UserError> {
    let impairment = Impairment {
        delay_us: spec.delay.as_deref().map(parse_duration).transpose()?,
        jitter_us: spec.jitter.as_deref().map(parse_duration).transpose()?,
        loss_ppm: spec.loss.as_deref().map(parse_percent).transpose()?,
        corrupt_ppm: spec.corrupt.as_deref().map(parse_percent).transpose()?,
        rate_bps: spec.rate.as_deref().map(parse_rate).transpose()?,
    };
    impairment.validate()?;
    Ok(impairment)
}

fn link_impairment(spec: Option<&ImpairSpec>) -> Result<LinkImpairment, UserError> {
    let Some(spec) = spec else {
        return Ok(LinkImpairment::default());
    };
    Ok(LinkImpairment {
        egress: spec.egress.as_ref().map(impairment).transpose()?,
        ingress: spec.ingress.as_ref().map(impairment).transpose()?,
        down: spec.down,
    })
}

fn attachment(node: &str, network: &str, spec: &AttachSpec) -> Result<LabAttachment, UserError> {
    let attach = Attach {
        ipv4: spec
            .ip
            .as_deref()
            .map(|s| value::<Ipv4Addr>("ip", s))
            .transpose()?,
        ipv6: spec
            .ip6
            .as_deref()
            .map(|s| value::<Ipv6Addr>("ip6", s))
            .transpose()?,
        mac: spec.mac.as_deref().map(str::parse::<Mac>).transpose()?,
        aliases: spec.aliases.clone(),
        ifname: spec.ifname.clone(),
        ports: crate::commands::publish::parse_specs(&spec.ports)?,
        dns: Default::default(),
    };
    attach.validate()?;
    Ok(LabAttachment {
        node: node.into(),
        network: network.into(),
        attach,
        impair: link_impairment(spec.impair.as_ref())?,
        spec: digest(&serde_json::to_string(spec).expect("plain data")),
    })
}

/// A link: a p2p network of its own name, and its two ends.
fn link(
    lab: &str,
    name: &str,
    spec: &LinkSpec,
    _file: &File,
) -> Result<(LabNetwork, Vec<LabAttachment>), UserError> {
    validate_name("link", name)?;
    let mut request = NetworkRequest::new(name, Driver::P2p);
    let subnet: Ipv4Net = value("subnet", &spec.subnet)?;
    request.ipv4 = Some(PoolRequest {
        subnet: Some(subnet),
        ..PoolRequest::default()
    });
    if let Some(mtu) = spec.mtu {
        request.options.insert("mtu".into(), mtu.to_string());
    }
    if spec.ips.len() > 2 {
        return Err(UserError::new(format!(
            "link {name}: ips lists a's address and b's, within its subnet"
        )));
    }
    #[derive(Serialize)]
    struct Digested<'a> {
        subnet: &'a String,
        mtu: Option<u32>,
    }
    let network = labelled(
        lab,
        request,
        &Digested {
            subnet: &spec.subnet,
            mtu: spec.mtu,
        },
    );
    let impair = &spec.impair;
    let mut ends = Vec::new();
    for (i, (end, egress)) in [(&spec.a, &impair.a_b), (&spec.b, &impair.b_a)]
        .into_iter()
        .enumerate()
    {
        let Some((node, iface)) = end.value.split_once(':') else {
            return Err(UserError::new(format!(
                "link {name}: expected NODE:IFACE, not {:?}",
                end.value
            )));
        };
        let attach = AttachSpec {
            ip: spec.ips.get(i).cloned(),
            ifname: Some(iface.to_string()),
            ..AttachSpec::default()
        };
        let mut attachment = attachment(node, name, &attach)?;
        attachment.impair = LinkImpairment {
            egress: egress.as_ref().map(impairment).transpose()?,
            ingress: None,
            down: impair.down,
        };
        ends.push(attachment);
    }
    Ok((network, ends))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(text: &str) -> Result<Lab, UserError> {
        parse(Path::new("lab.yaml"), text)
    }

    #[test]
    fn a_link_is_a_p2p_network_with_two_ends_and_its_impairments() {
        let lab = lab(include_str!("../../../examples/labs/routers.yaml")).unwrap();
        assert_eq!(lab.name, "routers");
        let names: Vec<&str> = lab.networks.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["r1-r2", "r2-r3"]);
        assert!(lab.networks.iter().all(|n| n.request.driver == Driver::P2p));
        let ends: Vec<(&str, Option<&str>)> = (lab.attachments.iter())
            .map(|a| (a.node.as_str(), a.attach.ifname.as_deref()))
            .collect();
        assert_eq!(
            ends,
            [
                ("r1", Some("eth1")),
                ("r2", Some("eth1")),
                ("r2", Some("eth2")),
                ("r3", Some("eth1"))
            ]
        );
        let r2_egress = lab.attachments[2].impair.egress.unwrap();
        assert_eq!(r2_egress.rate_bps, Some(10_000_000));
        assert_eq!(lab.nodes[1].sysctls["net.ipv4.ip_forward"], "1");
    }

    #[test]
    fn a_change_changes_the_digest_and_only_that_ones() {
        let a = lab("name: x\nnetworks:\n  n: {subnet: 10.1.0.0/24}\n  m: {subnet: 10.2.0.0/24}")
            .unwrap();
        let b = lab("name: x\nnetworks:\n  n: {subnet: 10.1.0.0/25}\n  m: {subnet: 10.2.0.0/24}")
            .unwrap();
        assert_ne!(a.networks[1].spec, b.networks[1].spec, "n changed");
        assert_eq!(a.networks[0].spec, b.networks[0].spec, "m did not");
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let e = lab("name: x\nnetworks:\n  n: {subnet: 10.1.0.0/33}").unwrap_err();
        assert!(e.message.starts_with("lab.yaml:3:"), "{}", e.message);
        let e = lab("name: x\nbogus: 1").unwrap_err();
        assert!(
            e.message.starts_with("lab.yaml:2:1: unknown field"),
            "{}",
            e.message
        );
        let e = lab(
            "name: x\nnodes: {r1: {}}\nlinks:\n  l: {a: r1:eth1, b: r9:eth1, subnet: 10.0.9.0/30}",
        )
        .unwrap_err();
        assert!(e.message.contains("names node r9"), "{}", e.message);
    }
}
