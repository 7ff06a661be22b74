#!/usr/bin/env bash
# The labs half of bench/run.sh; runs inside a hermetic host. A generated 50-node lab (3
# bridge networks, 60 p2p links, a rate limit on every fifth link) made by `lab up` beside
# the same topology made by single ctnet commands in a loop, same run; then taken down
# both ways; then a 300-node lab (3 networks, 300 links) up and down.
set -euo pipefail
ctnet=$1
[ "$(ip -o link show | wc -l)" = 1 ] || { echo "bench/labs.sh: not in a fresh hermetic host" >&2; exit 1; }
ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
dir=$(mktemp -d)

# gen NODES LINKS: the lab file on stdout. Node i is on network i%3; link k joins node
# k%N and node (k+1+k/N)%N (a ring, then chords), with /30 10.(100+k/64).(k%64*4).0.
gen() {
  local nodes=$1 links=$2
  echo "name: bench"
  echo "networks:"
  for n in 0 1 2; do echo "  net$n: {subnet: 10.$((50 + n)).0.0/16}"; done
  echo "nodes:"
  for i in $(seq 0 $((nodes - 1))); do echo "  n$i: {networks: {net$((i % 3)): {}}}"; done
  echo "links:"
  for k in $(seq 0 $((links - 1))); do
    a=$((k % nodes)); b=$(((k + 1 + k / nodes) % nodes))
    echo "  l$k:"
    echo "    a: n$a:l$k"
    echo "    b: n$b:l$k"
    echo "    subnet: 10.$((100 + k / 64)).$((k % 64 * 4)).0/30"
    [ $((k % 5)) != 0 ] || echo "    impair: {a-b: {rate: 100mbit}}"
  done
}
# The same topology as single commands.
loop_up() {
  local nodes=$1 links=$2
  for n in 0 1 2; do $ctnet network create --subnet 10.$((50 + n)).0.0/16 net$n >/dev/null; done
  for i in $(seq 0 $((nodes - 1))); do
    $ctnet sandbox create n$i >/dev/null; $ctnet connect net$((i % 3)) n$i
  done
  for k in $(seq 0 $((links - 1))); do
    a=$((k % nodes)); b=$(((k + 1 + k / nodes) % nodes))
    $ctnet network create -d p2p --subnet 10.$((100 + k / 64)).$((k % 64 * 4)).0/30 l$k >/dev/null
    $ctnet connect l$k n$a --ifname l$k; $ctnet connect l$k n$b --ifname l$k
    [ $((k % 5)) != 0 ] || $ctnet impair n$a l$k --rate 100mbit
  done
}
loop_down() {
  local nodes=$1 links=$2
  $ctnet sandbox rm $(seq -f 'n%g' 0 $((nodes - 1))) >/dev/null
  $ctnet network rm net0 net1 net2 $(seq -f 'l%g' 0 $((links - 1))) >/dev/null
}

gen 50 60 >$dir/lab50.yaml
t0=$(ms); $ctnet lab up -f $dir/lab50.yaml >/dev/null; t1=$(ms)
ip netns exec n0 ping -c1 -W1 -q 10.100.0.2 >/dev/null || { echo "bench/labs.sh: the lab does not carry" >&2; exit 1; }
t2=$(ms); $ctnet lab down bench >/dev/null; t3=$(ms)
t4=$(ms); loop_up 50 60; t5=$(ms)
t6=$(ms); loop_down 50 60; t7=$(ms)
printf '50 nodes, 3 networks, 60 links: lab up %d ms, the same by single commands %d ms, ratio %.2f\n' \
  $((t1 - t0)) $((t5 - t4)) "$(echo "($t1 - $t0) / ($t5 - $t4)" | bc -l)"
printf '  down: lab down %d ms, sandbox rm + network rm %d ms, ratio %.2f\n' \
  $((t3 - t2)) $((t7 - t6)) "$(echo "($t3 - $t2) / ($t7 - $t6)" | bc -l)"
gen 300 300 >$dir/lab300.yaml
t0=$(ms); $ctnet lab up -f $dir/lab300.yaml >/dev/null; t1=$(ms)
t2=$(ms); $ctnet lab up -f $dir/lab300.yaml >/dev/null; t3=$(ms)
t4=$(ms); $ctnet lab down bench >/dev/null; t5=$(ms)
printf '300 nodes, 3 networks, 300 links: lab up %.1f s, again (nothing to do) %.2f s, down %.1f s (containerlab publishes 39 s up, 37 s down for 300 containers)\n' \
  "$(echo "($t1 - $t0) / 1000" | bc -l)" "$(echo "($t3 - $t2) / 1000" | bc -l)" "$(echo "($t5 - $t4) / 1000" | bc -l)"
rm -rf $dir
