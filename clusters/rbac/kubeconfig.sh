#!/usr/bin/env bash
# kubeconfig.sh NAMESPACE OUT [DURATION] — a kubeconfig for loadtest with the rights of the
# ServiceAccount scalelab of NAMESPACE (workload.yaml) and no more: a token from the
# TokenRequest API (`kubectl create token`, valid for DURATION, default 1h), the current
# context's API server and CA. Run it as whoever applied workload.yaml; give loadtest
# --kubeconfig OUT. The file holds a bearer token: it is written mode 600.
#   SERVICE_ACCOUNT  the ServiceAccount (default scalelab)
set -o errexit -o nounset -o pipefail

ns=${1:?usage: kubeconfig.sh NAMESPACE OUT [DURATION]}
out=${2:?usage: kubeconfig.sh NAMESPACE OUT [DURATION]}
duration=${3:-1h}
sa=${SERVICE_ACCOUNT:-scalelab}

# The current context's cluster, its certificates inlined (--flatten), not its user.
view() { kubectl config view --raw --minify --flatten -o "jsonpath=$1"; }
server=$(view '{.clusters[0].cluster.server}')
ca=$(view '{.clusters[0].cluster.certificate-authority-data}')
insecure=$(view '{.clusters[0].cluster.insecure-skip-tls-verify}')
[[ -n $server ]] || { echo "kubeconfig.sh: the current context names no API server" >&2; exit 2; }
token=$(kubectl create token "$sa" -n "$ns" --duration "$duration")

if [[ -n $ca ]]; then
  tls="    certificate-authority-data: $ca"
elif [[ $insecure == true ]]; then
  tls="    insecure-skip-tls-verify: true"
else
  tls="" # a server whose certificate the system's roots verify
fi
touch "$out"
chmod 600 "$out"
cat >"$out" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster:
    server: $server
$tls
users:
- name: $sa
  user:
    token: $token
contexts:
- name: $sa@$ns
  context:
    cluster: cluster
    user: $sa
    namespace: $ns
current-context: $sa@$ns
EOT
echo "$out: system:serviceaccount:$ns:$sa on $server, for $duration" >&2
