"""Readers of coregistered SLC images, by file format: a small registry the stack loader uses.

A format is a :class:`SlcFormat`: glob patterns of the files that describe acquisitions in a
track folder, ``read_meta(path) → SlcMeta`` (cheap: no pixels) — or a list of them for a file
holding several dates (an HDF5 cube: ``SlcMeta.index`` then says which) — and
``read_data(meta) → complex64 (azimuth, range)``. Built in: GAMMA (``*.rslc.par``/``*.slc.par`` beside the
``.rslc``/``.slc`` data; :mod:`gfjax.io.gamma`) and GeoTIFF (``*.slc.tif``: one complex band,
or two float bands real/imag; metadata in GDAL tags ``ACQUISITION_TIME`` (ISO 8601 UTC),
``AZIMUTH_PIXEL_SPACING``, ``RANGE_PIXEL_SPACING`` (m), ``HEADING``, ``INCIDENCE_ANGLE``
(degrees); without ``ACQUISITION_TIME`` the date comes from the file name ``YYYYMMDD``).
Other modules add formats with :func:`register_slc_format` (e.g. ENVI, HDF5 stacks).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

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


SLC_FORMATS: dict[str, SlcFormat] = {}


def register_slc_format(fmt: SlcFormat) -> SlcFormat:
    """Add (or replace) a format; the stack loader looks for every registered pattern."""
    SLC_FORMATS[fmt.name] = fmt
    return fmt


def date_from_name(path) -> np.datetime64 | None:
    """``datetime64[D]`` of a leading ``YYYYMMDD`` in the file name, None if there is none;
    ``ValueError`` naming the file if the 8 digits are not a calendar date."""
    m = _DATE_IN_NAME.match(Path(path).name)
    if not m:
        return None
    s = m.group(1)
    try:
        return np.datetime64(f"{s[:4]}-{s[4:6]}-{s[6:]}", "D")
    except ValueError:
        raise ValueError(f"{path}: file name starts with {s!r}, which is not a date YYYYMMDD") from None


def find_acquisitions(folder) -> list[SlcMeta]:
    """Metadata of every SLC in ``folder`` (any registered format), sorted by time.
    ``ValueError`` if a file name's date disagrees with the date in its metadata, or two files
    share an acquisition time."""
    folder = Path(folder)
    metas, seen = [], set()
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


register_slc_format(SlcFormat("gamma", ("*.rslc.par", "*.slc.par"), _gamma_meta, _gamma_data))


# --- GeoTIFF --------------------------------------------------------------------------------
GEOTIFF_TAGS = ("ACQUISITION_TIME", "AZIMUTH_PIXEL_SPACING", "RANGE_PIXEL_SPACING", "HEADING", "INCIDENCE_ANGLE")


def _tag_float(path, tags: dict, key: str) -> float | None:
    if key not in tags:
        return None
    try:
        return float(tags[key])
    except ValueError:
        raise ValueError(f"{path}: GeoTIFF tag {key!r}: expected a number, got {tags[key]!r}") from None


def _geotiff_meta(path: Path) -> SlcMeta:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            tags, shape, count, dtype = src.tags(), (src.height, src.width), src.count, src.dtypes[0]
    if not ((count == 1 and dtype.startswith("complex")) or (count == 2 and dtype.startswith("float"))):
        raise ValueError(f"{path}: an SLC GeoTIFF needs one complex band or two float bands (real, imag), "
                         f"got {count} band(s) of {dtype}")
    if "ACQUISITION_TIME" in tags:
        try:
            time = np.datetime64(tags["ACQUISITION_TIME"].rstrip("Z"), "s")
        except ValueError:
            raise ValueError(f"{path}: GeoTIFF tag 'ACQUISITION_TIME': expected ISO 8601 "
                             f"(YYYY-MM-DDThh:mm:ss), got {tags['ACQUISITION_TIME']!r}") from None
    else:
        day = date_from_name(path)
        if day is None:
            raise ValueError(f"{path}: no ACQUISITION_TIME tag and no YYYYMMDD date in the file name")
        time = day.astype("datetime64[s]")
    return SlcMeta(path, path, time, shape, "geotiff", _tag_float(path, tags, "AZIMUTH_PIXEL_SPACING"),
                   _tag_float(path, tags, "RANGE_PIXEL_SPACING"), _tag_float(path, tags, "HEADING"),
                   _tag_float(path, tags, "INCIDENCE_ANGLE"))


def _geotiff_data(meta: SlcMeta) -> np.ndarray:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(meta.data_path) as src:
            data = src.read()
    if data.shape[0] == 2:
        return (data[0] + 1j * data[1]).astype(np.complex64)
    return data[0].astype(np.complex64)


def write_slc_geotiff(path, data: np.ndarray, time, azimuth_spacing_m: float, range_spacing_m: float,
                      heading_deg: float | None = None, incidence_deg: float | None = None) -> Path:
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


register_slc_format(SlcFormat("geotiff", ("*.slc.tif", "*.slc.tiff"), _geotiff_meta, _geotiff_data))
