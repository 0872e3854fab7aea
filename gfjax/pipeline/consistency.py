"""The geocode stage's temporal consistency screen (``geometry.consistency_pairs`` > 0): which
offset windows of a pair agree with the same windows of the neighbouring pairs of its track
(:func:`gfjax.consistency.temporal_agreement`).

The screen needs the neighbours' offsets, which the geocode stage removes as it uses them
(``RunContext.consumed``). It therefore runs first for all of the process's pairs and saves a
small keep-mask per pair (``<track>_<k>_keep.npz`` beside the stage's outputs); only then are
offsets geocoded and consumed. With MPI every rank writes its pairs' masks before any rank
removes an offsets file (a barrier between the two passes), so a killed run that resumes finds
either a pair's mask or its geocoded map.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

VARS = ("azimuth_offset", "range_offset")


def keep_file(folder: Path, track: str, k: int) -> Path:
    return Path(folder) / f"{track}_{k:03d}_keep.npz"


def on_windows(ds, centres: tuple[np.ndarray, np.ndarray]):
    """``ds`` on the window centres ``centres`` (azimuth, range px): as is when its grid is the
    same, else at its nearest windows within half a step (Sentinel-1: each reference has its own
    burst layout, a line or a sample apart; offsets are motion only, so that does not matter);
    windows with none are NaN."""
    same = (ds.azimuth.size == centres[0].size and ds["range"].size == centres[1].size
            and np.allclose(ds.azimuth.values, centres[0]) and np.allclose(ds["range"].values, centres[1]))
    if same:
        return ds
    tol = [0.5 * float(np.median(np.diff(c))) if c.size > 1 else 1.0 for c in centres]
    return ds.reindex(azimuth=centres[0], method="nearest", tolerance=tol[0]) \
             .reindex(range=centres[1], method="nearest", tolerance=tol[1])


def _offsets(path: Path, cache: dict):
    import xarray as xr

    key = str(path)
    if key not in cache:
        if len(cache) > 16:  # pairs come in track order: the oldest are not needed again
            cache.pop(next(iter(cache)))
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            cache[key] = ds[list(VARS)].load()
    return cache[key]


def keep_mask(scene, src: Path, track: str, k: int, n: int, tol_px: float, rel: float,
              keep_isolated: bool, cache: dict) -> tuple[np.ndarray, dict]:
    """Boolean (azimuth, range) keep-mask of pair ``k``'s windows and its counts: valid windows,
    how many agree, how many had no valid neighbour."""
    from gfjax.consistency import temporal_agreement
    from gfjax.pipeline.stages.offsets import pair_file

    ds = _offsets(pair_file(src, track, k), cache)
    centres = (ds.azimuth.values, ds["range"].values)
    t0, t1 = scene.pair_times(track, k)
    neighbours, scales = [], []
    for j in range(k - n, k + n + 1):
        if j == k or not 0 <= j < len(scene.tracks[track].pairs):
            continue
        path = pair_file(src, track, j)
        if not path.is_file():
            raise FileNotFoundError(f"offsets of pair {track}/{j} missing ({path}): the temporal consistency "
                                    f"screen of pair {track}/{k} needs them")
        nb = on_windows(_offsets(path, cache), centres)
        neighbours.append(np.stack([nb[v].values for v in VARS], axis=-1))
        p0, p1 = scene.pair_times(track, j)
        scales.append((t1 - t0) / (p1 - p0))
    centre = np.stack([ds[v].values for v in VARS], axis=-1)
    shape = centre.shape[:2]
    nbs = np.stack(neighbours) if neighbours else np.zeros((0, *shape, 2), np.float32)
    keep = np.asarray(temporal_agreement(centre, nbs, np.asarray(scales, np.float32), tol_px, rel,
                                         keep_isolated=keep_isolated))
    valid = np.all(np.isfinite(centre), axis=-1)
    isolated = valid & ~np.any(np.all(np.isfinite(nbs), axis=-1), axis=0) if neighbours else valid
    return keep, {"valid": int(valid.sum()), "kept": int(keep.sum()), "isolated": int(isolated.sum())}


def screened(ds, keep: np.ndarray):
    """``ds`` with the offsets of the windows not kept set to NaN."""
    out = ds.copy()
    for v in VARS:
        out[v] = ds[v].where(keep)
    return out
