"""Read an ITS_LIVE velocity product (vx, vy GeoTIFFs) onto a project map grid.

ITS_LIVE gives ``vx``/``vy`` (m/yr) along the axes of its own CRS (polar stereographic,
EPSG:3413 in Alaska). Warping the two rasters onto a UTM grid moves the values but not their
directions, so after ``rasterio.warp.reproject`` (bilinear, nodata → NaN) each vector is rotated
by the local angle between the source x axis and the grid's easting axis (pyproj finite
difference, :func:`gfjax.geometry.crs.vector_rotation`; ~102° at Columbia Glacier). Only the
rotation is applied — both CRSs are conformal — so speed is preserved exactly; the result's
``vx``/``vy`` are east/north components in the grid CRS.
"""
from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from ..geometry.crs import rotate_vectors, vector_rotation
from ..geometry.grid import MapGrid
from .netcdf import attach_grid

_RESAMPLING = ("nearest", "bilinear", "cubic", "average")


def _read_source(path: Path) -> tuple[np.ndarray, Any, Any, float | None, Any]:
    """(band 1 float32, transform, CRS, nodata, bounds): rasterio's (untyped) objects."""
    import rasterio

    if not path.is_file():
        raise ValueError(f"{path}: ITS_LIVE raster not found")
    with rasterio.open(path) as src:
        if src.crs is None:
            raise ValueError(f"{path}: raster has no CRS")
        data = src.read(1).astype(np.float32)
        return data, src.transform, src.crs, src.nodata, src.bounds


def reproject_to_grid(data: ArrayLike, src_transform: Any, src_crs: Any, src_nodata: float | None, grid: MapGrid,
                      resampling: str = "bilinear") -> np.ndarray:
    """Warp one source raster onto ``grid`` (float32, NaN where no data)."""
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    if resampling not in _RESAMPLING:
        raise ValueError(f"resampling must be one of {_RESAMPLING}, got {resampling!r}")
    src = np.asarray(data, np.float32)
    if src_nodata is not None and not np.isnan(src_nodata):
        src = np.where(src == np.float32(src_nodata), np.nan, src)
    out = np.full(grid.shape, np.nan, np.float32)
    reproject(source=src, destination=out, src_transform=src_transform, src_crs=src_crs,
              src_nodata=np.nan, dst_transform=grid.transform, dst_crs=grid.crs, dst_nodata=np.nan,
              resampling=getattr(Resampling, resampling))
    return out


def grid_velocity(u: np.ndarray, w: np.ndarray, src_crs: Any, grid: MapGrid,
                  label: str = "") -> dict[str, tuple[tuple[str, str], np.ndarray, dict[str, str]]]:
    """Source-CRS components ``u``, ``w`` already warped onto ``grid`` → ``{"vx", "vy", "v"}``
    data variables: rotated into the grid's east/north (speed kept), NaN where either is missing.
    ``label`` prefixes the long names (e.g. "reference ")."""
    missing = np.isnan(u) | np.isnan(w)
    ex, ny_ = grid.meshgrid()
    angle = vector_rotation(src_crs, grid.crs, ex, ny_)
    # geometry.crs is annotated elsewhere (in progress): drop this ignore once rotate_vectors is typed
    ve, vn = rotate_vectors(  # type: ignore[no-untyped-call]
        np.asarray(u, np.float64), np.asarray(w, np.float64), angle)
    ve = np.where(missing, np.nan, ve).astype(np.float32)
    vn = np.where(missing, np.nan, vn).astype(np.float32)
    attrs = dict(units="m/yr")
    return {"vx": (("y", "x"), ve, dict(attrs, long_name=f"{label}velocity, easting component (grid CRS)")),
            "vy": (("y", "x"), vn, dict(attrs, long_name=f"{label}velocity, northing component (grid CRS)")),
            "v": (("y", "x"), np.hypot(ve, vn).astype(np.float32), dict(attrs, long_name=f"{label}speed"))}


def read_itslive(vx_path: str | PathLike[str], vy_path: str | PathLike[str], grid: MapGrid
, resampling: str = "bilinear") -> xr.Dataset:
    """ITS_LIVE ``vx``/``vy`` on ``grid`` → Dataset ``vx`` (east), ``vy`` (north), ``v`` (m/yr).

    ``ValueError`` if the files differ in geometry, or ``grid`` does not overlap them.
    """
    from rasterio.warp import transform_bounds

    vx_path, vy_path = Path(vx_path), Path(vy_path)
    vx, tr_x, crs_x, nd_x, bounds = _read_source(vx_path)
    vy, tr_y, crs_y, nd_y, _ = _read_source(vy_path)
    if vx.shape != vy.shape or tr_x != tr_y or crs_x != crs_y:
        raise ValueError(f"{vx_path} and {vy_path} must share shape, transform and CRS, got "
                         f"{vx.shape}/{vy.shape}, {tr_x}/{tr_y}, {crs_x}/{crs_y}")
    gx0, gy0, gx1, gy1 = transform_bounds(grid.crs, crs_x, *grid.bounds, densify_pts=21)
    if not (gx0 < bounds.right and bounds.left < gx1 and gy0 < bounds.top and bounds.bottom < gy1):
        raise ValueError(f"grid (EPSG:{grid.epsg}, bounds {grid.bounds}) does not overlap {vx_path} "
                         f"(bounds {tuple(bounds)} in {crs_x})")
    u = reproject_to_grid(vx, tr_x, crs_x, nd_x, grid, resampling)
    w = reproject_to_grid(vy, tr_x, crs_x, nd_y, grid, resampling)
    ds = xr.Dataset(
        grid_velocity(u, w, crs_x, grid),
        attrs=dict(source=f"ITS_LIVE {vx_path.name}, {vy_path.name}", source_crs=str(crs_x),
                   comment="vx/vy rotated from source CRS axes into grid east/north (speed preserved)"))
    return attach_grid(ds, grid)
