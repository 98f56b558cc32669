#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../bare
# up.sh — install Skipper, scalelab's ingress controller, into the current kind or minikube
# cluster: the pinned build (clusters/bare/build.sh skipper) in an image written without Docker
# (cmd/image), loaded into the cluster, then the manifests beside this script. The bare
# cluster runs the same build on the host instead (clusters/bare/up.sh).
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/../bare/lib.sh"
INGRESS_DIR=$BARE_DIR/../ingress
tag=scalelab/skipper:$SKIPPER_VERSION
tar=$REPO_DIR/bin/skipper-image.tar

"$BARE_DIR/build.sh" skipper
mkdir -p "$REPO_DIR/bin"
(cd "$REPO_DIR" && go run ./cmd/image -binary "$SKIPPER_BIN/skipper" -tag "$tag" -entrypoint skipper \
  -user 65532:65532 -expose 9999/tcp -o "$tar")
host=$("$BARE_DIR/../load-image.sh" "$tar")
command kubectl apply -k "$INGRESS_DIR"
command kubectl -n skipper rollout status deploy/skipper --timeout=180s
echo "INGRESS_URL=http://$host:30081"
