"""ENVI raw rasters: ``.hdr`` header read/write and the raw binary beside it (NumPy memmap).

A raw raster is ``lines`` (azimuth, rows) × ``samples`` (range, columns) × ``bands`` values of one
type, interleaved ``bsq`` (band, line, sample), ``bil`` (line, band, sample) or ``bip`` (line,
sample, band), after ``header offset`` bytes. Readers return ``(lines, samples)`` for one band
and ``(bands, lines, samples)`` otherwise (views of a read-only memmap unless ``mmap=False``).

The data file must be exactly ``header offset + lines × samples × bands × item size`` bytes:
anything else is a :class:`RawFormatError` naming the file, its size and the expected size.

ENVI ``data type`` codes: 1 uint8, 2 int16, 3 int32, 4 float32, 5 float64, 6 complex64,
9 complex128, 12 uint16, 13 uint32, 14 int64, 15 uint64; ``byte order`` 0 little, 1 big endian.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

ENVI_DTYPES = {1: "u1", 2: "i2", 3: "i4", 4: "f4", 5: "f8", 6: "c8", 9: "c16", 12: "u2", 13: "u4",
               14: "i8", 15: "u8"}
INTERLEAVES = ("bsq", "bil", "bip")


class RawFormatError(ValueError):
    """A raw raster or its header does not match; the message names file, field and expectation."""


@dataclass(frozen=True)
class RawLayout:
    """Where the values of a raw raster are: sizes, dtype (with byte order), interleave, offset."""

    samples: int
    lines: int
    bands: int
    dtype: np.dtype[Any]
    interleave: str = "bsq"
    offset: int = 0

    @property
    def nbytes(self) -> int:
        """Expected file size, bytes."""
        return self.offset + self.samples * self.lines * self.bands * np.dtype(self.dtype).itemsize

    @property
    def disk_shape(self) -> tuple[int, int, int]:
        return {"bsq": (self.bands, self.lines, self.samples), "bil": (self.lines, self.bands, self.samples),
                "bip": (self.lines, self.samples, self.bands)}[self.interleave]


def read_raw(path: str | PathLike[str], layout: RawLayout, *, mmap: bool = True) -> np.ndarray:
    """Values of a raw file as ``(lines, samples)`` or ``(bands, lines, samples)`` (native order
    copy when ``mmap=False``); :class:`RawFormatError` when the file size differs from the layout."""
    path = Path(path)
    if layout.interleave not in INTERLEAVES:
        raise RawFormatError(f"{path}: interleave must be one of {INTERLEAVES}, got {layout.interleave!r}")
    if min(layout.samples, layout.lines, layout.bands) < 1:
        raise RawFormatError(f"{path}: samples, lines, bands must be >= 1, got "
                             f"{layout.samples}, {layout.lines}, {layout.bands}")
    if not path.is_file():
        raise RawFormatError(f"{path}: raw data file not found")
    size = path.stat().st_size
    if size != layout.nbytes:
        raise RawFormatError(
            f"{path}: file is {size} bytes, header expects {layout.nbytes} bytes ({layout.lines} lines × "
            f"{layout.samples} samples × {layout.bands} bands × {np.dtype(layout.dtype).itemsize} bytes "
            f"{np.dtype(layout.dtype).name} + offset {layout.offset}){' — truncated' if size < layout.nbytes else ''}")
    arr: np.ndarray = np.memmap(path, dtype=layout.dtype, mode="r", offset=layout.offset, shape=layout.disk_shape)
    arr = {"bsq": arr, "bil": arr.transpose(1, 0, 2), "bip": arr.transpose(2, 0, 1)}[layout.interleave]
    if not mmap:
        arr = np.ascontiguousarray(arr).astype(np.dtype(layout.dtype).newbyteorder("="))
    return arr[0] if layout.bands == 1 else arr


@dataclass(frozen=True)
class EnviHeader:
    """The fields of an ENVI header that locate the data (others kept as ``extra`` pairs)."""

    samples: int
    lines: int
    bands: int
    data_type: int
    interleave: str = "bsq"
    byte_order: int = 0
    header_offset: int = 0
    band_names: tuple[str, ...] | None = None
    description: str | None = None
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(ENVI_DTYPES[self.data_type]).newbyteorder("<" if self.byte_order == 0 else ">")

    @property
    def layout(self) -> RawLayout:
        return RawLayout(self.samples, self.lines, self.bands, self.dtype, self.interleave, self.header_offset)


def envi_header_path(path: str | PathLike[str]) -> Path:
    """Header of a data file: ``name.hdr`` beside ``name`` (``name.ext.hdr`` or ``name.hdr``)."""
    path = Path(path)
    if path.suffix == ".hdr":
        return path
    for cand in (path.with_name(path.name + ".hdr"), path.with_suffix(".hdr")):
        if cand.is_file():
            return cand
    raise RawFormatError(f"{path}: no ENVI header ({path.name}.hdr or {path.with_suffix('.hdr').name}) beside it")


def _fields(text: str, where: str) -> dict[str, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "ENVI":
        raise RawFormatError(f"{where}: not an ENVI header (first line must be 'ENVI')")
    out = {}
    body = "\n".join(lines[1:])
    for m in re.finditer(r"^\s*([^=\n]+?)\s*=\s*(\{[^}]*\}|[^\n]*)", body, flags=re.M):
        out[m.group(1).strip().lower()] = m.group(2).strip()
    return out


def _int_field(fields: dict[str, str], key: str, where: str, default: int | None = None) -> int:
    if key not in fields:
        if default is None:
            raise RawFormatError(f"{where}: missing field '{key}'")
        return default
    try:
        return int(fields[key])
    except ValueError:
        raise RawFormatError(f"{where}: field '{key}' must be an integer, got {fields[key]!r}") from None


def read_envi_header(path: str | PathLike[str]) -> EnviHeader:
    """Parse an ENVI ``.hdr`` (``byte order`` required: it decides how the values read)."""
    hdr = envi_header_path(path)
    if not hdr.is_file():
        raise RawFormatError(f"{hdr}: ENVI header not found")
    where = str(hdr)
    f = _fields(hdr.read_text(), where)
    header = {k: _int_field(f, k, where) for k in ("samples", "lines", "bands", "data type", "byte order")}
    if header["data type"] not in ENVI_DTYPES:
        raise RawFormatError(f"{where}: field 'data type' must be one of {sorted(ENVI_DTYPES)}, got "
                             f"{header['data type']}")
    if header["byte order"] not in (0, 1):
        raise RawFormatError(f"{where}: field 'byte order' must be 0 (little) or 1 (big endian), got "
                             f"{header['byte order']}")
    interleave = f.get("interleave", "bsq").lower()
    if interleave not in INTERLEAVES:
        raise RawFormatError(f"{where}: field 'interleave' must be one of {INTERLEAVES}, got {interleave!r}")
    names = None
    if "band names" in f:
        names = tuple(n.strip() for n in f["band names"].strip("{}").split(",") if n.strip())
        if len(names) != header["bands"]:
            raise RawFormatError(f"{where}: 'band names' lists {len(names)} names for {header['bands']} bands")
    known = {"samples", "lines", "bands", "data type", "byte order", "interleave", "header offset",
             "band names", "description", "file type"}
    return EnviHeader(header["samples"], header["lines"], header["bands"], header["data type"], interleave,
                      header["byte order"], _int_field(f, "header offset", where, 0), names,
                      f["description"].strip("{} ") if "description" in f else None,
                      tuple((k, v) for k, v in f.items() if k not in known))


def write_envi_header(path: str | PathLike[str], header: EnviHeader) -> Path:
    """Write ``header`` as an ENVI ``.hdr`` at ``path``."""
    lines = ["ENVI"]
    if header.description:
        lines.append(f"description = {{{header.description}}}")
    lines += [f"samples = {header.samples}", f"lines   = {header.lines}", f"bands   = {header.bands}",
              f"header offset = {header.header_offset}", "file type = ENVI Standard",
              f"data type = {header.data_type}", f"interleave = {header.interleave}",
              f"byte order = {header.byte_order}"]
    if header.band_names:
        lines.append("band names = {" + ", ".join(header.band_names) + "}")
    lines += [f"{k} = {v}" for k, v in header.extra if k != "file type"]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_envi(path: str | PathLike[str], *, mmap: bool = True) -> tuple[np.ndarray, EnviHeader]:
    """``(values, header)`` of an ENVI raster given its data file (or its ``.hdr``)."""
    path = Path(path)
    hdr_path = envi_header_path(path)
    data = path if path.suffix != ".hdr" else path.with_suffix("")
    if not data.is_file() and path.suffix == ".hdr":
        cands = [c for c in data.parent.glob(data.name + ".*") if c.suffix != ".hdr"]
        data = cands[0] if len(cands) == 1 else data
    header = read_envi_header(hdr_path)
    return read_raw(data, header.layout, mmap=mmap), header


def write_envi(path: str | PathLike[str], data: ArrayLike, *, interleave: str = "bip", byte_order: int = 0,
               band_names: Sequence[str] | None = None, description: str | None = None,
               extra: Iterable[tuple[str, str]] = ()) -> Path:
    """Write ``data`` ``(lines, samples)`` or ``(bands, lines, samples)`` as raw + ``path.hdr``
    (``extra``: further ``(key, value)`` header lines)."""
    path = Path(path)
    arr = np.asarray(data)
    arr = arr[None] if arr.ndim == 2 else arr
    if arr.ndim != 3:
        raise RawFormatError(f"{path}: data must be (lines, samples) or (bands, lines, samples), got {np.shape(data)}")
    if interleave not in INTERLEAVES:
        raise RawFormatError(f"{path}: interleave must be one of {INTERLEAVES}, got {interleave!r}")
    code = next((c for c, t in ENVI_DTYPES.items() if np.dtype(t) == arr.dtype.newbyteorder("=")), None)
    if code is None:
        raise RawFormatError(f"{path}: dtype {arr.dtype} has no ENVI data type code "
                             f"(one of {sorted(set(ENVI_DTYPES.values()))})")
    if band_names is not None and len(band_names) != arr.shape[0]:
        raise RawFormatError(f"{path}: band_names must name all {arr.shape[0]} bands, got {len(band_names)}")
    if byte_order not in (0, 1):
        raise RawFormatError(f"{path}: byte_order must be 0 (little) or 1 (big endian), got {byte_order}")
    header = EnviHeader(arr.shape[2], arr.shape[1], arr.shape[0], code, interleave, byte_order,
                        band_names=tuple(band_names) if band_names is not None else None,
                        description=description, extra=tuple(extra))
    disk = {"bsq": arr, "bil": arr.transpose(1, 0, 2), "bip": arr.transpose(1, 2, 0)}[interleave]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.ascontiguousarray(disk, dtype=header.dtype).tofile(path)
    write_envi_header(path.with_name(path.name + ".hdr"), header)
    return path
