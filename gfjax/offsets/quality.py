"""Quality of an offset: SNR and covariance of ONE correlation surface (pure JAX), and the
outlier filters applied to the whole grid afterwards (NumPy, outside ``jit``).

Rejection reasons (int8 ``reason`` in the output; ``valid`` = reason == 0):
0 ok · 1 window or search area past the image edge · 2 no data (NaN/inf/0) in the window or
search area · 3 correlation maximum on the border of the search range (offset outside it, or
no peak) · 4 SNR or peak below threshold (and offset not consistent with the confidently kept
neighbours', :func:`neighbour_consistent`) · 5 local-median outlier · 6 a-priori offset missing.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

OK, EDGE, NODATA, BORDER, LOW_QUALITY, OUTLIER, NO_PRIOR = range(7)
REASONS = {OK: "ok", EDGE: "edge", NODATA: "no_data", BORDER: "peak_on_search_border",
           LOW_QUALITY: "low_snr_or_peak", OUTLIER: "median_outlier", NO_PRIOR: "no_prior"}


def surface_snr(ncc: jax.Array, integer_lag: jax.Array, peak: jax.Array,
                exclusion: float) -> jax.Array:
    """SNR = peak² / mean(ncc²) over lags farther than ``exclusion`` (chip px, Chebyshev) from
    the integer peak — the ISCE3/ampcor convention (a ratio of powers). NaN if no lag is left."""
    La, Lr = ncc.shape
    da = jnp.abs(jnp.arange(La)[:, None] - integer_lag[0]).astype(jnp.float32)
    dr = jnp.abs(jnp.arange(Lr)[None, :] - integer_lag[1]).astype(jnp.float32)
    away = ((da > exclusion) | (dr > exclusion)) & jnp.isfinite(ncc)
    count = jnp.sum(away).astype(jnp.float32)
    noise = jnp.sum(jnp.where(away, ncc * ncc, 0.0)) / jnp.maximum(count, 1)
    return jnp.where(count > 0, peak * peak / jnp.maximum(noise, 1e-30), jnp.nan)


def peak_covariance(ncc: jax.Array, integer_lag: jax.Array, peak: jax.Array, snr: jax.Array,
                    scale: float) -> jax.Array:
    """Offset covariance (cov_aa, cov_rr, cov_ar), px², from the curvature of the surface at
    the integer peak: C = (σ_c² / peak) · (−∇²ncc)⁻¹ with σ_c² = peak²/SNR the surface noise
    power. ``scale`` = chip px per output px (the oversampling factor). NaN where the peak is
    not a strict maximum."""
    La, Lr = ncc.shape
    a = jnp.clip(integer_lag[0], 1, La - 2)
    r = jnp.clip(integer_lag[1], 1, Lr - 2)
    c = jax.lax.dynamic_slice(jnp.nan_to_num(ncc), (a - 1, r - 1), (3, 3))
    haa = (c[0, 1] - 2 * c[1, 1] + c[2, 1]) * scale ** 2
    hrr = (c[1, 0] - 2 * c[1, 1] + c[1, 2]) * scale ** 2
    har = 0.25 * (c[2, 2] - c[2, 0] - c[0, 2] + c[0, 0]) * scale ** 2
    det = haa * hrr - har * har
    ok = (haa < 0) & (hrr < 0) & (det > 0) & (peak > 0)
    noise = peak * peak / snr
    k = noise / jnp.where(ok, peak * det, 1.0)
    cov = jnp.stack([-hrr * k, -haa * k, har * k])
    return jnp.where(ok, cov, jnp.nan).astype(jnp.float32)


def nanmedian_rows(x: np.ndarray) -> np.ndarray:
    """``np.nanmedian(x, axis=-1)`` without its warnings, for many short rows: one sort (NaN
    last), then the middle of each row's finite values (NaN where there are none)."""
    s = np.sort(x, axis=-1)
    k = np.sum(np.isfinite(x), axis=-1)
    lo = np.take_along_axis(s, np.maximum((k - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(s, (k // 2)[..., None], axis=-1)[..., 0]
    return np.where(k > 0, 0.5 * (lo + hi), np.nan)


def median_outliers(azimuth: np.ndarray, range_: np.ndarray, size: int, max_deviation: float,
                    min_deviation: float, min_neighbours: int) -> np.ndarray:
    """Boolean grid: True where an offset (NaN = already rejected) deviates from the median of
    its valid neighbours in a ``size``×``size`` box by more than max(max_deviation × 1.4826 ×
    MAD, min_deviation px), on either axis (autoRIFT-style; the box includes the window).
    Windows with fewer than ``min_neighbours`` valid neighbours are left alone."""
    out = np.zeros(azimuth.shape, bool)
    if size <= 1:
        return out
    half = size // 2
    for comp in (azimuth, range_):
        padded = np.pad(comp.astype(np.float64), half, constant_values=np.nan)
        win = sliding_window_view(padded, (size, size)).reshape(*comp.shape, size * size)
        count = np.sum(np.isfinite(win), axis=-1) - np.isfinite(comp)
        with np.errstate(all="ignore"):
            med = nanmedian_rows(win)
            mad = nanmedian_rows(np.abs(win - med[..., None]))
        thresh = np.maximum(max_deviation * 1.4826 * mad, min_deviation)
        bad = np.isfinite(comp) & (count >= min_neighbours) & (np.abs(comp - med) > thresh)
        out |= bad
    return out


def neighbour_consistent(azimuth: np.ndarray, range_: np.ndarray, strong: np.ndarray, size: int,
                         max_deviation: float, min_neighbours: int) -> np.ndarray:
    """Boolean grid: True where a window's offset lies within ``max_deviation`` px, on both axes,
    of the median offset of the ``strong`` windows (e.g. SNR ≥ min_snr and not outliers) in the
    ``size``×``size`` box around it (itself left out), with at least ``min_neighbours`` of them.

    The spatial-consistency acceptance of weak peaks: a false peak lands anywhere in the search
    range, so one that falls within ±``max_deviation`` of its confident neighbours' offset is
    rare ((2·max_deviation)² / (2·search+1)² of the search area), while on real images many
    right peaks have a low SNR (structured windows: coastlines, ridges, bright targets raise the
    surface away from the peak). False where the offset is NaN or the neighbours are too few."""
    out = np.zeros(azimuth.shape, bool)
    if size <= 1 or not np.any(strong):
        return out
    half = size // 2
    for comp in (azimuth, range_):
        c = np.where(strong, comp, np.nan).astype(np.float64)
        padded = np.pad(c, half, constant_values=np.nan)
        win = sliding_window_view(padded, (size, size)).reshape(*comp.shape, size * size).copy()
        win[..., (size * size) // 2] = np.nan                       # leave the window itself out
        count = np.sum(np.isfinite(win), axis=-1)
        med = nanmedian_rows(win)
        with np.errstate(invalid="ignore"):
            ok = (count >= min_neighbours) & (np.abs(comp - med) <= max_deviation)
        out = ok if comp is azimuth else out & ok
    return out
