# shellcheck shell=bash
# Configuration files of containerd, the CNI plugins, kubelet and kube-proxy, all pointing
# under $STATE_DIR. Sourced by up.sh. The values that matter, and why: README.md, "Why
# these settings" (restrict_oom_score_adj, failCgroupV1, the conntrack tuning).

config_up() {
  local s=$STATE_DIR
  mkdir -p "$s/containerd" "$s/cni/net.d" "$s/cni/ipam" "$s/kubelet" "$s/pod-logs"

  # restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE; without it every sandbox fails
  # with "can't get final child's PID from pipe: EOF" (README.md, "Why these settings").
  cat >"$s/containerd/config.toml" <<EOT
version = 2
root = "$s/containerd/root"
state = "$s/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$s/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "scalelab/pause:dev"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$s/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$s/cni/net.d"
EOT

  cat >"$s/cni/net.d/10-scalelab.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "scalelab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$POD_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$s/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GW"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOT

  # failCgroupV1: false — this host mounts cgroup v1 hierarchies, and kubelet 1.35 turns it
  # on by default; cgroupfs — PID 1 is not systemd (README.md, "Why these settings").
  # tlsCertFile: a serving certificate of the cluster's CA (pki.sh), which metrics-server
  # verifies, instead of the self-signed one kubelet would make. No image garbage collection
  # and no eviction for disk, as kind sets its nodes: the disk is this machine's, shared with
  # everything else on it, and the images bare-up loads (pause, hello) cannot be pulled
  # again — on a disk 85 % full kubelet deleted the pause image and no pod could start.
  cat >"$s/kubelet/config.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $s/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $s/pki/kubelet.crt
tlsPrivateKeyFile: $s/pki/kubelet.key
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
podLogsDir: $s/pod-logs
clusterDomain: cluster.local
registerNode: true
rotateCertificates: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%"}
EOT

  # localhostNodePorts: a NodePort answers on 127.0.0.1 too, as kind's port mapping does
  # (kube-proxy sets route_localnet for it; down restores it). The conntrack tuning is off:
  # the host's conntrack settings are not the cluster's to change.
  cat >"$s/kube-proxy.yaml" <<EOT
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $s/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $CLUSTER_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables: {localhostNodePorts: true}
EOT
  log "configuration in $s"
}
