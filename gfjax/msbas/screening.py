"""Temporal screening of a map stack before the inversion (ring 2, NumPy).

Offsets that pass the per-pair tests (SNR, local median) can still be wrong — a false peak that
its neighbours happen to share, a melt-season pair — and the least-squares inversion spreads such
a value over every interval the pair covers. Glacier flow changes over weeks, not within one
12-day pair, so each map's *rate* (displacement / pair duration, m/yr) is compared with the
rates of the same set (track and kind) at the same pixel in the ``window`` maps before and after
it (by reference time): a value is rejected when it deviates from that running median by more
than ``max_deviation`` × 1.4826 × MAD (the robust standard deviation of the window), and by more
than ``min_deviation_m`` metres over its own pair (the noise floor, so that a quiet series with a
tiny MAD keeps its normal scatter). A median of 2·window + 1 maps follows a surge onset (a step
in rate) after ``window`` maps without rejecting it. Values are NaN = no data in and out.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gfjax.offsets.quality import nanmedian_rows


def temporal_outliers(maps, set_index, t_master, t_slave, *, window: int = 3,
                      max_deviation: float = 4.0, min_deviation_m: float = 1.0,
                      min_neighbours: int = 3) -> np.ndarray:
    """Boolean (M, …) array, True where a finite value of ``maps`` (M, …) is a temporal outlier
    of its set (see module doc). ``set_index``, ``t_master``, ``t_slave`` (M,) as for MSBAS
    (decimal years). Values with fewer than ``min_neighbours`` finite neighbours in their window
    are kept. ``window`` 0 disables the test (all False)."""
    maps = np.asarray(maps)
    set_index, t0, t1 = (np.asarray(a) for a in (set_index, t_master, t_slave))
    m = maps.shape[0]
    if not (set_index.shape == t0.shape == t1.shape == (m,)):
        raise ValueError(f"set_index, t_master, t_slave must each be ({m},) for {m} maps, got "
                         f"{set_index.shape}, {t0.shape}, {t1.shape}")
    if window < 0 or max_deviation <= 0 or min_deviation_m < 0:
        raise ValueError(f"temporal_outliers: window >= 0, max_deviation > 0, min_deviation_m >= 0 "
                         f"expected, got {window}, {max_deviation}, {min_deviation_m}")
    dt = t1 - t0
    if np.any(dt <= 0):
        raise ValueError(f"temporal_outliers: every map needs t_slave > t_master; map(s) "
                         f"{np.flatnonzero(dt <= 0)[:5].tolist()} do not")
    out = np.zeros(maps.shape, bool)
    if window == 0 or m == 0:
        return out
    flat = maps.reshape(m, -1)
    cols = np.flatnonzero(np.isfinite(flat).any(axis=0))
    flat_out = out.reshape(m, -1)
    for s in np.unique(set_index):
        idx = np.flatnonzero(set_index == s)
        idx = idx[np.argsort(t0[idx], kind="stable")]
        rate = flat[np.ix_(idx, cols)].astype(np.float64) / dt[idx, None]           # (n, P) m/yr
        pad = np.full((window,) + rate.shape[1:], np.nan)
        win = sliding_window_view(np.concatenate([pad, rate, pad]), 2 * window + 1, axis=0)
        med = nanmedian_rows(win)
        mad = nanmedian_rows(np.abs(win - med[..., None]))
        neighbours = np.sum(np.isfinite(win), axis=-1) - np.isfinite(rate)
        limit = np.maximum(max_deviation * 1.4826 * mad, min_deviation_m / dt[idx, None])
        bad = np.isfinite(rate) & (neighbours >= min_neighbours) & (np.abs(rate - med) > limit)
        flat_out[np.ix_(idx, cols)] = bad
    return out
