# The bare cluster: a real single-node Kubernetes on this machine (Linux, root), built from
# upstream sources. Included by the Makefile. See k8s/bare/*.sh for what each step does.

BARE := k8s/bare

.PHONY: bare-up bare-down bare-build skipper-build image-tar bare-gen

bare-up: ## a real single-node cluster here (Linux, root): prints KUBECONFIG= and INGRESS_URL=
	$(BARE)/up.sh

bare-down: ## stop the bare cluster and remove all it left (safe twice, and when nothing is up)
	$(BARE)/down.sh

bare-build: ## build the pinned Kubernetes binaries once into the user's cache dir (cold ~9 min)
	$(BARE)/build.sh kube

skipper-build: ## build the pinned Skipper ingress controller once into the user's cache dir
	$(BARE)/build.sh skipper

image-tar: build ## write bin/hello-image.tar without Docker (ctr images import, kind load image-archive)
	$(GO) run ./cmd/image -binary $(BIN)/hello -tag scalelab/hello:dev -entrypoint hello -user 65532:65532 -expose 8080/tcp -o $(BIN)/hello-image.tar

bare-gen: ## regenerate the tools modules (k8s/bare/kube, k8s/bare/skipper) from upstream go.mod files
	$(BARE)/gen-mod.sh kube
	$(BARE)/gen-mod.sh skipper

.PHONY: ingress-up
ingress-up: ## Skipper into the current kind/minikube cluster (image written without Docker), on :30081
	k8s/ingress/up.sh

.PHONY: bare-smoke
bare-smoke: ## bare-up, hello on ClusterIP, NodePort and ingress, bare-down, host unchanged (PASS/FAIL lines)
	$(BARE)/smoke.sh
