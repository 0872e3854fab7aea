"""Offset-tracking windows of a Sentinel-1 pair, cut burst by burst without resampling (issue 14).

For map cells of an :class:`~gfjax.io.s1_scene.S1Scene` track, :func:`chip_pairs` cuts from the
pair's **own** bursts (no debursting, no resampling of either image):

* a reference chip of ``chip`` = (lines, samples) centred on the cell's position in the reference
  burst its lookup table gives, and
* a secondary search area, ``search`` px larger on each side, centred where the secondary's own
  lookup table (its orbit) puts the same ground point — so the orbit difference is removed by
  geometry and a measured offset is ice motion plus the sub-pixel remainder ``predicted``.

A window must lie inside its burst's valid lines and samples (annotation ``first/lastValidSample``),
else the cell is flagged (``ok`` False) and its arrays are zero. Each burst is read once as the
block its windows need (rasterio window, ``/vsizip/`` in a zip) and TOPS-deramped with its own
ramp before cutting (``deramp=True``), so the chips can be oversampled in azimuth.

Offsets measured between ``ref[n]`` and ``sec[n]`` (secondary position − reference position,
px, with the search area's centre as zero) minus ``predicted[n]`` are the motion, in the secondary
burst's lines and samples.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["chip_pairs"]


def _corners(acq: Any, rows: np.ndarray, cols: np.ndarray, size: tuple[int, int],
             pad: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(piece, first line, first sample, fractional line, fractional sample, inside) of windows at the cells."""
    piece = acq.lut["piece"][rows, cols]
    line, sample = acq.lut["line"][rows, cols], acq.lut["sample"][rows, cols]
    ok = piece >= 0
    il = np.where(ok, np.round(np.nan_to_num(line)), 0).astype(int)
    isamp = np.where(ok, np.round(np.nan_to_num(sample)), 0).astype(int)
    l0 = il - size[0] // 2 - pad[0]
    s0 = isamp - size[1] // 2 - pad[1]
    l1, s1 = l0 + size[0] + 2 * pad[0], s0 + size[1] + 2 * pad[1]
    for n in range(len(rows)):
        if not ok[n]:
            continue
        k, i, _, _ = acq.layout.pieces[piece[n]]
        b = acq.swaths[k].bursts[i]
        first, last = b.valid_lines
        vs0, vs1 = b.valid_samples
        ok[n] = first <= l0[n] and l1[n] - 1 <= last and vs0 <= s0[n] and s1[n] - 1 <= vs1
    return piece, l0, s0, line - il, sample - isamp, ok


def _cut(acq: Any, piece: np.ndarray, l0: np.ndarray, s0: np.ndarray, ok: np.ndarray, shape: tuple[int, int],
         deramp: bool) -> np.ndarray:
    """Windows of ``shape`` at (l0, s0) in each cell's burst; one block read per burst."""
    out = np.zeros((len(piece), *shape), np.complex64)
    for p in np.unique(piece[ok]):
        k, i, _, _ = acq.layout.pieces[p]
        sw, sel = acq.swaths[k], np.flatnonzero(ok & (piece == p))
        a0, a1 = int(l0[sel].min()), int(l0[sel].max()) + shape[0]
        c0, c1 = int(s0[sel].min()), int(s0[sel].max()) + shape[1]
        block = sw.read_window(i, (a0, a1), (c0, c1))
        if deramp:
            import jax.numpy as jnp

            from ..offsets.deramp import deramp_window, tops_ramp

            block = np.asarray(deramp_window(tops_ramp(sw, i), jnp.asarray(block), jnp.float32(a0), jnp.float32(c0)))
        for n in sel:
            r, c = l0[n] - a0, s0[n] - c0
            out[n] = block[r:r + shape[0], c:c + shape[1]]
    return out


def chip_pairs(scene: Any, track_name: str, pair_index: int, rows: ArrayLike, cols: ArrayLike,
               chip: tuple[int, int] = (32, 64), search: tuple[int, int] = (8, 16),
               deramp: bool = True) -> dict[str, np.ndarray]:
    """Reference chips and secondary search areas of a pair at map cells ``rows``/``cols`` (1-D, same length).

    Returns ``ref`` (n, *chip) and ``sec`` (n, chip + 2·search) complex64, ``ok`` (n,) bool,
    ``predicted`` (n, 2) float: the (lines, samples) the geometry alone puts between the two
    windows' centres (the sub-pixel remainders), and ``ref_burst``/``sec_burst`` (n,) indices of
    the bursts used (−1 where not ok).
    """
    rows, cols = np.atleast_1d(np.asarray(rows, int)), np.atleast_1d(np.asarray(cols, int))
    if rows.shape != cols.shape or rows.ndim != 1:
        raise ValueError(f"chip_pairs: rows and cols must be 1-D of one length, got {rows.shape} and {cols.shape}")
    if min(chip) < 1 or min(search) < 0:
        raise ValueError(f"chip_pairs: chip must be ≥ 1 and search ≥ 0 px, got chip={chip}, search={search}")
    trk = scene.tracks[track_name]
    scene.pair_times(track_name, pair_index)                  # range checks
    i, j = trk.pairs[pair_index]
    ref, sec = trk.acqs[i], trk.acqs[j]
    rp, rl0, rs0, rfl, rfs, rok = _corners(ref, rows, cols, chip, (0, 0))
    sp, sl0, ss0, sfl, sfs, sok = _corners(sec, rows, cols, chip, search)
    ok = rok & sok
    big = (chip[0] + 2 * search[0], chip[1] + 2 * search[1])

    def burst_of(acq: Any, piece: np.ndarray) -> np.ndarray:
        return np.array([acq.layout.pieces[p][1] if o else -1 for p, o in zip(piece, ok)], int)

    return {"ref": _cut(ref, rp, rl0, rs0, ok, chip, deramp), "sec": _cut(sec, sp, sl0, ss0, ok, big, deramp),
            "ok": ok, "predicted": np.where(ok[:, None], np.c_[sfl - rfl, sfs - rfs], np.nan),
            "ref_burst": burst_of(ref, rp), "sec_burst": burst_of(sec, sp)}
