# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
# Test processes: the suite mostly waits on servers, workers and browsers.
TEST_PROCESSES ?= 2
HOST ?= 127.0.0.1
# The site's own address, in links of e-mails that workers send: the port it runs on.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test lint format messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The site, a Celery worker and beat. Without DATABASE_URL / REDIS_URL: SQLite and an
# embedded broker under ./data. Ctrl-C stops everything.
run: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py ensure_demo_admin
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_sandbox --if-empty --site-url $(SITE_URL)
	SITE_URL=$(SITE_URL) DEBUG=$${DEBUG:-true} $(BIN)/python manage.py run_site --host $(HOST) --port $(PORT)

# Lint, format check, then every test (uses DATABASE_URL / REDIS_URL when set).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist worksteal --durations=30

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the French catalogue after changing user-facing strings (needs gettext).
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages --locale fr --no-obsolete --ignore '.venv/*' --ignore 'data/*' --ignore 'tests/*' --ignore 'test-output/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --locale fr --ignore '.venv/*'

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
