#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# up.sh [CONFIG] — the kind cluster "scalelab" from CONFIG (default clusters/kind/kind.yaml), with
# docker where a Docker engine answers, else rootful podman. The node image: this machine's
# own (node-image.sh; $NODE_IMAGE) where the engine holds it — no registry answers here —
# else kind's published one, pulled as kind always does. The own image has no kindnetd: its
# cluster is made without kind's CNI and gets network.sh's instead, then waited for; and its
# CoreDNS forwards nothing off the machine (no_upstream_dns).
# KIND_WORKERS=N adds N workers to CONFIG's nodes list (its last key, as in clusters/kind/kind.yaml).
# KIND (the kind command, as the Makefile runs it) and KIND_NAME may be set.
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"

KIND_WORKERS=${KIND_WORKERS:-0}
work=

cleanup() {
  if [[ -n $work ]]; then rm -rf "$work"; fi
}

# no_upstream_dns: CoreDNS answers the cluster's own names only. kubeadm's Corefile forwards
# every other name to the node's resolvers — the host's, on a podman network — and nothing a
# pod asks may leave this machine; so the forward, and loop (which probes through it), go
# before any CoreDNS pod starts: none can before network.sh gives the node its CNI config.
no_upstream_dns() {
  local kc=(command kubectl --context "kind-$KIND_NAME" -n kube-system) corefile
  corefile=$("${kc[@]}" get configmap coredns -o jsonpath='{.data.Corefile}')
  grep -q 'forward \. /etc/resolv\.conf' <<<"$corefile" || die "CoreDNS's Corefile has no forward to /etc/resolv.conf: $corefile"
  sed '/^ *forward \. \/etc\/resolv\.conf {/,/^ *}/d; /^ *loop$/d' <<<"$corefile" >"$work/Corefile"
  "${kc[@]}" create configmap coredns --from-file=Corefile="$work/Corefile" --dry-run=client -o yaml |
    "${kc[@]}" replace -f - >/dev/null
  log "CoreDNS: the cluster's names only, no forward to the host's resolvers"
}

main() {
  trap cleanup EXIT
  local config=${1:-$REPO_DIR/clusters/kind/kind.yaml} engine i
  [[ -f $config ]] || die "no kind config at $config"
  kind_engine
  engine=$KIND_EXPERIMENTAL_PROVIDER
  [[ $KIND_WORKERS =~ ^[0-9]+$ ]] || die "KIND_WORKERS=$KIND_WORKERS: want a number of workers"
  work=$(mktemp -d)
  cp "$config" "$work/kind.yaml"
  for ((i = 0; i < KIND_WORKERS; i++)); do echo '- role: worker'; done >>"$work/kind.yaml"
  if ! "$engine" image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
    log "no $NODE_IMAGE in $engine's store: kind's published node image"
    (set -o xtrace; "${KIND_CMD[@]}" create cluster --name "$KIND_NAME" --config "$work/kind.yaml" --wait 180s)
    return
  fi
  printf 'networking:\n  disableDefaultCNI: true\n' >>"$work/kind.yaml"
  (set -o xtrace; "${KIND_CMD[@]}" create cluster --name "$KIND_NAME" --config "$work/kind.yaml" --image "$NODE_IMAGE")
  no_upstream_dns
  KIND_ENGINE=$engine "$(dirname "$0")/network.sh" "$KIND_NAME"
  (set -o xtrace; command kubectl --context "kind-$KIND_NAME" wait --for=condition=Ready nodes --all --timeout=180s)
}

main "$@"
