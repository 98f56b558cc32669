# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings are for the scripts that source this file
# shellcheck source-path=SCRIPTDIR/../bare
# Shared settings of the kind scripts (up.sh, down.sh, node-image.sh, image.sh, ../load-image.sh): the
# cluster's name, the kind command, this machine's node image, and which engine kind runs
# on. Sourced.
LOG_PREFIX=kind
. "$(dirname "${BASH_SOURCE[0]}")/../bare/lib.sh"

KIND_DIR=$REPO_DIR/clusters/kind
KIND_NAME=${KIND_NAME:-scalelab}
# kind: KIND if set, else the installed one, else the pinned one from the Go module proxy.
KIND_VERSION=v0.33.0
if [[ -n ${KIND:-} ]]; then
  read -r -a KIND_CMD <<<"$KIND"
elif command -v kind >/dev/null; then
  KIND_CMD=(kind)
else
  KIND_CMD=(go run "sigs.k8s.io/kind@$KIND_VERSION")
fi
NODE_IMAGE=${NODE_IMAGE:-localhost/scalelab/kind-node:$KUBE_VERSION}

# engine_here prints the container engine that runs here: docker where a Docker engine
# answers, else podman where it runs (kind's own order); it fails when neither does. A
# docker client without an engine, as on this machine, does not count.
engine_here() {
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    echo docker
  elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then
    echo podman
  else
    return 1
  fi
}

# kind_engine exports engine_here's engine for kind as KIND_EXPERIMENTAL_PROVIDER; dies when
# there is none.
kind_engine() {
  KIND_EXPERIMENTAL_PROVIDER=$(engine_here) ||
    die "neither docker nor podman runs here (clusters/kind/podman-setup.sh sets podman up)"
  export KIND_EXPERIMENTAL_PROVIDER
}
