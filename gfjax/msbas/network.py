"""Time network of an MSBAS inversion: epochs, intervals, boundary correction (ring 2, NumPy).

MSBAS v10 conventions (science.md §4, §6):

- epochs are the sorted unique acquisition times (decimal years) of all sets;
- with 2+ dimensions only the window common to all sets, ``[t_start, t_stop]``, is kept: maps
  entirely outside are dropped, a map straddling an end has its value multiplied by the covered
  fraction ``(t_s - t_start)/(t_s - t_m)`` (resp. ``(t_stop - t_m)/(t_s - t_m)``) and its date
  clipped;
- map ``j`` covers intervals ``first[j] <= k < last[j]`` (interval ``k`` joins epochs ``k`` and
  ``k+1``) with coefficient ``T_jk = t_{k+1} - t_k`` (years).

Times here are float64: decimal years need ~1e-9 resolution to distinguish acquisitions
(a float32 year has a 2-minute resolution) — the only float64 of this module.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gfjax.core.time import datetime_from_decimal_year, decimal_year  # noqa: F401  (decimal_year re-exported)


def epoch_label(t: float) -> str:
    """``YYYYMMDDTHHMMSS`` of a decimal year, as in MSBAS output names."""
    return datetime_from_decimal_year(t).item().strftime("%Y%m%dT%H%M%S")


class NetworkError(ValueError):
    """Inconsistent interferogram / offset-map network (message names the map and the field)."""


@dataclass(frozen=True)
class Network:
    """Epochs and the interval span of every used map.

    ``map_index`` indexes the *input* maps that are used (sorted by set, then master date);
    ``first``/``last``/``factor``/``set_index`` are given for the used maps only.
    """

    epochs: np.ndarray       # (N+1,) float64 decimal years
    map_index: np.ndarray    # (M,) int, into the input maps
    set_index: np.ndarray    # (M,) int
    first: np.ndarray        # (M,) int, first interval covered
    last: np.ndarray         # (M,) int, one past the last interval covered
    factor: np.ndarray       # (M,) float64 boundary factor (1 inside the window)
    n_sets: int

    @property
    def n_intervals(self) -> int:
        return len(self.epochs) - 1

    @property
    def n_maps(self) -> int:
        return len(self.map_index)

    @property
    def interval_years(self) -> np.ndarray:
        return np.diff(self.epochs)

    @property
    def bandwidth(self) -> int:
        """Longest map span in intervals = block bandwidth of AᵀA (diagonal included)."""
        return int(np.max(self.last - self.first)) if self.n_maps else 1

    def set_slices(self) -> list[tuple[int, int]]:
        """Row range ``[r0, r1)`` of each set's maps (used maps are sorted by set)."""
        out = []
        for s in range(self.n_sets):
            rows = np.nonzero(self.set_index == s)[0]
            out.append((int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, 0))
        return out

    def time_matrix(self) -> np.ndarray:
        """Dense ``T`` (M, N) float64: ``T_jk = Δt_k`` for covered intervals (oracle / residuals)."""
        n = self.n_intervals
        k = np.arange(n)
        cover = (k[None, :] >= self.first[:, None]) & (k[None, :] < self.last[:, None])
        return np.where(cover, self.interval_years[None, :], 0.0)


def build_network(t_master, t_slave, set_index, n_sets: int | None = None, *,
                  common_window: bool = True, names=None, window=None) -> Network:
    """Epochs, intervals and boundary factors of a set of maps.

    ``t_master``/``t_slave`` decimal years (M,), ``set_index`` (M,) ints in ``[0, n_sets)``.
    ``common_window`` keeps only the window common to all sets (MSBAS does this for 2D+).
    ``names`` (M,) optional labels (e.g. "list.txt:12") used in error messages.
    ``window`` (t_start, t_stop) decimal years, if given, replaces the common window (MSBAS v10
    takes it over passes, not sets: see msbas/v10.py).
    Raises :class:`NetworkError` for master not before slave, duplicate pairs in a set, or sets
    that do not overlap in time.
    """
    tm = np.asarray(t_master, np.float64)
    ts = np.asarray(t_slave, np.float64)
    si = np.asarray(set_index, np.int64)
    if not (tm.shape == ts.shape == si.shape) or tm.ndim != 1:
        raise NetworkError(f"t_master, t_slave, set_index must be 1-D of equal length, got "
                           f"{tm.shape}, {ts.shape}, {si.shape}")
    if len(tm) == 0:
        raise NetworkError("no maps given")
    n_sets = int(si.max()) + 1 if n_sets is None else int(n_sets)
    label = (lambda j: str(names[j])) if names is not None else (lambda j: f"map {j}")
    bad = np.nonzero(~(tm < ts))[0]
    if len(bad):
        j = bad[0]
        raise NetworkError(f"{label(j)}: master date {tm[j]:.6f} must be before slave date "
                           f"{ts[j]:.6f} (decimal years)")
    if si.min() < 0 or si.max() >= n_sets:
        raise NetworkError(f"set_index must be in [0, {n_sets}), got {si.min()}..{si.max()}")
    seen: dict[tuple, int] = {}
    for j in range(len(tm)):
        key = (int(si[j]), tm[j], ts[j])
        if key in seen:
            raise NetworkError(f"{label(j)}: duplicate pair {tm[j]:.6f}-{ts[j]:.6f} in set "
                               f"{si[j]} (also {label(seen[key])})")
        seen[key] = j
    all_dates = np.unique(np.concatenate([tm, ts]))
    if window is not None:
        t_start, t_stop = float(window[0]), float(window[1])
        if not t_start < t_stop:
            raise NetworkError(f"empty time window [{t_start:.6f}, {t_stop:.6f}] (decimal years)")
    elif common_window:
        starts = [tm[si == s].min() for s in range(n_sets) if np.any(si == s)]
        stops = [ts[si == s].max() for s in range(n_sets) if np.any(si == s)]
        t_start, t_stop = max(starts), min(stops)
        if not t_start < t_stop:
            raise NetworkError(f"sets do not overlap in time: common window would be "
                               f"[{t_start:.6f}, {t_stop:.6f}] (decimal years)")
    else:
        t_start, t_stop = all_dates[0], all_dates[-1]
    epochs = all_dates[(all_dates >= t_start) & (all_dates <= t_stop)]
    keep = (ts > t_start) & (tm < t_stop)
    factor = np.ones_like(tm)
    cm = np.clip(tm, t_start, t_stop)
    cs = np.clip(ts, t_start, t_stop)
    factor = (cs - cm) / (ts - tm)
    order = np.lexsort((tm, si))
    order = order[keep[order]]
    first = np.searchsorted(epochs, cm[order])
    last = np.searchsorted(epochs, cs[order])
    if not (np.allclose(epochs[first], cm[order], rtol=0, atol=1e-9)
            and np.allclose(epochs[last], cs[order], rtol=0, atol=1e-9)):
        raise NetworkError("internal: map dates are not epochs")  # cannot happen: dates are epochs
    return Network(epochs=epochs, map_index=order, set_index=si[order], first=first, last=last,
                   factor=factor[order], n_sets=n_sets)
