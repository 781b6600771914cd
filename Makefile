# The two commands a newcomer needs (see README): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test install install-dev bench score clean-store

$(VENV)/.installed: requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -r requirements-nodeps.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Install, then open the dashboard on the seeds (scored on first start).
run: install
	$(PY) -m streamlit run streamlit_app.py

## Install, then run every test (the real model, AppTest and headless Chromium included).
test: install-dev
	$(PY) -m pytest

bench: install
	$(PY) -m dashboard bench

clean-store:
	rm -rf data
