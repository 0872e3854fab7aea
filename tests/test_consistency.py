"""The temporal consistency kernel (gfjax/consistency.py) against a NumPy oracle, and its screen
of false matches on a track whose windows move with known offsets."""
import numpy as np
import pytest

from gfjax.consistency import temporal_agreement


def oracle(centre, neighbours, scales, tol, rel, keep_isolated):
    h, w, _ = centre.shape
    keep = np.zeros((h, w), bool)
    for i in range(h):
        for j in range(w):
            c = centre[i, j]
            if not np.all(np.isfinite(c)):
                continue
            any_valid = False
            for n, s in zip(neighbours[:, i, j], scales):
                o = n * s
                if not np.all(np.isfinite(o)):
                    continue
                any_valid = True
                if np.all(np.abs(c - o) <= tol + rel * np.abs(c)):
                    keep[i, j] = True
            if not any_valid and keep_isolated:
                keep[i, j] = True
    return keep


@pytest.mark.parametrize("keep_isolated", [True, False])
def test_kernel_matches_oracle(keep_isolated):
    rng = np.random.default_rng(3)
    centre = rng.normal(0, 4, (9, 11, 2)).astype(np.float32)
    neighbours = (centre[None] * rng.uniform(0.8, 1.2, (4, 1, 1, 1))
                  + rng.normal(0, 1.5, (4, 9, 11, 2))).astype(np.float32)
    centre[rng.random((9, 11)) < 0.2] = np.nan
    neighbours[rng.random((4, 9, 11)) < 0.4] = np.nan
    neighbours[:, 0, 0] = np.nan  # a window with no valid neighbour
    scales = np.array([1.0, 0.5, 1.0, 2.0], np.float32)
    got = np.asarray(temporal_agreement(centre, neighbours, scales, 1.0, 0.1, keep_isolated=keep_isolated))
    want = oracle(centre, neighbours, scales, 1.0, 0.1, keep_isolated)
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum() < np.isfinite(centre[..., 0]).sum()


def test_screens_zero_locks_and_keeps_true_motion():
    """A track of 6 pairs of an accelerating window field (8 % a pair, true offsets known): 15 %
    of the windows of each pair lock onto zero at random. The screen keeps 95 % of the right fast
    offsets and drops every lock that no neighbouring pair repeats; a lock that a neighbour
    repeats passes (the screen cannot tell two equal zeros apart)."""
    rng = np.random.default_rng(0)
    h, w, n = 30, 40, 6
    base = np.stack(np.meshgrid(np.linspace(2, 30, w), np.linspace(0, 3, h)), -1)[..., ::-1].astype(np.float32)
    truth = np.stack([base * 1.08 ** k for k in range(n)])
    meas = truth + rng.normal(0, 0.15, truth.shape).astype(np.float32)
    lock = rng.random((n, h, w)) < 0.15
    meas[lock] = rng.normal(0, 0.1, (lock.sum(), 2))
    fast = np.linalg.norm(truth[0], axis=-1) > 5
    kept_right, kept_lone_lock, kept_repeated_lock = [], [], []
    for k in range(n):
        nb = [j for j in range(k - 2, k + 3) if j != k and 0 <= j < n]
        keep = np.asarray(temporal_agreement(meas[k], meas[nb], np.ones(len(nb), np.float32), 1.0, 0.1))
        repeated = lock[nb].any(axis=0)
        kept_right.append(keep[fast & ~lock[k]].mean())
        kept_lone_lock.append(keep[fast & lock[k] & ~repeated].mean())
        kept_repeated_lock.append(keep[fast & lock[k] & repeated].mean())
    assert np.mean(kept_right) > 0.95  # lost: both nearest neighbours locked, or only the ±2 ones (17 % faster)
    assert np.max(kept_lone_lock) == 0
    assert np.min(kept_repeated_lock) == 1


def test_keep_mask_reads_the_neighbouring_pairs_of_the_track(tmp_path):
    """The geocode stage's screen (gfjax.pipeline.consistency): pair 2 of a five-pair track whose
    windows move 10 px per 12 days; the 24-day pair 3 is scaled by its duration, a window locked
    at zero in pair 2 is dropped, a window no neighbour saw is kept or dropped as asked, and the
    neighbours on a grid a line apart (Sentinel-1) are taken at their nearest windows."""
    from types import SimpleNamespace

    import xarray as xr

    from gfjax.pipeline.consistency import keep_mask, screened
    from gfjax.pipeline.stages.offsets import pair_file

    days = [0, 12, 24, 48, 60, 72]
    times = [2020 + d / 365.25 for d in days]
    scene = SimpleNamespace(tracks={"T1": SimpleNamespace(pairs=[0] * 5)},
                            pair_times=lambda t, k: (times[k], times[k + 1]))
    az, rg = np.arange(4) * 8.0 + 7.5, np.arange(5) * 32.0 + 23.5
    for k in range(5):
        rate = 10.0 * (days[k + 1] - days[k]) / 12
        a = np.full((4, 5), rate, np.float32)
        r = np.full((4, 5), -0.5 * rate, np.float32)
        if k == 2:
            a[1, 1] = r[1, 1] = 0.05                         # a lock onto the rock
        else:
            a[3, 4] = r[3, 4] = np.nan                       # only pair 2 saw this window
        shift = 1.0 if k == 3 else 0.0                      # another burst layout
        xr.Dataset({"azimuth_offset": (("azimuth", "range"), a), "range_offset": (("azimuth", "range"), r)},
                   coords={"azimuth": az + shift, "range": rg}).to_netcdf(pair_file(tmp_path, "T1", k), engine="h5netcdf")
    cache: dict = {}
    keep, n = keep_mask(scene, tmp_path, "T1", 2, 2, 1.0, 0.1, True, cache)
    want = np.ones((4, 5), bool)
    want[1, 1] = False
    np.testing.assert_array_equal(keep, want)
    assert n == {"valid": 20, "kept": 19, "isolated": 1}
    keep, n = keep_mask(scene, tmp_path, "T1", 2, 2, 1.0, 0.1, False, cache)
    assert not keep[3, 4] and n["kept"] == 18
    with xr.open_dataset(pair_file(tmp_path, "T1", 2), engine="h5netcdf") as ds:
        out = screened(ds.load(), keep)
    assert np.isnan(out["azimuth_offset"].values[1, 1]) and np.isnan(out["range_offset"].values[3, 4])
    assert np.isfinite(out["range_offset"].values[0, 0])
