# Two commands are all a learner needs (see README.md):
#   make lab    create .venv, install the course, open JupyterLab on course/
#   make test   create .venv, install the course and its tests, run every test
# Needs only Python 3.10+ and make. The set-up is idempotent: a stamp file
# remembers the last install and is redone only when pyproject.toml changes.

# The Python that creates .venv; resolved now, before .venv/bin joins PATH below.
PYTHON ?= python3
BOOTSTRAP_PYTHON := $(shell command -v $(PYTHON) 2>/dev/null)

VENV := .venv
VENV_PY := $(VENV)/bin/python
PIP := $(VENV_PY) -m pip --disable-pip-version-check

# Commands run by the recipes find the venv's programs first (nbgrader, for
# one, starts `alembic` by name and fails if .venv/bin is not on PATH).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# Extra arguments, e.g. make test PYTEST_ARGS="-m 'not slow' -x"
#                      make lab LAB_ARGS="--port 8899 --no-browser"
PYTEST_ARGS ?=
LAB_ARGS ?=
# Extra benchmark arguments, e.g. make bench BENCH_ARGS="--quick" or BENCH_ARGS="--only memory"
BENCH_ARGS ?=

.PHONY: help lab test torch bench clean distclean

help:
	@echo "make lab     set up .venv and open the course in JupyterLab"
	@echo "make test    set up .venv and run every test (notebooks included)"
	@echo "make torch   install PyTorch 2.13.0 (CPU) into .venv for the live parity tests"
	@echo "make bench   install the benchmark extras and run benchmarks/run_all.py"
	@echo "make clean   remove caches;  make distclean  also remove .venv"

# A learner's JupyterLab (coursekit/lab.py): the repository as its root, the
# file browser on course/, no instructor tools (nbgrader), no news pop-up.
lab: $(VENV)/.installed
	$(VENV_PY) -m coursekit.lab $(LAB_ARGS)

test: $(VENV)/.installed
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

# Exactly this pin: an unpinned torch pulls a multi-GB CUDA build.
torch: $(VENV)/.torch-installed

bench: $(VENV)/.bench-installed
	@if [ -f benchmarks/run_all.py ]; then \
		$(VENV_PY) benchmarks/run_all.py $(BENCH_ARGS); \
	else \
		echo "No benchmarks yet: benchmarks/run_all.py does not exist."; \
	fi

$(VENV_PY):
	@if [ -z "$(BOOTSTRAP_PYTHON)" ]; then \
		echo "Python 3.10+ is needed: '$(PYTHON)' was not found (try make PYTHON=python3.11 ...)."; \
		exit 1; \
	fi
	@$(BOOTSTRAP_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { \
		echo "Python 3.10+ is needed; $(BOOTSTRAP_PYTHON) is $$($(BOOTSTRAP_PYTHON) -V 2>&1)."; \
		exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV) || { \
		echo "Could not create $(VENV). On Debian/Ubuntu: apt-get install python3-venv"; \
		rm -rf $(VENV); exit 1; }

# The stamp is newer than pyproject.toml after a successful install, so a
# second `make lab`/`make test` goes straight to work.
# The test extra brings nbgrader into the same environment: its lab and server
# extensions are turned off for this environment (a learner sees no instructor
# tools), and so is JupyterLab's news pop-up. See coursekit/lab.py.
$(VENV)/.installed: pyproject.toml | $(VENV_PY)
	$(PIP) install -e ".[course,test]"
	$(VENV_PY) -m coursekit.lab --settings-only
	@touch $@

$(VENV)/.torch-installed: $(VENV)/.installed
	$(PIP) install "torch==2.13.0"
	@touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PIP) install -e ".[bench]"
	@touch $@

clean:
	rm -rf .pytest_cache .hypothesis .ruff_cache build *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
