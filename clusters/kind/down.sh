#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# down.sh — delete the kind cluster "scalelab" (KIND_NAME), then, on a cgroup v1 host, the
# cgroup hierarchies its nodes left bound. A node's systemd mounts every v1 controller it
# finds, also those the host mounts nowhere (here perf_event, net_cls/net_prio, hugetlb),
# and the node's kubelet makes cgroups in them; when the node is gone those empty cgroups
# keep the hierarchies alive, every process on the host is then listed in them, and
# containerd on the host can no longer read a container's cgroup (the bare cluster's pods
# lose their CPU figures: metrics-server, the HPA). Each such hierarchy is mounted on a
# temporary directory, its empty cgroups removed (rmdir refuses one in use) and unmounted:
# the kernel then unbinds it (/proc/cgroups shows hierarchy 0).
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"

# unbound_hierarchies: the v1 controllers bound to a hierarchy that nothing mounts here.
unbound_hierarchies() {
  local name hier _ mounted
  mounted=$(findmnt -rn -t cgroup -o OPTIONS | tr ',' '\n')
  while read -r name hier _; do
    [[ $name == \#* || $hier == 0 ]] && continue
    grep -qx "$name" <<<"$mounted" || echo "$name"
  done </proc/cgroups
}

release_hierarchies() {
  local ctl dir left
  for ctl in $(unbound_hierarchies); do
    dir=$(mktemp -d)
    mount -t cgroup -o "$ctl" "cgroup-$ctl" "$dir" 2>/dev/null || { rmdir "$dir"; continue; }
    find "$dir" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
    left=$(find "$dir" -mindepth 1 -type d | wc -l)
    umount "$dir"
    rmdir "$dir"
    if ((left > 0)); then
      log "cgroup $ctl: $left cgroup(s) still in use, the hierarchy stays bound"
    else
      log "cgroup $ctl: released the hierarchy the nodes left"
    fi
  done
}

main() {
  kind_engine
  (set -o xtrace; "${KIND_CMD[@]}" delete cluster --name "$KIND_NAME")
  if [[ ! -f /sys/fs/cgroup/cgroup.controllers && $(id -u) == 0 ]]; then
    release_hierarchies
  fi
}

main "$@"
