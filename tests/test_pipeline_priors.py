"""A-priori offsets from a track's earlier pairs (gfjax.pipeline.priors.prior_from_history)."""
import numpy as np
import pytest
import xarray as xr

from gfjax.pipeline.priors import prior_from_history


def offsets(az, rg, snr):
    dims = ("azimuth", "range")
    return xr.Dataset({"azimuth_offset": (dims, np.asarray(az, float)),
                       "range_offset": (dims, np.asarray(rg, float)), "snr": (dims, np.asarray(snr, float))})


def test_most_recent_reliable_window_wins_then_nearest_fill():
    """Per window: the most recent pair where it was valid with SNR >= min_snr, scaled by that
    pair's duration ratio; a false match (low SNR) of the last pair never becomes the prior;
    windows no pair measured reliably take the nearest reliable value (3x3 median after)."""
    shape = (5, 7)
    nan = np.full(shape, np.nan)
    last_rg = np.full(shape, 2.0)              # last pair: 2 px everywhere, but ...
    last_snr = np.full(shape, 20.0)
    last_snr[:, 4:] = 7.0                      # ... columns 4+ are weak (false matches)
    older_rg = np.full(shape, 3.0)             # the pair before: 3 px, reliable, half the duration
    older_rg[:, 6] = np.nan                    # column 6 never reliable
    older_snr = np.full(shape, 30.0)
    az, rg = prior_from_history([offsets(np.full(shape, 0.1), last_rg, last_snr),
                                 offsets(np.full(shape, 0.2), older_rg, older_snr)],
                                scales=[1.0, 2.0], min_snr=12.0)
    np.testing.assert_allclose(rg[:, :3], 2.0)        # last pair, reliable
    np.testing.assert_allclose(rg[:, 4:6], 6.0)       # older pair × 2, not the weak 2 px
    np.testing.assert_allclose(rg[:, 6], 6.0)         # nearest reliable fill
    np.testing.assert_allclose(az[:, :3], 0.1)
    np.testing.assert_allclose(az[:, 4:], 0.4)
    # oracle of the order rule on random data: the value is from the first reliable pair in order
    rng = np.random.default_rng(3)
    stack = [offsets(rng.normal(size=shape), rng.normal(size=shape), rng.uniform(0, 30, shape)) for _ in range(3)]
    scales = [1.0, 0.5, 2.0]
    expect = np.full(shape, np.nan)
    for ds, s in zip(stack, scales):
        ok = (ds.snr.values >= 12) & np.isnan(expect)
        expect[ok] = ds.range_offset.values[ok] * s
    from scipy import ndimage
    idx = ndimage.distance_transform_edt(np.isnan(expect), return_distances=False, return_indices=True)
    expect = ndimage.median_filter(expect[tuple(idx)], size=3, mode="nearest")
    np.testing.assert_allclose(prior_from_history(stack, scales, 12.0)[1], expect)
    assert prior_from_history([offsets(nan, nan, nan)], [1.0], 12.0) is None


@pytest.mark.parametrize("depth", [0, -1])
def test_prior_depth_validated(depth):
    from gfjax.offsets import TrackingOptions
    with pytest.raises(ValueError, match="prior_depth"):
        TrackingOptions(prior_depth=depth)


def test_prior_holes_are_filled_from_windows_of_the_same_label():
    """A fast glacier window with no reliable history takes the nearest reliable GLACIER window's
    rate, not the stable ground's zero next to it."""
    import xarray as xr

    from gfjax.pipeline.priors import prior_from_history

    labels = np.zeros((5, 8), np.int8)
    labels[:, 3:] = 1                                   # columns 3.. glacier
    az = np.zeros((5, 8))
    rg = np.where(labels == 1, 6.0, 0.0)
    snr = np.full((5, 8), 30.0)
    snr[:, 3:5] = 2.0                                   # the glacier's margin columns 3, 4: unreliable
    ds = xr.Dataset({"azimuth_offset": (("a", "r"), az), "range_offset": (("a", "r"), rg),
                     "snr": (("a", "r"), snr)})
    plain = prior_from_history([ds], [1.0], 12.0)
    lab = prior_from_history([ds], [1.0], 12.0, labels)
    assert plain is not None and lab is not None
    assert np.all(plain[1][:, 3] == 0.0)                # nearest reliable window: the rock at column 2
    assert np.all(lab[1][:, 3:5] == 6.0) and np.all(lab[1][:, :2] == 0.0)


def test_previous_pair_on_another_window_grid_is_taken_at_the_nearest_windows(tmp_path):
    """Sentinel-1: each reference has its own burst layout, so the previous pair's windows can sit
    a sample apart and one more or fewer: the prior still comes out on this pair's grid."""
    from types import SimpleNamespace

    from gfjax.pipeline.stages.offsets import pair_file, previous_pair_prior

    scene = SimpleNamespace(pair_times=lambda track, k: (2020.0 + k * 12 / 365.25, 2020.0 + (k + 1) * 12 / 365.25))
    az_prev, rg_prev = np.arange(5) * 8 + 15.5, np.arange(7) * 32 + 32.5      # one sample off, 7 columns
    rate = np.tile(np.arange(7.0), (5, 1))
    prev = xr.Dataset({"azimuth_offset": (("azimuth", "range"), np.zeros((5, 7), np.float32)),
                       "range_offset": (("azimuth", "range"), rate.astype(np.float32)),
                       "snr": (("azimuth", "range"), np.full((5, 7), 40.0, np.float32))},
                      coords={"azimuth": az_prev, "range": rg_prev})
    prev.to_netcdf(pair_file(tmp_path, "T1", 0), engine="h5netcdf")
    centres = (np.arange(5) * 8 + 15.5, np.arange(6) * 32 + 31.5)           # this pair: 6 columns
    prior = previous_pair_prior(scene, tmp_path, "T1", 1, 1, 12.0, centres=centres)
    assert prior is not None and prior[1].shape == (5, 6)
    np.testing.assert_allclose(prior[1][2], np.arange(6.0))                 # nearest windows, same rate
