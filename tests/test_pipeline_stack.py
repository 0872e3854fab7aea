"""Your own data through ``python -m gfjax.run +experiment=stack``: a stack written by
experiments/make_stack.py (GAMMA SLCs, LUTs, DEM, grid) gives exactly the offsets and time series
of the in-memory synthetic run of the same scene; so does a stack of precomputed GAMMA offsets
(written by that run with output.gamma_offsets=true), or of ISCE / PyCuAmpcor dense offsets
(output.ampcor_offsets=true). Data sources that cannot work stop before
any stage with a message naming what is wrong."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cli import gfjax

REPO = Path(__file__).resolve().parents[1]
BBOX = "[612000,7008000,622000,7016000]"
SCENE = ["scene.pixel_scale=8", "scene.grid_spacing_m=400", "geometry.grid_spacing_m=400", f"scene.bbox={BBOX}",
         "scene.start=2017-06-01", "scene.end=2017-08-15", "scene.date_step=2"]
MAKE = ["--pixel-scale", "8", "--grid-spacing-m", "400", "--start", "2017-06-01", "--end", "2017-08-15",
        "--date-step", "2"]
# the settings where +experiment=muldrow and +experiment=stack differ, made equal
COMMON = ["msbas.lam_candidates=[]", "msbas.select_lam=fixed", "msbas.lam=0.01", "msbas.outlier_window=0",
          "offsets.weight_sigma=0.2", "products.animation=false", "output.keep_intermediates=true"]


def make_stack(path, *extra):
    out = subprocess.run([sys.executable, str(REPO / "experiments" / "make_stack.py"), str(path), *MAKE, *extra],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "+experiment=stack data.path=" in out.stdout
    return path


def pair_files(run_dir):
    return {p.name: p for p in (run_dir / "work").glob("offsets-*/*.nc")}


def assert_same_timeseries(a_dir, b_dir):
    a = xr.open_dataset(a_dir / "products" / "timeseries.nc").load()
    b = xr.open_dataset(b_dir / "products" / "timeseries.nc").load()
    assert set(a.data_vars) == set(b.data_vars)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stackrun")
    gfjax(tmp, "+experiment=muldrow", *SCENE, *COMMON, "output.gamma_offsets=true", "output.ampcor_offsets=true",
          "output.msbas_inputs=true")
    stack = make_stack(tmp / "stack")
    gfjax(tmp, "+experiment=stack", f"data.path={stack}", *COMMON)
    return tmp


@pytest.mark.slow
def test_stack_run_equals_the_synthetic_run(runs):
    syn, stk = runs / "muldrow", runs / "stack"
    a, b = pair_files(syn), pair_files(stk)
    assert sorted(a) == sorted(b) == ["T065_000.nc", "T065_001.nc", "T131_000.nc", "T131_001.nc"]
    for name in a:
        x, y = xr.open_dataset(a[name]).load(), xr.open_dataset(b[name]).load()
        for v in x.data_vars:
            np.testing.assert_array_equal(x[v].values, y[v].values, err_msg=f"{name} {v}")
        assert x.attrs["t_reference"] == y.attrs["t_reference"]
    assert_same_timeseries(syn, stk)
    rep = json.loads((stk / "report.json").read_text())
    assert "truth" not in rep and rep["validation"] == {} and rep["objective"] is None
    assert rep["stages"]["scene"]["source"].endswith("stack") and rep["stages"]["scene"]["n_pairs"] == 4
    assert "rmse_range_px" not in rep["stages"]["offsets"]["worst_pairs"][0]
    for name in ("timeseries.nc", "mean_velocity.nc", "flowline.nc"):
        assert (stk / "products" / name).is_file()
    assert (stk / "figures" / "mean_speed_log.png").is_file()


@pytest.mark.slow
def test_precomputed_gamma_offsets_skip_tracking(runs):
    """output.gamma_offsets of the synthetic run → <track>/offsets/ of a parameter-file stack;
    data.reference validates against the synthetic run's reference product."""
    exported = runs / "muldrow" / "offsets_gamma"
    assert sorted(p.name for p in (exported / "T065").iterdir()) == [
        "20170608_20170702.ccp", "20170608_20170702.off", "20170608_20170702.offs",
        "20170702_20170726.ccp", "20170702_20170726.off", "20170702_20170726.offs"]
    stack = make_stack(runs / "offsets_stack", "--images", "params")
    for track in ("T065", "T131"):
        shutil.copytree(exported / track, stack / track / "offsets")
    reference = runs / "muldrow" / "scene" / "reference_velocity_2017.nc"
    out = gfjax(runs, "+experiment=stack", f"data.path={stack}", *COMMON, "name=from_offsets",
                f"data.reference=['2017={reference}']")  # quoted: '=' is Hydra syntax
    assert "4 pair(s) read from precomputed offsets" in out.stdout + out.stderr
    assert_same_timeseries(runs / "muldrow", runs / "from_offsets")
    rep = json.loads((runs / "from_offsets" / "report.json").read_text())
    assert rep["stages"]["offsets"]["pairs_tracked"] == 0
    synthetic = json.loads((runs / "muldrow" / "report.json").read_text())
    assert rep["validation"]["2017"] == synthetic["validation"]["2017"]


@pytest.mark.slow
def test_precomputed_ampcor_offsets_skip_tracking(runs):
    """output.ampcor_offsets of the synthetic run (ISCE / PyCuAmpcor ENVI outputs, one folder per
    pair) → <track>/offsets/ of a parameter-file stack: the same time series, nothing tracked."""
    exported = runs / "muldrow" / "offsets_ampcor"
    assert sorted(p.name for p in (exported / "T065").iterdir()) == ["20170608_20170702", "20170702_20170726"]
    assert {"dense_offsets", "dense_offsets.hdr", "snr", "covariance", "correlation_peak"} <= {
        p.name for p in (exported / "T065" / "20170608_20170702").iterdir()}
    stack = make_stack(runs / "ampcor_stack", "--images", "params")
    for track in ("T065", "T131"):
        shutil.copytree(exported / track, stack / track / "offsets")
    out = gfjax(runs, "+experiment=stack", f"data.path={stack}", *COMMON, "name=from_ampcor")
    assert "4 pair(s) read from precomputed offsets" in out.stdout + out.stderr
    assert_same_timeseries(runs / "muldrow", runs / "from_ampcor")
    a, b = pair_files(runs / "muldrow"), pair_files(runs / "from_ampcor")
    for name in a:  # the tracker's per-pair files, read back (reason: kept / NaN only)
        x, y = xr.open_dataset(a[name]).load(), xr.open_dataset(b[name]).load()
        for v in ("azimuth_offset", "range_offset", "snr", "peak", "cov_azimuth", "cov_range", "cov_cross"):
            np.testing.assert_array_equal(x[v].values, y[v].values, err_msg=f"{name} {v}")
    rep = json.loads((runs / "from_ampcor" / "report.json").read_text())
    assert rep["stages"]["offsets"]["pairs_tracked"] == 0


def test_data_sources_that_cannot_work_stop_first(tmp_path):
    out = gfjax(tmp_path, "+experiment=stack", check=False)
    assert out.returncode != 0 and "data.path: the stack folder is required" in out.stderr
    assert not (tmp_path / "stack" / "stages").exists()  # nothing ran
    out = gfjax(tmp_path, "+experiment=stack", f"data.path={tmp_path / 'nowhere'}", check=False)
    assert out.returncode != 0 and "nowhere not found" in out.stderr
    out = gfjax(tmp_path, "data=asf", f"data.path={tmp_path / 'dl'}", "data.tracks=[65]", check=False)
    assert out.returncode != 0 and "data.source=asf" in out.stderr
    assert not (tmp_path / "default" / "stages").exists()


def test_a_bad_stack_names_file_and_field(tmp_path):
    stack = make_stack(tmp_path / "stack", "--images", "dates", "--tracks", "T065")
    par = sorted((stack / "T065").glob("*.rslc.par"))[0]
    par.write_text(par.read_text().replace("image_format:", "image_format:   FLOAT  #", 1))
    out = gfjax(tmp_path, "+experiment=stack", f"data.path={stack}", check=False)
    assert out.returncode != 0
    assert f"{par}: field 'image_format'" in out.stderr


@pytest.mark.slow
def test_msbas_input_folder_holds_the_map_stack(runs):
    """output.msbas_inputs: header.txt + list files + GeoTIFFs read back as the geocoded stack."""
    from gfjax.io.msbas_export import read_msbas_inputs

    syn = runs / "muldrow"
    inp = read_msbas_inputs(syn / "msbas_inputs" / "header.txt")
    stack = xr.open_dataset(next((syn / "work").glob("geocode-*/maps.nc"))).load()
    order = np.lexsort((stack["t_master"].values, stack["set_index"].values))
    got = np.lexsort((inp.t_master, inp.set_index))
    np.testing.assert_array_equal(inp.set_index[got], stack["set_index"].values[order])
    # decimal years from YYYYMMDD + the set's hh:mm:ss: within a second of the stack's epochs
    np.testing.assert_allclose(inp.t_master[got], stack["t_master"].values[order], atol=2 / 86400 / 365)
    np.testing.assert_allclose(inp.set_vectors, stack["set_vector"].values, atol=1e-6)
    np.testing.assert_array_equal(np.isnan(inp.maps[got]), np.isnan(stack["displacement"].values[order]))
    np.testing.assert_allclose(inp.maps[got], stack["displacement"].values[order], rtol=1e-6, equal_nan=True)
