#!/usr/bin/env bash
# Lab: one container network across three hosts, with its state in etcd (ctnet's overlay
# driver, cluster mode). The "hosts" are network namespaces on a bridge underlay; a fourth
# runs etcd (Debian's etcd-server). Each host runs ctnet with a state directory of its own.
# Run it inside a throw-away host: sudo tests/support/hermetic examples/lab-cluster.sh
set -euo pipefail
step() { printf '\n$ %s\n' "$*"; "$@"; }
state=$(mktemp -d)
export CTNET_STORE=etcd://192.0.2.100:2379
on() { local host=$1; shift; nsenter --net=/run/netns/"$host" env CTNET_STATE_DIR="$state/$host" "$@"; }
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$state"' EXIT

ip link add underlay type bridge; ip link set underlay up
for h in host1:1 host2:2 host3:3 store:100; do
  name=${h%%:*}; i=${h##*:}
  ip netns add "$name"; ip link add "u$i" type veth peer name under netns "$name"
  ip link set "u$i" master underlay up
  ip -n "$name" addr add "192.0.2.$i/24" dev under; ip -n "$name" link set under up; ip -n "$name" link set lo up
done
ip netns exec store etcd --name lab --data-dir "$state/etcd" \
  --listen-client-urls http://192.0.2.100:2379 --advertise-client-urls http://192.0.2.100:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster lab=http://127.0.0.1:2380 >"$state/etcd.log" 2>&1 &
pids+=($!)
until ip netns exec store etcdctl --endpoints 192.0.2.100:2379 endpoint health >/dev/null 2>&1; do sleep 0.1; done

# Each host follows the store (as contrib/ctnet-overlay-watch.service would).
# (nsenter itself, not the `on` function, goes to the background: its pid is the watch's.)
for h in host1 host2 host3; do
  nsenter --net=/run/netns/$h env CTNET_STATE_DIR="$state/$h" ctnet overlay watch 2>/dev/null &
  pids+=($!)
done

step on host1 ctnet network create -d overlay --subnet 10.230.0.0/24 app
for h in 1 2 3; do on host$h ctnet sandbox create "c$h" >/dev/null; done
step on host1 ctnet connect app c1
step on host2 ctnet connect app c2
step on host3 ctnet connect app c3
echo; echo "What the store holds:"
step ip netns exec store etcdctl --endpoints 192.0.2.100:2379 get --prefix /ctnet/endpoints/app/
sleep 0.2
step ip netns exec c1 ping -c1 -W1 c3
echo; echo "Behind it, on host1: no learning; each remote MAC behind its host's VTEP, and the"
echo "VXLAN device answers ARP for remote addresses itself (proxy):"
vxlan=$(ip -n host1 -o link show type vxlan | awk -F': ' '{print $2}' | cut -d@ -f1)
step ip -n host1 -d -br link show type vxlan
step bridge -n host1 fdb show dev "$vxlan" state permanent
step ip -n host1 neigh show dev "$vxlan"
for h in 1 2 3; do on host$h ctnet sandbox rm "c$h" >/dev/null; done
step on host1 ctnet network rm app
for h in host1 host2 host3 store; do ip netns del $h; done
ip link del underlay
echo; echo "lab done; everything removed"
