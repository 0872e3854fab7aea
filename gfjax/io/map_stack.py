"""The geocoded map stack on disk (the geocode stage's ``maps.nc``), written and read by blocks.

A NetCDF-4 (HDF5) file: the per-map coordinates and attributes as xarray writes them, and one
float32 variable ``displacement`` (map, y, x), NaN where there is no data, chunked by pixel
blocks (one map × :data:`CHUNK` × :data:`CHUNK` cells). :func:`write_map_stack` writes it one
map at a time and :func:`read_map_rows` reads a band of rows of every map, so neither holds the
whole stack; ``xarray.open_dataset(path, engine="h5netcdf")`` reads it as any NetCDF file.
"""
from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

CHUNK = 128  # cells per chunk side (y, x); one map per chunk
VARIABLE = "displacement"


def write_map_stack(path: str | PathLike[str], meta: xr.Dataset, layers: Iterable[np.ndarray],
                    attrs: dict[str, Any]) -> int:
    """Write ``meta`` (coordinates on dims ``map``, ``y``, ``x``, no ``displacement``) to ``path``,
    then the ``displacement`` variable (``attrs``) from ``layers``, one (y, x) map after the
    other; returns the number of maps (``ValueError`` naming the file unless it is ``meta``'s)."""
    import h5netcdf  # type: ignore[import-untyped]  # (no stubs; h5py is on the override list)

    path = Path(path)
    if VARIABLE in meta:
        raise ValueError(f"{path}: meta must not hold {VARIABLE!r} (it is written map by map)")
    meta.to_netcdf(path, engine="h5netcdf")
    m, ny, nx = (int(meta.sizes[d]) for d in ("map", "y", "x"))
    n = 0
    with h5netcdf.File(path, "a") as f:
        var = f.create_variable(VARIABLE, ("map", "y", "x"), np.float32, fillvalue=np.float32(np.nan),
                                chunks=(1, min(ny, CHUNK), min(nx, CHUNK)))
        var.attrs.update(attrs)
        for layer in layers:
            layer = np.asarray(layer, np.float32)
            if n >= m or layer.shape != (ny, nx):
                raise ValueError(f"{path}: map {n} of shape {layer.shape}; the stack holds {m} maps of {(ny, nx)}")
            var[n, :, :] = layer
            n += 1
    if n != m:
        raise ValueError(f"{path}: {n} maps written, the coordinates describe {m}")
    return n


def map_stack_shape(path: str | PathLike[str]) -> tuple[int, int, int]:
    """(maps, y, x) of a stack file."""
    import h5py

    with h5py.File(path, "r") as f:
        if VARIABLE not in f:
            raise ValueError(f"{path}: no {VARIABLE!r} variable (not a geocoded map stack)")
        shape = f[VARIABLE].shape
    return int(shape[0]), int(shape[1]), int(shape[2])


def read_map_rows(path: str | PathLike[str], r0: int, r1: int, maps: np.ndarray | None = None) -> np.ndarray:
    """``displacement[maps, r0:r1, :]`` float32 (every map when ``maps`` is None)."""
    import h5py

    with h5py.File(path, "r") as f:
        if VARIABLE not in f:
            raise ValueError(f"{path}: no {VARIABLE!r} variable (not a geocoded map stack)")
        block = np.asarray(f[VARIABLE][:, r0:r1, :], np.float32)
    return block if maps is None else block[np.asarray(maps)]
