#!/usr/bin/env bash
# Name resolution throughput: queries per second for one container name (`db`, A record),
# answered by `ctnet dns serve` and, in the same run, by aardvark-dns (podman's resolver,
# Debian's 1.4), with dnsperf as a bounded load generator. Both servers answer on the same
# network's gateway address, port 53, to the same client sandbox with the same address; they
# run one at a time (they would fight over gateway:53), in interleaved rounds, and each
# figure is the median of its rounds.
# On a 2-core machine dnsperf takes one core and the server the other, and a server that
# answers from one socket is held near the kernel's per-packet cost: qps differ less than the
# servers' own work does. So the table also gives each server's CPU time per answered query
# (user + system, all its threads, read from /proc during the dnsperf run), the figure that
# tells their efficiency apart; latency comes as dnsperf's average under load and, since
# dnsperf gives no median, as the median of 2000 sequential queries with one in flight.
#
# Usage: bench/dns.sh [CTNET [SAMPLES]]   (bench/run.sh passes both; SAMPLES is not used)
#   CTNET: the binary, else $CTNET, else target/release/ctnet.
#   DNS_SECONDS (5), DNS_ROUNDS (3), DNS_CLIENTS (2), DNS_OUTSTANDING (32): the dnsperf run.
#   AARDVARK: the aardvark-dns binary (default: on PATH, else /usr/lib/podman/aardvark-dns).
# Meant to run inside a hermetic host (tests/support/hermetic). Started on the real host, it
# installs dnsperf and aardvark-dns if they are missing and re-runs itself in one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ctnet=${1:-${CTNET:-$here/../target/release/ctnet}}
case $ctnet in /*) ;; */*) ctnet="$PWD/$ctnet" ;; esac
seconds=${DNS_SECONDS:-5} rounds=${DNS_ROUNDS:-3}
clients=${DNS_CLIENTS:-2} outstanding=${DNS_OUTSTANDING:-32}

find_aardvark() {
  if [ -n "${AARDVARK:-}" ]; then echo "$AARDVARK"
  elif command -v aardvark-dns 2>/dev/null; then :
  elif [ -x /usr/lib/podman/aardvark-dns ]; then echo /usr/lib/podman/aardvark-dns
  fi
}

# Run only inside a throw-away host: there /var/lib/ctnet is a tmpfs of its own and the fresh
# network namespace has no default route. Started anywhere else (the real host), install what is
# missing, then run again inside one. Nothing below ever touches this machine's own network.
inside_hermetic() {
  [ "$(stat -f -c %T /var/lib/ctnet 2>/dev/null)" = tmpfs ] && mountpoint -q /var/lib/ctnet \
    && [ -z "$(ip route show default)" ]
}
if ! inside_hermetic; then
  if [ -n "${DNS_BENCH_REEXEC:-}" ]; then
    echo "dns: not inside a fresh hermetic host even after tests/support/hermetic; refusing to run" >&2
    exit 1
  fi
  if ! command -v dnsperf >/dev/null || [ -z "$(find_aardvark)" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsperf aardvark-dns >/dev/null
  fi
  DNS_BENCH_REEXEC=1 exec "$here/../tests/support/hermetic" "$here/dns.sh" "$ctnet" "${2:-}"
fi

# Inside the hermetic host: no network to install from.
if ! command -v dnsperf >/dev/null; then
  echo "dns: dnsperf is missing (apt-get install dnsperf, outside the hermetic host); no figures" >&2
  exit 1
fi
aardvark=$(find_aardvark)
aardvark_why=""
if [ -z "$aardvark" ]; then
  aardvark_why="aardvark-dns is not installed (apt-get install aardvark-dns)"
elif ! [ -x "$aardvark" ]; then
  aardvark_why="$aardvark is not an executable"; aardvark=""
fi

tmp=$(mktemp -d)
ctnet_pid="" aardvark_dir="$tmp/aardvark"
cleanup() {
  set +e
  stop_ctnet_dns >/dev/null 2>&1
  stop_aardvark >/dev/null 2>&1
  "$ctnet" sandbox rm client db >/dev/null 2>&1
  "$ctnet" network rm dnsbench >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A DNS client for two jobs dnsperf does not do: checking the answer (the A record itself,
# not only the rcode), and the median latency with one query in flight (dnsperf reports only
# the average, and under load that is queueing time).
cat >"$tmp/dnsq.py" <<'EOF'
import os, socket, struct, sys, time

def query(name, qid):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack(">HH", 1, 1)

def skip_name(m, i):
    while True:
        n = m[i]
        if n == 0: return i + 1
        if n & 0xC0 == 0xC0: return i + 2
        i += n + 1

def answers(m):
    qid, flags, qd, an = struct.unpack(">HHHH", m[:8])
    i = 12
    for _ in range(qd): i = skip_name(m, i) + 4
    out = []
    for _ in range(an):
        i = skip_name(m, i)
        typ, _cls, _ttl, ln = struct.unpack(">HHIH", m[i:i + 10]); i += 10
        if typ == 1 and ln == 4: out.append(socket.inet_ntoa(m[i:i + 4]))
        i += ln
    return qid, flags & 0xF, out

mode, server, name = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((server, 53))
if mode == "check":  # check SERVER NAME WANT [PID]: retry for up to 10 s while PID lives
    want, deadline, last = sys.argv[4], time.monotonic() + 10, "no answer"
    pid = sys.argv[5] if len(sys.argv) > 5 else ""
    s.settimeout(0.2)
    while time.monotonic() < deadline:
        try: state = open("/proc/%s/stat" % pid).read().rsplit(") ", 1)[1][0] if pid else "R"
        except OSError: state = "X"
        if state in "ZX":
            print("the server (pid %s) has exited" % pid); sys.exit(1)
        try:
            s.send(query(name, 4242))
            qid, rcode, got = answers(s.recv(4096))
        except OSError as e:  # timeout, or ICMP port unreachable: not listening yet
            last = str(e) or type(e).__name__; time.sleep(0.05); continue
        if qid == 4242 and rcode == 0 and got == [want]: sys.exit(0)
        last = "rcode %d, A %s" % (rcode, got); time.sleep(0.05)
    print("%s %s: %s (want %s)" % (server, name, last, want)); sys.exit(1)
else:  # latency SERVER NAME N: median microseconds of N sequential queries
    s.settimeout(2)
    lat = []
    for k in range(int(sys.argv[4])):
        qid = k & 0xFFFF
        t0 = time.perf_counter_ns(); s.send(query(name, qid))
        while True:
            r = s.recv(4096)
            if struct.unpack(">H", r[:2])[0] == qid: break
        lat.append(time.perf_counter_ns() - t0)
    lat.sort(); print(lat[len(lat) // 2] / 1000)
EOF

# Wait until the machine is idle (as bench/attach.sh does), so that one server's run does not
# pay for the previous one's background work.
settle() {
  local a b k j total idle
  for k in $(seq 10); do
    a=($(head -1 /proc/stat)); sleep 0.5; b=($(head -1 /proc/stat))
    total=0; for j in 1 2 3 4 5 6 7 8; do total=$((total + b[j] - a[j])); done
    idle=$((b[4] - a[4]))
    [ "$total" -gt 0 ] && [ $((idle * 100 / total)) -ge 90 ] && break
  done
}
port53_free() { # bounded wait until nothing listens on UDP port 53
  local k
  for k in $(seq 50); do
    [ -z "$(ss -Hlun 'sport = :53')" ] && return 0
    sleep 0.1
  done
  return 1
}
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# --- the network: one server name, one client, both ctnet sandboxes ---
"$ctnet" network create --subnet 10.53.0.0/24 dnsbench >/dev/null
"$ctnet" sandbox create db >/dev/null
"$ctnet" sandbox create client >/dev/null
"$ctnet" connect dnsbench db
"$ctnet" connect dnsbench client
"$ctnet" network inspect dnsbench --format json >"$tmp/net.json"
# Prints: gateway, then "ID ADDRESS NAME" for each member.
python3 - "$tmp/net.json" >"$tmp/net.txt" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
print(d["IPAM"]["Config"][0]["Gateway"].split("/")[0])
for cid, c in d["Containers"].items():
    print(cid, c["IPv4Address"].split("/")[0], c["Name"])
EOF
gw=$(head -1 "$tmp/net.txt")
db_ip=$(awk '$3 == "db" {print $2}' "$tmp/net.txt")
[ -n "$gw" ] && [ -n "$db_ip" ] || { echo "dns: cannot read gateway/addresses from network inspect" >&2; exit 1; }
printf 'db A\n' >"$tmp/queries"

# --- the servers ---
start_ctnet_dns() {
  port53_free || { echo "dns: port 53 still busy before starting ctnet dns serve" >&2; return 1; }
  "$ctnet" dns serve >>"$tmp/ctnet-dns.log" 2>&1 &
  ctnet_pid=$!
}
stop_ctnet_dns() {
  [ -n "$ctnet_pid" ] || return 0
  local k status=0
  kill -TERM "$ctnet_pid" 2>/dev/null || true
  for k in $(seq 50); do pid_alive "$ctnet_pid" || break; sleep 0.1; done
  if pid_alive "$ctnet_pid"; then
    echo "dns: ctnet dns serve still running 5 s after SIGTERM; killed" >&2
    kill -KILL "$ctnet_pid" 2>/dev/null || true
  fi
  wait "$ctnet_pid" 2>/dev/null || status=$?
  ctnet_pid=""
  [ "$status" -eq 0 ] || [ "$status" -eq 143 ] || echo "dns: ctnet dns serve exited with status $status after SIGTERM" >&2
}
# aardvark-dns 1.4 always daemonizes: `run` forks, the child calls setsid, writes DIR/aardvark.pid
# and only then starts binding its sockets, and the parent returns. So it is not our child: it is
# stopped through its pid file (and would outlive this hermetic host if left running).
write_aardvark_config() {
  mkdir -p "$aardvark_dir"
  # DIR/NETWORK_NAME: first line the listen addresses (the gateway); then one line per
  # container: "ID IPV4S IPV6S NAMES", single spaces, an empty IPv6 field leaves two spaces.
  # Every asker must be listed: aardvark answers only addresses it knows the networks of.
  awk 'NR == 1 {print; next} {printf "%s %s  %s\n", $1, $2, $3}' "$tmp/net.txt" >"$aardvark_dir/dnsbench"
}
aardvark_pid() {
  local pid
  pid=$(cat "$aardvark_dir/aardvark.pid" 2>/dev/null) || return 1
  # Only a live aardvark-dns, not a recycled pid.
  grep -q aardvark "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
start_aardvark() {
  port53_free || { echo "dns: port 53 still busy before starting aardvark-dns" >&2; return 1; }
  rm -f "$aardvark_dir/aardvark.pid"
  "$aardvark" --config "$aardvark_dir" -p 53 run >>"$tmp/aardvark.log" 2>&1
}
stop_aardvark() {
  local pid k
  pid=$(aardvark_pid) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for k in $(seq 50); do pid_alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

pid_ctnet_dns() { echo "$ctnet_pid"; }
pid_aardvark() { aardvark_pid; }
# CPU time (user + system, all threads) of a process so far, in microseconds.
hz=$(getconf CLK_TCK)
cpu_us() { awk -v hz="$hz" '{sub(/^.*\) /, ""); print ($12 + $13) * 1e6 / hz}' "/proc/$1/stat"; }

# One measurement: start, check the answer, time single queries, load, stop. Appends
# "qps avg_latency_us median_latency_us server_cpu_us_per_query" to $tmp/res-NAME.
measure() { # NAME
  local name=$1 out pid med cpu0 cpu1
  settle
  "start_$name" || return 1
  if ! ip netns exec client python3 "$tmp/dnsq.py" check "$gw" db "$db_ip" "$("pid_$name")" >"$tmp/check" 2>&1; then
    echo "dns: $name does not answer db with $db_ip: $(cat "$tmp/check")" >&2
    "stop_$name"; return 1
  fi
  pid=$("pid_$name")
  med=$(ip netns exec client python3 "$tmp/dnsq.py" latency "$gw" db 2000)
  cpu0=$(cpu_us "$pid")
  out=$(ip netns exec client dnsperf -s "$gw" -d "$tmp/queries" -l "$seconds" \
        -c "$clients" -q "$outstanding" -t 1 2>&1) || { echo "dns: dnsperf failed against $name: $out" >&2; "stop_$name"; return 1; }
  cpu1=$(cpu_us "$pid")
  "stop_$name"
  echo "$out" >>"$tmp/$name.dnsperf"
  local qps avg completed share codes
  qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
  avg=$(awk '/Average Latency \(s\):/ {print $4 * 1e6}' <<<"$out")
  completed=$(awk '/Queries completed:/ {print $3}' <<<"$out")
  share=$(awk '/Queries completed:/ {print $4}' <<<"$out")
  codes=$(sed -n 's/^ *Response codes: *//p' <<<"$out")
  [ "$share" = "(100.00%)" ] || echo "dns: $name: queries completed $completed $share" >&2
  [[ $codes == "NOERROR "*"(100.00%)" ]] || echo "dns: $name: response codes $codes" >&2
  awk -v q="$qps" -v a="$avg" -v m="$med" -v c0="$cpu0" -v c1="$cpu1" -v n="$completed" \
    'BEGIN {print q, a, m, (c1 - c0) / n}' >>"$tmp/res-$name"
}

servers=()
ctnet_why=""
if timeout 10 "$ctnet" dns serve --help >/dev/null 2>&1; then
  servers+=(ctnet_dns)
else
  ctnet_why="$ctnet has no \`dns serve\` command"
fi
aardvark_label=""
if [ -n "$aardvark" ]; then
  write_aardvark_config
  # One probe run first: if aardvark cannot be set up, say why and measure ctnet alone.
  if ! start_aardvark; then
    aardvark_why="\`$aardvark --config DIR -p 53 run\` failed: $(tr '\n' ' ' <"$tmp/aardvark.log")"
  elif ! ip netns exec client python3 "$tmp/dnsq.py" check "$gw" db "$db_ip" "$(aardvark_pid)" >"$tmp/check" 2>&1; then
    aardvark_why="aardvark-dns did not answer db with $db_ip: $(cat "$tmp/check") $(tr '\n' ' ' <"$tmp/aardvark.log")"
  else
    servers+=(aardvark)
    aardvark_label="aardvark-dns $("$aardvark" --version 2>/dev/null | awk '{print $2}' || true)"
  fi
  stop_aardvark
fi

failed=" "
for round in $(seq "$rounds"); do
  # Alternate who goes first, so that drift in the machine's load favours neither.
  order=("${servers[@]}")
  if [ $((round % 2)) -eq 0 ] && [ ${#servers[@]} -eq 2 ]; then order=("${servers[1]}" "${servers[0]}"); fi
  for s in "${order[@]}"; do
    [[ $failed == *" $s "* ]] && continue   # a server that failed once is not tried again
    measure "$s" || failed+="$s "
  done
done

median_col() { # FILE COLUMN
  awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
echo "== DNS: A record of one container name (db -> $db_ip) at $gw:53, asked from a sandbox on the network"
echo "   dnsperf -l $seconds -c $clients -q $outstanding, medians of $rounds interleaved rounds; latency: dnsperf's average"
echo "   under that load, and the median of 2000 sequential queries (1 in flight, python client);"
echo "   CPU: the server's user + system time during the dnsperf run / queries answered"
printf '%-20s %9s %16s %18s %15s\n' server qps "avg latency us" "1-query p50 us" "CPU/query us"
row() { # LABEL NAME
  if [ -s "$tmp/res-$2" ]; then
    printf '%-20s %9.0f %16.1f %18.1f %15.2f\n' "$1" "$(median_col "$tmp/res-$2" 1)" "$(median_col "$tmp/res-$2" 2)" \
      "$(median_col "$tmp/res-$2" 3)" "$(median_col "$tmp/res-$2" 4)"
  else
    printf '%-20s %9s\n' "$1" "(no figure)"
  fi
}
row "ctnet dns serve" ctnet_dns
[ -z "$aardvark_label" ] || row "$aardvark_label" aardvark
if [ -s "$tmp/res-ctnet_dns" ] && [ -s "$tmp/res-aardvark" ]; then
  ratio() { awk -v a="$(median_col "$tmp/res-ctnet_dns" "$1")" -v b="$(median_col "$tmp/res-aardvark" "$1")" 'BEGIN {print a / b}'; }
  printf 'ratio ctnet/aardvark: qps %.2f, avg latency %.2f, 1-query median latency %.2f, CPU per query %.2f\n' \
    "$(ratio 1)" "$(ratio 2)" "$(ratio 3)" "$(ratio 4)"
elif [ -n "$aardvark_why" ]; then
  echo "no aardvark figure: $aardvark_why"
fi
if [ ! -s "$tmp/res-ctnet_dns" ]; then
  echo "dns: no figure for ctnet dns serve${ctnet_why:+: $ctnet_why}" >&2
  if [ -s "$tmp/ctnet-dns.log" ]; then echo "its output:" >&2; sed 's/^/  /' "$tmp/ctnet-dns.log" >&2; fi
  exit 1
fi
