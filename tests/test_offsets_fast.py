"""The fast tracking method (gfjax.offsets.kernels_fast; TrackingOptions.method = "fast"):
NumPy oracles for its pieces, known shifts end to end, and its error against OpenCV-style
matchTemplate(TM_CCOEFF_NORMED) + parabola (autoRIFT's core) on the same amplitude."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gfjax.offsets import TrackingOptions, track_offsets
from gfjax.offsets.kernels import window_weights
from gfjax.offsets.engine import image_bandwidth
from gfjax.offsets.kernels_fast import (bandwidth_from_rho, coarse_search, fast_ncc, fine_ncc, sinc2, sinc2_fit,
                                        smooth_decimate, tile_bandwidth)
from gfjax.offsets.quality import BORDER, EDGE, LOW_QUALITY, NODATA
from gfjax.sim.speckle import complex_speckle, speckle_pair

from oracles import ncc_oracle

FAST = dict(window=(32, 32), step=(16, 16), search=(4, 4), snr_exclusion=2.0, method="fast")


@pytest.fixture
def strict_jax():
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        yield


def axis_weights(n, weighting="gaussian", sigma=0.5):
    return window_weights((n, 1), weighting, sigma)[:, 0]


def parabola_offsets(ref_amp, sec_amp, tl, window, search):
    """OpenCV's TM_CCOEFF_NORMED surface (uniform-weight NCC, by FFT) + the 3-point parabola
    per axis, as autoRIFT does; (N, 2) offsets, NaN where the peak is on the border."""
    h, w = window
    sa, sr = search
    out = np.full((len(tl), 2), np.nan)
    g = np.ones((h, w))
    for k, (a, r) in enumerate(tl):
        t = ref_amp[a:a + h, r:r + w].astype(np.float64)
        s = sec_amp[a - sa:a + h + sa, r - sr:r + w + sr].astype(np.float64)
        c = ncc_oracle(t, s, g)
        y, x = np.unravel_index(np.argmax(c), c.shape)
        if 0 < y < c.shape[0] - 1 and 0 < x < c.shape[1] - 1:
            def par(m, c0, p):
                return 0.5 * (m - p) / (m - 2 * c0 + p)
            out[k] = (y + par(c[y - 1, x], c[y, x], c[y + 1, x]) - sa,
                      x + par(c[y, x - 1], c[y, x], c[y, x + 1]) - sr)
    return out


# ---------------------------------------------------------------- kernel pieces vs NumPy
def test_smooth_decimate_oracle(strict_jax):
    rng = np.random.default_rng(0)
    x = rng.random((10, 14)).astype(np.float32)
    k = np.array([0.25, 0.5, 0.25])
    p = np.pad(x.astype(np.float64), 1)
    sm = sum(k[i] * p[i:i + 10] for i in range(3))
    sm = sum(k[j] * sm[:, j:j + 14] for j in range(3))
    got = np.asarray(smooth_decimate(jnp.asarray(x)))
    assert got.shape == (2, 2, 5, 7)
    for pa in range(2):
        for pr in range(2):
            np.testing.assert_allclose(got[pa, pr], sm[pa::2, pr::2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighting", ["uniform", "gaussian"])
def test_coarse_search_matches_spatial_oracle(strict_jax, weighting):
    rng = np.random.default_rng(1)
    s = rng.random((22, 27)).astype(np.float32) + 1.0
    r = s[3:3 + 16, 5:5 + 20] + 0.3 * rng.random((16, 20)).astype(np.float32)
    ga, gr = axis_weights(16, weighting, 0.4), axis_weights(20, weighting, 0.4)
    lags = (2 * 6 + 1, 2 * 7 + 1)             # full-resolution search ±6, ±7 ↔ coarse 7 × 8 lags
    c = coarse_search(jnp.asarray(r), jnp.asarray(s), ga, gr, lags)
    want = ncc_oracle(r.astype(np.float64), s.astype(np.float64), np.outer(ga, gr))
    np.testing.assert_allclose(np.asarray(c.ncc), want, atol=2e-5)
    assert tuple(np.asarray(c.peak)) == (3, 5)
    # centre: nearest full-resolution lag to 2 × (peak + parabolic vertex), inside 1 … 2S − 1
    y, x = 3, 5
    def par(m, c0, p):
        return 0.5 * (m - p) / (m - 2 * c0 + p)
    est = 2 * np.array([y + par(*want[y - 1:y + 2, x]), x + par(*want[y, x - 1:x + 2])])
    np.testing.assert_array_equal(np.asarray(c.centre), np.clip(np.round(est), 1, np.array(lags) - 2))
    # a template larger than the weights is cut to them (the engine passes the chip's size)
    big = np.zeros_like(s)
    big[:16, :20] = r
    big[16:, :] = 99.0
    c2 = coarse_search(jnp.asarray(big), jnp.asarray(s), ga, gr, lags)
    np.testing.assert_allclose(np.asarray(c2.ncc), np.asarray(c.ncc), atol=1e-5)


@pytest.mark.parametrize("weighting", ["uniform", "gaussian"])
def test_fine_ncc_matches_spatial_oracle(strict_jax, weighting):
    rng = np.random.default_rng(2)
    patch = rng.random((18, 22)).astype(np.float32) + 2.0
    t = patch[1:17, 2:22] + 0.2 * rng.random((16, 20)).astype(np.float32)
    ga, gr = axis_weights(16, weighting, 0.4), axis_weights(20, weighting, 0.4)
    got = np.asarray(fine_ncc(jnp.asarray(t), jnp.asarray(patch), ga, gr))
    want = ncc_oracle(t.astype(np.float64), patch.astype(np.float64), np.outer(ga, gr))
    np.testing.assert_allclose(got, want, atol=2e-5)
    assert np.unravel_index(np.argmax(got), got.shape) == (1, 2)


@pytest.mark.parametrize("bandwidth", [0.6, 0.85, 0.95])
def test_sinc2_fit_recovers_known_peak(strict_jax, bandwidth):
    """Samples of A sinc²(B (k − δ)) at k = −1, 0, 1: δ recovered to ≪ 0.01 px, for peaks up to
    half a pixel either side of the largest sample and inside the samples' span (also with the
    sidelobes in the samples)."""
    k = np.array([-1.0, 0.0, 1.0])
    for centre in (-1.0, 0.0, 1.0):
        for d in np.linspace(-0.49, 0.49, 15):
            delta = centre + d
            y = 0.7 * np.where(np.abs(bandwidth * (k - delta)) < 1, np.sinc(bandwidth * (k - delta)) ** 2, 0.0)
            if np.argmax(y) != centre + 1 or abs(delta) > 1:
                continue
            got = float(sinc2_fit(jnp.asarray(y, jnp.float32), jnp.float32(bandwidth), jnp.float32(centre)))
            assert abs(got - delta) < 3e-3, (centre, delta, got)
            y_full = 0.7 * np.sinc(bandwidth * (k - delta)) ** 2       # with sidelobes
            got = float(sinc2_fit(jnp.asarray(y_full, jnp.float32), jnp.float32(bandwidth), jnp.float32(centre)))
            assert abs(got - delta) < 0.02, (centre, delta, got)
    # the model is the main lobe: zero beyond the first null
    np.testing.assert_allclose(np.asarray(sinc2(jnp.asarray([0.0, 0.5, 1.0, 1.5], jnp.float32))),
                               [1.0, 4 / np.pi ** 2, 0.0, 0.0], atol=1e-6)


def test_bandwidth_from_autocorrelation(strict_jax):
    for b in (0.3, 0.6, 0.85, 0.97):
        assert abs(float(bandwidth_from_rho(jnp.float32(np.sinc(b) ** 2))) - b) < 2e-3
    # speckle amplitude whose SLC has bandwidths (0.6, 0.85): its lag-1 autocorrelation gives them
    # back (amplitude detection makes ρ₁ ≈ 0.9 |γ₁|², i.e. B a little larger); zeros (no data)
    # are left out, and so are brightness changes between tiles
    slc = complex_speckle(np.random.default_rng(3), (512, 512), (0.6, 0.85))
    amp = np.abs(slc) * np.where(np.arange(512) < 256, 1.0, 5.0)[:, None]
    amp[:100, :] = 0.0
    tiles = amp.reshape(8, 64, 8, 64).transpose(0, 2, 1, 3).reshape(64, 64, 64)
    got = np.asarray(tile_bandwidth(jnp.asarray(tiles, jnp.float32)))
    assert 0.6 <= got[0] < 0.64 and 0.85 <= got[1] < 0.89, got
    np.testing.assert_allclose(np.asarray(image_bandwidth(slc)), np.asarray(image_bandwidth(np.abs(slc))), rtol=1e-6)
    got = np.asarray(image_bandwidth(amp))
    assert 0.6 <= got[0] < 0.64 and 0.85 <= got[1] < 0.89, got


# ---------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def pair():
    return speckle_pair(11, (192, 224), (0.6, -1.35), coherence=0.9)


def test_fast_recovers_known_shift_complex_and_amplitude(pair):
    ref, sec = pair
    ds = track_offsets(ref, sec, **FAST)
    ok = ds.valid.values
    assert ok.mean() > 0.95 and ds.attrs["method"] == "fast"
    np.testing.assert_allclose(ds.azimuth_offset.values[ok], 0.6, atol=0.1)
    np.testing.assert_allclose(ds.range_offset.values[ok], -1.35, atol=0.1)
    assert np.all(ds.cov_azimuth.values[ok] > 0) and np.all(ds.cov_range.values[ok] > 0)
    assert np.all(ds.cov_cross.values[ok] == 0)
    assert np.all((ds.peak.values[ok] > 0.3) & (ds.peak.values[ok] <= 1)) and np.all(ds.snr.values[ok] >= 25)
    # the fast method always works on the amplitude at the original sampling
    amp = track_offsets(np.abs(ref), np.abs(sec), **FAST)
    np.testing.assert_allclose(amp.range_offset, ds.range_offset, atol=1e-5)
    np.testing.assert_allclose(amp.azimuth_offset, ds.azimuth_offset, atol=1e-5)
    # oversampling options do not apply
    other = track_offsets(ref, sec, oversample=1, two_stage=False, oversample_scope="window", **FAST)
    np.testing.assert_allclose(other.range_offset, ds.range_offset, atol=1e-6)


def test_fast_batching_and_options_object(pair):
    ref, sec = pair
    a = track_offsets(ref, sec, **FAST)
    b = track_offsets(ref, sec, batch_size=5, **FAST)
    np.testing.assert_allclose(a.range_offset, b.range_offset, atol=1e-5)
    np.testing.assert_allclose(a.azimuth_offset, b.azimuth_offset, atol=1e-5)
    c = track_offsets(ref, sec, options=TrackingOptions(window=[32, 32], step=[16, 16], search=[4, 4],
                                                        snr_exclusion=2.0, method="fast"))
    np.testing.assert_array_equal(a.range_offset, c.range_offset)


def test_fast_error_below_parabola_on_same_amplitude():
    """64² windows, coherence 0.8, 4 shifts: RMS of the fast method well below that of OpenCV's
    TM_CCOEFF_NORMED + parabola on the same amplitude, and within a few times the incoherent
    Cramér–Rao bound (science.md §3)."""
    g, n, osf = 0.8, 64 * 64, 1 / 0.85
    crb = np.sqrt(3 / (10 * n)) * np.sqrt(2 + 5 * g ** 2 - 7 * g ** 4) / (np.pi * g ** 2) * osf ** 1.5
    fast, para = [], []
    for seed, shift in enumerate([(0.13, -0.41), (1.5, 2.25), (-0.77, 0.5), (0.31, 3.9)]):
        ref, sec = speckle_pair(200 + seed, (352, 352), shift, coherence=g)
        ds = track_offsets(ref, sec, window=(64, 64), step=(32, 64), search=(6, 6), method="fast",
                           median_filter_size=0)
        assert ds.valid.all()
        fast.append(np.stack([ds.azimuth_offset.values.ravel(), ds.range_offset.values.ravel()], 1) - shift)
        ta, tr = np.meshgrid(ds.azimuth.values - 31.5, ds["range"].values - 31.5, indexing="ij")
        tl = np.stack([ta.ravel(), tr.ravel()], 1).astype(int)
        para.append(parabola_offsets(np.abs(ref), np.abs(sec), tl, (64, 64), (6, 6)) - shift)
    fast, para = np.concatenate(fast), np.concatenate(para)
    rms_fast = float(np.sqrt(np.mean(fast ** 2)))
    rms_para = float(np.sqrt(np.nanmean(para ** 2)))
    assert rms_fast < 0.25 * rms_para, (rms_fast, rms_para)
    assert rms_fast < 0.05 and rms_fast < 6 * crb, (rms_fast, crb)
    assert np.abs(fast).max() < 0.25


def test_fast_at_coherence_half():
    """The coarse search needs a stronger correlation than a full-resolution one; at coherence
    0.5 (64² windows) it still finds ≳ 90 % of the windows, with no integer-pixel errors."""
    ref, sec = speckle_pair(302, (352, 352), (0.31, -0.77), coherence=0.5)
    ds = track_offsets(ref, sec, window=(64, 64), step=(32, 32), search=(6, 6), method="fast")
    assert ds.valid.values.mean() >= 0.9
    err = np.abs(np.stack([ds.azimuth_offset.values - 0.31, ds.range_offset.values + 0.77]))
    assert np.nanmax(err) < 0.6 and np.sqrt(np.nanmean(err ** 2)) < 0.15


def test_fast_coarse_to_fine_tracks_surge_offsets():
    """The coarse pass (wide search, every 4th window) runs the fast kernel too."""
    ref, sec = speckle_pair(8, (192, 640), (3.4, 121.3), coherence=0.9)
    ds = track_offsets(ref, sec, window=(32, 32), step=(16, 32), search=(4, 4), snr_exclusion=2.0,
                       coarse_factor=4, coarse_search=[16, 160], method="fast")
    ok = ds.valid.values
    assert ok.sum() >= 0.3 * ok.size
    np.testing.assert_allclose(ds.range_offset.values[ok], 121.3, atol=0.2)
    np.testing.assert_allclose(ds.azimuth_offset.values[ok], 3.4, atol=0.2)


def test_fast_parabola_oracle_is_opencv():
    cv2 = pytest.importorskip("cv2")
    ref, sec = speckle_pair(5, (160, 160), (0.37, -1.23), coherence=0.8)
    a, b = np.abs(ref).astype(np.float32), np.abs(sec).astype(np.float32)
    tl = np.array([[40, 40], [60, 72]])
    ours = parabola_offsets(a, b, tl, (64, 64), (6, 6))
    for (r0, c0), o in zip(tl, ours):
        res = cv2.matchTemplate(b[r0 - 6:r0 + 70, c0 - 6:c0 + 70], a[r0:r0 + 64, c0:c0 + 64], cv2.TM_CCOEFF_NORMED)
        y, x = np.unravel_index(np.argmax(res), res.shape)
        assert (y - 6, x - 6) == tuple(np.round(o).astype(int)) or np.abs(o - (y - 6, x - 6)).max() < 0.5
        dy = 0.5 * (res[y - 1, x] - res[y + 1, x]) / (res[y - 1, x] - 2 * res[y, x] + res[y + 1, x])
        assert abs(y - 6 + dy - o[0]) < 1e-3


def test_fast_rejects_noise_outside_search_and_nodata(pair):
    rng = np.random.default_rng(4)
    n1, n2 = complex_speckle(rng, (192, 224)), complex_speckle(rng, (192, 224))
    noise = track_offsets(n1, n2, **FAST)
    assert not noise.valid.any() and np.nanmax(noise.snr.values) < 25
    ref, sec = speckle_pair(9, (160, 160), (0.3, 9.6), coherence=0.9)
    out = track_offsets(ref, sec, **FAST)
    assert not out.valid.any()
    assert set(np.unique(out.reason.values)) <= {BORDER, EDGE, LOW_QUALITY}
    ref, sec = (x.copy() for x in pair)
    ref[:60, :80] = np.nan
    sec[120:, 150:] = 0
    ds = track_offsets(ref, sec, **FAST)
    bad = ds.reason.values == NODATA
    assert bad.any() and np.all(np.isnan(ds.range_offset.values[bad]))
    good = ds.valid.values
    assert good.sum() >= 0.3 * good.size
    np.testing.assert_allclose(ds.range_offset.values[good], -1.35, atol=0.1)
    empty = track_offsets(np.zeros_like(ref), np.zeros_like(sec), **FAST)
    assert not empty.valid.any() and np.all(np.isnan(empty.range_offset))


def test_fast_kernel_one_window_equals_engine(pair):
    """fast_ncc on one window cut by hand = the engine's result for that window."""
    ref, sec = pair
    a, b = np.abs(ref).astype(np.float32), np.abs(sec).astype(np.float32)
    ds = track_offsets(ref, sec, **FAST)
    ra, rr = 4 + 16 * 3, 4 + 16 * 5                       # window (3, 5) of the grid
    ca, cb = np.asarray(smooth_decimate(jnp.asarray(a))), np.asarray(smooth_decimate(jnp.asarray(b)))
    sa = ra - 4
    sr = rr - 4
    g, gc = axis_weights(32), axis_weights(16)
    kernel = jax.jit(lambda t, chip, tc, cc, bw: fast_ncc(t, chip, tc, cc, g, g, gc, gc, bw, 2.0))
    res = kernel(jnp.asarray(a[ra:ra + 32, rr:rr + 32]), jnp.asarray(b[sa:sa + 40, sr:sr + 40]),
                 jnp.asarray(ca[ra % 2, rr % 2, ra // 2:ra // 2 + 20, rr // 2:rr // 2 + 20]),
                 jnp.asarray(cb[sa % 2, sr % 2, sa // 2:sa // 2 + 20, sr // 2:sr // 2 + 20]),
                 image_bandwidth(ref))
    got = np.asarray(res.lag) - 4
    np.testing.assert_allclose(got, [ds.azimuth_offset.values[3, 5], ds.range_offset.values[3, 5]], atol=1e-5)


def test_method_option_and_pipeline_config():
    with pytest.raises(ValueError, match="method"):
        TrackingOptions(method="fastest")
    hydra = pytest.importorskip("hydra")
    from gfjax.config import CONF_DIR as conf, register_configs
    from gfjax.config.schema import to_settings
    register_configs()
    with hydra.initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        cfg = hydra.compose(config_name="config", overrides=["+experiment=muldrow", "offsets.method=fast",
                                                                   "offsets.segment_by_mask=false"])
    assert to_settings(cfg).offsets.method == "fast"
    with hydra.initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        cfg = hydra.compose(config_name="config", overrides=["+experiment=muldrow", "offsets.method=quick"])
    with pytest.raises(ValueError, match="method"):
        to_settings(cfg)
