"""Simulated SLC pairs: determinism, statistics, and offsets recovered by an FFT oracle."""
import numpy as np
import pytest

from gfjax.sim import SceneSpec, build_scene

W = 64


@pytest.fixture(scope="module")
def scene():
    """Full-resolution (pixel_scale 1) 6 km × 6 km patch on the lower trunk, 2020–2021."""
    from gfjax.sim.flowline import muldrow_flowline

    x, y = muldrow_flowline().sample(15000.0 + 36000.0)
    return build_scene(SceneSpec(pixel_scale=1.0, bbox=[x - 3000, y - 3000, x + 3000, y + 3000],
                                 start="2020-06-01", end="2021-11-18", seed=3))


def cross_correlation_offset(ref: np.ndarray, sec: np.ndarray, upsample: int = 64) -> np.ndarray:
    """NumPy oracle: (azimuth, range) position of ``ref``'s content in ``sec`` (px), from the
    FFT cross-correlation peak refined by a matrix-multiply DFT upsampled around the peak
    (Guizar-Sicairos et al. 2008)."""
    n = np.array(ref.shape)
    cross = np.fft.fft2(sec) * np.conj(np.fft.fft2(ref))
    cc = np.abs(np.fft.ifft2(cross))
    peak = np.array(np.unravel_index(np.argmax(cc), cc.shape), dtype=float)
    peak = np.where(peak > n // 2, peak - n, peak)
    half = 1.5
    grid = np.arange(-half, half + 1e-9, 1.0 / upsample)
    fa, fr = np.fft.fftfreq(n[0]), np.fft.fftfreq(n[1])
    ka = np.exp(2j * np.pi * np.outer(peak[0] + grid, fa))
    kr = np.exp(2j * np.pi * np.outer(fr, peak[1] + grid))
    fine = np.abs(ka @ cross @ kr)
    i, j = np.unravel_index(np.argmax(fine), fine.shape)
    return peak + np.array([grid[i], grid[j]])


def test_pair_is_deterministic_and_complex64(scene):
    a1, b1 = scene.slc_pair("T065", 3)
    a2, b2 = scene.slc_pair("T065", 3)
    assert a1.dtype == np.complex64 and a1.shape == scene.tracks["T065"].shape
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    a3, _ = scene.slc_pair("T065", 4)
    assert not np.array_equal(a1, a3)
    assert 0.9 < np.mean(np.abs(a1) ** 2) < 1.2


def test_slow_pair_coherence_matches_model(scene):
    """Off ice the secondary is the reference's speckle with the rock coherence."""
    trk = scene.tracks["T065"]
    k = next(i for i, (r, s) in enumerate(trk.pairs)
             if np.isclose((trk.decimal_years[s] - trk.decimal_years[r]) * 365.25, 12, atol=0.1))
    ref, sec = scene.slc_pair("T065", k)
    from gfjax.sim.slc import RadarOffsetField

    f = RadarOffsetField.for_pair(scene, "T065", k)
    still = (np.abs(f.azimuth) < 1e-9) & (np.abs(f.range) < 1e-9)
    a_idx, r_idx = np.nonzero(still[2:-2, 2:-2])
    sel = slice(None, None, 7)
    aa = (a_idx[sel] + 2) * f.step[0]
    rr = (r_idx[sel] + 2) * f.step[1]
    ok = (aa < ref.shape[0]) & (rr < ref.shape[1])
    x, y = ref[aa[ok], rr[ok]], sec[aa[ok], rr[ok]]
    gamma = np.abs(np.vdot(x, y)) / np.sqrt(np.vdot(x, x).real * np.vdot(y, y).real)
    expected = np.median(f.coherence[still]) / (1 + scene.spec.noise)
    assert abs(gamma - expected) < 0.05


def test_offset_tracking_recovers_true_displacement(scene):
    trk = scene.tracks["T131"]
    # a pair in the 2021 surge: offsets of many pixels
    k = int(np.argmin(np.abs(trk.decimal_years[:-1] - 2021.4)))
    ref, sec = scene.slc_pair("T131", k)
    n_az, n_rg = ref.shape
    rng = np.random.default_rng(0)
    cand_a = rng.integers(W + 40, n_az - W - 40, 4000)  # margins keep shifted windows inside
    cand_r = rng.integers(W + 200, n_rg - W - 200, 4000)
    da, dr = scene.true_radar_offsets("T131", k, cand_a, cand_r)
    corners = [(-W // 2, -W // 2), (-W // 2, W // 2), (W // 2, -W // 2), (W // 2, W // 2)]
    spread = np.zeros(cand_a.size)
    for ca, cr in corners:
        ea, er = scene.true_radar_offsets("T131", k, cand_a + ca, cand_r + cr)
        spread = np.maximum(spread, np.maximum(np.abs(ea - da), np.abs(er - dr)))
    fast = np.flatnonzero((spread < 0.8) & (np.hypot(da, dr) > 10.0))
    slow = np.flatnonzero((spread < 0.2) & (np.hypot(da, dr) > 0.2) & (np.hypot(da, dr) < 3.0))
    picks = np.concatenate([fast[:6], slow[:4]])
    assert len(fast) >= 3, "expected fast, uniformly moving ice in a 2021 pair"
    errors = []
    for i in picks:
        a0, r0 = cand_a[i] - W // 2, cand_r[i] - W // 2
        ia, ir = int(np.round(da[i])), int(np.round(dr[i]))
        win_ref = ref[a0:a0 + W, r0:r0 + W]
        win_sec = sec[a0 + ia:a0 + ia + W, r0 + ir:r0 + ir + W]
        measured = cross_correlation_offset(win_ref, win_sec) + [ia, ir]
        # truth averaged over the window (the tracker measures the mean motion)
        aa, rr = np.meshgrid(np.arange(a0, a0 + W), np.arange(r0, r0 + W), indexing="ij")
        ta, tr = scene.true_radar_offsets("T131", k, aa, rr)
        errors.append(measured - [ta.mean(), tr.mean()])
    errors = np.abs(np.array(errors))
    assert errors.max() < 0.1, errors
    assert errors.mean() < 0.03, errors


def test_resampling_kernel_matches_fourier_shift():
    """A uniform sub-pixel move through the two-pass resampler equals the exact Fourier shift."""
    from gfjax.sim.slc import _move_block, band_limited_speckle
    from gfjax.sim.speckle import fourier_shift

    n = (128, 256)
    c = band_limited_speckle(np.random.default_rng(1), n)
    lines = np.arange(n[0], dtype=float)[:, None]
    cols = np.arange(n[1], dtype=float)[None, :]
    for shift in [(0.25, 0.5), (3.3, -7.6), (12.71, 40.13)]:
        pa = np.broadcast_to(lines - shift[0], n).copy()
        pr = np.broadcast_to(cols - shift[1], n).copy()
        moved = _move_block(c, slice(0, n[0]), pa, pr, np.ones(n, dtype=bool))
        exact = fourier_shift(np.fft.fft2(c), shift)
        inner = (slice(20, -20), slice(50, -50))
        err = np.sqrt(np.mean(np.abs(moved[inner] - exact[inner]) ** 2) / np.mean(np.abs(exact[inner]) ** 2))
        assert err < 0.01, (shift, err)
