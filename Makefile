# Panes: `make run` serves the demo, `make test` runs the suite, `make test-fast` the everyday part
# of it. All set up what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1
ECHARTS := static/vendor/echarts.common.min.js

.PHONY: run test test-fast typecheck messages setup venv assets browser-deps serve bench clean

run: setup
	$(PY) scripts/write_env.py .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	@echo "Panes demo on http://$(HOST):$(PORT)/  (logins in README.md)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production-style serving: gunicorn + WhiteNoise with hashed, compressed static files.
# With several workers on embedded chDB the pipe API runs in one process of its own (config/pipes_host.py).
serve: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	PORT=$(PORT) HOST=$(HOST) $(VENV)/bin/gunicorn -c config/gunicorn.conf.py config.wsgi

# pytest-xdist workers; each has its own test databases, live servers, chromium and Redis database
# (tests/conftest.py), and keeps a test file whole so a module's server starts once.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadfile

# Everything, browser and slow tests included; the "ci" hypothesis profile when CI is set.
test: setup browser-deps
	$(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

# The everyday command (under a minute): no browser or slow tests, the quick hypothesis profile.
test-fast: setup
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} $(VENV)/bin/pytest $(XDIST) -m "not browser and not slow" $(PYTEST_ARGS)

# mypy with django-stubs (mypy.ini); .ci/run runs it before the suite.
typecheck: venv
	$(VENV)/bin/mypy

# Translations: extract the marked strings of both domains into locale/{de,pl} (templates and
# Python: django; static/charts: djangojs), then compile the .mo files (committed: a fresh machine
# needs no gettext). Needs GNU gettext. tests/test_translations.py fails when a pass is missing.
MESSAGE_LANGS   := -l de -l pl
MESSAGE_IGNORES := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor --ignore='*.min.js' \
                   --ignore=tests --ignore=test-output --ignore=bench
messages: venv
	$(PY) manage.py makemessages $(MESSAGE_LANGS) -d django --no-obsolete $(MESSAGE_IGNORES)
	$(PY) manage.py makemessages $(MESSAGE_LANGS) -d djangojs --no-obsolete $(MESSAGE_IGNORES)
	$(PY) manage.py compilemessages $(MESSAGE_LANGS) --ignore=.venv

bench: setup browser-deps
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py $(BENCH_ARGS)

setup: venv assets .env

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

assets: $(ECHARTS)
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
$(ECHARTS): node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/echarts/dist/echarts.common.min.js $@

.env:
	$(PY) scripts/write_env.py .env

# Browser tests drive Debian's chromium; install it when missing (CI runs as root).
browser-deps:
	@test -x /usr/bin/chromium || { \
	  echo "Installing chromium from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles test-output
