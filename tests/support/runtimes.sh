# Real container runtimes for a scenario, with ctnet as their CNI plugin: podman 4.3 (its
# CNI backend) and containerd 1.6 (`ctr run --cni`).
#
#   source "$SUPPORT/runtimes.sh"
#   runtimes_setup                 # plugin and config dirs, podman's config, image local/bb
#   in_pid_namespace 'podman run -d --network front local/bb sleep 60; ...'
#   containerd_start               # (inside in_pid_namespace) containerd, image imported
#
# Needs the scenario prelude (die, ON_EXIT, $T) and a hermetic host. Everything the
# runtimes write goes to $T or to tmpfs mounts of this mount namespace: podman's storage,
# /etc/cni/net.d and /opt (where ctr looks for plugins), /var/lib (libcni's cache of
# results, host-local's addresses, podman's blob cache; ctnet's state kept), and inside
# in_pid_namespace a fresh /run (runc's, conmon's and containerd's state, whatever their
# flags say). The containers and their monitors (conmon, shims) live in the PID namespace
# of in_pid_namespace and die with it; the cgroups the runtimes make are removed at exit.

source "$(dirname "${BASH_SOURCE[0]}")/cgroups.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fresh.sh"

RUNTIME_CGROUP="ctnet-rt-${T##*/}"   # unique machine-wide: cgroup v1 is the machine's

runtimes_setup() {
  mkdir -p "$T"/podman/{storage,run,tmp}
  [ -d /etc/cni/net.d ] || die "no /etc/cni/net.d (podman's package makes it)"
  fresh /etc/cni/net.d
  fresh /opt
  fresh /var/lib ctnet
  mkdir -p /opt/cni/bin
  # The plugin is the ctnet binary under the name the configuration's "type" gives.
  ln -s "$(command -v ctnet)" /opt/cni/bin/ctnet
  cat >"$T/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/podman/events.log"
runtime = "runc"
tmp_dir = "$T/podman/tmp"
[network]
network_backend = "cni"
cni_plugin_dirs = ["/opt/cni/bin"]
network_config_dir = "/etc/cni/net.d"
EOF
  cat >"$T/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$T/podman/run"
graphroot = "$T/podman/storage"
EOF
  export CONTAINERS_CONF=$T/containers.conf CONTAINERS_STORAGE_CONF=$T/storage.conf
  ON_EXIT+=(_runtime_cgroups_cleanup)
  # No registry is reachable: the image is busybox-static and its applets.
  local root=$T/bb-rootfs a
  mkdir -p "$root"/{bin,etc,root,tmp,www}; chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
  echo hello-from-httpd >"$root/www/index.html"
  tar -C "$root" -c . | podman import -q -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - local/bb >/dev/null \
    || die "podman import failed"
}

# podman run -d, the container in the scenario's own cgroup parent.
prun() { podman run -d --cgroup-parent="/$RUNTIME_CGROUP" "$@"; }

# in_pid_namespace SCRIPT: runs SCRIPT (with the scenario's functions and variables) as
# PID 1's child in a new PID namespace; whatever it leaves running dies when it returns.
# /run is fresh there but for the namespaces in /run/netns and ctnet's notes in /run/ctnet.
in_pid_namespace() {
  export -f $(declare -F | awk '{print $3}')
  export T SUPPORT RUNTIME_CGROUP CONTAINERS_CONF CONTAINERS_STORAGE_CONF
  unshare --pid --fork --kill-child --mount-proc bash -c "set -euo pipefail; fresh /run netns ctnet; $1"
}

CONTAINERD_SOCK=""
# containerd_start: containerd for ctr, state under $T; call inside in_pid_namespace.
containerd_start() {
  local dir=$T/containerd
  mkdir -p "$dir"/{root,state}
  cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/containerd.sock"
EOF
  CONTAINERD_SOCK=$dir/containerd.sock
  containerd --config "$dir/config.toml" >"$dir/log" 2>&1 </dev/null &
  local i
  for i in $(seq 100); do
    ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ "$i" -lt 100 ] || die "containerd did not answer: $(tail -20 "$dir/log")"
  podman save -q --format oci-archive -o "$T/bb.tar" local/bb
  ctr -a "$CONTAINERD_SOCK" image import --snapshotter native --base-name localhost/local/bb "$T/bb.tar" >/dev/null \
    || die "ctr image import failed"
}
ctr_() { ctr -a "$CONTAINERD_SOCK" "$@"; }

_runtime_cgroups_cleanup() { remove_cgroups "$RUNTIME_CGROUP"; }
