//! The CNI protocol as a plugin sees it: the call in the environment, the network
//! configuration on stdin, and what goes back on stdout (a result or an error), shaped by
//! the spec version the runtime speaks. Pure: nothing here reads the environment itself.

mod config;
mod result;

pub use config::{Attachment, NetConf};
pub use result::{CniResult, Dns, Interface, IpConfig, Route, version_json};

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

/// The spec versions ctnet speaks, oldest first.
pub const SUPPORTED: [&str; 3] = ["0.4.0", "1.0.0", "1.1.0"];

/// A spec version ctnet speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpecVersion {
    V0_4,
    V1_0,
    V1_1,
}

impl SpecVersion {
    pub fn parse(text: &str) -> Option<SpecVersion> {
        match text {
            "0.4.0" => Some(SpecVersion::V0_4),
            "1.0.0" => Some(SpecVersion::V1_0),
            "1.1.0" => Some(SpecVersion::V1_1),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V0_4 => SUPPORTED[0],
            SpecVersion::V1_0 => SUPPORTED[1],
            SpecVersion::V1_1 => SUPPORTED[2],
        }
    }
}

/// The spec's well-known error codes ctnet answers with, and its own (100 and up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    IncompatibleVersion = 1,
    UnsupportedField = 2,
    UnknownContainer = 3,
    InvalidEnvironment = 4,
    DecodeFailed = 6,
    InvalidConfig = 7,
    /// STATUS: the plugin cannot serve ADDs now.
    NotAvailable = 50,
    /// ctnet refused the request (an address taken or outside the subnet, a port taken).
    Refused = 100,
    /// A kernel or file operation failed.
    Failed = 101,
}

/// An error as the spec shapes it: printed on stdout as JSON, with a non-zero exit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{msg}")]
pub struct CniError {
    pub code: Code,
    pub msg: String,
    pub details: Option<String>,
}

impl CniError {
    pub fn new(code: Code, msg: impl Into<String>) -> CniError {
        CniError {
            code,
            msg: msg.into(),
            details: None,
        }
    }

    pub fn to_json(&self, version: &str) -> Value {
        #[derive(Serialize)]
        struct Shape<'a> {
            #[serde(rename = "cniVersion")]
            cni_version: &'a str,
            code: u32,
            msg: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            details: Option<&'a str>,
        }
        serde_json::to_value(Shape {
            cni_version: version,
            code: self.code as u32,
            msg: &self.msg,
            details: self.details.as_deref(),
        })
        .expect("plain data serialises")
    }
}

/// What the runtime asks, from `CNI_COMMAND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Add,
    Del,
    Check,
    Gc,
    Status,
    Version,
}

/// The call as the environment carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub verb: Verb,
    pub container_id: Option<String>,
    pub netns: Option<PathBuf>,
    pub ifname: Option<String>,
    pub args: CniArgs,
}

impl Call {
    /// Reads the call through `var` (the environment, in the plugin); checks that the
    /// variables the verb needs are there.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Call, CniError> {
        let bad_env = |msg: String| CniError::new(Code::InvalidEnvironment, msg);
        let verb = match var("CNI_COMMAND").as_deref() {
            Some("ADD") => Verb::Add,
            Some("DEL") => Verb::Del,
            Some("CHECK") => Verb::Check,
            Some("GC") => Verb::Gc,
            Some("STATUS") => Verb::Status,
            Some("VERSION") => Verb::Version,
            other => {
                return Err(bad_env(format!(
                    "unknown CNI_COMMAND {:?}: expected ADD, DEL, CHECK, GC, STATUS or VERSION",
                    other.unwrap_or("")
                )));
            }
        };
        let nonempty = |name: &str| var(name).filter(|v| !v.is_empty());
        let call = Call {
            verb,
            container_id: nonempty("CNI_CONTAINERID"),
            netns: nonempty("CNI_NETNS").map(PathBuf::from),
            ifname: nonempty("CNI_IFNAME"),
            args: CniArgs::parse(&var("CNI_ARGS").unwrap_or_default())?,
        };
        // DEL may come after the namespace is gone, so without CNI_NETNS.
        let needs: &[(&str, bool)] = match verb {
            Verb::Add | Verb::Check => &[
                ("CNI_CONTAINERID", call.container_id.is_some()),
                ("CNI_NETNS", call.netns.is_some()),
                ("CNI_IFNAME", call.ifname.is_some()),
            ],
            Verb::Del => &[
                ("CNI_CONTAINERID", call.container_id.is_some()),
                ("CNI_IFNAME", call.ifname.is_some()),
            ],
            Verb::Gc | Verb::Status | Verb::Version => &[],
        };
        if let Some((name, _)) = needs.iter().find(|(_, present)| !present) {
            return Err(bad_env(format!("{name} is not set")));
        }
        // The spec's form for container ids; it also keeps them safe as file names.
        if let Some(id) = &call.container_id {
            let mut bytes = id.bytes();
            let valid = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
                && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !valid {
                return Err(bad_env(format!(
                    "CNI_CONTAINERID {id:?} is not a container id: [A-Za-z0-9][A-Za-z0-9_.-]*"
                )));
            }
        }
        Ok(call)
    }
}

/// `CNI_ARGS`: `KEY=VALUE;KEY=VALUE`. ctnet reads `IP`, `MAC` and `K8S_POD_NAME` (the
/// container's name, as podman passes it); other keys are an error unless
/// `IgnoreUnknown` is set, as in the reference plugins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CniArgs {
    pub ips: Vec<String>,
    pub mac: Option<String>,
    pub pod_name: Option<String>,
}

impl CniArgs {
    pub fn parse(text: &str) -> Result<CniArgs, CniError> {
        let mut args = CniArgs::default();
        let mut unknown = Vec::new();
        let mut ignore_unknown = false;
        for pair in text.split(';').filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(CniError::new(
                    Code::InvalidEnvironment,
                    format!("CNI_ARGS: {pair:?} is not KEY=VALUE"),
                ));
            };
            match key {
                "IP" => args.ips.extend(value.split(',').map(str::to_string)),
                "MAC" => args.mac = Some(value.to_string()),
                "K8S_POD_NAME" if !value.is_empty() => args.pod_name = Some(value.to_string()),
                "IgnoreUnknown" => ignore_unknown = matches!(value, "1" | "true" | "True"),
                "K8S_POD_NAME"
                | "K8S_POD_NAMESPACE"
                | "K8S_POD_INFRA_CONTAINER_ID"
                | "K8S_POD_UID" => {}
                other => unknown.push(other.to_string()),
            }
        }
        if !ignore_unknown && !unknown.is_empty() {
            return Err(CniError::new(
                Code::UnsupportedField,
                format!(
                    "CNI_ARGS: unknown key {} (set IgnoreUnknown=1 to pass it by)",
                    unknown.join(", ")
                ),
            ));
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]

    fn add_needs_its_variables() {
        let err =
            Call::from_env(env(&[("CNI_COMMAND", "ADD"), ("CNI_CONTAINERID", "c1")])).unwrap_err();
        assert_eq!(err.code, Code::InvalidEnvironment);
        assert!(err.msg.contains("CNI_NETNS"), "{}", err.msg);
        // DEL does without the namespace (it may be gone).
        let del = Call::from_env(env(&[
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "c1"),
            ("CNI_IFNAME", "eth0"),
        ]))
        .unwrap();
        assert_eq!(del.verb, Verb::Del);
        assert_eq!(del.netns, None);
        let bad_id = Call::from_env(env(&[
            ("CNI_COMMAND", "DEL"),
            ("CNI_CONTAINERID", "../etc"),
            ("CNI_IFNAME", "eth0"),
        ]))
        .unwrap_err();
        assert_eq!(bad_id.code, Code::InvalidEnvironment);
        let odd = Call::from_env(env(&[("CNI_COMMAND", "UPGRADE")])).unwrap_err();
        assert_eq!(odd.code, Code::InvalidEnvironment);
    }

    #[test]

    fn cni_args_read_podmans_keys_and_refuse_unknown_ones() {
        let args = CniArgs::parse("IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.1.0.9;FOO=bar").unwrap();
        assert_eq!(args.pod_name.as_deref(), Some("web"));
        assert_eq!(args.ips, ["10.1.0.9"]);
        let err = CniArgs::parse("FOO=bar").unwrap_err();
        assert_eq!(err.code, Code::UnsupportedField);
        assert!(CniArgs::parse("garbage").is_err());
        assert_eq!(CniArgs::parse("").unwrap(), CniArgs::default());
    }

    #[test]

    fn errors_and_versions_are_spec_shaped() {
        let err = CniError::new(Code::InvalidConfig, "network x not found");
        assert_eq!(
            err.to_json("1.0.0"),
            json!({"cniVersion": "1.0.0", "code": 7, "msg": "network x not found"})
        );
        assert_eq!(version_json("0.4.0")["cniVersion"], "0.4.0");
        assert_eq!(version_json("9.9.9")["cniVersion"], "1.1.0");
        assert_eq!(SpecVersion::parse("0.3.1"), None);
    }
}
