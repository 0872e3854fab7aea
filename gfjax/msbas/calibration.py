"""Map calibration (MSBAS C_FLAG) applied before the inversion (ring 2, NumPy).

Each map gets one constant offset subtracted over its valid pixels (NaN = no data):

- ``none`` (C_FLAG=0): nothing;
- ``boxes`` (C_FLAG=n + boxes): mean of the map over the union of the reference boxes
  ``(col, row, width, height)``; a map with no valid pixel in the boxes is dropped (logged);
- ``mean`` (C_FLAG=10): the map's mean over all its valid pixels;
- ``auto`` (C_FLAG=100): automatic reference = the pixels valid in ≥ 90 % of the maps (or, if
  fewer than 10 such pixels, the 10 % most often valid) whose temporal std of the map values is
  (after removing each map's median over the candidates) in the lowest 10 % — i.e. the most
  stable, best covered pixels (glacier-free rock in practice);
  each map's *median* over those pixels is subtracted (median: robust to a few moving pixels).
  This is gfjax's choice; MSBAS v10's automatic reference may differ.

Returns the calibrated maps and a boolean "kept" per map.
"""
from __future__ import annotations

import numpy as np


def calibrate(maps: np.ndarray, method: str, boxes=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(calibrated maps, offsets (M,), kept (M,) bool) for maps (M, rows, cols) with NaN."""
    m = maps.shape[0]
    offsets = np.zeros(m)
    if method == "none":
        return maps, offsets, np.ones(m, bool)
    if method == "boxes":
        ref = np.zeros(maps.shape[1:], bool)
        for c, r, w, h in boxes:
            ref[r:r + h, c:c + w] = True
        offsets = _masked_stat(maps, ref, np.nanmean)
    elif method == "mean":
        offsets = _masked_stat(maps, np.ones(maps.shape[1:], bool), np.nanmean)
    elif method == "auto":
        offsets = _masked_stat(maps, auto_reference(maps), np.nanmedian)
    else:
        raise ValueError(f"calibration must be none|boxes|mean|auto, got {method!r}")
    kept = np.isfinite(offsets)
    out = maps - np.where(kept, offsets, 0.0)[:, None, None].astype(maps.dtype)
    return out, offsets, kept


def _masked_stat(maps, mask, stat):
    vals = maps[:, mask]
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.array([stat(v) if np.any(np.isfinite(v)) else np.nan for v in vals])


def auto_reference(maps: np.ndarray) -> np.ndarray:
    """Boolean (rows, cols) mask of the automatic reference pixels (see module doc)."""
    valid = np.isfinite(maps)
    frac = valid.mean(axis=0)
    cand = frac >= 0.9
    if cand.sum() < 10:
        cand = frac >= np.quantile(frac, 0.9)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # remove each map's median over the candidates first, so that per-map offsets do not
        # enter the temporal std (that would select pixels by their noise, a biased choice)
        centred = maps - np.nanmedian(maps[:, cand], axis=1)[:, None, None]
        std = np.nanstd(centred, axis=0)
    std = np.where(cand & np.isfinite(std), std, np.inf)
    finite = std[np.isfinite(std)]
    if finite.size == 0:
        return cand
    return std <= np.quantile(finite, 0.1)
