#!/usr/bin/env bash
# A container made with plain unshare joins a ctnet network by its PID, as a wrapper
# script would do it. Run inside a throw-away host, e.g. tests/support/hermetic.
set -euo pipefail
ctnet network create --subnet 10.123.0.0/24 app >/dev/null
# The "container": a process in new network, PID and mount namespaces. unshare(1) moves
# itself into them before it forks, so its own PID names the network namespace too;
# --kill-child ends the container when unshare is killed.
unshare --net --pid --mount --fork --kill-child sleep 60 &
pid=$!
sleep 0.2
ctnet connect app web --pid "$pid" --alias www
ctnet sandbox create client >/dev/null
ctnet connect app client
ctnet sandbox inspect web
ip netns exec client ping -c 1 10.123.0.2
kill -KILL "$pid"   # unshare --fork ignores SIGTERM; --kill-child takes the container with it
ctnet disconnect app web
ctnet sandbox rm web client
ctnet network rm app >/dev/null
