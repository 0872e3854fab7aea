"""An ITS_LIVE-like annual reference velocity product of the synthetic scene.

For validation the way the paper does it (science.md §2: SAR annual speed vs Landsat ITS_LIVE
mosaics, 2017 and 2018). The product has its own 120 m grid (same CRS, origin on multiples of
120 m, so it does not coincide with the scene grid) and ITS_LIVE's variables and conventions:
``vx`` (east), ``vy`` (north), ``v`` (speed), ``v_error`` — float32, m/yr, nodata −32767.

Values: the truth's annual mean velocity (displacement from ``year`` to ``year + 1`` in decimal
years, bilinearly interpolated from the scene grid) plus the product's own noise: independent
Gaussian fields for vx and vy, smoothed over ~``NOISE_CORRELATION_M`` and scaled to
``SceneSpec.reference_noise_m_per_yr``. Coverage gaps (~7 % of cells, blobs a few km across,
like cloud/season gaps of optical mosaics) and cells outside the scene grid are nodata.
``v_error`` is the noise level ``sqrt(2)·σ`` where covered.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.ndimage import gaussian_filter, map_coordinates

from gfjax.geometry.grid import MapGrid

SPACING_M = 120.0
NODATA = -32767.0
NOISE_CORRELATION_M = 600.0
GAP_FRACTION = 0.07
VARIABLES = ("vx", "vy", "v", "v_error")


def reference_grid(scene) -> MapGrid:
    """The product's 120 m grid inside the scene's map extent."""
    xmin, ymin, xmax, ymax = scene.grid.bounds
    return MapGrid.from_bounds(scene.grid.epsg, xmin + SPACING_M, ymin + SPACING_M,
                               xmax - SPACING_M, ymax - SPACING_M, SPACING_M)


def _smooth_noise(rng: np.random.Generator, shape, sigma_px: float) -> np.ndarray:
    f = gaussian_filter(rng.standard_normal(shape), sigma_px, mode="wrap")
    return f / max(float(f.std()), 1e-12)


MIN_SPAN_YEARS = 30 / 365.25  # a month of the year at least


def reference_span(scene, year: int) -> tuple[float, float]:
    """(t_start, t_end) decimal years of the ``year`` product: the calendar year clipped to the
    acquisitions common to all the scene's tracks (the last year of a stack ends at its last image: a mean over the part
    of the year the SAR series covers, as the validation then compares like with like)."""
    # the window common to all tracks: what a multi-track MSBAS series covers
    first = max(float(t.decimal_years[0]) for t in scene.tracks.values())
    last = min(float(t.decimal_years[-1]) for t in scene.tracks.values())
    t0, t1 = max(float(year), first), min(float(year) + 1.0, last)
    if t1 - t0 < MIN_SPAN_YEARS:
        raise ValueError(f"year: {year} overlaps the scene's acquisitions ({first:.2f}–"
                         f"{last:.2f}) by {max(t1 - t0, 0.0):.2f} yr; need ≥ {MIN_SPAN_YEARS:.2f} yr")
    return t0, t1


def reference_product(scene, year: int) -> xr.Dataset:
    """Annual (``year``.0 → ``year + 1``.0, clipped to the scene: :func:`reference_span`)
    velocity with noise and gaps, ITS_LIVE-style Dataset (``t_start``/``t_end`` attributes)."""
    year = int(year)
    t_start, t_end = reference_span(scene, year)
    grid = reference_grid(scene)
    disp = scene.displacement(t_start, t_end) / np.float32(t_end - t_start)  # m/yr
    x, y = grid.meshgrid()
    r, c = scene.grid.fractional_index(x, y)
    sample = lambda f: map_coordinates(f.astype(np.float64), [r, c], order=1, mode="nearest")  # noqa: E731
    vy_true, vx_true = sample(disp[0]), sample(disp[1])
    rng = np.random.default_rng([scene.spec.seed, year, 120])
    sigma = float(scene.spec.reference_noise_m_per_yr)
    corr_px = NOISE_CORRELATION_M / SPACING_M
    vx = vx_true + sigma * _smooth_noise(rng, grid.shape, corr_px)
    vy = vy_true + sigma * _smooth_noise(rng, grid.shape, corr_px)
    gaps = _smooth_noise(rng, grid.shape, 2000.0 / SPACING_M)
    covered = gaps < np.quantile(gaps, 1.0 - GAP_FRACTION)
    v = np.hypot(vx, vy)
    v_err = np.full(grid.shape, np.sqrt(2.0) * sigma)
    data = {}
    for name, arr in zip(VARIABLES, (vx, vy, v, v_err)):
        out = np.where(covered, arr, NODATA).astype(np.float32)
        data[name] = (("y", "x"), out, {"units": "m/yr", "missing_value": NODATA,
                                        "grid_mapping": "spatial_ref"})
    data["vx"][2]["description"] = "velocity along easting (x), m/yr"
    data["vy"][2]["description"] = "velocity along northing (y), m/yr"
    data["v"][2]["description"] = "speed, m/yr"
    data["v_error"][2]["description"] = "speed error (1 sigma), m/yr"
    from gfjax.io.netcdf import grid_coords

    ds = xr.Dataset(data, coords=grid_coords(grid))
    ds.attrs.update(title="synthetic ITS_LIVE-like annual velocity, Muldrow scene", year=year,
                    t_start=float(t_start), t_end=float(t_end), epsg=grid.epsg,
                    nodata=NODATA, noise_m_per_yr=sigma, Conventions="CF-1.8")
    return ds


def write_reference_product(scene, year: int, path) -> list[Path]:
    """Write the product: ``*.nc`` → one CF NetCDF (nodata −32767 as ``_FillValue``); otherwise
    ``path`` is a folder receiving ITS_LIVE-named GeoTIFFs ``muldrow_G0120_{year}_{var}.tif``
    (float32, nodata −32767). Returns the written paths."""
    ds = reference_product(scene, year)
    path = Path(path)
    if path.suffix == ".nc":
        path.parent.mkdir(parents=True, exist_ok=True)
        enc = {}
        for name in VARIABLES:
            ds[name].attrs.pop("missing_value", None)
            enc[name] = {"_FillValue": np.float32(NODATA), "zlib": True, "complevel": 4}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # atomic: concurrent writers safe
        ds.to_netcdf(tmp, encoding=enc)
        os.replace(tmp, path)
        return [path]
    if path.suffix:
        raise ValueError(f"path: {path} must end in .nc or be a folder for GeoTIFFs")
    import rasterio

    grid = MapGrid(ds.attrs["epsg"], float(ds.x[0]) - SPACING_M / 2, float(ds.y[0]) + SPACING_M / 2,
                   SPACING_M, ds.sizes["x"], ds.sizes["y"])
    path.mkdir(parents=True, exist_ok=True)
    out = []
    for name in VARIABLES:
        p = path / f"muldrow_G0120_{int(year)}_{name}.tif"
        with rasterio.open(p, "w", driver="GTiff", width=grid.nx, height=grid.ny, count=1,
                           dtype="float32", crs=grid.crs, transform=grid.transform, nodata=NODATA,
                           compress="deflate") as dst:
            dst.write(ds[name].values, 1)
            dst.update_tags(1, units="m/yr", year=str(year))
        out.append(p)
    return out
