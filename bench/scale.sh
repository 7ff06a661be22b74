#!/usr/bin/env bash
# Scale (issue 22), measured inside a hermetic host (bench/run.sh calls it): what one
# command costs as a network fills to 1,000 endpoints, a sandbox to 5,000 published ports,
# and a host to 100 networks and 1,000 sandboxes; beside the kernel's own floor measured in
# the same run (`ip -batch`, `nft`), with callgrind's instruction counts as the figure that
# does not depend on the machine's load. Ends with one summary table.
set -euo pipefail
ctnet=$1 samples=${2:-15}
[ "$(ip -o link | wc -l)" -le 1 ] || { echo "scale.sh: not in a hermetic host" >&2; exit 1; }
source "$(cd "$(dirname "$0")" && pwd)/by-hand.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
# Instructions in user space of one command (callgrind); "-" without valgrind.
instructions() {
  command -v valgrind >/dev/null || { echo -; return; }
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$tmp/cg.out"
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
row() { printf '%-44s %12s %12s %8s\n' "$@" | tee -a "$tmp/summary"; }

$ctnet network create --subnet 10.100.0.0/16 bench >/dev/null
bridge="ctn-$($ctnet network inspect bench | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:10])')"

# 1. connect and disconnect as the network fills: ctnet beside the same attach by hand
#    (host side in one ip -batch, sandbox side in another) and `ip link del`.
filled=0
for level in 1 100 500 1000; do
  while [ $filled -lt "$level" ]; do
    filled=$((filled + 1)); $ctnet sandbox create f$filled >/dev/null; $ctnet connect bench f$filled
  done
  : >"$tmp/conn"; : >"$tmp/disc"; : >"$tmp/ipadd"; : >"$tmp/ipdel"
  for i in $(seq "$samples"); do ip netns add t$i; ip netns add r$i; done
  # One sample at a time, each connect undone before the next: a bridge takes at most
  # 1,024 ports (EXFULL), and the network already has 1,000.
  for i in $(seq "$samples"); do
    t0=$(us); $ctnet connect bench t$i; t1=$(us); echo $((t1 - t0)) >>"$tmp/conn"
    t0=$(us); attach_by_hand "$i" "$bridge"; t1=$(us); echo $((t1 - t0)) >>"$tmp/ipadd"
    t0=$(us); $ctnet disconnect bench t$i; t1=$(us); echo $((t1 - t0)) >>"$tmp/disc"
    t0=$(us); ip link del vr$i; t1=$(us); echo $((t1 - t0)) >>"$tmp/ipdel"
  done
  ip netns add cg
  ci=$(instructions $ctnet connect bench cg)
  [ "$level" = 1000 ] && connect_rss=$(rss $ctnet disconnect bench cg) && $ctnet connect bench cg
  di=$(instructions $ctnet disconnect bench cg)
  $ctnet sandbox rm cg >/dev/null; ip netns del cg 2>/dev/null || true
  # The same attach as a runtime asks for it through CNI (ADD, then DEL).
  ip netns add cni
  cni() { CNI_COMMAND=$1 CNI_CONTAINERID=cni$level CNI_NETNS=/run/netns/cni CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni instructions $ctnet <<<'{"cniVersion":"1.0.0","name":"bench","type":"ctnet","network":"bench"}'; }
  cni ADD >"$tmp/cai-$level"; cni DEL >"$tmp/cdi-$level"
  ip netns del cni
  for f in conn disc ipadd ipdel; do median <"$tmp/$f" >"$tmp/$f-$level"; done
  echo "$ci" >"$tmp/ci-$level"; echo "$di" >"$tmp/di-$level"
  $ctnet sandbox rm $(seq -f "t%g" "$samples") >/dev/null
  for i in $(seq "$samples"); do ip netns del t$i 2>/dev/null || true; ip netns del r$i; done
done

# 2. publish with 1, 1,000 and 5,000 ports already published (one sandbox), beside the
#    nft call that adds the same map element.
$ctnet sandbox create srv >/dev/null
$ctnet connect bench srv
target=$(ip -n srv -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
$ctnet publish srv 1:1 >/dev/null
published=1
for level in 1 1000 5000; do
  while [ $published -lt "$level" ]; do
    specs=()
    for j in $(seq 1 500); do
      [ $published -lt "$level" ] || break
      published=$((published + 1)); specs+=("$((10000 + published)):80")
    done
    $ctnet publish srv "${specs[@]}" >/dev/null
  done
  : >"$tmp/pub"; : >"$tmp/unpub"; : >"$tmp/nft"; : >"$tmp/nftdel"
  for i in $(seq "$samples"); do
    port=$((40000 + i))
    t0=$(us); $ctnet publish srv "$port:80" >/dev/null; t1=$(us); echo $((t1 - t0)) >>"$tmp/pub"
    t0=$(us); nft add element inet ctnet dnat_any "{ udp . $port : $target . 80 }"; t1=$(us); echo $((t1 - t0)) >>"$tmp/nft"
    t0=$(us); nft delete element inet ctnet dnat_any "{ udp . $port }"; t1=$(us); echo $((t1 - t0)) >>"$tmp/nftdel"
    t0=$(us); $ctnet unpublish srv "$port:80" >/dev/null; t1=$(us); echo $((t1 - t0)) >>"$tmp/unpub"
  done
  for f in pub unpub nft nftdel; do median <"$tmp/$f" >"$tmp/$f-$level"; done
  instructions $ctnet publish srv 45000:80 >"$tmp/pi-$level"
  instructions $ctnet unpublish srv 45000:80 >"$tmp/ui-$level"
  [ "$level" = 5000 ] && publish_rss=$(rss $ctnet publish srv 45001:80)
done

# 3. listing and inspecting with 100 networks and 1,000 sandboxes (the 1,000 endpoints
#    above and srv are in sandboxes of their own).
for i in $(seq 2 100); do $ctnet network create --subnet 10.$((200 + i / 100)).$((i % 100)).0/24 n$i >/dev/null; done
sandboxes=$(find /var/lib/ctnet/sandboxes -name "*.json" | wc -l)
networks=$(python3 -c 'import json; print(len(json.load(open("/var/lib/ctnet/state.json"))["networks"]))')
for cmd in "network ls" "sandbox ls" "network inspect bench"; do
  : >"$tmp/list"
  for i in $(seq 10); do t0=$(us); $ctnet $cmd >/dev/null; t1=$(us); echo $((t1 - t0)) >>"$tmp/list"; done
  median <"$tmp/list" >"$tmp/list-${cmd// /-}"
done
list_rss=$(rss $ctnet sandbox ls)
state_size=$(stat -c %s /var/lib/ctnet/state.json)
sandbox_files=$(du -sb /var/lib/ctnet/sandboxes | cut -f1)
hosts_size=$(stat -L -c %s /var/lib/ctnet/names/bench-*.hosts)

# 4. teardown: 100 sandboxes in one `sandbox rm`, beside 100 veths by hand deleted with
#    `ip link del` and 100 namespaces with `ip netns del`, each in one ip -batch.
for i in $(seq 100); do ip netns add k$i; done
printf 'link add vk%s type veth peer name eth0 netns k%s\n' $(for i in $(seq 100); do echo "$i $i"; done) | ip -batch -
t0=$(us); printf 'link del vk%s\n' $(seq 100) | ip -batch -; t1=$(us); linkdel=$((t1 - t0))
printf 'link add vk%s type veth peer name eth0 netns k%s\n' $(for i in $(seq 100); do echo "$i $i"; done) | ip -batch -
t0=$(us); printf 'netns del k%s\n' $(seq 100) | ip -batch -; t1=$(us); netnsdel=$((t1 - t0))
t0=$(us); $ctnet sandbox rm $(seq -f "f%g" 1 100) >/dev/null; t1=$(us); sandboxrm=$((t1 - t0))
rest=$(find /var/lib/ctnet/sandboxes -name "*.json" | wc -l)
t0=$(us); $ctnet sandbox rm $(seq -f "f%g" 101 1000) srv >/dev/null; $ctnet network rm bench >/dev/null; t1=$(us); rest_rm=$((t1 - t0))

# The summary.
echo "== scale: medians of $samples samples; instructions from callgrind (user space)"
row "connect/disconnect, N already on the network" "ctnet ms" "floor ms" "ratio"
for level in 1 100 500 1000; do
  row "connect at $level (floor: two ip -batch)" "$(cat "$tmp/conn-$level")" "$(cat "$tmp/ipadd-$level")" "$(ratio "$(cat "$tmp/conn-$level")" "$(cat "$tmp/ipadd-$level")")"
  row "disconnect at $level (floor: ip link del)" "$(cat "$tmp/disc-$level")" "$(cat "$tmp/ipdel-$level")" "$(ratio "$(cat "$tmp/disc-$level")" "$(cat "$tmp/ipdel-$level")")"
done
row "instructions, against N=1" "ctnet" "at N=1" "ratio"
for level in 100 500 1000; do
  row "connect instructions at $level" "$(cat "$tmp/ci-$level")" "$(cat "$tmp/ci-1")" "$(ratio "$(cat "$tmp/ci-$level")" "$(cat "$tmp/ci-1")")"
  row "disconnect instructions at $level" "$(cat "$tmp/di-$level")" "$(cat "$tmp/di-1")" "$(ratio "$(cat "$tmp/di-$level")" "$(cat "$tmp/di-1")")"
  row "CNI ADD instructions at $level" "$(cat "$tmp/cai-$level")" "$(cat "$tmp/cai-1")" "$(ratio "$(cat "$tmp/cai-$level")" "$(cat "$tmp/cai-1")")"
  row "CNI DEL instructions at $level" "$(cat "$tmp/cdi-$level")" "$(cat "$tmp/cdi-1")" "$(ratio "$(cat "$tmp/cdi-$level")" "$(cat "$tmp/cdi-1")")"
done
row "publish, N ports already published" "ctnet ms" "nft ms" "ratio"
for level in 1 1000 5000; do
  row "publish at $level (floor: nft add element)" "$(cat "$tmp/pub-$level")" "$(cat "$tmp/nft-$level")" "$(ratio "$(cat "$tmp/pub-$level")" "$(cat "$tmp/nft-$level")")"
  row "unpublish at $level (floor: nft delete element)" "$(cat "$tmp/unpub-$level")" "$(cat "$tmp/nftdel-$level")" "$(ratio "$(cat "$tmp/unpub-$level")" "$(cat "$tmp/nftdel-$level")")"
done
for level in 1000 5000; do
  row "publish at $level against at 1: ms, instructions" "$(ratio "$(cat "$tmp/pub-$level")" "$(cat "$tmp/pub-1")")" "$(ratio "$(cat "$tmp/pi-$level")" "$(cat "$tmp/pi-1")")" ""
  row "unpublish at $level against at 1: ms, instructions" "$(ratio "$(cat "$tmp/unpub-$level")" "$(cat "$tmp/unpub-1")")" "$(ratio "$(cat "$tmp/ui-$level")" "$(cat "$tmp/ui-1")")" ""
done
row "listing: $networks networks, $sandboxes sandboxes" "ctnet ms" "" ""
for cmd in network-ls sandbox-ls network-inspect-bench; do row "${cmd//-/ } (1,000 endpoints)" "$(cat "$tmp/list-$cmd")" "" ""; done
row "state.json, sandbox files, bench's hosts (bytes)" "$state_size" "$sandbox_files" "$hosts_size"
row "teardown of 100 (ms per endpoint)" "ctnet" "reference" "ratio"
row "sandbox rm x100 / ip link del x100" "$(ratio "$sandboxrm" 100000)" "$(ratio "$linkdel" 100000)" "$(ratio "$sandboxrm" "$linkdel")"
row "sandbox rm x100 / ip netns del x100" "$(ratio "$sandboxrm" 100000)" "$(ratio "$netnsdel" 100000)" "$(ratio "$sandboxrm" "$netnsdel")"
row "sandbox rm of the other $rest + network rm (ms)" "$(ratio "$rest_rm" 1000)" "" ""
row "peak RSS (KiB): disconnect@1000, publish@5000, ls" "$connect_rss" "$publish_rss" "$list_rss"
