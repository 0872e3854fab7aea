"""Real ITS_LIVE crop (Columbia Glacier, EPSG:3413) reprojected onto a UTM project grid."""
import numpy as np
import pytest
import rasterio

from gfjax.geometry import MapGrid, utm_epsg
from gfjax.io import read_itslive, reproject_to_grid


@pytest.fixture(scope="module")
def paths(shared_data):
    d = shared_data / "itslive"
    vx, vy = d / "crop_ALA_G0120_0000_vx.tif", d / "crop_ALA_G0120_0000_vy.tif"
    if not vx.is_file():
        pytest.skip(f"{vx} absent")
    return vx, vy


@pytest.fixture(scope="module")
def grid(paths):
    with rasterio.open(paths[0]) as src:
        b, crs = src.bounds, src.crs
    from rasterio.warp import transform_bounds

    lon0, lat0, lon1, lat1 = transform_bounds(crs, 4326, *b)
    epsg = utm_epsg(0.5 * (lon0 + lon1), 0.5 * (lat0 + lat1))
    assert epsg == 32606
    x0, y0, x1, y1 = transform_bounds(crs, epsg, *b)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)   # a 30 x 30 km grid inside the crop, 200 m cells
    return MapGrid.from_bounds(epsg, cx - 15e3, cy - 15e3, cx + 15e3, cy + 15e3, 200.0)


def test_itslive_reprojected_plausible_and_speed_preserved(paths, grid):
    ds = read_itslive(*paths, grid)
    assert ds["vx"].shape == grid.shape and ds["v"].attrs["units"] == "m/yr"
    assert ds["vx"].attrs["grid_mapping"] == "spatial_ref"
    v = ds["v"].values
    assert np.isfinite(v).mean() > 0.95            # nodata became NaN, not −32767
    assert np.nanmin(ds["vx"].values) > -10000 and np.nanmin(v) >= 0
    assert 1000 < np.nanmax(v) < 10000             # Columbia Glacier: up to several km/yr
    # speed preserved by the rotation: |(vx, vy)| warped component-wise equals |rotated|
    with rasterio.open(paths[0]) as sx, rasterio.open(paths[1]) as sy:
        ux = reproject_to_grid(sx.read(1), sx.transform, sx.crs, sx.nodata, grid)
        uy = reproject_to_grid(sy.read(1), sy.transform, sy.crs, sy.nodata, grid)
        speed_src = np.hypot(sx.read(1), sy.read(1)).astype(np.float32)
        speed_src[sx.read(1) == sx.nodata] = sx.nodata
        speed_warped = reproject_to_grid(speed_src, sx.transform, sx.crs, sx.nodata, grid)
    np.testing.assert_allclose(v, np.hypot(ux, uy), rtol=1e-5, equal_nan=True)
    # and matches the warped source speed (magnitude of mean vs mean of magnitude differ slightly)
    ok = np.isfinite(v) & np.isfinite(speed_warped) & (speed_warped > 50)
    assert np.median(np.abs(v[ok] - speed_warped[ok]) / speed_warped[ok]) < 0.01
    # the rotation is large here (3413's x axis is ~102° from UTM 6N's easting), so it matters:
    # the source vx is essentially the UTM northing component with a sign flip
    fast = v > 500
    assert np.median(np.abs(ds["vx"].values[fast] - ux[fast]) / v[fast]) > 0.5


def test_itslive_rotation_direction(paths, grid):
    # at one cell, the rotated vector must point along the ground direction the source vector has
    from pyproj import Transformer

    ds = read_itslive(*paths, grid)
    v = ds["v"].values
    r, c = np.unravel_index(np.nanargmax(np.where(v > 500, v, np.nan)), v.shape)
    e, n = grid.x[c], grid.y[r]
    with rasterio.open(paths[0]) as sx, rasterio.open(paths[1]) as sy:
        to_src = Transformer.from_crs(grid.epsg, sx.crs, always_xy=True)
        xs, ys = to_src.transform(e, n)
        row, col = sx.index(xs, ys)
        u, w = sx.read(1)[row, col], sy.read(1)[row, col]
    to_dst = Transformer.from_crs(3413, grid.epsg, always_xy=True)
    e2, n2 = to_dst.transform(xs + 0.01 * u, ys + 0.01 * w)
    d = np.array([e2 - e, n2 - n])
    got = np.array([ds["vx"].values[r, c], ds["vy"].values[r, c]])
    cos = d @ got / np.linalg.norm(d) / np.linalg.norm(got)
    assert cos > 0.95   # bilinear warp vs nearest source pixel: direction within ~18°


def test_itslive_no_overlap_and_bad_paths(paths, tmp_path):
    far = MapGrid(32606, 100000.0, 5000000.0, 100.0, 10, 10)
    with pytest.raises(ValueError, match="does not overlap"):
        read_itslive(*paths, far)
    with pytest.raises(ValueError, match="not found"):
        read_itslive(tmp_path / "vx.tif", paths[1], far)
