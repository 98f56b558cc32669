#!/usr/bin/env bash
# image.sh TAG [TAR] — build the Dockerfile as TAG with whichever engine runs here: docker where
# a Docker engine answers, else rootful podman, whose FROM images are then made here by
# builder-images.sh (nothing is pulled: --pull=never). With TAR, the image is also saved
# there as `docker save` writes it, the tarball `kind load image-archive` and `ctr images
# import` read (make image-load). Neither engine: one line, exit 1 (`make image-tar` writes
# the image without an engine).
# image.sh --engine — print the engine image.sh would use; exit 1 when there is none.
set -o errexit -o nounset -o pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

main() {
  if [[ ${1:-} == --engine ]]; then
    engine_here
    return
  fi
  local tag=${1:?usage: image.sh TAG [TAR] | --engine} tar=${2:-} e
  cd "$(dirname "$0")/../.."
  if ! e=$(engine_here); then
    echo "image: neither docker nor podman runs here (clusters/kind/podman-setup.sh sets podman up; make image-tar needs no engine)" >&2
    exit 1
  fi
  if [[ $e == docker ]]; then
    (set -o xtrace; docker build -t "$tag" .)
  else
    clusters/kind/builder-images.sh Dockerfile
    # Host networking: `go mod download` reaches the module proxy as the host does, and no
    # bridge or NAT rule is made for the build.
    (set -o xtrace; podman build --pull=never --network host -t "$tag" .)
  fi
  if [[ -n $tar ]]; then
    mkdir -p "$(dirname "$tar")"
    rm -f "$tar"
    case $e in
      docker) (set -o xtrace; docker save -o "$tar" "$tag") ;;
      podman)
        # podman names an image without a registry localhost/...; a cluster's containerd
        # reads scalelab/hello:dev as docker.io/scalelab/hello:dev, so save it as that.
        local name=$tag
        [[ ${tag%%/*} == *[.:]* || ${tag%%/*} == localhost || $tag != */* ]] || name=docker.io/$tag
        podman tag "$tag" "$name"
        (set -o xtrace; podman save --format docker-archive -o "$tar" "$name")
        ;;
    esac
  fi
}

main "$@"
