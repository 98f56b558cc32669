# shellcheck shell=bash
# Certificates and kubeconfigs of the bare cluster, made with openssl (ECDSA P-256: fast to
# make, accepted by every component). Sourced by up.sh; writes under $STATE_DIR/pki.

# cert NAME SUBJECT [SANS] — a key and a certificate signed by the cluster's CA, valid 30 days.
cert() {
  local name=$1 subj=$2 sans=${3:-} p=$STATE_DIR/pki ext
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/$name.key" 2>/dev/null
  openssl req -new -key "$p/$name.key" -subj "$subj" -out "$p/$name.csr" 2>/dev/null
  ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=${sans:+serverAuth,}clientAuth"
  [[ -n $sans ]] && ext+=$'\n'"subjectAltName=$sans"
  openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
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
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$p/ca.key" -subj "/CN=scalelab-bare-ca" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$p/ca.crt" 2>/dev/null
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$SERVICE_IP,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert admin "/O=system:masters/CN=scalelab-admin"
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert kube-proxy "/CN=system:kube-proxy"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/sa.key" 2>/dev/null
  openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  kubeconfig admin admin
  kubeconfig kubelet kubelet
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kube-proxy kube-proxy
  chmod 600 "$STATE_DIR"/*.kubeconfig
  log "certificates and kubeconfigs in $STATE_DIR"
}
