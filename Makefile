# scalelab — the verbs a user types. `make help` lists them, by group: each `##@` line
# opens a group, each target's `##` comment is its line in the list.

GO ?= go
BIN := bin
LOADTEST := $(BIN)/loadtest
# The shell scripts, for make lint-sh.
SCRIPTS := .ci/run .ci/stress .github/scalelab-action.sh .github/scalelab-action-test.sh results/trim.sh $(wildcard clusters/*.sh clusters/*/*.sh) clusters/kind/node/iptables-wrapper

# What the load verbs act on; e.g. `make rollout CONFIG=naive SET=fast PLATFORM=kube`.
# The platform: lab (hello processes, no cluster) or kube (the kubeconfig's cluster).
PLATFORM ?= lab
# The configuration: naive, probes, graceful, prestop-sleep (or any overlay of SET).
CONFIG ?= graceful
# Only these configurations of the set, comma-separated, for matrix and reliability (default: all).
CONFIGS ?=
# The matrix's scenarios, comma-separated (default: scale-up, scale-down, rollout-restart).
SCENARIOS ?=
# The set of configurations under k8s/: overlays (the tutorial's timings), fast, experiment.
SET ?= overlays
# The paths into the pods: service, ingress, or both.
VIA ?= service,ingress
# Requests per second.
RATE ?= 100
# How many times each cell runs (empty: loadtest's default, 1 on the lab and 3 on kube), and
# how many runs go on side by side (empty: as many as fit).
TRIALS ?=
LANES ?=
# How long a request may take before it counts as lost (empty: its delay + 10 s).
TIMEOUT ?=
# For PLATFORM=kube: --kubeconfig, --context, --service-url, --ingress-url, ...
KUBE_FLAGS ?=
# For PLATFORM=lab: how many nodes the pods spread over (make drain; a kind cluster with
# KIND_WORKERS=2 has two for its pods).
NODES ?= 1
# Load before the scenario's action.
LEAD ?= 2s
# Load after the platform has settled (default: 1-4s where the settle sees the path's proxy, else 4s).
TAIL ?=
# make load: where, and for how long.
TARGET ?= http://127.0.0.1:8080/
DURATION ?= 60s
# Where a run writes its reports; empty: under RUNS, named after the run.
OUT ?=
# kind: empty for the installed one, else the pinned one from the Go module proxy (clusters/kind/lib.sh).
KIND ?=
KIND_WORKERS ?= 0
# Where runs go by default: a directory git ignores, so no run dirties the tree. The
# committed references under results/ change only through `make references` (and -bare).
RUNS ?= runs

# make dist: the release's binaries for people without Go, one archive per platform.
DIST := dist
DIST_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
# The version stamped into them and named in their archives: the tag on a release, else the
# commit (-dirty for uncommitted changes); the entries' time: the commit's.
VERSION ?= $(shell git describe --tags --always --dirty --abbrev=12 2>/dev/null || echo devel)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# Reproducible: no paths of this machine, no build id, no VCS stamp (the version says it),
# no symbol tables, static, the architectures' baselines whatever the environment says.
DIST_BUILD = CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0 GOFLAGS= $(GO) build -trimpath -buildvcs=false \
	-ldflags '-s -w -buildid= -X scalelab/internal/version.Version=$(VERSION)'

# set_flag names a set of configurations: a directory under k8s/, $(call set_flag,fast).
set_flag = --set $(1)
PLATFORM_FLAGS = --platform $(PLATFORM) $(if $(filter kube,$(PLATFORM)),$(KUBE_FLAGS),--nodes $(NODES))
RUN_FLAGS = $(if $(TRIALS),--trials $(TRIALS)) $(if $(LANES),--lanes $(LANES)) $(if $(TIMEOUT),--timeout $(TIMEOUT))
# scenario runs one scenario ($(1)) on CONFIG of SET: deploy, load, act, settle, report.
scenario = $(LOADTEST) scenario $(1) $(PLATFORM_FLAGS) $(if $(TRIALS),--trials $(TRIALS)) $(call set_flag,$(SET)) --config $(CONFIG) \
	--via $(VIA) --rate $(RATE) --lead $(LEAD) $(if $(TAIL),--tail $(TAIL)) --out $(or $(OUT),$(RUNS)/$(PLATFORM)/$(CONFIG)/$(1))

.PHONY: help demo matrix reliability scale-up scale-down rollout delete-pod drain load check references references-bare \
	kind-node-image kind-up kind-down minikube-up image-tar image-load ingress-up deploy undeploy \
	build dist clean test test-stress lint lint-sh tools run bench image image-check

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^##@ / {printf "\n%s\n", substr($$0, 5)} /^[a-z0-9-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ The lessons: on the local lab, or on a cluster with PLATFORM=kube (reports under RUNS=runs/)

demo: build ## the fast local matrix, no cluster: naive loses requests, graceful none (~1.5 min)
	$(LOADTEST) matrix --platform lab $(call set_flag,fast) --out $(or $(OUT),$(RUNS)/lab-fast)

matrix: build ## every configuration × scenario × path of SET (SET=fast for short timings, PLATFORM=kube for a cluster)
	$(LOADTEST) matrix $(PLATFORM_FLAGS) $(RUN_FLAGS) $(call set_flag,$(SET)) $(if $(CONFIGS),--configs $(CONFIGS)) $(if $(SCENARIOS),--scenarios $(SCENARIOS)) \
		--via $(VIA) --rate $(RATE) --out $(or $(OUT),$(RUNS)/$(PLATFORM)-$(SET))

reliability: build ## the reliability checks of k8s/reliability, each judged by what its overlay expects (~1 min 10 s on the lab)
	$(LOADTEST) matrix $(PLATFORM_FLAGS) $(RUN_FLAGS) $(call set_flag,reliability) $(if $(CONFIGS),--configs $(CONFIGS)) --via $(VIA) --rate $(RATE) --out $(or $(OUT),$(RUNS)/$(PLATFORM)-reliability)

scale-up: build ## deploy CONFIG at 1 replica, load it, scale up
	$(call scenario,scale-up)

scale-down: build ## deploy CONFIG, load it, scale down to 1
	$(call scenario,scale-down)

rollout: build ## deploy CONFIG, load it, kubectl rollout restart
	$(call scenario,rollout-restart)

delete-pod: build ## deploy CONFIG, load it, kubectl delete pod
	$(call scenario,delete-pod)

drain: build ## deploy CONFIG, load it, kubectl drain the node with most of its pods, uncordon (NODES=2 on the lab)
	$(call scenario,drain)

load: build ## constant load at TARGET for DURATION (e.g. TARGET=http://127.0.0.1:30080/ for kind)
	$(LOADTEST) attack --target $(TARGET) --rate $(RATE) --duration $(DURATION) --max-failed -1 $(if $(OUT),--out $(OUT))

# check keeps loadtest check's exit status (a user's SET that breaks a rule must fail a
# pipeline), and says why it fails for the lessons' sets: naive and probes break rules on purpose.
check: build ## lint every configuration of SET against the zero-downtime rules; fails (exit 1) when any breaks one, as naive and probes do by design
	@$(LOADTEST) check k8s/$(SET) || { status=$$?; echo; echo "make check: a configuration of k8s/$(SET) breaks a rule (✗ above), exit $$status. In overlays and fast that is expected: naive and probes are the lessons' controls and break rules by design; graceful and prestop-sleep must not."; exit $$status; }

##@ The committed references in results/ (each matrix.md says how it was made)

references: ## the local ones again (~13 min): results/lab-fast (demo), results/lab (matrix), results/lab/experiment
	$(MAKE) demo OUT=results/lab-fast
	$(MAKE) matrix PLATFORM=lab SET=overlays VIA=service,ingress RATE=100 OUT=results/lab
	$(MAKE) rollout PLATFORM=lab SET=experiment CONFIG=without-delay VIA=ingress RATE=1000 LEAD=30s TAIL=15s \
		OUT=results/lab/experiment/without-delay-1000
	$(MAKE) rollout PLATFORM=lab SET=experiment CONFIG=with-delay VIA=ingress RATE=1000 LEAD=30s TAIL=15s \
		OUT=results/lab/experiment/with-delay-1000
	results/trim.sh results/lab-fast results/lab

references-bare: ## the cluster's ones again (Linux, root; ~15 min): results/bare, results/bare-reliability (make e2e)
	$(MAKE) e2e SET=fast VIA=service,ingress RATE=100 OUT=results/bare
	results/trim.sh results/bare results/bare-reliability results/bare-evict results/bare-autoscale

##@ A cluster: kind, minikube, or any kubeconfig's

kind-node-image: ## (root, podman) kind's node image made here, offline (clusters/kind/node-image.sh; cold ~55 min of Go builds, then ~1 min)
	clusters/kind/node-image.sh

kind-up: ## a kind cluster "scalelab" with clusters/kind/kind.yaml (NodePorts 30080, 30081 on 127.0.0.1); KIND_WORKERS=2 adds workers
	KIND="$(KIND)" KIND_WORKERS=$(KIND_WORKERS) clusters/kind/up.sh clusters/kind/kind.yaml

kind-down: ## delete the kind cluster (and, on a cgroup v1 host, the cgroup hierarchies its nodes left)
	KIND="$(KIND)" clusters/kind/down.sh

minikube-up: ## a minikube cluster (then: make image-load, make ingress-up)
	minikube start

image-tar: build ## write bin/hello-image.tar without Docker (ctr images import, kind load image-archive)
	CGO_ENABLED=0 $(GO) run -trimpath ./cmd/image -binary $(BIN)/hello -tag scalelab/hello:dev -entrypoint hello -user 65532:65532 -expose 8080/tcp -o $(BIN)/hello-image.tar

image-load: build ## the hello image into the current kind or minikube cluster: the Dockerfile's (make image) where docker or podman runs, else image-tar's
	if clusters/kind/image.sh --engine >/dev/null; then clusters/kind/image.sh scalelab/hello:dev $(BIN)/hello-image.tar; else $(MAKE) image-tar; fi
	clusters/load-image.sh $(BIN)/hello-image.tar

ingress-up: ## Skipper into the current kind/minikube cluster (image written without Docker), on :30081
	clusters/ingress/up.sh

deploy: ## apply k8s/SET/CONFIG to the current namespace as the harness does, pruning what an earlier CONFIG left (clusters/deploy.sh)
	clusters/deploy.sh k8s/$(SET)/$(CONFIG)

undeploy: ## delete what make deploy and the harness applied in the current namespace (label app.kubernetes.io/managed-by=scalelab)
	kubectl delete deployments.apps,services,ingresses.networking.k8s.io,poddisruptionbudgets.policy,horizontalpodautoscalers.autoscaling -l app.kubernetes.io/managed-by=scalelab

##@ Development

build: ## build hello and loadtest into bin/ (static, -trimpath: as every build here, so one cache serves)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/hello .
	CGO_ENABLED=0 $(GO) build -trimpath -o $(LOADTEST) ./loadtest

# Each platform's binaries go to bin/dist/OS-ARCH, their archive (README.md and LICENSE if
# there is one beside them) to dist/, which holds nothing else: `dist/*` is what a release
# attaches. cmd/dist writes the archives and SHA256SUMS with fixed times, modes and order.
dist: ## hello and loadtest for linux, darwin, windows × amd64, arm64: dist/*.tar.gz, *.zip, SHA256SUMS, reproducibly
	rm -rf $(DIST) $(BIN)/dist
	mkdir -p $(DIST) $(BIN)/dist
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/dist/dist ./cmd/dist
	set -e; for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; dir=$(BIN)/dist/$$os-$$arch; exe=; ext=tar.gz; \
		if [ $$os = windows ]; then exe=.exe; ext=zip; fi; \
		echo "dist: $$os/$$arch"; \
		GOOS=$$os GOARCH=$$arch $(DIST_BUILD) -o $$dir/hello$$exe . ; \
		GOOS=$$os GOARCH=$$arch $(DIST_BUILD) -o $$dir/loadtest$$exe ./loadtest; \
		$(BIN)/dist/dist archive -mtime $(SOURCE_DATE_EPOCH) -prefix scalelab-$(VERSION)-$$os-$$arch \
			$(DIST)/scalelab-$(VERSION)-$$os-$$arch.$$ext $$dir/hello$$exe $$dir/loadtest$$exe README.md $(wildcard LICENSE); \
	done
	$(BIN)/dist/dist sums $(DIST)/SHA256SUMS $(DIST)/*.tar.gz $(DIST)/*.zip
	cat $(DIST)/SHA256SUMS

# -trimpath: a fresh clone (CI) finds its unchanged packages compiled by the clone before.
test: ## unit and behaviour tests: real HTTP, real processes, real signals, race detector
	$(GO) test -race -trimpath -count=1 -parallel 4 ./...

clean: ## remove what builds and runs leave in the checkout: bin/, dist/ and runs/
	rm -rf bin dist runs

test-stress: ## the flake hunt: the suite N times (default 10) beside a CPU hog on every core, failures by test
	.ci/stress $(or $(N),10)

lint: tools ## go vet, staticcheck, the Dockerfile, the GitHub workflows and the Action's script, every target in make help
	CGO_ENABLED=0 $(GO) vet -trimpath ./...
	CGO_ENABLED=0 GOFLAGS=-trimpath $(BIN)/staticcheck ./...
	$(BIN)/dockerlint Dockerfile
	$(BIN)/actionlint .github/workflows/*.yml
	.github/scalelab-action-test.sh
	@undocumented=$$(grep -hE '^[a-z0-9-]+:' $(MAKEFILE_LIST) | grep -v '## ' | cut -d: -f1); \
	if [ -n "$$undocumented" ]; then echo "targets without a ## line for make help:" $$undocumented; exit 1; fi

lint-sh: ## shellcheck every script (shellcheck from the system: apt-get install shellcheck)
	shellcheck -x $(SCRIPTS)

tools: ## build the pinned development tools (tools/go.mod) into bin/
	$(GO) -C tools build -o ../$(BIN)/ honnef.co/go/tools/cmd/staticcheck golang.org/x/perf/cmd/benchstat github.com/rhysd/actionlint/cmd/actionlint ./dockerlint

run: build ## run hello with the tutorial's timings (25 s startup, 5 s requests) on :8080
	$(BIN)/hello --startup-delay 25s --request-delay 5s --shutdown-delay 5s --log-format text

bench: tools ## hello's middleware vs a bare handler; the harness vs the vegeta CLI (rate, CPU/request)
	$(GO) test -run '^$$' -bench Serve -benchtime 20000x -count 8 . | tee $(BIN)/bench-serve.txt
	$(BIN)/benchstat -col /handler $(BIN)/bench-serve.txt
	$(GO) test -run '^$$' -bench AgainstVegeta -benchtime 1x ./loadtest

image: build ## the hello image from the Dockerfile: docker where it runs, else podman (FROM images made here), else see image-tar
	clusters/kind/image.sh scalelab/hello:dev

image-check: image image-tar ## (root, podman) the Dockerfile's image and image-tar's run the same hello
	clusters/kind/image-check.sh scalelab/hello:dev $(BIN)/hello-image.tar

include clusters/bare/bare.mk
