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

# GFJAX_GPU=1 (make install GPU=1): also the CUDA 12 plugin of the same jax version (extra cuda12).
EXTRAS="slurm,bench,test"
if [ "${GFJAX_GPU:-0}" = "1" ]; then EXTRAS="$EXTRAS,cuda12"; fi

# The pins of the `mpi` extra, read from pyproject.toml (one place for versions).
mpi_requirement() {
  "$VENV/bin/python" - "$1" <<'PY'
import sys, tomllib
reqs = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["mpi"]
print(next(r for r in reqs if r.split("=")[0].split(">")[0].split("<")[0].strip() == sys.argv[1]))
PY
}

echo "[bootstrap] installing gfjax and its dependencies (extras: $EXTRAS)"
$PIP install -q --progress-bar off -e ".[$EXTRAS]" "$(mpi_requirement mpi4py)"

# mpi4jax is source-only and must be built against this jax and this MPI, without build
# isolation (which would compile it against the newest jax) and with an empty CUDA_PATH (a
# wrapper nvcc would otherwise be found): build it before pip resolves the `mpi` extra.
if ! "$VENV/bin/python" -c "import mpi4jax" >/dev/null 2>&1; then
  echo "[bootstrap] building mpi4jax against $MPICC"
  CUDA_PATH=$(mktemp -d) MPI4JAX_BUILD_MPICC="$MPICC" \
    $PIP install -q --progress-bar off --no-build-isolation --no-deps --no-cache-dir "$(mpi_requirement mpi4jax)"
fi
$PIP install -q --progress-bar off -e ".[mpi,$EXTRAS]"   # the mpi extra is now satisfied: records it

# Debian packages for the report page's browser test (chromium) and the MP4 animation (ffmpeg):
# installed only where apt-get exists and we are root (CI); elsewhere, or with GFJAX_NO_APT=1,
# nothing happens: the browser test skips with its reason and the animation is GIF only.
if [ "${GFJAX_NO_APT:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
  if [ -n "$missing" ]; then
    echo "[bootstrap] installing$missing (apt)"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; } >/dev/null 2>&1 \
      || echo "[bootstrap] warning: apt could not install$missing (browser test skips; animation GIF only)"
  fi
fi
"$VENV/bin/python" - "${GFJAX_GPU:-0}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version

import gfjax, jax, mpi4jax, mpi4py

print(f"[bootstrap] ok: jax {jax.__version__}, mpi4py {mpi4py.__version__}, mpi4jax {mpi4jax.__version__}, gfjax {gfjax.__version__}")
if sys.argv[1] == "1":
    try:
        plugin = version("jax-cuda12-plugin")
    except PackageNotFoundError:
        sys.exit("[bootstrap] GPU=1: jax-cuda12-plugin is not installed")
    if plugin != jax.__version__:
        sys.exit(f"[bootstrap] GPU=1: jax-cuda12-plugin {plugin} does not match jax {jax.__version__}")
    try:
        devices = jax.devices("gpu")
    except RuntimeError as err:
        devices = f"none visible here ({err})"
    print(f"[bootstrap] GPU: jax-cuda12-plugin {plugin}; devices: {devices}")
PY
