# shellcheck shell=bash
# The network safety of the bare cluster, sourced by up.sh and down.sh. Nothing the cluster
# does may send a packet off this machine: before any pod or Service exists, service IPs are
# routed into an empty bridge (a local sink), the pod range is unreachable except the node's
# own /24 on the project's bridge, and everything sourced from a pod is looked up in a table
# that knows only the pod bridge and the sink. kube-proxy's DNAT happens before routing, so
# ClusterIP and NodePort traffic still reaches pods.

net_up() {
  log "network safety: $SERVICE_CIDR -> $SVC_SINK, $POD_CIDR on $POD_BRIDGE, pods' table $SAFETY_TABLE"
  ip link add "$SVC_SINK" type bridge
  ip link set "$SVC_SINK" up
  ip route replace "$SERVICE_CIDR" dev "$SVC_SINK"
  ip link add "$POD_BRIDGE" type bridge
  ip addr add "$POD_GW/${POD_CIDR#*/}" dev "$POD_BRIDGE"
  ip link set "$POD_BRIDGE" up
  ip route replace unreachable "$CLUSTER_CIDR"
  ip route replace "$POD_CIDR" dev "$POD_BRIDGE" table "$SAFETY_TABLE"
  ip route replace "$SERVICE_CIDR" dev "$SVC_SINK" table "$SAFETY_TABLE"
  ip route replace unreachable default table "$SAFETY_TABLE"
  ip rule add from "$CLUSTER_CIDR" lookup "$SAFETY_TABLE" priority 1000
}

# net_down removes what net_up made; each step tolerates its object being absent already.
net_down() {
  while ip rule del from "$CLUSTER_CIDR" lookup "$SAFETY_TABLE" priority 1000 2>/dev/null; do :; done
  ip route flush table "$SAFETY_TABLE" 2>/dev/null || true
  ip route del unreachable "$CLUSTER_CIDR" 2>/dev/null || true
  ip route del "$SERVICE_CIDR" dev "$SVC_SINK" 2>/dev/null || true
  local dev
  # The host ends of pod veths are ours while they hang on the pod bridge; a veth normally
  # goes with its pod's namespace, this catches the ones whose namespace outlived the pod.
  for dev in $(ip -o link show master "$POD_BRIDGE" type veth 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
    ip link del "$dev" 2>/dev/null || true
  done
  for dev in "$POD_BRIDGE" "$SVC_SINK"; do
    ip link del "$dev" 2>/dev/null || true
  done
}
