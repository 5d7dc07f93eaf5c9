# 府院联动平台 — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app run
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: screens translations run test test-sqlite test-postgres install install-dev fonts migrate seed admin serve bench clean

# The pinned requirements are installed by uv (UV_VERSION, itself installed into the virtualenv by pip),
# bytecode compiled as pip does: a new virtualenv in about 20–30 s where pip took 40–50. Where uv cannot
# be had or cannot reach the index (it does not read pip's configuration), pip installs the same pins.
UV_VERSION ?= 0.13.9
PIP_INSTALL = { $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(1) \
                || $(BIN)/python -m pip install --quiet $(1); }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) || true

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(call PIP_INSTALL,-r requirements.txt)
	touch $@

# requirements-dev.txt includes requirements.txt: one install (one bytecode pass) serves both stamps
$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(BIN)/python
	$(call PIP_INSTALL,-r requirements-dev.txt)
	touch $(VENV)/.installed $@

# Chinese for FAB's own strings: app/translations/*/LC_MESSAGES/*.po → .mo (the app also does it at start).
translations: $(VENV)/.installed
	$(BIN)/python -m app.i18n

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The Fandol faces (Debian: texlive-lang-chinese) converted once to TrueType for the PDFs, cached in
# $(PDF_FONT_CACHE) (default instance/fonts) under names keyed by source and fontTools version; a
# second run only checks the cache. Without texlive-lang-chinese it says so and the PDFs use AR PL faces.
fonts: install
	$(BIN)/python -m app.pdf.fontbuild

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed load

# Creates the first administrator when ADMIN_USERNAME and ADMIN_PASSWORD are set (skipped if it exists).
admin: seed
	@if [ -n "$$ADMIN_USERNAME" ] && [ -n "$$ADMIN_PASSWORD" ]; then \
	  $(FLASK) users add --username "$$ADMIN_USERNAME" --password "$$ADMIN_PASSWORD" --role Admin \
	    || echo "（管理员 $$ADMIN_USERNAME 已存在或未创建，见上方提示）"; \
	fi

# Install, migrate, load reference data, create the first admin, serve on HOST:PORT. Data is kept between runs.
run: admin fonts
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py

# Production serving: gunicorn with WEB_WORKERS workers against DATABASE_URL (see docs/performance.md).
# It does not migrate: with several app servers, run `make migrate` (flask db upgrade) once, from one host.
serve: install fonts
	$(BIN)/gunicorn --workers $${WEB_WORKERS:-4} --bind $(HOST):$(PORT) --access-logfile - \
	  --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" --timeout 60 --graceful-timeout 30 \
	  --max-requests 2000 --max-requests-jitter 200 'run:app'

# The whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is reachable (CI sets it), in
# PYTEST_WORKERS processes (pytest-xdist, whole test files per process, the longest first as
# tests/conftest.py orders them; 0 runs it in this one). See docs/development.md.
PYTEST_WORKERS ?= 2
test: install-dev fonts
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder tests

# Screenshots of the main pages at 1280, 1440 and 390 px for a person to look at (test-artifacts/screens/).
screens: install-dev fonts
	$(BIN)/python -m pytest -q -p no:cacheprovider -m screens tests/test_journeys_clerk.py

# Speed at scale: a fresh database of BENCH_CASES demo cases per backend, every main page timed (bench/results/).
bench: install-dev
	$(BIN)/python bench/run_bench.py --cases $${BENCH_CASES:-20000} --db $${BENCH_DB:-both}

clean:
	rm -rf $(VENV) .pytest_cache
