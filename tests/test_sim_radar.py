"""Radar geometry of the synthetic scene: consistency with MSBAS projection vectors, lookups."""
import numpy as np
import pytest

from gfjax.sim import SceneSpec, build_scene


@pytest.fixture(scope="module")
def scene():
    return build_scene(SceneSpec(grid_spacing_m=200.0, pixel_scale=3.0))


@pytest.mark.parametrize("name", ["T065", "T131"])
def test_displacement_moves_feature_by_projection(scene, name):
    trk = scene.tracks[name]
    phi, theta = np.radians(trk.heading_deg), np.radians(trk.incidence_deg)
    s_rg = np.array([np.sin(phi) * np.sin(theta), -np.cos(phi) * np.sin(theta), np.cos(theta)])
    s_az = np.array([np.cos(phi), np.sin(phi), 0.0])
    rng = np.random.default_rng(1)
    e = rng.uniform(605e3, 630e3, 50)
    n = rng.uniform(7000e3, 7030e3, 50)
    h = rng.uniform(800, 5000, 50)
    d = rng.normal(0, 50, (50, 3))  # (north, east, up) m
    az0, rg0 = trk.radar_coordinates(e, n, h)
    az1, rg1 = trk.radar_coordinates(e + d[:, 1], n + d[:, 0], h + d[:, 2])
    np.testing.assert_allclose(rg1 - rg0, -(d @ s_rg) / trk.range_spacing_m, rtol=0, atol=1e-7)
    np.testing.assert_allclose(az1 - az0, (d @ s_az) / trk.azimuth_spacing_m, rtol=0, atol=1e-7)
    daz, drg = trk.offsets_from_displacement(d[:, 0], d[:, 1], d[:, 2])
    np.testing.assert_allclose(daz, az1 - az0, atol=1e-7)
    np.testing.assert_allclose(drg, rg1 - rg0, atol=1e-7)
    np.testing.assert_allclose(trk.range_vector, s_rg)
    # right-looking: ground range increases to the right of the flight direction
    assert np.dot(s_rg[:2], [-np.sin(phi), np.cos(phi)]) < 0


@pytest.mark.parametrize("name", ["T065", "T131"])
def test_lookup_tables_round_trip(scene, name):
    trk = scene.tracks[name]
    az, rg = trk.map_to_radar()
    assert az.dtype == np.float32 and az.shape == scene.grid.shape
    assert np.isfinite(az).all() and np.nanmin(az) >= 0 and np.nanmax(rg) <= trk.shape[1] - 1
    x, y = scene.grid.meshgrid()
    e, n = trk.radar_to_map(az.astype(np.float64), rg.astype(np.float64))
    err = np.hypot(e - x, n - y)
    assert np.median(err) < 0.05 and np.percentile(err, 99.9) < 1.0
    # radar → map → radar on a decimated radar grid
    a1, r1, E, N = trk.radar_lookup(step=(64, 256))
    A, R = np.meshgrid(a1, r1, indexing="ij")
    h = trk._sample(scene.dem.astype(np.float64), E, N)
    a2, r2 = trk.radar_coordinates(E, N, h)
    inside = (E > scene.grid.bounds[0]) & (E < scene.grid.bounds[2]) & \
        (N > scene.grid.bounds[1]) & (N < scene.grid.bounds[3])
    np.testing.assert_allclose(a2, A, atol=1e-6)
    assert np.abs(r2 - R)[inside].max() < 1e-3
    inc = trk.incidence_map()
    assert inc.shape == scene.grid.shape and np.all(inc == 39.0)


def test_radar_image_sizes_scale_with_pixel_scale(scene):
    fine = build_scene(SceneSpec(grid_spacing_m=200.0, pixel_scale=1.0, tracks=["T065"]))
    n1 = np.array(fine.tracks["T065"].shape)
    n3 = np.array(scene.tracks["T065"].shape)
    np.testing.assert_allclose(n1 / n3, 3.0, rtol=0.01)
    assert scene.tracks["T065"].azimuth_spacing_m == pytest.approx(14.9 * 3)
    assert scene.tracks["T065"].range_spacing_m == pytest.approx(2.3 * 3)
