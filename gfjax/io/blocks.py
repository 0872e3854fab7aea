"""Block I/O: images read a window at a time, so that host memory follows the window, not the image.

An :class:`gfjax.protocols.ImageBlocks` is anything with ``shape`` (rows, columns), ``dtype``
and ``block[rows, cols]`` for two ``slice`` s (step 1) that returns a NumPy array of that window
— a ``numpy.ndarray`` is one. The readers here open the file for each window and keep nothing
between windows:

* :class:`MemmapBlocks`: a raw raster (GAMMA FCOMPLEX / SCOMPLEX, ISCE / ENVI raw): the file is
  mapped for one read, the window copied out (complex64) and the mapping dropped, so the pages
  touched are released with it (a mapping kept open would count every page ever read in RSS);
* :class:`RasterioBlocks`: any GDAL raster through a rasterio ``Window`` (GeoTIFF, VRT, and
  ``/vsizip/`` paths inside zipped products): one complex band or two float bands (real, imag);
* :class:`H5Blocks`: an h5py dataset slice (one image of a ``(date, azimuth, range)`` cube or
  a 2-D dataset).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

Window = tuple[slice, slice]


def window_bounds(key: Any, shape: tuple[int, int], where: str) -> tuple[int, int, int, int]:
    """``(r0, r1, c0, c1)`` of ``key`` = (row slice, column slice), clipped to ``shape`` as NumPy
    clips; ``IndexError`` naming ``where`` for anything else (a step, an integer, one axis)."""
    if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, slice) for k in key)):
        raise IndexError(f"{where}: read a block as block[rows, cols] with two slices, got {key!r}")
    out = []
    for k, n in zip(key, shape):
        start, stop, step = k.indices(n)
        if step != 1:
            raise IndexError(f"{where}: a block is read with slices of step 1, got {k!r}")
        out += [start, max(start, stop)]
    return out[0], out[1], out[2], out[3]


@dataclass(frozen=True)
class MemmapBlocks:
    """A raw raster read a window at a time. ``open_map()`` returns a fresh read-only
    ``numpy.memmap`` of the image, (rows, cols) complex or (rows, cols, 2) real/imaginary parts,
    in the file's byte order; each window is copied out as complex64 and the map dropped."""

    path: Path
    shape: tuple[int, int]
    open_map: Callable[[], np.ndarray]
    dtype: np.dtype = np.dtype(np.complex64)

    def __getitem__(self, key: Window) -> np.ndarray:
        r0, r1, c0, c1 = window_bounds(key, self.shape, str(self.path))
        mm = self.open_map()
        part = mm[r0:r1, c0:c1]
        out = np.empty((r1 - r0, c1 - c0), np.complex64)
        if part.ndim == 3:
            out.real, out.imag = part[..., 0], part[..., 1]
        else:
            out[...] = part
        del part, mm  # the mapping goes with its last view
        return out


def raw_pairs(path: str | PathLike[str], shape: tuple[int, int], dtype: str, offset: int = 0) -> MemmapBlocks:
    """:class:`MemmapBlocks` of a raw file of ``shape`` pixels, each two values of ``dtype``
    (real, imaginary; e.g. GAMMA's ``>f4`` FCOMPLEX, ``>i2`` SCOMPLEX) from byte ``offset``."""
    p = Path(path)
    return MemmapBlocks(p, (int(shape[0]), int(shape[1])),
                        lambda: np.memmap(p, dtype=dtype, mode="r", offset=offset, shape=(shape[0], shape[1], 2)))


@dataclass(frozen=True)
class RasterioBlocks:
    """A GDAL raster (a path rasterio opens, ``/vsizip/…`` included) read by ``Window``: one
    complex band, or two float bands (real, imaginary); complex64 out."""

    path: str
    shape: tuple[int, int]
    bands: int
    dtype: np.dtype = np.dtype(np.complex64)

    @classmethod
    def open(cls, path: str | PathLike[str]) -> RasterioBlocks:
        src = _rasterio_open(str(path))
        with src:
            count, kind = src.count, src.dtypes[0]
            shape = (int(src.height), int(src.width))
        if not ((count == 1 and kind.startswith("complex")) or (count == 2 and kind.startswith("float"))):
            raise ValueError(f"{path}: a complex image needs one complex band or two float bands (real, imag), "
                             f"got {count} band(s) of {kind}")
        return cls(str(path), shape, count)

    def __getitem__(self, key: Window) -> np.ndarray:
        from rasterio.windows import Window as RioWindow

        r0, r1, c0, c1 = window_bounds(key, self.shape, self.path)
        if r1 == r0 or c1 == c0:
            return np.zeros((r1 - r0, c1 - c0), np.complex64)
        with _rasterio_open(self.path) as src:
            data = src.read(window=RioWindow(c0, r0, c1 - c0, r1 - r0))
        if self.bands == 2:
            out = np.empty(data.shape[1:], np.complex64)
            out.real, out.imag = data[0], data[1]
            return out
        return np.asarray(data[0], np.complex64)


def _rasterio_open(path: str) -> Any:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        return rasterio.open(path)


@dataclass(frozen=True)
class H5Blocks:
    """One 2-D image of an HDF5 file read by h5py slices: dataset ``name``, and ``index`` the
    image along the first axis of a 3-D dataset (None for a 2-D one)."""

    path: Path
    name: str
    shape: tuple[int, int]
    index: int | None = None
    dtype: np.dtype = np.dtype(np.complex64)

    def __getitem__(self, key: Window) -> np.ndarray:
        import h5py

        r0, r1, c0, c1 = window_bounds(key, self.shape, f"{self.path}:/{self.name}")
        with h5py.File(self.path, "r") as f:
            ds = f[self.name]
            part = ds[self.index, r0:r1, c0:c1] if self.index is not None else ds[r0:r1, c0:c1]
        return np.asarray(part, np.complex64)
