//! etcd, the cluster store of overlay networks, behind a small synchronous interface.
//!
//! etcd-client is async (tonic); ctnet is a synchronous CLI, so each call runs on a
//! current-thread runtime that exists only in commands that talk to the store. Nothing
//! else in ctnet sees async code or etcd's types.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, EventType, GetOptions, Txn, TxnOp,
    WatchOptions, WatchStream,
};

use crate::error::UserError;

/// How long an unreachable store may take to say so.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

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

/// The store's endpoints from `etcd://HOST:PORT[,HOST:PORT...]`, as gRPC addresses.
pub fn parse_url(url: &str) -> Result<Vec<String>, UserError> {
    let bad = || {
        UserError::new(format!(
            "invalid store {url:?}: expected etcd://HOST:PORT[,HOST:PORT...]"
        ))
    };
    let rest = url.strip_prefix("etcd://").ok_or_else(bad)?;
    let endpoints: Vec<String> = rest
        .split(',')
        .map(|hostport| match hostport.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(format!("http://{hostport}"))
            }
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    Ok(endpoints)
}

/// A connection to etcd.
pub struct Kv {
    runtime: tokio::runtime::Runtime,
    client: Client,
    url: String,
}

impl Kv {
    /// Connects and checks that the store answers, so that a command can fail before it
    /// changes anything.
    pub fn connect(url: &str) -> Result<Kv> {
        let endpoints = parse_url(url)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the runtime for the store client")?;
        let options = ConnectOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout(REQUEST_TIMEOUT);
        let client = runtime
            .block_on(Client::connect(&endpoints, Some(options)))
            .map_err(|e| unreachable_store(url, e))?;
        let mut kv = Kv {
            runtime,
            client,
            url: url.to_string(),
        };
        // The connection is made lazily: one read proves the store is there.
        kv.get("/ctnet/")?;
        Ok(kv)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn fail(&self, e: etcd_client::Error) -> anyhow::Error {
        unreachable_store(&self.url, e)
    }

    pub fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        let response = self
            .runtime
            .block_on(self.client.get(key, None))
            .map_err(|e| unreachable_store(&self.url, e))?;
        Ok(response.kvs().first().map(|kv| kv.value().to_vec()))
    }

    /// Every key under `prefix`, and the store's revision they were read at (a watch
    /// from the next revision misses nothing).
    pub fn list(&mut self, prefix: &str) -> Result<(Vec<Entry>, i64)> {
        let options = GetOptions::new().with_prefix();
        let response = self
            .runtime
            .block_on(self.client.get(prefix, Some(options)))
            .map_err(|e| unreachable_store(&self.url, e))?;
        let revision = response.header().map_or(0, |h| h.revision());
        let entries = response
            .kvs()
            .iter()
            .map(|kv| Entry {
                key: String::from_utf8_lossy(kv.key()).into_owned(),
                value: kv.value().to_vec(),
            })
            .collect();
        Ok((entries, revision))
    }

    /// Writes all of `entries` if none of their keys exists yet and every key in `require`
    /// does, in one transaction: the compare-and-swap behind every allocation. False if a
    /// key was taken (or a required one is gone).
    pub fn create(&mut self, entries: &[Entry], require: &[String]) -> Result<bool> {
        let absent = entries
            .iter()
            .map(|e| Compare::create_revision(e.key.as_str(), CompareOp::Equal, 0));
        let present = require
            .iter()
            .map(|key| Compare::version(key.as_str(), CompareOp::Greater, 0));
        let txn = Txn::new()
            .when(absent.chain(present).collect::<Vec<_>>())
            .and_then(
                entries
                    .iter()
                    .map(|e| TxnOp::put(e.key.as_str(), e.value.clone(), None))
                    .collect::<Vec<_>>(),
            );
        let response = self
            .runtime
            .block_on(self.client.txn(txn))
            .map_err(|e| unreachable_store(&self.url, e))?;
        Ok(response.succeeded())
    }

    /// Replaces `key`'s value if it still is `old` (a compare-and-swap). False if it was not.
    pub fn swap(&mut self, key: &str, old: &[u8], new: Vec<u8>) -> Result<bool> {
        let txn = Txn::new()
            .when(vec![Compare::value(key, CompareOp::Equal, old.to_vec())])
            .and_then(vec![TxnOp::put(key, new, None)]);
        let response = self
            .runtime
            .block_on(self.client.txn(txn))
            .map_err(|e| unreachable_store(&self.url, e))?;
        Ok(response.succeeded())
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
            Compare::version(guard, CompareOp::Greater, 0),
            Compare::create_revision(empty, CompareOp::Equal, 0).with_prefix(),
        ];
        self.delete_when(when, keys, prefixes)
    }

    fn delete_when(
        &mut self,
        when: Vec<Compare>,
        keys: &[String],
        prefixes: &[String],
    ) -> Result<bool> {
        let single = keys.iter().map(|k| TxnOp::delete(k.as_str(), None));
        let under = prefixes
            .iter()
            .map(|p| TxnOp::delete(p.as_str(), Some(DeleteOptions::new().with_prefix())));
        let txn = Txn::new()
            .when(when)
            .and_then(single.chain(under).collect::<Vec<_>>());
        let response = self
            .runtime
            .block_on(self.client.txn(txn))
            .map_err(|e| unreachable_store(&self.url, e))?;
        Ok(response.succeeded())
    }

    /// Follows changes under `prefix` from `revision` on.
    pub fn watch(&mut self, prefix: &str, revision: i64) -> Result<Watch<'_>> {
        let options = WatchOptions::new()
            .with_prefix()
            .with_start_revision(revision);
        let stream = self
            .runtime
            .block_on(self.client.watch(prefix, Some(options)))
            .map_err(|e| unreachable_store(&self.url, e))?;
        Ok(Watch { kv: self, stream })
    }
}

/// A running watch.
pub struct Watch<'a> {
    kv: &'a mut Kv,
    stream: WatchStream,
}

impl Watch<'_> {
    /// The next changes, or `None` if nothing happened within `wait`. An error means the
    /// watch is over (store gone, or history compacted): start again from a fresh list.
    pub fn next(&mut self, wait: Duration) -> Result<Option<Vec<Change>>> {
        let stream = &mut self.stream;
        // The timer belongs to the runtime: it is made inside it.
        let message = self
            .kv
            .runtime
            .block_on(async { tokio::time::timeout(wait, stream.message()).await });
        let response = match message {
            Err(_elapsed) => return Ok(None),
            Ok(Err(e)) => return Err(self.kv.fail(e)),
            Ok(Ok(None)) => return Err(anyhow!("the store ended the watch")),
            Ok(Ok(Some(response))) => response,
        };
        if response.canceled() {
            return Err(anyhow!(
                "the store cancelled the watch: {}",
                response.cancel_reason()
            ));
        }
        let changes = response
            .events()
            .iter()
            .filter_map(|event| {
                let kv = event.kv()?;
                let key = String::from_utf8_lossy(kv.key()).into_owned();
                Some(match event.event_type() {
                    EventType::Put => Change::Put(Entry {
                        key,
                        value: kv.value().to_vec(),
                    }),
                    EventType::Delete => Change::Deleted(key),
                })
            })
            .collect();
        Ok(Some(changes))
    }
}

fn unreachable_store(url: &str, e: etcd_client::Error) -> anyhow::Error {
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
}
