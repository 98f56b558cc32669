# shellcheck shell=bash
# teardown: stop everything an earlier bare-up started and remove every trace it left, in an
# order where nothing restarts what was just stopped. Safe when nothing is up, and twice.
# Sourced by down.sh and by up.sh (which tears down first, and on failure).

teardown() {
  stop 10 skipper kubectl-proxy metrics-server kubelet # kubelet first: it would restart the containers
  pods_down
  stop 20 kube-proxy kube-scheduler kube-controller-manager kube-apiserver
  stop 20 containerd
  stop 20 etcd
  orphans_down
  rules_down
  mounts_down
  cgroups_down
  net_down
  sysctls_restore
  local p
  for p in "${FIXED_PATHS[@]}"; do rm -rf "$p"; done
  rmdir /var/lib/kubelet 2>/dev/null || true
  if [[ -d $STATE_DIR ]]; then
    # Keep the last run's logs for a post-mortem; the next up starts them afresh.
    find "$STATE_DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  fi
}

# pods_down kills every container of the cluster through containerd while it still runs,
# so that their shims exit and their network namespaces go.
pods_down() {
  running containerd || return 0
  local ids id
  ids=$(ctr tasks ls -q 2>/dev/null) || return 0
  for id in $ids; do ctr tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1 || true; done
  for id in $ids; do ctr tasks delete --force "$id" >/dev/null 2>&1 || true; done
  ids=$(ctr containers ls -q 2>/dev/null) || true
  for id in $ids; do ctr containers delete "$id" >/dev/null 2>&1 || true; done
  [[ -z $ids ]] || log "removed $(wc -w <<<"$ids") containers"
}

# orphans_down is for a run that died without a containerd to ask: processes still in the
# cluster's pod cgroups, and shims serving its containerd socket, are the cluster's own.
orphans_down() {
  local pid pids=()
  while read -r pid; do pids+=("$pid"); done < <(find /sys/fs/cgroup/*/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  for pid in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$pid/cmdline" | grep -q -- "-address $CONTAINERD_SOCK "; then pids+=("${pid#/proc/}"); fi
  done
  [[ ${#pids[@]} -gt 0 ]] || return 0
  log "killing ${#pids[@]} leftover pod processes and shims: ${pids[*]}"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  sleep 0.5
}

# rules_down removes kube-proxy's and kubelet's iptables rules (and the portmap plugin's),
# then any nftables table that appeared with the cluster and is left empty.
rules_down() {
  if [[ -x $KUBE_BIN/kube-proxy ]]; then "$KUBE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  local cmd table chain rule
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for table in filter nat mangle raw; do
      "$cmd" -t "$table" -S >/dev/null 2>&1 || continue
      while read -r rule; do
        eval "\"$cmd\" -t $table -D ${rule#-A }" 2>/dev/null || true
      done < <("$cmd" -t "$table" -S | grep -E -- '-j (KUBE|CNI)-' | grep -vE '^-A (KUBE|CNI)-')
      for chain in $("$cmd" -t "$table" -S | awk '/^-N (KUBE|CNI)-/ {print $2}'); do
        "$cmd" -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$cmd" -t "$table" -S | awk '/^-N (KUBE|CNI)-/ {print $2}'); do
        "$cmd" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
  command -v nft >/dev/null || return 0
  local before=$STATE_DIR/nft-tables.before family
  while read -r _ family table; do
    # Only tables that appeared with the cluster, and only once nothing is left in them.
    if [[ ! -f $before ]] || grep -qx "table $family $table" "$before"; then continue; fi
    if ! nft -j list table "$family" "$table" 2>/dev/null | grep -q '"rule"'; then
      nft delete table "$family" "$table" 2>/dev/null || true
    fi
  done < <(nft list tables 2>/dev/null)
}

# mounts_down unmounts, deepest first, what containerd and kubelet mounted under the state
# dir and the fixed paths.
mounts_down() {
  local m
  for m in $(findmnt -rn -o TARGET | awk -v s="$STATE_DIR/" '
      index($0, s) == 1 || index($0, "/run/containerd/") == 1 || index($0, "/var/lib/kubelet/") == 1' | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
}

# cgroups_down removes the kubepods hierarchy kubelet made in every cgroup v1 controller.
cgroups_down() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/kubepods.slice; do
    if [[ -d $d ]]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
}

sysctls_save() {
  local k v
  : >"$STATE_DIR/sysctl.saved"
  for k in "${SYSCTLS[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v" >>"$STATE_DIR/sysctl.saved"
  done
}

sysctls_restore() {
  local f=$STATE_DIR/sysctl.saved kv
  [[ -f $f ]] || return 0
  while read -r kv; do sysctl -qw "$kv" >/dev/null 2>&1 || log "could not restore $kv"; done <"$f"
  log "restored sysctls: $(tr '\n' ' ' <"$f")"
  rm -f "$f"
}
