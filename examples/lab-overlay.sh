#!/usr/bin/env bash
# Lab: one container network across two hosts, over VXLAN (ctnet's overlay driver, static
# mode). The two "hosts" are network namespaces joined by an underlay link; each runs ctnet
# with a state directory of its own, as two machines would.
# Run it inside a throw-away host: sudo tests/support/hermetic examples/lab-overlay.sh
set -euo pipefail
step() { printf '\n$ %s\n' "$*"; "$@"; }
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
# "On host H, run ...": the command sees H's network namespace (its links, its firewall).
on() { local host=$1; shift; nsenter --net=/run/netns/"$host" env CTNET_STATE_DIR="$state/$host" "$@"; }

ip netns add host1; ip netns add host2
ip -n host1 link add under type veth peer name under netns host2
ip -n host1 addr add 192.0.2.1/24 dev under; ip -n host1 link set under up
ip -n host2 addr add 192.0.2.2/24 dev under; ip -n host2 link set under up

# Static mode: each host lists the other; their address ranges are planned not to overlap.
step on host1 ctnet network create -d overlay --subnet 10.220.0.0/24 --ip-range 10.220.0.0/25 -o peer=192.0.2.2 ov
step on host2 ctnet network create -d overlay --subnet 10.220.0.0/24 --ip-range 10.220.0.128/25 -o peer=192.0.2.1 ov
on host1 ctnet sandbox create web >/dev/null; on host2 ctnet sandbox create db >/dev/null
step on host1 ctnet connect ov web
step on host2 ctnet connect ov db
step ip netns exec web ping -c1 -W1 10.220.0.128
echo; echo "Behind it, on host1: a bridge with a VXLAN port, and where unknown frames are flooded:"
step ip -n host1 -d -br link show type vxlan
step bridge -n host1 fdb show dev "$(ip -n host1 -o link show type vxlan | awk -F': ' '{print $2}' | cut -d@ -f1)"
on host1 ctnet sandbox rm web >/dev/null; on host2 ctnet sandbox rm db >/dev/null
on host1 ctnet network rm ov >/dev/null; on host2 ctnet network rm ov >/dev/null
ip netns del host1; ip netns del host2
echo; echo "lab done; everything removed"
