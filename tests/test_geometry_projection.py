"""Known answers for projection vectors and offset → displacement signs (science.md §4)."""
import numpy as np
import pytest

from gfjax.geometry import (displacement_to_offsets, offsets_to_displacement, project_displacement,
                            projection_vectors)

INC = 39.0
S = np.sin(np.deg2rad(INC))
C = np.cos(np.deg2rad(INC))


@pytest.mark.parametrize("heading", [341.0, 199.0])
def test_unit_motions_known_answers(heading):
    h = np.deg2rad(heading)
    north, east, up = np.eye(3)
    # pure east: d_los = -cos(h) sin(inc); d_az = sin(h)
    d_az, d_los = project_displacement(east, heading, INC)
    assert d_los == pytest.approx(-np.cos(h) * S) and d_az == pytest.approx(np.sin(h))
    d_az, d_los = project_displacement(north, heading, INC)
    assert d_los == pytest.approx(np.sin(h) * S) and d_az == pytest.approx(np.cos(h))
    d_az, d_los = project_displacement(up, heading, INC)
    assert d_los == pytest.approx(C) and d_az == pytest.approx(0.0)


def test_physical_signs_muldrow_tracks():
    # ascending (341°, flying ~north, looking ~east): satellite is to the west, so eastward
    # motion moves away from it (negative LOS); descending (199°) looks ~west, eastward motion
    # approaches it (positive LOS). Uplift is always toward the satellite.
    east = np.array([0.0, 1.0, 0.0])
    assert project_displacement(east, 341.0, INC)[1] < -0.5
    assert project_displacement(east, 199.0, INC)[1] > 0.5
    assert project_displacement(np.array([0, 0, 1.0]), 199.0, INC)[1] > 0.7
    # azimuth: ascending flies north, northward motion is positive along-track
    assert project_displacement(np.array([1.0, 0, 0]), 341.0, INC)[0] > 0.9
    assert project_displacement(np.array([1.0, 0, 0]), 199.0, INC)[0] < -0.9


def test_vectors_are_unit_and_orthogonal_and_broadcast():
    heading = np.array([[341.0, 199.0], [10.0, 190.0]], np.float32)
    incidence = np.full((2, 2), 35.0, np.float32)
    s_rg, s_az = projection_vectors(heading, incidence)
    assert s_rg.shape == (2, 2, 3) and s_rg.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(s_rg, axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(s_az, axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.sum(s_rg * s_az, axis=-1), 0.0, atol=1e-6)
    one_rg, _ = projection_vectors(341.0, 35.0)
    np.testing.assert_allclose(s_rg[0, 0], one_rg, rtol=1e-6)


def test_mintpy_asc_desc_recovers_3d_vector_exactly():
    # MintPy's asc_desc2horz_vert setting: incidence 30°, LOS azimuth angles ±102° (from north,
    # anticlockwise, ground → satellite) i.e. right-looking headings φ = 90° − α = −12°, 192°.
    # Truth: horizontal H = 0.5 toward the east, vertical V = 1.0, plus a north component.
    truth = np.array([0.3, 0.5, 1.0])  # north, east, up
    rows, obs = [], []
    for alpha in (102.0, -102.0):
        heading = 90.0 - alpha
        s_rg, s_az = projection_vectors(heading, 30.0)
        # MintPy's LOS unit vector (e, n, u) = (−sin θ sin α, sin θ cos α, cos θ)
        a, t = np.deg2rad(alpha), np.deg2rad(30.0)
        np.testing.assert_allclose(s_rg, [np.sin(t) * np.cos(a), -np.sin(t) * np.sin(a), np.cos(t)], atol=1e-12)
        d_az, d_los = project_displacement(truth, heading, 30.0)
        rows += [s_rg, s_az]
        obs += [d_los, d_az]
    est = np.linalg.solve(np.array(rows)[:3], np.array(obs)[:3])  # asc rg, asc az, desc rg
    np.testing.assert_allclose(est, truth, atol=1e-12)
    est4 = np.linalg.lstsq(np.array(rows), np.array(obs), rcond=None)[0]
    np.testing.assert_allclose(est4, truth, atol=1e-12)
    # range only (2D, north = 0): E and U from asc + desc LOS exactly
    truth2 = np.array([0.0, 0.5, 1.0])
    d = [project_displacement(truth2, 90.0 - al, 30.0)[1] for al in (102.0, -102.0)]
    a2 = np.array([projection_vectors(90.0 - al, 30.0)[0][1:] for al in (102.0, -102.0)])
    np.testing.assert_allclose(np.linalg.solve(a2, d), [0.5, 1.0], atol=1e-12)


def test_offsets_to_displacement_signs_and_roundtrip():
    # a feature moving 1 slant-range pixel away from the satellite (+1 px) is -2.3 m LOS
    d_az, d_los = offsets_to_displacement(np.array([2.0]), np.array([1.0]), 14.0, 2.3)
    assert d_los[0] == pytest.approx(-2.3) and d_az[0] == pytest.approx(28.0)
    d_az, d_los = offsets_to_displacement(4.0, 8.0, 14.0, 2.3, oversampling=4)
    assert d_az == pytest.approx(14.0) and d_los == pytest.approx(-4.6)
    # consistent with the projection: motion d_neu -> (d_az, d_los) -> offsets -> back
    heading, inc = 199.0, 39.0
    d_true = np.array([1.5, -3.0, 0.2])
    d_az, d_los = project_displacement(d_true, heading, inc)
    az_px, rg_px = displacement_to_offsets(d_az, d_los, 14.0, 2.3)
    assert offsets_to_displacement(az_px, rg_px, 14.0, 2.3) == pytest.approx((d_az, d_los))


def test_bad_input_messages():
    with pytest.raises(ValueError, match="oversampling"):
        offsets_to_displacement(1.0, 1.0, 14.0, 2.3, oversampling=0)
    with pytest.raises(ValueError, match="displacement_neu"):
        project_displacement(np.zeros((4, 2)), 341.0, 39.0)


def test_ground_spacing_of_the_offset_grid():
    from gfjax.geometry import ground_spacing

    az_m, rg_m = ground_spacing(14.9, 2.3, 39.0, step=(8, 32))
    assert az_m == pytest.approx(119.2) and rg_m == pytest.approx(2.3 * 32 / np.sin(np.deg2rad(39.0)))
    assert rg_m == pytest.approx(116.95, abs=0.01)
    with pytest.raises(ValueError, match="incidence_deg"):
        ground_spacing(14.9, 2.3, 95.0)
