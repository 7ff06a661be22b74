# Sourced by the benchmarks: the kernel's own floor for a connect, done by hand.

# attach_by_hand I BRIDGE: what `ctnet connect` does for sample I, in two ip -batch
# processes: the host side (veth vrI born with its peer eth0 in namespace rI, on BRIDGE) and
# the sandbox side (lo, eth0 up, address 10.100.250.I/16, default route). Like ctnet,
# neither end gets an IPv6 link-local address: their multicast, flooded to every bridge
# port, would slow down whatever runs next.
attach_by_hand() {
  printf 'link add vr%s type veth peer name eth0 netns r%s\nlink set vr%s master %s addrgenmode none up\n' "$1" "$1" "$1" "$2" | ip -batch -
  printf 'link set lo up\nlink set eth0 addrgenmode none up\naddr add 10.100.250.%d/16 dev eth0\nroute add default via 10.100.0.1\n' "$1" | ip -n "r$1" -batch -
}
