#!/usr/bin/env bash
# builder-images.sh [DOCKERFILE] — make, on this machine, the images the Dockerfile's FROM
# lines name, for `podman build --pull=never`: no image registry is reachable here, so nothing
# is pulled. Needs root and rootful podman (clusters/kind/podman-setup.sh) and debootstrap.
#
#   golang:X.Y  a Debian bookworm rootfs (debootstrap --variant=minbase from Debian's archive,
#               plus ca-certificates) with THIS machine's Go toolchain (`go env GOROOT`) at
#               /usr/local/go, set up as the official image is (GOPATH=/go, PATH, GOTOOLCHAIN=
#               local), and the host's GOPROXY/GOSUMDB and CA bundle (/etc/ssl/certs/
#               ca-certificates.crt: a machine whose egress presents its own CA has it there)
#               so that `go mod download` goes where the host's does and trusts what it
#               trusts. The host's Go must be release X.Y.
#   scratch     nothing to make: buildah knows it as the empty image.
#   $BASE       (localhost/scalelab/debian:bookworm-minbase) the rootfs below: kind's node
#               image (clusters/kind/node/Containerfile) starts from it.
#
# Cached in podman's image store: the debootstrap'd rootfs is an image of its own ($BASE), made
# once; the golang image is remade only when the host's Go version differs from its label.
set -o errexit -o nounset -o pipefail

BASE=localhost/scalelab/debian:bookworm-minbase
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
work=

cleanup() {
  if [[ -n $work ]]; then rm -rf "$work"; fi
}

# ensure_base: the debootstrap'd bookworm rootfs as the image $BASE, unless it exists.
ensure_base() {
  if podman image exists "$BASE"; then
    echo "builder-images: $BASE cached" >&2
    return
  fi
  [[ $(id -u) == 0 ]] || { echo "builder-images: making $BASE needs root (debootstrap)" >&2; exit 2; }
  command -v debootstrap >/dev/null || { echo "builder-images: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
  local root=$work/rootfs
  (set -o xtrace; debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$MIRROR")
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" --numeric-owner -c . |
    podman import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BASE" >/dev/null
  echo "builder-images: made $BASE" >&2
}

# ensure_golang REF: REF (golang:X.Y) from $BASE, the host's Go toolchain and CA bundle,
# unless REF already holds this Go version and this bundle.
ensure_golang() {
  local ref=$1 want=${1#golang:} version goroot ca have
  version=$(go env GOVERSION)
  goroot=$(go env GOROOT)
  ca=$(sha256sum "$CA_BUNDLE" | cut -c1-16)
  case $version in
    "go$want" | "go$want".*) ;;
    *) echo "builder-images: the Dockerfile wants $ref, this machine's Go is $version" >&2; exit 1 ;;
  esac
  have=$(podman image inspect --format '{{index .Labels "scalelab.go"}} {{index .Labels "scalelab.ca"}}' "$ref" 2>/dev/null || true)
  if [[ $have == "$version $ca" ]]; then
    echo "builder-images: $ref cached ($version, CA bundle $ca)" >&2
    return
  fi
  ensure_base
  # The build context: the toolchain (hard links, or a copy across file systems) and the bundle.
  mkdir "$work/context"
  cp -al "$goroot" "$work/context/go" 2>/dev/null || cp -a "$goroot" "$work/context/go"
  cp "$CA_BUNDLE" "$work/context/ca-certificates.crt"
  cat >"$work/Containerfile" <<CONTAINERFILE
FROM $BASE
COPY go /usr/local/go
COPY ca-certificates.crt $CA_BUNDLE
ENV GOLANG_VERSION=${version#go} GOTOOLCHAIN=local GOPATH=/go \\
    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    GOPROXY=$(go env GOPROXY) GOSUMDB=$(go env GOSUMDB)
LABEL scalelab.go=$version scalelab.ca=$ca
WORKDIR /go
CONTAINERFILE
  (set -o xtrace; podman build --pull=never --network host -f "$work/Containerfile" -t "$ref" "$work/context")
}

main() {
  trap cleanup EXIT
  trap 'echo "builder-images: failed at line $LINENO" >&2' ERR
  local dockerfile=${1:-Dockerfile} ref
  work=$(mktemp -d)
  # The FROM lines' images, less the build's own stages (FROM x AS name ... FROM name).
  while read -r ref; do
    case $ref in
      scratch) ;;
      golang:*) ensure_golang "$ref" ;;
      "$BASE") ensure_base ;;
      *) echo "builder-images: $dockerfile names $ref: no recipe to make it here" >&2; exit 1 ;;
    esac
  done < <(awk 'toupper($1) == "FROM" { if (!($2 in stage)) print $2; if (toupper($3) == "AS") stage[$4] = 1 }' "$dockerfile")
}

main "$@"
