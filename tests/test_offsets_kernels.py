"""NumPy oracles for the one-window offset-tracking kernels (gfjax.offsets.kernels, refine,
oversample, quality)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gfjax.offsets.kernels import ncc_surface, window_weights
from gfjax.offsets.kernels_twostage import _ncc_separable, shift_matrix, two_stage_ncc
from gfjax.offsets.oversample import amplitude_block, deramp_azimuth, fft_oversample2, window_amplitude
from gfjax.offsets.quality import median_outliers, peak_covariance, surface_snr
from gfjax.offsets.refine import dft_correlation, refine_peak
from gfjax.sim.speckle import complex_speckle

from oracles import ncc_oracle


@pytest.fixture(autouse=True)
def strict_jax():
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        yield


def ncc_case(weighting):
    """A 16×20 template cut at lag (3, 5) from a 22×27 chip, plus noise; its window weights."""
    rng = np.random.default_rng(1)
    s = rng.random((22, 27)).astype(np.float32) + 1.0
    r = s[3:3 + 16, 5:5 + 20] + 0.3 * rng.random((16, 20)).astype(np.float32)
    return r, s, window_weights(r.shape, weighting, 0.4)


@pytest.mark.parametrize("weighting", ["uniform", "gaussian"])
def test_ncc_surface_matches_spatial_oracle(weighting):
    r, s, g = ncc_case(weighting)
    c = ncc_surface(jnp.asarray(r), jnp.asarray(s), jnp.asarray(g), weighting == "uniform")
    want = ncc_oracle(r.astype(np.float64), s.astype(np.float64), g.astype(np.float64))
    np.testing.assert_allclose(np.asarray(c.ncc), want, atol=2e-5)
    assert np.unravel_index(np.argmax(want), want.shape) == (3, 5)


@pytest.mark.parametrize("weighting", ["uniform", "gaussian"])
def test_separable_ncc_matches_spatial_oracle(weighting):
    r, s, g = ncc_case(weighting)
    ga, gr = window_weights((16, 1), weighting, 0.4)[:, 0], window_weights((20, 1), weighting, 0.4)[:, 0]
    np.testing.assert_allclose(np.outer(ga, gr), g, rtol=1e-6)
    got = _ncc_separable(jnp.asarray(r), jnp.asarray(s), ga, gr)
    want = ncc_oracle(r.astype(np.float64), s.astype(np.float64), g.astype(np.float64))
    np.testing.assert_allclose(np.asarray(got), want, atol=2e-5)
    x = np.random.default_rng(2).random(9)   # any x: shift_matrix is a linear identity
    np.testing.assert_allclose(shift_matrix(np.array([1.0, 2.0]), 3) @ x[:4],
                               [x[0] + 2 * x[1], x[1] + 2 * x[2], x[2] + 2 * x[3]], rtol=1e-6)


@pytest.mark.parametrize("weighting", ["uniform", "gaussian"])
def test_two_stage_equals_single_stage_kernel(weighting):
    """×2 amplitude of a speckle pair: the two-stage kernel finds the same sub-pixel peak as the
    full ×2 surface + DFT refinement (same value, lag within the refinement's own precision)."""
    ref = complex_speckle(np.random.default_rng(6), (96, 96), (0.85, 0.85))
    true = np.array([0.37, -1.23])
    fa, fr = np.fft.fftfreq(96)[:, None], np.fft.fftfreq(96)[None, :]
    sec = np.fft.ifft2(np.fft.fft2(ref) * np.exp(-2j * np.pi * (fa * true[0] + fr * true[1])))
    amp_r = np.asarray(amplitude_block(jnp.asarray(ref.astype(np.complex64)), oversample=2))
    amp_s = np.asarray(amplitude_block(jnp.asarray(sec.astype(np.complex64)), oversample=2))
    S = 6                                        # original px; template at (24, 24), 32×32
    t = jnp.asarray(amp_r[48:48 + 64, 48:48 + 64])
    chip = jnp.asarray(amp_s[48 - 2 * S:48 + 64 + 2 * S, 48 - 2 * S:48 + 64 + 2 * S])
    g = window_weights((64, 64), weighting, 0.5)
    ga = window_weights((64, 1), weighting, 0.5)[:, 0]
    ga1 = window_weights((32, 1), weighting, 0.5)[:, 0]
    two = two_stage_ncc(t, chip, ga, ga, ga1, ga1, 2 / 64, 0.4, 2.0)
    c = ncc_surface(t, chip, jnp.asarray(g), weighting == "uniform")
    one = refine_peak(c.ncc, c.cross_spectrum, c.energy_secondary, c.energy_reference,
                      chip.shape, 2 / 64, 27)
    lag2, lag1 = np.asarray(two.lag) / 2 - S, np.asarray(one.lag) / 2 - S
    np.testing.assert_allclose(lag1, true, atol=0.03)
    np.testing.assert_allclose(lag2, lag1, atol=2e-3)
    assert abs(float(two.value) - float(one.value)) < 2e-3 and not bool(two.on_border)
    assert float(two.snr) > 25 and np.all(np.asarray(two.cov)[:2] > 0)


def test_ncc_surface_flat_window_is_nan():
    s = jnp.ones((20, 20), jnp.float32)
    c = ncc_surface(s[:10, :10], s, jnp.ones((10, 10), jnp.float32), True)
    assert np.all(np.isnan(np.asarray(c.ncc)))


def test_dft_correlation_matches_fourier_shift_oracle():
    rng = np.random.default_rng(2)
    H, W = 24, 30
    t = np.zeros((H, W))
    t[:12, :14] = rng.standard_normal((12, 14))
    # band-limited secondary: no energy at Nyquist, where "half-way" is convention-dependent
    keep = (np.abs(np.fft.fftfreq(H))[:, None] < 0.45) & (np.abs(np.fft.fftfreq(W))[None, :] < 0.45)
    s = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((H, W))) * keep))
    P = np.conj(np.fft.rfft2(t)) * np.fft.rfft2(s)
    lags_a, lags_r = np.array([3.0, 4.25, 5.5]), np.array([7.0, 7.125, 9.9])
    got = np.asarray(dft_correlation(jnp.asarray(P.astype(np.complex64)), (H, W),
                                     jnp.asarray(lags_a, jnp.float32), jnp.asarray(lags_r, jnp.float32)))
    fa, fr = np.fft.fftfreq(H)[:, None], np.fft.fftfreq(W)[None, :]
    S = np.fft.fft2(s)
    for i, la in enumerate(lags_a):
        for j, lr in enumerate(lags_r):
            # s moved by −lag (band-limited interpolation), correlated at lag 0
            shifted = np.real(np.fft.ifft2(S * np.exp(2j * np.pi * (fa * la + fr * lr))))
            assert abs(got[i, j] - np.sum(t * shifted)) < 1e-3 * np.abs(t).sum()
    # integer lags reproduce the circular correlation exactly
    circ = np.fft.irfft2(P, s=(H, W))
    np.testing.assert_allclose(got[0, 0], circ[3, 7], rtol=1e-4)


def test_refine_peak_of_known_sinc_peak():
    """A correlation whose spectrum is a pure phase ramp peaks exactly at the ramp's shift."""
    H, W = 32, 32
    true = np.array([7.37, 11.81])
    fa, fr = np.fft.fftfreq(H)[:, None], np.fft.rfftfreq(W)[None, :]
    P = np.exp(-2j * np.pi * (fa * true[0] + fr * true[1])) * np.exp(-((fa / 0.3) ** 2 + (fr / 0.3) ** 2))
    surf = np.fft.irfft2(P, s=(H, W))[:20, :20]
    energy = np.ones((20, 20), np.float32) * float(surf.max() ** 2)
    pk = refine_peak(jnp.asarray(surf, jnp.float32), jnp.asarray(P.astype(np.complex64)),
                     jnp.asarray(energy), jnp.float32(1.0), (H, W), 1 / 64, 17)
    np.testing.assert_allclose(np.asarray(pk.lag), true, atol=2e-3)
    assert not bool(pk.on_border)


def test_fft_oversample2_keeps_samples_and_interpolates():
    rng = np.random.default_rng(3)
    n = 16
    k = np.fft.fftfreq(n)
    spec = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) * (
        (np.abs(k)[:, None] < 0.4) & (np.abs(k)[None, :] < 0.4))
    x = np.fft.ifft2(spec).astype(np.complex64)
    up = np.asarray(fft_oversample2(jnp.asarray(x)))
    np.testing.assert_allclose(up[::2, ::2], x, atol=1e-5)
    # oracle: band-limited value half-way between samples from the Fourier series
    ia, ir = 5.5, 8.5
    want = np.sum(spec * np.exp(2j * np.pi * (np.fft.fftfreq(n)[:, None] * ia + np.fft.fftfreq(n)[None, :] * ir))) / n ** 2
    assert abs(up[11, 17] - want) < 1e-5


def test_deramp_removes_azimuth_ramp_and_keeps_amplitude():
    x = complex_speckle(np.random.default_rng(4), (64, 40), (0.5, 0.8))
    ramped = x * np.exp(1j * 2.2 * np.arange(64))[:, None].astype(np.complex64)
    out = np.asarray(deramp_azimuth(jnp.asarray(ramped), 32))
    np.testing.assert_allclose(np.abs(out), np.abs(ramped), rtol=1e-5)
    lag = np.angle(np.sum(out[1:] * np.conj(out[:-1])))
    assert abs(lag) < 0.3
    amp = np.asarray(amplitude_block(jnp.asarray(ramped), oversample=2, deramp="azimuth", smooth_lines=32))
    assert amp.shape == (128, 80) and amp.dtype == np.float32
    w = np.asarray(window_amplitude(jnp.asarray(ramped[:16, :16]), 2, True))
    np.testing.assert_allclose(w[::2, ::2], np.abs(ramped[:16, :16]), rtol=1e-4, atol=1e-5)


def test_snr_and_covariance_oracle():
    a, r = np.meshgrid(np.arange(21.0), np.arange(21.0), indexing="ij")
    surf = 0.8 * np.exp(-((a - 10) ** 2 / 4.0 + (r - 10) ** 2 / 9.0)) + 0.01 * np.cos(a + 2 * r)
    surf = surf.astype(np.float32)
    lag = jnp.array([10, 10], jnp.int32)
    snr = float(surface_snr(jnp.asarray(surf), lag, jnp.float32(surf.max()), 3.0))
    away = (np.abs(a - 10) > 3) | (np.abs(r - 10) > 3)
    assert np.isclose(snr, surf.max() ** 2 / np.mean(surf[away] ** 2), rtol=1e-4)
    cov = np.asarray(peak_covariance(jnp.asarray(surf), lag, jnp.float32(surf.max()), jnp.float32(snr), 2.0))
    c = surf[9:12, 9:12].astype(np.float64)
    hess = 4.0 * np.array([[c[0, 1] - 2 * c[1, 1] + c[2, 1], (c[2, 2] - c[2, 0] - c[0, 2] + c[0, 0]) / 4],
                           [(c[2, 2] - c[2, 0] - c[0, 2] + c[0, 0]) / 4, c[1, 0] - 2 * c[1, 1] + c[1, 2]]])
    want = (surf.max() ** 2 / snr / surf.max()) * np.linalg.inv(-hess)
    np.testing.assert_allclose(cov, [want[0, 0], want[1, 1], want[0, 1]], rtol=1e-3, atol=1e-9)
    assert cov[1] > cov[0] > 0        # the wider (range) peak is less certain


def test_median_outliers_oracle():
    rng = np.random.default_rng(5)
    az = rng.normal(0, 0.05, (9, 9))
    rg = rng.normal(1, 0.05, (9, 9))
    az[4, 4] = 3.0
    rg[2, 6] = np.nan
    bad = median_outliers(az, rg, 5, 4.0, 0.5, 4)
    assert bad[4, 4] and bad.sum() == 1
    # oracle for one window
    nb = az[2:7, 2:7]
    med = np.median(nb)
    assert abs(az[4, 4] - med) > max(4 * 1.4826 * np.median(np.abs(nb - med)), 0.5)


def testnanmedian_rows_equals_numpy():
    import warnings

    from gfjax.offsets.quality import nanmedian_rows
    rng = np.random.default_rng(6)
    for n in (1, 2, 5, 24, 25):
        x = rng.normal(size=(400, n))
        x[rng.random(x.shape) < 0.4] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanmedian(x, axis=-1)
        np.testing.assert_array_equal(nanmedian_rows(x), want)
