# The bare cluster: a real single-node Kubernetes on this machine (Linux, root), built from
# upstream sources. Included by the Makefile. See clusters/bare/README.md for what each step does.

BARE := clusters/bare

.PHONY: bare-up bare-down bare-smoke e2e bare-build skipper-build metrics-server-build bare-gen

##@ The bare cluster: a real Kubernetes here, from upstream sources (Linux, root)

bare-up: ## a real single-node cluster here: prints KUBECONFIG=, INGRESS_URL=, SERVICE_URL=
	$(BARE)/up.sh

bare-down: ## stop the bare cluster and remove all it left (safe twice, and when nothing is up)
	$(BARE)/down.sh

bare-smoke: ## bare-up, hello on ClusterIP, NodePort and ingress, bare-down, host unchanged (PASS/FAIL lines)
	$(BARE)/smoke.sh

e2e: build ## bare-up, the fast matrix and the reliability checks on it, bare-down (OUT=runs/bare)
	OUT=$(or $(OUT),$(RUNS)/bare) $(BARE)/e2e.sh

bare-build: ## build the pinned Kubernetes binaries once into the user's cache dir (cold ~9 min)
	$(BARE)/build.sh kube

skipper-build: ## build the pinned Skipper ingress controller once into the user's cache dir
	$(BARE)/build.sh skipper

metrics-server-build: ## build the pinned metrics-server (what an HPA reads) once into the user's cache dir
	$(BARE)/build.sh metrics-server

bare-gen: ## regenerate the tools modules (clusters/bare/kube, skipper, metrics-server) from upstream go.mod files
	$(BARE)/gen-mod.sh kube
	$(BARE)/gen-mod.sh skipper
	$(BARE)/gen-mod.sh metrics-server
