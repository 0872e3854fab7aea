"""Glacier geometry fields on the map grid: ice mask, flowline coordinates, and the DEM.

Every map cell gets its flowline coordinates: ``along_m`` (distance from the head of its
nearest flowline point), ``to_flowline_m`` (distance to that point), ``cross`` (normalised
cross-glacier distance, 0 on the flowline, 1 at the ice edge: d_fl / (d_fl + d_edge)) and the
flow direction (unit north, east) of the nearest flowline point. The DEM is a function of
``along_m`` (6100 m at the head, steep to 2000 m at the surge reservoir, then gently to ~800 m
at the terminus), a concave cross profile on the ice and valley walls rising away from it,
smoothed by a Gaussian of ``smooth_m`` so slopes stay below ~35° (no layover at 39° incidence).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import distance_transform_edt, gaussian_filter, map_coordinates
from scipy.sparse.linalg import spsolve

from gfjax.geometry.flowline import Flowline
from gfjax.geometry.gradients import dem_gradient
from gfjax.geometry.grid import MapGrid
from gfjax.geometry.outline import rasterize_polygon

HEAD_ELEVATION_M = 6100.0
RESERVOIR_ELEVATION_M = 2000.0
TERMINUS_ELEVATION_M = 800.0
STEEP_LENGTH_M = 15000.0  # head → base of the icefall (top of the surge reservoir)


def harmonic_along(grid: MapGrid, flowline: Flowline, solve_spacing_m: float = 400.0) -> np.ndarray:
    """Smooth extension of the along-flowline distance to every cell, m (ny, nx).

    Nearest-point distance jumps where two parts of a curved flowline are equidistant; the
    DEM instead uses the harmonic function (Laplace equation, solved on a grid of
    ``solve_spacing_m``) equal to the along-flowline distance on the flowline cells and with
    zero normal derivative at the map edges, bilinearly resampled to ``grid``.
    """
    step = max(solve_spacing_m, grid.spacing)
    coarse = MapGrid.from_bounds(grid.epsg, *grid.bounds, step)
    ny, nx = coarse.shape
    xc, yc = coarse.meshgrid()
    along, dist = flowline.project(xc, yc)
    fixed = (dist <= 0.75 * step).ravel()
    idx = np.arange(ny * nx).reshape(ny, nx)
    rows, cols, vals = [], [], []
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        r0, r1 = max(0, -dr), ny - max(0, dr)
        c0, c1 = max(0, -dc), nx - max(0, dc)
        a = idx[r0:r1, c0:c1].ravel()
        b = idx[r0 + dr:r1 + dr, c0 + dc:c1 + dc].ravel()
        rows += [a, a]
        cols += [b, a]
        vals += [np.ones(a.size), -np.ones(a.size)]
    lap = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(ny * nx, ny * nx))
    free = ~fixed
    rhs = -lap[free][:, fixed] @ along.ravel()[fixed]
    sol = along.ravel().astype(np.float64).copy()
    sol[free] = spsolve(lap[free][:, free].tocsc(), rhs)
    sol2d = sol.reshape(ny, nx)
    xg, yg = grid.meshgrid()
    r, c = coarse.fractional_index(xg, yg)
    return map_coordinates(sol2d, [r, c], order=1, mode="nearest")


def centreline_elevation(along_m, length_m: float) -> np.ndarray:
    """Ice-surface elevation on the flowline, m, at distances ``along_m`` from the head.

    Linear 2000 → 800 m below ``STEEP_LENGTH_M`` plus a (s0 − s)^1.5 icefall term above it
    (continuous slope), scaled so the head is at 6100 m.
    """
    s = np.clip(np.asarray(along_m, dtype=np.float64), 0.0, length_m)
    s0 = STEEP_LENGTH_M
    drop = RESERVOIR_ELEVATION_M - TERMINUS_ELEVATION_M
    linear = TERMINUS_ELEVATION_M + drop * (length_m - s) / (length_m - s0)
    amp = HEAD_ELEVATION_M - (TERMINUS_ELEVATION_M + drop * length_m / (length_m - s0))
    return linear + amp * np.clip((s0 - s) / s0, 0.0, None) ** 1.5


@dataclass(frozen=True)
class GlacierFields:
    """Per-cell flowline coordinates and terrain (all (ny, nx) float32 unless stated)."""

    ice_mask: np.ndarray  # bool
    along_m: np.ndarray
    to_flowline_m: np.ndarray
    cross: np.ndarray  # 0 on the flowline … 1 at the ice edge (and beyond)
    flow_north: np.ndarray  # unit flow direction, north component
    flow_east: np.ndarray
    dem: np.ndarray  # m
    grad_north: np.ndarray  # ∂h/∂N, m/m
    grad_east: np.ndarray  # ∂h/∂E, m/m


def glacier_fields(grid: MapGrid, exterior: np.ndarray, holes: list[np.ndarray], flowline: Flowline,
                   cross_curvature_m: float = 40.0, wall_height_m: float = 700.0,
                   wall_scale_m: float = 3000.0, smooth_m: float = 300.0) -> GlacierFields:
    """Compute the ice mask, flowline coordinates and DEM on ``grid``."""
    ice = rasterize_polygon(grid, exterior, holes)
    x, y = grid.meshgrid()
    along, to_fl = flowline.project(x, y)
    d_edge = distance_transform_edt(ice) * grid.spacing
    d_out = distance_transform_edt(~ice) * grid.spacing
    cross = np.where(ice, to_fl / np.maximum(to_fl + d_edge, 1e-6), 1.0)
    fn, fe = flowline.direction(along)
    base = centreline_elevation(harmonic_along(grid, flowline), flowline.length_m)
    dem = np.where(ice, base + cross_curvature_m * cross ** 2,
                   base + cross_curvature_m + wall_height_m * (1 - np.exp(-d_out / wall_scale_m))
                   + 0.03 * d_out)
    dem = gaussian_filter(dem, smooth_m / grid.spacing, mode="nearest")
    gn, ge = dem_gradient(dem, grid.spacing)
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    return GlacierFields(ice, f32(along), f32(to_fl), f32(np.clip(cross, 0.0, 1.0)), f32(fn), f32(fe),
                         f32(dem), gn, ge)
