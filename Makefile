# One verb per target. Each target creates .venv and installs the project into it, idempotently.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SCHEMA_BASE ?= main

.PHONY: demo test lint check-schema validate-deploy bench soak chaos install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The portal page (web/) is plain ES modules served as they are: nothing to build.
demo: $(STAMP)
	$(BIN)/portalgraph demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Breaking schema changes against $(SCHEMA_BASE) must be declared in schema-changes.yaml.
check-schema: $(STAMP)
	if git rev-parse -q --verify '$(SCHEMA_BASE)^{commit}' >/dev/null 2>&1; then \
		$(BIN)/portalgraph schema check --base '$(SCHEMA_BASE)'; \
	else $(BIN)/portalgraph schema check; fi

test: $(STAMP) lint check-schema
	scripts/ensure-redis-server
	scripts/ensure-browser
	$(BIN)/pytest

# compose.yaml, the Helm chart and its rendered manifests (tools from PyPI and npm, in .tools/)
validate-deploy:
	scripts/validate-deploy

# every scenario, the naive configuration side by side (.bench/results.md and .json)
bench: $(STAMP)
	$(BIN)/python -m bench --compare

# ten minutes of mixed load: the gateway's memory stays flat; what a subscription costs
soak: $(STAMP)
	$(BIN)/python -m bench.soak

chaos: $(STAMP)
	$(BIN)/python -m bench.chaos

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
