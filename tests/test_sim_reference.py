"""ITS_LIVE-like reference product of the synthetic scene: values, noise, files."""
import numpy as np
import pytest
import rasterio
import xarray as xr

from gfjax.sim import SceneSpec, build_scene, write_reference_product
from gfjax.sim.reference import NODATA


@pytest.fixture(scope="module")
def scene():
    return build_scene(SceneSpec(grid_spacing_m=400.0, pixel_scale=4.0, reference_noise_m_per_yr=30.0))


def test_reference_product_is_truth_plus_noise(scene):
    ds = scene.reference_product(2018)
    assert set(ds.data_vars) >= {"vx", "vy", "v", "v_error"}
    assert float(ds.x[1] - ds.x[0]) == 120.0 and float(ds.x[0]) != scene.grid.x[0]
    vx, vy = ds.vx.values, ds.vy.values
    gap = vx == NODATA
    assert 0.03 < gap.mean() < 0.12 and np.all(ds.v.values[gap] == NODATA)
    # truth: annual mean velocity, sampled at the product's cells
    truth = scene.interval_velocity(2018.0, 2019.0)
    x, y = np.meshgrid(ds.x.values, ds.y.values)
    r, c = scene.grid.fractional_index(x, y)
    ri, ci = np.rint(r).astype(int), np.rint(c).astype(int)
    ok = ~gap & (np.abs(r - ri) < 0.2) & (np.abs(c - ci) < 0.2)
    resid_x = vx[ok] - truth[1][ri[ok], ci[ok]]
    resid_y = vy[ok] - truth[0][ri[ok], ci[ok]]
    assert 20 < np.std(resid_x) < 45 and 20 < np.std(resid_y) < 45
    assert abs(np.mean(resid_x)) < 10
    np.testing.assert_allclose(ds.v.values[~gap], np.hypot(vx, vy)[~gap], rtol=1e-5)
    assert ds.v.values[~gap].max() > 500  # the 2018 surge is visible
    # deterministic, and a different year has different noise
    np.testing.assert_array_equal(scene.reference_product(2018).vx.values, vx)
    with pytest.raises(ValueError, match="year"):
        scene.reference_product(2023)


def test_write_reference_netcdf_and_geotiff(scene, tmp_path):
    (nc,) = write_reference_product(scene, 2017, tmp_path / "ref_2017.nc")
    back = xr.open_dataset(nc)
    ds = scene.reference_product(2017)
    gap = ds.vx.values == NODATA
    np.testing.assert_array_equal(np.isnan(back.vx.values), gap)
    np.testing.assert_allclose(back.vx.values[~gap], ds.vx.values[~gap])
    raw = xr.open_dataset(nc, mask_and_scale=False)
    assert raw.vx.attrs["_FillValue"] == NODATA
    tifs = write_reference_product(scene, 2017, tmp_path / "itslive")
    assert [p.name for p in tifs][0] == "muldrow_G0120_2017_vx.tif"
    with rasterio.open(tifs[1]) as src:
        assert src.nodata == NODATA and src.crs.to_epsg() == 32605 and src.res == (120.0, 120.0)
        np.testing.assert_array_equal(src.read(1), ds.vy.values)
        assert src.transform.c == pytest.approx(float(ds.x[0]) - 60.0)
