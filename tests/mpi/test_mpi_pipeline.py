"""The pipeline under MPI (``parallel=mpi``, run by ``make test`` under ``mpiexec -n 2``) gives
the same per-pair offsets and MSBAS time series as one process on a tiny scene (11 pairs, two
tracks: with 2 ranks each rank gets one whole track, so no pair loses its previous-pair prior).

Both ranks run ``python -m gfjax.run`` in-process (runpy, a patched argv) into one
shared run directory; meanwhile rank 0 runs the single-process reference in a subprocess (MPI
environment removed), then compares. 25-65 s on 2 shared cores. Skipped in a single process."""
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import numpy as np
import pytest
from cli import start

mpi4py = pytest.importorskip("mpi4py", reason="mpi4py is not installed (make install builds it)")
from mpi4py import MPI  # noqa: E402

COMM = MPI.COMM_WORLD
pytestmark = [
    pytest.mark.mpi,
    pytest.mark.slow,  # 25-65 s on 2 shared cores
    # a rank stuck past this raises in the fixture, which aborts every rank (no silent hang)
    pytest.mark.timeout(600, method="signal"),
    pytest.mark.skipif(COMM.Get_size() < 2, reason="needs >= 2 MPI ranks: run under mpiexec -n 2"),
]

REPO = Path(__file__).resolve().parents[2]
# +experiment=muldrow made tiny (dates pinned: 11 pairs; λ from the L-curve, split over the ranks)
TINY = ["+experiment=muldrow", "scene.pixel_scale=8", "scene.grid_spacing_m=500", "geometry.grid_spacing_m=500",
        "scene.margin_m=2000", "scene.start=2014-10-22", "scene.end=2021-11-18", "scene.date_step=24",
        "offsets.window=[32,32]", "offsets.step=[16,32]", "offsets.search=[6,6]",
        "msbas.select_lam=lcurve", "msbas.lam_candidates=[0.001,0.003,0.01,0.03,0.1]",
        "products.figures=false", "products.animation=false", "output.keep_intermediates=true",
        "stages=[scene,offsets,geocode,msbas]"]
MPI_ENV_PREFIXES = ("PMI_", "PMIX_", "MPI_", "MPICH_", "HYDRA_", "HYDI_", "OMPI_", "I_MPI_")


def _shared_tmp() -> Path:
    path = tempfile.mkdtemp(prefix="gfjax-mpi-") if COMM.Get_rank() == 0 else None
    return Path(COMM.bcast(path, root=0))


def _start_single_process_reference(root: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(MPI_ENV_PREFIXES)}
    env.update(JAX_PLATFORMS="cpu")
    return start(REPO, *TINY, "parallel=single", f"output.root={root}", root=False, env=env)


def _finish(proc: subprocess.Popen, root: Path) -> Path:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    return root / "muldrow"


def _pair_files(run: Path) -> dict:
    folders = list((run / "work").glob("offsets-*"))
    assert len(folders) == 1, f"expected one offsets folder in {run / 'work'}, got {folders}"
    return {f.name: f for f in folders[0].glob("*.nc")}


@pytest.fixture(scope="module")
def runs():
    root = _shared_tmp()
    # rank 0 runs the single-process reference side by side with the MPI run
    ref = _start_single_process_reference(root / "single") if COMM.Get_rank() == 0 else None
    try:
        # the MPI run: every rank runs `python -m gfjax.run` (as __main__, so that Hydra finds
        # gfjax/conf/ the same way) into the same run directory
        argv = sys.argv
        sys.argv = ["gfjax.run", *TINY, "parallel=mpi", f"output.root={root / 'mpi'}"]
        try:
            runpy.run_module("gfjax.run", run_name="__main__", alter_sys=False)
        finally:
            sys.argv = argv
        COMM.Barrier()
        single = _finish(ref, root / "single") if ref is not None else None
    except BaseException:  # a rank stuck in a collective would hang the other one
        traceback.print_exc()
        sys.stderr.flush()
        COMM.Abort(1)
    COMM.Barrier()
    yield root / "mpi" / "muldrow", single
    COMM.Barrier()
    if COMM.Get_rank() == 0:
        shutil.rmtree(root, ignore_errors=True)


def test_mpi_run_writes_one_set_of_products(runs):
    mpi_run, _ = runs
    if COMM.Get_rank() != 0:
        return
    assert (mpi_run / "report.json").is_file()
    assert (mpi_run / "products" / "timeseries.nc").is_file()
    assert len(_pair_files(mpi_run)) == 11, "11 pairs in the tiny scene"
    assert not list(mpi_run.rglob("*.tmp*")), "temporary files left behind"


def test_per_pair_offsets_equal_single_process(runs):
    import xarray as xr

    mpi_run, single = runs
    if COMM.Get_rank() != 0:
        return
    got, want = _pair_files(mpi_run), _pair_files(single)
    assert set(got) == set(want) and len(want) >= 2
    for name in sorted(want):
        with xr.open_dataset(got[name], engine="h5netcdf") as a, xr.open_dataset(want[name], engine="h5netcdf") as b:
            for var in ("azimuth_offset", "range_offset", "snr"):
                np.testing.assert_allclose(a[var].values, b[var].values, rtol=1e-6, atol=1e-6,
                                           err_msg=f"{name}: {var}")


def test_msbas_timeseries_equal_single_process(runs):
    import xarray as xr

    mpi_run, single = runs
    if COMM.Get_rank() != 0:
        return
    with xr.open_dataset(mpi_run / "products" / "timeseries.nc", engine="h5netcdf") as a, \
            xr.open_dataset(single / "products" / "timeseries.nc", engine="h5netcdf") as b:
        assert set(a.data_vars) == set(b.data_vars)
        assert dict(a.sizes) == dict(b.sizes)
        np.testing.assert_array_equal(a["time"].values, b["time"].values)
        for var in b.data_vars:
            if np.issubdtype(b[var].dtype, np.number):
                np.testing.assert_allclose(a[var].values, b[var].values, rtol=1e-4, atol=1e-5, err_msg=var)


def test_lcurve_split_over_ranks_picks_the_single_process_lambda(runs):
    """Each rank solved a share of the L-curve pixels; the allreduced norms and the chosen λ are
    a single process' bit for bit, and both ranks inverted with that λ (their part files)."""
    import json

    import xarray as xr

    mpi_run, single = runs
    if COMM.Get_rank() != 0:
        return
    got = json.loads((mpi_run / "report.json").read_text())["stages"]["msbas"]
    want = json.loads((single / "report.json").read_text())["stages"]["msbas"]
    assert got["lcurve"] == want["lcurve"] and got["lam"] == want["lam"] == want["lcurve"]["best_lam"]
    parts = sorted(mpi_run.glob("work/msbas-*/part_*_of_0002.nc"))
    assert len(parts) == 2
    for path in parts:
        with xr.open_dataset(path, engine="h5netcdf") as part:
            assert part.attrs["lam"] == want["lam"], path.name
