"""Simulated Muldrow surge pair (gfjax.sim.build_scene): offsets of tens of pixels recovered
against the true radar offsets, searching around a-priori offsets as autoRIFT does with a
reference velocity map."""
import numpy as np
import pytest

from gfjax.offsets import track_offsets

sim = pytest.importorskip("gfjax.sim")


@pytest.fixture(scope="module")
def surge_pair():
    from gfjax.sim.flowline import muldrow_flowline

    x, y = muldrow_flowline().sample(15000.0 + 36000.0)
    scene = sim.build_scene(sim.SceneSpec(pixel_scale=1.0, bbox=[x - 3000, y - 3000, x + 3000, y + 3000],
                                          start="2020-06-01", end="2021-11-18", seed=3))
    trk = scene.tracks["T131"]
    k = int(np.argmin(np.abs(trk.decimal_years[:-1] - 2021.4)))      # June 2021: the surge
    ref, sec = scene.slc_pair("T131", k)
    return scene, k, ref, sec


def window_truth(scene, k, az, rg, half=28):
    """Mean and spread (max deviation of the corners) of the true offsets over each window."""
    pts = [(oa, orr) for oa in np.linspace(-half, half, 5) for orr in np.linspace(-half, half, 5)]
    samples = np.array([scene.true_radar_offsets("T131", k, az + oa, rg + orr) for oa, orr in pts])
    mean = samples.mean(axis=0)
    spread = np.abs(samples - mean[None]).max(axis=(0, 1))
    return mean, spread


def test_surge_offsets_recovered_with_a_priori_offsets(surge_pair):
    scene, k, ref, sec = surge_pair
    opts = dict(window=(64, 64), step=(16, 64), search=(6, 6))
    grid = track_offsets(ref[:200, :200], sec[:200, :200], **opts)       # only for the grid size
    ta = np.arange(6, ref.shape[0] - 64 + 1, 16) + 31.5
    tr = np.arange(6, ref.shape[1] - 64 + 1, 64) + 31.5
    az, rg = np.meshgrid(ta, tr, indexing="ij")
    truth, spread = window_truth(scene, k, az, rg)
    assert np.abs(truth[1]).max() > 50, "expected a surge pair with offsets of tens of pixels"
    # a-priori offsets as from a coarse reference velocity map: truth smoothed, off by ≤ 3 px
    rng = np.random.default_rng(0)
    prior = np.round(truth) + rng.integers(-3, 4, truth.shape)
    ds = track_offsets(ref, sec, prior_azimuth=prior[0], prior_range=prior[1], **opts)
    assert ds.azimuth_offset.shape == az.shape and grid.attrs["window"] == [64, 64]
    ok = ds.valid.values
    err = np.stack([ds.azimuth_offset.values - truth[0], ds.range_offset.values - truth[1]])
    fast_uniform = (np.hypot(*truth) > 10) & (spread < 1.0)
    assert fast_uniform.sum() >= 10, fast_uniform.sum()
    assert (ok & fast_uniform).sum() >= 0.5 * fast_uniform.sum(), ((ok & fast_uniform).sum(), fast_uniform.sum())
    e = np.abs(err[:, ok & fast_uniform])
    assert np.median(e) < 0.05 and np.percentile(e, 90) < 0.2, np.percentile(e, [50, 90, 100])
    # anywhere the motion is uniform over the window, accepted offsets are right
    uniform = ok & (spread < 1.0)
    assert np.percentile(np.abs(err[:, uniform]), 99) < 0.5
