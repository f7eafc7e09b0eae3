# Hindsight: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lock lint typecheck bench bench-load migrate demo clean e2e audit

# Exactly the versions in requirements.lock, each checked against its hashes (a new upstream release changes
# nothing until `make lock` takes it), then Hindsight itself as an editable install with no dependencies
# (setuptools, its build backend, comes from the lock too, so nothing unpinned is fetched).
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Refresh requirements.lock to the newest releases pyproject.toml allows, for Python 3.11 on Linux x86_64
# (the machines Hindsight is developed, tested and run on), with hashes. `make lock LOCK_UPGRADE=` keeps
# every pin and only adds or drops what pyproject.toml changed. Run `make test` before committing the lock.
LOCK_UPGRADE ?= --upgrade
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes $(LOCK_UPGRADE) \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command "make lock" --quiet -o requirements.lock

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	$(BIN)/python scripts/run_all.py --port $(PORT)

# One pytest-xdist worker per core (PYTEST_WORKERS=0 runs in one process); a test module stays on one worker,
# so module-scoped set-up is built once.
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

audit: install
	$(BIN)/python scripts/audit_dependencies.py --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# mypy with django-stubs and the DRF stubs; what it checks and how strictly is in pyproject.toml ([tool.mypy]).
typecheck: install
	$(BIN)/mypy

bench: migrate
	$(BIN)/python benchmarks/run.py

# A page and its floor under concurrent load, gunicorn on PostgreSQL (see benchmarks/load.py; LOAD_ARGS to choose).
LOAD_ARGS ?= --path '/insights/?start=' --path /insights/ --users 16
bench-load: install
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var
