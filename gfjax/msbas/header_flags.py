"""MSBAS v10's MC_FLAG and C_FLAG applied to a map stack (ring 2; NumPy, no file access).

One implementation for both routes that read a v10 header: ``python -m gfjax.msbas header.txt``
(cli.py) and the pipeline's ``+experiment=msbas_inputs`` (stages/msbas.py). R_FLAG needs no code
of its own: it is the header's ``order`` / ``lam`` (gfjax/io/msbas_header.py) passed to the solver.

What v10 does, in this order (v10.py has the rules):

1. per map: mean, std and coverage of its valid (≠ 0) pixels over the window;
2. MC_FLAG: maps whose coverage is below it are removed;
3. C_FLAG: a calibration offset per map (0: none; 10: the map's mean; 1–9 boxes: the mean over
   the boxes, a map with no valid pixel there is removed);
4. the z-score mask of the kept maps (pixels where it is 0 are not inverted); C_FLAG=100 picks
   the reference box at its minimum (none found: C_FLAG=10);
5. the inverted value of a map at a pixel: value − offset where the value is ≠ 0 and the mask ≠ 0,
   else no data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gfjax.msbas import v10


@dataclass
class HeaderFlags:
    """The outcome of MC_FLAG and C_FLAG on a stack of M maps."""

    removed: np.ndarray          # (M,) bool: removed by MC_FLAG or by the calibration
    offsets: np.ndarray          # (M,) float64 m subtracted from each map (NaN: no reference)
    c_flag: int                  # 0, 1–9 (boxes), 10 (mean); C_FLAG=100 resolved to 1 or 10
    centres: list                # [(column, row)] of the boxes, window pixels
    half: tuple                  # (half_cols, half_rows) of the boxes
    mask: np.ndarray             # (rows, cols) float32 v10's z-score mask (0 = not inverted)
    notes: list = field(default_factory=list)

    @property
    def kept(self) -> np.ndarray:
        return np.flatnonzero(~self.removed)

    def values(self, maps: np.ndarray) -> np.ndarray:
        """The kept maps as the solver takes them: value − offset, NaN where the value is 0 (no
        data) or the mask is 0; (K, rows, cols) float32."""
        kept = self.kept
        ok = (maps[kept] != 0) & (self.mask != 0)[None]
        return np.where(ok, maps[kept] - self.offsets[kept, None, None].astype(np.float32),
                        np.nan).astype(np.float32)


def apply_header_flags(hdr, maps: np.ndarray, names, pixel_ok=None, slopes=None) -> HeaderFlags:
    """MC_FLAG and C_FLAG of ``hdr`` (a parsed v10 header) on ``maps`` (M, rows, cols) float32 of
    the header's window, 0 = no data (NaN counts as no data too). ``names`` (M,) labels for the
    notes; ``pixel_ok`` (rows, cols) pixels with a look vector; ``slopes`` (2, rows, cols) or None.
    Raises ``v10.V10Error`` when no map is left (v10 stops too)."""
    maps = np.nan_to_num(np.asarray(maps, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    notes = []
    note = notes.append
    win = hdr.window
    mean, std, cov = v10.map_statistics(maps)
    removed = cov < hdr.min_coverage
    for j in np.flatnonzero(removed):
        note(f"removed {names[j]}: coverage {cov[j]:.6f} < MC_FLAG {hdr.min_coverage}")
    c_flag = {"none": 0, "mean": 10, "boxes": len(hdr.boxes), "zscore": 100}[hdr.calibration]
    centres = [(c - win[0], r - win[2]) for c, r, _, _ in hdr.boxes]       # window pixels
    half = (hdr.boxes[0][2], hdr.boxes[0][3]) if hdr.boxes else (0, 0)
    offsets = map_offsets(maps, mean, c_flag, centres, half)
    removed |= ~np.isfinite(offsets) & ~removed
    if pixel_ok is None:
        pixel_ok = np.ones(maps.shape[1:], bool)
    mask = v10.zscore_mask(maps[~removed], mean[~removed], std[~removed], pixel_ok, slopes)
    if c_flag == 100:
        where, half = v10.zscore_reference(mask, *hdr.zscore_half)
        if where is None:
            note("cannot compute minimal z-score, assuming C_FLAG=10 (as MSBAS v10)")
            c_flag = 10
        else:
            c_flag, centres = 1, [where]
            note(f"minimal z-score at column {where[0] + win[0]}, row {where[1] + win[2]}; "
                 f"reference box half-sizes {half}")
            offsets = map_offsets(maps, mean, 1, centres, half)
    for j in np.flatnonzero(~np.isfinite(offsets) & ~removed):
        note(f"removed {names[j]}: no valid pixel in the calibration reference")
    removed |= ~np.isfinite(offsets)
    if removed.all():
        raise v10.V10Error(f"{hdr.path}: no map left after MC_FLAG / calibration (MSBAS v10 stops "
                           "too: 'no interferograms left for processing')")
    return HeaderFlags(removed, offsets, c_flag, centres, tuple(half), mask, notes)


def map_offsets(maps, mean, c_flag: int, centres, half) -> np.ndarray:
    """Calibration offset per map (v10 Interferogram::Calibrate); NaN: no valid reference pixel."""
    if c_flag == 0:
        return np.zeros(maps.shape[0])
    if 0 < c_flag < 10:
        return v10.box_offsets(maps, centres, *half)
    return np.asarray(mean, np.float64).copy()          # 10, and 100 before the search


def header_window(passes, set_index, t_master, t_slave, dim: int):
    """v10's epoch window (start, stop) decimal years of the kept maps (``set_index`` (K,) their
    sets, ``passes`` 'A'/'D' per set): the window common to the ascending and descending passes
    when both are present and dim > 1, else all epochs."""
    map_pass = np.array([passes[s] for s in np.asarray(set_index)])
    return v10.epoch_window(t_master, t_slave, map_pass, v10.uses_common_window(dim, passes))
