# brokergate: `make run` starts it, `make test` tests it. Everything installs itself into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test generate check-generated lint bench soak fuzz sdk install clean conformance test-postgres

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/brokergate serve

# The suite spreads over TEST_WORKERS processes (pytest-xdist); much of it waits on servers it started.
TEST_WORKERS ?= 3
test: $(STAMP) check-generated lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Only the PostgreSQL cases of the suites marked `databases` (`make test` runs them beside SQLite).
test-postgres: $(STAMP)
	BROKERGATE_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -m databases -k postgresql

generate: $(STAMP)
	$(BIN)/python -m tools.generate

check-generated: $(STAMP)
	$(BIN)/python -m tools.generate --check

lint: $(STAMP)
	$(BIN)/ruff check .

conformance: $(STAMP)
	$(BIN)/python -m tools.conformance

bench: $(STAMP)
	$(BIN)/python -m tools.bench

# Mixed REST and WebSocket traffic for MINUTES (default 10); fails on any error, lost order or memory growth
MINUTES ?= 10
soak: $(STAMP)
	$(BIN)/python -m tools.soak --minutes $(MINUTES)

# BROKER=sandbox, or any live broker (fuzzed on its offline simulator): make fuzz BROKER=zerodha
BROKER ?= sandbox
fuzz: $(STAMP)
	$(BIN)/python -m tools.fuzz --broker $(BROKER)

sdk: $(STAMP)
	$(BIN)/python -m tools.sdk --output build/sdk

clean:
	rm -rf $(VENV) build
