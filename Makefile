# Deep Generative Models course — set-up, lab, tests and instructor commands.
#
#   make lab      set everything up and open JupyterLab on the course
#   make test     set everything up and run the whole test suite (quick mode)
#
# Everything is installed into .venv. torch: an interpreter that already has torch (e.g. a
# CUDA build) shares it with the venv; otherwise $(TORCH_SPEC) is installed first, so pip never
# resolves a bare `torch` into multi-GB CUDA wheels on a CPU machine.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=
A ?=
# The real MNIST files, where the course sits next to a `shared/` folder (CI, developers).
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/mnist),)
export DGM_DATA_DIR ?= $(SHARED_DATA)
endif

.PHONY: setup lab test test-fast notebooks release grade feedback export clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@if $(PYTHON) -c "import torch" 2>/dev/null; then \
	    echo "torch found in $(PYTHON): sharing it with $(VENV)"; \
	    $(PYTHON) -m venv --system-site-packages $(VENV); \
	else \
	    $(PYTHON) -m venv $(VENV); \
	fi
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -e ".[course]"
	@touch $@

# Jupyter refuses to run as root unless told (containers, some cloud VMs).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(ALLOW_ROOT) $(LAB_ARGS)

test: setup
	DGM_QUICK=1 $(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: setup
	DGM_QUICK=1 $(BIN)/python -m pytest -m "not slow" --ignore=lectures --ignore=solutions $(PYTEST_ARGS)

# Re-execute the lectures in full mode so the committed outputs are real results. Headless: no
# browser watches these kernels, and a widget built there can leave nbconvert waiting for a
# reply that never comes (seen with lecture 03); the sliders appear when a student runs the cell.
notebooks: setup
	DGM_HEADLESS=1 $(BIN)/jupyter nbconvert --to notebook --execute --inplace lectures/*.ipynb

# Instructor commands (see README, "Instructor guide").
release: setup
	$(BIN)/dgm-instructor release

grade: setup
	@test -n "$(A)" || { echo "usage: make grade A=<assignment id>"; exit 2; }
	$(BIN)/dgm-instructor grade $(A)

feedback: setup
	@test -n "$(A)" || { echo "usage: make feedback A=<assignment id>"; exit 2; }
	$(BIN)/dgm-instructor feedback $(A)

export: setup
	$(BIN)/dgm-instructor export

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
