"""Temporal screening of the map stack: NumPy-loop oracle, known spikes in a surging series."""
import warnings

import numpy as np
import pytest

from gfjax.msbas.screening import temporal_outliers


def oracle(maps, set_index, t0, t1, window, k, floor, min_nb):
    out = np.zeros(maps.shape, bool)
    dt = t1 - t0
    for s in np.unique(set_index):
        idx = np.flatnonzero(set_index == s)
        idx = idx[np.argsort(t0[idx], kind="stable")]
        rate = maps[idx] / dt[idx][:, None, None]
        for j in range(len(idx)):
            w = rate[max(0, j - window): j + window + 1]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN columns: NaN median
                med = np.nanmedian(w, axis=0)
                mad = np.nanmedian(np.abs(w - med), axis=0)
            nb = np.sum(np.isfinite(w), axis=0) - np.isfinite(rate[j])
            lim = np.maximum(k * 1.4826 * mad, floor / dt[idx[j]])
            out[idx[j]] = np.isfinite(rate[j]) & (nb >= min_nb) & (np.abs(rate[j] - med) > lim)
    return out


def test_matches_numpy_oracle_with_gaps_and_two_sets():
    rng = np.random.default_rng(3)
    m = 40
    t0 = np.sort(rng.uniform(2017, 2019, m))
    t1 = t0 + rng.choice([12, 24, 36], m) / 365.25
    sets = rng.integers(0, 2, m)
    maps = rng.standard_normal((m, 6, 5)) * 0.5 + 2.0
    maps[rng.random(maps.shape) < 0.2] = np.nan
    maps[5, 2, 2] = 40.0
    maps[:, 0, 0] = np.nan                                   # a pixel without data
    got = temporal_outliers(maps, sets, t0, t1, window=3, max_deviation=3.0, min_deviation_m=0.3)
    want = oracle(maps, sets, t0, t1, 3, 3.0, 0.3, 3)
    np.testing.assert_array_equal(got, want)
    assert got[5, 2, 2] and got.sum() < 0.1 * np.isfinite(maps).sum()


def test_flags_spikes_but_follows_a_surge_onset():
    # one set, 12-day pairs, quiet 50 m/yr then a jump to 1500 m/yr (a surge), 0.15 m noise
    rng = np.random.default_rng(0)
    t0 = 2017 + np.arange(60) * 12 / 365.25
    t1 = t0 + 12 / 365.25
    rate = np.where(t0 < 2018, 50.0, 1500.0)
    maps = (rate * (t1 - t0))[:, None, None] + rng.standard_normal((60, 3, 3)) * 0.15
    spikes = [(10, 1, 1), (40, 0, 2), (45, 2, 0)]
    for j, y, x in spikes:
        maps[j, y, x] += 15.0                                    # a false peak of 15 m
    bad = temporal_outliers(maps, np.zeros(60, int), t0, t1, window=3, max_deviation=4.0,
                            min_deviation_m=1.0)
    assert {tuple(i) for i in np.argwhere(bad)} == set(spikes)


def test_off_and_bad_input():
    maps = np.ones((4, 2, 2))
    t0 = np.arange(4.0)
    assert not temporal_outliers(maps, np.zeros(4), t0, t0 + 1, window=0).any()
    with pytest.raises(ValueError, match="t_slave > t_master"):
        temporal_outliers(maps, np.zeros(4), t0, t0, window=2)
    with pytest.raises(ValueError, match=r"must each be \(4,\)"):
        temporal_outliers(maps, np.zeros(3), t0, t0 + 1)
