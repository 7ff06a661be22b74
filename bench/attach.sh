#!/usr/bin/env bash
# The measuring half of bench/run.sh; runs inside a hermetic host. Times come from bash's
# $EPOCHREALTIME, so no extra process is counted in any figure.
set -euo pipefail
ctnet=$1 samples=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/by-hand.sh"

us() { local t=${EPOCHREALTIME/./}; echo "${t}"; }
# Reads microsecond samples, prints min/median/p95 in ms; leaves the median in $median_file.
stats() {
  sort -n | awk -v out="$1" '{a[NR]=$1} END {
    med=a[int((NR+1)/2)]/1000; printf "min %6.2f  median %6.2f  p95 %6.2f ms  (n=%d)", a[1]/1000, med, a[int(NR*0.95+0.5)]/1000, NR
    print med > out }'
}
tmp=$(mktemp -d)
report() { # label, samples file, reference median file or ""
  local line; line=$(stats "$tmp/$2.med" <"$tmp/$2")
  if [ -n "${3:-}" ]; then
    printf '%-34s %s  ratio %.2f\n' "$1" "$line" "$(echo "$(cat "$tmp/$2.med") / $(cat "$tmp/$3.med")" | bc -l)"
  else
    printf '%-34s %s\n' "$1" "$line"
  fi
}

settle() {
  local a b k j total idle
  for k in $(seq 20); do
    a=($(head -1 /proc/stat)); sleep 0.5; b=($(head -1 /proc/stat))
    total=0; for j in 1 2 3 4 5 6 7 8; do total=$((total + b[j] - a[j])); done
    idle=$((b[4] - a[4]))
    [ "$total" -gt 0 ] && [ $((idle * 100 / total)) -ge 90 ] && break
  done
}

$ctnet network create --subnet 10.100.0.0/16 bench >/dev/null
bridge=$($ctnet network inspect bench | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:10])')
bridge="ctn-$bridge"
filled=0
for level in 1 100 500; do
  while [ $filled -lt $level ]; do
    filled=$((filled + 1)); ip netns add f$filled; $ctnet connect bench f$filled
  done
  : >"$tmp/conn"; : >"$tmp/disc"; : >"$tmp/ipadd"; : >"$tmp/ipdel"; : >"$tmp/create"; : >"$tmp/ipcreate"
  for i in $(seq "$samples"); do ip netns add t$i; ip netns add r$i; done
  # Let the kernel finish its background work (namespace cleanup from the previous level,
  # RCU callbacks for the links just made) so that it is not billed to the next samples.
  settle
  for i in $(seq "$samples"); do
    t0=$(us); $ctnet connect bench t$i; t1=$(us); echo $((t1 - t0)) >>"$tmp/conn"
    # The same attach by hand (bench/by-hand.sh).
    t0=$(us); attach_by_hand "$i" "$bridge"; t1=$(us); echo $((t1 - t0)) >>"$tmp/ipadd"
  done
  for i in $(seq "$samples"); do
    t0=$(us); $ctnet disconnect bench t$i; t1=$(us); echo $((t1 - t0)) >>"$tmp/disc"
    t0=$(us); ip link del vr$i; t1=$(us); echo $((t1 - t0)) >>"$tmp/ipdel"
  done
  for i in $(seq 10); do
    t0=$(us); $ctnet network create --subnet 10.$((200 + i)).0.0/24 c$i >/dev/null; t1=$(us); echo $((t1 - t0)) >>"$tmp/create"
    t0=$(us)
    printf 'link add rb%s type bridge\naddr add 10.%d.1.1/24 dev rb%s\nlink set rb%s up\n' $i $((200 + i)) $i $i | ip -batch -
    t1=$(us); echo $((t1 - t0)) >>"$tmp/ipcreate"
  done
  # ctnet's own work, free of timing noise: instructions of one more connect (callgrind
  # counts are repeatable run to run); the kernel's share is not in this figure.
  instructions=""
  if command -v valgrind >/dev/null; then
    ip netns add cg$level
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" $ctnet connect bench cg$level 2>/dev/null
    instructions=$(awk '/^summary:/ {print $2}' "$tmp/cg.out")
    $ctnet disconnect bench cg$level; ip netns del cg$level
  fi
  echo "== $level endpoint(s) already on the network"
  [ -n "$instructions" ] && printf '%-34s %s instructions in user space\n' "ctnet connect" "$instructions"
  report "ip -batch attach (reference)" ipadd
  report "ctnet connect" conn ipadd
  report "ip link del (reference)" ipdel
  report "ctnet disconnect" disc ipdel
  report "ip -batch bridge (reference)" ipcreate
  report "ctnet network create (+ nft)" create ipcreate
  cp "$tmp/conn.med" "$tmp/conn-$level.med"; cp "$tmp/ipadd.med" "$tmp/ipadd-$level.med"
  for i in $(seq 10); do $ctnet network rm c$i >/dev/null; ip link del rb$i; done
  # Forget the sandboxes too: the next level makes new namespaces under the same names.
  $ctnet sandbox rm $(seq -f "t%g" "$samples") >/dev/null
  for i in $(seq "$samples"); do ip netns del t$i; ip netns del r$i; done
done
growth() { echo "$(cat "$tmp/$1-500.med") / $(cat "$tmp/$1-1.med")" | bc -l; }
printf '\nmedian at 500 endpoints / median at 1: ctnet connect %.2f, ip -batch attach %.2f\n' "$(growth conn)" "$(growth ipadd)"

echo; echo "== peers, 100 attaches each (their own script; its timer forks date, ~1 ms extra)"
[ -n "${SKIP_PEERS:-}" ] || "$here/../../shared/bin/anchor-attach" 100 2>&1 || echo "anchor-attach failed"
rm -rf "$tmp"
