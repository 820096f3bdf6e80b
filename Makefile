# The two promises: `make run` (zero setup) and `make test` (installs what it needs, runs every test).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run smoke test lint fmt-check clippy nextest bench tools services doc

run:
	@./scripts/run.sh

# The README's promise, scripted: start everything, post the example order, wait for delivered.
smoke:
	@./scripts/smoke.sh

test: tools fmt-check clippy nextest

tools:
	@command -v cargo-nextest >/dev/null 2>&1 || $(CARGO) install cargo-nextest --locked
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
	@# The browser tests drive headless Chromium through chromedriver (Debian packages).
	@command -v chromedriver >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium chromium-driver)
	@# deploy/ checks (tests/tests/deploy.rs): promtool (Debian's prometheus package), Kubernetes
	@# schemas (PyPI kubernetes-validate, schemas bundled), KEDA's schema (npm, deploy/tools).
	@command -v promtool >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus)
	@python3 -c 'import kubernetes_validate' 2>/dev/null || python3 -m pip install --quiet kubernetes-validate==1.37.0
	@# The API's OpenAPI contract test (scripts/check-openapi.py): the 3.1 validator, and jsonschema.
	@python3 -c 'import openapi_spec_validator' 2>/dev/null || python3 -m pip install --quiet openapi-spec-validator==0.9.0
	@test -d deploy/tools/node_modules/@kubernetes-models/keda || npm ci --prefix deploy/tools --no-audit --no-fund --silent

fmt-check:
	$(CARGO) fmt --all --check

# The worker's failpoints are compiled in for tests only (the crash tests SIGKILL it at each step).
TEST_FEATURES := --features shipping-worker/failpoints

clippy:
	$(CARGO) clippy --workspace --all-targets --locked $(TEST_FEATURES) -- -D warnings

nextest:
	$(CARGO) nextest run --workspace --locked $(TEST_FEATURES)

lint: fmt-check clippy

# Benchmarks are never part of `make test`: they print ratios against a reference measured in
# the same run.
bench:
	$(CARGO) bench --workspace --locked

# Start the local Postgres and Redis the tests use, if they are not answering.
services:
	@./.ci/services.sh
