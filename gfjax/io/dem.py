"""A DEM on the project's map grid, in heights above the WGS84 ellipsoid.

Any raster GDAL reads, in any CRS: GeoTIFFs (Copernicus GLO-30, ArcticDEM, a user's DEM), SRTM
``.hgt`` tiles, also inside a ``.zip`` (read through ``/vsizip/``, e.g.
``N38W028.SRTMGL3.hgt.zip``). :func:`read_dem` warps it onto a :class:`~gfjax.geometry.grid.MapGrid`
(``rasterio.warp.reproject``, bilinear by default; the DEM's nodata stays NaN) and converts the
heights to the ellipsoid according to the declared vertical datum (:class:`DemSource`):
``"egm96"`` (SRTM, GLO-90), ``"egm2008"`` (Copernicus GLO-30) or ``"ellipsoid"`` (already
ellipsoidal, e.g. ArcticDEM/REMA). Where the geoid comes from: :mod:`gfjax.io.geoid`.

Errors name the file: not a raster, no CRS, a DEM that does not cover the grid (the fraction
of cells left empty and both extents), a geoid-referenced DEM with no geoid grid available.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from .geoid import VERTICAL_DATUMS, to_ellipsoid

__all__ = ["DemError", "DemSource", "cell_lonlat", "dem_gdal_path", "read_dem"]

RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".dem", ".vrt", ".img", ".bil", ".nc", ".asc")


class DemError(ValueError):
    """A DEM that cannot serve: the message names the file and what was expected."""


@dataclass(frozen=True)
class DemSource:
    """Where the DEM is and what its heights are above.

    ``vertical_datum``: ``"egm96"`` (SRTM), ``"egm2008"`` (Copernicus GLO-30) or ``"ellipsoid"``.
    ``geoid_path``: a geoid grid file (e.g. PROJ's ``us_nga_egm96_15.tif``); ``None`` = PROJ's
    grid or the ``egm96`` package if present (:mod:`gfjax.io.geoid`).
    """

    path: str
    vertical_datum: str = "egm96"
    geoid_path: str | None = None

    def __post_init__(self) -> None:
        if str(self.vertical_datum).lower() not in VERTICAL_DATUMS:
            raise DemError(f"DEM {self.path}: vertical_datum must be one of {list(VERTICAL_DATUMS)}, "
                           f"got {self.vertical_datum!r}")


def dem_gdal_path(path: str | PathLike[str]) -> str:
    """GDAL path of a DEM: the file itself, or ``/vsizip/…/member`` for the one raster inside a zip."""
    text = str(path)
    if text.startswith("/vsi"):
        return text
    p = Path(path)
    if not p.exists():
        raise DemError(f"DEM {p}: file not found")
    if p.suffix.lower() != ".zip":
        return str(p)
    if not zipfile.is_zipfile(p):
        raise DemError(f"DEM {p}: not a valid zip file")
    with zipfile.ZipFile(p) as z:
        members = [m for m in z.namelist() if PurePosixPath(m).suffix.lower() in RASTER_SUFFIXES
                   and not m.startswith("__MACOSX/")]
    if len(members) != 1:
        raise DemError(f"DEM {p}: expected one raster ({'/'.join(RASTER_SUFFIXES)}) inside the zip, "
                       f"found {members or 'none'}")
    return f"/vsizip/{p.resolve()}/{members[0]}"


def cell_lonlat(grid: Any, rows: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """(longitude, latitude) in degrees (float64) of the cell centres of ``grid`` rows ``rows``."""
    from pyproj import Transformer

    tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    x, y = np.meshgrid(grid.x, grid.y[rows])
    lon, lat = tr.transform(x, y)
    return np.asarray(lon, np.float64), np.asarray(lat, np.float64)


def read_dem(source: DemSource | str, grid: Any, resampling: str = "bilinear",
             max_missing_fraction: float = 0.0) -> np.ndarray:
    """(ny, nx) float32 heights above the WGS84 ellipsoid, m, on ``grid`` (NaN where the DEM has none).

    ``source`` a :class:`DemSource` or a path (then EGM96 heights are assumed, as SRTM's).
    ``DemError`` when more than ``max_missing_fraction`` of the cells get no height.
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    src_spec = source if isinstance(source, DemSource) else DemSource(str(source))
    path = dem_gdal_path(src_spec.path)
    try:
        method = Resampling[resampling]
    except KeyError:
        raise DemError(f"DEM resampling must be a rasterio Resampling name (bilinear, cubic, …), "
                       f"got {resampling!r}") from None
    try:
        dataset = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise DemError(f"DEM {src_spec.path}: cannot be read as a raster ({exc})") from None
    with dataset as src:
        if src.crs is None:
            raise DemError(f"DEM {src_spec.path}: has no CRS (a georeferenced raster is required)")
        out = np.full(grid.shape, np.nan, np.float32)
        reproject(rasterio.band(src, 1), out, src_nodata=src.nodata, dst_transform=grid.transform,
                  dst_crs=grid.crs, dst_nodata=np.nan, resampling=method)
        dem_bounds, dem_crs = tuple(src.bounds), src.crs
    missing = float(np.isnan(out).mean())
    if missing > max_missing_fraction:
        raise DemError(f"DEM {src_spec.path} does not cover the grid: {missing:.1%} of the {out.size} cells "
                       f"have no height (allowed {max_missing_fraction:.1%}); DEM bounds {dem_bounds} in "
                       f"{dem_crs}, grid bounds {grid.bounds} in EPSG:{grid.epsg}")
    if str(src_spec.vertical_datum).lower() == "ellipsoid":
        return out
    lon, lat = cell_lonlat(grid)
    return to_ellipsoid(out, lat, lon, src_spec.vertical_datum, src_spec.geoid_path).astype(np.float32)
