//! etcd, the cluster store of overlay networks, behind a small synchronous interface.
//!
//! ctnet speaks etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/kv/txn`, `/v3/watch`,
//! `/v3/auth/authenticate`) over ureq: plain HTTP or TLS with rustls, no gRPC, no protoc,
//! no async runtime. Keys and values travel base64-encoded, as the gateway wants; 64-bit
//! numbers come back as strings. Nothing else in ctnet sees HTTP or etcd's JSON.

use std::io::{BufRead, BufReader};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};
use ureq::Agent;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

use crate::error::UserError;

/// How long an unreachable store may take to say so.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a request may take, and how long a watch may take to be confirmed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What bounds the time of a request to the store.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// The whole exchange.
    Request,
    /// Only the start of the answer: the rest is a stream that stays open.
    Stream,
}

/// A key and its value as etcd has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Vec<u8>,
}

/// One change seen by a watch.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Put(Entry),
    Deleted(String),
}

/// How to reach the store beyond its URL: TLS files and etcd credentials, from the
/// command line or the environment (set once, at start).
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// PEM file of the CA that signed the store's certificate.
    pub cacert: Option<std::path::PathBuf>,
    /// PEM files of this host's client certificate and its key.
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    /// etcd user and password.
    pub user: Option<String>,
    pub password: Option<String>,
}

static OPTIONS: OnceLock<StoreOptions> = OnceLock::new();

/// Sets how every connection of this process reaches its store. A global because a
/// store is reached from deep inside several commands, and these settings are the same
/// for all of them, for the whole run.
pub fn set_options(options: StoreOptions) {
    let _ = OPTIONS.set(options);
}

fn options() -> StoreOptions {
    OPTIONS.get().cloned().unwrap_or_default()
}

/// The store's endpoints from `etcd://HOST:PORT[,HOST:PORT...]`, or `https://HOST:PORT[,...]`
/// for TLS, as base URLs.
pub fn parse_url(url: &str) -> Result<Vec<String>, UserError> {
    let bad = || {
        UserError::new(format!(
            "invalid store {url:?}: expected etcd://HOST:PORT[,HOST:PORT...] (or https:// for TLS)"
        ))
    };
    let (scheme, rest) = match url.split_once("://") {
        Some(("etcd", rest)) => ("http", rest),
        Some(("https", rest)) => ("https", rest),
        _ => return Err(bad()),
    };
    rest.split(',')
        .map(|hostport| match hostport.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(format!("{scheme}://{hostport}"))
            }
            _ => Err(bad()),
        })
        .collect()
}

/// True if the store is reached over TLS.
pub fn is_tls(url: &str) -> bool {
    url.starts_with("https://")
}

/// A connection to etcd.
pub struct Kv {
    agent: Agent,
    /// The endpoint that answered.
    base: String,
    /// etcd's auth token, when the store has users.
    token: Option<String>,
    url: String,
}

impl Kv {
    /// Connects and checks that the store answers (and, with a user, that it takes the
    /// password), so that a command can fail before it changes anything.
    pub fn connect(url: &str) -> Result<Kv> {
        let endpoints = parse_url(url)?;
        let agent = agent(Limit::Request)?;
        let mut last = None;
        for base in endpoints {
            let mut kv = Kv {
                agent: agent.clone(),
                base,
                token: None,
                url: url.to_string(),
            };
            match kv.authenticate().and_then(|()| kv.get("/ctnet/")) {
                Ok(_) => return Ok(kv),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow!("the store {url} names no endpoint")))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn authenticate(&mut self) -> Result<()> {
        let options = options();
        let Some(user) = options.user else {
            return Ok(());
        };
        let password = options.password.unwrap_or_default();
        let reply = self.call(
            "/v3/auth/authenticate",
            &json!({"name": user, "password": password}),
        )?;
        let token = reply["token"].as_str().filter(|t| !t.is_empty());
        self.token = Some(
            token
                .ok_or_else(|| anyhow!("the store {} gave no auth token", self.url))?
                .to_string(),
        );
        Ok(())
    }

    /// One request to the gateway; an HTTP error carries etcd's message.
    fn call(&self, path: &str, body: &Value) -> Result<Value> {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", token);
        }
        let mut response = request
            .send(body.to_string())
            .map_err(|e| unreachable_store(&self.url, &e))?;
        let status = response.status();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| unreachable_store(&self.url, &e))?;
        let reply: Value = match serde_json::from_str(&text) {
            Ok(reply) => reply,
            Err(_) => bail!("the store {} refused ({status}): {}", self.url, text.trim()),
        };
        if !status.is_success() {
            let message = reply["message"].as_str().or(reply["error"].as_str());
            bail!(
                "the store {} refused: {}",
                self.url,
                message.unwrap_or(&text)
            );
        }
        Ok(reply)
    }

    pub fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        let reply: RangeReply = from(self.call("/v3/kv/range", &json!({"key": b64(key)}))?)?;
        reply
            .kvs
            .into_iter()
            .next()
            .map(|kv| kv.value())
            .transpose()
    }

    /// Every key under `prefix`, and the store's revision they were read at (a watch
    /// from the next revision misses nothing).
    pub fn list(&mut self, prefix: &str) -> Result<(Vec<Entry>, i64)> {
        let body = json!({"key": b64(prefix), "range_end": B64.encode(prefix_end(prefix))});
        let reply: RangeReply = from(self.call("/v3/kv/range", &body)?)?;
        let revision = reply.header.revision();
        let entries = reply
            .kvs
            .into_iter()
            .map(KeyValue::entry)
            .collect::<Result<_>>()?;
        Ok((entries, revision))
    }

    /// Writes all of `entries` if none of their keys exists yet and every key in `require`
    /// does, in one transaction: the compare-and-swap behind every allocation. False if a
    /// key was taken (or a required one is gone).
    pub fn create(&mut self, entries: &[Entry], require: &[String]) -> Result<bool> {
        let absent = entries.iter().map(|e| {
            json!({"key": b64(&e.key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"})
        });
        let present = require.iter().map(|key| {
            json!({"key": b64(key), "target": "VERSION", "result": "GREATER", "version": "0"})
        });
        let puts = entries
            .iter()
            .map(|e| json!({"request_put": {"key": b64(&e.key), "value": B64.encode(&e.value)}}));
        self.txn(absent.chain(present).collect(), puts.collect())
    }

    /// Replaces `key`'s value if it still is `old` (a compare-and-swap). False if it was not.
    pub fn swap(&mut self, key: &str, old: &[u8], new: Vec<u8>) -> Result<bool> {
        let compare = json!({"key": b64(key), "target": "VALUE", "result": "EQUAL", "value": B64.encode(old)});
        let put = json!({"request_put": {"key": b64(key), "value": B64.encode(new)}});
        self.txn(vec![compare], vec![put])
    }

    /// Deletes `key` and `also` only if `key` still holds `value`. False if it did not.
    pub fn delete_if_value(&mut self, key: &str, value: &[u8], also: &[String]) -> Result<bool> {
        let when = vec![
            json!({"key": b64(key), "target": "VALUE", "result": "EQUAL", "value": B64.encode(value)}),
        ];
        let mut keys = vec![key.to_string()];
        keys.extend_from_slice(also);
        self.delete_when(when, &keys, &[])
    }

    /// Deletes `keys`, and every key under `prefixes`, in one transaction.
    pub fn delete(&mut self, keys: &[String], prefixes: &[String]) -> Result<()> {
        self.delete_when(Vec::new(), keys, prefixes).map(|_| ())
    }

    /// Deletes `keys` and everything under `prefixes` only if `guard` exists and nothing
    /// is under `empty` (a range compare: etcd compares every key in the range, and an
    /// empty range as a key never created). False if that did not hold.
    pub fn delete_if_empty(
        &mut self,
        guard: &str,
        empty: &str,
        keys: &[String],
        prefixes: &[String],
    ) -> Result<bool> {
        let when = vec![
            json!({"key": b64(guard), "target": "VERSION", "result": "GREATER", "version": "0"}),
            json!({"key": b64(empty), "range_end": B64.encode(prefix_end(empty)),
                   "target": "CREATE", "result": "EQUAL", "create_revision": "0"}),
        ];
        self.delete_when(when, keys, prefixes)
    }

    fn delete_when(
        &mut self,
        when: Vec<Value>,
        keys: &[String],
        prefixes: &[String],
    ) -> Result<bool> {
        let single = keys
            .iter()
            .map(|k| json!({"request_delete_range": {"key": b64(k)}}));
        let under = prefixes.iter().map(|p| {
            json!({"request_delete_range": {"key": b64(p), "range_end": B64.encode(prefix_end(p))}})
        });
        self.txn(when, single.chain(under).collect())
    }

    fn txn(&mut self, compare: Vec<Value>, success: Vec<Value>) -> Result<bool> {
        let reply = self.call(
            "/v3/kv/txn",
            &json!({"compare": compare, "success": success}),
        )?;
        // proto3's JSON leaves out false.
        Ok(reply["succeeded"].as_bool().unwrap_or(false))
    }

    /// Follows changes under `prefix` from `revision` on. The gateway streams one JSON
    /// object per batch of events; a thread reads them, so `next` can wait with a limit.
    pub fn watch(&mut self, prefix: &str, revision: i64) -> Result<Watch<'_>> {
        let body = json!({"create_request": {
            "key": b64(prefix),
            "range_end": B64.encode(prefix_end(prefix)),
            "start_revision": revision.to_string(),
        }});
        let mut request = agent(Limit::Stream)?.post(format!("{}/v3/watch", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", token);
        }
        let response = request
            .send(body.to_string())
            .map_err(|e| unreachable_store(&self.url, &e))?;
        if !response.status().is_success() {
            bail!(
                "the store {} refused the watch: {}",
                self.url,
                response.status()
            );
        }
        let (sender, receiver) = mpsc::channel();
        let reader = BufReader::new(response.into_body().into_reader());
        std::thread::spawn(move || {
            for line in reader.lines() {
                let batch = line
                    .map_err(anyhow::Error::from)
                    .and_then(|line| parse_watch(&line));
                let end = batch.is_err();
                if sender.send(batch).is_err() || end {
                    return;
                }
            }
            let _ = sender.send(Err(anyhow!("the store ended the watch")));
        });
        // etcd's first line confirms the watch. Waiting for it means a watch that a store
        // still starting up (or going away) accepted but never made is tried again, not
        // followed in silence.
        let confirmation = match receiver.recv_timeout(REQUEST_TIMEOUT) {
            Ok(batch) => batch?,
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the store ended the watch"),
            Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                "the store {} did not confirm the watch within {} s",
                self.url,
                REQUEST_TIMEOUT.as_secs()
            ),
        };
        Ok(Watch {
            _kv: self,
            receiver,
            pending: Some(confirmation).filter(|changes| !changes.is_empty()),
        })
    }
}

/// A running watch.
pub struct Watch<'a> {
    _kv: &'a mut Kv,
    receiver: mpsc::Receiver<Result<Vec<Change>>>,
    /// Changes that came with the confirmation, not yet handed out.
    pending: Option<Vec<Change>>,
}

impl Watch<'_> {
    /// The next changes, or `None` if nothing happened within `wait`. An error means the
    /// watch is over (store gone, or history compacted): start again from a fresh list.
    pub fn next(&mut self, wait: Duration) -> Result<Option<Vec<Change>>> {
        if let Some(changes) = self.pending.take() {
            return Ok(Some(changes));
        }
        match self.receiver.recv_timeout(wait) {
            Ok(batch) => batch.map(Some),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(anyhow!("the store ended the watch")),
        }
    }
}

/// One line of the watch stream: the events of one response (none for the response that
/// confirms the watch was made).
fn parse_watch(line: &str) -> Result<Vec<Change>> {
    #[derive(Deserialize)]
    struct Line {
        result: Option<WatchReply>,
        error: Option<Value>,
    }
    #[derive(Deserialize)]
    struct WatchReply {
        #[serde(default)]
        canceled: bool,
        #[serde(default)]
        cancel_reason: String,
        #[serde(default)]
        events: Vec<Event>,
    }
    #[derive(Deserialize)]
    struct Event {
        /// `DELETE`, or absent for a put (proto3's JSON leaves out the default).
        #[serde(rename = "type", default)]
        kind: String,
        kv: KeyValue,
    }
    let line: Line =
        serde_json::from_str(line).context("the store's watch said something unreadable")?;
    if let Some(error) = line.error {
        bail!("the store ended the watch: {error}");
    }
    let Some(reply) = line.result else {
        return Ok(Vec::new());
    };
    if reply.canceled {
        bail!("the store cancelled the watch: {}", reply.cancel_reason);
    }
    reply
        .events
        .into_iter()
        .map(|event| {
            let entry = event.kv.entry()?;
            Ok(match event.kind.as_str() {
                "DELETE" => Change::Deleted(entry.key),
                _ => Change::Put(entry),
            })
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct Header {
    #[serde(default)]
    revision: String,
}

impl Header {
    fn revision(&self) -> i64 {
        self.revision.parse().unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct RangeReply {
    #[serde(default)]
    header: Header,
    #[serde(default)]
    kvs: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: String,
}

impl KeyValue {
    fn value(self) -> Result<Vec<u8>> {
        B64.decode(&self.value)
            .context("the store sent a value that is not base64")
    }

    fn entry(self) -> Result<Entry> {
        let key = B64
            .decode(&self.key)
            .context("the store sent a key that is not base64")?;
        Ok(Entry {
            key: String::from_utf8_lossy(&key).into_owned(),
            value: self.value()?,
        })
    }
}

fn from<T: serde::de::DeserializeOwned>(reply: Value) -> Result<T> {
    serde_json::from_value(reply).context("the store's answer is not what etcd sends")
}

fn b64(text: &str) -> String {
    B64.encode(text)
}

/// The end of a prefix's range, as etcd wants it: the prefix with its last byte raised
/// (bytes of 0xff dropped first).
fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// An HTTP agent with this process's TLS settings, its requests bounded by `limit`.
fn agent(limit: Limit) -> Result<Agent> {
    let options = options();
    let mut tls = TlsConfig::builder();
    if let Some(path) = &options.cacert {
        let pem = read(path, "--store-cacert")?;
        let cert = Certificate::from_pem(&pem)
            .with_context(|| format!("--store-cacert {}: not a PEM certificate", path.display()))?;
        tls = tls.root_certs(RootCerts::new_with_certs(&[cert]));
    }
    match (&options.cert, &options.key) {
        (Some(cert_path), Some(key_path)) => {
            let pem = read(cert_path, "--store-cert")?;
            let cert = Certificate::from_pem(&pem).with_context(|| {
                format!(
                    "--store-cert {}: not a PEM certificate",
                    cert_path.display()
                )
            })?;
            let pem = read(key_path, "--store-key")?;
            let key = PrivateKey::from_pem(&pem).with_context(|| {
                format!("--store-key {}: not a PEM private key", key_path.display())
            })?;
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&[cert], key)));
        }
        (None, None) => {}
        _ => bail!("--store-cert and --store-key go together: a client certificate needs its key"),
    }
    let config = Agent::config_builder().timeout_connect(Some(CONNECT_TIMEOUT));
    let config = match limit {
        Limit::Request => config.timeout_global(Some(REQUEST_TIMEOUT)),
        Limit::Stream => config.timeout_recv_response(Some(REQUEST_TIMEOUT)),
    };
    let config = config
        .http_status_as_error(false)
        .tls_config(tls.build())
        .build();
    Ok(config.into())
}

fn read(path: &std::path::Path, flag: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{flag} {}: cannot read it", path.display()))
}

fn unreachable_store(url: &str, e: &dyn std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot reach the store {url}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls() {
        assert_eq!(
            parse_url("etcd://10.0.0.1:2379,etcd1:2379").unwrap(),
            vec!["http://10.0.0.1:2379", "http://etcd1:2379"]
        );
        assert_eq!(parse_url("https://e:2379").unwrap(), vec!["https://e:2379"]);
        for bad in [
            "http://x:1",
            "etcd://",
            "etcd://host",
            "etcd://:2379",
            "etcd://h:99999",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_ranges_end_where_etcd_expects() {
        assert_eq!(prefix_end("/ctnet/"), b"/ctnet0");
        assert_eq!(prefix_end("a\u{7f}"), b"a\x80");
    }

    /// What the gateway streams: a put has no `type`, a delete says so, values are base64.
    #[test]
    fn watch_lines_become_changes() {
        let line = r#"{"result":{"header":{"revision":"7"},"events":[
            {"kv":{"key":"L2N0bmV0L2E=","value":"eA==","mod_revision":"7"}},
            {"type":"DELETE","kv":{"key":"L2N0bmV0L2I=","mod_revision":"7"}}]}}"#;
        let changes = parse_watch(&line.replace('\n', "")).unwrap();
        assert_eq!(
            changes,
            [
                Change::Put(Entry {
                    key: "/ctnet/a".into(),
                    value: b"x".to_vec()
                }),
                Change::Deleted("/ctnet/b".into()),
            ]
        );
        assert!(
            parse_watch(r#"{"result":{"created":true}}"#)
                .unwrap()
                .is_empty()
        );
        assert!(
            parse_watch(r#"{"result":{"canceled":true,"cancel_reason":"compacted"}}"#).is_err()
        );
    }
}
