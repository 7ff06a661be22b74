#!/usr/bin/env bash
# The overlay's cost: iperf3 TCP throughput container to container across two "hosts"
# (namespaces on a veth underlay) through ctnet's VXLAN overlay, next to the same between
# the two hosts' own addresses over the underlay, in the same run (bounded 3 s runs, three
# of each, interleaved; medians). Runs inside a hermetic host; bench/run.sh calls it.
# Usage: bench/overlay.sh CTNET
set -euo pipefail
ctnet=$1
state=$(mktemp -d)
cleanup() {
  for f in "$state"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  rm -rf "$state"
}
trap cleanup EXIT
on() { local host=$1; shift; nsenter --net=/run/netns/"$host" env CTNET_STATE_DIR="$state/$host" "$@"; }
ip netns add h1; ip netns add h2
ip -n h1 link add under type veth peer name under netns h2
ip -n h1 addr add 192.0.2.1/24 dev under; ip -n h1 link set under up; ip -n h1 link set lo up
ip -n h2 addr add 192.0.2.2/24 dev under; ip -n h2 link set under up; ip -n h2 link set lo up
on h1 "$ctnet" network create -d overlay --subnet 10.230.0.0/24 --ip-range 10.230.0.0/25 -o peer=192.0.2.2 ov >/dev/null
on h2 "$ctnet" network create -d overlay --subnet 10.230.0.0/24 --ip-range 10.230.0.128/25 -o peer=192.0.2.1 ov >/dev/null
on h1 "$ctnet" sandbox create c1 >/dev/null; on h2 "$ctnet" sandbox create c2 >/dev/null
on h1 "$ctnet" connect ov c1; on h2 "$ctnet" connect ov c2
# The same path built by hand with ip, without ctnet: on each host a bridge with a VXLAN
# port (VNI 999, the other host as its remote) and a veth into a namespace x1/x2. What
# VXLAN costs on this machine, apart from anything ctnet does.
for i in 1 2; do
  ip netns add "x$i"
  ip -n "h$i" link add brx type bridge; ip -n "h$i" link set brx up
  ip -n "h$i" link add vx999 type vxlan id 999 dstport 4789 dev under local "192.0.2.$i" remote "192.0.2.$((3 - i))"
  ip -n "h$i" link set vx999 master brx up
  ip -n "h$i" link add "vx$i" mtu 1450 type veth peer name eth0 netns "x$i" mtu 1450
  ip -n "h$i" link set "vx$i" master brx up
  ip -n "x$i" addr add "10.231.0.$i/24" dev eth0; ip -n "x$i" link set eth0 up; ip -n "x$i" link set lo up
done
ip netns exec x2 iperf3 -s -D -p 5203 --pidfile "$state/x2.pid"
ip netns exec c2 iperf3 -s -D -p 5201 --pidfile "$state/c2.pid"
ip netns exec h2 iperf3 -s -D -p 5202 --pidfile "$state/h2.pid"
sleep 0.5
ip netns exec c1 ping -c1 -W2 -q 10.230.0.128 >/dev/null
ip netns exec x1 ping -c1 -W2 -q 10.231.0.2 >/dev/null
gbps() { "$@" -t 3 -J 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)'; }
: >"$state/under"; : >"$state/over"; : >"$state/hand"
for _ in 1 2 3; do
  gbps ip netns exec h1 iperf3 -c 192.0.2.2 -p 5202 >>"$state/under"
  gbps ip netns exec c1 iperf3 -c 10.230.0.128 -p 5201 >>"$state/over"
  gbps ip netns exec x1 iperf3 -c 10.231.0.2 -p 5203 >>"$state/hand"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
under=$(median "$state/under"); over=$(median "$state/over"); hand=$(median "$state/hand")
echo "== overlay: iperf3 TCP throughput, medians of 3 interleaved 3 s runs"
printf '%-44s %6.2f Gbit/s\n' "host -> host over the underlay (reference)" "$under"
printf '%-44s %6.2f Gbit/s  ratio %.2f\n' "container -> container across the overlay" "$over" "$(echo "$over / $under" | bc -l)"
printf '%-44s %6.2f Gbit/s  ratio %.2f (ctnet against it: %.2f)\n' "the same VXLAN path built by hand with ip" "$hand" \
  "$(echo "$hand / $under" | bc -l)" "$(echo "$over / $hand" | bc -l)"
