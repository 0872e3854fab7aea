"""track_offsets end to end on simulated speckle pairs: known shifts, priors, coarse-to-fine,
streaming/batching invariance, accuracy against the Cramér–Rao bound, bad input."""
import numpy as np
import pytest
import xarray as xr

from gfjax.offsets import TrackingOptions, track_offsets
from gfjax.offsets.quality import BORDER, EDGE, LOW_QUALITY, NO_PRIOR, NODATA
from gfjax.sim.speckle import speckle_pair

FAST = dict(window=(32, 32), step=(16, 16), search=(4, 4), snr_exclusion=2.0)


@pytest.fixture(scope="module")
def pair():
    return speckle_pair(11, (192, 224), (0.6, -1.35), coherence=0.9)


def test_recovers_known_shift_complex_and_amplitude(pair):
    ref, sec = pair
    ds = track_offsets(ref, sec, **FAST)
    assert set(ds.data_vars) >= {"azimuth_offset", "range_offset", "snr", "peak", "cov_azimuth",
                                 "cov_range", "cov_cross", "valid", "reason"}
    assert ds.azimuth_offset.dtype == np.float32 and ds.valid.all()
    np.testing.assert_allclose(ds.azimuth_offset, 0.6, atol=0.05)
    np.testing.assert_allclose(ds.range_offset, -1.35, atol=0.05)
    # coordinates are window centres in original reference pixels
    assert ds.azimuth.values[0] == 4 + 15.5 and np.all(np.diff(ds["range"].values) == 16)
    assert ds.attrs["window"] == [32, 32] and ds.attrs["input"] == "complex"
    # real amplitude input: no oversampling, still close
    amp = track_offsets(np.abs(ref), np.abs(sec), **FAST)
    assert amp.attrs["input"] == "amplitude"
    assert np.nanmedian(np.abs(amp.range_offset - (-1.35))) < 0.25


def test_options_object_equals_keywords(pair):
    ref, sec = pair
    opts = TrackingOptions(window=[32, 32], step=[16, 16], search=[4, 4], snr_exclusion=2.0)
    a = track_offsets(ref, sec, options=opts)
    b = track_offsets(ref, sec, **FAST)
    xr.testing.assert_identical(a, b)


def test_batching_does_not_change_results(pair):
    ref, sec = pair
    a = track_offsets(ref, sec, **FAST)
    b = track_offsets(ref, sec, batch_size=7, **FAST)
    c = track_offsets(ref, sec, memory_budget_mb=1.0, **FAST)
    # batches cut different image blocks; the block FFT interpolation differs by ~1e-4 px there
    np.testing.assert_allclose(a.range_offset, b.range_offset, atol=1e-3)
    np.testing.assert_allclose(a.azimuth_offset, c.azimuth_offset, atol=1e-3)
    w = dict(FAST, oversample_scope="window")        # per-window oversampling: exactly equal
    np.testing.assert_allclose(track_offsets(ref, sec, batch_size=5, **w).range_offset,
                               track_offsets(ref, sec, **w).range_offset, atol=1e-5)


def test_two_stage_equals_single_stage(pair):
    """two_stage (default) and the single-stage ×2 kernel give the same offsets and peaks. The
    SNR's noise comes from the surface at the original sampling, noisier than the ×2 one (the
    amplitude's bandwidth is twice the SLC's): SNR ≈ 0.4–0.8×, covariance ≈ 1.2–2.5×."""
    ref, sec = pair
    a = track_offsets(ref, sec, **FAST)
    b = track_offsets(ref, sec, two_stage=False, **FAST)
    assert a.valid.all() and b.valid.all()
    np.testing.assert_allclose(a.azimuth_offset, b.azimuth_offset, atol=3e-3)
    np.testing.assert_allclose(a.range_offset, b.range_offset, atol=3e-3)
    np.testing.assert_allclose(a.peak, b.peak, atol=3e-3)
    snr = np.median(a.snr.values / b.snr.values)
    cov = np.median(a.cov_range.values / b.cov_range.values)
    assert 0.3 < snr < 1.0 and 1.0 < cov < 3.0, (snr, cov)


def test_window_scope_and_deramp_track_a_tops_like_ramp():
    ref, sec = speckle_pair(3, (160, 160), (0.25, 0.8), coherence=0.9, bandwidth=(0.5, 0.85))
    ramp = np.exp(1j * 2.0 * np.arange(160))[:, None].astype(np.complex64)   # azimuth Doppler
    for scope in ("image", "window"):
        ds = track_offsets(ref * ramp, sec * ramp, deramp="azimuth", oversample_scope=scope, **FAST)
        assert ds.valid.all()
        np.testing.assert_allclose(ds.azimuth_offset, 0.25, atol=0.06)
        np.testing.assert_allclose(ds.range_offset, 0.8, atol=0.06)


def test_priors_arrays_and_dataset():
    ref, sec = speckle_pair(5, (160, 256), (2.2, 27.4), coherence=0.9)
    no_prior = track_offsets(ref, sec, **FAST)
    assert not no_prior.valid.any()       # 27 px is outside ±4: peak on the border or no fit
    ds = track_offsets(ref, sec, prior_azimuth=2.0, prior_range=np.full(no_prior.range_offset.shape, 26.0), **FAST)
    ok = ds.valid.values
    assert ok.sum() >= 0.5 * ok.size
    np.testing.assert_allclose(ds.range_offset.values[ok], 27.4, atol=0.06)
    assert np.all(ds.reason.values[~ok] == EDGE)     # search area past the secondary's edge
    again = track_offsets(ref, sec, prior=ds.fillna(27.0), **FAST)
    np.testing.assert_allclose(again.range_offset.values[ok], ds.range_offset.values[ok], atol=2e-3)
    holes = track_offsets(ref, sec, prior_azimuth=np.where(ok, 2.0, np.nan), prior_range=26.0, **FAST)
    assert np.all(holes.reason.values[~ok] == NO_PRIOR) and np.all(np.isnan(holes.range_offset.values[~ok]))


def test_coarse_to_fine_tracks_surge_offsets():
    ref, sec = speckle_pair(8, (192, 640), (3.4, 121.3), coherence=0.9)
    ds = track_offsets(ref, sec, window=(32, 32), step=(16, 32), search=(4, 4), snr_exclusion=2.0,
                       coarse_factor=4, coarse_search=[16, 160])
    ok = ds.valid.values
    assert ok.sum() >= 0.3 * ok.size     # windows whose search area stays inside the image
    np.testing.assert_allclose(ds.range_offset.values[ok], 121.3, atol=0.06)
    np.testing.assert_allclose(ds.azimuth_offset.values[ok], 3.4, atol=0.06)


def test_accuracy_near_cramer_rao_bound():
    """64×64 windows, coherence 0.8, amplitude tracking of ×2-oversampled SLCs ⇒ incoherent
    bound σ = sqrt(3/(10N)) sqrt(2+5γ²−7γ⁴)/(πγ²) OSF^1.5 with N = 64·64 = 4096 pixels and
    OSF = 1/0.85 (speckle_pair's spectrum fills 85 % of the band per axis; our ×2 interpolation
    adds no information, so it does not enter OSF). Non-overlapping windows, 4 shifts."""
    g, n, osf = 0.8, 64 * 64, 1 / 0.85
    crb = np.sqrt(3 / (10 * n)) * np.sqrt(2 + 5 * g ** 2 - 7 * g ** 4) / (np.pi * g ** 2) * osf ** 1.5
    errors = []
    for seed, shift in enumerate([(0.13, -0.41), (1.5, 2.25), (-0.77, 0.5), (0.31, 3.9)]):
        ref, sec = speckle_pair(100 + seed, (448, 448), shift, coherence=g)
        ds = track_offsets(ref, sec, window=(64, 64), step=(64, 64), search=(6, 6),
                           weighting="uniform", median_filter_size=0)
        assert ds.valid.all()
        errors.append(ds.azimuth_offset.values.ravel() - shift[0])
        errors.append(ds.range_offset.values.ravel() - shift[1])
    rms = float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
    assert rms <= 1.5 * crb, (rms, crb)


# ---------------------------------------------------------------- bad input
def test_bad_shapes_and_types_raise_naming_the_argument(pair):
    ref, sec = pair
    with pytest.raises(ValueError, match="secondary shape"):
        track_offsets(ref, sec[:-1], **FAST)
    with pytest.raises(ValueError, match="reference must be a 2-D"):
        track_offsets(ref[0], sec[0], **FAST)
    with pytest.raises(ValueError, match="both be complex"):
        track_offsets(ref, np.abs(sec), **FAST)
    with pytest.raises(ValueError, match="unknown option"):
        track_offsets(ref, sec, windw=(8, 8))
    with pytest.raises(ValueError, match="search .* cannot fit"):
        track_offsets(ref, sec, window=(32, 32), search=(90, 4), snr_exclusion=2.0)
    with pytest.raises(ValueError, match="window"):
        track_offsets(ref, sec, window=(400, 32), search=(4, 4), snr_exclusion=2.0)
    with pytest.raises(ValueError, match="oversample"):
        TrackingOptions(oversample=3)
    with pytest.raises(ValueError, match="snr_exclusion"):
        TrackingOptions(search=[2, 2], snr_exclusion=3.0)
    with pytest.raises(ValueError, match="prior_range has shape"):
        track_offsets(ref, sec, prior_range=np.zeros((2, 2)), **FAST)


def test_nodata_regions_give_nan_not_numbers(pair):
    ref, sec = (x.copy() for x in pair)
    ref[:60, :80] = np.nan          # no data in the reference
    sec[120:, 150:] = 0             # radar shadow / outside the swath in the secondary
    ds = track_offsets(ref, sec, **FAST)
    reason = ds.reason.values
    bad = reason == NODATA
    assert bad.any() and ds.valid.values.sum() >= 0.3 * reason.size
    assert np.all(np.isnan(ds.range_offset.values[bad])) and np.all(np.isnan(ds.azimuth_offset.values[bad]))
    good = ds.valid.values
    np.testing.assert_allclose(ds.range_offset.values[good], -1.35, atol=0.05)
    # everything rejected: a result full of NaN, no crash
    empty = track_offsets(np.zeros_like(ref), np.zeros_like(sec), **FAST)
    assert not empty.valid.any() and np.all(np.isnan(empty.range_offset))


def test_offsets_outside_search_are_rejected_not_clipped():
    ref, sec = speckle_pair(9, (160, 160), (0.3, 9.6), coherence=0.9)
    ds = track_offsets(ref, sec, **FAST)
    assert not ds.valid.any()
    assert set(np.unique(ds.reason.values)) <= {BORDER, EDGE, LOW_QUALITY}


def test_options_are_omegaconf_compatible():
    omegaconf = pytest.importorskip("omegaconf")
    cfg = omegaconf.OmegaConf.structured(TrackingOptions)
    cfg.search = [8, 40]
    opts = TrackingOptions(**omegaconf.OmegaConf.to_container(cfg))
    assert opts.search == [8, 40] and opts.window == [64, 64]


@pytest.mark.slow
def test_retry_search_and_larger_windows_recover_rejected_windows():
    """retry_search: a shift beyond the first search range (peak on its border) is found by the
    wider second search around the same prior; retry_window_scales: at low coherence the 2×
    window finds peaks the base window cannot, and only retried windows change."""
    ref, sec = speckle_pair(5, (192, 256), (0.3, 7.4), coherence=0.9)
    base = dict(window=(32, 32), step=(16, 16), search=(4, 4), snr_exclusion=2.0)
    first = track_offsets(ref, sec, **base)
    inner = first.reason.values != EDGE
    assert np.all(np.isin(first.reason.values[inner], (BORDER, LOW_QUALITY)))  # 7.4 px: outside ±4
    wide = track_offsets(ref, sec, retry_search=(4, 10), **base)
    found = wide.valid.values & inner
    assert found.sum() >= 0.8 * inner.sum() and np.all(wide.retry.values[found] == 1)
    np.testing.assert_allclose(wide.range_offset.values[found], 7.4, atol=0.1)
    # low coherence: the 2× window keeps more windows than the base one, at the right offset
    ref, sec = speckle_pair(6, (256, 256), (0.0, 1.2), coherence=0.4)
    base = dict(window=(16, 16), step=(16, 16), search=(4, 4), snr_exclusion=2.0, min_snr=12.0,
                median_filter_size=0)
    one = track_offsets(ref, sec, **base)
    two = track_offsets(ref, sec, retry_window_scales=[2], **base)
    kept1, kept2 = one.valid.values, two.valid.values
    assert kept2.sum() > kept1.sum() + 5
    assert np.all(kept2[kept1]) and np.array_equal(one.range_offset.values[kept1], two.range_offset.values[kept1])
    assert np.all(two.retry.values[kept2 & ~kept1] == 1)
    assert np.nanmedian(np.abs(two.range_offset.values[kept2 & ~kept1] - 1.2)) < 0.3
    with pytest.raises(ValueError, match="retry_search"):
        TrackingOptions(search=[8, 8], retry_search=[4, 16])
