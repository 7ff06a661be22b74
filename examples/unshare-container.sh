#!/usr/bin/env bash
# A container made with plain unshare joins a ctnet network by its PID, as a wrapper
# script would do it. Run inside a throw-away host, e.g. ../shared/bin/hermetic.
set -euo pipefail
ctnet network create --subnet 10.123.0.0/24 app >/dev/null
# The "container": a shell in new network, PID and mount namespaces.
unshare --net --pid --mount --fork sleep 60 &
pid=$(pgrep -P $! sleep || echo $!)
ctnet connect app web --pid "$pid" --alias www
ctnet sandbox create client >/dev/null
ctnet connect app client
ctnet sandbox inspect web
ip netns exec client ping -c 1 10.123.0.2
kill "$pid"
ctnet disconnect app web
ctnet sandbox rm web client
ctnet network rm app >/dev/null
