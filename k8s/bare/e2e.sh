#!/usr/bin/env bash
# make e2e: the fast matrix on a real Kubernetes, on this machine. Brings the bare cluster
# up (Skipper in front), runs every configuration × scenario through the Service and the
# ingress, then the reliability checks, and brings the cluster down again, also when
# anything fails. The exit status is the verdicts'. Linux and root only, like bare-up.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=k8s/bare/lib.sh
. k8s/bare/lib.sh

out=${OUT:-results/bare}
trap 'k8s/bare/down.sh' EXIT
k8s/bare/up.sh
# The lab's ingress must answer as this very Skipper build does (make test skips it when
# no Skipper is built yet, as on a fresh machine before this point).
SCALELAB_SKIPPER="$SKIPPER_BIN/skipper" go test -count=1 -run TestIngressMatchesRealSkipper ./loadtest/lab
# shellcheck disable=SC1091
. "$STATE_DIR/env"
cluster=(--platform kube --kubeconfig "$KUBECONFIG" --service-url "$SERVICE_URL/" --ingress-url "$INGRESS_URL/"
  --meta ingress="skipper $SKIPPER_VERSION (on the host, behind kubectl proxy)"
  --meta machine="$(uname -sr), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)")
status=0
bin/loadtest matrix "${cluster[@]}" --root "${ROOT:-k8s/fast}" --rate "${RATE:-100}" --out "$out" || status=$?
bin/loadtest matrix "${cluster[@]}" --root k8s/reliability --out "$out-reliability" || status=$?
exit "$status"
