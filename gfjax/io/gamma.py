"""GAMMA Remote Sensing formats: ISP parameter files, SLC images and DEM/MAP parameter files.

Everything GAMMA writes is raw, row-major (rows = azimuth lines, columns = range samples),
**big-endian**, described by a text parameter file of ``key:   value   unit`` lines under a title
line, e.g. ``20170103.rslc`` + ``20170103.rslc.par``::

    Gamma Interferometric SAR Processor (ISP) - Image Parameter File

    title:     S1A_IW_SLC ...
    date:      2017 01 03
    start_time:           15025.000000   s
    center_time:          15027.000000   s
    range_samples:                 4096
    azimuth_lines:                 1024
    image_format:              FCOMPLEX
    heading:                -19.0000000   degrees
    range_pixel_spacing:       2.329562   m
    azimuth_pixel_spacing:    13.968088   m
    incidence_angle:            39.0000   degrees

``image_format`` FCOMPLEX = pairs of ``>f4`` (``>c8``), SCOMPLEX = pairs of ``>i2``. The
acquisition time is ``date`` + ``center_time`` (seconds of the day, UTC; ``start_time`` if
``center_time`` is absent), kept to the second. ``heading`` (degrees clockwise from north) is
returned as written, not wrapped. Offsets (``.offs``/``.ccp``/``.off``) are in
:mod:`gfjax.io.gamma_offsets`.

Every reader checks the file size against the parameter file (rows × columns × bytes per
value), looks for byte-swapped (little-endian) data through implausible values, parses the
dates, and raises :class:`GammaFormatError` (a ``ValueError``) naming the file and the field.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..geometry.grid import MapGrid

ISP_IMAGE_TITLE = "Gamma Interferometric SAR Processor (ISP) - Image Parameter File"
DEM_TITLE = "Gamma DIFF&GEO DEM/MAP parameter file"
# bytes per pixel and the big-endian dtype of one pixel's components
IMAGE_FORMATS = {"FCOMPLEX": (8, ">f4"), "SCOMPLEX": (4, ">i2")}
DEM_FORMATS = {"REAL*4": (4, ">f4"), "INTEGER*2": (2, ">i2")}


class GammaFormatError(ValueError):
    """A GAMMA file that does not match its parameter file (or GAMMA's conventions)."""


# --- parameter files ------------------------------------------------------------------------
def read_par(path: str | PathLike[str]) -> tuple[list[str], dict[str, str]]:
    """``(title_lines, {key: raw value string})`` of a GAMMA parameter file (values keep their
    units, e.g. ``"2.329562   m"``). Lines without a colon before the first key are titles."""
    path = Path(path)
    if not path.is_file():
        raise GammaFormatError(f"{path}: parameter file not found")
    try:
        text = path.read_text(encoding="ascii", errors="strict")
    except UnicodeDecodeError:
        raise GammaFormatError(f"{path}: not a text parameter file (non-ASCII bytes)") from None
    titles: list[str] = []
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or " " in key.strip():
            if not values:
                titles.append(line.strip())
                continue
            raise GammaFormatError(f"{path}: line {line!r} is not a 'key: value' line")
        values[key.strip()] = value.strip()
    if not values:
        raise GammaFormatError(f"{path}: no 'key: value' lines (not a GAMMA parameter file)")
    return titles, values


def format_par(title_lines: list[str], items: list[tuple[str, str]]) -> str:
    """Parameter-file text as GAMMA writes it: title, blank line, ``key:`` then the value in
    aligned columns."""
    head = "\n".join(title_lines) + "\n\n" if title_lines else ""
    width = max([28] + [len(key) + 2 for key, _ in items])
    return head + "".join(f"{key + ':':<{width}}{value}".rstrip() + "\n" for key, value in items)


def par_value(x: float, unit: str = "") -> str:
    """A number for a parameter file, right-aligned, with its unit; ``repr`` is the shortest
    text that reads back as the same float (values round-trip bit for bit)."""
    text = repr(float(x))
    return f"{text:>18}   {unit}".rstrip()


def par_number(path: str | PathLike[str], values: dict[str, str], key: str, kind: type[float] | type[int] = float,
               required: bool = True, count: int = 1) -> Any:
    """Field ``key`` as ``kind`` (first ``count`` numbers; units after them are ignored): a ``kind``
    (``count`` 1), a tuple of them, or ``None`` (absent, not ``required``); typed ``Any``, as the
    type follows the arguments."""
    if key not in values:
        if required:
            raise GammaFormatError(f"{path}: field {key!r} missing")
        return None
    try:
        numbers = [float(t) for t in values[key].split()[:count]]
        if len(numbers) < count or (kind is int and any(n != int(n) for n in numbers)):
            raise ValueError
    except (ValueError, OverflowError):
        what = "an integer" if kind is int else "a number"
        raise GammaFormatError(f"{path}: field {key!r}: expected {what}"
                               f"{'' if count == 1 else f' x{count}'}, got {values[key]!r}") from None
    numbers = [kind(n) for n in numbers]
    return numbers[0] if count == 1 else tuple(numbers)


def parse_date(path: str | PathLike[str], values: dict[str, str], key: str = "date") -> np.datetime64:
    """``date:  YYYY MM DD [hh mm ss.s]`` → ``datetime64[s]`` (the calendar day and, with six
    numbers, the time written there)."""
    raw = values.get(key)
    if raw is None:
        raise GammaFormatError(f"{path}: field {key!r} missing")
    tokens = raw.split()
    try:
        y, m, d = (int(t) for t in tokens[:3])
        day = np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D")
        seconds = 0.0
        if len(tokens) >= 6:
            hh, mm, ss = int(tokens[3]), int(tokens[4]), float(tokens[5])
            if not (0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 61):
                raise ValueError
            seconds = 3600 * hh + 60 * mm + ss
    except (ValueError, TypeError):
        raise GammaFormatError(f"{path}: field {key!r}: expected 'YYYY MM DD' (optionally 'hh mm ss'), "
                               f"got {raw!r}") from None
    out: np.datetime64 = day.astype("datetime64[s]") + np.timedelta64(int(round(seconds)), "s")
    return out


# --- SLC parameters -------------------------------------------------------------------------
@dataclass(frozen=True)
class SlcParams:
    """What gfjax needs from an ISP image parameter file (``extra`` keeps every other field,
    raw, and is written back unchanged)."""

    time: np.datetime64  # acquisition time (date + center_time), UTC, datetime64[s]
    range_samples: int
    azimuth_lines: int
    range_pixel_spacing: float  # slant range, m
    azimuth_pixel_spacing: float  # m
    image_format: str = "FCOMPLEX"
    heading: float | None = None  # degrees clockwise from north (as written, not wrapped)
    incidence_angle: float | None = None  # degrees, scene centre
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.azimuth_lines, self.range_samples)

    @property
    def nbytes(self) -> int:
        return self.azimuth_lines * self.range_samples * IMAGE_FORMATS[self.image_format][0]


_SLC_KEYS = ("title", "date", "start_time", "center_time", "range_samples", "azimuth_lines",
             "image_format", "heading", "range_pixel_spacing", "azimuth_pixel_spacing", "incidence_angle")


def read_slc_par(path: str | PathLike[str]) -> SlcParams:
    """Parse an ISP image parameter file (``.slc.par``/``.rslc.par``); errors name the field."""
    path = Path(path)
    _, v = read_par(path)
    day = parse_date(path, v)
    time_key = "center_time" if "center_time" in v else "start_time"
    seconds = par_number(path, v, time_key, required=False)
    if seconds is not None:
        if not 0.0 <= seconds < 86400.0 + 3600.0:
            raise GammaFormatError(f"{path}: field {time_key!r}: expected seconds of the day "
                                   f"(0 … 86400), got {seconds}")
        day = day.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(int(round(seconds)), "s")
    fmt = v.get("image_format", "").split()[0] if v.get("image_format") else ""
    if fmt not in IMAGE_FORMATS:
        raise GammaFormatError(f"{path}: field 'image_format': expected one of {sorted(IMAGE_FORMATS)}, "
                               f"got {v.get('image_format')!r}")
    params: dict[str, Any] = {}
    for key in ("range_samples", "azimuth_lines"):
        params[key] = par_number(path, v, key, int)
        if params[key] < 1:
            raise GammaFormatError(f"{path}: field {key!r}: expected a count >= 1, got {params[key]}")
    for key in ("range_pixel_spacing", "azimuth_pixel_spacing"):
        params[key] = par_number(path, v, key)
        if not params[key] > 0:
            raise GammaFormatError(f"{path}: field {key!r}: expected a spacing > 0 m, got {params[key]}")
    return SlcParams(time=day, image_format=fmt, heading=par_number(path, v, "heading", required=False),
                     incidence_angle=par_number(path, v, "incidence_angle", required=False),
                     title=v.get("title", ""), extra={k: s for k, s in v.items() if k not in _SLC_KEYS},
                     **params)


def write_slc_par(path: str | PathLike[str], p: SlcParams) -> Path:
    """Write ``p`` as an ISP image parameter file (GAMMA's title, keys, units)."""
    day = p.time.astype("datetime64[D]")
    y, m, d = (int(s) for s in str(day).split("-"))
    sec = float((p.time - day.astype("datetime64[s]")) / np.timedelta64(1, "s"))
    items = [("title", p.title), ("date", f"{y:4d} {m:02d} {d:02d}"),
             ("start_time", par_value(sec, "s")), ("center_time", par_value(sec, "s")),
             ("range_samples", f"{p.range_samples:>18d}"), ("azimuth_lines", f"{p.azimuth_lines:>18d}"),
             ("image_format", f"{p.image_format:>18}")]
    if p.heading is not None:
        items.append(("heading", par_value(p.heading, "degrees")))
    items += [("range_pixel_spacing", par_value(p.range_pixel_spacing, "m")),
              ("azimuth_pixel_spacing", par_value(p.azimuth_pixel_spacing, "m"))]
    if p.incidence_angle is not None:
        items.append(("incidence_angle", par_value(p.incidence_angle, "degrees")))
    items += [(k, s) for k, s in p.extra.items() if k not in dict(items)]
    path = Path(path)
    path.write_text(format_par([ISP_IMAGE_TITLE], items))
    return path


# --- raw rasters ----------------------------------------------------------------------------
def check_size(path: str | PathLike[str], expected: int, par_path: str | PathLike[str], fields: str) -> None:
    """``GammaFormatError`` if the file's size differs from what the parameter file implies."""
    path = Path(path)
    if not path.is_file():
        raise GammaFormatError(f"{path}: data file not found (described by {par_path})")
    size = path.stat().st_size
    if size != expected:
        what = "truncated" if size < expected else "larger than described"
        raise GammaFormatError(f"{path}: {size} bytes, but {par_path} ({fields}) implies {expected} bytes "
                               f"({what}; wrong file or parameter file?)")


def _plausible_fraction(values: np.ndarray) -> float:
    """Fraction of finite, non-zero values of a sensible magnitude (1e-15 … 1e15; byte-swapped
    float32 spread their exponents over 1e-38 … 1e38, about 25% of them land inside)."""
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(values[values != 0].astype(np.float64))
    if a.size == 0:
        return 1.0
    return float(np.mean(np.isfinite(a) & (a > 1e-15) & (a < 1e15)))


def check_byte_order(path: str | PathLike[str], raw: np.ndarray, fmt: str) -> None:
    """Detect little-endian (byte-swapped) data read as GAMMA's big-endian from the values:
    swapped float32 turn into denormals/NaN/huge numbers; swapped int16 amplitudes grow ×256."""
    sample = raw.ravel()[:: max(1, raw.size // 200_000)]
    if sample.dtype.kind == "f":
        here = _plausible_fraction(sample)
        swapped = _plausible_fraction(sample.view(sample.dtype.newbyteorder()))
        if here < 0.9 and swapped > here + 0.2:
            raise GammaFormatError(f"{path}: values look byte-swapped ({100 * (1 - here):.0f}% implausible "
                                   f"{fmt} values as big-endian, {100 * (1 - swapped):.0f}% if little-endian); "
                                   "GAMMA files are big-endian (convert with swap_bytes)")
        if here < 0.5:
            raise GammaFormatError(f"{path}: {100 * (1 - here):.0f}% of the values are NaN/inf/denormal as "
                                   f"{fmt}: wrong image_format or not a GAMMA file")
        return
    nz = sample[sample != 0].astype(np.int32)
    if nz.size < 16:
        return
    low = nz & 0xFF
    swapped_ints = sample.view(sample.dtype.newbyteorder())
    nz_sw = np.abs(swapped_ints[swapped_ints != 0].astype(np.float64))
    if np.mean((low == 0) | (low == 0xFF)) > 0.5 and np.median(nz_sw) * 16 < np.median(np.abs(nz)):
        raise GammaFormatError(f"{path}: values look byte-swapped (most {fmt} values are multiples of "
                               "256 as big-endian); GAMMA files are big-endian")


def read_raw(path: str | PathLike[str], shape: tuple[int, int], dtype: str, components: int,
             par_path: str | PathLike[str], fields: str, label: str, check: bool = True) -> np.ndarray:
    """A raw big-endian raster (rows, cols[, components]) after the size check against the
    parameter file (``fields`` names what it says) and, with ``check``, the byte-order check
    (``label`` names the format in messages)."""
    n = int(np.prod(shape)) * components
    check_size(path, n * np.dtype(dtype).itemsize, par_path, fields)
    raw = np.fromfile(path, dtype=dtype, count=n)
    if check:
        check_byte_order(path, raw, label)
    return raw.reshape(*shape, components) if components > 1 else raw.reshape(shape)


# --- SLC images -----------------------------------------------------------------------------
def slc_par_path(path: str | PathLike[str]) -> Path:
    """The parameter file of an SLC: ``<file>.par``."""
    return Path(str(path) + ".par")


def read_slc(path: str | PathLike[str], par: str | PathLike[str] | SlcParams | None = None,
             check: bool = True) -> tuple[np.ndarray, SlcParams]:
    """``(complex64 (azimuth_lines, range_samples), params)`` of a GAMMA SLC (``.slc``/``.rslc``);
    ``par``: its parameter file (default ``<path>.par``) or parsed :class:`SlcParams`;
    ``check``: look for byte-swapped values (a strided sample of ~200k values)."""
    par_path = slc_par_path(path) if par is None or isinstance(par, SlcParams) else Path(par)
    p = par if isinstance(par, SlcParams) else read_slc_par(par_path)
    _, dtype = IMAGE_FORMATS[p.image_format]
    fields = (f"range_samples={p.range_samples}, azimuth_lines={p.azimuth_lines}, "
              f"image_format={p.image_format}")
    raw = read_raw(path, p.shape, dtype, 2, par_path, fields, p.image_format, check=check)
    out = np.empty(p.shape, np.complex64)
    out.real, out.imag = raw[..., 0], raw[..., 1]
    return out, p


def write_slc(path: str | PathLike[str], data: np.ndarray, params: SlcParams) -> tuple[Path, Path]:
    """Write ``data`` (complex, (lines, samples)) and its parameter file (``<path>.par``) in
    ``params.image_format``; the shape fields are set from ``data``. SCOMPLEX rounds to int16
    (``ValueError`` if a value does not fit)."""
    data = np.asarray(data)
    if data.ndim != 2 or not np.iscomplexobj(data):
        raise ValueError(f"{path}: data must be a complex (azimuth_lines, range_samples) array, "
                         f"got {data.dtype} {data.shape}")
    if params.image_format not in IMAGE_FORMATS:
        raise ValueError(f"{path}: image_format must be one of {sorted(IMAGE_FORMATS)}, got {params.image_format!r}")
    p = dataclasses.replace(params, azimuth_lines=data.shape[0], range_samples=data.shape[1])
    _, dtype = IMAGE_FORMATS[p.image_format]
    parts = np.stack([data.real, data.imag], axis=-1)
    if p.image_format == "SCOMPLEX":
        parts = np.rint(parts)
        if np.abs(parts).max(initial=0) > 32767:
            raise ValueError(f"{path}: values exceed the int16 range of SCOMPLEX; use FCOMPLEX")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts.astype(dtype).tofile(path)
    return path, write_slc_par(slc_par_path(path), p)


# --- DEM / MAP parameter files (optional DEM input) -----------------------------------------
def read_dem(path: str | PathLike[str], par: str | PathLike[str] | None = None) -> tuple[np.ndarray, MapGrid]:
    """``(float32 (nlines, width) DEM, MapGrid)`` of a GAMMA DEM and its DEM_par (default
    ``<path>.par``). UTM projections only (``DEM_projection: UTM``); ``corner_north``/
    ``corner_east`` are the centre of the first pixel (GAMMA's convention), square posts."""
    from ..geometry.grid import MapGrid

    par = Path(par) if par is not None else slc_par_path(path)
    _, v = read_par(par)
    proj = v.get("DEM_projection", "").split()[0] if v.get("DEM_projection") else ""
    if proj != "UTM":
        raise GammaFormatError(f"{par}: field 'DEM_projection': only UTM is supported, got {proj!r}")
    fmt = v.get("data_format", "REAL*4").split()[0]
    if fmt not in DEM_FORMATS:
        raise GammaFormatError(f"{par}: field 'data_format': expected one of {sorted(DEM_FORMATS)}, got {fmt!r}")
    width, nlines = par_number(par, v, "width", int), par_number(par, v, "nlines", int)
    north, east = par_number(par, v, "corner_north"), par_number(par, v, "corner_east")
    post_n, post_e = par_number(par, v, "post_north"), par_number(par, v, "post_east")
    if not (post_n < 0 < post_e and np.isclose(-post_n, post_e)):
        raise GammaFormatError(f"{par}: fields 'post_north'/'post_east': expected square north-up posts "
                               f"(post_north = -post_east < 0), got {post_n}, {post_e}")
    zone = par_number(par, v, "projection_zone", int)
    south = (par_number(par, v, "false_northing", required=False) or 0.0) >= 5e6
    size, dtype = DEM_FORMATS[fmt]
    dem = read_raw(path, (nlines, width), dtype, 1, par,
                   f"width={width}, nlines={nlines}, data_format={fmt}", fmt)
    scale = par_number(par, v, "DEM_scale", required=False) or 1.0
    offset = par_number(par, v, "DEM_hgt_offset", required=False) or 0.0
    grid = MapGrid((32700 if south else 32600) + zone, east - post_e / 2, north + post_e / 2, post_e, width, nlines)
    return (dem.astype(np.float32) * np.float32(scale) + np.float32(offset)), grid


def write_dem(path: str | PathLike[str], dem: np.ndarray, grid: MapGrid,
              title: str = "gfjax DEM") -> tuple[Path, Path]:
    """Write a REAL*4 GAMMA DEM and its DEM_par (``<path>.par``) on a UTM ``grid``."""
    epsg = int(grid.epsg)
    if not (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        raise ValueError(f"{path}: GAMMA DEM_par output supports WGS 84 / UTM grids only, got EPSG:{epsg}")
    dem = np.asarray(dem, np.float32)
    if dem.shape != grid.shape:
        raise ValueError(f"{path}: DEM shape {dem.shape} differs from the grid's {grid.shape}")
    items = [("title", title), ("DEM_projection", "UTM"), ("data_format", "REAL*4"),
             ("DEM_hgt_offset", par_value(0.0)), ("DEM_scale", par_value(1.0)),
             ("width", f"{grid.nx:>18d}"), ("nlines", f"{grid.ny:>18d}"),
             ("corner_north", par_value(grid.y0 - grid.spacing / 2, "m")),
             ("corner_east", par_value(grid.x0 + grid.spacing / 2, "m")),
             ("post_north", par_value(-grid.spacing, "m")), ("post_east", par_value(grid.spacing, "m")),
             ("ellipsoid_name", "WGS 84"), ("projection_name", "UTM"),
             ("projection_zone", f"{epsg % 100:>18d}"),
             ("false_easting", par_value(500000.0, "m")),
             ("false_northing", par_value(10000000.0 if epsg > 32700 else 0.0, "m"))]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dem.astype(">f4").tofile(path)
    par = slc_par_path(path)
    par.write_text(format_par([DEM_TITLE], items))
    return path, par
