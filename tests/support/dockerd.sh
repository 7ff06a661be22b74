# Debian's real dockerd for a scenario, tied to the scenario's life.
#
#   source "$SUPPORT/dockerd.sh"
#   docker_start                                  # dockerd up, image local/bb present
#   /usr/bin/docker run --rm local/bb ping -c1 -W2 203.0.113.2
#   docker_restart                                # same images, containers and networks
#   docker_start --dns 203.0.113.2                # extra dockerd flags, kept by docker_restart
#
# Needs what the scenario prelude gives (set -euo pipefail, die, ON_EXIT, $T) and a
# hermetic host. Call docker_start from the scenario's main shell, not from a subshell:
# dockerd is killed when the shell that started it dies. The client finds this daemon
# through DOCKER_HOST; always call /usr/bin/docker (another client may come first in PATH).

source "$(dirname "${BASH_SOURCE[0]}")/cgroups.sh"

DOCKER_DIR=""     # tmpfs with data-root, exec-root and socket: it outlives a restart
DOCKER_NS_PID=""  # unshare holding dockerd's PID namespace; dockerd is its PID 1
DOCKERD_PID=""    # dockerd, as this host sees it
DOCKERD_ARGS=()   # extra dockerd flags from the first docker_start that had any
# A cgroup parent of our own (not "docker"): the cgroup v1 hierarchy is the machine's
# and other scenarios may run dockerd at the same time; cleanup removes only ours. $T is
# unique machine-wide, $$ is not when scenarios run in PID namespaces of their own.
DOCKER_CGROUP="docker-ctnet-${T##*/}"

docker_start() {
  [ -z "$DOCKER_NS_PID" ] || die "docker_start: dockerd is already running"
  [ $# -eq 0 ] || DOCKERD_ARGS=("$@")
  if [ -z "$DOCKER_DIR" ]; then
    DOCKER_DIR=$T/docker
    mkdir -p "$DOCKER_DIR"
    mount -t tmpfs -o mode=0711 tmpfs "$DOCKER_DIR"
    mkdir "$DOCKER_DIR"/{data,exec,etc}
    # key.json and daemon.json live here; the bind exists only in this mount namespace.
    mount --bind "$DOCKER_DIR/etc" /etc/docker
    export DOCKER_HOST=unix://$DOCKER_DIR/docker.sock
    ON_EXIT+=(_docker_cleanup)
  fi
  # dockerd is PID 1 of its own PID namespace, so containerd, the shims and the
  # containers die with it; the pdeathsig ties unshare to this shell. The fresh /run
  # takes what dockerd, containerd and runc write under /run whatever their flags say
  # (/run/containerd/s, /run/docker/libnetwork, /run/xtables.lock...): none of it needs
  # to outlive dockerd, and the machine's /run stays untouched. --init: a container's
  # PID 1 (httpd, sleep) ignores SIGTERM, so every stop and restart would wait 10 s.
  # vfs: the image is 2 MB and no overlay mount can outlive the namespace (overlay2 on
  # this tmpfs works too).
  setpriv --pdeathsig KILL unshare --pid --fork --kill-child --mount-proc \
    sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' sh \
    /usr/sbin/dockerd -H "$DOCKER_HOST" --data-root "$DOCKER_DIR/data" \
      --exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/dockerd.pid" \
      --storage-driver vfs --cgroup-parent "$DOCKER_CGROUP" --init \
      "${DOCKERD_ARGS[@]}" >>"$T/dockerd.log" 2>&1 </dev/null &
  DOCKER_NS_PID=$!
  DOCKERD_PID=""
  local i
  for i in $(seq 300); do
    [ -n "$DOCKERD_PID" ] || DOCKERD_PID=$(pgrep -P "$DOCKER_NS_PID" || true)
    [ -n "$DOCKERD_PID" ] && /usr/bin/docker info >/dev/null 2>&1 && break
    kill -0 "$DOCKER_NS_PID" 2>/dev/null || die "dockerd exited: $(tail -20 "$T/dockerd.log")"
    sleep 0.1
  done
  [ "$i" -lt 300 ] || die "dockerd did not answer in 30 s: $(tail -20 "$T/dockerd.log")"
  /usr/bin/docker image inspect local/bb >/dev/null 2>&1 || _docker_image
}

# No registry is reachable: the image is busybox-static and its applets.
_docker_image() {
  local root=$T/bb-rootfs
  rm -rf "$root"; mkdir -p "$root"/{bin,etc,root,tmp}; chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/"
  local a
  # --list names busybox itself: linking that one would replace the binary.
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
  tar -C "$root" -c . | /usr/bin/docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - local/bb >/dev/null \
    || die "docker import failed: $(tail -20 "$T/dockerd.log")"
}

docker_stop() {
  [ -n "$DOCKER_NS_PID" ] || return 0
  # TERM lets dockerd stop its containers and save their state, as a service stop would.
  kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  local i
  for i in $(seq 200); do kill -0 "$DOCKER_NS_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$DOCKER_NS_PID" 2>/dev/null; then
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    die "dockerd did not stop in 20 s: $(tail -20 "$T/dockerd.log")"
  fi
  wait "$DOCKER_NS_PID" 2>/dev/null || true
  DOCKER_NS_PID="" DOCKERD_PID=""
}

docker_restart() { docker_stop; docker_start; }

_docker_cleanup() {
  local i
  if [ -n "$DOCKER_NS_PID" ]; then
    # Killing PID 1 kills the whole namespace; unshare returns once all of it is gone.
    kill -KILL "${DOCKERD_PID:-$DOCKER_NS_PID}" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$DOCKER_NS_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$DOCKER_NS_PID" 2>/dev/null || true
  fi
  remove_cgroups "$DOCKER_CGROUP"
  umount /etc/docker "$DOCKER_DIR" 2>/dev/null || true
}
