#!/usr/bin/env bash
# Published ports, measured inside a hermetic host (bench/run.sh calls it):
# 1. `ctnet publish` latency with 1 and 1,000 ports already published, beside the nft
#    call that adds the same map element (the reference), in the same run;
# 2. iperf3 TCP throughput through a published port, from an "outside" namespace and from
#    the host's 127.0.0.1, as a ratio to throughput straight to the container's address.
set -euo pipefail
ctnet=$1 samples=$2
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "min %6.2f  median %6.2f  p95 %6.2f ms  (n=%d)", a[1]/1000, a[int((NR+1)/2)]/1000, a[int(NR*0.95+0.5)]/1000, NR}'; }

ip netns add outside
ip link add wan type veth peer name eth0 netns outside
ip addr add 203.0.113.1/24 dev wan; ip link set wan up
ip -n outside addr add 203.0.113.2/24 dev eth0; ip -n outside link set eth0 up
$ctnet network create --subnet 10.160.0.0/24 pub >/dev/null
$ctnet sandbox create srv >/dev/null
$ctnet connect pub srv -p 1:1
target=10.160.0.2

# 1. publish latency. Each sample publishes one more port, then the same element is added
#    by a bare nft call (the work ctnet cannot avoid).
measure_publish() { # LEVEL BASE
  : >"$tmp/pub"; : >"$tmp/nft"
  for i in $(seq "$samples"); do
    port=$(($2 + i))
    t0=$(us); $ctnet publish srv "$port:80" >/dev/null; t1=$(us); echo $((t1 - t0)) >>"$tmp/pub"
    t0=$(us); nft add element inet ctnet dnat_any "{ udp . $port : $target . 80 }"; t1=$(us); echo $((t1 - t0)) >>"$tmp/nft"
  done
  printf '%-40s %s\n' "nft add element, $1 published (ref)" "$(stats <"$tmp/nft")"
  printf '%-40s %s  ratio %.2f\n' "ctnet publish, $1 published" "$(stats <"$tmp/pub")" \
    "$(echo "$(median <"$tmp/pub") / $(median <"$tmp/nft")" | bc -l)"
  median <"$tmp/pub" >"$tmp/pub-$1"
}
echo "== publish latency"
measure_publish 1 10000
# 1,000 ports: ten commands of 100 specs each.
for batch in $(seq 0 9); do
  specs=(); for j in $(seq 1 100); do p=$((20000 + batch * 100 + j)); specs+=("$p:$j"); done
  $ctnet publish srv "${specs[@]}" >/dev/null
done
measure_publish 1000 11000
printf 'publish median with 1000 ports / with 1: %.2f\n' "$(echo "$(cat "$tmp/pub-1000") / $(cat "$tmp/pub-1")" | bc -l)"

# 2. throughput (bounded runs: 3 s each).
echo "== iperf3 TCP throughput, medians of 3 interleaved 3 s runs"
$ctnet publish srv 15201:5201 >/dev/null
ip netns exec srv iperf3 -s -D -p 5201 --pidfile "$tmp/iperf.pid"
sleep 0.5
gbps() { "$@" -t 3 -J 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)'; }
# From outside, the container's own address is closed by ctnet's policy, so the reference
# for that path is the same topology built by hand without ctnet (a plain bridge and a
# namespace behind it): outside -> host -> bridge -> namespace, routed, no NAT.
ip netns add ref
ip link add refbr type bridge; ip addr add 10.170.0.1/24 dev refbr; ip link set refbr up
ip link add vref type veth peer name eth0 netns ref; ip link set vref master refbr up
ip -n ref addr add 10.170.0.2/24 dev eth0; ip -n ref link set eth0 up; ip -n ref link set lo up
ip -n ref route add default via 10.170.0.1
ip -n outside route add 10.170.0.0/24 via 203.0.113.1
ip netns exec ref iperf3 -s -D -p 5201 --pidfile "$tmp/iperf-ref.pid"
sleep 0.5
# Three interleaved rounds; medians, so one noisy run does not decide.
for round in 1 2 3; do
  gbps iperf3 -c "$target" -p 5201 >>"$tmp/direct"
  gbps iperf3 -c 127.0.0.1 -p 15201 >>"$tmp/local"
  gbps ip netns exec outside iperf3 -c 10.170.0.2 -p 5201 >>"$tmp/outside-direct"
  gbps ip netns exec outside iperf3 -c 203.0.113.1 -p 15201 >>"$tmp/outside"
done
ratio() { echo "$1 / $2" | bc -l; }
direct=$(median <"$tmp/direct"); local_pub=$(median <"$tmp/local")
outside_direct=$(median <"$tmp/outside-direct"); outside_pub=$(median <"$tmp/outside")
printf '%-44s %6.2f Gbit/s\n' "host -> container address (reference)" "$direct"
printf '%-44s %6.2f Gbit/s  ratio %.2f\n' "host 127.0.0.1 -> published port" "$local_pub" "$(ratio "$local_pub" "$direct")"
printf '%-44s %6.2f Gbit/s\n' "outside -> routed namespace (reference)" "$outside_direct"
printf '%-44s %6.2f Gbit/s  ratio %.2f\n' "outside -> host address -> published port" "$outside_pub" "$(ratio "$outside_pub" "$outside_direct")"
kill "$(cat "$tmp/iperf-ref.pid")" 2>/dev/null || true
kill "$(cat "$tmp/iperf.pid")" 2>/dev/null || true
