#!/usr/bin/env bash
# Runs the whole test suite: unit tests, and integration tests that change a real kernel
# inside throw-away namespaces (tests/support/hermetic). Needs root; installs the Debian
# packages the tests use when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: the integration tests need root (namespaces, links, nftables)" >&2
  exit 1
fi
need=(nft:nftables ip:iproute2 ping:iputils-ping socat:socat python3:python3 setpriv:util-linux dot:graphviz
      dig:bind9-dnsutils dnsmasq:dnsmasq-base openssl:openssl etcd:etcd-server etcdctl:etcd-client
      dockerd:docker.io busybox:busybox-static iptables:iptables conntrack:conntrack
      podman:podman containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins)
missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  # Packages with daemons (docker.io, etcd-server) must not start them on this machine: the
  # tests start their own inside throw-away hosts. policy-rc.d is how Debian says so.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; guard=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
fi

# Two cores: keep builds and tests lean.
cargo test --locked -j 2 -- --test-threads 4

# A bare clone needs nothing beside it: from a fresh clone in an empty directory, the
# throw-away host starts with only lo, and the full-kernel machine boots and runs a command.
bare=$(mktemp -d)
trap 'rm -rf "$bare"' EXIT
git clone -q . "$bare/ctnet"
(cd "$bare/ctnet" && [ -z "$(ls -A ..| grep -vx ctnet)" ] \
  && tests/support/hermetic bash -c '[ "$(ip -o link show | wc -l)" = 1 ]' \
  && [ "$(tests/support/vmlane bash -c 'ip link add probe type dummy && echo booted')" = booted ]) \
  || { echo "tests/run.sh: the harness does not start from a bare clone" >&2; exit 1; }
echo "tests/run.sh: a bare clone starts the throw-away host and the full-kernel machine" >&2

# The full-kernel lane: ipvlan, 802.1q and dummy, which this kernel lacks, under Debian's
# stock kernel in a VM (tests/support/vmlane, which fetches and caches what it needs on its
# first run). Not starting is a failure, never a skip.
echo "tests/run.sh: full-kernel lane (tests/lanes.rs in a VM)" >&2
rc=0
CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="$PWD/tests/support/vmlane" \
  cargo test --locked -j 2 --test lanes -- --ignored --test-threads 2 || rc=$?
if [ "$rc" != 0 ]; then
  [ "$rc" = 125 ] && echo "tests/run.sh: THE FULL-KERNEL LANE DID NOT START (vmlane exit 125)" >&2
  exit "$rc"
fi
