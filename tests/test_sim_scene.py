"""Synthetic Muldrow scene: acquisitions, outline, flowline, DEM, flow truth, spec validation."""
import json

import numpy as np
import pytest
from matplotlib.path import Path as MplPath

from gfjax.sim import SceneSpec, build_scene
from gfjax.sim.acquisitions import acquisition_times, datetime_from_decimal_year, decimal_year
from gfjax.sim.outline import load_outline, packaged_outline_path


@pytest.fixture(scope="module")
def scene():
    return build_scene(SceneSpec(grid_spacing_m=400.0, pixel_scale=4.0))


def test_acquisition_calendars_match_table_1(scene):
    expected = {"T065": (135, "2014-10-22", "2021-11-08", "ascending", 341.0),
                "T131": (164, "2014-10-26", "2021-11-18", "descending", 199.0)}
    for name, (n, first, last, direction, heading) in expected.items():
        trk = scene.tracks[name]
        assert len(trk.times) == n and len(trk.pairs) == n - 1
        assert str(trk.times[0].astype("datetime64[D]")) == first
        assert str(trk.times[-1].astype("datetime64[D]")) == last
        assert trk.direction == direction and trk.heading_deg == heading and trk.incidence_deg == 39.0
        gaps = np.diff(trk.times.astype("datetime64[D]")).astype(int)
        assert np.all(gaps % 6 == 0) and gaps.min() >= 6
        assert np.all(np.diff(trk.decimal_years) > 0)
        assert trk.pairs[0] == (0, 1) and trk.pairs[-1] == (n - 2, n - 1)
    # time of day: Alaska ascending ~04 UTC, descending ~17 UTC
    assert acquisition_times("T065")[0].astype(object).hour == 4
    assert acquisition_times("T131")[0].astype(object).hour == 17


def test_decimal_year_msbas_definition():
    t = np.array(["2020-01-01T00:00:00", "2020-12-31T12:00:00", "2021-07-02T06:00:00"], "datetime64[s]")
    expected = [2020.0, 2020 + 365.5 / 366, 2021 + (182 + 0.25) / 365]
    np.testing.assert_allclose(decimal_year(t), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(datetime_from_decimal_year(decimal_year(t)), t)


def test_date_selection_and_step():
    s = build_scene(SceneSpec(grid_spacing_m=800.0, start="2018-01-01", end="2019-12-31",
                              date_step=3, tracks=["T131"]))
    times = s.tracks["T131"].times
    all_times = acquisition_times("T131")
    inside = all_times[(all_times >= np.datetime64("2018-01-01")) & (all_times < np.datetime64("2020-01-01"))]
    np.testing.assert_array_equal(times, inside[::3])
    assert list(s.tracks) == ["T131"]


def test_packaged_outline_and_flowline_inside(scene):
    ring, epsg = load_outline(packaged_outline_path())
    assert epsg == 32605 and 200 <= len(ring) <= 1000
    assert 599000 < ring[:, 0].min() < 599700 and 636300 < ring[:, 0].max() < 637000
    fl = scene.flowline
    assert 55_000 < fl.length_m < 65_000
    pts = np.column_stack([fl.x, fl.y])
    inside = MplPath(scene.outline_xy).contains_points(pts)
    for hole in scene.holes_xy:
        inside &= ~MplPath(hole).contains_points(pts)
    assert inside.all()
    # upper part flows north-east for ~42 km, then north-west
    tn, te = fl.direction(np.array([10_000.0, 30_000.0, 52_000.0]))
    assert tn[0] > 0 and te[0] > 0 and tn[1] > 0 and te[1] > 0
    assert tn[2] > 0 and te[2] < 0
    x, y = fl.sample([0.0, fl.length_m])
    assert y[1] > y[0] + 30_000  # terminus far north of the head


def test_dem_ranges_and_slopes(scene):
    dem, ice = scene.dem, scene.ice_mask
    assert 700 < dem[ice].min() < 950 and 5500 < dem[ice].max() < 6500
    gn, ge = scene.dem_gradient
    assert np.degrees(np.arctan(np.hypot(gn, ge))).max() < 40
    # surrounding terrain rises away from the glacier: off-ice cells higher than nearest ice
    far = scene.fields.to_flowline_m > 6000
    assert np.median(dem[far & ~ice]) > np.median(dem[ice])


def km(scene, u_km):
    return scene.surge_origin_m + 1000.0 * u_km


@pytest.mark.parametrize("t, u_km, lo, hi", [
    (2016.0, 20.0, 0.05, 0.2),     # quiescent
    (2018.95, 12.0, 3.0, None),    # end 2018: fast over 8–18 km
    (2019.5, 40.0, None, 1.0),     # 2019: front at 22–30 km, not at 40 km
    (2020.5, 30.0, 5.0, None),     # 2020: 10–35 km faster
    (2021.2, 40.0, 10.0, 20.0),    # March 2021: 10–20 m/day reaching the terminus
    (2021.45, 40.0, 20.0, None),   # June 2021: > 20 m/day
    (2021.6, 5.0, 2.0, None),      # new head surge at 5 km
])
def test_surge_history(scene, t, u_km, lo, hi):
    v = scene.centreline_speed(t, km(scene, u_km)) / 365.25  # m/day
    if lo is not None:
        assert v > lo
    if hi is not None:
        assert v < hi


def test_velocity_field_components(scene):
    v = scene.velocity(2021.45)
    assert v.shape == (4, *scene.grid.shape) and v.dtype == np.float32
    assert np.all(v[:, ~scene.ice_mask] == 0)
    gn, ge = scene.dem_gradient
    np.testing.assert_allclose(v[2], gn * v[0] + ge * v[1], rtol=1e-5, atol=1e-3)
    speed = np.hypot(v[0], v[1]) / 365.25
    assert 15 < speed.max() < 35
    # nSPF: mostly upward, downward in 2020 over the upper 35 km
    up = scene.velocity(2018.0)[3][scene.ice_mask]
    assert (up > 0).mean() > 0.9 and up.max() < 0.1 * 365.25
    v2020 = scene.velocity(2020.45)[3]
    upper = scene.ice_mask & (scene.fields.along_m < km(scene, 30)) & (scene.fields.along_m > km(scene, 5)) \
        & (scene.fields.to_flowline_m < 500)
    assert np.all(v2020[upper] < 0)
    # seasonal speed-up
    assert scene.centreline_speed(2015.45, km(scene, 20)) > 1.3 * scene.centreline_speed(2015.0, km(scene, 20))


def test_displacement_is_integral_of_velocity(scene):
    t0, t1 = 2021.2, 2021.2 + 24 / 365.25
    d = scene.displacement(t0, t1)
    ts = np.linspace(t0, t1, 401)
    vs = np.stack([scene.velocity(t) for t in ts]).astype(np.float64)
    ref = np.trapezoid(vs, ts, axis=0)
    scale = np.abs(ref).max(axis=(1, 2))
    assert np.all(scale[:2] > 100)  # metres: surge moving
    np.testing.assert_allclose(d, ref, rtol=0, atol=1e-4 * scale.max())
    np.testing.assert_allclose(scene.interval_velocity(t0, t1), d / (t1 - t0), rtol=1e-5)
    np.testing.assert_allclose(scene.displacement(t1, t0), -d, rtol=1e-6, atol=1e-6)


def test_spec_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="SceneSpec.start"):
        SceneSpec(start="2013-01-01")
    with pytest.raises(ValueError, match="SceneSpec.end"):
        SceneSpec(end="2022-06-01")
    with pytest.raises(ValueError, match="SceneSpec.end .* must be after"):
        SceneSpec(start="2019-01-01", end="2018-01-01")
    with pytest.raises(ValueError, match="unknown field.*pixel_scal"):
        SceneSpec.from_dict({"pixel_scal": 2.0})
    with pytest.raises(TypeError):
        SceneSpec(pixel_scal=2.0)
    with pytest.raises(ValueError, match="SceneSpec.tracks"):
        SceneSpec(tracks=["T999"])
    with pytest.raises(ValueError, match="SceneSpec.date_step"):
        SceneSpec(date_step=0)
    bad = tmp_path / "line.geojson"
    bad.write_text(json.dumps({"type": "Feature", "properties": {},
                               "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}))
    with pytest.raises(ValueError, match=r"line\.geojson.*'LineString'"):
        load_outline(bad)
    with pytest.raises(ValueError, match=r"line\.geojson.*Polygon"):
        build_scene(SceneSpec(outline=str(bad)))
    with pytest.raises(ValueError, match="does not exist"):
        build_scene(SceneSpec(outline=str(tmp_path / "missing.geojson")))


def test_spec_is_omegaconf_compatible():
    from omegaconf import OmegaConf

    cfg = OmegaConf.merge(OmegaConf.structured(SceneSpec), {"pixel_scale": 3.0})
    spec = SceneSpec.from_dict(OmegaConf.to_container(cfg))
    assert spec.pixel_scale == 3.0 and spec.tracks == ["T065", "T131"]
