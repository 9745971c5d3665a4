# The two commands a new user needs are `make demo` and `make test`; both set everything up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the project uses: the World English Bible SWORD module (the `gospels` data set),
# Chromium, which the tests use to check the HTML report, and g++, which builds the C++ kernels (the
# recurrent layers' time loops, the lazy optimizer rows, LeNet's convolutions; without a compiler sweepstat
# warns once and runs slower torch ops).
APT_PACKAGES := sword-text-web chromium g++
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-slow lint bench setup system-packages clean

demo: setup
	$(BIN)/sweepstat run studies/demo.yaml

test: setup
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy src
	$(BIN)/pytest -q

test-slow: setup
	$(BIN)/pytest -q -m slow

lint: setup
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy src

# Issue 6: sweepstat vs Keras/TensorFlow (installed once into .bench-venv, never a dependency) and plain
# PyTorch on the workloads W1–W4, with the machine's GEMM peak and bandwidth; writes BENCHMARKS.md.
# A quick smoke test of a few minutes: make bench BENCH_ARGS=--quick
BENCH_ARGS ?=
bench: setup
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

setup: system-packages $(STAMP)

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "error: needs the Debian packages:$$missing (no apt-get here; install them by hand)"; exit 2; fi; \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "error: needs Python 3.11 (python3.11 on PATH)"; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "error: needs Python 3.11; $(PYTHON) is $$($(PYTHON) -V) (set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@echo "building the C++ kernels (once per machine, cached by torch)"
	$(BIN)/python -c 'from sweepstat.models import build_cpu_kernels; build_cpu_kernels()'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
