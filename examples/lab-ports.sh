#!/usr/bin/env bash
# Lab: a published port is a DNAT map element, not a proxy process.
# Run it inside a throw-away host: sudo tests/support/hermetic examples/lab-ports.sh
set -euo pipefail
step() { printf '\n$ %s\n' "$*"; "$@"; }

step ctnet network create --subnet 10.93.0.0/24 web
ctnet sandbox create site >/dev/null
step ctnet --dry-run connect web site -p 8080:80
step ctnet connect web site -p 8080:80
ip netns exec site timeout 10 socat TCP-LISTEN:80,reuseaddr SYSTEM:'echo hello from the sandbox' &
sleep 0.3
step socat -T2 - TCP:127.0.0.1:8080 </dev/null
step nft list map inet ctnet dnat_any
step ctnet port site
pgrep -x docker-proxy >/dev/null || echo "no proxy process: the kernel does it"
wait || true
ctnet sandbox rm site >/dev/null; ctnet network rm web >/dev/null
echo; echo "lab done; everything removed"
