#!/usr/bin/env python3
"""Compares ctnet's state files with what the kernel shows, as a user would check them.

Exits 1 and says what differs when the state and the kernel disagree: ctnet's links in
the host namespace, each endpoint's interface and address inside its sandbox, the DNAT
map elements of published ports, and the networks' member and port indexes.
"""
import collections
import glob
import os
import json
import re
import subprocess
import sys

STATE = os.environ.get("CTNET_STATE_DIR", "/var/lib/ctnet")



def member_list(net, index):
    """A network's member list in state.json, by name: saved as one string of
    `NAME=VALUE` entries apart by spaces (older versions: an object)."""
    saved = net.get(index, "")
    if isinstance(saved, dict):
        return saved
    return dict(entry.split("=", 1) for entry in saved.split())

def sandbox_files():
    """Each sandbox file, its endpoints' published ports read from its ports file
    (`NAME.ports`: a line per endpoint with any, `ENDPOINT_ID MAPPING ...`) into "ports"
    (where older versions kept them)."""
    files = []
    for path in sorted(glob.glob(f"{STATE}/sandboxes/*.json")):
        file = json.load(open(path))
        try:
            lines = open(path[:-len(".json")] + ".ports").read().splitlines()
        except FileNotFoundError:
            lines = []
        ports = dict(line.split(" ", 1) for line in lines)
        for ep in file["endpoints"]:
            if ep["id"] in ports:
                ep["ports"] = ports[ep["id"]].split(" ")
        files.append(file)
    return files


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def mapping(saved):
    """A saved published port, "0.0.0.0:8080-8081->80-81/tcp" ("[::]:..." for IPv6), as
    (proto, host_ip, host_port, container_port, count)."""
    ports, proto = saved.rsplit("/", 1)
    host, container = ports.split("->")
    host_ip, host_ports = host.rsplit(":", 1)
    def first_and_count(text):
        first, _, last = text.partition("-")
        return int(first), int(last or first) - int(first) + 1
    host_port, count = first_and_count(host_ports)
    return proto, host_ip.strip("[]"), host_port, first_and_count(container)[0], count


def routed_only(n):
    """A network whose ports take no host port: the index leaves them out."""
    b = n.get("bridge") or {}
    return bool(b) and (not n.get("ipam") or b.get("gateway_mode4") == "routed") \
        and (not n.get("ipam6") or b.get("gateway_mode6") == "routed")


def main():
    problems = []
    state = json.load(open(f"{STATE}/state.json"))
    files = sandbox_files()
    sandboxes = {f["sandbox"]["id"]: f["sandbox"] for f in files}
    endpoints = [ep for f in files for ep in f["endpoints"]]
    networks = {n["id"]: n for n in state["networks"]}

    # ctnet's links in the host namespace: exactly the bridges and the host ends of veths.
    ours = re.compile(r"^(vctn[0-9a-f]{11}|ct[nvod]-[0-9a-f]{10})$")
    links = json.loads(sh("ip", "-j", "-d", "link", "show"))
    tagged = {l["ifname"] for l in links if (l.get("ifalias") or "").startswith("ctnet:")}
    # An untagged port (veth, VXLAN device) is ctnet's only on a bridge of ctnet's (it is
    # born there); any other untagged link only with the birth note ctnet keeps until it
    # is tagged (a crash in between leaves both).
    births = set(os.listdir("/run/ctnet/untagged")) if os.path.isdir("/run/ctnet/untagged") else set()
    def untagged_ours(l):
        if l["ifname"].startswith(("vctn", "ctv-")):
            return l.get("master") in tagged
        return l["ifname"] in births
    kernel = tagged | {l["ifname"] for l in links if ours.match(l["ifname"]) and untagged_ours(l)}
    expected = {n["bridge"]["ifname"] for n in state["networks"] if n.get("bridge")}
    expected |= {ep["host_ifname"] for ep in endpoints if ep["host_ifname"]}
    # An overlay's bridge and VXLAN device, while this host has endpoints on it; a
    # macvlan/ipvlan parent ctnet made.
    for n in state["networks"]:
        if n.get("overlay") and any(ep["network_id"] == n["id"] for ep in endpoints):
            expected |= {n["overlay"]["bridge"], n["overlay"]["vxlan"]}
        lan = n.get("macvlan") or n.get("ipvlan")
        if lan and lan.get("made_parent"):
            expected.add(lan["parent"])
    if kernel != expected:
        problems.append(f"links: kernel has {sorted(kernel - expected)} extra, misses {sorted(expected - kernel)}")

    # Each host veth is a port of its network's bridge (a veth left off a bridge that was
    # deleted and made again cuts its container off), and each bridge has its gateways.
    by_name = {l["ifname"]: l for l in links}
    for ep in endpoints:
        n = networks.get(ep["network_id"], {})
        bridge = (n.get("bridge") or {}).get("ifname") or (n.get("overlay") or {}).get("bridge")
        link = by_name.get(ep["host_ifname"]) if ep["host_ifname"] else None
        if bridge and link and link.get("master") != bridge:
            problems.append(f"link {ep['host_ifname']}: on {link.get('master')}, not on {bridge}")
    addresses = {a["ifname"]: a for a in json.loads(sh("ip", "-j", "addr", "show"))}
    for n in state["networks"]:
        name = (n.get("bridge") or {}).get("ifname")
        if not name or name not in by_name:
            continue
        have = {f"{i['local']}" for i in addresses.get(name, {}).get("addr_info", [])}
        # Gateway mode isolated: no gateway on the bridge, on purpose.
        isolated = n["bridge"].get("gateway_mode4") == "isolated"
        if isolated and have - {a for a in have if a.startswith("fe80")}:
            problems.append(f"bridge {name}: isolated, but has addresses {sorted(have)}")
        for config in [] if isolated else n.get("ipam") or []:
            if config["gateway"] not in have:
                problems.append(f"bridge {name}: lacks its gateway {config['gateway']}")

    # Each endpoint's interface and addresses (IPv4, IPv6 or both) inside its sandbox.
    for ep in endpoints:
        sb = sandboxes[ep["sandbox_id"]]
        out = subprocess.run(["nsenter", f"--net={sb['netns']}", "ip", "-o", "addr", "show", "dev", ep["ifname"]],
                             capture_output=True, text=True).stdout
        for family in ("ipv4", "ipv6"):
            if ep.get(family) and f" {ep[family]} " not in out:
                problems.append(f"sandbox {sb['name']}: {ep['ifname']} lacks {ep[family]}")

    # Every sandbox's namespace exists.
    for sb in sandboxes.values():
        if not os.path.exists(sb["netns"]):
            problems.append(f"sandbox {sb['name']}: namespace {sb['netns']} is gone")

    # No address handed out twice within a network.
    seen = {}
    for ep in endpoints:
        for family in ("ipv4", "ipv6"):
            if not ep.get(family):
                continue
            key = (ep["network_id"], ep[family].split("/")[0])
            if key in seen:
                problems.append(f"address {key[1]} held by two endpoints")
            seen[key] = ep

    # Published ports: the DNAT map elements are exactly the endpoints' ports.
    # A port without a host address goes to both of a dual-stack endpoint's addresses; one
    # with an address only to the endpoint's address of that family ("::": every IPv6 one).
    # A family in gateway mode routed opens the container's port at its address instead.
    want = set()
    for ep in endpoints:
        bridge = networks.get(ep["network_id"], {}).get("bridge") or {}
        routed = {v6: bridge.get("gateway_mode6" if v6 else "gateway_mode4") == "routed" for v6 in (False, True)}
        targets = [(ep["ipv4"].split("/")[0], False)] if ep.get("ipv4") else []
        if ep.get("ipv6"):
            targets.append((ep["ipv6"].split("/")[0], True))
        for proto, host_ip, host_port, container_port, count in map(mapping, ep.get("ports", [])):
            for addr, v6 in targets:
                suffix = "6" if v6 else ""
                if host_ip != "0.0.0.0" and (":" in host_ip) != v6:
                    continue
                for i in range(count):
                    if routed[v6]:
                        want.add((f"routed_ports{suffix}", f"{addr} . {proto} . {container_port + i}"))
                        continue
                    value = f"{proto} . {host_port + i} : {addr} . {container_port + i}"
                    if host_ip in ("0.0.0.0", "::"):
                        want.add((f"dnat{suffix}_any", value))
                    else:
                        want.add((f"dnat{suffix}_ip", f"{host_ip} . {value}"))
    have = set()
    for name in ("dnat_any", "dnat_ip", "dnat6_any", "dnat6_ip", "routed_ports", "routed_ports6"):
        kind = "set" if name.startswith("routed") else "map"
        text = sh("nft", "list", kind, "inet", "ctnet", name)
        body = re.search(r"elements = \{(.*?)\}", text, re.S)
        if body:
            for element in body.group(1).split(","):
                have.add((name, " ".join(element.split())))
    if want != have:
        problems.append(f"dnat elements: kernel has {sorted(have - want)} extra, misses {sorted(want - have)}")

    # The indexes in state.json agree with the sandbox files.
    for net in state["networks"]:
        for family, index in (("ipv4", "members"), ("ipv6", "members6")):
            members = {sandboxes[ep["sandbox_id"]]["name"]: ep[family].split("/")[0]
                       for ep in endpoints if ep["network_id"] == net["id"] and ep.get(family)}
            if members != member_list(net, index):
                problems.append(f"network {net['name']}: {index} {member_list(net, index)}, endpoints say {members}")
    # The index keeps host ports only, adjacent ones merged into ranges: compared port by port
    # (counted, so that a port held twice shows).
    def host_ports(sandbox, saved):
        proto, host_ip, host_port, _, count = mapping(saved)
        return [(sandbox, proto, host_ip, port) for port in range(host_port, host_port + count)]
    published = collections.Counter(p for sandbox, mappings in state.get("published", {}).items()
                                    for m in mappings for p in host_ports(sandbox, m))
    ports = collections.Counter(p for ep in endpoints for m in ep.get("ports", [])
                                if not routed_only(networks.get(ep["network_id"], {}))
                                for p in host_ports(sandboxes[ep["sandbox_id"]]["name"], m))
    if published != ports:
        problems.append(f"published index {sorted((published - ports).items())[:20]} not held by endpoints, "
                        f"endpoints' {sorted((ports - published).items())[:20]} not in it")
    for ep in endpoints:
        if ep["network_id"] not in networks:
            problems.append(f"endpoint {ep['id'][:12]} on unknown network")

    for p in problems:
        print(f"disagree: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
