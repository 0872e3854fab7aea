"""Geocoding: radar-geometry maps ↔ the common map grid, through lookup tables.

A lookup table (LUT) gives, for every cell of the map grid (``MapGrid``, row 0 north), the
radar position it images as float ``(azimuth_px, range_px)`` in full-resolution radar pixels
(GAMMA / ISCE style; NaN where the map cell is outside the radar scene). Radar products are
given on a regular radar sub-grid — e.g. offset-window centres — ``azimuth_px = az0 + i·daz``,
``range_px = rg0 + j·drg``.

Sampling is NaN-aware bilinear: the four neighbours' bilinear weights are kept only where the
neighbour is inside the radar grid and finite; the result is their weighted mean, and NaN when
the kept weight is below ``min_weight`` (0.5: "a cell whose support is mostly NaN is NaN").
Points up to half a cell outside the sub-grid therefore take the nearest edge values.

Area averaging (``supersample=s``): when the radar grid is finer than the map grid, each map
cell is sampled at s×s sub-cell positions (LUT interpolated/extrapolated linearly inside the
cell) and the valid samples averaged (NaN when fewer than half are valid). With offset grids of
~100 m (step 8 az × 32 rg px on S1 IW) and a 100 m map grid, ``supersample=1`` suffices.

The sampler is a JAX kernel for ONE map, ``vmap``-ped over the stack; LUT arithmetic is NumPy.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .grid import MapGrid


@jax.jit
def bilinear_sample(field, row, col, min_weight=0.5):
    """NaN-aware bilinear sample of ONE map ``field`` (n0, n1) at fractional indices.

    ``row``/``col`` (any common shape) are fractional indices into ``field`` (0 = first
    element); NaN positions give NaN. Returns an array of ``row``'s shape.
    """
    n0, n1 = field.shape
    finite_pos = jnp.isfinite(row) & jnp.isfinite(col)
    r_floor = jnp.floor(jnp.where(finite_pos, row, -10.0))
    c_floor = jnp.floor(jnp.where(finite_pos, col, -10.0))
    fr = row - r_floor
    fc = col - c_floor
    r0 = r_floor.astype(jnp.int32)
    c0 = c_floor.astype(jnp.int32)
    total = jnp.zeros(row.shape, field.dtype)
    wsum = jnp.zeros(row.shape, field.dtype)
    for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc),
                      (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        r = r0 + dr
        c = c0 + dc
        inside = finite_pos & (r >= 0) & (r < n0) & (c >= 0) & (c < n1)
        v = field[jnp.clip(r, 0, n0 - 1), jnp.clip(c, 0, n1 - 1)]
        ok = inside & jnp.isfinite(v)
        w = jnp.where(ok, w, 0.0).astype(field.dtype)
        total = total + w * jnp.where(ok, v, 0.0)
        wsum = wsum + w
    keep = (wsum >= min_weight) & (wsum > 0)
    return jnp.where(keep, total / jnp.where(keep, wsum, 1.0), jnp.nan)


_sample_stack = jax.jit(jax.vmap(bilinear_sample, in_axes=(0, None, None, None)))


@jax.jit
def _supersampled_stack(maps, rows, cols, min_weight):
    """maps (M, n0, n1); rows/cols (S, ny, nx) sub-cell positions → (M, ny, nx) area means."""
    samples = jax.vmap(lambda r, c: _sample_stack(maps, r, c, min_weight))(rows, cols)  # (S, M, ny, nx)
    valid = jnp.isfinite(samples)
    n_valid = valid.sum(axis=0)
    mean = jnp.where(valid, samples, 0.0).sum(axis=0) / jnp.maximum(n_valid, 1)
    return jnp.where(n_valid >= 0.5 * rows.shape[0], mean, jnp.nan)


def _as_stack(maps, name: str):
    maps = jnp.asarray(maps)
    if not jnp.issubdtype(maps.dtype, jnp.floating):
        maps = maps.astype(jnp.float32)
    if maps.ndim == 2:
        return maps[None], True
    if maps.ndim != 3:
        raise ValueError(f"{name} must be one map (ny, nx) or a stack (M, ny, nx), got shape {maps.shape}")
    return maps, False


def _check_lut(lut_azimuth_px, lut_range_px, shape=None):
    lut_az = np.asarray(lut_azimuth_px, dtype=np.float64)
    lut_rg = np.asarray(lut_range_px, dtype=np.float64)
    if lut_az.ndim != 2 or lut_az.shape != lut_rg.shape:
        raise ValueError("lut_azimuth_px and lut_range_px must be 2-D arrays of one shape (ny, nx) "
                         f"on the map grid, got {lut_az.shape} and {lut_rg.shape}")
    if shape is not None and lut_az.shape != tuple(shape):
        raise ValueError(f"lut_azimuth_px/lut_range_px must have the map grid's shape {tuple(shape)}, "
                         f"got {lut_az.shape}")
    return lut_az, lut_rg


def _linear_interp_extrap(a, row, col):
    """Bilinear interpolation of a 2-D array with linear extrapolation beyond the edges (NumPy)."""
    n0, n1 = a.shape
    r0 = np.clip(np.floor(row), 0, max(n0 - 2, 0)).astype(int)
    c0 = np.clip(np.floor(col), 0, max(n1 - 2, 0)).astype(int)
    r1 = np.minimum(r0 + 1, n0 - 1)
    c1 = np.minimum(c0 + 1, n1 - 1)
    fr = row - r0 if n0 > 1 else np.zeros_like(row)
    fc = col - c0 if n1 > 1 else np.zeros_like(col)
    return ((1 - fr) * (1 - fc) * a[r0, c0] + (1 - fr) * fc * a[r0, c1]
            + fr * (1 - fc) * a[r1, c0] + fr * fc * a[r1, c1])


def geocode_maps(maps, radar_origin, radar_step, lut_azimuth_px, lut_range_px,
                 min_weight: float = 0.5, supersample: int = 1):
    """Radar-geometry maps → map grid. ``maps`` (M, n_az, n_rg) or (n_az, n_rg) → (M, ny, nx) / (ny, nx).

    Parameters
    ----------
    maps : values on the radar sub-grid; element (i, j) is at radar position
        ``(az0 + i·daz, rg0 + j·drg)`` full-resolution px. NaN = no data.
    radar_origin : ``(az0, rg0)`` px, radar position of ``maps[..., 0, 0]``.
    radar_step : ``(daz, drg)`` px between sub-grid samples (offset step; 1 for full resolution).
    lut_azimuth_px, lut_range_px : (ny, nx) radar position of every map cell centre, NaN outside.
    min_weight : minimum kept bilinear weight (0–1) for a valid output.
    supersample : s > 1 averages s×s samples per map cell (area averaging, see module doc).

    Returns a float JAX array; NaN where the LUT is NaN, outside the radar grid or mostly NaN.
    """
    stack, single = _as_stack(maps, "maps")
    lut_az, lut_rg = _check_lut(lut_azimuth_px, lut_range_px)
    az0, rg0 = (float(v) for v in np.broadcast_to(np.asarray(radar_origin, float), (2,)))
    daz, drg = (float(v) for v in np.broadcast_to(np.asarray(radar_step, float), (2,)))
    if not (daz > 0 and drg > 0):
        raise ValueError(f"radar_step must be (daz, drg) > 0 px, got {radar_step!r}")
    if int(supersample) < 1:
        raise ValueError(f"supersample must be an integer >= 1, got {supersample}")
    row = (lut_az - az0) / daz
    col = (lut_rg - rg0) / drg
    n0, n1 = stack.shape[1:]
    inside = (row > -1) & (row < n0) & (col > -1) & (col < n1)
    if not np.any(inside):
        raise ValueError("lut_azimuth_px/lut_range_px: no map cell falls inside the radar grid "
                         f"(azimuth {az0}..{az0 + (n0 - 1) * daz} px, range {rg0}..{rg0 + (n1 - 1) * drg} px); "
                         "the map grid does not overlap the data")
    s = int(supersample)
    if s == 1:
        out = _sample_stack(stack, jnp.asarray(row, stack.dtype), jnp.asarray(col, stack.dtype), min_weight)
    else:
        u = (np.arange(s) + 0.5) / s - 0.5
        du, dv = (g.ravel() for g in np.meshgrid(u, u, indexing="ij"))
        ii, jj = np.meshgrid(np.arange(row.shape[0]), np.arange(row.shape[1]), indexing="ij")
        rows = np.stack([_linear_interp_extrap(row, ii + a, jj + b) for a, b in zip(du, dv)])
        cols = np.stack([_linear_interp_extrap(col, ii + a, jj + b) for a, b in zip(du, dv)])
        out = _supersampled_stack(stack, jnp.asarray(rows, stack.dtype), jnp.asarray(cols, stack.dtype),
                                  min_weight)
    return out[0] if single else out


def lut_from_radar_lookup(azimuth_px, range_px, easting, northing, grid: MapGrid):
    """Map → radar lookup table from a radar → map one (ISCE ``lat/lon.rdr`` style, decimated).

    ``azimuth_px`` (na,) and ``range_px`` (nr,) are the radar node positions, ``easting`` /
    ``northing`` (na, nr) their map coordinates in ``grid``'s CRS (e.g. ``Track.radar_lookup``).
    Returns ``(lut_azimuth_px, lut_range_px)`` (ny, nx) float32 by piecewise-linear interpolation
    on the Delaunay triangulation of the nodes (exact for an affine geometry); NaN outside their
    convex hull. Assumes no layover (the radar → map mapping is one-to-one).
    """
    from scipy.interpolate import LinearNDInterpolator

    az = np.asarray(azimuth_px, np.float64)
    rg = np.asarray(range_px, np.float64)
    e = np.asarray(easting, np.float64)
    n = np.asarray(northing, np.float64)
    if az.ndim != 1 or rg.ndim != 1 or e.shape != (az.size, rg.size) or n.shape != e.shape:
        raise ValueError("azimuth_px (na,), range_px (nr,) and easting/northing (na, nr) expected, got "
                         f"{az.shape}, {rg.shape}, {e.shape}, {n.shape}")
    A, R = np.meshgrid(az, rg, indexing="ij")
    ok = np.isfinite(e) & np.isfinite(n)
    if ok.sum() < 3:
        raise ValueError("easting/northing: need at least 3 finite radar nodes to build a lookup table")
    interp = LinearNDInterpolator(np.column_stack([e[ok], n[ok]]), np.column_stack([A[ok], R[ok]]))
    x, y = grid.meshgrid()
    out = interp(x, y)
    return out[..., 0].astype(np.float32), out[..., 1].astype(np.float32)


def radar_positions(radar_origin, radar_step, shape) -> tuple[np.ndarray, np.ndarray]:
    """``(azimuth_px, range_px)`` (n_az, n_rg) of every sample of a regular radar sub-grid."""
    n_az, n_rg = (int(v) for v in shape)
    az = float(radar_origin[0]) + float(radar_step[0]) * np.arange(n_az)
    rg = float(radar_origin[1]) + float(radar_step[1]) * np.arange(n_rg)
    return np.meshgrid(az, rg, indexing="ij")


def sample_map(maps, grid: MapGrid, easting, northing, min_weight: float = 0.5):
    """Inverse direction: map-grid fields → values at map coordinates (e.g. radar sample positions).

    ``maps`` (M, ny, nx) or (ny, nx) on ``grid``; ``easting``/``northing`` any common shape (m, in
    the grid's CRS), e.g. from ``Track.radar_to_map(*radar_positions(...))``. Returns
    (M, *easting.shape) (or easting.shape for one map); NaN outside the grid.
    """
    stack, single = _as_stack(maps, "maps")
    if stack.shape[1:] != grid.shape:
        raise ValueError(f"maps must be on the grid, shape (..., {grid.ny}, {grid.nx}), got {stack.shape}")
    e = np.asarray(easting, dtype=np.float64)
    n = np.asarray(northing, dtype=np.float64)
    if e.shape != n.shape:
        raise ValueError(f"easting and northing must have one shape, got {e.shape} and {n.shape}")
    row, col = grid.fractional_index(e, n)
    out = _sample_stack(stack, jnp.asarray(row, stack.dtype), jnp.asarray(col, stack.dtype), min_weight)
    return out[0] if single else out
