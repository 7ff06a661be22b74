#!/usr/bin/env bash
# Cluster mode: how soon an endpoint connected on one host is programmed on another that runs
# `ctnet overlay watch`. Two "hosts" and etcd in namespaces on a bridge underlay; for each
# sample, `connect` runs on host 2 while `ip -ts monitor neigh` on host 1 stamps the moment
# host 1's VXLAN device gets the new endpoint's neighbour entry (then a ping proves it is
# reachable). The reference, in the same run, is the connect itself: the time until the
# endpoint works on its own host. Runs inside a hermetic host; bench/run.sh calls it.
# Usage: bench/cluster.sh CTNET [SAMPLES]
set -euo pipefail
ctnet=$1
samples=${2:-20}
state=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$state"' EXIT
export CTNET_STORE=etcd://192.0.2.100:2379
on() { local host=$1; shift; nsenter --net=/run/netns/"$host" env CTNET_STATE_DIR="$state/$host" "$@"; }
ip link add ul type bridge; ip link set ul up
for h in h1:1 h2:2 store:100; do
  n=${h%%:*}; i=${h##*:}
  ip netns add "$n"; ip link add "u$i" type veth peer name under netns "$n"
  ip link set "u$i" master ul up
  ip -n "$n" addr add "192.0.2.$i/24" dev under; ip -n "$n" link set under up; ip -n "$n" link set lo up
done
ip netns exec store etcd --name b --data-dir "$state/etcd" \
  --listen-client-urls http://192.0.2.100:2379 --advertise-client-urls http://192.0.2.100:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster b=http://127.0.0.1:2380 >"$state/etcd.log" 2>&1 &
pids+=($!)
until ip netns exec store etcdctl --endpoints 192.0.2.100:2379 endpoint health >/dev/null 2>&1; do sleep 0.1; done
on h1 "$ctnet" network create -d overlay --subnet 10.240.0.0/16 ov >/dev/null
on h1 "$ctnet" sandbox create c1 >/dev/null; on h1 "$ctnet" connect ov c1
nsenter --net=/run/netns/h1 env CTNET_STATE_DIR="$state/h1" "$ctnet" overlay watch 2>/dev/null &
pids+=($!)
ip -n h1 -ts monitor neigh >"$state/monitor" & pids+=($!)
sleep 0.5
: >"$state/samples"
for i in $(seq "$samples"); do
  on h2 "$ctnet" sandbox create "s$i" >/dev/null
  start=$(date +%s.%N)
  on h2 "$ctnet" connect ov "s$i"
  end=$(date +%s.%N)
  ip=$(ip -n "s$i" -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
  for _ in $(seq 2000); do grep -q "^\[.*\] $ip dev ctv" "$state/monitor" && break; sleep 0.001; done
  ip netns exec c1 ping -c1 -W1 -q "$ip" >/dev/null || { echo "s$i ($ip) not reachable from h1" >&2; exit 1; }
  echo "$start $end $ip" >>"$state/samples"
done
python3 - "$state/samples" "$state/monitor" <<'PY'
import re, statistics, sys, datetime
seen = {}
for line in open(sys.argv[2]):
    m = re.match(r"\[(\S+)\] (\S+) dev ctv", line)
    if m and m.group(2) not in seen:
        stamp = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
        seen[m.group(2)] = stamp.timestamp()
local, remote = [], []
for line in open(sys.argv[1]):
    start, end, ip = line.split()
    local.append((float(end) - float(start)) * 1000)
    remote.append((seen[ip] - float(start)) * 1000)
l, r = statistics.median(local), statistics.median(remote)
print(f"== cluster: a new endpoint on host 2, programmed on host 1 by overlay watch ({len(local)} samples, medians)")
print(f"{'connect on host 2, until it works there (reference)':58} {l:7.2f} ms")
print(f"{'connect start on host 2 until host 1 has its entries':58} {r:7.2f} ms  ratio {r / l:.2f}")
lead = [y - x for x, y in zip(remote, local)]
print(f"{'host 1 ready before host 2 connect returned (median, min)':58} {statistics.median(lead):7.2f} ms  ({min(lead):.2f})")
PY
