"""A-priori offsets for a pair from an earlier result: the search of each window is centred on
what the previous pair of the same track measured there, scaled by the pair durations."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def filled(field: np.ndarray, smooth: int = 3) -> np.ndarray | None:
    """``field`` with NaNs replaced by the nearest valid value, then median-smoothed
    (``smooth`` × ``smooth``). None when nothing is valid."""
    ok = np.isfinite(field)
    if not ok.any():
        return None
    if not ok.all():
        idx = ndimage.distance_transform_edt(~ok, return_distances=False, return_indices=True)
        field = field[tuple(idx)]
    return ndimage.median_filter(field, size=smooth, mode="nearest") if smooth > 1 else field


def prior_from_result(previous, scale: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(prior_azimuth, prior_range) px from a previous offsets Dataset scaled by ``scale``
    (= this pair's duration / the previous pair's), or None if it holds no valid offset."""
    az = filled(np.asarray(previous["azimuth_offset"].values, np.float64))
    rg = filled(np.asarray(previous["range_offset"].values, np.float64))
    if az is None or rg is None:
        return None
    return az * scale, rg * scale
