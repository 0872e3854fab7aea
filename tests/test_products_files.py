"""The product files as another tool opens them: CF-1.8 without errors (IOOS compliance-checker),
a CF time that xarray decodes (decimal years kept as ``decimal_year``) and read back by the
pipeline as it wrote it, every gridded product placed by rioxarray on the run's grid, and
GeoTIFFs with units in their band metadata, ``rank`` as integers, valid COGs."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from gfjax.geometry.grid import MapGrid
from gfjax.io.netcdf import attach_grid, decode_cf_time
from gfjax.pipeline.stages.offsets import write_dataset_atomic
from gfjax.products.cf import cf_product
from gfjax.products.flowline import flowline_profiles
from gfjax.products.synthetic import timeseries_from_velocities
from gfjax.products.velocity import mean_velocity, write_velocity_geotiffs

GRID = MapGrid(32605, 600000.0, 7010000.0, 200.0, 16, 12)


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """timeseries.nc, mean_velocity.nc, flowline.nc and the GeoTIFFs, written as the stages do."""
    out = tmp_path_factory.mktemp("products")
    n_int = 6
    epochs = 2017.0 + np.arange(n_int + 1) * 12 / 365
    rng = np.random.default_rng(1)
    vel = rng.normal(100, 20, (n_int, 4) + GRID.shape).astype(np.float32)
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    # the inversion's diagnostics, as gfjax.msbas.api writes them (no attributes)
    for name in ("cond", "residual_norm"):
        ts[name] = (("y", "x"), np.ones(GRID.shape, np.float32))
    ts["time"].attrs.update(units="decimal years (MSBAS: y + (doy - 1 + s/86400) / days_in_year)")
    write_dataset_atomic(cf_product(attach_grid(ts, GRID)), out / "timeseries.nc")
    mean = mean_velocity(ts)
    write_dataset_atomic(cf_product(attach_grid(mean, GRID)), out / "mean_velocity.nc")
    fx = np.linspace(GRID.x[1], GRID.x[-2], 12)
    fy = np.full(12, GRID.y[5])
    flow = flowline_profiles(ts, GRID, fx, fy, fx - fx[0], marker_km=(0.5, 1.0, 9.0), region_px=3)
    write_dataset_atomic(cf_product(flow), out / "flowline.nc")
    tifs = write_velocity_geotiffs(mean, GRID, out / "geotiff", cog=True)
    return out, ts, tifs


def cf_errors(path):
    """High-priority (error) messages of compliance-checker's CF-1.8 check."""
    exe = shutil.which("compliance-checker") or str(__import__("pathlib").Path(sys.executable).parent
                                                       / "compliance-checker")
    report = path.with_suffix(".cf.json")
    subprocess.run([exe, "--test=cf:1.8", "--format=json", f"--output={report}", str(path)],
                   capture_output=True, text=True, timeout=300)
    result = json.loads(report.read_text())["cf:1.8"]
    return [m for item in result["high_priorities"] for m in item["msgs"]]


@pytest.mark.parametrize("name", ["timeseries.nc", "mean_velocity.nc", "flowline.nc"])
def test_cf_compliant(products, name):
    pytest.importorskip("compliance_checker", reason="compliance-checker (test extra) checks CF")
    out, *_ = products
    assert cf_errors(out / name) == []
    with xr.open_dataset(out / name, decode_times=False) as ds:
        assert ds.attrs["Conventions"] == "CF-1.8"
        for v in ds.variables.values():
            assert "long_name" in v.attrs or "standard_name" in v.attrs, v.name


def test_time_is_cf_and_round_trips(products):
    out, ts, _ = products
    with xr.open_dataset(out / "timeseries.nc") as ds:  # CF decoding, as any CF tool
        assert np.issubdtype(ds["time"].dtype, np.datetime64) and ds["time"].attrs["standard_name"] == "time"
        np.testing.assert_array_equal(ds["time"].values, ts["time_utc"].values.astype("datetime64[ns]"))
        np.testing.assert_allclose(ds["decimal_year"].values, ts["time"].values, rtol=0, atol=1e-12)
        back = decode_cf_time(ds.load())
    np.testing.assert_array_equal(back["time"].values, ts["time"].values)
    assert "decimal_year" not in back.variables and "time_utc" in back.coords
    for v in ts.data_vars:
        np.testing.assert_array_equal(back[v].values, ts[v].values, err_msg=v)


def test_rioxarray_places_every_product_on_the_grid(products):
    rioxarray = pytest.importorskip("rioxarray", reason="rioxarray (test extra)")
    out, _, tifs = products
    for name in ("timeseries.nc", "mean_velocity.nc"):
        with xr.open_dataset(out / name, decode_coords="all") as ds:
            assert ds.rio.crs.to_epsg() == 32605
            assert ds.rio.bounds() == pytest.approx(GRID.bounds) and ds.rio.resolution() == (200.0, -200.0)
    gdal = rioxarray.open_rasterio(f"netcdf:{out / 'mean_velocity.nc'}:vx")  # through GDAL's netCDF driver
    assert gdal.rio.crs.to_epsg() == 32605 and gdal.rio.bounds() == pytest.approx(GRID.bounds)
    with xr.open_dataset(out / "flowline.nc", decode_coords="all") as fl:
        assert fl.rio.crs.to_epsg() == 32605
        x, y = fl["flowline_x"].values, fl["flowline_y"].values
        xmin, ymin, xmax, ymax = GRID.bounds
        assert ((xmin < x) & (x < xmax) & (ymin < y) & (y < ymax)).all()
    for tif in tifs:
        da = rioxarray.open_rasterio(tif)
        assert da.rio.crs.to_epsg() == 32605 and da.rio.bounds() == pytest.approx(GRID.bounds), tif.name


def test_geotiffs_units_integer_rank_valid_cogs(products):
    import rasterio

    cogeo = pytest.importorskip("rio_cogeo.cogeo", reason="rio-cogeo (test extra)")
    out, _, tifs = products
    names = {t.stem: t for t in tifs}
    assert {"vx", "vy", "v", "v_error", "vz_spf", "vz_nspf", "rank"} <= set(names)
    for name, tif in names.items():
        assert cogeo.cog_validate(tif)[0], name
        with rasterio.open(tif) as src:
            unit = "1" if name == "rank" or name.endswith("_r2") else "m/yr"
            assert src.units == (unit,) and src.tags(1)["units"] == unit, name
            assert src.tags(1)["long_name"] and src.descriptions == (name,)
            assert src.dtypes == (("int32",) if name == "rank" else ("float32",)), name
    with rasterio.open(names["rank"]) as src:
        assert src.nodata is None and src.read(1).max() > 0
