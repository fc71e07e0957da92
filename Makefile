# The two commands of the README:
#   make lab    set up and open JupyterLab on the quickstart notebook (Aer is the default backend)
#   make test   set up and run every test (Python, notebooks, TypeScript, browser)
SHELL := /bin/bash
VENV := .venv
PORT ?= 8888
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

PG_TESTS := tests/test_submit.py tests/test_runner.py tests/test_cli.py tests/test_rest.py \
	tests/test_jobs_at_scale.py tests/test_usage.py tests/test_primitives.py \
	tests/test_waiters.py tests/test_progress.py tests/test_remote_delayed.py \
	tests/test_transfer.py tests/test_teams.py tests/test_rest_teams.py

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
	# the same interfaces once more with every test's store on PostgreSQL (a real server the
	# tests start); the contract suite and the multi-runner tests ran on it above already
	QNB_TEST_STORE=postgresql $(VENV)/bin/python -m pytest -p no:cacheprovider $(PG_TESTS)

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
