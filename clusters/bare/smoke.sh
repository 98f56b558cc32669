#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# smoke.sh — bring the bare cluster up, check it serves hello on every path the harness uses
# and that the metrics API (metrics-server, what an HPA reads) measures its pods,
# bring it down, and check the machine is as it was: the end-to-end test of clusters/bare.
# Prints one line per check and exits non-zero on the first that fails (after tearing down).
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"
require_linux_root

NS=scalelab-smoke
HOST=smoke.scalelab # the smoke Ingress's host, so it never shadows the project's own Ingress

# snapshot: what the cluster may change on the host, in a comparable form.
snapshot() {
  ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "link", $2}'
  ip route show table all | sed 's/^/route /'
  ip rule show | sed 's/^/rule /'
  { iptables-save 2>/dev/null; ip6tables-save 2>/dev/null; } | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//; s/^/iptables /'
  nft list ruleset 2>/dev/null | sed 's/counter packets [0-9]* bytes [0-9]*/counter/; s/^/nft /'
  findmnt -rn -o TARGET | sed 's/^/mount /'
  local k p
  for k in "${SYSCTLS[@]}"; do echo "sysctl $k=$(sysctl -n "$k" 2>/dev/null)"; done
  for p in "${FIXED_PATHS[@]}" /var/lib/kubelet /sys/fs/cgroup/*/kubepods; do
    if [[ -e $p ]]; then echo "path $p"; fi
  done
  find "$STATE_DIR" -mindepth 1 -maxdepth 1 ! -name logs 2>/dev/null | sed 's/^/state /'
}

pass() { printf 'PASS %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; exit 1; }

# answers URL [CURL ARGS] — a 200 from hello (it names its pod in X-Pod).
answers() {
  local url=$1
  shift
  curl -fsS -m 5 -o /dev/null -D - "$@" "$url" 2>/dev/null | grep -qi '^x-pod: hello-'
}

apply_smoke() {
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello, namespace: $NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
      - name: hello
        image: scalelab/hello:dev
        imagePullPolicy: Never
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: $NS}
spec:
  type: NodePort
  selector: {app: hello}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: hello, namespace: $NS}
spec:
  ingressClassName: skipper
  rules:
  - host: $HOST
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: hello, port: {name: http}}}}
EOF
}

# top_pods N — `kubectl top pods` of the smoke namespace lists N hello pods.
top_pods() {
  [[ $(kubectl -n "$NS" top pods --no-headers 2>/dev/null | grep -c '^hello-') -eq $1 ]]
}

main() {
  local before after t0 ready ip port pod
  "$BARE_DIR/down.sh" >/dev/null 2>&1
  before=$(snapshot)
  trap '"$BARE_DIR/down.sh" >/dev/null 2>&1 || true' EXIT
  t0=$SECONDS
  "$BARE_DIR/up.sh" >"$CACHE_ROOT/smoke-up.log" 2>&1 || { tail -n 30 "$CACHE_ROOT/smoke-up.log"; fail "bare-up (log $CACHE_ROOT/smoke-up.log)"; }
  pass "bare-up in $((SECONDS - t0))s"
  # shellcheck disable=SC1091
  . "$STATE_DIR/env"

  t0=$SECONDS
  apply_smoke
  kubectl -n "$NS" rollout status deploy/hello --timeout=120s >/dev/null || fail "hello pods not ready"
  pass "2 hello pods ready in $((SECONDS - t0))s"
  ready=$SECONDS

  ip=$(kubectl -n "$NS" get svc hello -o jsonpath='{.spec.clusterIP}')
  port=$(kubectl -n "$NS" get svc hello -o jsonpath='{.spec.ports[0].nodePort}')
  wait_for "ClusterIP answers" 30 - answers "http://$ip/"
  pass "ClusterIP http://$ip/ answers"
  answers "http://127.0.0.1:$port/" || fail "NodePort on 127.0.0.1"
  pass "NodePort http://127.0.0.1:$port/ answers"
  answers "http://$NODE_IP:$port/" || fail "NodePort on the node IP"
  pass "NodePort http://$NODE_IP:$port/ answers"
  wait_for "Skipper routes the Ingress" 30 - answers "$INGRESS_URL/" -H "Host: $HOST"
  pass "ingress $INGRESS_URL/ (Host: $HOST) answers"

  # metrics-server scrapes the kubelet every 10 s and needs two scrapes for a rate: the
  # pods' CPU shows in `kubectl top` (what the HPA controller reads) ~14 s after they are ready.
  wait_for "metrics of both hello pods" 90 metrics-server top_pods 2
  pass "metrics API: kubectl top pods lists both hello pods $((SECONDS - ready))s after they were ready"

  # Traffic from a pod may reach pods and services, nothing off the machine. Route lookups
  # only: no packet is sent.
  pod=$(kubectl -n "$NS" get pods -o jsonpath='{.items[0].status.podIP}')
  if ip route get 192.0.2.1 from "$pod" iif "$POD_BRIDGE" >/dev/null 2>&1 ||
    ip route get 1.1.1.1 from "$pod" iif "$POD_BRIDGE" >/dev/null 2>&1; then
    fail "a pod ($pod) has a route off the machine"
  fi
  pass "pod $pod: no route off the machine"

  t0=$SECONDS
  "$BARE_DIR/down.sh" >"$CACHE_ROOT/smoke-down.log" 2>&1 || fail "bare-down (log $CACHE_ROOT/smoke-down.log)"
  trap - EXIT
  pass "bare-down in $((SECONDS - t0))s"
  after=$(snapshot)
  if [[ $before != "$after" ]]; then
    diff <(echo "$before") <(echo "$after") || true
    fail "the host differs from before bare-up (above: < before, > after)"
  fi
  pass "host as before: links, routes, rules, iptables, nftables, mounts, sysctls, paths"
}

main "$@"
