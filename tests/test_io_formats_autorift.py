"""HyP3 autoRIFT products: a small synthetic file laid out as hyp3_autorift's netcdf_output.py
writes it (int16 m/yr with -32767 fill, ``mapping`` and ``img_pair_info`` int8 scalars)."""
import h5netcdf.legacyapi as netCDF4  # the netCDF4-python API over h5py (one NetCDF engine)
import numpy as np
import pytest
from pyproj import CRS

from gfjax.geometry import MapGrid
from gfjax.io.autorift import parse_autorift_date, read_autorift

NODATA = -32767


def write_hyp3_like(path, vx, vy, *, epsg=3413, x0=-3_300_000.0, y0=300_000.0, spacing=120.0,
                    info=None, m11=None, m12=None, geotransform="centre", spatial_epsg=None):
    """Write what HyP3 autoRIFT writes: x/y centres, GeoTransform with the first centre as origin."""
    ny, nx = vx.shape
    info = dict(acquisition_date_img1="20221016T01:50:44.577283", acquisition_date_img2="20221028T01:50:44.577283",
                date_center="20221022T01:50:44.577283", date_dt=12.0, mission_img1="S", satellite_img1="1A",
                roi_valid_percentage=87.5) | (info or {})
    cx, cy = x0 + spacing / 2, y0 - spacing / 2
    gt = (cx, spacing, 0.0, cy, 0.0, -spacing) if geotransform == "centre" else (x0, spacing, 0.0, y0, 0.0, -spacing)
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.setncattr("Conventions", "CF-1.8")
        nc.setncattr("scene_pair_type", "radar")
        nc.setncattr("satellite", "Sentinel-1A")
        pair = nc.createVariable("img_pair_info", "i1", ())
        pair.setncattr("standard_name", "image_pair_information")
        for k, v in info.items():
            pair.setncattr(k, v)
        nc.createDimension("x", nx)
        nc.createDimension("y", ny)
        nc.createVariable("x", "f8", ("x",))[:] = cx + spacing * np.arange(nx)
        nc.createVariable("y", "f8", ("y",))[:] = cy - spacing * np.arange(ny)
        crs = CRS.from_epsg(epsg)
        mapping = nc.createVariable("mapping", "i1", ())
        mapping.setncattr("grid_mapping_name", "polar_stereographic" if epsg == 3413 else "universal_transverse_mercator")
        mapping.setncattr("spatial_ref", crs.to_wkt())
        mapping.setncattr("crs_wkt", crs.to_wkt())
        mapping.setncattr("spatial_epsg", spatial_epsg or epsg)
        mapping.setncattr("GeoTransform", " ".join(str(v) for v in gt))
        speed = np.hypot(vx, vy)
        for name, arr in (("vx", vx), ("vy", vy), ("v", speed), ("vr", 0.5 * vx)):
            var = nc.createVariable(name, "i2", ("y", "x"), fill_value=NODATA, zlib=True)
            var.setncattr("units", "meter/year")
            var.setncattr("grid_mapping", "mapping")
            var[:] = np.where(np.isnan(arr), NODATA, np.round(np.clip(arr, -32768, 32767))).astype(np.int16)
        for name, arr in (("M11", m11), ("M12", m12)):
            if arr is not None:
                var = nc.createVariable(name, "f4", ("y", "x"), fill_value=NODATA)
                var.setncattr("grid_mapping", "mapping")
                var[:] = arr
    return MapGrid(epsg, x0, y0, spacing, nx, ny)


def _velocities(ny=12, nx=15):
    yy, xx = np.mgrid[0:ny, 0:nx]
    vx = (100.0 + 10 * xx).astype(np.float32)
    vy = (-50.0 + 5 * yy).astype(np.float32)
    vx[0, 0] = vy[0, 0] = np.nan
    return vx, vy


def test_read_native_grid(tmp_path):
    vx, vy = _velocities()
    m11, m12 = np.full(vx.shape, 0.01, np.float32), np.full(vx.shape, -0.02, np.float32)
    grid = write_hyp3_like(tmp_path / "p.nc", vx, vy, m11=m11, m12=m12)
    ds = read_autorift(tmp_path / "p.nc")
    from gfjax.io import grid_from_dataset
    assert grid_from_dataset(ds) == grid
    np.testing.assert_array_equal(ds.vx.values, vx)                 # int16 values, fill -> NaN
    assert ds.vx.dtype == np.float32 and np.isnan(ds.v.values[0, 0])
    assert ds.acquisition_date_img1.values == np.datetime64("2022-10-16T01:50:44.577283")
    assert ds.acquisition_date_img2.values == np.datetime64("2022-10-28T01:50:44.577283")
    assert ds.date_center.values == np.datetime64("2022-10-22T01:50:44.577283")
    assert ds.attrs["date_dt"] == 12.0 and ds.attrs["satellite"] == "Sentinel-1A"
    np.testing.assert_allclose(ds.range_offset.values, 0.01 * vx - 0.02 * vy, rtol=1e-6)
    assert ds.vx.attrs["grid_mapping"] == "spatial_ref"
    # edge-convention GeoTransform is accepted too
    write_hyp3_like(tmp_path / "e.nc", vx, vy, geotransform="edge")
    assert "range_offset" not in read_autorift(tmp_path / "e.nc")


def test_reproject_onto_utm_grid_keeps_speed(tmp_path):
    vx, vy = _velocities(40, 40)
    write_hyp3_like(tmp_path / "p.nc", vx, vy, x0=-3_310_000.0, y0=300_000.0, spacing=120.0)
    # a UTM 6N grid well inside the product (EPSG:3413 x ≈ -3.31e6 m, y ≈ 3e5 m: southern Alaska)
    from pyproj import Transformer
    tr = Transformer.from_crs(3413, 32606, always_xy=True)
    e, n = tr.transform(-3_310_000.0 + 2400, 300_000.0 - 2400)
    grid = MapGrid(32606, float(np.floor(e / 100) * 100), float(np.floor(n / 100) * 100), 100.0, 10, 10)
    ds = read_autorift(tmp_path / "p.nc", grid=grid)
    assert ds.vx.shape == grid.shape and np.isfinite(ds.vx.values).all()
    native = read_autorift(tmp_path / "p.nc")
    speed = np.hypot(ds.vx.values, ds.vy.values)
    assert speed.min() >= float(np.nanmin(native.v.values)) - 1 and speed.max() <= float(np.nanmax(native.v.values)) + 1
    assert ds.acquisition_date_img1.values == native.acquisition_date_img1.values
    assert "vr" in ds and ds.vr.shape == grid.shape


def test_dates_parse_and_checks(tmp_path):
    assert parse_autorift_date("20221016T015044", "x") == np.datetime64("2022-10-16T01:50:44")
    assert parse_autorift_date("2022-10-16", "x") == np.datetime64("2022-10-16")
    with pytest.raises(ValueError, match="expected a date"):
        parse_autorift_date("16.10.2022", "x")
    vx, vy = _velocities()
    write_hyp3_like(tmp_path / "a.nc", vx, vy, info=dict(date_dt=24.0))
    with pytest.raises(ValueError, match=r"a.nc: img_pair_info.date_dt 24.0 days differs .* = 12.0000 days"):
        read_autorift(tmp_path / "a.nc")
    bad = dict(acquisition_date_img2="20221328T01:50:44")
    write_hyp3_like(tmp_path / "b.nc", vx, vy, info=bad)
    with pytest.raises(ValueError, match="img_pair_info.acquisition_date_img2: not a valid date"):
        read_autorift(tmp_path / "b.nc")
    write_hyp3_like(tmp_path / "c.nc", vx, vy, info=dict(date_center="20221101T00:00:00"))
    with pytest.raises(ValueError, match="date_center .* more than a day"):
        read_autorift(tmp_path / "c.nc")
    write_hyp3_like(tmp_path / "d.nc", vx, vy, spatial_epsg=3031)
    with pytest.raises(ValueError, match="spatial_epsg 3031 disagrees with its crs_wkt"):
        read_autorift(tmp_path / "d.nc")
    with pytest.raises(ValueError, match="not found"):
        read_autorift(tmp_path / "none.nc")
