#!/usr/bin/env bash
# deploy.sh DIR — make deploy: apply the configuration DIR (k8s/SET/CONFIG) to the current
# kubectl context's namespace as the harness does (server-side, field manager scalelab, every
# object labelled app.kubernetes.io/managed-by=scalelab), then prune: delete what an earlier
# configuration applied (the same label) and this one lacks, e.g. graceful's
# PodDisruptionBudget when going back to naive; then wait for the rollout.
#
# Not `kubectl apply --prune -l …`: kubectl's label prune deletes only objects that carry the
# client-side last-applied annotation, which a server-side apply (this one's, the harness's)
# never writes, so it would prune nothing. The kinds pruned are the harness's
# (loadtest/kube/apply.go, prunable); an object of another kind stays. DRY_RUN=1 prints the
# apply's objects and the prune's deletions without changing anything (it still lists the
# cluster's objects).
set -o errexit -o nounset -o pipefail
dir=${1:?usage: deploy.sh k8s/SET/CONFIG}
[[ -d $dir ]] || { echo "deploy: no configuration at $dir" >&2; exit 2; }
label=app.kubernetes.io/managed-by=scalelab
kinds=deployments.apps,services,ingresses.networking.k8s.io,poddisruptionbudgets.policy,horizontalpodautoscalers.autoscaling

# The configuration rendered and labelled, offline (kustomize and kubectl label --local); JSON,
# since label -o yaml prints several objects without the --- between them.
objects=$(kubectl kustomize "$dir" | kubectl label --local -f - "$label" -o json)
want=$(kubectl label --local -f - "$label" -o name <<<"$objects")

dry=()
if [[ -n ${DRY_RUN:-} ]]; then dry=(--dry-run=server); fi
kubectl apply --server-side --field-manager=scalelab --force-conflicts "${dry[@]}" -f - <<<"$objects"

# Prune: the labelled objects of the kinds above that this configuration does not have.
have=$(kubectl get "$kinds" -l "$label" -o name)
stale=()
while IFS= read -r o; do
	if [[ -n $o ]] && ! grep -qxF -- "$o" <<<"$want"; then stale+=("$o"); fi
done <<<"$have"
if ((${#stale[@]})); then
	echo "deploy: pruning what $dir does not have: ${stale[*]}"
	kubectl delete "${dry[@]}" "${stale[@]}"
fi
if [[ -z ${DRY_RUN:-} ]]; then
	kubectl rollout status deployment/hello --timeout=300s
fi
