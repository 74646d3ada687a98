# netsim: two commands set up everything on a fresh machine.
#   make run    create .venv (Python >= 3.12), install netsim (runtime dependencies only),
#               run the default scenario
#   make test   create .venv, install netsim with test extras, run the whole test suite
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
# First Python >= 3.12 found: an explicit PYTHON=..., python3.12, python3.13, or a pyenv install.
PYTHON ?= $(shell for p in python3.12 python3.13 python3 $$HOME/.pyenv/versions/3.12*/bin/python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
	  $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1 && { command -v $$p || echo $$p; } && break; done)
EXTRAS ?= dev
# what pip installs: netsim with the extras, or netsim alone when EXTRAS is empty
SPEC = $(if $(strip $(EXTRAS)),.[$(strip $(EXTRAS))],.)
TAG = $(if $(strip $(EXTRAS)),$(strip $(EXTRAS)),base)

.PHONY: help install run test notebooks explore clean
help:
	@echo "make run        - set up (netsim alone) and run the default scenario (netsim run)"
	@echo "make test       - set up and run the test suite"
	@echo "make notebooks  - set up and open the notebooks in JupyterLab"
	@echo "make explore    - set up and start the interactive explorer (netsim explore)"

$(BIN)/.installed-$(TAG): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: netsim needs Python >= 3.12 (set PYTHON=/path/to/python3.12)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e "$(SPEC)"
	@touch $@

install: $(BIN)/.installed-$(TAG)

# running needs netsim and its runtime dependencies only (no explorer, notebooks or tests)
run:
	$(MAKE) install EXTRAS=
	$(BIN)/netsim run $(ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

notebooks:
	$(MAKE) install EXTRAS=notebooks
	$(BIN)/jupyter lab notebooks/ $(ARGS)

explore:
	$(MAKE) install EXTRAS=explore
	$(BIN)/netsim explore $(ARGS)

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
