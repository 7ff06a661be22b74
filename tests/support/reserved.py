#!/usr/bin/env python3
"""What a crash may leave, before `ctnet gc`: every address and host port a sandbox file
holds is still taken in state.json's indexes. A crash may leave more taken, never less: one
free in the index while a file holds it could be handed out twice.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agree import STATE, mapping, member_list, routed_only, sandbox_files  # noqa: E402


def host_ports(saved):
    proto, host_ip, host_port, _, count = mapping(saved)
    return {(proto, host_ip, port) for port in range(host_port, host_port + count)}


def main():
    state = json.load(open(f"{STATE}/state.json"))
    networks = {n["id"]: n for n in state["networks"]}
    taken_ports = set().union(*(host_ports(m) for saved in state.get("published", {}).values() for m in saved))
    problems = []
    for file in sandbox_files():
        name = file["sandbox"]["name"]
        for ep in file["endpoints"]:
            net = networks.get(ep["network_id"])
            if net is None:
                problems.append(f"{name} is on network {ep['network_id']}, which state.json lacks")
                continue
            for family, index in (("ipv4", "members"), ("ipv6", "members6")):
                address = (ep.get(family) or "").split("/")[0]
                if address and address not in member_list(net, index).values():
                    problems.append(f"{name}'s {address} on {net['name']} is free in state.json")
            if routed_only(net):
                continue
            for saved in ep.get("ports", []):
                free = host_ports(saved) - taken_ports
                if free:
                    problems.append(f"{name}'s host ports {sorted(free)} are free in state.json")
    for p in problems:
        print(f"not reserved: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
