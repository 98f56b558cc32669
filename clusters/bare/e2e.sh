#!/usr/bin/env bash
# make e2e: the fast matrix on a real Kubernetes, on this machine. Brings the bare cluster
# up (Skipper in front), runs `make matrix` (every configuration × scenario through the
# Service and the ingress) and `make reliability` on it, and brings the cluster down again,
# also when anything fails. The exit status is the verdicts'. Linux and root only, like
# bare-up. OUT (default runs/bare) gets the matrix, OUT-reliability, OUT-evict and
# OUT-autoscale the checks; SET (default fast) and RATE pass through to make; OUT-workload
# gets "test your own service" (workload.sh).
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=SCRIPTDIR/lib.sh
. clusters/bare/lib.sh
require_linux_root

out=${OUT:-runs/bare}
trap 'clusters/bare/down.sh' EXIT
clusters/bare/up.sh
# The lab's ingress must answer as this very Skipper build does (make test skips it when
# no Skipper is built yet, as on a fresh machine before this point).
SCALELAB_SKIPPER="$SKIPPER_BIN/skipper" go test -count=1 -run TestIngressMatchesRealSkipper ./loadtest/lab
# shellcheck disable=SC1091
. "$STATE_DIR/env"
# KUBE_FLAGS is spliced into make's recipe, so the shell reads the quotes inside it.
kube_flags="--kubeconfig $KUBECONFIG --service-url $SERVICE_URL/ --ingress-url $INGRESS_URL/"
# Skipper's own routes: when it routed and stopped routing each pod, and the settles wait for it.
kube_flags+=" --ingress-routes $INGRESS_ROUTES_URL"
kube_flags+=" --meta ingress='skipper $SKIPPER_VERSION (on the host, behind kubectl proxy)'"
kube_flags+=" --meta machine='$(uname -sr), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)'"
status=0
# Three trials of each cell, in as many lanes as fit (4 here: ~6 min). A fast request takes
# 300 ms: one not answered in 2 s is lost either way, and waiting 10 s for it only makes
# the run longer.
make matrix PLATFORM=kube SET="${SET:-fast}" VIA=service,ingress TRIALS=3 TIMEOUT=2s KUBE_FLAGS="$kube_flags" OUT="$out" || status=$?
make reliability PLATFORM=kube VIA=service,ingress CONFIGS=liveness-trap,short-grace,slow-requests \
  TRIALS=1 KUBE_FLAGS="$kube_flags" OUT="$out-reliability" || status=$?
# Every pod evicted at once: graceful shutdown alone loses requests, with the
# PodDisruptionBudget nothing is lost; three trials each. evict-no-pdb's thousands of refused
# connections leave conntrack entries (for 120 s) that would send a later run's new connections
# through the Service to where nothing answers; so each attack there comes from a loopback
# address of its own (attack/source.go).
make reliability PLATFORM=kube VIA=service,ingress CONFIGS=evict-no-pdb,evict-pdb \
  TRIALS=3 KUBE_FLAGS="$kube_flags" OUT="$out-evict" || status=$?
# A real HorizontalPodAutoscaler (metrics-server, kube-controller-manager's controller):
# naive loses on both edges, graceful on neither; its four runs side by side (~1.5 min).
make reliability PLATFORM=kube VIA=service,ingress CONFIGS=autoscale-naive,autoscale-graceful \
  TRIALS=1 KUBE_FLAGS="$kube_flags" OUT="$out-autoscale" || status=$?
# A workload scalelab did not deploy, tested as a user tests their own (loadtest --workload).
clusters/bare/workload.sh "$out-workload" || status=$?
exit "$status"
