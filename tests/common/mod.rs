//! Runs shell scenarios against the real kernel, each in a fresh throw-away host
//! (`tests/support/hermetic`: its own network, mount and PID namespaces), with the built
//! `ctnet` first on PATH and a small library of assertions.

#![allow(dead_code)]

pub mod cluster;

use std::path::PathBuf;
use std::process::Command;

pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

fn hermetic() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/hermetic");
    assert!(
        path.exists(),
        "{} is missing: integration tests need it",
        path.display()
    );
    path
}

/// Helpers every scenario can call. `fails` checks Docker-style refusals: exit 1, one
/// `ctnet: error:` line, and no change to the state file, links, rules or namespaces
/// (`fails_on` in `cluster::WORLD` is the same for a cluster host). `emit NAME` passes
/// JSON on to the test, which reads it with `emitted`. `outside_host` and `uplink` make
/// the host's links to the world.
const PRELUDE: &str = r#"
set -euo pipefail
# ON_EXIT: commands a scenario adds to stop what it started outside the job table.
ON_EXIT=()
T=$(mktemp -d)
trap 'for h in "${ON_EXIT[@]}"; do eval "$h" || true; done; kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
die() { echo "ASSERTION FAILED: $*" >&2; exit 99; }
snapshot() {
  cat /var/lib/ctnet/state.json 2>/dev/null || echo "(no state)"
  cat /var/lib/ctnet/sandboxes/*.json /var/lib/ctnet/sandboxes/*.ports 2>/dev/null || true
  # Names, masters, aliases and IPv4 addresses; not carrier or DAD state, which settle
  # by themselves a moment after a link appears.
  ip -o link show | sed -E 's/<[^>]*>//; s/ state [A-Z]+//; s/ mode [A-Z]+//; s/link\/ether [0-9a-f:]+//'
  ip -o -4 addr show
  ip -4 route show table all | sed 's/ linkdown//'
  for ns in $(ls /run/netns); do
    echo "== $ns"; ip -n "$ns" -o link show | sed -E 's/<[^>]*>//; s/ state [A-Z]+//; s/ mode [A-Z]+//'
    ip -n "$ns" -o -4 addr show; ip -n "$ns" route show | sed 's/ linkdown//'
  done
  nft list ruleset 2>/dev/null
  ls /run/netns
}
# refused SNAPSHOT EXPECT CMD...: CMD exits 1 with one error line mentioning EXPECT, and
# what the command SNAPSHOT prints is the same before and after.
refused() {
  local snap="$1" expect="$2"; shift 2
  local before after rc=0
  before=$($snap)
  "$@" >$T/fails.out 2>$T/fails.err || rc=$?
  after=$($snap)
  [ "$rc" = 1 ] || die "'$*' exited $rc, expected 1; stderr: $(cat $T/fails.err)"
  [ "$(wc -l <$T/fails.err)" = 1 ] || die "'$*' printed $(wc -l <$T/fails.err) stderr lines: $(cat $T/fails.err)"
  grep -q '^ctnet: error: ' $T/fails.err || die "'$*' stderr lacks the prefix: $(cat $T/fails.err)"
  grep -qi -- "$expect" $T/fails.err || die "'$*' error does not mention '$expect': $(cat $T/fails.err)"
  # (Files, not process substitution: the full-kernel lane's VM has no /dev/fd.)
  echo "$before" >$T/before; echo "$after" >$T/after
  [ "$before" = "$after" ] || die "'$*' changed state or kernel: $(diff $T/before $T/after)"
}
fails() { refused snapshot "$@"; }
# JSON on stdin, passed to the test as one line: `@@NAME JSON` (see `emitted`).
emit() { python3 -c "import json,sys; print('@@$1', json.dumps(json.load(sys.stdin)))"; }
# outside_host [--ipv6]: a host `outside` on the link `wan`; this host is 203.0.113.1/24
# (2001:db8:1::1/64), the outside 203.0.113.2/24 (2001:db8:1::2/64).
outside_host() {
  ip netns add outside
  ip link add wan type veth peer name eth0 netns outside
  ip addr add 203.0.113.1/24 dev wan; ip -n outside addr add 203.0.113.2/24 dev eth0
  if [ "${1:-}" = --ipv6 ]; then
    ip -6 addr add 2001:db8:1::1/64 dev wan nodad; ip -n outside -6 addr add 2001:db8:1::2/64 dev eth0 nodad
  fi
  ip link set wan up; ip -n outside link set eth0 up
}
# uplink ADDR/PREFIX: a link of this host's own on a LAN, with nothing behind it.
uplink() {
  ip link add uplink type veth peer name uplink-peer
  ip addr add "$1" dev uplink; ip link set uplink up; ip link set uplink-peer up
}
ip_of() { ip -n "$1" -j addr show "${2:-eth0}" | python3 -c 'import json,sys; print([a["local"] for a in json.load(sys.stdin)[0]["addr_info"] if a["family"]=="inet"][0])'; }
reaches() { ip netns exec "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
agree() { python3 "$SUPPORT/agree.py"; }
# Waits until process $1 has left this network namespace (unshare has done its work).
wait_netns() {
  for _ in $(seq 100); do
    [ "$(readlink /proc/$1/ns/net)" != "$(readlink /proc/self/ns/net)" ] && return
    sleep 0.02
  done
  die "process $1 never left the host's network namespace"
}
serve() { # serve NS PORT TEXT [udp]; returns once the server listens
  if [ "${4:-}" = udp ]; then
    ip netns exec "$1" timeout 20 socat UDP-RECVFROM:"$2",fork SYSTEM:"echo $3" &
  else
    ip netns exec "$1" timeout 20 socat TCP-LISTEN:"$2",fork,reuseaddr SYSTEM:"echo $3" &
  fi
  local flag=-lnt; [ "${4:-}" = udp ] && flag=-lnu
  for _ in $(seq 100); do
    ip netns exec "$1" ss -H $flag "sport = :$2" | grep -q . && return; sleep 0.02
  done
  die "nothing listens on $1 port $2"
}
ask() { # ask NS|host HOST PORT [udp]; ASK_FROM=ADDR sends from that address of NS
  local run=() bind=${ASK_FROM:+,bind=$ASK_FROM}; [ "$1" = host ] || run=(ip netns exec "$1")
  if [ "${4:-}" = udp ]; then
    # One datagram may be lost (say, while the neighbour entry resolves): up to 3 tries.
    local reply
    for _ in 1 2 3; do
      reply=$(echo ping | "${run[@]}" timeout 3 socat -T2 - UDP:"$2":"$3"$bind 2>/dev/null || true)
      [ -n "$reply" ] && break
    done
    echo "$reply"
  else
    "${run[@]}" timeout 3 socat -T2 - TCP:"$2":"$3"$bind </dev/null 2>/dev/null || true
  fi
}
# on HOST CMD...: runs CMD as the "host" whose network namespace is /run/netns/HOST, with
# its own state directory (and the cluster store, when a scenario set STORE_URL).
on() { local host=$1; shift; nsenter --net=/run/netns/"$host" env CTNET_STATE_DIR=$T/$host ${STORE_URL:+CTNET_STORE=$STORE_URL} "$@"; }
ctnet_links() { ip -d -o link show | grep -o 'alias ctnet:[0-9a-f]*' | sort || true; }
"#;

/// Runs `script` under bash in a new hermetic host and returns what it printed.
pub fn run(script: &str) -> Outcome {
    assert!(
        nix_is_root(),
        "integration tests need root: they create namespaces, links and nftables rules"
    );
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ctnet"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(hermetic())
        .args(["bash", "-c", &format!("{PRELUDE}\n{script}")])
        .env("PATH", path)
        .env(
            "SUPPORT",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support"),
        )
        .env_remove("CTNET_STATE_DIR")
        .env_remove("CTNET_LOG")
        .output()
        .expect("running hermetic");
    Outcome {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `script` and fails the test, showing both streams, unless it exits 0.
pub fn ok(script: &str) -> String {
    let out = run(script);
    assert!(
        out.status == 0,
        "scenario failed (exit {})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// What a scenario passed on with `emit NAME`, by name, parsed.
pub fn emitted(stdout: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("@@")?.split_once(' '))
        .map(|(name, json)| {
            let value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name.to_string(), value)
        })
        .collect()
}

fn nix_is_root() -> bool {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .expect("running id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}
