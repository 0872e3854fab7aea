"""A time-series Dataset in the MSBAS stage's format, built from the scene truth (tests, demos).

Epochs are the merged, sorted acquisition times of all tracks (decimal years) inside the window
common to all of them; interval velocities are the truth's ``interval_velocity`` plus Gaussian
noise (m/yr); displacements are their cumulative sum (D(t_0) = 0); linear rates are the OLS
slope of D(t) with its standard error and R² (as the MSBAS stage computes them).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gfjax.core.time import datetime_from_decimal_year

COMPONENTS_4D = ("north", "east", "up_spf", "up_nspf")


def ols_rate(t, disp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS slope of D(t) (n_t, …) on t (n_t,): (slope, standard error, R²), NumPy float64."""
    t = np.asarray(t, np.float64)
    d = np.asarray(disp, np.float64)
    n = t.size
    tc = t - t.mean()
    shape = (n,) + (1,) * (d.ndim - 1)
    sxx = float((tc * tc).sum())
    slope = (tc.reshape(shape) * d).sum(0) / sxx
    resid = d - d.mean(0) - slope * tc.reshape(shape)
    sse = (resid ** 2).sum(0)
    sst = ((d - d.mean(0)) ** 2).sum(0)
    std = np.sqrt(sse / max(n - 2, 1) / sxx)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), 1.0)
    return slope, std, r2


def timeseries_from_velocities(epochs, velocity, components=COMPONENTS_4D, grid=None,
                               rank=None) -> xr.Dataset:
    """Dataset of the msbas stage's format from interval velocities (n_interval, C, ny, nx) m/yr
    at ``epochs`` (n_interval + 1,) decimal years. ``grid`` (MapGrid) adds x/y/spatial_ref."""
    epochs = np.asarray(epochs, np.float64)
    vel = np.asarray(velocity, np.float32)
    n_int, n_c, ny, nx = vel.shape
    if epochs.size != n_int + 1 or n_c != len(components):
        raise ValueError(f"velocity (n_interval, C, ny, nx) = {vel.shape} does not match "
                         f"{epochs.size} epochs and components {components}")
    dt = np.diff(epochs)
    disp = np.concatenate([np.zeros((1, n_c, ny, nx)),
                           np.cumsum(vel.astype(np.float64) * dt[:, None, None, None], axis=0)])
    slope, std, r2 = ols_rate(epochs, disp)
    nodata = ~np.isfinite(vel).all(axis=(0, 1))
    data: dict[str, tuple[Any, ...]] = {}
    for c, name in enumerate(components):
        data[f"displacement_{name}"] = (("time", "y", "x"), disp[:, c].astype(np.float32), {"units": "m"})
        data[f"velocity_{name}"] = (("interval", "y", "x"), vel[:, c], {"units": "m/yr"})
        for key, arr, units in (("linear_rate", slope, "m/yr"), ("linear_rate_std", std, "m/yr"),
                                ("linear_rate_r2", r2, "1")):
            data[f"{key}_{name}"] = (("y", "x"), np.where(nodata, np.nan, arr[c]).astype(np.float32),
                                     {"units": units})
    if rank is None:
        rank = np.where(nodata, 0, n_int * n_c)
    data["rank"] = (("y", "x"), np.asarray(rank, np.int32), {})
    data["valid_map_count"] = (("y", "x"), np.where(nodata, 0, 2 * n_int).astype(np.int32), {})
    data["norm_x"] = (("y", "x"), np.sqrt(np.nansum(vel.astype(np.float64) ** 2, axis=(0, 1))).astype(np.float32),
                      {"units": "m/yr"})
    coords = {"time": epochs, "time_utc": ("time", datetime_from_decimal_year(np.atleast_1d(epochs))),
              "interval": np.arange(n_int), "interval_start": ("interval", epochs[:-1]),
              "interval_end": ("interval", epochs[1:])}
    ds = xr.Dataset(data, coords=coords, attrs={"time_units": "decimal years (MSBAS)"})
    if grid is not None:
        from gfjax.io.netcdf import attach_grid

        ds = attach_grid(ds, grid)
    return ds


def scene_epochs(scene) -> np.ndarray:
    """Merged sorted acquisition times of all tracks in their common window, decimal years."""
    times = [np.asarray(t.decimal_years, np.float64) for t in scene.tracks.values()]
    lo, hi = max(t[0] for t in times), min(t[-1] for t in times)
    ep = np.unique(np.concatenate(times))
    return ep[(ep >= lo) & (ep <= hi)]


def scene_timeseries(scene, noise_m_per_yr: float = 0.0, seed: int = 0) -> xr.Dataset:
    """Time series of the scene truth (4D, all grid cells) + Gaussian noise of std
    ``noise_m_per_yr`` on every interval velocity."""
    ep = scene_epochs(scene)
    rng = np.random.default_rng(seed)
    vel = np.stack([scene.interval_velocity(float(a), float(b)) for a, b in zip(ep[:-1], ep[1:])])
    if noise_m_per_yr:
        vel = vel + rng.normal(0.0, noise_m_per_yr, vel.shape).astype(np.float32)
    return timeseries_from_velocities(ep, vel, grid=scene.grid)
