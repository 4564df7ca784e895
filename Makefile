# Stadskamer: `make run` starts the stack with demo data, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= var
GRPC_PORT ?= 50051
STAMP := $(VENV)/.installed

.PHONY: run install gen check-gen lint format typecheck buf-lint buf-breaking pytest test bench clean

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

pytest: install ## the test suites
	$(BIN)/python -m pytest -q

test: check-gen buf-lint buf-breaking lint typecheck pytest ## everything CI runs

bench: install ## benchmarks (print figures, assert nothing)
	$(BIN)/python bench/pseudonyms.py
	$(BIN)/python bench/contacts.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
