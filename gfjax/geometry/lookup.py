"""Lookup table of one acquisition: for every map-grid cell, where it lies in the radar swath.

The autoRIFT/Geogrid idea on the range–Doppler kernels of :mod:`gfjax.geometry.rdr`: each
cell centre of a :class:`~gfjax.geometry.grid.MapGrid`, at its DEM height above the WGS84
ellipsoid, gets its burst, azimuth line (within that burst), range sample, whether that position
holds valid data, the line-of-sight and flight-direction unit vectors (north, east, up; MSBAS
convention) and the incidence angle.

Kernel (pure JAX, ONE cell, vmapped): :func:`lookup_cell` — geodetic → ECEF (WGS84), Newton
zero-Doppler, nearest burst (in overlaps the one whose centre is nearer), the annotation's
bistatic line time, validity from the burst's per-line ``firstValidSample``/``lastValidSample``
(−1 = an invalid line), look vectors; a cell whose Newton iteration did not reach zero Doppler
(line of sight not ⟂ velocity within 1e-8 rad) is invalid. Float64 under ``jax.enable_x64(True)`` (see rdr).

Driver (geometry ring, NumPy + pyproj): :func:`lookup_table` streams the grid in blocks of
``block_rows`` rows (every block padded to the same shape: one compilation), so memory stays
bounded by one block plus the output arrays (~47 bytes per cell). Cells whose height is NaN
(no DEM) or that fall outside the swath's bursts or valid samples are ``valid = False``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from .rdr import Orbit, SwathTiming, look_geometry, radar_coordinates
from .s1_geometry import _seconds, kernel_inputs

__all__ = ["LookupTable", "WGS84_A", "WGS84_E2", "geodetic_to_ecef", "lookup_cell", "lookup_table"]

WGS84_A = 6_378_137.0                  # m
WGS84_E2 = 6.694379990141317e-3        # first eccentricity squared, f = 1/298.257223563


def geodetic_to_ecef(lat_rad: Array, lon_rad: Array, height_m: Array) -> Array:
    """ECEF (3,) m of a WGS84 geodetic point (radians, m above the ellipsoid)."""
    sl, cl = jnp.sin(lat_rad), jnp.cos(lat_rad)
    n = WGS84_A / jnp.sqrt(1.0 - WGS84_E2 * sl * sl)
    return jnp.stack([(n + height_m) * cl * jnp.cos(lon_rad), (n + height_m) * cl * jnp.sin(lon_rad),
                      (n * (1.0 - WGS84_E2) + height_m) * sl])


def lookup_cell(orbit: Orbit, timing: SwathTiming, first_valid: Array, last_valid: Array, lat_rad: Array,
                lon_rad: Array, height_m: Array, t_init: Array, iterations: int = 8) -> dict[str, Array]:
    """Radar position and look geometry of ONE ground point.

    ``first_valid``/``last_valid`` (n_bursts, lines_per_burst) int: the annotation's valid
    samples per burst line (−1 = none). Returns ``burst`` (int), ``line`` (fractional line
    within the burst), ``sample`` (fractional swath sample), ``valid``, ``los``/``flight`` (3,)
    (north, east, up), ``incidence_deg``.
    """
    target = geodetic_to_ecef(lat_rad, lon_rad, height_m)
    rc = radar_coordinates(orbit, timing, target, t_init, iterations)
    burst, sample = rc["burst"], rc["sample"]
    line = rc["line"] - burst * timing.lines_per_burst
    row = jnp.clip(jnp.round(line).astype(jnp.int32), 0, first_valid.shape[1] - 1)
    lo, hi = first_valid[burst, row], last_valid[burst, row]
    valid = (rc["in_burst"] & (lo >= 0) & (sample >= lo) & (sample <= hi) & jnp.isfinite(height_m)
             & jnp.isfinite(line))
    look = look_geometry(orbit, target, lat_rad, lon_rad, rc["azimuth_time"])
    # Newton converged: the line of sight is perpendicular to the velocity (1e-8 rad ≈ 1 cm at 900 km)
    valid = valid & (jnp.abs(jnp.dot(look["los"], look["flight"])) < 1e-8)
    return {"burst": burst, "line": line, "sample": sample, "valid": valid, "los": look["los"],
            "flight": look["flight"], "incidence_deg": look["incidence_deg"]}


@partial(jax.jit, static_argnames="iterations")
def _lookup_batch(orbit, timing, first_valid, last_valid, lat_rad, lon_rad, height_m, t_init, iterations):
    one = partial(lookup_cell, iterations=iterations)
    return jax.vmap(one, in_axes=(None, None, None, None, 0, 0, 0, None))(
        orbit, timing, first_valid, last_valid, lat_rad, lon_rad, height_m, t_init)


@dataclass(frozen=True, eq=False)
class LookupTable:
    """Per-cell radar position of one acquisition on a map grid; arrays (ny, nx) unless noted.

    ``burst`` int16 (−1 where invalid), ``line`` float64 line within the burst, ``sample``
    float64 swath sample (both 0-based, fractional; NaN where invalid), ``valid`` bool,
    ``los``/``flight`` (3, ny, nx) float32 (north, east, up) unit vectors — LOS from the ground to
    the satellite —, ``incidence_deg`` float32.
    """

    grid: Any
    lines_per_burst: int
    burst: np.ndarray
    line: np.ndarray
    sample: np.ndarray
    valid: np.ndarray
    los: np.ndarray
    flight: np.ndarray
    incidence_deg: np.ndarray

    @property
    def swath_line(self) -> np.ndarray:
        """Line in the measurement TIFF (bursts stacked, overlaps included), NaN where invalid."""
        return self.burst * self.lines_per_burst + self.line


def _valid_samples(swath: Any) -> tuple[np.ndarray, np.ndarray]:
    first = np.array([b.first_valid_sample for b in swath.bursts], np.int32)
    last = np.array([b.last_valid_sample for b in swath.bursts], np.int32)
    return first, last


def lookup_table(swath: Any, grid: Any, height_m: np.ndarray, vectors: Any = None, block_rows: int = 64,
                 iterations: int = 8) -> LookupTable:
    """The :class:`LookupTable` of a swath (a :class:`~gfjax.io.safe.SafeSwath`) on ``grid``.

    ``height_m`` (ny, nx): heights above the WGS84 ellipsoid (:func:`gfjax.io.dem.read_dem`),
    NaN = none. ``vectors``: orbit state vectors (default: the annotation's). Rows are computed
    ``block_rows`` at a time.
    """
    from .crs import xy_to_lonlat

    height_m = np.asarray(height_m, np.float64)
    if height_m.shape != tuple(grid.shape):
        raise ValueError(f"lookup_table: height_m must have the grid's shape {tuple(grid.shape)}, got {height_m.shape}")
    if block_rows < 1:
        raise ValueError(f"lookup_table: block_rows must be ≥ 1, got {block_rows}")
    ny, nx = grid.shape
    orbit, timing, epoch = kernel_inputs(swath, vectors)
    first, last = _valid_samples(swath)
    t_mid = 0.5 * float(_seconds(swath.last_line_time, epoch))
    rows = min(block_rows, ny)
    out = {"burst": np.full((ny, nx), -1, np.int16), "line": np.full((ny, nx), np.nan),
           "sample": np.full((ny, nx), np.nan), "valid": np.zeros((ny, nx), bool),
           "los": np.full((3, ny, nx), np.nan, np.float32), "flight": np.full((3, ny, nx), np.nan, np.float32),
           "incidence_deg": np.full((ny, nx), np.nan, np.float32)}
    x = np.broadcast_to(grid.x, (rows, nx))
    with jax.enable_x64(True):
        args = (jax.tree.map(jnp.asarray, orbit), jax.tree.map(jnp.asarray, timing), jnp.asarray(first),
                jnp.asarray(last))
        for r0 in range(0, ny, rows):
            n = min(rows, ny - r0)
            y = np.broadcast_to(grid.y[np.minimum(np.arange(r0, r0 + rows), ny - 1)][:, None], (rows, nx))
            lon, lat = xy_to_lonlat(grid.epsg, x, y)
            h = height_m[np.minimum(np.arange(r0, r0 + rows), ny - 1)]
            res = _lookup_batch(*args, jnp.asarray(np.radians(lat).ravel()), jnp.asarray(np.radians(lon).ravel()),
                                jnp.asarray(h.ravel()), jnp.float64(t_mid), iterations)
            res = {k: np.asarray(v)[: n * nx] for k, v in res.items()}
            ok = res["valid"].reshape(n, nx)
            block = slice(r0, r0 + n)
            out["valid"][block] = ok
            out["burst"][block] = np.where(ok, res["burst"].reshape(n, nx), -1)
            for k in ("line", "sample"):
                out[k][block] = np.where(ok, res[k].reshape(n, nx), np.nan)
            out["incidence_deg"][block] = res["incidence_deg"].reshape(n, nx)
            for k in ("los", "flight"):
                out[k][:, block] = np.moveaxis(res[k].reshape(n, nx, 3), -1, 0)
    return LookupTable(grid=grid, lines_per_burst=int(swath.lines_per_burst), **out)
