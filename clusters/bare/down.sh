#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# down.sh — stop the bare cluster and remove everything it left: processes (by recorded
# PID), pod containers, mounts, cgroups, kube-proxy's and kubelet's rules, the bridges,
# routes and rules of the network safety, the fixed paths kubelet and containerd write;
# restore the sysctls it changed. Safe when nothing is up, and twice. Keeps the last logs.
set -o errexit -o nounset -o pipefail
. "$(dirname "$0")/lib.sh"
require_linux_root
. "$BARE_DIR/net.sh"
. "$BARE_DIR/teardown.sh"
teardown
log "down; last logs in $STATE_DIR/logs"
