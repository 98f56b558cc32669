#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# workload.sh OUT — "test your own service" on the bare cluster (it must be up): a workload
# scalelab did not deploy (testdata/workload: namespace shop, deployment/web, container
# web) is put through `loadtest scenario --workload`: configured naively, a rollout-restart
# must exit 1 with its losses; configured gracefully, a rollout-restart and a scale-down
# must exit 0; and the workload must keep its replica count and spec.
# Prints one PASS or FAIL line per check; exits non-zero if any failed. Removes the
# namespace afterwards, also after a failure.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
. clusters/bare/lib.sh
require_linux_root
# shellcheck disable=SC1091
. "$STATE_DIR/env"

out=${1:?usage: workload.sh OUT}
loadtest=bin/loadtest
failed=0
trap 'kubectl delete namespace shop --ignore-not-found --timeout=120s >/dev/null' EXIT

pass() { printf 'PASS %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; failed=1; }

# deploy FILE — apply it as a user would, and wait for the rollout.
deploy() {
  kubectl apply -f "$1" >/dev/null
  kubectl -n shop rollout status deployment/web --timeout=180s >/dev/null
}

# state — what must not change: the replica count and the spec, but for the restartedAt
# annotation a rollout restart leaves, as kubectl does.
state() {
  kubectl -n shop get deployment web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers}'
}

# scenario CONFIG NAME WANT [FLAG...] — one scenario on the running workload, its exit
# status checked.
scenario() {
  local config=$1 name=$2 want=$3 before after code=0
  shift 3
  before=$(state)
  "$loadtest" scenario "$name" --platform kube --kubeconfig "$KUBECONFIG" \
    --workload deployment/web --namespace shop \
    --target "service=http://127.0.0.1:30090/" --target "ingress=$INGRESS_URL/" --header 'Host: web.shop.test' \
    --out "$out/$config/$name" --junit "$out/$config/$name/junit.xml" "$@" >"$out/$config-$name.log" 2>&1 || code=$?
  after=$(state)
  if [[ $code == "$want" ]]; then
    pass "$config $name: exit $code ($(grep -E 'requests failed|of [0-9,]+ requests' "$out/$config-$name.log" | head -2 | tr '\n' ' '))"
  else
    fail "$config $name: exit $code, want $want (log: $out/$config-$name.log)"
    tail -20 "$out/$config-$name.log"
  fi
  if [[ $after == "$before" ]]; then
    pass "$config $name: replicas and containers as found"
  else
    fail "$config $name: the workload changed: before [$before] after [$after]"
  fi
}

mkdir -p "$out"
deploy testdata/workload/naive.yaml
# One trial each (loadtest's default on a cluster is three): the naive rollout's loss is no
# race (every pod stops at once), and the claims that rest on trials are the matrix's. The
# naive scale-down is left to the matrix too: it loses to a race (the pod's exit against
# each proxy's next update), and here it would need three trials for one verdict.
scenario naive rollout-restart 1 --trials 1
deploy testdata/workload/graceful.yaml
scenario graceful rollout-restart 0 --trials 1
scenario graceful scale-down 0 --trials 1
exit "$failed"
