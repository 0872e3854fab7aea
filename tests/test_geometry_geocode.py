"""Geocoding: bilinear kernel vs NumPy oracle, map ↔ radar round trips on an affine radar geometry."""
import numpy as np
import pytest

from gfjax.geometry import MapGrid, bilinear_sample, geocode_maps, radar_positions, sample_map


class AffineTrack:
    """Tiny flat-earth radar geometry: azimuth along the heading, range to the right (ground)."""

    def __init__(self, grid, heading_deg, incidence_deg=39.0, azimuth_spacing=14.0, range_spacing=2.3,
                 shape=(600, 2400), origin=None):
        h = np.deg2rad(heading_deg)
        self.grid, self.shape = grid, shape
        self.az_dir = np.array([np.sin(h), np.cos(h)])      # (east, north) of flight
        self.rg_dir = np.array([np.cos(h), -np.sin(h)])     # right-looking ground range
        self.daz = azimuth_spacing
        self.drg = range_spacing / np.sin(np.deg2rad(incidence_deg))
        if origin is None:  # centre the radar scene on the grid
            c = np.array([grid.x.mean(), grid.y.mean()])
            origin = c - 0.5 * (shape[0] - 1) * self.daz * self.az_dir - 0.5 * (shape[1] - 1) * self.drg * self.rg_dir
        self.origin = np.asarray(origin, float)

    def radar_to_map(self, az, rg):
        p = (self.origin[:, None] + np.outer(self.az_dir, np.ravel(az)) * self.daz
             + np.outer(self.rg_dir, np.ravel(rg)) * self.drg)
        return p[0].reshape(np.shape(az)), p[1].reshape(np.shape(az))

    def map_to_radar(self):
        e, n = self.grid.meshgrid()
        d = np.stack([e - self.origin[0], n - self.origin[1]], axis=-1)
        az = d @ self.az_dir / self.daz
        rg = d @ self.rg_dir / self.drg
        out = (az < 0) | (az > self.shape[0] - 1) | (rg < 0) | (rg > self.shape[1] - 1)
        return np.where(out, np.nan, az), np.where(out, np.nan, rg)


def bilinear_oracle(field, row, col, min_weight=0.5):
    out = np.full(row.shape, np.nan)
    for idx in np.ndindex(row.shape):
        r, c = row[idx], col[idx]
        if not (np.isfinite(r) and np.isfinite(c)):
            continue
        r0, c0 = int(np.floor(r)), int(np.floor(c))
        tot = wsum = 0.0
        for rr, cc in ((r0, c0), (r0, c0 + 1), (r0 + 1, c0), (r0 + 1, c0 + 1)):
            w = (1 - abs(r - rr)) * (1 - abs(c - cc))
            if 0 <= rr < field.shape[0] and 0 <= cc < field.shape[1] and np.isfinite(field[rr, cc]):
                tot += w * field[rr, cc]
                wsum += w
        if wsum >= min_weight and wsum > 0:
            out[idx] = tot / wsum
    return out


GRID = MapGrid(32605, 390000.0, 7030000.0, 100.0, 60, 60)
ORIGIN, STEP = (4.0, 16.0), (8.0, 32.0)
N_WIN = (74, 74)
INTERIOR = np.zeros(GRID.shape, bool)
INTERIOR[2:-2, 2:-2] = True


def truth_field(e, n, grid=GRID):
    ce, cn = grid.x.mean(), grid.y.mean()
    r2 = (e - ce) ** 2 + (n - cn) ** 2
    return (2.0 * np.exp(-r2 / (2 * 1500.0**2)) + 1e-4 * (e - ce)).astype(np.float32)


def test_bilinear_kernel_matches_numpy_oracle():
    rng = np.random.default_rng(0)
    field = rng.normal(size=(12, 15)).astype(np.float32)
    field[rng.random(field.shape) < 0.25] = np.nan
    row = rng.uniform(-1.2, 12.2, size=(9, 11)).astype(np.float32)
    col = rng.uniform(-1.2, 15.2, size=(9, 11)).astype(np.float32)
    row[0, 0] = np.nan
    got = np.asarray(bilinear_sample(field, row, col, 0.5))
    np.testing.assert_allclose(got, bilinear_oracle(field, row, col), atol=1e-5, equal_nan=True)
    # support threshold: 0.25 valid weight → NaN, 0.75 → the valid value
    f = np.array([[1.0, np.nan], [np.nan, np.nan]], np.float32)
    assert np.isnan(bilinear_sample(f, np.float32([0.5]), np.float32([0.5]), 0.5)[0])
    assert bilinear_sample(f, np.float32([0.0]), np.float32([0.25]), 0.5)[0] == pytest.approx(1.0)


def test_linear_field_round_trip_is_exact():
    track = AffineTrack(GRID, 341.0)
    e, n = GRID.meshgrid()
    ce, cn = GRID.x.mean(), GRID.y.mean()
    linear = (0.3 + 2e-4 * (e - ce) - 1e-4 * (n - cn)).astype(np.float32)
    az, rg = radar_positions(ORIGIN, STEP, N_WIN)
    radar = np.asarray(sample_map(linear, GRID, *track.radar_to_map(az, rg)))
    back = np.asarray(geocode_maps(radar, ORIGIN, STEP, *track.map_to_radar()))
    ok = np.isfinite(back) & INTERIOR   # radar samples beyond the grid edge took edge values
    assert ok.sum() == INTERIOR.sum()
    np.testing.assert_allclose(back[ok], linear[ok], atol=2e-5)


def test_round_trip_both_tracks_on_one_grid():
    e, n = GRID.meshgrid()
    truth = truth_field(e, n)
    az, rg = radar_positions(ORIGIN, STEP, N_WIN)
    results = []
    for heading in (341.0, 199.0):
        track = AffineTrack(GRID, heading)
        # batch of 3 maps: truth, scaled truth, truth with holes
        radar = np.array(sample_map(np.stack([truth, 2 * truth, truth]), GRID, *track.radar_to_map(az, rg)))
        radar[2, ::5, ::3] = np.nan
        geo = np.asarray(geocode_maps(radar, ORIGIN, STEP, *track.map_to_radar()))
        assert geo.shape == (3,) + GRID.shape
        ok = np.isfinite(geo[0]) & INTERIOR
        err = np.abs(geo[0] - truth)[ok]
        # two bilinear passes (100 m map, 112 x 117 m radar steps) on a 1.5 km bump: h²f″/8 each,
        # measured 4.6e-3 m; tolerance 1e-2 m = 0.5 % of the 2 m amplitude
        assert err.max() < 1e-2, err.max()
        np.testing.assert_allclose(geo[1][ok], 2 * geo[0][ok], rtol=1e-5, atol=1e-6)
        ok2 = np.isfinite(geo[2]) & INTERIOR
        assert 0.5 * ok.sum() < ok2.sum() <= ok.sum()   # sparse holes mostly interpolated over
        assert np.abs(geo[2] - truth)[ok2].max() < 6e-2   # holes: up to ~ slope × radar step (112 m)
        results.append(ok)
    both = results[0] & results[1]
    assert both.sum() > 0.5 * GRID.nx * GRID.ny  # the two tracks cover the same central cells


def test_area_average_when_radar_is_finer():
    # radar samples every 25 m aligned with the 100 m map cells: 4x4 supersampling = block mean
    grid = MapGrid(32605, 0.0, 2000.0, 100.0, 20, 20)
    inc = 30.0
    track = AffineTrack(grid, 0.0, incidence_deg=inc, azimuth_spacing=25.0,
                        range_spacing=25.0 * np.sin(np.deg2rad(inc)), shape=(80, 80),
                        origin=(12.5, 12.5))
    rng = np.random.default_rng(3)
    radar = rng.normal(size=(80, 80)).astype(np.float32)   # az increases northward, rg eastward
    geo = np.asarray(geocode_maps(radar, (0.0, 0.0), (1.0, 1.0), *track.map_to_radar(), supersample=4))
    block = radar[::-1].reshape(20, 4, 20, 4).mean(axis=(1, 3))  # rows: north first
    np.testing.assert_allclose(geo[1:-1, 1:-1], block[1:-1, 1:-1], atol=1e-5)
    plain = np.asarray(geocode_maps(radar, (0.0, 0.0), (1.0, 1.0), *track.map_to_radar()))
    assert np.nanstd(plain) > 1.5 * np.nanstd(geo)   # 4-sample bilinear vs 16-sample mean of white noise


def test_sample_map_outside_grid_is_nan():
    f = np.ones(GRID.shape, np.float32)
    vals = np.asarray(sample_map(f, GRID, np.array([GRID.x0 - 500.0, GRID.x[5]]), np.array([GRID.y[5]] * 2)))
    assert np.isnan(vals[0]) and vals[1] == pytest.approx(1.0)


def test_bad_inputs_raise_clear_errors():
    track = AffineTrack(GRID, 341.0)
    lut_az, lut_rg = track.map_to_radar()
    radar = np.zeros(N_WIN, np.float32)
    with pytest.raises(ValueError, match="lut_azimuth_px and lut_range_px must be 2-D"):
        geocode_maps(radar, ORIGIN, STEP, lut_az, lut_rg[:, :-1])
    with pytest.raises(ValueError, match="does not overlap"):
        geocode_maps(radar, ORIGIN, STEP, lut_az + 1e5, lut_rg)
    with pytest.raises(ValueError, match="radar_step"):
        geocode_maps(radar, ORIGIN, (0.0, 32.0), lut_az, lut_rg)
    with pytest.raises(ValueError, match="maps must"):
        geocode_maps(np.zeros((2, 2, 2, 2)), ORIGIN, STEP, lut_az, lut_rg)
    with pytest.raises(ValueError, match="maps must be on the grid"):
        sample_map(np.zeros((5, 5)), GRID, [0.0], [0.0])


def test_lut_from_radar_lookup_inverts_an_affine_geometry():
    from gfjax.geometry import lut_from_radar_lookup

    track = AffineTrack(GRID, 199.0)
    az = np.arange(0, track.shape[0], 16.0)
    rg = np.arange(0, track.shape[1], 64.0)
    A, R = np.meshgrid(az, rg, indexing="ij")
    e, n = track.radar_to_map(A, R)
    lut_az, lut_rg = lut_from_radar_lookup(az, rg, e, n, GRID)
    ref_az, ref_rg = track.map_to_radar()
    ok = np.isfinite(lut_az) & np.isfinite(ref_az)
    assert ok.sum() == np.isfinite(ref_az).sum()   # the node hull covers the grid here
    np.testing.assert_allclose(lut_az[ok], ref_az[ok], atol=1e-3)
    np.testing.assert_allclose(lut_rg[ok], ref_rg[ok], atol=1e-3)
    with pytest.raises(ValueError, match="easting/northing"):
        lut_from_radar_lookup(az, rg, e[:-1], n, GRID)
