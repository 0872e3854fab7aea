"""The whole chain on a tiny synthetic scene through ``python -m gfjax.run``: products, report
keys, resume after a kill (partial offsets), and re-running one stage with a new threshold."""
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from cli import gfjax

TINY = ["+experiment=muldrow", "scene.pixel_scale=8", "scene.grid_spacing_m=500", "geometry.grid_spacing_m=500",
        "scene.start=2017-01-01", "scene.end=2018-12-31", "scene.date_step=6", "offsets.window=[16,32]",
        "offsets.step=[8,16]", "offsets.search=[6,6]", "offsets.oversample=1", "msbas.lam_candidates=[]",
        "msbas.select_lam=fixed", "products.animation=false"]


def run(tmp_path, *extra, check=True):
    return gfjax(tmp_path, *TINY, *extra, check=check, timeout=900)


def report(tmp_path):
    return json.loads((tmp_path / "muldrow" / "report.json").read_text())


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    run(tmp)
    return tmp


def test_products_and_report(full_run):
    d = full_run / "muldrow"
    for name in ("timeseries.nc", "mean_velocity.nc", "flowline.nc"):
        assert (d / "products" / name).is_file(), name
    assert (d / "config_resolved.yaml").is_file() and (d / "run.log").is_file()
    assert list((d / "products" / "geotiff").glob("*.tif"))
    assert len(list((d / "figures").glob("*.png"))) >= 6
    rep = report(full_run)
    assert {"2017", "2018"} <= set(rep["validation"])
    assert {"north", "east", "up_spf", "up_nspf"} <= set(rep["truth"])
    assert rep["truth"]["east"]["rmse_m_per_yr"] is not None
    for stage in ("scene", "offsets", "geocode", "msbas", "products"):
        assert rep["stages"][stage]["status"] == "done" and rep["stages"][stage]["wall_time_s"] > 0
    assert rep["stages"]["offsets"]["windows"] > 0
    ts = xr.open_dataset(d / "products" / "timeseries.nc")
    assert {"velocity_north", "velocity_up_nspf", "displacement_east", "rank"} <= set(ts.data_vars)
    assert "spatial_ref" in ts.variables and ts.attrs.get("gfjax_version")
    # intermediates were removed once consumed (output.keep_intermediates=false)
    assert not list((d / "work").glob("offsets-*/*.nc"))


def test_rerun_is_cached_and_threshold_reruns_products_only(full_run):
    run(full_run)
    assert {s["status"] for s in report(full_run)["stages"].values()} == {"cached"}
    before = xr.open_dataset(full_run / "muldrow" / "products" / "timeseries.nc").load()
    run(full_run, "stages=[products]", "products.rank_threshold=100000")
    rep = report(full_run)
    assert rep["stages"]["products"]["status"] == "done"
    mean = xr.open_dataset(full_run / "muldrow" / "products" / "mean_velocity.nc")
    assert np.isnan(mean["vx"].values).all()  # every pixel below the absurd rank threshold
    after = xr.open_dataset(full_run / "muldrow" / "products" / "timeseries.nc").load()
    assert after.identical(before)  # MSBAS untouched


def test_killed_run_resumes_to_the_same_products(full_run, tmp_path):
    # "kill" after part of the offsets: only the first of two chunks is tracked
    part = run(tmp_path, "stages=[scene,offsets]", "parallel.chunk=0", "parallel.n_chunks=2")
    assert "partial" in part.stderr + part.stdout
    missing = run(tmp_path, "stages=[geocode]", "parallel.n_chunks=2", check=False)
    assert missing.returncode != 0 and "chunk(s) [1]" in missing.stderr + missing.stdout
    run(tmp_path)  # the same command again completes what is missing
    a = xr.open_dataset(full_run / "muldrow" / "products" / "timeseries.nc")
    b = xr.open_dataset(tmp_path / "muldrow" / "products" / "timeseries.nc")
    for v in ("velocity_east", "velocity_north", "rank"):
        np.testing.assert_array_equal(a[v].values, b[v].values)


def test_force_on_a_complete_run_recomputes_what_is_requested(full_run):
    """force=true on a finished run (per-pair offsets already consumed by geocode) recomputes
    every stage to the same products; stages=[products] force=true recomputes products only; a
    forced geocode whose offsets are gone stops before deleting anything."""
    d = full_run / "muldrow"
    run(full_run)  # back to this module's config (an earlier test changed a products threshold)
    before = xr.open_dataset(d / "products" / "timeseries.nc").load()
    maps = next((d / "work").glob("geocode-*/maps.nc"))
    assert not list((d / "work").glob("offsets-*/*.nc"))  # consumed: only geocode's stack is left
    stamp = maps.stat().st_mtime_ns
    stopped = run(full_run, "stages=[geocode]", "force=true", check=False)
    assert stopped.returncode != 0
    msg = stopped.stdout + stopped.stderr
    assert "needs ['offsets']" in msg and "force=true re-runs geocode" in msg and "keep_intermediates" in msg
    assert maps.stat().st_mtime_ns == stamp  # nothing deleted

    out = run(full_run, "force=true")
    rep = report(full_run)
    for stage in ("scene", "offsets", "geocode", "msbas", "products"):
        assert rep["stages"][stage]["status"] == "done", stage
    assert rep["stages"]["offsets"]["pairs_tracked"] == rep["stages"]["offsets"]["pairs_total"] > 0, out.stderr[-2000:]
    after = xr.open_dataset(d / "products" / "timeseries.nc").load()
    for v in before.data_vars:
        np.testing.assert_array_equal(after[v].values, before[v].values, err_msg=v)

    ts = d / "products" / "timeseries.nc"
    stamps = {p: p.stat().st_mtime_ns for p in [ts, *(d / "stages").glob("*.done.json")]
              if not p.name.startswith("products")}
    run(full_run, "stages=[products]", "force=true")
    rep = report(full_run)
    assert list(rep["stages"]) == ["products"] and rep["stages"]["products"]["status"] == "done"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing upstream recomputed
