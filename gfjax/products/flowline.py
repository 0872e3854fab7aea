"""Central-flowline analysis: profiles along the flowline and marker-region time series.

The flowline (x, y in the grid CRS, m; ``distance_m`` from the head) is resampled every
``sample_spacing_m`` (default: the grid spacing) and every velocity / displacement map of the
MSBAS time series is sampled there (NaN-aware bilinear, :func:`gfjax.geometry.geocode.sample_map`).
Horizontal speed is ``hypot(north, east)`` of the sampled vector components.

Markers (default every 5 km, 5–40 km from the head) summarise a ``region_px × region_px`` block of
grid cells centred on the cell holding the marker: NaN-aware mean and standard deviation
(population, ddof = 0) of each component's interval velocity and displacement, and of the
per-cell horizontal speed. Markers beyond the flowline's end are NaN.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..geometry.grid import MapGrid
from .velocity import components

DEFAULT_MARKERS_KM = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0)


def resample_flowline(flowline_x, flowline_y, distance_m, spacing_m: float):
    """(distance, x, y) every ``spacing_m`` from the head (m), by linear interpolation in distance."""
    d = np.asarray(distance_m, np.float64)
    x = np.asarray(flowline_x, np.float64)
    y = np.asarray(flowline_y, np.float64)
    if not (d.ndim == x.ndim == y.ndim == 1 and d.size == x.size == y.size >= 2):
        raise ValueError(f"flowline_x, flowline_y, distance_m must be 1-D of one length >= 2, got "
                         f"{x.shape}, {y.shape}, {d.shape}")
    if np.any(np.diff(d) <= 0):
        raise ValueError("distance_m must increase strictly along the flowline")
    if not spacing_m > 0:
        raise ValueError(f"sample_spacing_m must be > 0 m, got {spacing_m}")
    s = np.arange(d[0], d[-1] + 1e-9, spacing_m)
    return s, np.interp(s, d, x), np.interp(s, d, y)


def _sample(stack: np.ndarray, grid: MapGrid, x, y) -> np.ndarray:
    from ..geometry.geocode import sample_map

    return np.asarray(sample_map(np.asarray(stack, np.float32), grid, x, y), np.float32)


def marker_cells(grid: MapGrid, x, y) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) int of the grid cells holding points (x, y); -1 where outside the grid."""
    row, col = grid.fractional_index(np.asarray(x, np.float64), np.asarray(y, np.float64))
    ok = np.isfinite(row) & np.isfinite(col)
    r = np.where(ok, np.round(np.nan_to_num(row)), -1).astype(int)
    c = np.where(ok, np.round(np.nan_to_num(col)), -1).astype(int)
    out = (r < 0) | (r >= grid.ny) | (c < 0) | (c >= grid.nx)
    return np.where(out, -1, r), np.where(out, -1, c)


def region_stats(stack: np.ndarray, row: int, col: int, region_px: int) -> tuple[np.ndarray, np.ndarray]:
    """NaN-aware (mean, std) over the ``region_px²`` block centred on (row, col) of a (n, ny, nx)
    stack → two (n,) float32 arrays (NaN where the block has no data or row < 0). The block is
    clipped at the grid edges; an even ``region_px`` extends one more cell up/left."""
    n = stack.shape[0]
    if row < 0 or col < 0:
        nan = np.full(n, np.nan, np.float32)
        return nan, nan.copy()
    return block_stats(region_block(stack, row, col, region_px))


def region_block(stack: np.ndarray, row: int, col: int, region_px: int) -> np.ndarray:
    """The (n, k) float64 values of the ``region_px²`` block (clipped at the edges) centred on
    (row, col) of a (n, ny, nx) stack."""
    h = region_px // 2
    r0, c0 = max(row - h, 0), max(col - h, 0)
    block = stack[:, r0:row - h + region_px, c0:col - h + region_px]
    return np.asarray(block, np.float64).reshape(stack.shape[0], -1)


def block_stats(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NaN-aware (mean, std ddof=0) along axis 1 of an (n, k) block → two (n,) float32."""
    good = np.isfinite(block)
    cnt = good.sum(axis=1)
    tot = np.where(good, block, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = tot / cnt
        var = np.where(good, (block - mean[:, None]) ** 2, 0.0).sum(axis=1) / cnt
    return mean.astype(np.float32), np.sqrt(var).astype(np.float32)


def flowline_profiles(ts: xr.Dataset, grid: MapGrid, flowline_x, flowline_y, distance_m,
                      marker_km=DEFAULT_MARKERS_KM, region_px: int = 5,
                      sample_spacing_m: float | None = None) -> xr.Dataset:
    """Profiles and marker series of the MSBAS time series ``ts`` along the central flowline.

    Returns a Dataset with dims ``interval``, ``time``, ``distance`` (flowline samples) and
    ``marker``:

    * ``velocity_<c>`` (interval, distance) m/yr, ``speed`` (interval, distance) m/yr (horizontal);
    * ``displacement_<c>`` (time, distance) m, ``displacement_horizontal`` (time, distance) m;
    * ``observed_fraction`` (interval, distance) where ``ts`` has ``observed_sets``: the share of
      map sets that measured each interval (below 1 the regularisation bridges, at least in part);
    * ``marker_velocity_<c>``, ``marker_speed`` (interval, marker) and
      ``marker_displacement_<c>`` (time, marker), each with a ``*_std`` twin (region std);
    * coords ``distance`` (m), ``distance_km``, ``flowline_x``/``flowline_y`` (m), ``marker_km``,
      ``marker_x``/``marker_y`` (m), ``marker_row``/``marker_col`` and the time coords of ``ts``.
    """
    spacing = float(sample_spacing_m) if sample_spacing_m else float(grid.spacing)
    if int(region_px) < 1:
        raise ValueError(f"region_px must be >= 1, got {region_px}")
    region_px = int(region_px)
    s, fx, fy = resample_flowline(flowline_x, flowline_y, distance_m, spacing)
    mk = np.asarray(marker_km, np.float64).ravel()
    d_all = np.asarray(distance_m, np.float64)
    inside = (mk * 1e3 >= d_all[0]) & (mk * 1e3 <= d_all[-1])
    mx = np.where(inside, np.interp(mk * 1e3, d_all, np.asarray(flowline_x, np.float64)), np.nan)
    my = np.where(inside, np.interp(mk * 1e3, d_all, np.asarray(flowline_y, np.float64)), np.nan)
    mrow, mcol = marker_cells(grid, mx, my)

    comps = components(ts)
    data: dict = {}
    horiz = [c for c in ("north", "east") if f"velocity_{c}" in ts]

    def stats(stack, prefix, dim, units, long_name):
        """``stack`` (n, ny, nx), or a list of them whose per-cell Euclidean norm is summarised."""
        if isinstance(stack, list):
            res = []
            for r, c in zip(mrow, mcol):
                if r < 0 or c < 0:
                    res.append((np.full(stack[0].shape[0], np.nan, np.float32),) * 2)
                    continue
                norm = np.sqrt(sum(region_block(a, r, c, region_px) ** 2 for a in stack))
                res.append(block_stats(norm))
            stack = stack[0]
        else:
            res = [region_stats(stack, r, c, region_px) for r, c in zip(mrow, mcol)]
        mean = np.stack([m for m, _ in res], axis=1) if res else np.zeros((stack.shape[0], 0), np.float32)
        std = np.stack([q for _, q in res], axis=1) if res else mean.copy()
        data[prefix] = ((dim, "marker"), mean, dict(units=units, long_name=f"{long_name}, region mean"))
        data[f"{prefix}_std"] = ((dim, "marker"), std, dict(units=units, long_name=f"{long_name}, region std"))

    sampled_v, sampled_d, grid_v, grid_d = {}, {}, {}, {}
    for c in comps:
        if f"velocity_{c}" in ts:
            grid_v[c] = np.asarray(ts[f"velocity_{c}"].transpose("interval", "y", "x").values, np.float32)
            sampled_v[c] = _sample(grid_v[c], grid, fx, fy)
            data[f"velocity_{c}"] = (("interval", "distance"), sampled_v[c],
                                     dict(units="m/yr", long_name=f"{c} interval velocity along the flowline"))
            stats(grid_v[c], f"marker_velocity_{c}", "interval", "m/yr", f"{c} interval velocity")
        if f"displacement_{c}" in ts:
            grid_d[c] = np.asarray(ts[f"displacement_{c}"].transpose("time", "y", "x").values, np.float32)
            sampled_d[c] = _sample(grid_d[c], grid, fx, fy)
            data[f"displacement_{c}"] = (("time", "distance"), sampled_d[c],
                                         dict(units="m", long_name=f"{c} displacement since the first epoch"))
            stats(grid_d[c], f"marker_displacement_{c}", "time", "m", f"{c} displacement")
    if horiz and all(c in sampled_v for c in horiz):
        speed = np.sqrt(sum(sampled_v[c].astype(np.float64) ** 2 for c in horiz)).astype(np.float32)
        data["speed"] = (("interval", "distance"), speed,
                         dict(units="m/yr", long_name="horizontal speed along the flowline (interval mean)"))
        stats([grid_v[c] for c in horiz], "marker_speed", "interval", "m/yr", "horizontal speed")
    if horiz and all(c in sampled_d for c in horiz):
        dh = np.sqrt(sum(sampled_d[c].astype(np.float64) ** 2 for c in horiz)).astype(np.float32)
        data["displacement_horizontal"] = (("time", "distance"), dh,
                                           dict(units="m", long_name="horizontal displacement magnitude"))

    if "observed_sets" in ts:  # MSBAS's observation support: the share of map sets that measured the interval
        n_sets = max(int(ts["observed_sets"].attrs.get("n_sets", 0)) or int(ts["observed_sets"].max()), 1)
        frac = np.asarray(ts["observed_sets"].transpose("interval", "y", "x").values, np.float32) / n_sets
        data["observed_fraction"] = (("interval", "distance"), _sample(frac, grid, fx, fy),
                                     dict(units="1", long_name="share of the map sets with a measurement "
                                                               "spanning the interval (1: every set)"))

    coords: dict[str, Any] = {"distance": ("distance", s.astype(np.float64), dict(units="m", long_name="distance from the head")),
              "distance_km": ("distance", (s / 1e3).astype(np.float64), dict(units="km")),
              "flowline_x": ("distance", fx, dict(units="m", long_name="easting")),
              "flowline_y": ("distance", fy, dict(units="m", long_name="northing")),
              "marker_km": ("marker", mk, dict(units="km", long_name="marker distance from the head")),
              "marker_x": ("marker", mx, dict(units="m")), "marker_y": ("marker", my, dict(units="m")),
              "marker_row": ("marker", mrow.astype(np.int32)), "marker_col": ("marker", mcol.astype(np.int32))}
    for k in ("time", "time_utc", "interval", "interval_start", "interval_end"):
        if k in ts.coords:
            coords[k] = ts.coords[k]
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(region_px=region_px, sample_spacing_m=spacing, epsg=int(grid.epsg),
                    comment="marker stats: NaN-aware mean/std over region_px x region_px grid cells")
    return ds
