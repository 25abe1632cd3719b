# Two commands do everything on a fresh machine: `make run` and `make test`. See README.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP := $(VENV)/.test-installed
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-fast bench lint migrate seed reseed verify-audit chromium clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(TEST_STAMP): requirements.txt requirements-test.txt $(RUNTIME_STAMP)
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

migrate: $(RUNTIME_STAMP)
	$(VENV)/bin/alembic upgrade head

# Serve the portal on the embedded SQLite database with demo data (demo mode on).
run: migrate
	VESPER_DEMO=1 $(PY) -m demo.seed
	VESPER_DEMO=1 $(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port 8501

seed: migrate
	VESPER_DEMO=1 $(PY) -m demo.seed

reseed: migrate
	VESPER_DEMO=1 $(PY) -m demo.seed --reseed

verify-audit: $(RUNTIME_STAMP)
	$(PY) -m auth.audit_verify verify

chromium:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole suite, every database test on SQLite and on a throwaway PostgreSQL 15 cluster.
test: $(TEST_STAMP) chromium lint
	scripts/with_postgres.sh env VESPER_REQUIRE_PG=1 $(PY) -m pytest -q

# The quick tier while working (under 3 minutes on 2 cores): unit, database, AppTest and media tests on
# SQLite, in two processes. The media tests' real aiortc peers take about 40 s in one process, so they stay.
# No lint, no browser tests, no PostgreSQL: the PostgreSQL half of each database test skips, because the
# PostgreSQL variables are cleared here even when a shell exports them. `make test` stays the gate CI runs.
test-fast: $(TEST_STAMP)
	env -u VESPER_TEST_PG_URL -u VESPER_REQUIRE_PG \
		$(PY) -m pytest -q -n 2 -m "not e2e" tests/unit tests/db tests/app tests/media

# Benchmarks, on SQLite and on a throwaway PostgreSQL 15 cluster like the tests'.
bench: $(TEST_STAMP)
	scripts/with_postgres.sh $(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
