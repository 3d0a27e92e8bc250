# Rigger developer commands. `make run` starts the whole platform; `make test`
# runs every test tier that fits a laptop; heavier tiers have their own targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
WORKFLOWCHECK_VERSION := v0.6.0
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
TEST_TIMEOUT ?= 20m

export RIGGER_DEVSERVER_BIN := $(BIN)/rigger-devserver

.PHONY: all build run test test-unit test-devserver vet workflowcheck services bench clean replay-record test-kube kube-bins etcd

all: build

build: $(BIN)/rigger $(BIN)/rigger-devserver

# Always rebuilt by go (it caches), so sources changes are never stale.
$(BIN)/rigger: FORCE
	$(GO) build -o $@ ./cmd/rigger

$(BIN)/rigger-devserver: FORCE
	cd devserver && $(GO) build -o $@ .

FORCE:

run: services build
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

# The real-Kubernetes tier: kube-apiserver and kube-controller-manager built
# from k8s.io/kubernetes (tools/kube pins the version; about 16 minutes on 2
# cores the first time, then cached in bin/kube until tools/kube changes) and
# Debian's etcd. Applies deploy/kubernetes server-side, runs onboarding and
# offboarding against the cluster as the worker's service account, and checks
# what its RBAC and admission policies refuse.
KUBE_BIN := $(BIN)/kube

kube-bins: $(KUBE_BIN)/kube-apiserver $(KUBE_BIN)/kube-controller-manager

$(KUBE_BIN)/kube-apiserver $(KUBE_BIN)/kube-controller-manager &: tools/kube/go.mod tools/kube/go.sum
	cd tools/kube && $(GO) build -o $(KUBE_BIN)/ k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager

etcd:
	command -v etcd >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends etcd-server)

test-kube: services build kube-bins etcd
	RIGGER_KUBE_BIN=$(KUBE_BIN) RIGGER_KUBE_REQUIRED=1 $(GO) test -count=1 -timeout 20m -run '^TestKube' -v ./e2e/

# Records fresh histories of every workflow family for the replay test
# (workflows/testdata/*_history.json; run after a deliberate, versioned
# workflow change). The end-to-end tests that run each family record it
# where the run finishes (assertReplays); the scaffolder, TechDocs and
# assistant tests need the shared corpus (they skip without it).
REPLAY_TESTS = TestOnboardAndOffboardEndToEnd|TestBillingExactlyOnce|TestBackupDrillRestoreEndToEnd|TestScaffolderEndToEnd|TestTechDocsEndToEnd|TestAssistantEndToEnd
replay-record: services build
	RIGGER_RECORD_HISTORY=1 $(GO) test -count=1 -timeout 30m -run '^($(REPLAY_TESTS))$$' ./e2e/
	ls -l workflows/testdata/*_history.json

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
