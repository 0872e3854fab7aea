"""ISCE raw images described by a GDAL VRT (``VRTRawRasterBand``) or an ISCE ``.xml`` descriptor.

* VRT: each ``VRTRasterBand subClass="VRTRawRasterBand"`` gives ``dataType`` (GDAL name),
  ``SourceFilename`` (``relativeToVRT``), ``ImageOffset``, ``PixelOffset``, ``LineOffset`` (bytes)
  and ``ByteOrder`` (``LSB``/``MSB``; LSB when absent, as ISCE writes it). A band is a strided
  view of a read-only memmap: value (row, col) starts at ``ImageOffset + row × LineOffset + col ×
  PixelOffset``.
* ISCE ``.xml`` (``<imageFile>``): ``width``, ``length``, ``number_bands``, ``data_type``
  (BYTE … CDOUBLE), ``scheme`` (BIL/BIP/BSQ), ``byte_order`` (l/b); the data file is the xml
  path without ``.xml`` (the ``file_name`` property is where ISCE wrote it, often elsewhere).

Arrays are ``(rows, cols)`` = (azimuth, range) for one band, else ``(bands, rows, cols)``.
With ``strict`` (default), a data file must end exactly where the last band's last value does:
ISCE writes no padding, so a longer or shorter file means a wrong descriptor or a truncated file.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from os import PathLike
from pathlib import Path

import numpy as np

from .envi import RawFormatError, RawLayout, read_raw

GDAL_DTYPES = {"Byte": "u1", "Int8": "i1", "UInt16": "u2", "Int16": "i2", "UInt32": "u4", "Int32": "i4",
               "UInt64": "u8", "Int64": "i8", "Float32": "f4", "Float64": "f8", "CFloat32": "c8",
               "CFloat64": "c16"}
ISCE_DTYPES = {"BYTE": "u1", "CHAR": "i1", "SHORT": "i2", "INT": "i4", "LONG": "i8", "FLOAT": "f4",
               "DOUBLE": "f8", "CFLOAT": "c8", "CDOUBLE": "c16"}


def _int(node: ET.Element, tag: str, where: str, default: int | None = None) -> int:
    el = node.find(tag)
    if el is None or el.text is None:
        if default is None:
            raise RawFormatError(f"{where}: missing <{tag}>")
        return default
    try:
        return int(el.text.strip())
    except ValueError:
        raise RawFormatError(f"{where}: <{tag}> must be an integer, got {el.text.strip()!r}") from None


def _parse(path: Path) -> ET.Element:
    if not path.is_file():
        raise RawFormatError(f"{path}: descriptor not found")
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise RawFormatError(f"{path}: not valid XML ({exc})") from None


def read_vrt(path: str | PathLike[str], *, strict: bool = True) -> np.ndarray:
    """Values of a VRT made of ``VRTRawRasterBand`` bands (memmap views; stacked if several)."""
    path = Path(path)
    root = _parse(path)
    if root.tag != "VRTDataset":
        raise RawFormatError(f"{path}: root element must be VRTDataset, got {root.tag}")
    try:
        # a missing size: int("") raises ValueError, caught as before
        cols, rows = int(root.get("rasterXSize", "")), int(root.get("rasterYSize", ""))
    except (TypeError, ValueError):
        raise RawFormatError(f"{path}: VRTDataset needs integer rasterXSize and rasterYSize") from None
    bands: list[np.ndarray] = []
    ends: dict[Path, int] = {}
    for i, band in enumerate(root.iterfind("VRTRasterBand"), 1):
        where = f"{path}: band {i}"
        if band.get("subClass") != "VRTRawRasterBand":
            raise RawFormatError(f"{where}: only subClass='VRTRawRasterBand' is read, got {band.get('subClass')!r}")
        name = band.get("dataType")
        if name not in GDAL_DTYPES:
            raise RawFormatError(f"{where}: dataType must be one of {sorted(GDAL_DTYPES)}, got {name!r}")
        order = (band.findtext("ByteOrder") or "LSB").strip().upper()
        if order not in ("LSB", "MSB"):
            raise RawFormatError(f"{where}: ByteOrder must be LSB or MSB, got {order!r}")
        dtype = np.dtype(GDAL_DTYPES[name]).newbyteorder("<" if order == "LSB" else ">")
        src = band.find("SourceFilename")
        if src is None or not (src.text or "").strip():
            raise RawFormatError(f"{where}: missing <SourceFilename>")
        file = Path((src.text or "").strip())
        if src.get("relativeToVRT", "0") == "1" or not file.is_absolute():
            file = path.parent / file
        image, pixel = _int(band, "ImageOffset", where, 0), _int(band, "PixelOffset", where, dtype.itemsize)
        line = _int(band, "LineOffset", where, pixel * cols)
        if pixel < dtype.itemsize or line < pixel * cols:
            raise RawFormatError(f"{where}: PixelOffset {pixel} / LineOffset {line} overlap values of "
                                 f"{dtype.itemsize} bytes × {cols} columns")
        if not file.is_file():
            raise RawFormatError(f"{where}: data file {file} not found")
        end = image + (rows - 1) * line + (cols - 1) * pixel + dtype.itemsize
        size = file.stat().st_size
        if size < end:
            raise RawFormatError(f"{file}: file is {size} bytes, {path.name} band {i} needs {end} bytes "
                                 f"({rows} lines × LineOffset {line} from ImageOffset {image}) — truncated")
        ends[file] = max(ends.get(file, 0), end)
        buf = np.memmap(file, dtype=np.uint8, mode="r")
        bands.append(np.ndarray((rows, cols), dtype=dtype, buffer=buf, offset=image, strides=(line, pixel)))
    if not bands:
        raise RawFormatError(f"{path}: no VRTRasterBand")
    if strict:
        for file, end in ends.items():
            if file.stat().st_size != end:
                raise RawFormatError(f"{file}: file is {file.stat().st_size} bytes, {path.name} describes "
                                     f"{end} bytes (strict: no trailing data expected)")
    return bands[0] if len(bands) == 1 else np.stack(bands)


def isce_layout(path: str | PathLike[str]) -> tuple[Path, RawLayout]:
    """``(data file, layout)`` from an ISCE ``.xml`` image descriptor."""
    path = Path(path)
    root = _parse(path)
    if root.tag != "imageFile":
        raise RawFormatError(f"{path}: root element must be imageFile, got {root.tag}")
    props = {p.get("name", "").lower(): (p.findtext("value") or "").strip() for p in root.findall("property")}

    def get(key: str, default: str | None = None) -> str:
        if key not in props or not props[key]:
            if default is None:
                raise RawFormatError(f"{path}: missing property {key!r}")
            return default
        return props[key]

    def integer(key: str, default: str | None = None) -> int:
        value = get(key, default)
        try:
            return int(value)
        except ValueError:
            raise RawFormatError(f"{path}: property {key!r} must be an integer, got {value!r}") from None

    kind = get("data_type").upper()
    if kind not in ISCE_DTYPES:
        raise RawFormatError(f"{path}: property 'data_type' must be one of {sorted(ISCE_DTYPES)}, got {kind!r}")
    order = get("byte_order", "l").lower()
    if order not in ("l", "b"):
        raise RawFormatError(f"{path}: property 'byte_order' must be 'l' or 'b', got {order!r}")
    scheme = get("scheme", "BIL").lower()
    dtype = np.dtype(ISCE_DTYPES[kind]).newbyteorder("<" if order == "l" else ">")
    layout = RawLayout(integer("width"), integer("length"), integer("number_bands", "1"), dtype, scheme)
    return path.with_suffix("") if path.suffix == ".xml" else path, layout


def read_isce_xml(path: str | PathLike[str], *, mmap: bool = True) -> np.ndarray:
    """Values of the raw image an ISCE ``.xml`` describes (file size checked exactly)."""
    data, layout = isce_layout(path)
    return read_raw(data, layout, mmap=mmap)
