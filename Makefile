# Stadskamer: `make run` starts the stack with demo data, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= var
GRPC_PORT ?= 50051
STAMP := $(VENV)/.installed

.PHONY: run install gen check-gen lint format typecheck buf-lint buf-breaking deploy-check image-check pytest test-faults test bench clean node-tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create the virtual environment and install Stadskamer with its tools

run: install ## initialise keys, start every service on SQLite under $(DATA_DIR)
	$(BIN)/stadskamer keys init --data-dir $(DATA_DIR)
	$(BIN)/stadskamer up --data-dir $(DATA_DIR) --grpc-port $(GRPC_PORT) --demo

gen: install ## regenerate the Python code from protos/
	$(BIN)/python tools/generate_protos.py

check-gen: install ## fail when the generated code is stale
	$(BIN)/python tools/generate_protos.py --check

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy on services/, consent/, gateway/
	$(BIN)/mypy -p stadskamer

buf-lint: install ## buf lint on the contracts
	$(BIN)/buf lint

buf-breaking: install ## buf breaking against main (skipped where main has no protos yet)
	@if git rev-parse --verify --quiet main >/dev/null && git ls-tree -r --name-only main | grep -q '^protos/.*\.proto$$'; then \
		$(BIN)/buf breaking --against '.git#branch=main'; \
	else echo "buf breaking: no protos on main yet, nothing to compare"; fi

# The Kubernetes release the manifests are validated against (as in tests/deploy/manifests.py).
KUBERNETES_VERSION ?= 1.33.0

deploy-check: install ## render the kustomize overlays, validate every object offline (kubectl)
	@if ! command -v kubectl >/dev/null 2>&1; then \
		if [ "$$STADSKAMER_REQUIRE_KUBECTL" = 1 ]; then \
			echo "deploy-check: kubectl is required but not on PATH (apt-get install kubectl)" >&2; exit 1; \
		fi; \
		echo "deploy-check: SKIPPED, kubectl is not on PATH (apt-get install kubectl)"; exit 0; \
	fi; \
	rendered=$$(mktemp); trap 'rm -f "$$rendered"' EXIT; \
	for overlay in dev production; do \
		kubectl kustomize deploy/kustomize/overlays/$$overlay > "$$rendered" || exit 1; \
		$(BIN)/kubernetes-validate --strict --quiet -k $(KUBERNETES_VERSION) "$$rendered" || exit 1; \
		echo "deploy-check: overlays/$$overlay: $$(grep -c '^kind:' "$$rendered") objects valid for Kubernetes $(KUBERNETES_VERSION)"; \
	done

image-check: install ## build deploy/Dockerfile with buildah (no daemon) and check the image
	STADSKAMER_REQUIRE_BUILDAH=1 $(BIN)/python -m pytest -q tests/deploy/test_image_build.py

# Spectral (the Logius API Design Rules linter) from package.json, pinned by package-lock.json.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

node-tools: ## install the Node tools the tests use (npm ci), when npm is there
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.package-lock.json; \
	else echo "node-tools: npm is missing; the API Design Rules lint will be skipped"; fi

pytest: install ## the test suites (tests/faults included)
	$(BIN)/python -m pytest -q

test-faults: install ## only the fault tests: kill -9, peers and PostgreSQL down, fuzzing, soak, workers
	$(BIN)/python -m pytest -q tests/faults

test: check-gen buf-lint buf-breaking lint typecheck deploy-check node-tools pytest ## everything CI runs

bench: install ## benchmarks (print figures, assert nothing)
	$(BIN)/python bench/pseudonyms.py
	$(BIN)/python bench/contacts.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
