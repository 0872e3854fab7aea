"""UTM zone choice, EPSG validation, vector rotation, DEM surface gradients."""
import numpy as np
import pytest

from gfjax.geometry import (MapGrid, crs_from_epsg, lonlat_to_xy, rotate_vectors, surface_gradients, utm_epsg,
                            utm_grid, vector_rotation)


def test_utm_epsg_known_zones():
    assert utm_epsg(-150.413, 63.351) == 32605   # Muldrow
    assert utm_epsg(-147.1, 61.2) == 32606       # Columbia
    assert utm_epsg(3.0, -10.0) == 32731
    assert utm_epsg(179.9, 0.0) == 32660 and utm_epsg(-180.0, 0.0) == 32601
    with pytest.raises(ValueError, match="lat"):
        utm_epsg(0.0, 89.0)


def test_unknown_epsg_is_a_clear_error():
    with pytest.raises(ValueError, match="epsg=999999"):
        crs_from_epsg(999999)
    with pytest.raises(ValueError, match="epsg=999999"):
        MapGrid(999999, 0.0, 0.0, 100.0, 2, 2).crs
    with pytest.raises(ValueError, match="epsg must be an integer"):
        crs_from_epsg("UTM5")


def test_utm_grid_covers_box_at_100m():
    g = utm_grid(-150.9, 63.1, -150.0, 63.6)
    assert g.epsg == 32605 and g.spacing == 100.0
    x, y = lonlat_to_xy(32605, [-150.9, -150.0], [63.1, 63.6])
    xmin, ymin, xmax, ymax = g.bounds
    assert xmin <= x.min() and xmax >= x.max() and ymin <= y.min() and ymax >= y.max()


def test_vector_rotation_moves_along_the_same_ground_direction():
    # ITS_LIVE polar stereographic (3413) → UTM 6N at Columbia Glacier
    from pyproj import Transformer

    e, n = lonlat_to_xy(32606, -147.05, 61.15)
    angle = vector_rotation(3413, 32606, e, n)
    u, v = 300.0, -400.0    # a vector along the 3413 axes (m)
    ve, vn = rotate_vectors(u, v, angle)
    assert np.hypot(ve, vn) == pytest.approx(500.0)
    to_src = Transformer.from_crs(32606, 3413, always_xy=True)
    to_dst = Transformer.from_crs(3413, 32606, always_xy=True)
    xs, ys = to_src.transform(e, n)
    eps = 1e-2  # follow the vector 5 m on the ground in the source CRS, see where it lands in UTM
    e2, n2 = to_dst.transform(xs + eps * u, ys + eps * v)
    d = np.array([e2 - e, n2 - n])
    np.testing.assert_allclose(d / np.linalg.norm(d), np.array([ve, vn]) / 500.0, atol=1e-6)


def test_surface_gradients_of_a_tilted_plane():
    g = MapGrid(32605, 0.0, 1000.0, 50.0, 20, 30)
    e, n = g.meshgrid()
    dem = 1000.0 + 0.1 * e - 0.2 * n      # rises to the east, falls to the north
    g_n, g_e = surface_gradients(dem, g.spacing, smoothing_width_m=300.0)
    np.testing.assert_allclose(g_n[4:-4, 4:-4], -0.2, atol=1e-4)   # 3σ + 1 cells from the edge
    np.testing.assert_allclose(g_e[4:-4, 4:-4], 0.1, atol=1e-4)
    # holes: gradient still defined next to a void, NaN inside it
    dem_h = dem.copy()
    dem_h[8:10, 10:12] = np.nan
    g_n, g_e = surface_gradients(dem_h, g.spacing)
    assert np.isnan(g_n[8, 10]) and np.isfinite(g_n[7, 10]) and np.isfinite(g_e[8, 9])
    np.testing.assert_allclose(g_e[8, 9], 0.1, atol=1e-3)


def test_surface_gradients_clip_absurd_slopes():
    dem = np.zeros((10, 10), np.float32)
    dem[:, 5:] = 500.0                     # 500 m cliff over one 30 m cell
    g_n, g_e = surface_gradients(dem, 30.0, max_slope=0.8)
    assert np.nanmax(np.hypot(g_n, g_e)) == pytest.approx(0.8, rel=1e-5)
    assert np.all(g_e[:, 4:6] > 0)          # direction kept
    with pytest.raises(ValueError, match="dem"):
        surface_gradients(np.zeros(5), 30.0)
