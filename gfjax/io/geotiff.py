"""GeoTIFF writing/reading of map-grid rasters through rasterio (single or multi-band, COG)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..geometry.grid import MapGrid


def write_geotiff(path, data, grid: MapGrid, nodata: float | None = np.nan,
                  band_names: list[str] | None = None, cog: bool = False,
                  compress: str = "deflate", dtype: str = "float32") -> Path:
    """Write ``data`` (ny, nx) or (bands, ny, nx) on ``grid`` as a GeoTIFF.

    NaN values are written as ``nodata`` (default NaN; MSBAS inputs use 0). ``cog=True`` writes a
    Cloud-Optimised GeoTIFF (GDAL COG driver, internal overviews). ``band_names`` become band
    descriptions.
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
        if band_names is not None:
            for i, name in enumerate(band_names, start=1):
                dst.set_band_description(i, str(name))
    return path


def read_geotiff(path, band: int | None = None) -> tuple[np.ndarray, MapGrid]:
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
