# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings are for the scripts that source this file
# Shared settings of the bare cluster's scripts: pinned versions, where binaries are cached,
# where the cluster keeps its state. Sourced, never run.

KUBE_VERSION=${KUBE_VERSION:-v1.34.4}
SKIPPER_VERSION=${SKIPPER_VERSION:-v0.23.0}
METRICS_SERVER_VERSION=${METRICS_SERVER_VERSION:-v0.8.0}
# The etcd and CoreDNS that kubeadm $KUBE_VERSION asks for (`kubeadm config images list`),
# built for kind's node image (clusters/kind/node-image.sh checks that they still agree).
ETCD_VERSION=${ETCD_VERSION:-3.6.5}
COREDNS_VERSION=${COREDNS_VERSION:-1.12.1}
PAUSE_VERSION=${PAUSE_VERSION:-3.10.1} # the tag only: the image is cmd/pause
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0} # crictl, which kind's `load` and `export logs` run in a node
BARE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BARE_DIR/../.." && pwd)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/scalelab
KUBE_BIN=$CACHE_ROOT/kubernetes/$KUBE_VERSION/bin
SKIPPER_BIN=$CACHE_ROOT/skipper/$SKIPPER_VERSION/bin
METRICS_SERVER_BIN=$CACHE_ROOT/metrics-server/$METRICS_SERVER_VERSION/bin
ETCD_BIN=$CACHE_ROOT/etcd/$ETCD_VERSION/bin
COREDNS_BIN=$CACHE_ROOT/coredns/$COREDNS_VERSION/bin
CRICTL_BIN=$CACHE_ROOT/crictl/$CRICTL_VERSION/bin
STATE_DIR=${BARE_STATE_DIR:-/var/lib/scalelab-bare}
# The commands built from k8s.io/kubernetes: the five components, kubectl (for `kubectl
# proxy` in front of Skipper, and for the user) and kubeadm (for kind's node image).
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "${LOG_PREFIX:-bare}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The cluster's fixed addresses. Everything is addressed on this machine only: loopback,
# the node IP (for the apiserver's advertised address and the kubelet), pod IPs behind the
# project's own bridge, service IPs that kube-proxy rewrites to pod IPs.
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1 # the kubernetes Service: first IP of SERVICE_CIDR
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24 # the node's share of CLUSTER_CIDR (the controller-manager agrees)
POD_GW=10.244.0.1
POD_BRIDGE=scalelab0   # the CNI bridge, made up front so the safety routes can name it
SVC_SINK=scalelab-svc  # an empty bridge: where service IPs go unless kube-proxy rewrote them
SAFETY_TABLE=244
NODE_NAME=scalelab-bare
APISERVER_PORT=6443
ETCD_PORT=2379
PROXY_PORT=18001          # kubectl proxy, what Skipper reads the API through
INGRESS_PORT=18080        # Skipper's proxy listener
INGRESS_SUPPORT_PORT=18081
METRICS_PORT=18443        # metrics-server, on the node IP (the apiserver routes to it there)
CONTAINERD_SOCK=$STATE_DIR/containerd/containerd.sock
# Paths kubelet and containerd write to whatever their configuration says.
FIXED_PATHS=(/var/log/containers /var/lib/kubelet/device-plugins /var/lib/cni /run/containerd)
# Sysctls the cluster changes (the bridge plugin, kubelet, kube-proxy): saved by up, restored by down.
SYSCTLS=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables vm.overcommit_memory vm.panic_on_oom kernel.panic
  kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

# start NAME BINARY ARGS... — run BINARY in its own session with its output in logs/NAME.log,
# and record "PID BINARY" in pids/NAME so that stop finds exactly this process again.
start() {
  local name=$1 bin=$2
  shift 2
  mkdir -p "$STATE_DIR/logs" "$STATE_DIR/pids"
  setsid "$bin" "$@" >>"$STATE_DIR/logs/$name.log" 2>&1 </dev/null &
  echo "$! $(readlink -f "$bin")" >"$STATE_DIR/pids/$name"
  log "started $name (pid $!, log $STATE_DIR/logs/$name.log)"
}

# stop GRACE_SECONDS NAME... — SIGTERM each recorded process that is still the one recorded
# (same executable), all at once; SIGKILL those alive after the grace time; forget them.
# A no-op for names with nothing recorded.
stop() {
  local grace=$1 name pid exe i
  shift
  local -A pids=()
  for name in "$@"; do
    [[ -f $STATE_DIR/pids/$name ]] || continue
    read -r pid exe <"$STATE_DIR/pids/$name"
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe"* ]]; then
      kill -TERM "$pid" 2>/dev/null && pids[$name]=$pid
    fi
    rm -f "$STATE_DIR/pids/$name"
  done
  for ((i = 0; i < grace * 10; i++)); do
    for name in "${!pids[@]}"; do alive "${pids[$name]}" || { log "stopped $name (pid ${pids[$name]})"; unset "pids[$name]"; }; done
    ((${#pids[@]})) || return 0
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    log "$name (pid ${pids[$name]}) still running after ${grace}s: SIGKILL"
    kill -KILL "${pids[$name]}" 2>/dev/null || true
  done
  sleep 0.5
}

# alive PID — does the process exist and has not exited? (An exited daemon stays a zombie
# until whatever adopted it reaps it, which may take a while.)
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# running NAME — is the recorded process alive?
running() {
  local f=$STATE_DIR/pids/$1 pid exe
  [[ -f $f ]] && read -r pid exe <"$f" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe"* ]]
}

# wait_for DESCRIPTION SECONDS PROCESS|- COMMAND... — poll COMMAND every 0.5 s until it
# succeeds; fail after SECONDS, or at once when the named PROCESS has died (its log tail shown).
wait_for() {
  local what=$1 secs=$2 proc=${3#-} deadline
  shift 3
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $proc ]] && ! running "$proc"; then
      tail -n 20 "$STATE_DIR/logs/$proc.log" >&2 || true
      die "$proc exited while waiting for $what"
    fi
    ((SECONDS < deadline)) || { [[ -n $proc ]] && tail -n 20 "$STATE_DIR/logs/$proc.log" >&2; die "timed out after ${secs}s waiting for $what"; }
    sleep 0.5
  done
  log "$what"
}

kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$STATE_DIR/admin.kubeconfig" "$@"; }
ctr() { command ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# require_linux_root exits 2 with one line unless this is Linux and we are root.
require_linux_root() {
  if [[ $(uname -s) != Linux || $EUID -ne 0 ]]; then
    echo "bare: needs Linux and root (this is $(uname -s), uid $EUID); use kind or minikube elsewhere" >&2
    exit 2
  fi
}
