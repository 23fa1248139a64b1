# One-command set-up: `make run` serves the demo site, `make test` runs the whole suite.
# Both create .venv and install what they need, so a fresh clone with Python 3.11 is enough.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
# Exported so that every command below sees them: the development settings build the links in
# emails and calendar files (WAGTAILADMIN_BASE_URL) from the address runserver serves.
export HOST PORT

.PHONY: run serve worker test test-mariadb lint format check clean mysql-driver bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when the requirement files change.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# The MySQL driver needs the MariaDB/MySQL client headers to build, so it is installed only
# when DATABASE_URL points at MySQL/MariaDB; the SQLite default never needs it.
mysql-driver:
	@case "$$DATABASE_URL" in mysql://*) $(PIP) install -q -r requirements-mysql.txt ;; esac

var:
	mkdir -p var/static

# Serves the site, and next to it the email worker (django-tasks' db_worker) and a loop that
# every minute releases lapsed holds, reconciles payments with Stripe (a no-op without keys),
# sends due reminders and retries failed emails and webhooks. Ctrl-C stops all three.
# Without REDIS_URL the cache (rate-limit counters, one-time codes) is a database table that the
# server, the worker and the reminder loop share; createcachetable makes it (idempotent).
# The worker runs with --verbosity 0: at its default it logs two lines per task (every email,
# every Wagtail index update), which buried the emails and errors the console is for; the
# portal's own loggers still print warnings and errors, and emails still print in full.
run: $(VENV)/.installed var mysql-driver
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_demo
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py db_worker --no-reload --interval 2 --verbosity 0 & \
	( while true; do $(PY) manage.py expire_holds; $(PY) manage.py reconcile_payments; $(PY) manage.py send_reminders; $(PY) manage.py retry_notifications; $(PY) manage.py retry_webhooks; sleep 60; done ) & \
	$(PY) manage.py runserver $(HOST):$(PORT)

serve: $(VENV)/.installed var mysql-driver
	$(PY) manage.py createcachetable
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: $(VENV)/.installed var mysql-driver
	$(PY) manage.py createcachetable
	$(PY) manage.py db_worker

# The browser journeys run in a process of their own: Playwright keeps an event loop running in
# the test thread, and sharing one in-memory test database with the rest of the suite made the
# database's initial Wagtail rows vanish for them (see tests/browser/conftest.py).
test: $(VENV)/.installed-dev var mysql-driver
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

test-mariadb:
	DATABASE_URL=mysql://root@127.0.0.1:3306/clinic $(MAKE) test

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal home booking
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(VENV)/.installed-dev var
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		WAGTAILADMIN_BASE_URL=https://clinic.example ALLOWED_HOSTS=clinic.example \
		ATTACHMENT_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
		JWT_PRIVATE_KEY="$$($(PY) -c 'from cryptography.hazmat.primitives import serialization as s; from cryptography.hazmat.primitives.asymmetric import rsa; print(rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()).decode())')" \
		$(PY) manage.py check --deploy --fail-level WARNING

# Every page's requests/s, p50/p99 and ratio to a trivial view, in gunicorn with production settings
# (bench/README.md). SQLite under var/bench/ unless DATABASE_URL says otherwise; REDIS_URL for Redis.
# Needs Debian's wrk (apt-get install wrk). BENCH_ARGS, e.g. "--doctors 1000 --appointments 1000000".
bench: $(VENV)/.installed var mysql-driver
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
