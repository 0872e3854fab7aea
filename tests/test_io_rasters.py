"""CF NetCDF and GeoTIFF writers: CRS + transform survive a read back (xarray and rasterio/GDAL)."""
import numpy as np
import pytest
import rasterio
import xarray as xr

from gfjax.geometry import MapGrid
from gfjax.io import read_geotiff, read_netcdf, write_geotiff, write_netcdf

GRID = MapGrid(32605, 390000.0, 7030000.0, 100.0, 7, 5)


def _dataset():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(3,) + GRID.shape).astype(np.float32)
    v[0, 1, 2] = np.nan
    t = np.array(["2020-01-01", "2020-01-13", "2020-01-25"], dtype="datetime64[s]")
    return xr.Dataset({"velocity_east": (("time", "y", "x"), v, {"units": "m/yr"}),
                       "rank": (("y", "x"), np.full(GRID.shape, 3, np.int16))}, coords={"time": t})


def test_netcdf_is_cf_and_round_trips(tmp_path):
    ds = _dataset()
    path = write_netcdf(ds, tmp_path / "out.nc", grid=GRID)
    back, grid = read_netcdf(path)
    assert grid == GRID
    np.testing.assert_array_equal(back["velocity_east"].values, ds["velocity_east"].values)
    assert back["velocity_east"].attrs["grid_mapping"] == "spatial_ref"
    assert back["rank"].attrs["grid_mapping"] == "spatial_ref"
    assert back["x"].attrs["standard_name"] == "projection_x_coordinate" and back["x"].attrs["units"] == "m"
    assert back["y"].attrs["standard_name"] == "projection_y_coordinate"
    assert back["spatial_ref"].attrs["grid_mapping_name"] == "transverse_mercator"
    assert back.attrs["Conventions"].startswith("CF-")
    # GDAL's netCDF driver (what QGIS / rioxarray rely on) places it on the same grid
    with rasterio.open(f'netcdf:{path}:velocity_east') as src:
        assert src.crs.to_epsg() == 32605
        assert src.transform.almost_equals(GRID.transform)
        assert (src.height, src.width, src.count) == (GRID.ny, GRID.nx, 3)
        np.testing.assert_array_equal(src.read(2), ds["velocity_east"].values[1])


def test_netcdf_rejects_wrong_grid(tmp_path):
    with pytest.raises(ValueError, match="dim 'x'"):
        write_netcdf(_dataset(), tmp_path / "bad.nc", grid=MapGrid(32605, 0.0, 0.0, 100.0, 8, 5))
    with pytest.raises(ValueError, match="grid mapping"):
        write_netcdf(_dataset(), tmp_path / "bad.nc")


@pytest.mark.parametrize("cog", [False, True])
def test_geotiff_single_and_multiband(tmp_path, cog):
    data = _dataset()["velocity_east"].values
    p1 = write_geotiff(tmp_path / "one.tif", data[0], GRID, cog=cog)
    one, g1 = read_geotiff(p1)
    assert g1 == GRID and one.shape == GRID.shape
    np.testing.assert_array_equal(one, data[0])      # NaN nodata kept as NaN
    p3 = write_geotiff(tmp_path / "three.tif", data, GRID, nodata=0.0, band_names=["a", "b", "c"], cog=cog)
    three, g3 = read_geotiff(p3)
    assert three.shape == (3,) + GRID.shape and np.isnan(three[0, 1, 2])
    np.testing.assert_array_equal(three[1], data[1])
    with rasterio.open(p3) as src:
        assert src.nodata == 0.0 and src.descriptions == ("a", "b", "c") and src.crs.to_epsg() == 32605
        if cog:
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"


def test_geotiff_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"\(ny, nx\) = \(5, 7\)"):
        write_geotiff(tmp_path / "x.tif", np.zeros((4, 4)), GRID)
    with pytest.raises(ValueError, match="not found"):
        read_geotiff(tmp_path / "missing.tif")
