# The README's two commands: `make demo` (set up + a real training run) and
# `make test` (set up + the test suite). Everything installs into .venv.
#
# torch is installed first, on its own, because a bare `torch` requirement can pull a
# multi-GB CUDA build. CUDA users: make demo TORCH_SPEC=torch==2.13.0 \
#   TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu126"

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.gnnlib-installed

# Offline benchmark data beside the checkout (read-only); processed files go to datasets/.
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(origin GNNLIB_DATA), undefined)
ifneq ($(wildcard $(SHARED_DATA)),)
export GNNLIB_DATA := $(SHARED_DATA)
endif
endif

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/gnnlib run experiments/node/gcn_cora.yaml --out runs/demo-gcn-cora

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/adjacency_forms.py

lint: setup
	$(BIN)/ruff check gnnlib tests benchmarks

clean:
	rm -rf $(VENV) runs
