#!/usr/bin/env bash
# load-image.sh TAR — load an image tarball (written by cmd/image, no Docker needed) into the
# current kubectl context's cluster: kind (kind-*) or minikube. Prints the host on which the
# cluster's NodePorts answer (127.0.0.1 for kind through clusters/kind/kind.yaml's port mappings).
# kind comes from the Go module proxy when none is installed (kind/lib.sh).
set -o errexit -o nounset -o pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/kind/lib.sh"
tar=${1:?usage: load-image.sh TAR}
[[ -f $tar ]] || { echo "load-image: no image at $tar" >&2; exit 2; }

ctx=$(command kubectl config current-context 2>/dev/null) || { echo "load-image: no current kubectl context" >&2; exit 2; }
case $ctx in
  kind-*) kind_engine; "${KIND_CMD[@]}" load image-archive --name "${ctx#kind-}" "$tar" >&2; echo 127.0.0.1 ;;
  minikube) minikube image load "$tar" >&2; minikube ip ;;
  *) echo "load-image: context $ctx is neither kind-* nor minikube: load $tar into it yourself" >&2; exit 2 ;;
esac
