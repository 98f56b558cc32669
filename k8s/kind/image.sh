#!/usr/bin/env bash
# image.sh TAG — build the Dockerfile as TAG with whichever engine runs here: docker where a
# Docker engine answers, else rootful podman, whose FROM images are then made here by
# builder-images.sh (nothing is pulled: --pull=never). Neither: one line, exit 1 (`make
# image-tar` writes the image without an engine).
set -o errexit -o nounset -o pipefail

main() {
  local tag=${1:?usage: image.sh TAG}
  cd "$(dirname "$0")/../.."
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    (set -o xtrace; docker build -t "$tag" .)
  elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then
    k8s/kind/builder-images.sh Dockerfile
    # Host networking: `go mod download` reaches the module proxy as the host does, and no
    # bridge or NAT rule is made for the build.
    (set -o xtrace; podman build --pull=never --network host -t "$tag" .)
  else
    echo "image: neither docker nor podman runs here (k8s/kind/podman-setup.sh sets podman up; make image-tar needs no engine)" >&2
    exit 1
  fi
}

main "$@"
