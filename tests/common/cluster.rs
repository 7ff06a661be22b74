//! A cluster world for overlay tests: hosts as namespaces on a bridge underlay, and etcd.

/// The world: hosts 192.0.2.1-3 and the store at 192.0.2.100 on bridge `ul`; `on HOST
/// ctnet ...` runs ctnet as that host (with CTNET_STORE set), `watch_on HOST` starts its
/// `overlay watch`, `kv` is etcdctl, and `fails_on HOST EXPECT CMD...` is `fails` for a
/// host: one error line, and no change to that host's links, addresses, routes, FDB and
/// neighbour entries, its state directory, the sandboxes' namespaces, or the store.
pub const WORLD: &str = r#"
    # A scenario may put the store elsewhere first: ETCD_NS (a host's namespace) and STORE.
    STORE=${STORE:-192.0.2.100:2379}
    ETCD_NS=${ETCD_NS:-store}
    command -v etcd >/dev/null || die "etcd is not installed (Debian package etcd-server)"
    ip link add ul type bridge; ip link set ul up
    for h in h1:1 h2:2 h3:3 store:100; do
      n=${h%%:*}; i=${h##*:}
      ip netns add $n; ip link add u$i type veth peer name under netns $n
      ip link set u$i master ul up
      ip -n $n addr add 192.0.2.$i/24 dev under; ip -n $n link set under up; ip -n $n link set lo up
    done
    start_etcd() {
      ip netns exec $ETCD_NS etcd --name s --data-dir $T/etcd --listen-client-urls http://$STORE \
        --advertise-client-urls http://$STORE --listen-peer-urls http://127.0.0.1:2380 \
        --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster s=http://127.0.0.1:2380 >>$T/etcd.log 2>&1 &
      ETCD=$!
      # (Up to 60 s: in the full-kernel lane's emulated VM etcd starts slowly.)
      for _ in $(seq 600); do
        ip netns exec $ETCD_NS etcdctl --endpoints $STORE endpoint health >/dev/null 2>&1 && return
        sleep 0.1
      done
      cat $T/etcd.log; die "etcd did not start"
    }
    stop_etcd() { kill $ETCD; wait $ETCD 2>/dev/null || true; }
    start_etcd
    on() { local host=$1; shift; nsenter --net=/run/netns/"$host" env CTNET_STATE_DIR=$T/$host CTNET_STORE=etcd://$STORE "$@"; }
    declare -A WATCH
    watch_on() {
      nsenter --net=/run/netns/$1 env CTNET_STATE_DIR=$T/$1 CTNET_STORE=etcd://$STORE ctnet overlay watch 2>>$T/watch-$1.log &
      WATCH[$1]=$!
    }
    kv() { ip netns exec $ETCD_NS etcdctl --endpoints $STORE "$@"; }
    host_snapshot() {
      ip -n $1 -o link show | sed -E 's/<[^>]*>//; s/ state [A-Z]+//'
      ip -n $1 -o addr show; ip -n $1 route show | sed "s/ linkdown//"
      bridge -n $1 fdb show | grep -v 'dev under' || true
      ip -n $1 neigh show | grep -v 'dev under' || true
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
