#!/usr/bin/env bash
# network.sh CLUSTER — the pod network kindnetd would give the nodes of kind cluster CLUSTER,
# for node images without it (node-image.sh: its source is not on the Go module proxy):
# each node gets a CNI config for its own pod range (ptp and host-local, as kindnetd
# writes) and a route to every other node's pod range through that node; and, first, the
# bare cluster's network safety: no packet for a pod or Service address, and none from a
# pod, leaves the machine. Pods reach pods, Services and nodes, nothing past them. Runs
# `podman exec` or `docker exec` (KIND_ENGINE) and kubectl against the cluster's context.
set -o errexit -o nounset -o pipefail

# all_set IP... — true when every node's line had all three fields (a node without a pod
# range yet reads as NAME IP, and leaves its ip field empty).
all_set() {
  local v
  for v in "$@"; do [[ -n $v ]] || return 1; done
}

main() {
  local cluster=${1:?usage: network.sh CLUSTER} engine=${KIND_ENGINE:-podman}
  local -a names ranges ips
  local name range ip i j
  # Each node's pod range, once the controller-manager has given every node one.
  for ((i = 0; i < 60; i++)); do
    names=() ranges=() ips=()
    while read -r name range ip; do
      names+=("$name") ranges+=("$range") ips+=("$ip")
    done < <(kubectl --context "kind-$cluster" get nodes -o \
      jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}')
    ((${#names[@]} > 0)) && all_set "${ips[@]}" && break
    sleep 1
  done
  ((i < 60)) || { echo "network: not every node of kind-$cluster has a pod range after 60 s" >&2; exit 1; }
  local subnets pods svcs
  subnets=$(kubectl --context "kind-$cluster" -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}')
  pods=$(sed -n 's/^ *podSubnet: *//p' <<<"$subnets")
  svcs=$(sed -n 's/^ *serviceSubnet: *//p' <<<"$subnets")
  [[ -n $pods && -n $svcs ]] || { echo "network: no podSubnet/serviceSubnet in kind-$cluster's kubeadm-config" >&2; exit 1; }
  for ((i = 0; i < ${#names[@]}; i++)); do
    "$engine" exec -i "${names[i]}" bash -s "$pods" "$svcs" <<'SAFETY'
set -o errexit -o nounset -o pipefail
pods=$1 svcs=$2
# Nothing sent to a pod or Service address may leave this machine (the bare cluster's
# clusters/bare/net.sh does the same): a pod range no node holds is unreachable, a service IP
# kube-proxy did not rewrite goes into an empty bridge, and a pod's packet leaves the node
# only for another pod or a node of the kind network.
ip route replace unreachable "$pods"
ip link show scalelab-svc >/dev/null 2>&1 || ip link add scalelab-svc type bridge
ip link set scalelab-svc up
ip route replace "$svcs" dev scalelab-svc
nodes=$(ip -4 -o addr show dev eth0 | awk '{print $4}')
iptables -N SCALELAB-PODS-OUT 2>/dev/null || iptables -F SCALELAB-PODS-OUT
iptables -A SCALELAB-PODS-OUT -d "$pods" -j RETURN
iptables -A SCALELAB-PODS-OUT -d "$nodes" -j RETURN
iptables -A SCALELAB-PODS-OUT -j REJECT --reject-with icmp-net-prohibited
iptables -C FORWARD -s "$pods" -o eth0 -j SCALELAB-PODS-OUT 2>/dev/null ||
  iptables -I FORWARD 1 -s "$pods" -o eth0 -j SCALELAB-PODS-OUT
SAFETY
    "$engine" exec -i "${names[i]}" sh -c 'mkdir -p /etc/cni/net.d && cat >/etc/cni/net.d/10-scalelab.conflist' <<CONF
{
  "cniVersion": "0.4.0",
  "name": "scalelab",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "/run/cni-ipam-state",
        "routes": [{"dst": "0.0.0.0/0"}],
        "ranges": [[{"subnet": "${ranges[i]}"}]]
      },
      "mtu": 1500
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
CONF
    for ((j = 0; j < ${#names[@]}; j++)); do
      ((i == j)) || "$engine" exec "${names[i]}" ip route replace "${ranges[j]}" via "${ips[j]}"
    done
    echo "network: ${names[i]} (${ips[i]}): pods in ${ranges[i]}" >&2
  done
}

main "$@"
