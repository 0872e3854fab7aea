"""Surface gradients ∂h/∂N, ∂h/∂E of a DEM on the map grid, for the 4D (SPF) MSBAS constraint.

The DEM is first smoothed with the NaN-aware Gaussian of :mod:`gfjax.filters` (a raw 30–90 m DEM
has slopes at the pixel scale that do not steer glacier flow), then differentiated with centred
differences (one-sided at edges and next to holes, ``numpy.gradient``). Row 0 is north, so
``∂h/∂N = −∂h/∂row / spacing`` and ``∂h/∂E = +∂h/∂col / spacing``.

Gradient vectors steeper than ``max_slope`` (dimensionless rise/run; default 1.0 = 45°) are
scaled back to that magnitude, keeping their direction: such slopes are DEM artefacts (voids,
cliffs, nunatak edges) and would make the SPF vertical ``g·v_h`` absurd.
"""
from __future__ import annotations

import numpy as np

from ..filters import gaussian_filter


def surface_gradients(dem, spacing_m: float, smoothing_width_m: float = 0.0,
                      max_slope: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``(g_north, g_east)`` (ny, nx) float32, dimensionless (m/m), of a north-up DEM (m).

    Parameters
    ----------
    dem : (ny, nx) heights in metres on a north-up grid (row 0 north); NaN = void.
    spacing_m : cell size of the grid (MapGrid.spacing), metres.
    smoothing_width_m : full 6σ width of the Gaussian applied first (0 = none).
    max_slope : gradient magnitudes above this are scaled down to it.
    """
    dem = np.asarray(dem)
    if dem.ndim != 2 or min(dem.shape) < 2:
        raise ValueError(f"dem must be a 2-D (ny, nx) array with ny, nx >= 2, got shape {dem.shape}")
    if not (np.isfinite(spacing_m) and spacing_m > 0):
        raise ValueError(f"spacing_m must be > 0 m, got {spacing_m}")
    if not (np.isfinite(max_slope) and max_slope > 0):
        raise ValueError(f"max_slope must be > 0 (rise/run), got {max_slope}")
    h = dem.astype(np.float32)
    if smoothing_width_m > 0:
        h = np.asarray(gaussian_filter(h, spacing_m, smoothing_width_m))
    h64 = h.astype(np.float64)
    d_row, d_col = np.gradient(h64, spacing_m)
    # next to holes np.gradient mixes in NaN; fall back to one-sided differences there
    d_row = _fill_one_sided(h64, d_row, spacing_m, axis=0)
    d_col = _fill_one_sided(h64, d_col, spacing_m, axis=1)
    g_north = -d_row
    g_east = d_col
    mag = np.hypot(g_north, g_east)
    scale = np.where(mag > max_slope, max_slope / np.where(mag > 0, mag, 1.0), 1.0)
    return (g_north * scale).astype(np.float32), (g_east * scale).astype(np.float32)


def _fill_one_sided(h, deriv, spacing, axis):
    """Replace NaN derivatives at valid heights by a forward or backward difference if available."""
    bad = np.isnan(deriv) & np.isfinite(h)
    if not bad.any():
        return deriv
    fwd = np.full_like(h, np.nan)
    bwd = np.full_like(h, np.nan)
    diff = np.diff(h, axis=axis) / spacing
    if axis == 0:
        fwd[:-1] = diff
        bwd[1:] = diff
    else:
        fwd[:, :-1] = diff
        bwd[:, 1:] = diff
    alt = np.where(np.isfinite(fwd), fwd, bwd)
    return np.where(bad, alt, deriv)


def dem_gradient(dem: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """(∂h/∂N, ∂h/∂E) float32 of a north-up DEM (row 0 north), plain central differences, m/m (no
    smoothing or slope cap, unlike :func:`surface_gradients`): the simulator's and a stack's
    ``dem_gradient``."""
    d_row, d_col = np.gradient(dem.astype(np.float64), spacing)
    return np.asarray(-d_row, np.float32), np.asarray(d_col, np.float32)
