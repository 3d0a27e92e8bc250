# Rigger developer commands. `make run` starts the whole platform; `make test`
# runs every test tier that fits a laptop; heavier tiers have their own targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
WORKFLOWCHECK_VERSION := v0.6.0
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
TEST_TIMEOUT ?= 20m

export RIGGER_DEVSERVER_BIN := $(BIN)/rigger-devserver

.PHONY: all build run test test-unit test-devserver vet workflowcheck services bench clean replay-record

all: build

build: $(BIN)/rigger $(BIN)/rigger-devserver

# Always rebuilt by go (it caches), so sources changes are never stale.
$(BIN)/rigger: FORCE
	$(GO) build -o $@ ./cmd/rigger

$(BIN)/rigger-devserver: FORCE
	cd devserver && $(GO) build -o $@ .

FORCE:

run: build
	$(BIN)/rigger dev

# Starts (installing if needed) PostgreSQL and Redis on this machine.
services:
	bash scripts/services.sh

$(GOBIN_DIR)/workflowcheck:
	$(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

# Fails when workflow code calls something non-deterministic.
workflowcheck: $(GOBIN_DIR)/workflowcheck
	$(GOBIN_DIR)/workflowcheck ./workflows/...

vet:
	$(GO) vet ./...
	cd devserver && $(GO) vet ./...

test: services build workflowcheck vet
	$(GO) test -timeout $(TEST_TIMEOUT) -count=1 ./...
	cd devserver && $(GO) test -timeout 10m -count=1 ./...

# Records a fresh onboarding history for the replay test (run after a
# deliberate, versioned workflow change).
replay-record: services build
	RIGGER_RECORD_HISTORY=1 $(GO) test -count=1 -run TestRecordOnboardingHistory ./e2e/

bench: services build
	$(GO) test -run '^$$' -bench . -skip BillingCycle1000Tenants -benchtime 1x -timeout 30m ./e2e/
	$(GO) test -run '^$$' -bench BillingCycle1000Tenants -benchtime 1x -timeout 30m ./e2e/
	# Scaffolder: template rendering (files/s) next to npm nunjucks on Node.js with the same
	# skeletons and values; end to end (100 concurrent dry runs, 20 concurrent real runs through
	# the API, next to the same steps in-process) is BenchmarkScaffolderRuns in ./e2e/ above.
	cd internal/scaffolder/bench && npm ci --no-audit --no-fund && cd ../../.. && $(GO) test -run '^$$' -bench BenchmarkRenderVsNunjucks -benchtime 2s ./internal/scaffolder/
	RIGGER_BENCH_BACKUP_MB=$${RIGGER_BENCH_BACKUP_MB:-1024} $(GO) test -run '^$$' -bench BackupRestore -benchtime 1x -timeout 60m ./activities/backup/
	# Assistant: retrieval over a 5,000-section index (build, load, per-query p50/p95 over
	# 2,000 queries) and the LLM activity's per-call overhead; the assistant's workflow overhead
	# per task is BenchmarkAssistantTaskOverhead in ./e2e/ above. (1x would give the
	# percentiles one sample.)
	$(GO) test -run '^$$' -bench 'RetrievalBuild|RetrievalLoad' -benchtime 3x ./internal/retrieval/
	$(GO) test -run '^$$' -bench RetrievalSearch -benchtime 2000x ./internal/retrieval/
	$(GO) test -run '^$$' -bench . -benchtime 200x ./activities/llm/
	# TechDocs builder: per-site and 1,000-page build times next to MkDocs 1.4.
	bash internal/techdocs/bench_mkdocs.sh

clean:
	rm -rf $(BIN)
