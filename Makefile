# gfjax: make install (idempotent bootstrap), make test, make run.
VENV   ?= .venv
PY     := $(VENV)/bin/python
MPIEXEC ?= $(VENV)/bin/mpiexec
GPU    ?= 0
# GPU=1: also the CUDA 12 plugin of the same jax version (own stamp, so it installs once)
STAMP  := $(VENV)/.gfjax-installed$(if $(filter 1,$(GPU)),-gpu,)
PYTEST_ARGS ?=

.PHONY: install run test test-all test-fast test-mpi bench clean

install: $(STAMP)

# Re-bootstraps only when the dependency list or the bootstrap itself changes.
$(STAMP): pyproject.toml scripts/bootstrap.sh
	GFJAX_GPU=$(GPU) bash scripts/bootstrap.sh
	touch $(STAMP)

run: install
	$(PY) -m gfjax.run +experiment=muldrow

# What CI runs: the default suite (slow tests deselected), then the MPI tests under 2 ranks.
test: install
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)
	$(MAKE) test-mpi

# Everything, the slow end-to-end and real-data tests included (~25 min on 2 cores).
test-all: install
	$(PY) -m pytest -q $(PYTEST_ARGS)
	$(MAKE) test-mpi

test-fast: test

test-mpi: install
	$(MPIEXEC) -n 2 $(PY) -m pytest -q -p no:cacheprovider tests/mpi

bench: install
	$(PY) benchmarks/offsets.py --json bench_results/offsets.json
	$(PY) benchmarks/msbas.py --json bench_results/msbas.json
	$(PY) benchmarks/scaling.py --json bench_results/scaling.json

clean:
	rm -rf outputs multirun bench_results .pytest_cache
