#!/usr/bin/env bash
# Lab: containers on the LAN itself with macvlan: their own MAC and address, no NAT, and
# the one surprise everybody meets: the host cannot reach them through the parent.
# Run it inside a throw-away host: sudo tests/support/hermetic examples/lab-macvlan.sh
set -euo pipefail
step() { printf '\n$ %s\n' "$*"; "$@"; }
try() { printf '\n$ %s\n' "$*"; "$@" >/dev/null 2>&1 && echo "(reached)" || echo "(not reached)"; }

# A pretend LAN: a namespace with the router 10.77.0.1, cabled to the host's lan0.
ip netns add lan
ip link add lan0 type veth peer name eth0 netns lan
ip link set lan0 up
ip -n lan addr add 10.77.0.1/24 dev eth0; ip -n lan link set eth0 up

step ctnet network create -d macvlan --subnet 10.77.0.0/24 --gateway 10.77.0.1 -o parent=lan0 onlan
for s in cam1 cam2; do ctnet sandbox create $s >/dev/null; done
step ctnet connect onlan cam1
step ctnet connect onlan cam2
step ip -n cam1 -d link show eth0
try ip netns exec cam1 ping -c1 -W1 10.77.0.3     # container to container
try ip netns exec cam1 ping -c1 -W1 10.77.0.1     # container to the LAN's router
try ip netns exec lan ping -c1 -W1 10.77.0.2      # the LAN to a container: no NAT
ip addr add 10.77.0.254/24 dev lan0
try ping -c1 -W1 10.77.0.2                        # the host through its parent: macvlan says no
ip addr del 10.77.0.254/24 dev lan0
ctnet sandbox rm cam1 cam2 >/dev/null; ctnet network rm onlan >/dev/null; ip netns del lan; ip link del lan0 2>/dev/null || true
echo; echo "lab done; everything removed"
