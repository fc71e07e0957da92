# The two commands of the README:
#   make lab    set up and open JupyterLab on the quickstart notebook (Aer is the default backend)
#   make test   set up and run every test (Python, notebooks, TypeScript, browser)
SHELL := /bin/bash
VENV := .venv
PORT ?= 8888
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test setup test-setup bench bench-quick lint wheel clean

setup:
	@scripts/setup.sh

test-setup:
	@scripts/setup.sh --test

lab: setup
	$(VENV)/bin/jupyter lab --port=$(PORT) $(ROOT_FLAG) notebooks/01-quickstart.ipynb

test: test-setup
	$(VENV)/bin/ruff check qnb tests bench
	cd labextension && npm test --silent
	$(VENV)/bin/python -m pytest tests notebooks --nbval-lax -p no:cacheprovider

bench: setup
	$(VENV)/bin/python -m bench

bench-quick: setup
	$(VENV)/bin/python -m bench --quick

lint: setup
	$(VENV)/bin/ruff check qnb tests bench

# The wheel users install (README, Install), with the JupyterLab extension setup built: dist/
wheel: setup
	$(VENV)/bin/uv build --python $(VENV)/bin/python --out-dir dist

clean:
	rm -rf $(VENV) labextension/node_modules labextension/lib qnb/labextension dist
