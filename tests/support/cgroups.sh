# remove_cgroups NAME: removes the cgroup NAME a runtime made under every hierarchy of
# the machine's (cgroup v1 is shared with the machine; nothing else may stay behind).
# Deepest first; a cgroup whose last task just died may refuse rmdir for a moment.
remove_cgroups() {
  local i c
  for i in $(seq 50); do
    for c in /sys/fs/cgroup/*/"$1"; do
      [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    compgen -G "/sys/fs/cgroup/*/$1" >/dev/null || break
    sleep 0.1
  done
}
