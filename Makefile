# Hindsight: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck bench migrate demo clean e2e audit

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	$(BIN)/python scripts/run_all.py --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) var
