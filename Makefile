# factcheck: `make run` starts the app with the seed data; `make test` runs the suite.
# Both install what they need first. With DATABASE_URL unset they use a private
# PostgreSQL kept in .pgdata/ (see README).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test coverage mutants lint format migrations-check schema-check browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_seeds
	$(BIN)/python manage.py demo_users --base-url http://$(HOST):$(PORT)
	FACTCHECK_PUBLIC_URL=$${FACTCHECK_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: gunicorn with the production settings (SECRET_KEY, DATABASE_URL,
# ALLOWED_HOSTS and REDIS_URL must be set; see README). Static files are served by
# the app (WhiteNoise) from staticfiles/, collected here first.
serve: install
	DJANGO_SETTINGS_MODULE=factcheck.settings.production $(BIN)/python manage.py collectstatic --no-input -v 0
	DJANGO_SETTINGS_MODULE=factcheck.settings.production $(BIN)/python manage.py migrate --no-input
	DJANGO_SETTINGS_MODULE=factcheck.settings.production $(BIN)/gunicorn -c factcheck/gunicorn.conf.py

# Chromium from the system's packages drives the admin tests; install it if missing.
browser:
	@test -x /usr/bin/chromium || ./scripts/install-chromium

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Line and branch coverage of the whole suite (htmlcov/ for the details).
coverage: install browser
	$(BIN)/python -m pytest --cov --cov-branch --cov-report=term:skip-covered --cov-report=html $(PYTEST_ARGS)

# Mutation testing (mutmut) of the graph, the services, the access policy and search:
# each mutant is run against the tests that cover it. Slow: run it by hand, not in CI.
mutants: install
	TEST_DATABASE_SLOTS=2 $(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

schema-check: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# The app over HTTP beside its floor (README, "Measuring"); the corpus is built once per size.
BENCH_CLAIMS ?= 100000
BENCH_SECONDS ?= 5
BENCH_CLIENTS ?= 2
bench: install
	$(BIN)/python scripts/bench.py --claims $(BENCH_CLAIMS) --seconds $(BENCH_SECONDS) --clients $(BENCH_CLIENTS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache mutants htmlcov .coverage
