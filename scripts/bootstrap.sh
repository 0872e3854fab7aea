#!/usr/bin/env bash
# Idempotent bootstrap of the gfjax environment: .venv with every pip package, MPI
# (PyPI mpich inside the venv, so no root/apt is needed) and mpi4jax built against it.
# Re-running it is cheap: each step checks whether it is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
PIP="$VENV/bin/python -m pip --disable-pip-version-check"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[bootstrap] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
$PIP install -q --progress-bar off --upgrade "pip>=24" "setuptools>=82.0.1" wheel "nanobind==3.1.0"

# MPI: prefer an MPI already on the machine (cluster module, Debian openmpi), else PyPI mpich.
if [ -z "${MPICC:-}" ]; then
  if [ -x "$VENV/bin/mpicc" ]; then MPICC="$VENV/bin/mpicc";
  elif [ "${GFJAX_SYSTEM_MPI:-0}" = "1" ] && command -v mpicc >/dev/null; then MPICC=$(command -v mpicc);
  else
    echo "[bootstrap] installing MPI (PyPI mpich) into $VENV"
    $PIP install -q --progress-bar off "mpich==5.0.2"
    MPICC="$VENV/bin/mpicc"
  fi
fi
export PATH="$VENV/bin:$PATH"

echo "[bootstrap] installing gfjax and its dependencies"
$PIP install -q --progress-bar off -e ".[mpi,slurm,bench,test]"

if ! "$VENV/bin/python" -c "import mpi4jax" >/dev/null 2>&1; then
  echo "[bootstrap] building mpi4jax against $MPICC"
  CUDA_PATH=$(mktemp -d) MPI4JAX_BUILD_MPICC="$MPICC" \
    $PIP install -q --progress-bar off --no-build-isolation --no-deps --no-cache-dir "mpi4jax==0.9.1.post2"
fi
"$VENV/bin/python" - <<'PY'
import jax, mpi4py, mpi4jax, gfjax
print(f"[bootstrap] ok: jax {jax.__version__}, mpi4py {mpi4py.__version__}, mpi4jax {mpi4jax.__version__}, gfjax {gfjax.__version__}")
PY
