# shellcheck shell=bash
# metrics-server on the host, behind the apiserver's aggregation layer: what a
# HorizontalPodAutoscaler reads (kube-controller-manager's HPA controller asks
# metrics.k8s.io for the pods' CPU). Sourced by up.sh, after the control plane and the node
# are up.
#
# It runs on the host like the other components, listening on the node IP: there is no
# kube-proxy route from the apiserver to a host process, so the apiserver routes to the
# Service's endpoint itself (--enable-aggregator-routing), and that endpoint is the node IP,
# in an EndpointSlice written here (an endpoint may not be a loopback address). The
# apiserver verifies metrics-server's certificate by the cluster's CA (caBundle), and
# metrics-server the kubelet's the same way. metrics-server authenticates as
# system:metrics-server, with the RBAC of upstream's manifests.

# metrics_objects prints the RBAC, the Service with its EndpointSlice, and the APIService.
metrics_objects() {
  cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:metrics-server"}
rules:
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:metrics-server"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics-server"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:metrics-server"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "metrics-server:system:auth-delegator"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:metrics-server"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: metrics-server-auth-reader, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:metrics-server"}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec:
  ports: [{name: https, port: 443, targetPort: $METRICS_PORT, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server-host
  namespace: kube-system
  labels:
    kubernetes.io/service-name: metrics-server
    endpointslice.kubernetes.io/managed-by: scalelab-bare
addressType: IPv4
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
ports: [{name: https, port: $METRICS_PORT, protocol: TCP}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system, port: 443}
  caBundle: $(base64 -w0 "$STATE_DIR/pki/ca.crt")
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
}

# metrics_up starts metrics-server and registers it; it returns once the apiserver reports
# the APIService Available (metrics themselves follow one or two scrapes later).
metrics_up() {
  local s=$STATE_DIR p=$STATE_DIR/pki
  metrics_objects | kubectl apply -f - >/dev/null
  # --metric-resolution 10s, the least it accepts: the HPA reads a new CPU figure every 10 s
  # instead of every 60 s (its default). The kubelet request timeout must stay under 90 % of it.
  start metrics-server "$METRICS_SERVER_BIN/metrics-server" --kubeconfig "$s/metrics-server.kubeconfig" \
    --authentication-kubeconfig "$s/metrics-server.kubeconfig" --authorization-kubeconfig "$s/metrics-server.kubeconfig" \
    --bind-address "$NODE_IP" --secure-port "$METRICS_PORT" \
    --tls-cert-file "$p/metrics-server-serving.crt" --tls-private-key-file "$p/metrics-server-serving.key" \
    --kubelet-certificate-authority "$p/ca.crt" --kubelet-preferred-address-types InternalIP \
    --metric-resolution 10s --kubelet-request-timeout 5s
  wait_for "metrics.k8s.io available" 60 metrics-server \
    kubectl wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=2s
}
