"""Readers of coregistered SLC images, by file format: a small registry the stack loader uses.

A format is a :class:`SlcFormat`: glob patterns of the files that describe acquisitions in a
track folder, ``read_meta(path) → SlcMeta`` (cheap: no pixels) — or a list of them for a file
holding several dates (an HDF5 cube: ``SlcMeta.index`` then says which) — and
``read_data(meta) → complex64 (azimuth, range)`` and, optionally, ``open_blocks(meta)`` → an
:class:`gfjax.protocols.ImageBlocks` that reads the image a window at a time
(:mod:`gfjax.io.blocks`; without it :func:`open_blocks` reads the whole image).
Built in: GAMMA (``*.rslc.par``/``*.slc.par`` beside the
``.rslc``/``.slc`` data; :mod:`gfjax.io.gamma`) and GeoTIFF (``*.slc.tif``: one complex band,
or two float bands real/imag; metadata in GDAL tags ``ACQUISITION_TIME`` (ISO 8601 UTC),
``AZIMUTH_PIXEL_SPACING``, ``RANGE_PIXEL_SPACING`` (m), ``HEADING``, ``INCIDENCE_ANGLE``
(degrees); without ``ACQUISITION_TIME`` the date comes from the file name ``YYYYMMDD``),
raw images as ISCE2/ISCE3 write them (``isce``: ``<date>.slc`` or ``<date>.slc.full`` with a
GDAL ``.vrt`` of ``VRTRawRasterBand`` or an ISCE ``.xml``; ``envi``: with an ENVI ``.hdr`` only;
one complex band, e.g. CFloat32 / CFLOAT / ENVI data type 6, any byte order and interleave) and
HDF5 stacks (``hdf5``: ``*.slc.h5`` / ``*.slc.hdf5`` of :mod:`gfjax.io.hdf5_stack`, every date of
the cube, ``/dates`` with the times). All read the same five keys as the GeoTIFF tags where the
format keeps metadata — VRT ``<Metadata><MDI key=…>`` items, ISCE ``.xml`` properties, ENVI
header fields (``acquisition time = …``), HDF5 root attributes; keys without case, spaces for
underscores — and otherwise take the date from the file name and the geometry from the track's
``track.yaml``. ISCE2 writes ``.vrt``, ``.xml`` and ``.hdr`` for one image: it is read once
(through the ``.vrt``, else the ``.xml``, else the ``.hdr``), with the metadata of all three.
Other modules add formats with :func:`register_slc_format`.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..core.time import parse_time

if TYPE_CHECKING:
    from ..protocols import ImageBlocks

_DATE_IN_NAME = re.compile(r"^(\d{8})(?:T(\d{6}))?")


@dataclass(frozen=True)
class SlcMeta:
    """One acquisition as a format reader describes it (None: the format does not say)."""

    path: Path  # the file read for the metadata (named in messages)
    data_path: Path  # the image (may be absent in a stack of precomputed offsets)
    time: np.datetime64  # UTC, datetime64[s]
    shape: tuple[int, int]  # (azimuth lines, range samples)
    format: str
    azimuth_spacing_m: float | None = None
    range_spacing_m: float | None = None
    heading_deg: float | None = None
    incidence_deg: float | None = None
    index: int | None = None  # position of the image in a multi-date file (the format's own meaning)


@dataclass(frozen=True)
class SlcFormat:
    name: str
    patterns: tuple[str, ...]
    read_meta: Callable[[Path], "SlcMeta | list[SlcMeta]"]
    read_data: Callable[[SlcMeta], np.ndarray]
    open_blocks: Callable[[SlcMeta], ImageBlocks] | None = None


SLC_FORMATS: dict[str, SlcFormat] = {}


def register_slc_format(fmt: SlcFormat) -> SlcFormat:
    """Add (or replace) a format; the stack loader looks for every registered pattern."""
    SLC_FORMATS[fmt.name] = fmt
    return fmt


def open_blocks(meta: SlcMeta) -> ImageBlocks:
    """The image of ``meta`` read by windows (its format's ``open_blocks``; a format without
    one: the whole image, read now)."""
    fmt = SLC_FORMATS[meta.format]
    if not meta.data_path.is_file():
        raise ValueError(f"{meta.data_path}: SLC image missing (its metadata {meta.path} is there)")
    blocks = fmt.open_blocks(meta) if fmt.open_blocks is not None else fmt.read_data(meta)
    if tuple(blocks.shape) != tuple(meta.shape):
        raise ValueError(f"{meta.data_path}: image shape {tuple(blocks.shape)} differs from its metadata {meta.shape}")
    return blocks


def date_from_name(path: str | PathLike[str]) -> np.datetime64 | None:
    """``datetime64[D]`` of a leading ``YYYYMMDD`` in the file name, None if there is none;
    ``ValueError`` naming the file if the 8 digits are not a calendar date."""
    m = _DATE_IN_NAME.match(Path(path).name)
    if not m:
        return None
    s = m.group(1)
    try:
        return parse_time(s, "D", strict=True)
    except ValueError:
        raise ValueError(f"{path}: file name starts with {s!r}, which is not a date YYYYMMDD") from None


def find_acquisitions(folder: str | PathLike[str]) -> list[SlcMeta]:
    """Metadata of every SLC in ``folder`` (any registered format), sorted by time.
    ``ValueError`` if a file name's date disagrees with the date in its metadata, or two files
    share an acquisition time."""
    folder = Path(folder)
    metas: list[SlcMeta] = []
    seen: set[Path] = set()
    for fmt in SLC_FORMATS.values():
        for pattern in fmt.patterns:
            for path in sorted(folder.glob(pattern)):
                if path in seen:
                    continue
                seen.add(path)
                found = fmt.read_meta(path)
                if isinstance(found, SlcMeta):  # one date per file: its name may carry the date
                    named = date_from_name(path)
                    if named is not None and named != found.time.astype("datetime64[D]"):
                        raise ValueError(f"{path}: the file name says {named} but the metadata say "
                                         f"{found.time.astype('datetime64[D]')} (field 'date')")
                    found = [found]
                metas.extend(found)
    metas.sort(key=lambda m: m.time)
    for a, b in zip(metas, metas[1:]):
        if a.time == b.time:
            raise ValueError(f"{a.path} and {b.path}: the same acquisition time {a.time}")
    return metas


# --- GAMMA ----------------------------------------------------------------------------------
def _gamma_meta(par: Path) -> SlcMeta:
    from .gamma import check_size, read_slc_par

    p = read_slc_par(par)
    data = Path(str(par)[: -len(".par")])
    if data.is_file():  # a stack of precomputed offsets may hold the parameter files only
        check_size(data, p.nbytes, par, f"range_samples={p.range_samples}, azimuth_lines={p.azimuth_lines}, "
                   f"image_format={p.image_format}")
    return SlcMeta(par, data, p.time, p.shape, "gamma", p.azimuth_pixel_spacing,
                   p.range_pixel_spacing, p.heading, p.incidence_angle)


def _gamma_data(meta: SlcMeta) -> np.ndarray:
    from .gamma import read_slc

    return read_slc(meta.data_path, meta.path)[0]


def _gamma_blocks(meta: SlcMeta) -> ImageBlocks:
    from .blocks import raw_pairs
    from .gamma import IMAGE_FORMATS, check_byte_order, read_slc_par

    p = read_slc_par(meta.path)
    blocks = raw_pairs(meta.data_path, p.shape, IMAGE_FORMATS[p.image_format][1])
    mid, n = p.shape[0] // 2, min(64, p.shape[0])  # byte order: from a strip of rows, not the whole file
    sample = blocks.open_map()[max(0, mid - n // 2):max(0, mid - n // 2) + n]
    check_byte_order(meta.data_path, np.array(sample), p.image_format)
    return blocks


register_slc_format(SlcFormat("gamma", ("*.rslc.par", "*.slc.par"), _gamma_meta, _gamma_data, _gamma_blocks))


# --- GeoTIFF --------------------------------------------------------------------------------
GEOTIFF_TAGS = ("ACQUISITION_TIME", "AZIMUTH_PIXEL_SPACING", "RANGE_PIXEL_SPACING", "HEADING", "INCIDENCE_ANGLE")


def _tag_float(path: str | PathLike[str], tags: dict[str, Any], key: str, what: str = "GeoTIFF tag") -> float | None:
    if key not in tags:
        return None
    try:
        return float(tags[key])
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {what} {key!r}: expected a number, got {tags[key]!r}") from None


def _tag_time(path: str | PathLike[str], tags: dict[str, Any], what: str = "GeoTIFF tag",
              named: str | PathLike[str] | None = None) -> np.datetime64:
    """``ACQUISITION_TIME`` (ISO 8601 UTC) of ``tags``, else the ``YYYYMMDD`` of the file name
    (``named``: the path whose name to use) at 00:00 UTC; ``ValueError`` naming the file."""
    if "ACQUISITION_TIME" in tags:
        text = tags["ACQUISITION_TIME"]
        text = text.decode() if isinstance(text, bytes) else str(text)
        try:
            return parse_time(text, "s")
        except ValueError:
            raise ValueError(f"{path}: {what} 'ACQUISITION_TIME': expected ISO 8601 "
                             f"(YYYY-MM-DDThh:mm:ss), got {text!r}") from None
    day = date_from_name(named or path)
    if day is None:
        raise ValueError(f"{path}: no ACQUISITION_TIME ({what}) and no YYYYMMDD date in the file name")
    out: np.datetime64 = day.astype("datetime64[s]")
    return out


def _known_tags(items: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """The ``GEOTIFF_TAGS`` among ``(key, value)`` metadata items, keys matched without case and
    with spaces for underscores (``acquisition time``, ``azimuth_pixel_spacing`` …)."""
    out = {}
    for key, value in items:
        k = str(key).strip().upper().replace(" ", "_")
        if k in GEOTIFF_TAGS:
            out[k] = value.strip() if isinstance(value, str) else value
    return out


def _tagged_meta(path: Path, data_path: Path, tags: dict[str, Any], shape: Sequence[int], fmt: str, what: str,
                 named: str | PathLike[str] | None = None, index: int | None = None,
                 time: np.datetime64 | None = None) -> SlcMeta:
    return SlcMeta(path, data_path, _tag_time(path, tags, what, named) if time is None else time,
                   (int(shape[0]), int(shape[1])),
                   fmt, _tag_float(path, tags, "AZIMUTH_PIXEL_SPACING", what),
                   _tag_float(path, tags, "RANGE_PIXEL_SPACING", what), _tag_float(path, tags, "HEADING", what),
                   _tag_float(path, tags, "INCIDENCE_ANGLE", what), index)


def _geotiff_meta(path: Path) -> SlcMeta:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            tags, shape, count, dtype = src.tags(), (src.height, src.width), src.count, src.dtypes[0]
    if not ((count == 1 and dtype.startswith("complex")) or (count == 2 and dtype.startswith("float"))):
        raise ValueError(f"{path}: an SLC GeoTIFF needs one complex band or two float bands (real, imag), "
                         f"got {count} band(s) of {dtype}")
    return _tagged_meta(path, path, tags, shape, "geotiff", "GeoTIFF tag")


def _geotiff_data(meta: SlcMeta) -> np.ndarray:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(meta.data_path) as src:
            data = src.read()
    out: np.ndarray = (data[0] + 1j * data[1]).astype(np.complex64) if data.shape[0] == 2 else \
        data[0].astype(np.complex64)
    return out


def write_slc_geotiff(path: str | PathLike[str], data: np.ndarray, time: Any, azimuth_spacing_m: float,
                      range_spacing_m: float, heading_deg: float | None = None,
                      incidence_deg: float | None = None) -> Path:
    """Write a complex SLC (azimuth, range) as a one-band complex64 GeoTIFF with the tags above."""
    import rasterio

    data = np.asarray(data, np.complex64)
    if data.ndim != 2:
        raise ValueError(f"{path}: data must be 2-D (azimuth, range), got {data.shape}")
    tags = {"ACQUISITION_TIME": str(np.datetime64(time, "s")), "AZIMUTH_PIXEL_SPACING": repr(float(azimuth_spacing_m)),
            "RANGE_PIXEL_SPACING": repr(float(range_spacing_m))}
    if heading_deg is not None:
        tags["HEADING"] = repr(float(heading_deg))
    if incidence_deg is not None:
        tags["INCIDENCE_ANGLE"] = repr(float(incidence_deg))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                           dtype="complex64") as dst:
            dst.write(data, 1)
            dst.update_tags(**tags)
    return path


def _geotiff_blocks(meta: SlcMeta) -> ImageBlocks:
    from .blocks import RasterioBlocks

    return RasterioBlocks.open(meta.data_path)


register_slc_format(SlcFormat("geotiff", ("*.slc.tif", "*.slc.tiff"), _geotiff_meta, _geotiff_data,
                              _geotiff_blocks))


# --- raw images with a descriptor: ISCE2/ISCE3 (.vrt, .xml), ENVI (.hdr) ---------------------
RAW_DESCRIPTORS = (".vrt", ".xml", ".hdr")  # one image's descriptors, read in this order


def _raw_data_path(descriptor: Path) -> Path:
    return descriptor.with_suffix("")


def _raw_descriptors(data: Path) -> list[Path]:
    return [d for d in (data.with_name(data.name + ext) for ext in RAW_DESCRIPTORS) if d.is_file()]


def _raw_tags(descriptor: Path) -> dict[str, Any]:
    """GEOTIFF_TAGS from one descriptor (VRT MDI items, ISCE xml properties, ENVI fields)."""
    import xml.etree.ElementTree as ET

    if descriptor.suffix == ".hdr":
        from .envi import read_envi_header

        return _known_tags(read_envi_header(descriptor).extra)
    try:
        root = ET.parse(descriptor).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{descriptor}: not valid XML ({exc})") from None
    if root.tag == "VRTDataset":
        return _known_tags((mdi.get("key", ""), mdi.text or "") for md in root.findall("Metadata")
                           if md.get("domain") in (None, "") for mdi in md.findall("MDI"))
    return _known_tags((prop.get("name", ""), prop.findtext("value") or "") for prop in root.findall("property"))


def _raw_image(descriptor: Path, mmap: bool = True) -> np.ndarray:
    """The image a descriptor describes (a memmap view with ``mmap``); ValueError naming the
    file unless it is one complex band."""
    from .envi import read_envi
    from .isce import read_isce_xml, read_vrt

    if descriptor.suffix == ".vrt":
        data = read_vrt(descriptor)
    elif descriptor.suffix == ".xml":
        data = read_isce_xml(descriptor)
    else:
        data = read_envi(_raw_data_path(descriptor))[0]
    if data.ndim != 2 or data.dtype.kind != "c":
        raise ValueError(f"{descriptor}: an SLC must be one complex band (CFloat32 / CFLOAT / ENVI data "
                         f"type 6), got {'%d bands of ' % data.shape[0] if data.ndim == 3 else ''}{data.dtype}")
    return data if mmap else np.array(data, dtype=np.complex64)  # a native-order copy


def _raw_meta(fmt: str) -> Callable[[Path], list[SlcMeta]]:
    def read_meta(descriptor: Path) -> list[SlcMeta]:
        data = _raw_data_path(descriptor)
        found = _raw_descriptors(data)
        if found and found[0] != descriptor:  # another descriptor of the same image reads it
            return []
        tags: dict[str, Any] = {}
        for d in reversed(found):  # the first descriptor's values win
            tags.update(_raw_tags(d))
        image = _raw_image(descriptor)
        meta = _tagged_meta(descriptor, data, tags, image.shape, fmt, f"{descriptor.suffix[1:]} metadata",
                            named=data)
        named = date_from_name(data)
        if named is not None and named != meta.time.astype("datetime64[D]"):
            raise ValueError(f"{descriptor}: the file name says {named} but the metadata say "
                             f"{meta.time.astype('datetime64[D]')} (field 'ACQUISITION_TIME')")
        return [meta]
    return read_meta


def _raw_data(meta: SlcMeta) -> np.ndarray:
    return _raw_image(meta.path, mmap=False)


def write_slc_raw(path: str | PathLike[str], data: np.ndarray, time: Any = None,
                  azimuth_spacing_m: float | None = None, range_spacing_m: float | None = None,
                  heading_deg: float | None = None, incidence_deg: float | None = None,
                  descriptors: Collection[str] = (".vrt", ".xml")) -> Path:
    """Write a complex SLC (azimuth, range) as ISCE2 does: little-endian complex64 raw ``path``
    (e.g. ``20170608.slc``) and the ``descriptors`` beside it — ``.vrt`` (GDAL VRTRawRasterBand),
    ``.xml`` (ISCE image), ``.hdr`` (ENVI) — each holding the given metadata (the GeoTIFF tag
    keys; None values are left out)."""
    from xml.sax.saxutils import escape

    from .envi import EnviHeader, write_envi_header

    data = np.asarray(data)
    if data.ndim != 2:
        raise ValueError(f"{path}: data must be 2-D (azimuth, range), got {data.shape}")
    unknown = sorted(set(descriptors) - set(RAW_DESCRIPTORS))
    if unknown:
        raise ValueError(f"descriptors: {unknown} not among {list(RAW_DESCRIPTORS)}")
    values = {"ACQUISITION_TIME": None if time is None else str(np.datetime64(time, "s")),
              "AZIMUTH_PIXEL_SPACING": azimuth_spacing_m, "RANGE_PIXEL_SPACING": range_spacing_m,
              "HEADING": heading_deg, "INCIDENCE_ANGLE": incidence_deg}
    tags = {k: v if isinstance(v, str) else repr(float(v)) for k, v in values.items() if v is not None}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.ascontiguousarray(data, "<c8").tofile(path)
    rows, cols = data.shape
    if ".vrt" in descriptors:
        meta = "".join(f'    <MDI key="{k}">{escape(v)}</MDI>\n' for k, v in tags.items())
        path.with_name(path.name + ".vrt").write_text(
            f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">\n'
            + (f"  <Metadata>\n{meta}  </Metadata>\n" if tags else "")
            + '  <VRTRasterBand dataType="CFloat32" band="1" subClass="VRTRawRasterBand">\n'
            f'    <SourceFilename relativeToVRT="1">{escape(path.name)}</SourceFilename>\n'
            f"    <ByteOrder>LSB</ByteOrder>\n    <ImageOffset>0</ImageOffset>\n"
            f"    <PixelOffset>8</PixelOffset>\n    <LineOffset>{8 * cols}</LineOffset>\n"
            "  </VRTRasterBand>\n</VRTDataset>\n")
    if ".xml" in descriptors:
        props = {"file_name": path.name, "width": cols, "length": rows, "number_bands": 1,
                 "data_type": "CFLOAT", "scheme": "BIP", "byte_order": "l", "image_type": "slc",
                 **{k.lower(): v for k, v in tags.items()}}
        body = "".join(f'  <property name="{k}"><value>{escape(str(v))}</value></property>\n'
                       for k, v in props.items())
        path.with_name(path.name + ".xml").write_text(f"<imageFile>\n{body}</imageFile>\n")
    if ".hdr" in descriptors:
        write_envi_header(path.with_name(path.name + ".hdr"),
                          EnviHeader(cols, rows, 1, 6, "bip", 0, description="gfjax SLC",
                                     extra=tuple((k.lower().replace("_", " "), v) for k, v in tags.items())))
    return path


def _raw_blocks(meta: SlcMeta) -> ImageBlocks:
    from .blocks import MemmapBlocks

    return MemmapBlocks(meta.data_path, (int(meta.shape[0]), int(meta.shape[1])), lambda: _raw_image(meta.path))


register_slc_format(SlcFormat("isce", ("*.slc.vrt", "*.slc.full.vrt", "*.slc.xml", "*.slc.full.xml"),
                              _raw_meta("isce"), _raw_data, _raw_blocks))
register_slc_format(SlcFormat("envi", ("*.slc.hdr", "*.slc.full.hdr"), _raw_meta("envi"), _raw_data, _raw_blocks))


# --- HDF5 stacks (gfjax.io.hdf5_stack) -------------------------------------------------------
def _hdf5_meta(path: Path) -> list[SlcMeta]:
    import h5py

    from .hdf5_stack import slc_stack_info

    info = slc_stack_info(path)
    with h5py.File(path, "r") as f:
        tags = _known_tags((k, v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items())
    tags.pop("ACQUISITION_TIME", None)  # the times are /dates (or the per-date dataset names)
    return [_tagged_meta(path, path, tags, info.shape[1:], "hdf5", "HDF5 attribute", index=i, time=t)
            for i, t in enumerate(info.dates)]


def _hdf5_data(meta: SlcMeta) -> np.ndarray:
    from .hdf5_stack import read_slc_stack

    slc, dates = read_slc_stack(meta.data_path, dates=[meta.time])
    out: np.ndarray = slc[0]
    return out


def _hdf5_blocks(meta: SlcMeta) -> ImageBlocks:
    import h5py

    from .blocks import H5Blocks
    from .hdf5_stack import slc_stack_info

    info = slc_stack_info(meta.data_path)
    i = int(np.searchsorted(info.dates, meta.time)) if meta.index is None else int(meta.index)
    shape = (int(info.shape[1]), int(info.shape[2]))
    if info.layout == "cube":
        return H5Blocks(meta.data_path, "slc", shape, i)
    with h5py.File(meta.data_path, "r") as f:
        name = sorted(f["slc"].keys())[i]
    return H5Blocks(meta.data_path, f"slc/{name}", shape)


register_slc_format(SlcFormat("hdf5", ("*.slc.h5", "*.slc.hdf5"), _hdf5_meta, _hdf5_data, _hdf5_blocks))
