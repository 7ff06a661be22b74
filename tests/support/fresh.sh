# fresh DIR [KEPT...]: an empty tmpfs over DIR for this mount namespace, but for the
# subdirectories KEPT, which stay what they were (mounts of their own, such as the
# hermetic host's /var/lib/ctnet, moved over). Gone with the namespace: nothing to undo.
fresh() {
  local dir=$1 kept; shift
  for kept; do
    mkdir -p "$T/kept$dir/$kept"; mount --rbind "$dir/$kept" "$T/kept$dir/$kept"
  done
  mount -t tmpfs -o mode=0755 tmpfs "$dir"
  for kept; do
    mkdir "$dir/$kept"; mount --move "$T/kept$dir/$kept" "$dir/$kept"
  done
}
