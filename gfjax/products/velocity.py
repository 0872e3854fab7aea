"""Mean (linear-regression) velocity products with ITS_LIVE names, and their GeoTIFFs.

Input is the MSBAS time-series Dataset (``products/timeseries.nc``): per component
``c`` ∈ (north, east, up_spf, up_nspf) — or (north, east, up) in 3D, (east, up) in 2D —
``linear_rate_<c>`` (OLS slope of D(t), m/yr), ``linear_rate_std_<c>`` (its standard error, m/yr),
``linear_rate_r2_<c>`` and the per-pixel ``rank`` of the time matrix.

Output names follow ITS_LIVE: ``vx`` = east, ``vy`` = north, ``v`` = horizontal speed,
``v_error`` = speed error propagated from the rate standard errors (first order, independent
components): ``v_error = sqrt(vx² σx² + vy² σy²) / v`` (and ``sqrt((σx² + σy²)/2)`` where v = 0).
Vertical components: ``vz_spf`` (surface-parallel-flow vertical), ``vz_nspf`` (non-SPF), or
``vz`` in 3D/2D. Each has ``<name>_std`` and ``<name>_r2``. Pixels with ``rank < rank_threshold``
are NaN in every velocity variable (the threshold lives here so it can be re-tuned without
re-running MSBAS).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..geometry.grid import MapGrid

#: MSBAS component → ITS_LIVE-style product name.
PRODUCT_NAMES = {"east": "vx", "north": "vy", "up_spf": "vz_spf", "up_nspf": "vz_nspf", "up": "vz"}

_LONG = {"vx": "velocity, easting component", "vy": "velocity, northing component",
         "vz_spf": "vertical velocity, surface-parallel-flow part",
         "vz_nspf": "vertical velocity, non-surface-parallel-flow part (thickening/thinning)",
         "vz": "vertical velocity (upward)"}
_STANDARD = {"vx": "land_ice_surface_x_velocity", "vy": "land_ice_surface_y_velocity",
             "vz": "land_ice_surface_upward_velocity", "vz_spf": "land_ice_surface_upward_velocity"}


def components(ts: xr.Dataset) -> list[str]:
    """MSBAS components present in ``ts`` (in MSBAS order), from its ``linear_rate_<c>`` or
    ``velocity_<c>`` variables; ``ValueError`` if none."""
    order = ("north", "east", "up_spf", "up_nspf", "up", "los")
    found = [c for c in order if f"linear_rate_{c}" in ts or f"velocity_{c}" in ts]
    if not found:
        raise ValueError(f"time-series dataset: no linear_rate_<c>/velocity_<c> variables for c in {order}; "
                         f"has {sorted(map(str, ts.data_vars))}")
    return found


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def mean_velocity(ts: xr.Dataset, rank_threshold: float = 0) -> xr.Dataset:
    """ITS_LIVE-named mean velocity Dataset (y, x), m/yr, float32, from the MSBAS linear rates.

    Variables: ``vx``, ``vy``, ``v``, ``v_error`` (horizontal); ``vz_spf``, ``vz_nspf`` (4D) or
    ``vz`` (3D/2D); ``<name>_std`` (m/yr) and ``<name>_r2`` (1) for every component; ``rank``
    (int32, unmasked). Pixels with ``rank < rank_threshold`` are NaN (0 = keep all).
    """
    comps = [c for c in components(ts) if c in PRODUCT_NAMES]
    if "east" not in comps:
        raise ValueError(f"time-series dataset: needs linear_rate_east for vx, has components {comps}")
    if "rank" not in ts:
        raise ValueError("time-series dataset: missing variable 'rank' (per-pixel rank of the time matrix)")
    rank = np.asarray(ts["rank"].values)
    keep = np.isfinite(rank) & (rank >= rank_threshold)
    dims = ("y", "x")
    data: dict = {}
    fields: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in comps:
        name = PRODUCT_NAMES[c]
        rate = np.where(keep, _f32(ts[f"linear_rate_{c}"].values), np.nan).astype(np.float32)
        std = np.where(keep, _f32(ts[f"linear_rate_std_{c}"].values), np.nan).astype(np.float32) \
            if f"linear_rate_std_{c}" in ts else np.full_like(rate, np.nan)
        r2 = np.where(keep, _f32(ts[f"linear_rate_r2_{c}"].values), np.nan).astype(np.float32) \
            if f"linear_rate_r2_{c}" in ts else np.full_like(rate, np.nan)
        fields[name] = (rate, std)
        attrs = dict(units="m/yr", long_name=f"mean {_LONG[name]} (linear regression of displacement)",
                     msbas_component=c)
        if name in _STANDARD:
            attrs["standard_name"] = _STANDARD[name]
        data[name] = (dims, rate, attrs)
        data[f"{name}_std"] = (dims, std, dict(units="m/yr", long_name=f"standard error of {name}"))
        data[f"{name}_r2"] = (dims, r2, dict(units="1", long_name=f"coefficient of determination of {name} fit"))
    vx, sx = fields["vx"]
    vy, sy = fields.get("vy", (np.zeros_like(vx), np.zeros_like(sx)))
    v64 = np.hypot(vx.astype(np.float64), vy.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.sqrt((vx * sx).astype(np.float64) ** 2 + (vy * sy).astype(np.float64) ** 2) / v64
        err = np.where(v64 > 0, err, np.sqrt((sx.astype(np.float64) ** 2 + sy.astype(np.float64) ** 2) / 2))
    data["v"] = (dims, v64.astype(np.float32),
                 dict(units="m/yr", long_name="mean horizontal speed hypot(vx, vy)"))  # no CF standard name
    data["v_error"] = (dims, err.astype(np.float32),
                       dict(units="m/yr", long_name="error of v propagated from vx_std and vy_std"))
    data["rank"] = (dims, rank.astype(np.int32),
                    dict(units="1", long_name="rank of the MSBAS time matrix (reliability; unmasked)"))
    coords = {k: ts.coords[k] for k in ("x", "y", "spatial_ref") if k in ts.coords}
    order = ["vx", "vy", "v", "v_error"] + [k for k in data if k not in ("vx", "vy", "v", "v_error")]
    ds = xr.Dataset({k: data[k] for k in order}, coords=coords)
    ds.attrs.update(rank_threshold=float(rank_threshold),
                    comment="vx = east, vy = north (grid CRS); pixels with rank < rank_threshold are NaN",
                    masked_by_rank=int(np.sum(~keep & (rank > 0))))
    return ds


def write_velocity_geotiffs(ds: xr.Dataset, grid: MapGrid, folder, cog: bool = True) -> list[Path]:
    """One single-band GeoTIFF (COG by default) per (y, x) variable of ``ds``:
    ``<folder>/<name>.tif`` (``vx.tif``, ``v_error.tif``, ``rank.tif`` …): float32 with NaN
    nodata, integers (``rank``) as int32 without nodata; the band's description is the name
    and its unit (GDAL unit type and a ``units`` tag) the variable's ``units``. Returns the paths."""
    from ..io.geotiff import write_geotiff

    folder = Path(folder)
    paths = []
    for name, var in ds.data_vars.items():
        if var.dims != ("y", "x"):
            continue
        integer = var.dtype.kind in "iu"
        paths.append(write_geotiff(folder / f"{name}.tif", np.asarray(var.values), grid, band_names=[str(name)],
                                   cog=cog, dtype="int32" if integer else "float32",
                                   nodata=None if integer else np.nan, units=var.attrs.get("units"),
                                   long_names=[var.attrs.get("long_name", name)]))
    return paths
