#!/usr/bin/env bash
# Benchmark: builds ctnet (release) and times connect, disconnect and network create with
# 1, 100 and 500 endpoints already on the network, beside plain `ip -batch` doing the same
# work in the same run, then the CNI bridge plugin and netavark (../shared/bin/anchor-attach); published ports; and
# the resolver's queries per second beside aardvark-dns; overlay throughput; and how soon
# a cluster overlay endpoint is programmed on another host by `overlay watch`; and ctnet as
# a CNI plugin beside the reference plugins, and under podman; and services (throughput
# through a VIP, a task's connect, the spread of connections); and labs (lab up beside
# single commands, and a 300-node lab); and scale (bench/scale.sh: connect and disconnect
# with up to 1,000 endpoints, publish with up to 5,000 ports, listing with 100 networks and
# 1,000 sandboxes, teardown, peak memory).
# Everything runs in a throw-away host (tests/support/hermetic). Usage: sudo bench/run.sh [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-30}
if ! [ -x /usr/lib/cni/bridge ] || ! [ -x /usr/lib/podman/netavark ] || ! command -v bc >/dev/null || ! command -v iperf3 >/dev/null \
  || ! command -v dnsperf >/dev/null || ! command -v valgrind >/dev/null || ! [ -x /usr/bin/time ] || ! [ -x /usr/lib/podman/aardvark-dns ] || ! command -v podman >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containernetworking-plugins netavark bc iperf3 dnsperf aardvark-dns podman valgrind time >/dev/null
fi
cargo build --release --locked -q
tests/support/hermetic bench/attach.sh "$PWD/target/release/ctnet" "$samples"
echo
tests/support/hermetic bench/scale.sh "$PWD/target/release/ctnet" 15
echo
tests/support/hermetic bench/ports.sh "$PWD/target/release/ctnet" "$samples"
echo
tests/support/hermetic bench/dns.sh "$PWD/target/release/ctnet" "$samples"
echo
tests/support/hermetic bench/overlay.sh "$PWD/target/release/ctnet"
echo
tests/support/hermetic bench/cluster.sh "$PWD/target/release/ctnet" "$samples"
echo
tests/support/hermetic bench/cni.sh "$PWD/target/release/ctnet" "$samples"
echo
tests/support/hermetic bench/services.sh "$PWD/target/release/ctnet" 10

echo
tests/support/hermetic bench/labs.sh "$PWD/target/release/ctnet"
