//! ctnet as a CNI plugin (issue 18): the spec driven directly, with spec-shaped stdin and
//! environment (every verb, every error path, parallel ADDs, stale flows), then real
//! runtimes: podman 4.3 with its CNI backend and containerd's `ctr run --cni`.

mod common;
use common::{emitted, ok};

/// `cni VERB ID NETNS IFNAME [CONF]`: ctnet executed as a runtime executes a plugin (CONF,
/// default `$CONF`, on stdin; `CNI_ARGS` from `$ARGS`); prints stdout, keeps the exit
/// status. `conf VERSION [RUNTIME_CONFIG]`: a configuration for network `front`.
/// `with_prev CONF RESULT`: CONF with RESULT as its prevResult.
const CNI: &str = r#"
    cni() {
      env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME="$4" \
        CNI_PATH=/nonexistent CNI_ARGS="${ARGS:-}" ctnet <<<"${5:-$CONF}"
    }
    conf() {
      echo "{\"cniVersion\":\"$1\",\"name\":\"front\",\"type\":\"ctnet\",\"network\":\"front\",\"runtimeConfig\":${2:-{\}}}"
    }
    with_prev() {
      python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["prevResult"]=json.loads(sys.argv[2]); print(json.dumps(c))' "$1" "$2"
    }
    # cni_fails CODE VERB ...: the spec's error JSON with CODE on stdout, exit 1, one
    # error line on stderr, and nothing changed.
    cni_fails() {
      local code=$1; shift
      refused snapshot "" cni "$@"
      python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["code"]==int(sys.argv[2]) and e["msg"] and e["cniVersion"], e' \
        $T/fails.out "$code" || die "'cni $*' did not print error $code: $(cat $T/fails.out)"
    }
    # published PORT: a DNAT element for host port PORT is in ctnet's table.
    published() { nft list map inet ctnet dnat_any >$T/map; grep -q "\. $1 :" $T/map; }
    ctnet network create front --subnet 10.5.0.0/24 >/dev/null
"#;

fn scenario(body: &str) -> String {
    ok(&format!("{CNI}\n{body}"))
}

#[test]
fn add_check_del_by_the_spec_in_each_version() {
    let out = scenario(
        r#"
        ip netns add c1; ip netns add c2
        CONF=$(conf 1.0.0 '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"aliases":{"front":["www"]}}')
        ADD=$(ARGS="IgnoreUnknown=1;K8S_POD_NAME=web" cni ADD id-web /run/netns/c1 eth0)
        echo "$ADD" | emit add
        # The sandbox carries the runtime's name and is on the network, with its port.
        ctnet sandbox inspect web | emit sandbox
        [ "$(ip_of c1)" = 10.5.0.2 ] || die "eth0 in c1 has no 10.5.0.2"
        serve c1 80 hello
        published 8080 || die "ADD published no port"
        [ "$(ask host 127.0.0.1 8080)" = hello ] || die "the port mapping does not lead to the container"
        # A retried ADD answers with the same result and changes nothing.
        before=$(snapshot)
        [ "$(ARGS="K8S_POD_NAME=web" cni ADD id-web /run/netns/c1 eth0)" = "$ADD" ] || die "a second ADD answered differently"
        [ "$before" = "$(snapshot)" ] || die "a second ADD changed something"
        # CHECK against what ADD reported; a prevResult that says otherwise fails.
        cni CHECK id-web /run/netns/c1 eth0 "$(with_prev "$CONF" "$ADD")"
        wrong=$(echo "$ADD" | sed 's#10.5.0.2/24#10.5.0.9/24#')
        cni_fails 101 CHECK id-web /run/netns/c1 eth0 "$(with_prev "$CONF" "$wrong")"
        ip -n c1 addr flush dev eth0
        cni_fails 101 CHECK id-web /run/netns/c1 eth0 "$(with_prev "$CONF" "$ADD")"
        ip -n c1 addr add 10.5.0.2/24 dev eth0
        # 0.4.0 results mark each address with its family; IP= in CNI_ARGS asks for one.
        ARGS="IP=10.5.0.50" cni ADD id-2 /run/netns/c2 eth0 "$(conf 0.4.0)" | emit add04
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree after the ADDs"
        # DEL leaves nothing: endpoint, port, sandbox record; twice, and after the netns.
        cni DEL id-web /run/netns/c1 eth0
        cni DEL id-web /run/netns/c1 eth0
        # ADD and DEL edit the member lists in place (see `Members`): the one left is listed.
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree after a DEL"
        [ "$(ctnet network inspect front | python3 -c 'import json,sys; print(*[c["Name"] for c in json.load(sys.stdin)[0]["Containers"].values()])')" = id-2 ] \
          || die "members after the DEL: $(ctnet network inspect front)"
        ip netns del c2
        cni DEL id-2 "" eth0 "$(conf 0.4.0)"
        [ -z "$(ctnet sandbox ls -q)" ] || die "sandboxes left: $(ctnet sandbox ls -q)"
        ! published 8080 || die "the port mapping is still in the map"
        [ -z "$(ip -o link show | grep vctn)" ] || die "a veth is left: $(ip -o link show | grep vctn)"
        [ "$(ask host 127.0.0.1 8080)" = "" ] || die "the port still answers"
        # DEL for a network that is gone, or a container ctnet never saw: success.
        cni DEL nobody "" eth0
        cni DEL id-web "" eth0 "$(conf 1.0.0 | sed 's/"network":"front"/"network":"gone"/')"
        "#,
    );
    let got = emitted(&out);
    let add = &got["add"];
    assert_eq!(add["cniVersion"], "1.0.0");
    let interfaces = add["interfaces"].as_array().unwrap();
    assert!(interfaces[0]["name"].as_str().unwrap().starts_with("vctn"));
    assert_eq!(interfaces[1]["name"], "eth0");
    assert_eq!(interfaces[1]["sandbox"], "/run/netns/c1");
    assert_eq!(interfaces[1]["mac"], "02:42:0a:05:00:02");
    assert_eq!(add["ips"][0]["address"], "10.5.0.2/24");
    assert_eq!(add["ips"][0]["gateway"], "10.5.0.1");
    assert_eq!(add["ips"][0]["interface"], 1);
    assert_eq!(add["ips"][0].get("version"), None);
    assert_eq!(add["routes"][0]["dst"], "0.0.0.0/0");
    let sandbox = &got["sandbox"][0];
    assert_eq!(sandbox["Container"], "id-web");
    assert_eq!(sandbox["Networks"]["front"]["Aliases"][0], "www");
    let add04 = &got["add04"];
    assert_eq!(add04["cniVersion"], "0.4.0");
    assert_eq!(add04["ips"][0]["version"], "4");
    assert_eq!(add04["ips"][0]["address"], "10.5.0.50/24");
}

#[test]
fn every_error_is_spec_shaped_and_changes_nothing() {
    scenario(
        r#"
        ip netns add c1
        CONF=$(conf 1.0.0)
        cni_fails 6 ADD c1 /run/netns/c1 eth0 'not json'
        cni_fails 1 ADD c1 /run/netns/c1 eth0 "$(conf 0.3.1)"
        cni_fails 7 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 | sed 's/"network":"front"/"network":"nope"/')"
        cni_fails 7 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 | sed 's/"type":"ctnet"/"type":"bridge"/')"
        cni_fails 2 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 | sed 's/}$/,"ipam":{"type":"host-local"}}/')"
        cni_fails 3 ADD c1 /run/netns/missing eth0
        cni_fails 4 ADD "" /run/netns/c1 eth0
        cni_fails 4 BOGUS c1 /run/netns/c1 eth0
        cni_fails 100 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 '{"ips":["10.9.0.5/24"]}')"
        ARGS="IP=10.9.0.5" cni_fails 100 ADD c1 /run/netns/c1 eth0
        ARGS="FOO=1" cni_fails 2 ADD c1 /run/netns/c1 eth0
        cni_fails 7 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 '{"portMappings":[{"hostPort":80,"containerPort":80,"protocol":"icmp"}]}')"
        cni_fails 7 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 '{"mac":"zz:00"}')"
        cni_fails 3 CHECK c1 /run/netns/c1 eth0 "$(with_prev "$CONF" '{"cniVersion":"1.0.0"}')"
        cni_fails 1 GC "" "" "" "$(conf 1.0.0)"
        cni_fails 7 GC "" "" "" "$(conf 1.1.0)"
        cni_fails 50 STATUS "" "" "" "$(conf 1.1.0 | sed 's/"network":"front"/"network":"nope"/')"
        # A port a sandbox made by hand holds is refused to the runtime.
        ctnet sandbox create s >/dev/null; ctnet connect front s -p 8080:80
        cni_fails 100 ADD c1 /run/netns/c1 eth0 "$(conf 1.0.0 '{"portMappings":[{"hostPort":8080,"containerPort":80}]}')"
        # STATUS: ready, then not once the bridge is gone.
        cni STATUS "" "" "" "$(conf 1.1.0)"
        ip link del "$(ip -o -4 addr show | awk '/ 10.5.0.1\// {print $2}')"
        cni_fails 50 STATUS "" "" "" "$(conf 1.1.0)"
        fails "network nope not found" ctnet cni config nope --write $T/conf
        [ ! -e $T/conf ] || die "cni config made its directory for a network that does not exist"
        # VERSION, with or without a configuration.
        [ "$(cni VERSION "" "" "" '{"cniVersion":"0.4.0"}' | json 'd["cniVersion"]')" = 0.4.0 ] || die "VERSION did not echo 0.4.0"
        [ "$(cni VERSION "" "" "" '' | json '",".join(d["supportedVersions"])')" = 0.4.0,1.0.0,1.1.0 ] || die "VERSION lists other versions"
        "#,
    );
}

#[test]
fn gc_removes_what_the_runtime_no_longer_has_and_nothing_else() {
    scenario(
        r#"
        CONF=$(conf 1.1.0 '{"portMappings":[{"hostPort":9000,"containerPort":80,"protocol":"udp"}]}')
        for c in a b c; do ip netns add $c; cni ADD id-$c /run/netns/$c eth0 >/dev/null; CONF=$(conf 1.1.0); done
        ctnet sandbox create byhand >/dev/null; ctnet connect front byhand
        ip netns del c   # its runtime never sent DEL
        valid='{"containerID":"id-b","ifname":"eth0"}'
        cni GC "" "" "" "$(conf 1.1.0 | sed "s/}\$/,\"cni.dev\/valid-attachments\":[$valid]}/")"
        [ "$(ctnet sandbox ls -q | sort | tr '\n' ' ')" = "byhand id-b " ] || die "GC left: $(ctnet sandbox ls -q)"
        ! published 9000 || die "GC left a's port mapping"
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree after GC"
        "#,
    );
}

#[test]
fn parallel_adds_get_distinct_addresses() {
    scenario(
        r#"
        CONF=$(conf 1.0.0)
        for i in $(seq 32); do ip netns add c$i; done
        for i in $(seq 32); do cni ADD id-$i /run/netns/c$i eth0 >$T/add$i.json & done
        wait
        for i in $(seq 32); do json 'd["ips"][0]["address"]' <$T/add$i.json; done | sort -u >$T/addresses
        [ "$(wc -l <$T/addresses)" = 32 ] || die "32 ADDs got $(wc -l <$T/addresses) distinct addresses"
        [ "$(ctnet sandbox ls -q | wc -l)" = 32 ] || die "not 32 sandboxes"
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree after parallel ADDs"
        for i in $(seq 32); do cni DEL id-$i /run/netns/c$i eth0 & done
        wait
        [ -z "$(ctnet sandbox ls -q)" ] || die "sandboxes left after parallel DELs"
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree after parallel DELs"
        "#,
    );
}

/// The reference portmap's best-known problem: a UDP client that keeps sending to a
/// published port stays translated to a container that is gone, and never reaches the
/// one that publishes the port next.
#[test]
fn del_forgets_the_flows_of_its_published_ports() {
    scenario(
        r#"
        outside_host
        ip netns add old; ip netns add new
        CONF=$(conf 1.0.0 '{"portMappings":[{"hostPort":5353,"containerPort":53,"protocol":"udp"}]}')
        cni ADD id-old /run/netns/old eth0 >/dev/null
        for ns in old new; do
          ip netns exec $ns timeout 30 socat -u UDP-RECV:53 OPEN:$T/$ns.log,creat,append &
        done
        sleep 0.3
        # One client, one source port, a datagram every 50 ms; an unconnected socket, so
        # that the port unreachable errors while nothing publishes the port do not stop it.
        (while :; do echo tick; sleep 0.05; done) | ip netns exec outside timeout 30 socat -u - UDP-SENDTO:203.0.113.1:5353,sourceport=40000 &
        for _ in $(seq 100); do [ -s $T/old.log ] && break; sleep 0.05; done
        [ -s $T/old.log ] || die "the old container never heard the client"
        flows() { conntrack -L -p udp --dport 5353 >$T/flows 2>/dev/null; grep -q "$1" $T/flows; }
        flows 10.5.0.2 || die "no tracked flow to the old container"
        cni DEL id-old /run/netns/old eth0
        ! flows 10.5.0.2 || die "DEL left the flow to the old container"
        cni ADD id-new /run/netns/new eth0 >/dev/null
        for _ in $(seq 100); do [ -s $T/new.log ] && break; sleep 0.05; done
        [ -s $T/new.log ] || die "the client still does not reach the container that now publishes the port"
        "#,
    );
}

/// Podman's CNI backend with ctnet networks, as its users run it.
#[test]
fn podman_runs_containers_on_ctnet_networks() {
    let out = scenario(
        r#"
        source "$SUPPORT/runtimes.sh"
        outside_host
        runtimes_setup
        ctnet network create back --subnet 10.6.0.0/24 >/dev/null
        ctnet cni config front --write >/dev/null
        ctnet cni config back --write /etc/cni/net.d >/dev/null
        in_pid_namespace '
          # A server just started may not listen yet: a few tries.
          get() {
            local reply
            for _ in $(seq 20); do
              reply=$("$@" timeout 3 wget -qO- "$URL" 2>/dev/null || true)
              [ -n "$reply" ] && break; sleep 0.1
            done
            echo "$reply"
          }
          prun --name web --network front local/bb httpd -f -p 80 -h /www >/dev/null
          prun --name static --network front --ip 10.5.0.77 local/bb sleep 300 >/dev/null
          prun --name pub --network front -p 8080:80 local/bb httpd -f -p 80 -h /www >/dev/null
          prun --name other --network back local/bb sleep 300 >/dev/null
          web=$(podman inspect web --format "{{(index .NetworkSettings.Networks \"front\").IPAddress}}")
          [ -n "$web" ] || die "podman reports no address for web"
          podman exec static ip -o -4 addr show eth0 >$T/static-addr
          grep -q "10.5.0.77/24" $T/static-addr || die "--ip did not land in the container"
          podman exec static ping -c1 -W2 "$web" >/dev/null || die "static cannot ping web"
          URL=http://$web/ ; [ "$(get podman exec static)" = hello-from-httpd ] || die "no HTTP between containers"
          ! podman exec other ping -c1 -W1 "$web" >/dev/null 2>&1 || die "a container on back reached front"
          URL=http://203.0.113.1:8080/ ; [ "$(get ip netns exec outside busybox)" = hello-from-httpd ] || die "-p not reachable from outside"
          URL=http://127.0.0.1:8080/ ; [ "$(get busybox)" = hello-from-httpd ] || die "-p not reachable on 127.0.0.1"
          ctnet network inspect front | emit front
          ctnet sandbox inspect static | emit static
          python3 "$SUPPORT/agree.py" || die "state and kernel disagree with podman containers"
          # network connect and disconnect.
          podman network connect back static
          other=$(podman inspect other --format "{{(index .NetworkSettings.Networks \"back\").IPAddress}}")
          podman exec static ping -c1 -W2 "$other" >/dev/null || die "static cannot reach other after network connect"
          [ "$(ctnet sandbox inspect static | json "\",\".join(sorted(d[0][\"Networks\"]))")" = back,front ] || die "ctnet does not see the connect"
          podman network disconnect back static
          [ "$(ctnet sandbox inspect static | json "\",\".join(sorted(d[0][\"Networks\"]))")" = front ] || die "ctnet does not see the disconnect"
          ! podman exec static ping -c1 -W1 "$other" >/dev/null 2>&1 || die "static still reaches back after disconnect"
          podman rm -f -t 0 -a >/dev/null
          [ -z "$(ctnet sandbox ls -q)" ] || die "podman rm left sandboxes: $(ctnet sandbox ls -q)"
          [ -z "$(ip -o link show | grep vctn || true)" ] || die "podman rm left veths"
          ! published 8080 || die "podman rm left the port mapping"
          python3 "$SUPPORT/agree.py" || die "state and kernel disagree after podman rm"
        '
        "#,
    );
    let got = emitted(&out);
    let members: Vec<String> = got["front"][0]["Containers"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["Name"].as_str().unwrap().to_string())
        .collect();
    for name in ["web", "static", "pub"] {
        assert!(
            members.iter().any(|m| m == name),
            "{name} missing from {members:?}"
        );
    }
    let container = got["static"][0]["Container"].as_str().unwrap();
    assert_eq!(container.len(), 64, "podman's container id: {container}");
}

/// containerd's `ctr run --cni`: a container killed without DEL is cleaned by `ctnet gc`.
#[test]
fn ctr_run_cni_and_a_container_killed_without_del() {
    scenario(
        r#"
        source "$SUPPORT/runtimes.sh"
        runtimes_setup
        ctnet cni config front --write >/dev/null
        in_pid_namespace '
          containerd_start
          ctr_ run -d --cni --snapshotter native --cgroup "/$RUNTIME_CGROUP/c1" localhost/local/bb:latest c1 sleep 300 >/dev/null
          [ "$(ctnet sandbox ls -q)" = default-c1 ] || die "no sandbox for the ctr container: $(ctnet sandbox ls)"
          ip=$(ctnet sandbox inspect default-c1 | json "d[0][\"Networks\"][\"front\"][\"IPAddress\"]")
          ping -c1 -W2 "$ip" >/dev/null || die "the host cannot reach the ctr container"
          ctr_ task kill -s KILL c1
          for _ in $(seq 50); do ctr_ task ls -q | grep -q c1 || break; ctr_ task ls | grep -q STOPPED && break; sleep 0.1; done
          ctnet gc >/dev/null
          [ -z "$(ctnet sandbox ls -q)" ] || die "gc left the killed container: $(ctnet sandbox ls)"
          [ -z "$(ip -o link show | grep vctn || true)" ] || die "gc left its veth"
          python3 "$SUPPORT/agree.py" || die "state and kernel disagree after gc"
          ctr_ task rm -f c1 >/dev/null 2>&1 || true; ctr_ container rm c1 >/dev/null 2>&1 || true
        '
        "#,
    );
}

/// What ctnet promises holds for runtime containers too: names through its resolver (the
/// result names it), internal and icc=false networks, restore after a flushed ruleset,
/// graph, and a dry run against what a runtime made.
#[test]
fn runtime_containers_get_what_ctnet_promises() {
    let out = scenario(
        r#"
        outside_host
        ip route add default via 203.0.113.2
        ctnet network create --subnet 10.7.0.0/24 --internal closed >/dev/null
        ctnet network create --subnet 10.8.0.0/24 -o icc=false quiet >/dev/null
        for c in a b i1 i2 q1 q2; do ip netns add $c; done
        ctnet dns serve 2>$T/dns.err &
        for _ in $(seq 50); do grep -q 'listening on 10.5.0.1' $T/dns.err 2>/dev/null && break; sleep 0.1; done
        CONF=$(conf 1.0.0 '{"aliases":{"front":["db"]},"portMappings":[{"hostPort":8080,"containerPort":80}]}')
        ARGS="K8S_POD_NAME=web" cni ADD id-a /run/netns/a eth0 | emit named
        CONF=$(conf 1.0.0)
        ARGS="K8S_POD_NAME=client" cni ADD id-b /run/netns/b eth0 >/dev/null
        [ "$(ip netns exec b dig +short @10.5.0.1 web)" = 10.5.0.2 ] || die "the resolver does not know web"
        [ "$(ip netns exec b dig +short @10.5.0.1 db)" = 10.5.0.2 ] || die "the resolver does not know web's alias"
        # Hairpin: a neighbour reaches the published port at the host's address.
        serve a 80 hello
        [ "$(ask b 203.0.113.1 8080)" = hello ] || die "hairpin to the published port failed"
        [ "$(ask outside 203.0.113.1 8080)" = hello ] || die "the outside does not reach the published port"
        # Internal: no route out; icc=false: no neighbour.
        for c in i1 i2; do cni ADD id-$c /run/netns/$c eth0 "$(conf 1.0.0 | sed 's/"network":"front"/"network":"closed"/')" >$T/$c.json; done
        [ "$(json 'len(d.get("routes", []))' <$T/i1.json)" = 0 ] || die "an internal network's result has routes"
        reaches i1 10.7.0.3 || die "internal neighbours cannot talk"
        ! reaches i1 203.0.113.2 || die "an internal network's container reached the outside"
        for c in q1 q2; do cni ADD id-$c /run/netns/$c eth0 "$(conf 1.0.0 | sed 's/"network":"front"/"network":"quiet"/')" >/dev/null; done
        ! reaches q1 10.8.0.3 || die "icc=false neighbours talked"
        reaches q1 203.0.113.2 || die "an icc=false container has no egress"
        # A flushed ruleset comes back with restore, runtime containers' ports included.
        nft flush ruleset
        ctnet restore >/dev/null
        [ "$(ask outside 203.0.113.1 8080)" = hello ] || die "restore lost the runtime container's port"
        ctnet graph >$T/graph
        grep -q 'sandbox web.*CNI container id-a' $T/graph || die "graph does not show the runtime's container"
        before=$(snapshot)
        ctnet --dry-run disconnect front web >$T/plan
        grep -q 'link del' $T/plan || die "dry run shows no plan"
        [ "$before" = "$(snapshot)" ] || die "a dry run changed something"
        python3 "$SUPPORT/agree.py" || die "state and kernel disagree"
        "#,
    );
    let named = &emitted(&out)["named"];
    assert_eq!(named["dns"]["nameservers"][0], "10.5.0.1");
}
