# scalelab — the verbs a user types. `make help` lists them.

GO  ?= go
BIN := bin

.PHONY: help build test run bench image lint tools

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build hello (static) into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/hello .

test: ## unit and behaviour tests: real HTTP, real processes, real signals, race detector
	$(GO) test -race -count=1 ./...

run: build ## run hello with the tutorial's timings (25 s startup, 5 s requests) on :8080
	$(BIN)/hello --startup-delay 25s --request-delay 5s --shutdown-delay 5s --log-format text

bench: tools ## hello's middleware against a bare net/http handler: req/s and p99, one run
	$(GO) test -run '^$$' -bench Serve -benchtime 20000x -count 8 . | tee $(BIN)/bench-serve.txt
	$(BIN)/benchstat -col /handler $(BIN)/bench-serve.txt

image: build ## the hello image: docker build where an engine runs, else see image-tar
	docker build -t scalelab/hello:dev .

lint: tools ## go vet, staticcheck, the Dockerfile linted offline
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	$(BIN)/dockerlint Dockerfile

tools: ## build the pinned development tools (tools/go.mod) into bin/
	$(GO) -C tools build -o ../$(BIN)/ honnef.co/go/tools/cmd/staticcheck golang.org/x/perf/cmd/benchstat github.com/rhysd/actionlint/cmd/actionlint ./dockerlint

-include k8s/bare/bare.mk
