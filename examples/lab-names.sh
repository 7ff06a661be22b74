#!/usr/bin/env bash
# Lab: two containers on a user-defined bridge talk by name; a third on another network
# cannot see them. First through the hosts files ctnet writes, then through `ctnet dns serve`.
# Run it inside a throw-away host: sudo tests/support/hermetic examples/lab-names.sh
# (dig comes with Debian's bind9-dnsutils.)
set -euo pipefail
step() { printf '\n$ %s\n' "$*"; "$@"; }
try() { printf '\n$ %s\n' "$*"; "$@" && echo "(resolved)" || echo "(unknown here, as in Docker)"; }

step ctnet network create --subnet 10.93.0.0/24 shop
step ctnet network create --subnet 10.94.0.0/24 office
for s in web db intruder; do ctnet sandbox create $s >/dev/null; done
step ctnet connect shop web
step ctnet connect shop db --alias postgres
step ctnet connect office intruder
step ip netns exec web ping -c1 -W1 db
try ip netns exec web getent hosts postgres
try ip netns exec intruder getent hosts db
echo; echo "Behind it: /etc/netns/web/hosts, which ip netns exec mounts over /etc/hosts:"
step ls -l /etc/netns/web
step ip netns exec web cat /etc/hosts

echo; echo "Now the resolver: it answers on each network's gateway while it runs."
ctnet dns serve 2>/dev/null & dns=$!
# A step that fails must not leave the resolver running (it would keep this lab's output open).
trap 'kill $dns 2>/dev/null || true' EXIT
for _ in $(seq 50); do ip netns exec web cat /etc/resolv.conf | grep -q 10.93.0.1 && break; sleep 0.1; done
step ip netns exec web cat /etc/resolv.conf
step ip netns exec web dig +short db          # asks 10.93.0.1, not the hosts file
step ip netns exec web dig +short -x 10.93.0.3
kill $dns; wait $dns; trap - EXIT

ctnet sandbox rm web db intruder >/dev/null
ctnet network rm shop office >/dev/null
echo; echo "lab done; everything removed"
