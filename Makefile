# scalelab — the verbs a user types. `make help` lists them.

GO  ?= go
BIN := bin

# What the load verbs act on; e.g. `make rollout CONFIG=naive SET=fast PLATFORM=kube`.
PLATFORM   ?= local            # local (hello processes, no cluster) or kube (the kubeconfig's cluster)
CONFIG     ?= graceful         # naive, probes, graceful, prestop-sleep
SET        ?= overlays         # k8s/overlays: the tutorial's timings; fast: k8s/fast; experiment: k8s/experiment
VIA        ?= service,ingress  # the paths into the pods
RATE       ?= 100              # requests per second
KUBE_FLAGS ?=                  # for PLATFORM=kube: --kubeconfig, --service-url, --ingress-url, ...
LEAD       ?= 2s               # load before the scenario's action
TAIL       ?= 4s               # load after the platform has settled (> the 3 s propagation)
TARGET     ?= http://127.0.0.1:8080/
DURATION   ?= 60s
OUT        ?=

LOADTEST := $(BIN)/loadtest
PLATFORM_FLAGS = --platform $(strip $(PLATFORM)) $(if $(filter kube,$(strip $(PLATFORM))),$(KUBE_FLAGS))
SCENARIO_FLAGS = $(PLATFORM_FLAGS) --root k8s/$(strip $(SET)) --config $(strip $(CONFIG)) --via $(strip $(VIA)) \
	--rate $(strip $(RATE)) --lead $(strip $(LEAD)) --tail $(strip $(TAIL))

.PHONY: help build test run bench image lint tools demo matrix reliability load scale-up scale-down rollout delete-pod check e2e \
	kind-up kind-down minikube-up image-load deploy

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build hello (static) and loadtest into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/hello .
	$(GO) build -o $(LOADTEST) ./loadtest

demo: build ## the fast local matrix, no cluster: naive loses requests, graceful none (~1 min)
	$(LOADTEST) matrix --platform local --root k8s/fast --out $(or $(OUT),results/local-fast)

matrix: build ## every configuration × scenario × path (SET=fast for short timings, PLATFORM=kube for a cluster)
	$(LOADTEST) matrix $(PLATFORM_FLAGS) --root k8s/$(strip $(SET)) --via $(strip $(VIA)) --rate $(strip $(RATE)) --out $(or $(OUT),results/$(strip $(PLATFORM)))

reliability: build ## the reliability checks of k8s/reliability, each judged by what its overlay expects (~30 s locally)
	$(LOADTEST) matrix $(PLATFORM_FLAGS) --root k8s/reliability --via $(strip $(VIA)) --rate $(strip $(RATE)) --out $(or $(OUT),results/$(strip $(PLATFORM))-reliability)

load: build ## constant load at TARGET for DURATION (e.g. TARGET=http://127.0.0.1:30080/ for kind)
	$(LOADTEST) attack --target $(TARGET) --rate $(strip $(RATE)) --duration $(DURATION) --max-errors -1 $(if $(OUT),--out $(OUT))

scale-up: build ## deploy CONFIG at 1 replica, load it, scale up
	$(LOADTEST) scenario scale-up $(SCENARIO_FLAGS)

scale-down: build ## deploy CONFIG, load it, scale down to 1
	$(LOADTEST) scenario scale-down $(SCENARIO_FLAGS)

rollout: build ## deploy CONFIG, load it, kubectl rollout restart
	$(LOADTEST) scenario rollout-restart $(SCENARIO_FLAGS)

delete-pod: build ## deploy CONFIG, load it, kubectl delete pod
	$(LOADTEST) scenario delete-pod $(SCENARIO_FLAGS)

KIND ?= $(if $(shell command -v kind),kind,$(GO) run sigs.k8s.io/kind@v0.33.0)

kind-up: ## a kind cluster "scalelab" with k8s/kind.yaml (NodePorts 30080, 30081 on 127.0.0.1)
	$(KIND) create cluster --name scalelab --config k8s/kind.yaml --wait 120s

kind-down: ## delete the kind cluster
	$(KIND) delete cluster --name scalelab

minikube-up: ## a minikube cluster (then: make image-load, make ingress-up)
	minikube start

image-load: image-tar ## load bin/hello-image.tar into the current kind or minikube cluster
	k8s/load-image.sh $(BIN)/hello-image.tar

deploy: ## apply k8s/SET/CONFIG to the current cluster, as the harness does (it also prunes)
	kubectl apply --server-side --field-manager=scalelab -k k8s/$(strip $(SET))/$(strip $(CONFIG))
	kubectl rollout status deployment/hello --timeout=300s

e2e: build ## bare-up, the fast matrix on it through Service and ingress, bare-down (Linux, root)
	k8s/bare/e2e.sh

check: build ## lint every configuration of SET against the zero-downtime rules
	$(LOADTEST) check k8s/$(strip $(SET))

test: ## unit and behaviour tests: real HTTP, real processes, real signals, race detector
	$(GO) test -race -count=1 ./...

run: build ## run hello with the tutorial's timings (25 s startup, 5 s requests) on :8080
	$(BIN)/hello --startup-delay 25s --request-delay 5s --shutdown-delay 5s --log-format text

bench: tools ## hello's middleware vs a bare handler; the harness vs the vegeta CLI (rate, CPU/request)
	$(GO) test -run '^$$' -bench Serve -benchtime 20000x -count 8 . | tee $(BIN)/bench-serve.txt
	$(BIN)/benchstat -col /handler $(BIN)/bench-serve.txt
	$(GO) test -run '^$$' -bench AgainstVegeta -benchtime 1x ./loadtest

image: build ## the hello image: docker build where an engine runs, else see image-tar
	docker build -t scalelab/hello:dev .

lint: tools ## go vet, staticcheck, the Dockerfile and the GitHub workflows linted offline
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	$(BIN)/dockerlint Dockerfile
	$(BIN)/actionlint .github/workflows/*.yml

tools: ## build the pinned development tools (tools/go.mod) into bin/
	$(GO) -C tools build -o ../$(BIN)/ honnef.co/go/tools/cmd/staticcheck golang.org/x/perf/cmd/benchstat github.com/rhysd/actionlint/cmd/actionlint ./dockerlint

-include k8s/bare/bare.mk
