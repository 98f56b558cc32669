# shellcheck shell=bash
# Certificates and kubeconfigs of the bare cluster, made with openssl (ECDSA P-256: fast to
# make, accepted by every component). Sourced by up.sh; writes under $STATE_DIR/pki.

# ca NAME CN — a self-signed certificate authority, valid 30 days.
ca() {
  local p=$STATE_DIR/pki
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/$1.key" 2>/dev/null
  openssl req -x509 -new -key "$p/$1.key" -subj "/CN=$2" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$p/$1.crt" 2>/dev/null
}

# cert NAME SUBJECT [SANS [CA]] — a key and a certificate signed by CA (default: the
# cluster's CA), valid 30 days; with SANS it serves as well as authenticates.
cert() {
  local name=$1 subj=$2 sans=${3:-} ca=${4:-ca} p=$STATE_DIR/pki ext
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/$name.key" 2>/dev/null
  openssl req -new -key "$p/$name.key" -subj "$subj" -out "$p/$name.csr" 2>/dev/null
  ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=${sans:+serverAuth,}clientAuth"
  [[ -n $sans ]] && ext+=$'\n'"subjectAltName=$sans"
  openssl x509 -req -in "$p/$name.csr" -CA "$p/$ca.crt" -CAkey "$p/$ca.key" -CAcreateserial \
    -days 30 -extfile <(echo "$ext") -out "$p/$name.crt" 2>/dev/null
  rm -f "$p/$name.csr"
}

# kubeconfig NAME CERT — a kubeconfig for the client certificate CERT, to the apiserver on loopback.
kubeconfig() {
  local name=$1 c=$2 p=$STATE_DIR/pki
  cat >"$STATE_DIR/$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: scalelab-bare
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $p/ca.crt
users:
- name: $c
  user:
    client-certificate: $p/$c.crt
    client-key: $p/$c.key
contexts:
- name: scalelab-bare
  context: {cluster: scalelab-bare, user: $c}
current-context: scalelab-bare
KC
}

pki_up() {
  local p=$STATE_DIR/pki
  mkdir -p "$p"
  chmod 700 "$p"
  ca ca scalelab-bare-ca
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$SERVICE_IP,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert admin "/O=system:masters/CN=scalelab-admin"
  # The kubelet serves with its own certificate too (its SANs), so that metrics-server can
  # verify it by the cluster's CA instead of skipping TLS verification.
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert kube-proxy "/CN=system:kube-proxy"
  # The aggregation layer: the apiserver proxies /apis/metrics.k8s.io to metrics-server as
  # front-proxy-client (its own CA, which metrics-server trusts for the X-Remote-* headers);
  # metrics-server serves as the Service name the APIService names, and authenticates to
  # the apiserver and the kubelet as system:metrics-server.
  ca front-proxy-ca scalelab-bare-front-proxy-ca
  cert front-proxy-client "/CN=front-proxy-client" "" front-proxy-ca
  cert metrics-server-serving "/CN=metrics-server" "DNS:metrics-server.kube-system.svc,IP:$NODE_IP"
  cert metrics-server "/CN=system:metrics-server"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/sa.key" 2>/dev/null
  openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  kubeconfig admin admin
  kubeconfig kubelet kubelet
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kube-proxy kube-proxy
  kubeconfig metrics-server metrics-server
  chmod 600 "$STATE_DIR"/*.kubeconfig
  log "certificates and kubeconfigs in $STATE_DIR"
}
