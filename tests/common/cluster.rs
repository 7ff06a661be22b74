//! A cluster world for overlay tests: hosts as namespaces on a bridge underlay, and etcd.

/// The world: hosts 192.0.2.1-3 and the store at 192.0.2.100 on bridge `ul`; `on HOST
/// ctnet ...` runs ctnet as that host (with CTNET_STORE set), `watch_on HOST` starts its
/// `overlay watch`, `kv` is etcdctl, and `fails_on HOST EXPECT CMD...` is `fails` for a
/// host: one error line, and no change to that host's links, addresses, routes, FDB and
/// neighbour entries, its state directory, the sandboxes' namespaces, or the store.
///
/// Set before it: `STORE_TLS=1` serves the store over https with client-certificate auth
/// (a CA, server and client certificates made with openssl in `$T/pki`, and a second CA
/// `other-ca.pem` that signed nothing of it); `STORE_AUTH=1` turns on etcd's users (root,
/// password `secret`). ctnet and etcdctl get the matching settings in their environment.
pub const WORLD: &str = r#"
    # A scenario may put the store elsewhere first: ETCD_NS (a host's namespace) and STORE.
    STORE=${STORE:-192.0.2.100:2379}
    ETCD_NS=${ETCD_NS:-store}
    SCHEME=http; ETCD_TLS=()
    if [ -n "${STORE_TLS:-}" ]; then
      pki=$T/pki; mkdir -p $pki
      ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
      for ca in ca other-ca; do
        openssl req -x509 "${ec[@]}" -keyout $pki/$ca.key -out $pki/$ca.pem -days 1 -subj /CN=$ca 2>/dev/null
      done
      signed() { # NAME SUBJECT SAN: a certificate signed by ca.pem
        openssl req "${ec[@]}" -keyout $pki/$1.key -out $pki/$1.csr -subj $2 2>/dev/null
        printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >$pki/$1.ext
        openssl x509 -req -in $pki/$1.csr -CA $pki/ca.pem -CAkey $pki/ca.key -CAcreateserial \
          -out $pki/$1.pem -days 1 -extfile $pki/$1.ext 2>/dev/null
      }
      # (No common name for the client: etcd's JSON gateway refuses one when users are on.)
      signed server /CN=store IP:${STORE%:*}; signed client /O=ctnet DNS:ctnet
      SCHEME=https
      ETCD_TLS=(--cert-file $pki/server.pem --key-file $pki/server.key --client-cert-auth --trusted-ca-file $pki/ca.pem)
      export CTNET_STORE_CACERT=$pki/ca.pem CTNET_STORE_CERT=$pki/client.pem CTNET_STORE_KEY=$pki/client.key
      export ETCDCTL_CACERT=$pki/ca.pem ETCDCTL_CERT=$pki/client.pem ETCDCTL_KEY=$pki/client.key
    fi
    STORE_URL=$([ $SCHEME = https ] && echo https://$STORE || echo etcd://$STORE)
    command -v etcd >/dev/null || die "etcd is not installed (Debian package etcd-server)"
    ip link add ul type bridge; ip link set ul up
    for h in h1:1 h2:2 h3:3 store:100; do
      n=${h%%:*}; i=${h##*:}
      ip netns add $n; ip link add u$i type veth peer name under netns $n
      ip link set u$i master ul up
      ip -n $n addr add 192.0.2.$i/24 dev under; ip -n $n link set under up; ip -n $n link set lo up
    done
    start_etcd() {
      ip netns exec $ETCD_NS etcd --name s --data-dir $T/etcd --listen-client-urls $SCHEME://$STORE \
        --advertise-client-urls $SCHEME://$STORE --listen-peer-urls http://127.0.0.1:2380 "${ETCD_TLS[@]}" \
        --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster s=http://127.0.0.1:2380 >>$T/etcd.log 2>&1 &
      ETCD=$!
      # (Up to 60 s: in the full-kernel lane's emulated VM etcd starts slowly.)
      for _ in $(seq 600); do
        ip netns exec $ETCD_NS etcdctl --endpoints $SCHEME://$STORE endpoint health >/dev/null 2>&1 && return
        sleep 0.1
      done
      cat $T/etcd.log; die "etcd did not start"
    }
    stop_etcd() { kill $ETCD; wait $ETCD 2>/dev/null || true; }
    start_etcd
    kv() { ip netns exec $ETCD_NS etcdctl --endpoints $SCHEME://$STORE "$@"; }
    if [ -n "${STORE_AUTH:-}" ]; then
      kv user add root:secret >/dev/null; kv user grant-role root root >/dev/null; kv auth enable >/dev/null
      export ETCDCTL_USER=root:secret CTNET_STORE_USER=root CTNET_STORE_PASSWORD=secret
    fi
    declare -A WATCH
    watch_on() {
      nsenter --net=/run/netns/$1 env CTNET_STATE_DIR=$T/$1 CTNET_STORE=$STORE_URL ctnet overlay watch 2>>$T/watch-$1.log &
      WATCH[$1]=$!
    }
    host_snapshot() {
      ip -n $1 -o link show | sed -E 's/<[^>]*>//; s/ state [A-Z]+//'
      # (Not link-local addresses: their DAD state settles by itself a moment after a link is up.)
      ip -n $1 -o addr show | grep -v " fe80::"; ip -n $1 route show | sed "s/ linkdown//"
      bridge -n $1 fdb show | grep -v 'dev under' || true
      # (ctnet's own neighbour entries are permanent; learned ones move between REACHABLE,
      # DELAY and STALE by themselves.)
      ip -n $1 neigh show nud permanent | grep -v 'dev under' || true
      cat $T/$1/state.json $T/$1/sandboxes/*.json 2>/dev/null || true
      ls /run/netns
      kv --dial-timeout=300ms --command-timeout=500ms get --prefix /ctnet/ 2>/dev/null || true
    }
    fails_on() { local host=$1; shift; refused "host_snapshot $host" "$1" on $host "${@:2}"; }
    # Waits up to $1 seconds for a command to succeed.
    within() {
      local limit=$1; shift
      local until=$(( $(date +%s%N) + limit * 1000000000 ))
      while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$until" ] || return 1
        sleep 0.02
      done
    }
"#;
