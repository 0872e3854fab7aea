"""GeoTIFF writing/reading of map-grid rasters through rasterio (single or multi-band, COG)."""
from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..geometry.grid import MapGrid


def write_geotiff(path: str | PathLike[str], data: ArrayLike, grid
: MapGrid, nodata: float | None = np.nan,
                  band_names: list[str] | None = None, cog: bool = False,
                  compress: str = "deflate", dtype: str = "float32", units: str | list[str] | None = None,
                  long_names: list[str] | None = None) -> Path:
    """Write ``data`` (ny, nx) or (bands, ny, nx) on ``grid`` as a GeoTIFF.

    NaN values are written as ``nodata`` (default NaN; MSBAS inputs use 0; None for integer
    rasters without a nodata value). ``cog=True`` writes a Cloud-Optimised GeoTIFF (GDAL COG
    driver, internal overviews). ``band_names`` become band descriptions; ``units`` (one for
    all bands or one per band) the bands' GDAL unit type and a ``units`` tag; ``long_names`` a
    ``long_name`` tag per band.
    """
    import rasterio

    arr = np.asarray(data)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != grid.shape:
        raise ValueError(f"{path}: data must be (ny, nx) or (bands, ny, nx) with (ny, nx) = {grid.shape}, "
                         f"got {np.shape(data)}")
    if band_names is not None and len(band_names) != arr.shape[0]:
        raise ValueError(f"{path}: band_names must name all {arr.shape[0]} bands, got {len(band_names)}")
    if isinstance(units, str):
        units = [units] * arr.shape[0]
    for what, names in (("units", units), ("long_names", long_names)):
        if names is not None and len(names) != arr.shape[0]:
            raise ValueError(f"{path}: {what} must describe all {arr.shape[0]} bands, got {len(names)}")
    arr = arr.astype(dtype)
    if nodata is not None and not np.isnan(nodata) and arr.dtype.kind == "f":
        arr = np.where(np.isnan(arr), nodata, arr)
    profile = dict(driver="COG" if cog else "GTiff", width=grid.nx, height=grid.ny, count=arr.shape[0],
                   dtype=arr.dtype, crs=grid.crs.to_wkt(), transform=grid.transform, nodata=nodata,
                   compress=compress)
    if not cog and min(grid.shape) >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr)
        for i in range(1, arr.shape[0] + 1):
            if band_names is not None:
                dst.set_band_description(i, str(band_names[i - 1]))
            if units is not None and units[i - 1]:
                dst.set_band_unit(i, str(units[i - 1]))
                dst.update_tags(i, units=str(units[i - 1]))
            if long_names is not None:
                dst.update_tags(i, long_name=str(long_names[i - 1]))
    return path


def read_geotiff(path: str | PathLike[str], band: int | None = None) -> tuple[np.ndarray, MapGrid]:
    """``(data, grid)``: float32 (bands, ny, nx) or (ny, nx) when one band / ``band`` (1-based)
    is read; nodata values become NaN. ``ValueError`` if the raster is not north-up with an EPSG CRS."""
    import rasterio

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: GeoTIFF not found")
    with rasterio.open(path) as src:
        grid = MapGrid.from_transform(src.transform, src.crs, src.width, src.height, name=str(path))
        arr = src.read(band) if band is not None else src.read()
        nodata = src.nodata
    arr = arr.astype(np.float32)
    if nodata is not None and not np.isnan(nodata):
        arr[arr == np.float32(nodata)] = np.nan
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    return arr, grid
