#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# workload.sh OUT — "test your own service" on the bare cluster (it must be up): a workload
# scalelab did not deploy (testdata/workload: namespace shop, deployment/web, container
# web) is put through `loadtest scenario --workload`: configured naively, a rollout-restart
# must exit 1 with its losses; configured gracefully, a rollout-restart and a scale-down
# must exit 0; and the workload must keep its replica count and spec. loadtest runs as a
# pipeline would: as the ServiceAccount of clusters/rbac/workload.yaml, not as the admin;
# with patch taken from its Role, a rollout-restart must end before any load with exit 2
# and the line that names the verb.
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
sa=$(mktemp) # the ServiceAccount's kubeconfig: a token, kept out of OUT
trap 'rm -f "$sa"; kubectl delete namespace shop --ignore-not-found --timeout=120s >/dev/null' EXIT

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
  "$loadtest" scenario "$name" --platform kube --kubeconfig "$sa" \
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

# denied — with patch taken from the Role, rollout-restart ends before any load: exit 2, the
# one line naming the verb, no requests sent, the Deployment untouched.
denied() {
  local log=$out/denied-rollout-restart.log code=0 before after
  local want="loadtest scenario: the kubeconfig's user may not patch deployments.apps in namespace shop (needed by rollout-restart)"
  sed 's/verbs: \[get, patch\]/verbs: [get]/' clusters/rbac/workload.yaml | kubectl apply -n shop -f - >/dev/null
  before=$(kubectl -n shop get deployment web -o jsonpath='{.metadata.generation}')
  "$loadtest" scenario rollout-restart --platform kube --kubeconfig "$sa" --workload deployment/web --namespace shop \
    --target "service=http://127.0.0.1:30090/" --trials 1 --out "$out/denied/rollout-restart" >"$log" 2>&1 || code=$?
  after=$(kubectl -n shop get deployment web -o jsonpath='{.metadata.generation}')
  kubectl apply -n shop -f clusters/rbac/workload.yaml >/dev/null
  if [[ $code == 2 ]] && grep -qxF "$want" "$log" && ! grep -q RESULT "$log" && [[ $after == "$before" ]]; then
    pass "no patch in the Role: rollout-restart exit 2 before any load ($want)"
  else
    fail "no patch in the Role: exit $code, generation $before → $after, want 2 and \"$want\" (log: $log)"
    tail -5 "$log"
  fi
}

mkdir -p "$out"
deploy testdata/workload/naive.yaml
kubectl apply -n shop -f clusters/rbac/workload.yaml >/dev/null
# kubeconfig.sh runs kubectl itself: lib.sh's kubectl is a function of this shell.
PATH="$KUBE_BIN:$PATH" KUBECONFIG="$STATE_DIR/admin.kubeconfig" clusters/rbac/kubeconfig.sh shop "$sa" 30m 2>/dev/null
# One trial each (loadtest's default on a cluster is three): the naive rollout's loss is no
# race (every pod stops at once), and the claims that rest on trials are the matrix's. The
# naive scale-down is left to the matrix too: it loses to a race (the pod's exit against
# each proxy's next update), and here it would need three trials for one verdict.
scenario naive rollout-restart 1 --trials 1
deploy testdata/workload/graceful.yaml
scenario graceful rollout-restart 0 --trials 1
scenario graceful scale-down 0 --trials 1
denied
exit "$failed"
