#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# build.sh kube|skipper|metrics-server|etcd|coredns|crictl — build the pinned binaries of a tools module into the per-version
# cache outside the checkout (see lib.sh), once: a second run finds them and costs seconds.
# The cache is keyed by the module's go.mod and go.sum and the build flags (a stamp file).
# build.sh --cached WHAT — exit 0 when WHAT is in the cache (no build), 1 when a build would
# run: .ci/run's budget asks it.
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"

# build MODULE_DIR OUT_DIR LDFLAGS PKG... — go build into OUT_DIR unless its stamp matches.
build() {
  local mod=$1 out=$2 ldflags=$3 stamp tmp
  shift 3
  stamp=$(cat "$mod/go.mod" "$mod/go.sum" <(echo "$ldflags $* $(go env GOVERSION)") | sha256sum | cut -d' ' -f1)
  if [[ -f $out/.stamp && $(cat "$out/.stamp") == "$stamp" ]]; then
    [[ -n $only_check ]] || log "cached: $out"
    return
  fi
  if [[ -n $only_check ]]; then exit 1; fi
  log "building $* into $out (cold: minutes)"
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp -d "$(dirname "$out")/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$mod" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp/" "$@")
  echo "$stamp" >"$tmp/.stamp"
  chmod 755 "$tmp"
  rm -rf "$out"
  mv "$tmp" "$out"
  trap - EXIT
  log "built: $(cd "$out" && echo *)"
}

trap 'exit 143' TERM # so that a stopped build still removes its temporary directory (EXIT)
only_check= # set by --cached: say whether the build is cached, build nothing
if [[ ${1:-} == --cached ]]; then
  only_check=1
  shift
fi

case ${1:-} in
  kube)
    minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
    pkgs=()
    for c in "${KUBE_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    build "$BARE_DIR/kube" "$KUBE_BIN" "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
-X k8s.io/component-base/version.gitTreeState=clean" "${pkgs[@]}"
    ;;
  skipper)
    build "$BARE_DIR/skipper" "$SKIPPER_BIN" "-s -w -X main.version=$SKIPPER_VERSION" github.com/zalando/skipper/cmd/skipper
    ;;
  metrics-server)
    # The version as upstream's Makefile stamps it (metrics-server --version prints it).
    build "$BARE_DIR/metrics-server" "$METRICS_SERVER_BIN" "-s -w -X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION \
-X k8s.io/client-go/pkg/version.gitTreeState=clean" sigs.k8s.io/metrics-server/cmd/metrics-server
    ;;
  etcd)
    # The version is in etcd's source (its build script stamps only the commit). go build
    # names the binary after the module's last element before /v3, "server": etcd's own
    # build script renames it too.
    build "$BARE_DIR/etcd" "$ETCD_BIN" "-s -w" go.etcd.io/etcd/server/v3
    if [[ -z $only_check && -e $ETCD_BIN/server ]]; then mv "$ETCD_BIN/server" "$ETCD_BIN/etcd"; fi
    ;;
  coredns)
    build "$BARE_DIR/coredns" "$COREDNS_BIN" "-s -w" github.com/coredns/coredns
    ;;
  crictl)
    build "$BARE_DIR/crictl" "$CRICTL_BIN" "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
    ;;
  *) echo "usage: $0 [--cached] kube|skipper|metrics-server|etcd|coredns|crictl" >&2; exit 2 ;;
esac
