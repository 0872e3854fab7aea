"""Validation: truth metrics, annual speed, reference metrics, reference product reading."""
import numpy as np
import pytest
import xarray as xr

from gfjax.geometry.grid import MapGrid
from gfjax.products.synthetic import timeseries_from_velocities
from gfjax.products.validation import annual_speed, read_reference_on_grid, reference_metrics, truth_metrics

GRID = MapGrid(32605, 600000.0, 7010000.0, 100.0, 8, 6)


def truth_cube(n_int):
    rng = np.random.default_rng(1)
    return (rng.normal(0, 300, (n_int, 4) + GRID.shape)).astype(np.float32)


def make(n_int=20, offset=0.0):
    epochs = 2016.8 + np.arange(n_int + 1) * 0.1
    truth = truth_cube(n_int)
    ts = timeseries_from_velocities(epochs, truth + np.float32(offset), grid=GRID)
    return ts, truth, epochs


def test_truth_metrics_perfect_and_offset():
    ice = np.zeros(GRID.shape, bool)
    ice[2:6, 1:5] = True
    ts, truth, ep = make()
    mid = 0.5 * (ep[:-1] + ep[1:])
    m = truth_metrics(ts, lambda k: truth[k], ice, mid)
    for c in ("north", "east", "up_spf", "up_nspf"):
        assert m[c]["rmse_m_per_yr"] == pytest.approx(0, abs=1e-3)
        assert m[c]["n"] == 20 * ice.sum()
        assert set(m[c]["per_year"]) == {"2016", "2017", "2018"}
    assert m["fast_ice_speed"]["rmse_m_per_yr"] == pytest.approx(0, abs=1e-3)
    ts2, _, _ = make(offset=7.0)
    ts2["velocity_north"][:, 0, 0] = np.nan       # off-ice NaN does not matter
    ts2["velocity_east"][3, 3, 3] = np.nan        # an on-ice gap is skipped
    m = truth_metrics(ts2, lambda k: truth[k], ice, mid, fast_threshold_m_per_yr=365.0)
    assert m["north"]["bias_m_per_yr"] == pytest.approx(7.0, abs=1e-3)
    assert m["north"]["rmse_m_per_yr"] == pytest.approx(7.0, abs=1e-3)
    assert m["east"]["n"] == 20 * ice.sum() - 1
    assert m["up_nspf"]["per_year"]["2017"]["bias_m_per_yr"] == pytest.approx(7.0, abs=1e-3)
    assert m["up_nspf"]["per_year"]["2017"]["n"] == 10 * ice.sum()
    # fast-ice speed oracle
    s_true = np.hypot(truth[:, 0], truth[:, 1])
    s_est = np.hypot(truth[:, 0] + 7, truth[:, 1] + 7)
    ok = ice[None] & np.isfinite(ts2["velocity_east"].values)
    fast = ok & (s_true > 365.0)
    err = (s_est - s_true)[fast]
    assert m["fast_ice_speed"]["rmse_m_per_yr"] == pytest.approx(np.sqrt(np.mean(err ** 2)), rel=1e-4)
    assert m["fast_ice_speed"]["bias_m_per_yr"] == pytest.approx(err.mean(), rel=1e-4)
    assert m["fast_ice_speed"]["fraction"] == pytest.approx(fast.sum() / ok.sum())
    import json
    json.dumps(m, allow_nan=False)


def test_truth_metrics_per_year_and_speed_class_oracle():
    """Per year × speed class RMSE/bias and the fast-ice % figures against a NumPy oracle."""
    rng = np.random.default_rng(5)
    n_int = 12
    epochs = 2019.8 + np.arange(n_int + 1) * 0.1
    truth = np.zeros((n_int, 4) + GRID.shape, np.float32)
    speed = rng.choice([100.0, 900.0, 3000.0], size=(n_int,) + GRID.shape)  # one per class, m/yr
    ang = rng.uniform(0, 2 * np.pi, (n_int,) + GRID.shape)
    truth[:, 0], truth[:, 1] = speed * np.cos(ang), speed * np.sin(ang)
    truth[:, 3] = rng.normal(0, 5, (n_int,) + GRID.shape)
    factor = np.where(speed > 1800, 0.8, 1.0)             # fast ice 20 % slow, the rest right
    est = truth.copy()
    est[:, 0] *= factor
    est[:, 1] *= factor
    est[:, 3] += 50.0 * (speed > 1800)
    est[4, 2, 3, :] = np.nan                                # a gap in up_spf
    ts = timeseries_from_velocities(epochs, est, grid=GRID)
    ice = np.ones(GRID.shape, bool)
    ice[0] = False
    mid = 0.5 * (epochs[:-1] + epochs[1:])
    m = truth_metrics(ts, lambda k: truth[k], ice, mid)
    years = np.floor(mid).astype(int)
    assert set(m["north"]["per_year"]) == {"2019", "2020"}
    for y in ("2019", "2020"):
        ky = years == int(y)
        for cls, (lo, hi) in {"slow_lt1": (0, 365.25), "mid_1to5": (365.25, 5 * 365.25),
                              "fast_gt5": (5 * 365.25, np.inf)}.items():
            sel = ky[:, None, None] & ice[None] & (speed >= lo) & (speed < hi)
            err_n = (est[:, 0] - truth[:, 0])[sel]
            got = m["north"]["per_year"][y]["per_class"][cls]
            assert got["n"] == sel.sum()
            if sel.any():
                assert got["rmse_m_per_yr"] == pytest.approx(np.sqrt(np.mean(err_n ** 2)), rel=1e-4, abs=1e-3)
            err_u = (est[:, 3] - truth[:, 3])[sel]
            if sel.any():
                assert m["up_nspf"]["per_year"][y]["per_class"][cls]["bias_m_per_yr"] == pytest.approx(
                    err_u.mean(), rel=1e-4, abs=1e-3)
            cov = m["coverage"]["per_year"][y][cls]
            assert cov["samples"] == sel.sum()
            fin = np.isfinite(est[:, 2])[sel]
            if sel.any():
                assert cov["estimated_fraction"] == pytest.approx(fin.mean())
        fast = ky[:, None, None] & ice[None] & (speed > 365.25)
        fy = m["fast_ice_speed"]["per_year"][y]
        s_true = speed[fast]
        err = (speed * factor)[fast] - s_true
        assert fy["bias_percent"] == pytest.approx(100 * err.mean() / s_true.mean(), rel=1e-4)
        assert fy["rmse_percent"] == pytest.approx(100 * np.sqrt(np.mean(err ** 2)) / s_true.mean(), rel=1e-4)
    assert m["fast_ice_speed"]["threshold_m_per_yr"] == pytest.approx(365.25)
    assert m["horizontal_speed"]["per_class"]["slow_lt1"]["rmse_m_per_yr"] == pytest.approx(0, abs=1e-2)
    assert m["horizontal_speed"]["per_class"]["fast_gt5"]["bias_m_per_yr"] == pytest.approx(-600, rel=1e-4)
    import json
    json.dumps(m, allow_nan=False)


def test_truth_metrics_dim3_vertical_is_spf_plus_nspf():
    n_int = 4
    epochs = 2017.0 + np.arange(n_int + 1) * 0.25
    truth = truth_cube(n_int)
    est = np.stack([truth[:, 0], truth[:, 1], truth[:, 2] + truth[:, 3]], axis=1)
    ts = timeseries_from_velocities(epochs, est, components=("north", "east", "up"), grid=GRID)
    m = truth_metrics(ts, lambda k: truth[k], np.ones(GRID.shape, bool), 0.5 * (epochs[:-1] + epochs[1:]))
    assert m["up"]["rmse_m_per_yr"] == pytest.approx(0, abs=1e-3)


def test_annual_speed_constant_velocity():
    n_int = 40
    epochs = 2016.93 + np.arange(n_int + 1) * 0.07
    vel = np.zeros((n_int, 4) + GRID.shape, np.float32)
    vel[:, 0], vel[:, 1] = 300.0, -400.0
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    np.testing.assert_allclose(annual_speed(ts, 2017), 500.0, rtol=1e-5)
    np.testing.assert_allclose(annual_speed(ts, 2018), 500.0, rtol=1e-5)
    assert np.isnan(annual_speed(ts, 2019)).all()     # series ends at 2019.73
    assert np.isnan(annual_speed(ts, 2016)).all()


def test_annual_speed_interpolates_displacement():
    epochs = np.array([2016.5, 2017.5, 2018.5])
    vel = np.zeros((2, 4) + GRID.shape, np.float32)
    vel[0, 1], vel[1, 1] = 100.0, 300.0         # east only
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    np.testing.assert_allclose(annual_speed(ts, 2017), 0.5 * 100 + 0.5 * 300, rtol=1e-5)


def test_reference_metrics():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1000, (30, 20)).astype(np.float32)
    m = reference_metrics(a, a, np.ones(a.shape, bool))
    assert m["r"] == pytest.approx(1.0) and m["rmse_m_per_yr"] == 0 and m["n"] == 600
    mask = np.ones(a.shape, bool)
    mask[:5] = False
    b = a.copy()
    b[0, 0] = np.nan
    m = reference_metrics(a + 25.0, b, mask)
    assert m["r"] == pytest.approx(1.0)
    assert m["rmse_m_per_yr"] == pytest.approx(25.0, rel=1e-5)
    assert m["bias_m_per_yr"] == pytest.approx(25.0, rel=1e-5)
    assert m["n"] == 500
    c = rng.uniform(0, 1000, a.shape)
    assert reference_metrics(a, c)["r"] == pytest.approx(np.corrcoef(a.ravel(), c.ravel())[0, 1])
    assert reference_metrics(a, a, np.zeros(a.shape, bool)) == {"r": None, "rmse_m_per_yr": None,
                                                                "bias_m_per_yr": None, "n": 0}


def _write_reference(path, epsg, x0, y0, spacing, nx, ny, vx, vy):
    from gfjax.io.netcdf import write_netcdf

    g = MapGrid(epsg, x0, y0, spacing, nx, ny)
    ds = xr.Dataset({"vx": (("y", "x"), np.full(g.shape, vx, np.float32)),
                     "vy": (("y", "x"), np.full(g.shape, vy, np.float32)),
                     "v": (("y", "x"), np.full(g.shape, np.hypot(vx, vy), np.float32)),
                     "v_error": (("y", "x"), np.full(g.shape, 12.0, np.float32))})
    write_netcdf(ds, path, grid=g)


def test_read_reference_same_crs_other_spacing(tmp_path):
    p = tmp_path / "reference_velocity_2017.nc"
    _write_reference(p, 32605, 599760.0, 7010160.0, 120.0, 14, 12, 100.0, -50.0)
    ref = read_reference_on_grid(p, GRID)
    np.testing.assert_allclose(ref["vx"].values, 100.0, rtol=1e-5)
    np.testing.assert_allclose(ref["vy"].values, -50.0, rtol=1e-5)
    np.testing.assert_allclose(ref["v_error"].values, 12.0, rtol=1e-5)
    assert ref["v"].shape == GRID.shape and "spatial_ref" in ref.coords


def test_read_reference_polar_stereographic_rotates(tmp_path):
    from pyproj import Transformer

    tr = Transformer.from_crs(32605, 3413, always_xy=True)
    xs, ys = tr.transform([GRID.x0 - 2000, GRID.bounds[2] + 2000], [GRID.bounds[1] - 2000, GRID.y0 + 2000])
    x0, y0 = np.floor(min(xs) / 120) * 120 - 2400, np.ceil(max(ys) / 120) * 120 + 2400
    n = int((max(xs) - min(xs) + 4800) / 120) + 2
    p = tmp_path / "ref3413.nc"
    _write_reference(p, 3413, x0, y0, 120.0, n, n, 300.0, 400.0)
    ref = read_reference_on_grid(p, GRID)
    np.testing.assert_allclose(ref["v"].values, 500.0, rtol=1e-4)
    assert not np.allclose(ref["vx"].values, 300.0, atol=10)      # rotated into UTM axes


def test_read_reference_from_the_scene_writer(tmp_path):
    """What the scene stage writes (NetCDF) and the GeoTIFF folder variant, read onto the scene
    grid, agree with the truth's annual speed to the reference noise level."""
    from gfjax.sim import SceneSpec, build_scene, write_reference_product

    scene = build_scene(SceneSpec(grid_spacing_m=1000, pixel_scale=8, date_step=12))
    nc = tmp_path / "scene" / "reference_velocity_2018.nc"
    write_reference_product(scene, 2018, nc)
    write_reference_product(scene, 2018, tmp_path / "tifs")
    truth = np.hypot(*scene.displacement(2018.0, 2019.0)[:2])
    for src in (nc, tmp_path / "tifs"):
        ref = read_reference_on_grid(src, scene.grid)
        v = ref["v"].values
        ok = scene.ice_mask & np.isfinite(v)
        assert ok.sum() > 0.8 * scene.ice_mask.sum()
        assert np.nanmin(v) >= 0 and np.nanmax(v) < 1e5                      # fill decoded
        m = reference_metrics(v, truth, ok)
        assert m["r"] > 0.9 and m["rmse_m_per_yr"] < 4 * scene.spec.reference_noise_m_per_yr


def test_the_truth_is_resampled_onto_another_grid():
    from types import SimpleNamespace

    from gfjax.products.validation import truth_on_grid

    grid = MapGrid.from_bounds(32605, 0.0, 0.0, 2000.0, 1000.0, 100.0)
    x, y = grid.meshgrid()
    ice = x > 1000.0
    field = np.stack([x + 2 * y, x - y, 0 * x, 0 * x + 1.0])
    truth = SimpleNamespace(grid=grid, ice_mask=ice, interval_velocity=lambda t0, t1: field * (t1 - t0))
    other = MapGrid.from_bounds(32605, 350.0, 250.0, 1650.0, 750.0, 50.0)      # finer, shifted: inside
    xo, yo = other.meshgrid()
    mask, velocity = truth_on_grid(truth, xo, yo, epsg=32605)
    v = velocity(2017.0, 2019.0)
    assert v.shape == (4, *xo.shape)
    np.testing.assert_allclose(v[0], 2 * (xo + 2 * yo), rtol=1e-6)             # bilinear: exact on a plane
    np.testing.assert_allclose(v[3], 2.0)
    assert np.array_equal(mask, xo > 1000.0)                                     # nearest cell
    with pytest.raises(ValueError, match="EPSG:32606 is not the truth's EPSG:32605"):
        truth_on_grid(truth, xo, yo, epsg=32606)


def test_a_reference_span_ending_milliseconds_after_the_last_epoch_is_validated():
    """The SAFE run's 2018 reference product ends at the last acquisition as the simulator times it, 0.012 s
    after the series' last epoch (the product's azimuth time): that is the last epoch, not outside the series."""
    from gfjax.products.validation import displacement_at

    times = np.array([2017.9, 2018.1, 2018.255271023])
    d = np.stack([np.full((2, 3), v) for v in (0.0, 10.0, 25.5)]).astype(np.float32)
    ts = xr.Dataset({f"displacement_{c}": (("time", "y", "x"), d) for c in ("north", "east")},
                    coords={"time": times})
    late = times[-1] + 0.012 / (365.25 * 86400)
    assert np.all(displacement_at(ts, "north", late) == 25.5)
    assert np.all(np.isfinite(annual_speed(ts, 2018, (2018.0, late))))
    assert np.all(np.isnan(displacement_at(ts, "north", times[-1] + 2.0 / (365.25 * 24))))   # two hours: outside
    assert np.all(np.isnan(displacement_at(ts, "north", times[0] - 0.01)))


def test_truth_metrics_split_fast_ice_into_observed_and_interpolated():
    """With the MSBAS observation support, fast-ice figures split into samples every map set
    measured and the rest: an estimate right where observed and 30 % slow where interpolated
    gives bias 0 and -30 % in the two parts, with their shares."""
    n_int = 10
    epochs = 2020.0 + np.arange(n_int + 1) * 0.1
    truth = np.zeros((n_int, 4) + GRID.shape, np.float32)
    truth[:, 0] = 2000.0
    truth[:, 1] = 1000.0
    obs = np.full((n_int,) + GRID.shape, 4, np.uint8)
    obs[3:7, 2:5] = 2                                        # a gap of two of four sets
    est = truth.copy()
    est[:, :2] *= np.where(obs < 4, 0.7, 1.0)[:, None]
    ts = timeseries_from_velocities(epochs, est, grid=GRID)
    ts["observed_sets"] = (("interval", "y", "x"), obs, {"n_sets": 4})
    ice = np.ones(GRID.shape, bool)
    m = truth_metrics(ts, lambda k: truth[k], ice, 0.5 * (epochs[:-1] + epochs[1:]))
    f = m["fast_ice_speed"]
    share = float((obs < 4).mean())
    assert f["observed"]["bias_percent"] == pytest.approx(0, abs=1e-3)
    assert f["interpolated"]["bias_percent"] == pytest.approx(-30, abs=1e-2)
    assert f["interpolated"]["share"] == pytest.approx(share)
    assert f["observed"]["share"] == pytest.approx(1 - share)
    assert f["bias_percent"] == pytest.approx(-30 * share, abs=1e-2)
    assert f["per_year"]["2020"]["interpolated"]["n"] == int((obs < 4).sum())


def test_marker_truth_errors_are_the_cumulative_drift_at_each_marker():
    """Markers of a flowline on a synthetic series whose nSPF is 5 m/yr too high at the second
    marker's cells only and whose SPF is right: the worst cumulative error there is 5 m/yr times
    the span, zero elsewhere; a marker beyond the flowline has none."""
    from gfjax.products.flowline import flowline_profiles
    from gfjax.products.validation import marker_truth_errors

    grid = MapGrid(32605, 600000.0, 7010000.0, 100.0, 30, 6)
    n_int = 8
    epochs = 2020.0 + np.arange(n_int + 1) * 0.25
    rng = np.random.default_rng(4)
    rates = rng.normal(0, 20, (4,) + grid.shape)             # constant truth rates, m/yr
    est = np.repeat(rates[None], n_int, axis=0).astype(np.float32)
    est[:, 3, 1:5, 9:14] += 5.0                               # nSPF drift around x = 1.15 km
    ts = timeseries_from_velocities(epochs, est, grid=grid)
    x = grid.x0 + grid.spacing * (np.arange(30) + 0.5)
    y = np.full(30, grid.y0 - 3 * grid.spacing)
    flow = flowline_profiles(ts, grid, x, y, x - x[0], marker_km=(0.5, 1.1, 9.0), region_px=3)
    out = marker_truth_errors(flow, ts, lambda t0, t1: rates * (t1 - t0))
    assert out["marker_km"] == [0.5, 1.1, 9.0]
    nspf, spf = out["max_abs_error_m"]["up_nspf"], out["max_abs_error_m"]["up_spf"]
    assert nspf[0] == pytest.approx(0, abs=1e-3) and nspf[1] == pytest.approx(5.0 * 2.0, rel=1e-4)
    assert max(spf[:2]) == pytest.approx(0, abs=1e-3)
    assert nspf[2] is None and spf[2] is None
