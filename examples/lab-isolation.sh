#!/usr/bin/env bash
# Lab: isolation between networks, and a sandbox on two networks as the only bridge.
# Run it inside a throw-away host: sudo tests/support/hermetic examples/lab-isolation.sh
set -euo pipefail
step() { printf '\n$ %s\n' "$*"; "$@"; }
try() { printf '\n$ %s\n' "$*"; "$@" && echo "(reached)" || echo "(blocked, as the policy says)"; }

step ctnet network create --subnet 10.91.0.0/24 frontend
step ctnet network create --subnet 10.92.0.0/24 backend
for s in web app db; do ctnet sandbox create $s >/dev/null; done
step ctnet connect frontend web
step ctnet connect backend db
step ctnet connect frontend app
step ctnet connect backend app
try ip netns exec web ping -c1 -W1 10.92.0.2      # web -> db: different networks
try ip netns exec app ping -c1 -W1 10.92.0.2      # app is on both
try ip netns exec app ping -c1 -W1 10.91.0.2
echo; echo "The Linux objects behind it:"
step ip -br link show type bridge
step nft list set inet ctnet bridges
step ctnet graph
ctnet sandbox rm web app db >/dev/null
ctnet network rm frontend backend >/dev/null
echo; echo "lab done; everything removed"
