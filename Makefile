# codeclab — the two commands first: `make demo` and `make test`. Everything else comes after.
PYTHON ?= python
PIP := $(PYTHON) -m pip
export WANDB_MODE ?= offline
export PYTHONUNBUFFERED := 1

DEMO_DIR ?= outputs/demo
DEMO_ARGS ?=
SWEEP_DIR ?=
GRID ?= quantizers
PRESET ?=
LAUNCHER ?= basic
ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: setup setup-dev setup-interop demo train evaluate test test-slow lint format ablate bench clean-demo

# Installs everything. torch==2.13.0 FIRST (the CPU wheel on disk): a plain `torch` requirement with no
# torch installed would pull several GB of CUDA packages. resemblyzer is installed without its deps
# because it asks for `webrtcvad` (needs a compiler and Python.h); `webrtcvad-wheels` provides the module.
setup: .setup.stamp
.setup.stamp: pyproject.toml Makefile
	$(PIP) install torch==2.13.0
	$(PIP) install "setuptools<81" webrtcvad-wheels numpy
	$(PIP) install --no-deps resemblyzer
	$(PIP) install -e .
	touch $@

# The test tools on top (pytest, nbclient, and pysptk + fastdtw for the MCD cross-check; sdists, built here).
setup-dev: .setup-dev.stamp
.setup-dev.stamp: .setup.stamp
	$(PIP) install -e ".[dev]"
	touch $@

# The `interop` extra (published checkpoints: src.convert / src.export and their tests): transformers
# normally; the official codec packages --no-deps, since they ask for torchaudio / audiotools / CUDA wheels
# that their model code never calls (docs/published_checkpoints.md).
setup-interop: .setup.stamp
	$(PIP) install "transformers>=4.40" einops
	$(PIP) install --no-deps descript-audio-codec encodec vocos stable-audio-tools

# Synthesize the demo corpus, train the default small codec on CPU, evaluate it, print the table.
demo: setup
	$(PYTHON) -m src.data.demo
	rm -rf $(DEMO_DIR)
	$(PYTHON) -m src.train preset=demo hydra.run.dir=$(DEMO_DIR) $(DEMO_ARGS)
	$(PYTHON) -m src.evaluate run_dir=$(DEMO_DIR)
	for b in 6000 8000 12000; do $(PYTHON) -m src.baseline codec=opus bitrate=$$b metrics=fast \
	  out=$(DEMO_DIR)/opus-$$b || exit 1; done
	$(PYTHON) -m src.baseline.table $(DEMO_DIR)/eval/metrics.json $(DEMO_DIR)/opus-6000 $(DEMO_DIR)/opus-8000 \
	  $(DEMO_DIR)/opus-12000

train: setup
	$(PYTHON) -m src.train $(ARGS)

evaluate: setup
	$(PYTHON) -m src.evaluate $(ARGS)

# The default suite (< ~15 min on 2 cores); heavier tests are marked `slow`.
test: setup-dev
	$(PYTHON) -m pytest -m "not slow" -n $(PYTEST_WORKERS) --dist loadfile -q

test-slow: setup-dev
	$(PYTHON) -m pytest -m slow -q

# One style (pyproject.toml [tool.ruff]): the lint with the line-length rule (E501) on, and the formatter's
# check. The same checks run in .pre-commit-config.yaml. `make format` rewrites the files.
lint:
	$(PYTHON) -m ruff check src tests
	$(PYTHON) -m ruff format --check src tests

format:
	$(PYTHON) -m ruff format src tests

# A Hydra multirun grid (experiments/ablation/$(GRID).yaml), then the sweep report (also when jobs failed).
# The jobs and the report go to SWEEP_DIR, or to hydra.sweep.dir=... given in ARGS (that one wins), else to
# multirun/$(GRID)/<date>_<time>. Fails (non-zero) when any job or the report failed.
ablate: setup
	@set -f; sweep='$(SWEEP_DIR)'; \
	for arg in $(ARGS); do case "$$arg" in hydra.sweep.dir=*) sweep="$${arg#hydra.sweep.dir=}";; esac; done; \
	sweep="$${sweep:-multirun/$(GRID)/$$(date +%Y-%m-%d_%H-%M-%S)}"; status=0; \
	$(PYTHON) -m src.train ablation=$(GRID) $(if $(PRESET),preset=$(PRESET)) hydra/launcher=$(LAUNCHER) \
	  $(if $(findstring hydra.sweep.dir=,$(ARGS)),,hydra.sweep.dir="$$sweep") $(ARGS) || status=$$?; \
	$(PYTHON) -m src.report "$$sweep" || { rc=$$?; echo "ablate: the report of $$sweep failed (exit $$rc)" >&2; \
	  [ $$status -ne 0 ] || status=$$rc; }; \
	if [ -f "$$sweep/report/report.md" ]; then echo "ablate: report in $$sweep/report/ (report.md, report.csv, plots)"; \
	else echo "ablate: no report written for $$sweep" >&2; fi; \
	if [ $$status -ne 0 ]; then echo "ablate: FAILED (exit $$status); failed jobs keep their traceback in $$sweep/<job>/error.txt" >&2; fi; \
	exit $$status

bench: setup
	$(PYTHON) -m src.bench $(ARGS)
