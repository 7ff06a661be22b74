#!/usr/bin/env bash
# The services half of bench/run.sh; runs inside a hermetic host. Throughput through a
# service's virtual IP beside straight to its task (iperf3, same run), the cost of a
# service's 1st and 200th task's connect, and how 3,000 connections spread over 3 tasks.
set -euo pipefail
ctnet=$1 samples=$2
[ "$(ip -o link show | wc -l)" = 1 ] || { echo "bench/services.sh: not in a fresh hermetic host" >&2; exit 1; }
us() { local t=${EPOCHREALTIME/./}; echo "${t}"; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'; }

$ctnet network create --subnet 10.120.0.0/16 bench >/dev/null
$ctnet service create web --network bench >/dev/null
for s in c t1; do ip netns add $s; done
$ctnet connect bench c
$ctnet connect bench t1 --alias web
vip=$($ctnet service inspect web | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Endpoint"]["VirtualIPs"][0]["Addr"].split("/")[0])')
task=$(ip -n t1 -o -4 addr show eth0 | awk '{print $4}' | cut -d/ -f1)
ip netns exec t1 iperf3 -s -D >/dev/null
sleep 0.5
gbps() { ip netns exec c iperf3 -c "$1" -t 3 -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)'; }
direct=$(gbps "$task"); through=$(gbps "$vip")
printf 'iperf3 TCP, 3 s: straight to the task %.2f Gbit/s, through the VIP %.2f Gbit/s, ratio %.2f\n' \
  "$direct" "$through" "$(echo "$through / $direct" | bc -l)"

# Connects of tasks 1..200 of one service: each brings the service's 256 slots up to date.
: >/tmp/svc-connects
for i in $(seq 2 200); do ip netns add w$i; done
for i in $(seq 2 200); do
  t0=$(us); $ctnet connect bench w$i --alias web; t1=$(us)
  echo $((t1 - t0)) >>/tmp/svc-connects
done
first=$(head -n "$samples" /tmp/svc-connects | median)
last=$(tail -n "$samples" /tmp/svc-connects | median)
printf 'connect of a task: tasks 2-%d median %s ms, tasks %d-200 median %s ms, ratio %.2f\n' \
  "$((samples + 1))" "$first" "$((201 - samples))" "$last" "$(echo "$last / $first" | bc -l)"

# 3,000 connections over 3 tasks of another service.
$ctnet service create spread --network bench >/dev/null
for s in s1 s2 s3; do
  ip netns add $s; $ctnet connect bench $s --alias spread
  ip netns exec $s timeout 120 socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo $s" &
done
svip=$($ctnet service inspect spread | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Endpoint"]["VirtualIPs"][0]["Addr"].split("/")[0])')
sleep 0.5
ip netns exec c python3 - "$svip" <<'PY'
import collections, socket, sys
counts = collections.Counter()
for _ in range(3000):
    with socket.create_connection((sys.argv[1], 80), timeout=3) as s:
        counts[s.makefile().readline().strip()] += 1
shares = ", ".join(f"{name} {n} ({n / 30:.1f}%)" for name, n in sorted(counts.items()))
print(f"3,000 connections to the VIP over 3 tasks: {shares}")
PY
kill $(jobs -p) 2>/dev/null || true
