"""The orbits' share of a pair's offsets, for scenes that know it (Sentinel-1 products,
:meth:`gfjax.io.s1_scene.S1Scene.geometric_offsets`), so that the offsets stage measures ice motion only.

An :class:`~gfjax.io.s1_scene.S1Scene` pair is not resampled: the secondary's bursts are read
moved by the whole lines and samples the two acquisitions' lookup tables predict, and the
sub-pixel rest (plus its variation over the AOI, topography included) is ``geometric_offsets``
per map cell. :func:`geometric_prior` brings that rest onto the tracker's window centres (in the
pair's reference image: the reference acquisition's own lookup table, piece by burst piece,
linear between map cells, nearest beyond them); the offsets stage centres each search there
(adding it to any motion prior) and subtracts it from what it measures. Scenes without
``geometric_offsets`` (synthetic, stack) are untouched: every function returns None or the
track's table for them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

MAX_POINTS = 40_000  # map cells per burst piece fed to the interpolator (strided beyond)


def reference_lookup(scene: Any, track: str, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(azimuth px, range px) of every map cell in pair ``k``'s reference image, when that image
    is not the track's first acquisition's (Sentinel-1: each acquisition has its own burst
    layout); None otherwise (use ``track.map_to_radar()``)."""
    trk = scene.tracks[track]
    acqs = getattr(trk, "acqs", None)
    if acqs is None or not hasattr(scene, "geometric_offsets"):
        return None
    row, col = acqs[trk.pairs[k][0]].image_position()
    return row.astype(np.float32), col.astype(np.float32)


def _interpolate(points: np.ndarray, values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator

    if len(points) > MAX_POINTS:
        stride = int(np.ceil(len(points) / MAX_POINTS))
        points, values = points[::stride], values[::stride]
    if len(points) >= 3 and np.ptp(points[:, 0]) > 0 and np.ptp(points[:, 1]) > 0:
        out = LinearNDInterpolator(points, values)(targets)
    else:
        out = np.full((len(targets), values.shape[1]), np.nan)
    miss = ~np.isfinite(out).all(axis=1)
    if miss.any():
        out[miss] = NearestNDInterpolator(points, values)(targets[miss])
    return out


def geometric_prior(scene: Any, track: str, k: int, az: np.ndarray, rg: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(azimuth, range) px the orbits alone put between pair ``k``'s images at the window centres
    ``az`` × ``rg`` (1-D, px of the reference image), or None for a scene without geometry.

    Each window takes the values of the burst piece its centre row lies in (the whole-pixel
    shift of the secondary's read is per burst); windows of a piece without a valid cell are NaN
    (not tracked)."""
    if not hasattr(scene, "geometric_offsets"):
        return None
    trk = scene.tracks[track]
    ref = trk.acqs[trk.pairs[k][0]]
    g_az, g_rg = scene.geometric_offsets(track, k)
    row, col = ref.image_position()
    ok = np.isfinite(row) & np.isfinite(col) & np.isfinite(g_az) & np.isfinite(g_rg)
    AZ, RG = np.meshgrid(np.asarray(az, float), np.asarray(rg, float), indexing="ij")
    out = np.full((2, *AZ.shape), np.nan)
    starts = ref.layout.row_offsets
    stops = starts + np.array([hi - lo for _, _, lo, hi in ref.layout.pieces])
    for n, (r0, r1) in enumerate(zip(starts, stops)):
        # the first and last pieces also take the windows beyond the image's ends
        sel = ((AZ >= r0) | (n == 0)) & ((AZ < r1) | (n == len(starts) - 1))
        cells = ok & (ref.lut["piece"] == n)
        if not sel.any() or not cells.any():
            continue
        values = _interpolate(np.c_[row[cells], col[cells]], np.c_[g_az[cells], g_rg[cells]],
                              np.c_[AZ[sel], RG[sel]])
        out[0][sel], out[1][sel] = values[:, 0], values[:, 1]
    return out[0], out[1]


def with_geometry(prior: tuple[np.ndarray, np.ndarray] | None,
                  geometry: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The search centres: the motion ``prior`` (None: zero) plus the ``geometry`` (None: ``prior`` as given)."""
    if geometry is None:
        return prior
    base = prior if prior is not None else (np.zeros_like(geometry[0]), np.zeros_like(geometry[1]))
    return base[0] + geometry[0], base[1] + geometry[1]


def motion_only(ds: Any, geometry: tuple[np.ndarray, np.ndarray] | None) -> Any:
    """``ds``'s offsets less the ``geometry`` at its window centres (the motion); ``ds`` itself when None."""
    if geometry is None:
        return ds
    ds = ds.copy()
    for name, g in zip(("azimuth_offset", "range_offset"), geometry):
        ds[name] = ds[name].copy(data=ds[name].values - g.astype(ds[name].dtype))
    ds.attrs["geometric_offsets_removed"] = 1
    return ds
