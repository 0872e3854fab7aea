"""Packaging: the wheel (not the editable checkout) carries everything a run needs, and the
dependencies in pyproject.toml are declared as the code uses them.

The wheel test installs the wheel into a fresh virtual environment that reuses this
environment's installed packages (a ``.pth`` line to its site-packages, so nothing is
downloaded), then runs ``gfjax-run`` from a folder outside the checkout.
"""
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

# A whole chain in about a minute on 2 CPU cores: 2017's summer, coarse pixels, a 500 m grid.
TINY = ["+experiment=muldrow", "scene.pixel_scale=8", "scene.grid_spacing_m=500", "scene.start=2017-06-01",
        "scene.end=2017-08-15", "offsets.window=[16,32]", "offsets.step=[8,16]", "offsets.search=[6,6]",
        "offsets.oversample=1", "msbas.lam_candidates=[]", "msbas.select_lam=fixed", "products.figures=false",
        "products.animation=false"]


def _requirements(reqs, python):
    """Requirements of ``reqs`` that apply on Python ``python`` ("3.11"), by name."""
    out = {}
    for text in reqs:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"python_version": python, "python_full_version": python + ".0"}):
            out[canonicalize_name(req.name)] = req
    return out


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_jax_is_pinned_by_python_version(python):
    core = _requirements(PROJECT["dependencies"], python)
    jax = core["jax"]
    if python == "3.11":  # the newest jax for Python 3.11, tested here
        assert str(jax.specifier) == "==0.10.2" and str(core["jaxlib"].specifier) == "==0.10.2"
    else:  # a current jax
        assert jax.specifier.contains("0.12.1") and not jax.specifier.contains("0.10.2")
    # the GPU extra asks for the CUDA plugin of exactly the jax the core allows
    cuda = _requirements(PROJECT["optional-dependencies"]["cuda12"], python)["jax"]
    assert cuda.extras == {"cuda12"} and cuda.specifier == jax.specifier


def test_running_python_gets_the_pinned_jax():
    import jax

    core = _requirements(PROJECT["dependencies"], f"{sys.version_info.major}.{sys.version_info.minor}")
    assert core["jax"].specifier.contains(jax.__version__)


# distribution -> how gfjax uses it: an import name, or an xarray NetCDF engine name
USES = {"jax": "import jax", "jaxlib": None, "numpy": "import numpy", "scipy": "import scipy",
        "matplotlib": "import matplotlib", "xarray": "import xarray", "h5py": "import h5py",
        "h5netcdf": 'engine="h5netcdf"', "netcdf4": 'engine="netcdf4"', "pyproj": "import pyproj",
        "rasterio": "import rasterio", "hydra-core": "import hydra", "omegaconf": "import omegaconf",
        "pyyaml": "import yaml", "tqdm": "import tqdm", "pillow": "import PIL",
        "mpi4py": "import mpi4py", "mpi4jax": "import mpi4jax", "asf-search": "import asf_search",
        "bokeh": "import bokeh", "xarray-sentinel": "import xarray_sentinel"}


def _source_uses(snippet: str) -> bool:
    name = snippet.split()[-1]
    pattern = (rf"^\s*(import|from) {re.escape(name)}\b" if snippet.startswith("import ")
               else re.escape(snippet))
    return any(re.search(pattern, p.read_text(), re.M) for p in (REPO / "gfjax").rglob("*.py"))


def test_every_runtime_dependency_is_used():
    """Each dependency (core and the mpi/asf extras) is imported by gfjax (or is its NetCDF
    engine); jaxlib only pins jax's backend on Python 3.11."""
    reqs = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["mpi"] + PROJECT["optional-dependencies"]["asf"]
    names = {canonicalize_name(Requirement(r).name) for r in reqs}
    unknown = names - set(USES)
    assert not unknown, f"add {unknown} to USES with how gfjax uses them"
    unused = [n for n in sorted(names) if USES[n] and not _source_uses(USES[n])]
    assert not unused, f"declared but not used by gfjax/: {unused}"


def test_package_data_covers_the_config_tree():
    """Every file of gfjax/conf and gfjax/data matches a package-data pattern."""
    import fnmatch

    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["gfjax"]
    pkg = REPO / "gfjax"
    files = [p.relative_to(pkg).as_posix() for d in ("conf", "data") for p in (pkg / d).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert any(f.startswith("conf/experiment/") for f in files)
    missing = [f for f in files
               if not any(fnmatch.fnmatch(f, pat.replace("**/", "*/")) or fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert not missing, f"not shipped in the wheel: {missing}"


def _site_packages() -> Path:
    import jax

    return Path(jax.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, venv bin folder) with gfjax installed from a freshly built wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # build from a copy: no build/ or egg-info left in the checkout
    shutil.copytree(REPO / "gfjax", src / "gfjax", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--no-cache-dir", "-q", "-w", str(tmp / "dist"), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (tmp / "dist").glob("gfjax-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for needed in ("gfjax/conf/config.yaml", "gfjax/conf/experiment/muldrow.yaml",
                   "gfjax/conf/hydra/launcher/slurm.yaml", "gfjax/conf/offsets/default.yaml"):
        assert needed in names, f"{needed} missing from {wheel.name}"
    assert not any(n.startswith(("tests/", "conf/")) for n in names)

    venv = tmp / "venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # this environment's packages (jax, hydra, pip ...) after the venv's own; a path added by a
    # .pth line has its own .pth files (the checkout's editable hook) NOT processed
    (site / "reuse_test_env.pth").write_text(str(_site_packages()) + "\n")
    inst = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    return python, venv / "bin"


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return dict(env, MPLBACKEND="Agg", HYDRA_FULL_ERROR="0", **extra)


@pytest.mark.slow
def test_wheel_runs_from_any_folder(installed, tmp_path):
    python, bin_dir = installed
    where = subprocess.run([str(python), "-c", "import gfjax, gfjax.config as c; print(gfjax.__file__); print(c.CONF_DIR)"],
                           cwd=tmp_path, capture_output=True, text=True, env=_clean_env(), check=True).stdout.split()
    assert all(Path(p).is_relative_to(python.parents[1]) for p in where), f"not the wheel's gfjax: {where}"

    help_ = subprocess.run([str(bin_dir / "gfjax-run"), "--help"], cwd=tmp_path, capture_output=True, text=True,
                           env=_clean_env(), timeout=300)
    assert help_.returncode == 0, help_.stderr
    assert "SIMULATED" in help_.stdout and "experiment: autorift_inputs, msbas_inputs, muldrow" in help_.stdout

    run = subprocess.run([str(bin_dir / "gfjax-run"), *TINY], cwd=tmp_path, capture_output=True, text=True,
                         env=_clean_env(), timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = tmp_path / "outputs" / "muldrow"
    assert (out / "products" / "timeseries.nc").is_file() and (out / "products" / "mean_velocity.nc").is_file()
    import json

    report = json.loads((out / "report.json").read_text())
    assert [report["stages"][s]["status"] for s in ("scene", "offsets", "geocode", "msbas", "products")] == ["done"] * 5
