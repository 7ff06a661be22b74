#!/usr/bin/env bash
# Runs the whole test suite: unit tests, and integration tests that change a real kernel
# inside throw-away namespaces (../shared/bin/hermetic). Needs root; installs the Debian
# packages the tests use when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: the integration tests need root (namespaces, links, nftables)" >&2
  exit 1
fi
need=(nft:nftables ip:iproute2 ping:iputils-ping socat:socat python3:python3 setpriv:util-linux dot:graphviz
      dig:bind9-dnsutils dnsmasq:dnsmasq-base)
missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x ../shared/bin/hermetic ] || { echo "tests/run.sh: ../shared/bin/hermetic is missing" >&2; exit 1; }

# Two cores: keep builds and tests lean.
cargo test --locked -j 2 -- --test-threads 4
