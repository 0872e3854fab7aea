"""Reading the rasters of an MSBAS v10 header: maps, look-angle and slope files (ring 2).

As MSBAS v10 reads them (``Param::ReadAll``): the first band, cropped to WINDOW_SIZE, as
float32, the band's no-data value replaced by 0 (= no data). gfjax also treats NaN/±Inf as no
data (v10 would carry them into its statistics) and reports how many it met. ``FORMAT=2, r``
first fills no-data holes up to ``r`` pixels with GDAL's FillNodata (one smoothing pass) on the whole image, as v10
does on a temporary copy (only pixels masked by the file's no-data value are filled).

Maps are read by a thread pool (GDAL releases the GIL while it decodes).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np


class MapReadError(ValueError):
    """A map file is missing, unreadable or of the wrong size (message names file and line)."""


def read_raster(path: str | PathLike[str] | None, size: tuple[int, int], window: tuple[int, int, int, int],
                where: str, *, fill_radius: int = 0) -> tuple[np.ndarray, int]:
    """(data (rows, cols) float32 of the window with 0 = no data, count of NaN/Inf replaced).

    ``size`` = FILE_SIZE (cols, rows); ``window`` = (c0, c1, r0, r1) inclusive. ``path`` None
    (an optional file of the header, e.g. a 5-field SET's phi file) is a :class:`MapReadError`.
    """
    import rasterio

    if path is None:
        raise MapReadError(f"{where}: no file given")
    path = Path(path)
    if not path.is_file():
        raise MapReadError(f"{where}: file {path} not found")
    c0, c1, r0, r1 = window
    try:
        with rasterio.open(path) as src:
            if (src.width, src.height) != tuple(size):
                raise MapReadError(f"{where}: {path} is {src.width}x{src.height} (cols x rows), "
                                   f"FILE_SIZE says {size[0]}x{size[1]}")
            nodata = src.nodata
            if fill_radius > 0:
                from rasterio.fill import fillnodata

                full = src.read(1).astype(np.float32)
                mask = src.read_masks(1)
                if (mask == 0).any():
                    full = fillnodata(full, mask=mask, max_search_distance=float(fill_radius),
                                      smoothing_iterations=1).astype(np.float32)
                data: np.ndarray = full[r0:r1 + 1, c0:c1 + 1]
            else:
                win = rasterio.windows.Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1)
                data = src.read(1, window=win).astype(np.float32)
    except MapReadError:
        raise
    except Exception as exc:                                   # rasterio / GDAL errors
        raise MapReadError(f"{where}: cannot read {path}: {exc}") from None
    if nodata is not None and np.isfinite(nodata):
        data[data == np.float32(nodata)] = 0.0
    bad = ~np.isfinite(data)
    n_bad = int(bad.sum())
    if n_bad:
        data[bad] = 0.0
    return data, n_bad


def read_maps(paths: Sequence[str | PathLike[str]], wheres: Sequence[str], size: tuple[int, int],
              window: tuple[int, int, int, int], *, fill_radius: int = 0,
              threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack (M, rows, cols) float32 of many maps (0 = no data) and NaN/Inf counts per map."""
    c0, c1, r0, r1 = window
    out = np.empty((len(paths), r1 - r0 + 1, c1 - c0 + 1), np.float32)
    bad = np.zeros(len(paths), np.int64)

    def one(j: int) -> None:
        out[j], bad[j] = read_raster(paths[j], size, window, wheres[j], fill_radius=fill_radius)

    n = threads or min(8, (os.cpu_count() or 1) + 2)
    if n > 1 and len(paths) > 4:
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(one, range(len(paths))))
    else:
        for j in range(len(paths)):
            one(j)
    return out, bad


def template_profile(path: str | PathLike[str]) -> dict[str, Any]:
    """Georeferencing, data type and tags of the template of v10's outputs (its first map)."""
    import rasterio

    with rasterio.open(path) as src:
        return {"crs": src.crs, "transform": src.transform, "dtype": src.dtypes[0],
                "tags": src.tags(), "band_tags": src.tags(1)}


def read_map(path: str | PathLike[str], size: tuple[int, int], where: str) -> tuple[np.ndarray, dict[str, Any]]:
    """Whole first band of a GeoTIFF as float32 (rows, cols) and its profile; ``size`` = (cols,
    rows). Raises :class:`MapReadError` naming ``where`` (list file and line) and the file."""
    import rasterio

    path = Path(path)
    if not path.is_file():
        raise MapReadError(f"{where}: map {path} not found")
    try:
        with rasterio.open(path) as src:
            if (src.width, src.height) != tuple(size):
                raise MapReadError(f"{where}: map {path} is {src.width}x{src.height} "
                                   f"(cols x rows), FILE_SIZE says {size[0]}x{size[1]}")
            return src.read(1).astype(np.float32), dict(src.profile)
    except MapReadError:
        raise
    except Exception as exc:                                  # rasterio / GDAL errors
        raise MapReadError(f"{where}: cannot read map {path}: {exc}") from None
