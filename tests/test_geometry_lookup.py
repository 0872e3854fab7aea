"""Lookup table of one acquisition on a map grid (gfjax.geometry.lookup), on the real Terceira swath.

Grid: UTM 26N, 250 m, 333 × 243 cells (61 × 83 km) over Terceira and the swath's far-range edge,
heights 0 m above the ellipsoid (the annotation's height at its sea points). Measured here:

* ESA's geolocation grid points inside the grid (sea, h = 0; 46 points): the table, bilinearly
  interpolated at their map position, puts them at the annotation's azimuth time within
  median/max 2.4e-4 / 9.1e-4 lines and at its range pixel within 1.7e-3 / 2.3e-3 samples (the
  kernel alone: ~5e-4 lines, ~6e-5…1.7e-3 samples — test_geometry_rdr; 250 m cells add < 2e-3);
* cells beyond the last valid sample, beyond the swath in azimuth, or without a height are invalid;
* ~0.2 s for the 81,000 cells after a 1.8 s compilation (2-core CPU, float64).
"""
import warnings

import numpy as np
import pytest

from gfjax.geometry.crs import lonlat_to_xy, xy_to_lonlat
from gfjax.geometry.grid import MapGrid
from gfjax.geometry.lookup import geodetic_to_ecef, lookup_table
from gfjax.geometry.s1_geometry import llh_to_ecef, radar_coordinates_llh

EPSG = 32626


def _grid(lon0, lat0, lon1, lat1, spacing=250.0):
    x0, y0 = lonlat_to_xy(EPSG, lon0, lat0)
    x1, y1 = lonlat_to_xy(EPSG, lon1, lat1)
    return MapGrid.from_bounds(EPSG, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), spacing)


@pytest.fixture(scope="module")
def swath(shared_data, tmp_path_factory):
    from gfjax.io.safe import read_swath
    from terceira import build_safe

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_swath(build_safe(shared_data, tmp_path_factory.mktemp("terceira"))[0])


def test_geodetic_to_ecef_matches_pyproj():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    lat, lon, h = rng.uniform(-89, 89, 200), rng.uniform(-180, 180, 200), rng.uniform(-100, 6000, 200)
    with jax.enable_x64(True):
        xyz = np.asarray(jax.vmap(geodetic_to_ecef)(jnp.radians(jnp.asarray(lat)), jnp.radians(jnp.asarray(lon)),
                                                     jnp.asarray(h)))
    assert np.abs(xyz - llh_to_ecef(lat, lon, h)).max() < 1e-6        # m


@pytest.mark.shared
def test_terceira_lookup_table_against_the_geolocation_grid(swath):
    from scipy.ndimage import map_coordinates

    grid = _grid(-27.9, 38.35, -26.95, 38.9)
    height = np.zeros(grid.shape)
    height[:10, -10:] = np.nan                                     # no DEM there
    lut = lookup_table(swath, grid, height, block_rows=64)
    assert lut.line.shape == grid.shape and lut.los.shape == (3, *grid.shape)
    assert not lut.valid[:10, -10:].any() and lut.valid.mean() > 0.5
    assert set(np.unique(lut.burst[lut.valid])) == {5, 6, 7, 8}

    # NumPy oracle of the table's own cells: the pyproj/radar_coordinates_llh path and the valid samples
    rows, cols = np.nonzero(lut.valid)
    pick = np.random.default_rng(0).choice(rows.size, 300, replace=False)
    r, c = rows[pick], cols[pick]
    lon, lat = xy_to_lonlat(EPSG, grid.x[c], grid.y[r])
    rc = radar_coordinates_llh(swath, lat, lon, 0.0)
    assert np.array_equal(rc["burst"], lut.burst[r, c])
    assert np.abs(rc["line"] - lut.swath_line[r, c]).max() < 1e-6 and np.abs(rc["sample"] - lut.sample[r, c]).max() < 1e-6
    b = [swath.bursts[k] for k in lut.burst[r, c]]
    li = np.round(lut.line[r, c]).astype(int)
    lo = np.array([bb.first_valid_sample[i] for bb, i in zip(b, li)])
    hi = np.array([bb.last_valid_sample[i] for bb, i in zip(b, li)])
    assert np.all((lo >= 0) & (lut.sample[r, c] >= lo) & (lut.sample[r, c] <= hi))

    # truth: ESA's geolocation grid points at sea (h = 0) inside the grid, interpolated from the table
    g = swath.geolocation
    glat, glon, gh = (v.values.ravel() for v in (g.latitude, g.longitude, g.height))
    gx, gy = lonlat_to_xy(EPSG, glon, glat)
    fr, fc = grid.fractional_index(gx, gy)
    inside = (np.abs(gh) < 0.01) & (fr > 1) & (fr < grid.ny - 2) & (fc > 1) & (fc < grid.nx - 2)
    ati = swath.azimuth_time_interval_s
    burst_t0 = np.array([(bb.azimuth_time - swath.first_line_time) / np.timedelta64(1, "ns") * 1e-9
                         for bb in swath.bursts])
    t_line = np.where(lut.valid, burst_t0[np.maximum(lut.burst, 0)] + lut.line * ati, np.nan)  # continuous over bursts
    stencil_ok = map_coordinates(lut.valid.astype(float), [fr, fc], order=1) > 1 - 1e-9
    inside &= stencil_ok
    assert inside.sum() >= 8, inside.sum()
    t_at = map_coordinates(np.nan_to_num(t_line), [fr[inside], fc[inside]], order=1)
    s_at = map_coordinates(np.nan_to_num(lut.sample), [fr[inside], fc[inside]], order=1)
    t_grid = (np.broadcast_to(g.azimuth_time.values[:, None], g.latitude.shape).ravel()[inside]
              - swath.first_line_time) / np.timedelta64(1, "ns") * 1e-9
    d_line = (t_at - t_grid) / ati
    d_sample = s_at - np.broadcast_to(g.pixel.values[None, :], g.latitude.shape).ravel()[inside]
    assert np.median(np.abs(d_line)) < 3e-3 and np.abs(d_line).max() < 5e-3, d_line
    assert np.median(np.abs(d_sample)) < 3e-3 and np.abs(d_sample).max() < 5e-3, d_sample
    # incidence and LOS: descending, right-looking (satellite to the east), IW3 incidence ~41-46°
    inc = lut.incidence_deg[lut.valid]
    assert 40 < inc.min() and inc.max() < 47 and np.all(lut.los[1][lut.valid] > 0.6)
    assert np.allclose(np.linalg.norm(lut.los[:, lut.valid], axis=0), 1, atol=1e-6)

    # far-range edge: in each row the westernmost valid cell is within one cell (250 m ≈ 80 samples)
    # of its burst line's last valid sample, and every cell east of it is valid
    for row in range(20, grid.ny, 40):
        ok = np.flatnonzero(lut.valid[row])
        c0 = ok[0]
        hi = swath.bursts[lut.burst[row, c0]].last_valid_sample[int(round(lut.line[row, c0]))]
        assert hi - 80 < lut.sample[row, c0] <= hi and lut.valid[row, c0:].all()


@pytest.mark.shared
def test_cells_off_the_swath_are_invalid(swath):
    # 333 × 64 cells: the block shape of the grid above (no new compilation)
    for lon, lat in ((-28.9, 38.6), (-27.5, 40.2)):      # ~30 km beyond the far-range edge; after the last burst
        x, y = lonlat_to_xy(EPSG, lon, lat)
        grid = MapGrid(EPSG, float(x), float(y), 250.0, 333, 64)
        lut = lookup_table(swath, grid, np.zeros(grid.shape))
        assert not lut.valid.any() and (lut.burst == -1).all() and np.isnan(lut.sample).all()


@pytest.mark.shared
def test_terceira_lookup_table_against_sarsen(swath):
    """sarsen (bopen, independent: degree-5 polynomial orbit fit, its own Newton zero-Doppler) on the same
    cells with random heights 0–1000 m: measured median/max 2.4e-4 / 7.4e-4 lines, 2.8e-5 / 4.5e-5 samples
    over the 64,097 valid cells of the 250 m grid."""
    pytest.importorskip("sarsen", reason="sarsen (the test extra) is not installed")
    import xarray as xr
    from sarsen.geocoding import backward_geocode
    from sarsen.orbit import OrbitPolyfitInterpolator

    grid = _grid(-27.9, 38.35, -26.95, 38.9)         # the grid above: no new compilation
    height = np.random.default_rng(0).uniform(0.0, 1000.0, grid.shape)
    lut = lookup_table(swath, grid, height)
    lon, lat = xy_to_lonlat(EPSG, *grid.meshgrid())
    dem_ecef = xr.DataArray(np.moveaxis(llh_to_ecef(lat, lon, height), -1, 0), dims=("axis", "y", "x"),
                            coords={"axis": [0, 1, 2]})
    o = swath.orbit
    position = xr.DataArray(o.position.T, dims=("axis", "azimuth_time"), coords={"azimuth_time": o.time, "axis": [0, 1, 2]})
    acq = backward_geocode(dem_ecef, OrbitPolyfitInterpolator.from_position(position, deg=5))
    tau = 2.0 * np.sqrt((acq.dem_distance ** 2).sum("axis")).values / 299_792_458.0
    sample = (tau - swath.slant_range_time_s) * swath.range_sampling_rate_hz
    seconds = (acq.azimuth_time.values - swath.first_line_time) / np.timedelta64(1, "ns") * 1e-9
    t_line = seconds - 0.5 * (tau - swath.slant_range_time_s)                 # the annotation's line time
    ati = swath.azimuth_time_interval_s
    burst_t0 = np.array([(b.azimuth_time - swath.first_line_time) / np.timedelta64(1, "ns") * 1e-9
                         for b in swath.bursts])
    ok = lut.valid
    d_line = ((burst_t0[np.maximum(lut.burst, 0)] + lut.line * ati - t_line) / ati)[ok]
    d_sample = (lut.sample - sample)[ok]
    assert ok.sum() > 60_000
    assert np.median(np.abs(d_line)) < 1e-3 and np.abs(d_line).max() < 2e-3, (np.median(np.abs(d_line)), np.abs(d_line).max())
    assert np.abs(d_sample).max() < 1e-3, np.abs(d_sample).max()
