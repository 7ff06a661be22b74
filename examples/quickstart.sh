#!/usr/bin/env bash
# Build and install ctnet, then show two sandboxes talking over a network. The demo runs
# in a throw-away network and mount namespace, so the machine's own network is untouched,
# and everything it makes disappears when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside ]; then
  [ "$(id -u)" = 0 ] || { echo "quickstart: run as root (sudo $0)" >&2; exit 1; }
  command -v nft >/dev/null && command -v ping >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables iproute2 iputils-ping >/dev/null
  }
  cargo build --release --locked
  install -m 0755 target/release/ctnet /usr/local/bin/ctnet
  echo "installed /usr/local/bin/ctnet ($(ctnet --version))"
  exec unshare --mount --net --fork -- "$0" --inside
fi

# A fresh "host": private mounts, empty netns and state directories, loopback up.
mount --make-rprivate /
for d in /run/netns /etc/netns /var/lib/ctnet /run/ctnet; do
  mkdir -p "$d"; mount -t tmpfs tmpfs "$d"
done
ip link set lo up

step() { printf '\n$ %s\n' "$*"; "$@"; }
step ctnet network create --subnet 10.88.0.0/24 demo
step ctnet sandbox create alice
step ctnet sandbox create bob
step ctnet connect demo alice
step ctnet connect demo bob
step ctnet network inspect demo
step ip netns exec alice ping -c 2 10.88.0.3
step ctnet sandbox rm alice bob
step ctnet network rm demo
echo; echo "quickstart: alice and bob talked over network demo; everything is cleaned up."
