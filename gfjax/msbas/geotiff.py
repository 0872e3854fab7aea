"""Small GeoTIFF helpers for the MSBAS CLI (ring 2, rasterio). Writes are atomic per directory:
:class:`AtomicOutputs` stages files in a hidden temporary directory and moves them into place
only when every product has been written."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


class MapReadError(ValueError):
    """A map file is missing, unreadable or of the wrong size (message names file and line)."""


def read_map(path: Path, size: tuple, where: str) -> tuple[np.ndarray, dict]:
    """First band of a GeoTIFF as float32 (rows, cols) and its profile; ``size`` = (cols, rows).

    Raises :class:`MapReadError` naming ``where`` (list file and line) and the file.
    """
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


def write_tif(path: Path, data: np.ndarray, profile: dict | None) -> None:
    """Write a float32 (rows, cols) GeoTIFF with the input maps' georeferencing."""
    import rasterio

    prof = {"driver": "GTiff", "count": 1, "dtype": "float32", "height": data.shape[0],
            "width": data.shape[1]}
    if profile:
        for key in ("crs", "transform"):
            if profile.get(key) is not None:
                prof[key] = profile[key]
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(np.asarray(data, np.float32), 1)


class AtomicOutputs:
    """Context manager: files written under ``.tmp`` go to ``final_dir`` only on success."""

    def __init__(self, final_dir: Path):
        self.final_dir = Path(final_dir)
        self.tmp: Path | None = None
        self.names: list[str] = []

    def __enter__(self) -> "AtomicOutputs":
        self.tmp = Path(tempfile.mkdtemp(prefix=".msbas_tmp_", dir=self.final_dir))
        return self

    def path(self, name: str) -> Path:
        self.names.append(name)
        return self.tmp / name

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                for name in self.names:
                    os.replace(self.tmp / name, self.final_dir / name)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
