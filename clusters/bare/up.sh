#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# up.sh — a real single-node Kubernetes on this machine, from upstream sources: etcd and
# containerd from Debian, the Kubernetes components built from k8s.io/kubernetes (build.sh),
# images written without Docker (cmd/image), Skipper as the ingress controller on loopback,
# metrics-server behind the aggregation layer (what a HorizontalPodAutoscaler reads).
# Linux and root only. It first tears down whatever an earlier run left, and tears down
# again if any step fails. The last lines it prints are KEY=VALUE facts, also in
# $STATE_DIR/env.
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"
require_linux_root
. "$BARE_DIR/net.sh"
. "$BARE_DIR/teardown.sh"
. "$BARE_DIR/pki.sh"
. "$BARE_DIR/config.sh"
. "$BARE_DIR/metrics.sh"

DEBS=(etcd-server containerd runc containernetworking-plugins iptables conntrack nftables openssl)

debs_up() {
  local missing=() d
  for d in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed' || missing+=("$d")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# images_up builds the static hello, pause and loadtest binaries (with make build's flags, so
# that its build cache serves) and writes their images
# (loadtest's is what the attacker pods of `--from cluster` run: `loadtest attacker`).
images_up() {
  local bin=$REPO_DIR/bin
  mkdir -p "$bin"
  (cd "$REPO_DIR" && CGO_ENABLED=0 go build -trimpath -o "$bin/hello" . &&
    CGO_ENABLED=0 go build -trimpath -o "$bin/pause" ./cmd/pause &&
    CGO_ENABLED=0 go build -trimpath -o "$bin/loadtest" ./loadtest &&
    CGO_ENABLED=0 go build -trimpath -o "$bin/image" ./cmd/image)
  "$bin/image" -binary "$bin/pause" -tag scalelab/pause:dev -entrypoint pause -o "$bin/pause-image.tar" >&2
  "$bin/image" -binary "$bin/hello" -tag scalelab/hello:dev -entrypoint hello -user 65532:65532 \
    -expose 8080/tcp -o "$bin/hello-image.tar" >&2
  "$bin/image" -binary "$bin/loadtest" -tag scalelab/loadtest:dev -entrypoint loadtest -user 65532:65532 \
    -o "$bin/loadtest-image.tar" >&2
}

node_ip() {
  ip -4 -o addr show scope global | awk -v b="$POD_BRIDGE" '$2 != b {sub(/\/.*/, "", $4); print $4; exit}'
}

# hello_nodeport prints the NodePort of the hello Service in k8s/base, read from the manifest.
hello_nodeport() {
  kubectl create -k "$REPO_DIR/k8s/base" --dry-run=client \
    -o jsonpath='{.kind} {.metadata.name} {.spec.ports[0].nodePort}{"\n"}' 2>/dev/null |
    awk '$1 == "Service" && $2 == "hello" && $3 {print $3}'
}

# free_port PORT [HOST] — nothing listens on HOST (default 127.0.0.1) at PORT.
free_port() { ! (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

control_plane_up() {
  local s=$STATE_DIR p=$STATE_DIR/pki
  start etcd /usr/bin/etcd --name scalelab --data-dir "$s/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "scalelab=http://127.0.0.1:$((ETCD_PORT + 1))" --listen-metrics-urls "" --log-level warn
  wait_for "etcd healthy" 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC --allow-privileged \
    --client-ca-file "$p/ca.crt" --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
    --kubelet-client-certificate "$p/apiserver-kubelet-client.crt" --kubelet-client-key "$p/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --enable-admission-plugins NodeRestriction --profiling=false \
    --requestheader-client-ca-file "$p/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$p/front-proxy-client.crt" --proxy-client-key-file "$p/front-proxy-client.key" \
    --enable-aggregator-routing
  wait_for "kube-apiserver ready" 60 kube-apiserver kubectl get --raw /readyz

  # --horizontal-pod-autoscaler-sync-period 5s: the HPA controller reconciles every 5 s instead
  # of 15 s, so that a test's scale-up starts within seconds of metrics-server's next figure
  # (which comes every 10 s, metrics.sh) rather than up to 15 s after it.
  start kube-controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig "$s/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$s/controller-manager.kubeconfig" --authorization-kubeconfig "$s/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --allocate-node-cidrs --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24 --service-cluster-ip-range "$SERVICE_CIDR" \
    --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
    --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" --profiling=false \
    --horizontal-pod-autoscaler-sync-period 5s
  start kube-scheduler "$KUBE_BIN/kube-scheduler" --kubeconfig "$s/scheduler.kubeconfig" \
    --authentication-kubeconfig "$s/scheduler.kubeconfig" --authorization-kubeconfig "$s/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false
}

node_up() {
  local s=$STATE_DIR
  # No image is ever pulled: a pull would be sent to the proxy on a closed loopback port.
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY='' \
    start containerd /usr/bin/containerd --config "$s/containerd/config.toml"
  wait_for "containerd serving" 30 containerd ctr version
  local tar
  for tar in pause hello loadtest; do
    ctr images import "$REPO_DIR/bin/$tar-image.tar" >&2
  done
  start kubelet "$KUBE_BIN/kubelet" --config "$s/kubelet/config.yaml" --kubeconfig "$s/kubelet.kubeconfig" \
    --root-dir "$s/kubelet" --cert-dir "$s/kubelet/pki" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
  wait_for "node $NODE_NAME registered" 60 kubelet kubectl get node "$NODE_NAME"
  start kube-proxy "$KUBE_BIN/kube-proxy" --config "$s/kube-proxy.yaml"
  wait_for "node $NODE_NAME Ready" 90 kubelet kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  wait_for "kube-proxy healthy" 30 kube-proxy curl -fsS http://127.0.0.1:10256/healthz
  wait_for "default service account" 60 kube-controller-manager kubectl -n default get serviceaccount default
}

# ingress_up runs Skipper on loopback, reading Ingresses, Services and EndpointSlices through
# `kubectl proxy` (it has no kubeconfig support) and routing to pod IPs.
ingress_up() {
  kubectl apply -f "$REPO_DIR/clusters/ingress/ingressclass.yaml" >/dev/null
  start kubectl-proxy "$KUBE_BIN/kubectl" --kubeconfig "$STATE_DIR/admin.kubeconfig" proxy \
    --address 127.0.0.1 --port "$PROXY_PORT" --accept-hosts '^(localhost|127\.0\.0\.1)$'
  wait_for "kubectl proxy serving" 30 kubectl-proxy curl -fsS "http://127.0.0.1:$PROXY_PORT/readyz"
  start skipper "$SKIPPER_BIN/skipper" -address "127.0.0.1:$INGRESS_PORT" \
    -support-listener "127.0.0.1:$INGRESS_SUPPORT_PORT" \
    -kubernetes -kubernetes-url "http://127.0.0.1:$PROXY_PORT" -kubernetes-ingress-class '^skipper$' \
    -enable-kubernetes-endpointslices -wait-for-healthcheck-interval 0
  # Skipper answers its health check route once it has loaded the routes from the API.
  wait_for "skipper routing from the API" 60 skipper curl -fsS -o /dev/null "http://127.0.0.1:$INGRESS_PORT/kube-system/healthz"
}

main() {
  local t0=$SECONDS
  teardown
  trap 'exit 130' INT TERM
  # shellcheck disable=SC2154 # rc is assigned in the trap itself
  trap 'rc=$?; if ((rc)); then log "bare-up failed (exit $rc), tearing down; logs in $STATE_DIR/logs"; teardown; fi' EXIT
  rm -rf "$STATE_DIR/logs"
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  debs_up
  "$BARE_DIR/build.sh" kube
  "$BARE_DIR/build.sh" skipper
  "$BARE_DIR/build.sh" metrics-server
  images_up
  local port
  for port in "$ETCD_PORT" "$((ETCD_PORT + 1))" "$APISERVER_PORT" "$PROXY_PORT" "$INGRESS_PORT" "$INGRESS_SUPPORT_PORT" 10248 10250 10256 10257 10259; do
    free_port "$port" || die "port $port on 127.0.0.1 is taken: stop what listens there first"
  done
  NODE_IP=$(node_ip)
  [[ -n $NODE_IP ]] || die "no global IPv4 address for the node (a node IP cannot be loopback)"
  free_port "$METRICS_PORT" "$NODE_IP" || die "port $METRICS_PORT on $NODE_IP is taken: stop what listens there first"
  nft list tables >"$STATE_DIR/nft-tables.before" 2>/dev/null || true
  sysctls_save
  net_up # before anything that can make a pod or a Service
  pki_up
  config_up
  control_plane_up
  node_up
  metrics_up
  ingress_up
  local nodeport
  nodeport=$(hello_nodeport || true)
  cat >"$STATE_DIR/env" <<ENV
KUBECONFIG=$STATE_DIR/admin.kubeconfig
INGRESS_URL=http://127.0.0.1:$INGRESS_PORT
INGRESS_ROUTES_URL=http://127.0.0.1:$INGRESS_SUPPORT_PORT/routes
${nodeport:+SERVICE_URL=http://127.0.0.1:$nodeport
}NODE_IP=$NODE_IP
SERVICE_CIDR=$SERVICE_CIDR
KUBE_BIN=$KUBE_BIN
ENV
  log "up in $((SECONDS - t0))s; kubeconfig: $STATE_DIR/admin.kubeconfig"
  log "NodePorts answer on 127.0.0.1 and $NODE_IP (SERVICE_URL: k8s/base's hello once applied); the ingress routes class skipper"
  cat "$STATE_DIR/env"
}

main "$@"
