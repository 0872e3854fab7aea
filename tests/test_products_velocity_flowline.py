"""Mean velocity (ITS_LIVE names, rank mask, GeoTIFFs) and flowline profiles / marker stats."""
import numpy as np
import pytest

from gfjax.geometry.grid import MapGrid
from gfjax.products.flowline import flowline_profiles
from gfjax.products.synthetic import timeseries_from_velocities
from gfjax.products.velocity import mean_velocity, write_velocity_geotiffs

GRID = MapGrid(32605, 600000.0, 7010000.0, 100.0, 12, 10)
RATES = {"north": 30.0, "east": -40.0, "up_spf": 5.0, "up_nspf": -2.0}


def linear_ts(n_int=9):
    """Constant velocities RATES (per pixel scaled by 1 + col/10): D(t) linear in t."""
    epochs = 2017.0 + np.cumsum(np.r_[0.0, np.full(n_int, 12 / 365.25)])
    scale = (1 + np.arange(GRID.nx) / 10.0)[None, :] * np.ones(GRID.shape)
    vel = np.stack([np.stack([RATES[c] * scale for c in RATES])] * n_int).astype(np.float32)
    rank = np.full(GRID.shape, n_int * 4)
    rank[0, :3] = 5
    return timeseries_from_velocities(epochs, vel, grid=GRID, rank=rank), scale


def test_mean_velocity_recovers_rates_and_names():
    ts, scale = linear_ts()
    ds = mean_velocity(ts)
    np.testing.assert_allclose(ds["vx"].values, RATES["east"] * scale, rtol=1e-4)
    np.testing.assert_allclose(ds["vy"].values, RATES["north"] * scale, rtol=1e-4)
    np.testing.assert_allclose(ds["v"].values, 50.0 * scale, rtol=1e-4)
    np.testing.assert_allclose(ds["vz_spf"].values, 5.0 * scale, rtol=1e-4)
    np.testing.assert_allclose(ds["vz_nspf"].values, -2.0 * scale, rtol=1e-4)
    np.testing.assert_allclose(ds["vx_r2"].values, 1.0, atol=1e-4)
    assert np.nanmax(ds["v_error"].values) < 1e-2
    for name in ("vx", "vy", "v", "v_error", "vz_spf_std", "vz_nspf_r2", "rank"):
        assert name in ds
    assert ds["vx"].attrs["units"] == "m/yr" and "standard_name" not in ds["v"].attrs  # none in the CF table
    assert ds["vx"].dtype == np.float32


def test_v_error_propagation():
    ts, _ = linear_ts()
    ts["linear_rate_std_east"][:] = 3.0
    ts["linear_rate_std_north"][:] = 4.0
    ds = mean_velocity(ts)
    vx, vy = ds["vx"].values, ds["vy"].values
    expect = np.sqrt((vx * 3.0) ** 2 + (vy * 4.0) ** 2) / np.hypot(vx, vy)
    np.testing.assert_allclose(ds["v_error"].values, expect, rtol=1e-5)


def test_rank_masking():
    ts, _ = linear_ts()
    ds = mean_velocity(ts, rank_threshold=10)
    assert np.isnan(ds["vx"].values[0, :3]).all() and np.isnan(ds["v"].values[0, :3]).all()
    assert np.isfinite(ds["vx"].values[1:]).all() and np.isfinite(ds["vz_nspf"].values[0, 3:]).all()
    assert (ds["rank"].values[0, :3] == 5).all()
    assert ds.attrs["masked_by_rank"] == 3


def test_dim3_gives_vz():
    ts, scale = linear_ts()
    ts = ts.rename({f"{k}_up_spf": f"{k}_up" for k in ("linear_rate", "linear_rate_std", "linear_rate_r2",
                                                          "velocity", "displacement")})
    ts = ts.drop_vars([v for v in ts.data_vars if v.endswith("up_nspf")])
    ds = mean_velocity(ts)
    np.testing.assert_allclose(ds["vz"].values, 5.0 * scale, rtol=1e-4)
    assert "vz_nspf" not in ds


def test_write_velocity_geotiffs(tmp_path):
    from gfjax.io.geotiff import read_geotiff

    ts, _ = linear_ts()
    ds = mean_velocity(ts)
    paths = write_velocity_geotiffs(ds, GRID, tmp_path / "tif", cog=True)
    assert {p.stem for p in paths} >= {"vx", "vy", "v", "v_error", "vz_spf", "vz_nspf", "rank"}
    arr, grid = read_geotiff(tmp_path / "tif" / "vx.tif")
    assert grid == GRID
    np.testing.assert_allclose(arr, ds["vx"].values, rtol=1e-6)


def test_flowline_samples_linear_field_exactly():
    n_int = 3
    epochs = 2018.0 + np.arange(n_int + 1) * 0.1
    X, Y = GRID.meshgrid()
    base = 2.0 * (X - 600000.0) / 100 + 0.5 * (7010000.0 - Y) / 100   # linear in x, y
    vel = np.stack([np.stack([base + k, 2 * base, base * 0, -base]) for k in range(n_int)]).astype(np.float32)
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    # A straight flowline inside the cell-centre hull, distance = arc length.
    x = np.linspace(600150.0, 601050.0, 7)
    y = np.linspace(7009850.0, 7009150.0, 7)
    d = np.r_[0, np.cumsum(np.hypot(np.diff(x), np.diff(y)))]
    fl = flowline_profiles(ts, GRID, x, y, d, marker_km=(0.5,), region_px=3)
    fx, fy = fl["flowline_x"].values, fl["flowline_y"].values
    line = 2.0 * (fx - 600000.0) / 100 + 0.5 * (7010000.0 - fy) / 100
    assert np.allclose(np.diff(fl["distance"].values), 100.0)
    for k in range(n_int):
        np.testing.assert_allclose(fl["velocity_north"].values[k], line + k, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(fl["speed"].values[1], np.hypot(line + 1, 2 * line), rtol=1e-5)
    np.testing.assert_allclose(fl["displacement_up_nspf"].values[-1], -line * 0.3, rtol=1e-4, atol=1e-4)
    assert fl["distance_km"].values[-1] == pytest.approx(d[-1] / 1e3, abs=0.1)


def test_marker_region_stats_known_field():
    epochs = np.array([2018.0, 2018.5])
    field = np.arange(GRID.ny * GRID.nx, dtype=np.float32).reshape(GRID.shape)
    field[5, 5] = np.nan
    vel = np.stack([field, field, field, field])[None]
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    x = np.array([GRID.x[1], GRID.x[10]])
    y = np.array([GRID.y[4], GRID.y[4]])
    d = np.array([0.0, 900.0])
    fl = flowline_profiles(ts, GRID, x, y, d, marker_km=(0.4, 5.0), region_px=5)
    r, c = int(fl["marker_row"][0]), int(fl["marker_col"][0])
    assert (r, c) == (4, 5)
    block = field[2:7, 3:8]
    assert fl["marker_velocity_east"].values[0, 0] == pytest.approx(np.nanmean(block), rel=1e-6)
    assert fl["marker_velocity_east"].values[0, 0 + 0] == pytest.approx(np.nanmean(block), rel=1e-6)
    assert fl["marker_velocity_east_std"].values[0, 0] == pytest.approx(np.nanstd(block), rel=1e-5)
    assert fl["marker_speed"].values[0, 0] == pytest.approx(np.nanmean(np.hypot(block, block)), rel=1e-6)
    assert fl["marker_displacement_north"].values[1, 0] == pytest.approx(0.5 * np.nanmean(block), rel=1e-5)
    assert np.isnan(fl["marker_velocity_east"].values[0, 1])  # beyond the flowline's end


def test_flowline_observed_fraction_and_its_hatching(tmp_path):
    """``observed_sets`` of the series becomes ``observed_fraction`` along the flowline (sets /
    n_sets at the samples), and the time–distance figure hatches the bridged cells."""
    import matplotlib

    matplotlib.use("Agg")
    from gfjax.plots.products import plot_time_distance

    n_int = 6
    epochs = 2020.0 + np.arange(n_int + 1) * 0.1
    vel = np.full((n_int, 4) + GRID.shape, 300.0, np.float32)
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    obs = np.full((n_int,) + GRID.shape, 4, np.uint8)
    obs[2:4, :, 6:] = 2                                      # the lower half bridged in two intervals
    ts["observed_sets"] = (("interval", "y", "x"), obs, {"n_sets": 4})
    x = GRID.x0 + GRID.spacing * (np.arange(12) + 0.5)
    y = np.full(12, GRID.y0 - 5 * GRID.spacing)
    flow = flowline_profiles(ts, GRID, x, y, x - x[0], marker_km=(0.3,), region_px=3)
    frac = flow["observed_fraction"].values
    d = flow["distance"].values
    assert np.allclose(frac[[0, 1, 4, 5]], 1.0)
    assert np.allclose(frac[2:4][:, d <= 450], 1.0) and np.allclose(frac[2:4][:, d >= 650], 0.5)
    path = plot_time_distance(ts, flow, tmp_path / "td.png", dpi=40)
    assert path.is_file()
