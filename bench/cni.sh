#!/usr/bin/env bash
# The CNI half of bench/run.sh; runs inside a hermetic host. ADD and DEL latency of ctnet
# as a CNI plugin beside the reference plugins (Debian's containernetworking-plugins:
# bridge + host-local, then portmap for the port mapping), driven the same way a runtime
# drives them: one process per plugin in the list, the configuration on stdin, the
# previous plugin's result passed on. Then `podman run --rm IMAGE true` end to end on a
# ctnet network and on a podman network made with the reference bridge plugin.
set -euo pipefail
ctnet=$1 samples=$2
[ "$(ip -o link show | wc -l)" = 1 ] || { echo "bench/cni.sh: not in a fresh hermetic host" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
export PATH=$(dirname "$ctnet"):$PATH
T=$(mktemp -d); ON_EXIT=()
trap 'for h in "${ON_EXIT[@]}"; do eval "$h" || true; done; rm -rf "$T"' EXIT
die() { echo "bench/cni.sh: $*" >&2; exit 1; }
SUPPORT=$here/../tests/support
source "$SUPPORT/runtimes.sh"

us() { local t=${EPOCHREALTIME/./}; echo "${t}"; }
median() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'; }
report() { # label, samples, reference samples or ""
  local m; m=$(median "$2")
  if [ -n "${3:-}" ]; then
    printf '%-46s median %7.2f ms  ratio %.2f\n' "$1" "$m" "$(echo "$m / $(median "$3")" | bc -l)"
  else
    printf '%-46s median %7.2f ms\n' "$1" "$m"
  fi
}

# plugin PATH VERB ID NETNS CONF: one plugin executed as a runtime executes it (no process
# but the plugin's own in the timed part).
plugin() {
  CNI_COMMAND=$2 CNI_CONTAINERID=$3 CNI_NETNS=$4 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$1" <<<"$5"
}
bridge=/usr/lib/cni/bridge portmap=/usr/lib/cni/portmap
# with_prev CONF RESULT: what a runtime hands the next plugin of a list.
with_prev() { echo "${1%\}},\"prevResult\":$2}"; }

ports='"runtimeConfig":{"portMappings":[{"hostPort":PORT,"containerPort":80,"protocol":"tcp"}]}'
ctnet_conf() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"ctnet\",\"network\":\"bench\"${1:+,${ports/PORT/$1}}}"; }
bridge_conf='{"cniVersion":"1.0.0","name":"ref","type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","subnet":"10.200.0.0/16","dataDir":"'$T'/host-local"}}'
portmap_conf() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"ref\",\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},${ports/PORT/$1}}"; }

$ctnet network create --subnet 10.100.0.0/16 bench >/dev/null
for i in $(seq "$samples"); do ip netns add c$i; ip netns add r$i; done
: >"$T/ctnet.add"; : >"$T/ctnet.del"; : >"$T/ref.add"; : >"$T/ref.del"
for i in $(seq "$samples"); do
  port=$((20000 + i)) mine=$(ctnet_conf $((20000 + i))) theirs=$(portmap_conf $((20000 + i)))
  t0=$(us); plugin "$ctnet" ADD c$i /run/netns/c$i "$mine" >/dev/null; t1=$(us)
  echo $((t1 - t0)) >>"$T/ctnet.add"
  # The result is read as a runtime reads it (a pipe); building the next input is the
  # runtime's work, done with bash's own string operations.
  t0=$(us)
  plugin $bridge ADD r$i /run/netns/r$i "$bridge_conf" >"$T/r$i.result"
  result=$(<"$T/r$i.result")
  plugin $portmap ADD r$i /run/netns/r$i "${theirs%\}},\"prevResult\":$result}" >/dev/null
  t1=$(us); echo $((t1 - t0)) >>"$T/ref.add"
done
for i in $(seq "$samples"); do
  mine=$(ctnet_conf $((20000 + i))) prev=$(<"$T/r$i.result")
  theirs=$(with_prev "$(portmap_conf $((20000 + i)))" "$prev") bridged=$(with_prev "$bridge_conf" "$prev")
  t0=$(us); plugin "$ctnet" DEL c$i /run/netns/c$i "$mine"; t1=$(us)
  echo $((t1 - t0)) >>"$T/ctnet.del"
  t0=$(us)
  plugin $portmap DEL r$i /run/netns/r$i "$theirs"
  plugin $bridge DEL r$i /run/netns/r$i "$bridged"
  t1=$(us); echo $((t1 - t0)) >>"$T/ref.del"
done
echo "CNI plugins, $samples containers each, one port mapping each (ratio = ctnet / reference):"
report "reference ADD (bridge+host-local, portmap)" "$T/ref.add"
report "ctnet ADD" "$T/ctnet.add" "$T/ref.add"
report "reference DEL (portmap, bridge)" "$T/ref.del"
report "ctnet DEL" "$T/ctnet.del" "$T/ref.del"

# podman end to end: the same image and command on a ctnet network and on podman's own
# CNI bridge network (the reference plugins).
runtimes_setup
# podman's own bridge networks need the reference plugins beside ctnet.
for p in bridge portmap firewall tuning host-local loopback; do ln -s /usr/lib/cni/$p /opt/cni/bin/; done
ctnet cni config bench --write >/dev/null
podman network create --subnet 10.210.0.0/16 ref >/dev/null
runs=$(( samples < 20 ? samples : 20 ))
export runs
in_pid_namespace '
  # Interleaved, so that whatever else the machine does weighs on both alike.
  for net in bench ref; do
    podman run --rm --cgroup-parent=/$RUNTIME_CGROUP --network $net local/bb true; : >$T/podman.$net
  done
  for i in $(seq $runs); do
    for net in bench ref; do
      t0=${EPOCHREALTIME/./}
      podman run --rm --cgroup-parent=/$RUNTIME_CGROUP --network $net local/bb true
      t1=${EPOCHREALTIME/./}; echo $((t1 - t0)) >>$T/podman.$net
    done
  done
'
echo
echo "podman run --rm local/bb true, $runs runs each:"
report "on a podman network (reference bridge plugin)" "$T/podman.ref"
report "on a ctnet network" "$T/podman.bench" "$T/podman.ref"
