"""Segment-aware templates (``track_offsets(..., segments=…)``): a window that straddles a
glacier margin measures the ice at its centre, not the coherent stable ground beside it."""
import jax.numpy as jnp
import numpy as np
import pytest

from gfjax.offsets import track_offsets
from gfjax.offsets.kernels import segment_template, window_weights
from gfjax.sim.speckle import speckle_pair


def _segment_template_oracle(t, lab, g):
    keep = lab == lab[t.shape[0] // 2, t.shape[1] // 2]
    fill = np.sum(g[keep] * t[keep]) / np.sum(g[keep])
    return np.where(keep, t, fill)


def test_segment_template_matches_numpy_and_zeroes_the_weighted_template():
    rng = np.random.default_rng(3)
    t = rng.random((16, 48)).astype(np.float32)
    lab = np.zeros((16, 48), np.float32)
    lab[:, 20:] = 1                                  # centre (8, 24) on segment 1
    g = window_weights((16, 48), "gaussian", 0.2)
    out = np.asarray(segment_template(jnp.asarray(t), jnp.asarray(lab), jnp.asarray(g)))
    np.testing.assert_allclose(out, _segment_template_oracle(t, lab, g), rtol=1e-6)
    # the weighted, de-meaned template (what the NCC correlates) vanishes off the centre's segment
    r = out - np.sum(g * out) / np.sum(g)
    assert np.max(np.abs((g * r)[lab == 0])) < 1e-6 and np.max(np.abs((g * r)[lab == 1])) > 1e-2
    # one segment everywhere: unchanged
    same = np.asarray(segment_template(jnp.asarray(t), jnp.zeros((16, 48)), jnp.asarray(g)))
    np.testing.assert_array_equal(same, t)


@pytest.fixture(scope="module")
def margin_pair():
    """Left of column 110: stable, coherent rock (no motion, γ 0.95). Right: ice moved by
    (0.4, 2.6) px with γ 0.55 (less coherent than the rock)."""
    shape = (128, 256)
    rock_ref, rock_sec = speckle_pair(5, shape, (0.0, 0.0), coherence=0.95)
    ice_ref, ice_sec = speckle_pair(6, shape, (0.4, 2.6), coherence=0.55)
    lab = np.zeros(shape, np.int8)
    lab[:, 110:] = 1
    ref = np.where(lab == 1, ice_ref, rock_ref)
    sec = np.where(lab == 1, ice_sec, rock_sec)
    return ref, sec, lab


def test_margin_windows_lock_onto_rock_without_segments_and_onto_ice_with_them(margin_pair):
    ref, sec, lab = margin_pair
    opts = dict(window=(32, 64), step=(8, 8), search=(6, 6), min_snr=0.0, median_filter_size=0,
                weight_sigma=0.3, weighting="gaussian")
    plain = track_offsets(ref, sec, **opts)
    seg = track_offsets(ref, sec, segments=lab, **opts)
    rg = plain["range"].values
    # windows centred on the ice whose template reaches ≥ 12 px onto the rock
    straddle = (rg > 110) & (rg < 110 + 32 - 12)
    assert straddle.sum() >= 2
    plain_rg = plain.range_offset.values[:, straddle]
    seg_rg = seg.range_offset.values[:, straddle]
    # without segments most of them measure the rock's zero; with segments the ice's 2.6 px
    assert np.mean(np.abs(plain_rg) < 0.5) > 0.6
    assert np.mean(np.abs(seg_rg - 2.6) < 0.3) > 0.8
    # windows centred on the rock still measure the rock (their template keeps the rock)
    rock = rg < 110 - 8
    assert np.nanmax(np.abs(seg.range_offset.values[:, rock])) < 0.2
    # far from the margin nothing changes
    inner = rg > 110 + 40
    np.testing.assert_allclose(seg.range_offset.values[:, inner], plain.range_offset.values[:, inner], atol=1e-5)


def test_segments_must_match_the_images(margin_pair):
    ref, sec, lab = margin_pair
    with pytest.raises(ValueError, match="segments have shape"):
        track_offsets(ref, sec, segments=lab[:, :-1], window=(32, 64), step=(8, 8), search=(6, 6))
    with pytest.raises(ValueError, match="segments need the accurate method"):
        track_offsets(ref, sec, segments=lab, window=(32, 64), step=(8, 8), search=(6, 6), method="fast")


def test_radar_segments_follow_the_mask_through_the_lookup_table():
    from gfjax.pipeline.priors import radar_segments

    # map grid 40 x 50 cells; radar = an affine image of it (3 lines, 12 samples per cell, flipped range)
    rows, cols = np.meshgrid(np.arange(40.0), np.arange(50.0), indexing="ij")
    lut_az, lut_rg = 3.0 * rows + 0.5 * cols, 12.0 * (49 - cols)
    mask = (rows - 20) ** 2 / 100 + (cols - 25) ** 2 / 225 < 1        # an elliptic "glacier"
    shape = (130, 600)
    lab = radar_segments(mask, lut_az, lut_rg, shape, step=1)
    # exact labels: invert the affine map at every radar pixel, nearest cell
    A, R = np.meshgrid(np.arange(shape[0], dtype=float), np.arange(shape[1], dtype=float), indexing="ij")
    c = 49 - R / 12.0
    r = (A - 0.5 * c) / 3.0
    inside = (r > -0.5) & (r < 39.5) & (c > -0.5) & (c < 49.5)
    exact = np.zeros(shape, bool)
    exact[inside] = mask[np.rint(r[inside]).astype(int), np.rint(c[inside]).astype(int)]
    assert lab.dtype == np.int8 and lab.shape == shape
    assert np.mean(lab[inside] == exact[inside]) > 0.98
    assert lab[~inside].max() == 0 or np.mean(lab[~inside]) < 0.01
    # decimated computation agrees almost everywhere
    assert np.mean(radar_segments(mask, lut_az, lut_rg, shape, step=4) == lab) > 0.97
