#!/usr/bin/env bash
# image-check.sh TAG TAR — check that the Dockerfile's image (TAG, built by podman: `make
# image`) and the one cmd/image writes without an engine (TAR: `make image-tar`) run the same
# hello. Both are loaded into podman and, each in turn:
#   - their configs agree on entrypoint, user, exposed ports and working dir;
#   - `--help` and a bad flag print the same and exit with the same code;
#   - served on 127.0.0.1 only (--network host: no bridge, no NAT rule), configured by a
#     HELLO_ variable and a flag, "/" answers "Hello world! from POD_NAME" with X-Pod, and
#     /livez, /readyz, /status, /metrics, a bad ?delay= and an unknown path answer the same
#     codes;
#   - `podman stop` (SIGTERM to PID 1) ends it with exit code 0 after its --shutdown-delay.
# Every container it starts is removed, on failure too. A script and not a Go test: it needs
# root, a running podman and both images built, which `go test` on a laptop or CI has not.
set -o errexit -o nounset -o pipefail

declare -a containers=()
# What each image did, by check name, compared at the end: results[a.help] vs results[b.help].
declare -A results=()

cleanup() {
  local id
  for id in "${containers[@]}"; do
    if podman container exists "$id"; then
      podman rm -f "$id" >/dev/null && echo "image-check: removed container ${id:0:12}" >&2
    fi
  done
}

fail() {
  echo "image-check: FAIL: $*" >&2
  exit 1
}

# free_port: a loopback TCP port nobody listens on.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 10000))
    if ! ss -Hltn "sport = :$p" | grep -q .; then
      echo "$p"
      return
    fi
  done
  fail "no free port"
}

# run_once KEY IMAGE ARGS...: the output and exit code of hello with ARGS, into results[KEY].
run_once() {
  local key=$1 image=$2 id code out
  shift 2
  id=$(podman create --network none "$image" "$@")
  containers+=("$id")
  out=$(podman start --attach "$id" 2>&1) && code=0 || code=$?
  podman rm -f "$id" >/dev/null
  results[$key]="exit $code: $out"
}

# serve KEY IMAGE: hello in IMAGE on 127.0.0.1, probed, then stopped; into results[KEY.*].
serve() {
  local key=$1 image=$2 port id body codes="" path t0 t1 exit
  port=$(free_port)
  id=$(podman run -d --network host -e POD_NAME="check-$key" -e HELLO_ADDR="127.0.0.1:$port" \
    "$image" --shutdown-delay 1s --log-format text)
  containers+=("$id")
  echo "image-check: $key: container ${id:0:12} on 127.0.0.1:$port" >&2
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break
    sleep 0.1
  done
  body=$(curl -fsS -D "/dev/stderr" "http://127.0.0.1:$port/" 2>"$work/$key.headers") || fail "$key: / did not answer"
  [[ $body == "Hello world! from check-$key" ]] || fail "$key: / answered '$body'"
  grep -qi "^x-pod: check-$key" "$work/$key.headers" || fail "$key: no X-Pod: check-$key header"
  for path in / /livez /readyz /status /metrics "/?delay=bad" /nope; do
    codes+="$path=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path") "
  done
  results[$key.codes]=$codes
  t0=$(date +%s%N)
  podman stop -t 10 "$id" >/dev/null
  t1=$(date +%s%N)
  exit=$(podman inspect --format '{{.State.ExitCode}}' "$id")
  echo "image-check: $key: stopped in $(((t1 - t0) / 1000000)) ms, exit $exit; $codes" >&2
  (((t1 - t0) >= 1000000000)) || fail "$key: stopped before its 1s shutdown delay"
  results[$key.stop]="exit $exit"
  [[ $(podman logs "$id" 2>&1) == *"shutdown complete"* ]] || fail "$key: no \"shutdown complete\" in its log"
  podman rm "$id" >/dev/null
}

main() {
  trap cleanup EXIT
  trap 'echo "image-check: failed at line $LINENO" >&2' ERR
  local tag=${1:?usage: image-check.sh TAG TAR} tar=${2:?usage: image-check.sh TAG TAR}
  local a b loaded k
  podman info >/dev/null 2>&1 || fail "podman does not run here (clusters/kind/podman-setup.sh)"
  # podman build stores an unqualified tag under localhost/.
  a=$(podman image inspect --format '{{.Id}}' "localhost/$tag") || fail "no podman-built $tag: make image"
  # podman load names an unqualified tag localhost/ too: the tar's image, tagged as TAG, takes
  # that name from the Dockerfile's; it is renamed TAG-image-tar and TAG given back.
  loaded=$(podman load -q -i "$tar") || fail "podman load $tar"
  loaded=${loaded##*: }
  b=$(podman image inspect --format '{{.Id}}' "$loaded")
  podman tag "$b" "localhost/$tag-image-tar"
  podman tag "$a" "localhost/$tag"
  echo "image-check: a = Dockerfile, podman build (${a:0:12}); b = $tar (${b:0:12})" >&2
  [[ $a != "$b" ]] || fail "both names are one image: nothing to compare"
  work=$(mktemp -d)
  trap 'cleanup; rm -rf "$work"' EXIT

  for k in a b; do
    local image=${!k}
    results[$k.config]=$(podman image inspect --format \
      'entrypoint={{.Config.Entrypoint}} user={{.Config.User}} ports={{.Config.ExposedPorts}} workdir={{.Config.WorkingDir}} os={{.Os}}/{{.Architecture}}' "$image")
    run_once "$k.help" "$image" --help
    run_once "$k.badflag" "$image" --no-such-flag
    run_once "$k.sleep" "$image" sleep 10ms
    serve "$k" "$image"
  done
  local diff=0 check
  for check in config help badflag sleep codes stop; do
    if [[ ${results[a.$check]} == "${results[b.$check]}" ]]; then
      echo "image-check: same $check: ${results[a.$check]%%$'\n'*}" >&2
    else
      printf 'image-check: %s differs:\n  a: %s\n  b: %s\n' "$check" "${results[a.$check]}" "${results[b.$check]}" >&2
      diff=1
    fi
  done
  ((diff == 0)) || fail "the two images differ"
  echo "image-check: ok: the Dockerfile's image and $tar run the same hello" >&2
}

main "$@"
