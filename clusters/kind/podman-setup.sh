#!/usr/bin/env bash
# podman-setup.sh — make rootful podman run on this kind of machine, idempotently: Debian's
# podman (buildah inside, for `podman build`) with runc, debootstrap (for builder-images.sh),
# an empty /lib/modules where the kernel has none (kind mounts it), and the two
# containers.conf settings this host needs:
#   - runtime = "runc": crun refuses a cgroup v1 ("hybrid") host;
#   - default_ulimits = []: raising RLIMIT_NOFILE/NPROC is refused here.
# A setting already present in /etc/containers/containers.conf is left as it is. Ends by
# checking `podman info`. Needs root (apt-get, /etc/containers). Pulls nothing.
set -o errexit -o nounset -o pipefail

conf=/etc/containers/containers.conf

# ensure_setting SECTION KEY LINE: put LINE under [SECTION] of $conf unless KEY is set there.
ensure_setting() {
  local section=$1 key=$2 line=$3
  touch "$conf"
  if awk -v s="[$section]" -v k="$key" '
      /^[[:space:]]*\[/ { in_s = ($0 ~ "^[[:space:]]*\\[" substr(s, 2, length(s) - 2) "\\]") }
      in_s && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" { found = 1 }
      END { exit !found }' "$conf"; then
    echo "podman-setup: $key already set under [$section] in $conf" >&2
    return
  fi
  if grep -q "^[[:space:]]*\[$section\]" "$conf"; then
    sed -i "/^[[:space:]]*\[$section\]/a $line" "$conf"
  else
    printf '\n[%s]\n%s\n' "$section" "$line" >>"$conf"
  fi
  echo "podman-setup: wrote $line under [$section] in $conf" >&2
}

main() {
  trap 'echo "podman-setup: failed at line $LINENO" >&2' ERR
  [[ $(id -u) == 0 ]] || { echo "podman-setup: needs root (apt-get, $conf)" >&2; exit 2; }
  # debootstrap: clusters/kind/builder-images.sh makes the Dockerfile's FROM images with it.
  local -a missing=()
  local tool
  for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]} > 0)); then
    # Package lists may be empty or old on a new machine: update them first.
    (set -o xtrace; apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}")
  fi
  mkdir -p "$(dirname "$conf")"
  ensure_setting engine runtime 'runtime = "runc"'
  ensure_setting containers default_ulimits 'default_ulimits = []'
  # kind's podman provider mounts /lib/modules into every node, and podman refuses a missing
  # source: a kernel built without modules (this machine's) has no such directory.
  if [[ ! -e /lib/modules ]]; then
    mkdir -p /lib/modules
    echo "podman-setup: made an empty /lib/modules (this kernel has no modules; kind mounts it)" >&2
  fi
  podman info --format '{{.Version.Version}} {{.Host.OCIRuntime.Name}} cgroup {{.Host.CgroupsVersion}} storage {{.Store.GraphDriverName}}' ||
    { echo "podman-setup: podman info failed" >&2; exit 1; }
}

main "$@"
