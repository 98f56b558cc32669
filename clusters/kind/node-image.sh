#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# node-image.sh — kind's node image for Kubernetes $KUBE_VERSION (clusters/bare/lib.sh), made on
# this machine, where no image registry answers: $NODE_IMAGE in podman's store. Needs root
# and rootful podman (podman-setup.sh). What goes in, and from where:
#   - Debian bookworm (builder-images.sh's debootstrap'd rootfs) with systemd, containerd,
#     runc, the CNI plugins and iptables from Debian's archive (node/Containerfile);
#   - kind's own node files — entrypoint, systemd units, containerd config — from the
#     sigs.k8s.io/kind module, the version the Makefile runs;
#   - kubeadm, kubelet, kubectl and crictl, built as the bare cluster builds its binaries;
#   - every image the cluster starts, preloaded into containerd: kube-apiserver,
#     -controller-manager, -scheduler, etcd, CoreDNS and pause written by cmd/image,
#     kube-proxy on Debian with iptables, all tagged as `kubeadm config images list` names
#     them. A pull of anything else fails on loopback (node/registry-guard.toml).
# Left out, knowingly: kindnetd, kind's default CNI, whose source is not on the Go module
# proxy (kind-up gives such nodes a CNI config and routes instead: clusters/kind/network.sh),
# and the local-path provisioner (kind then installs a host-path StorageClass).
# Cached: remade only when what goes in changes (the image's scalelab.inputs label).
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"

work=

cleanup() {
  if [[ -n $work ]]; then rm -rf "$work"; fi
}

# binaries: everything the image holds that is built from Go, into the per-version caches.
binaries() {
  local what
  for what in kube etcd coredns crictl; do "$BARE_DIR/build.sh" "$what"; done
}

# check_versions: the images kubeadm will ask for are the ones made here.
check_versions() {
  local want have
  want=$(printf '%s\n' "registry.k8s.io/kube-apiserver:$KUBE_VERSION" \
    "registry.k8s.io/kube-controller-manager:$KUBE_VERSION" "registry.k8s.io/kube-scheduler:$KUBE_VERSION" \
    "registry.k8s.io/kube-proxy:$KUBE_VERSION" "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" \
    "registry.k8s.io/pause:$PAUSE_VERSION" "registry.k8s.io/etcd:$ETCD_VERSION-0")
  have=$("$KUBE_BIN/kubeadm" config images list --kubernetes-version "$KUBE_VERSION" 2>/dev/null)
  [[ $have == "$want" ]] || die "kubeadm $KUBE_VERSION asks for other images than clusters/bare/lib.sh pins:
$have"
}

# context: the build context node/Containerfile names, in $work/context.
context() {
  local ctx=$work/context kind_src img=$work/image
  mkdir -p "$ctx/bin" "$ctx/images"
  kind_src=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $kind_src/images/base/files ]] || die "no images/base/files in sigs.k8s.io/kind@$KIND_VERSION"
  cp -r "$kind_src/images/base/files" "$ctx/kind-files"
  rm -rf "$ctx/kind-files/LICENSES"
  chmod -R u+w "$ctx/kind-files"
  cp "$KIND_DIR/node/registry-guard.toml" "$KIND_DIR/node/iptables-wrapper" "$ctx/"
  cp "$KUBE_BIN/kubeadm" "$KUBE_BIN/kubelet" "$KUBE_BIN/kubectl" "$CRICTL_BIN/crictl" "$ctx/bin/"
  (cd "$REPO_DIR" && CGO_ENABLED=0 go build -trimpath -o "$img" ./cmd/image &&
    CGO_ENABLED=0 go build -trimpath -o "$work/pause" ./cmd/pause)
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    "$img" -binary "$KUBE_BIN/$c" -tag "registry.k8s.io/$c:$KUBE_VERSION" -entrypoint "usr/local/bin/$c" -user 0 -o "$ctx/images/$c.tar" >&2
  done
  "$img" -binary "$ETCD_BIN/etcd" -tag "registry.k8s.io/etcd:$ETCD_VERSION-0" -entrypoint usr/local/bin/etcd -user 0 -o "$ctx/images/etcd.tar" >&2
  # Root, where upstream's image is nonroot with a file capability to bind port 53: kubeadm's
  # Deployment adds NET_BIND_SERVICE and drops every other capability either way.
  "$img" -binary "$COREDNS_BIN/coredns" -tag "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" -entrypoint coredns -user 0 -o "$ctx/images/coredns.tar" >&2
  # kubeadm's pause, and the one kind's containerd config names as the sandbox image.
  local sandbox
  sandbox=$(sed -n 's/^ *sandbox_image = "\(.*\)"/\1/p' "$ctx/kind-files/etc/containerd/config.toml")
  "$img" -binary "$work/pause" -tag "registry.k8s.io/pause:$PAUSE_VERSION" -entrypoint pause -o "$ctx/images/pause.tar" >&2
  [[ $sandbox == "registry.k8s.io/pause:$PAUSE_VERSION" ]] ||
    "$img" -binary "$work/pause" -tag "$sandbox" -entrypoint pause -o "$ctx/images/pause-sandbox.tar" >&2
  cp "$KUBE_BIN/kube-proxy" "$ctx/bin/kube-proxy"
  cp "$KIND_DIR/node/Containerfile" "$ctx/Containerfile"
}

# kube_proxy_image: kube-proxy on Debian with iptables (the Containerfile's kube-proxy stage),
# saved into the context as the image kubeadm's DaemonSet names.
kube_proxy_image() {
  local ctx=$work/context tag=registry.k8s.io/kube-proxy:$KUBE_VERSION
  (set -o xtrace; podman build --pull=never --network host --target kube-proxy -t "$tag" "$ctx")
  podman save --format docker-archive -o "$ctx/images/kube-proxy.tar" "$tag"
  podman untag "$tag" "$tag"
}

# node_image: the Containerfile's node stage as $NODE_IMAGE, labelled with the digest of what
# went in; skipped when the image there has that label already.
node_image() {
  local ctx=$work/context inputs
  inputs=$(cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  if [[ $(podman image inspect --format '{{index .Labels "scalelab.inputs"}}' "$NODE_IMAGE" 2>/dev/null) == "$inputs" ]]; then
    log "cached: $NODE_IMAGE"
    return
  fi
  kube_proxy_image
  (set -o xtrace; podman build --pull=never --network host --target node \
    --build-arg "KUBE_VERSION=$KUBE_VERSION" --label "scalelab.inputs=$inputs" -t "$NODE_IMAGE" "$ctx")
  log "made $NODE_IMAGE ($(podman image inspect --format '{{.Size}}' "$NODE_IMAGE" | numfmt --to=si)B)"
}

main() {
  trap cleanup EXIT
  trap 'log "failed at line $LINENO"' ERR
  [[ $(id -u) == 0 ]] || die "needs root (rootful podman)"
  command -v podman >/dev/null || die "no podman (clusters/kind/podman-setup.sh installs it)"
  work=$(mktemp -d)
  "$KIND_DIR/builder-images.sh" "$KIND_DIR/node/Containerfile"
  binaries
  check_versions
  context
  node_image
}

main "$@"
