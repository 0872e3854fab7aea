"""Sentinel-1 IW SLC products (SAFE folder or .zip) through xarray-sentinel, read by windows.

:func:`open_safe` reads the manifest (xarray-sentinel's ``parse_manifest_sentinel1``) and finds
the swaths and polarisation present (VV, else HH, unless asked); :meth:`SafeProduct.swath` (or
:func:`read_swath` for one call) reads one swath's annotation with xarray-sentinel's openers:
orbit state vectors, Doppler centroid estimates, azimuth FM rates, the geolocation grid
(xarray Datasets as xarray-sentinel gives them), and its XML-schema decoder for the burst list.
What xarray-sentinel lacks is kept here: the per-burst valid lines and samples, byte offsets,
burst ids, the relative orbit from the absolute one, consistency checks with clear errors, and
a reader that takes only a block of one burst from the measurement TIFF
(:meth:`SafeSwath.read_window`, a rasterio window, through ``/vsizip/`` inside a zip) — a full
swath (~13,600 × 24,200 CInt16 samples) is never loaded. Measurement rasters may be absent
(metadata-only skeletons): everything but :meth:`~SafeSwath.read_window` still works.

Times are ``numpy.datetime64[ns]`` UTC; lines and samples are 0-based; swath line ``l`` lies in
burst ``l // lines_per_burst`` (the TIFF stacks the bursts, overlaps included). Errors are
:class:`Sentinel1Error` (a ``ValueError``) naming the file and the field.
"""
from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath

from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np

from .orbit import StateVectors

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Burst", "SPEED_OF_LIGHT", "SafeProduct", "SafeSwath", "Sentinel1Error", "find_annotations", "open_safe",
           "read_swath", "relative_orbit"]

SPEED_OF_LIGHT = 299_792_458.0
ORBIT_OFFSET = {"S1A": 73, "S1B": 27, "S1C": 172}
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")
_T = TypeVar("_T")


class Sentinel1Error(ValueError):
    """Missing or inconsistent SAFE content; the message names the file and the field."""


def relative_orbit(mission: str, absolute_orbit: int) -> int:
    """Relative orbit (track, 1…175) of a Sentinel-1 absolute orbit number."""
    if mission.upper() not in ORBIT_OFFSET:
        raise Sentinel1Error(f"relative_orbit: mission must be one of {sorted(ORBIT_OFFSET)}, got {mission!r}")
    return (int(absolute_orbit) - ORBIT_OFFSET[mission.upper()]) % 175 + 1


def _time(value: object, field: str, where: str) -> np.datetime64:
    text = str(value).strip()
    if not _TIME.fullmatch(text):
        raise Sentinel1Error(f"{where}: field {field} must be a UTC time YYYY-MM-DDTHH:MM:SS[.ffffff], got {text!r}")
    try:
        return np.datetime64(text.rstrip("Z"), "ns")
    except ValueError:
        raise Sentinel1Error(f"{where}: field {field} is not a valid time: {text!r}") from None


@dataclass(frozen=True)
class Burst:
    """One TOPS burst. Times datetime64[ns]; valid samples per line of the burst (−1 = none)."""

    index: int
    azimuth_time: np.datetime64          # zero-Doppler time of the burst's first line
    sensing_time: np.datetime64
    azimuth_anx_time_s: float
    byte_offset: int
    first_valid_sample: tuple[int, ...]
    last_valid_sample: tuple[int, ...]
    burst_id: int | None
    first_line: int = 0                  # swath line of the burst's first line
    lines: int = 0                       # lines per burst

    @property
    def valid_lines(self) -> tuple[int, int]:
        """(first, last) line of the burst with valid samples (inclusive, 0-based in the burst)."""
        ok = np.flatnonzero(np.asarray(self.first_valid_sample) >= 0)
        return (int(ok[0]), int(ok[-1])) if ok.size else (-1, -1)

    @property
    def valid_samples(self) -> tuple[int, int]:
        """(first, last) sample valid on every valid line (inclusive, swath samples)."""
        first, last = np.asarray(self.first_valid_sample), np.asarray(self.last_valid_sample)
        ok = first >= 0
        return (int(first[ok].max()), int(last[ok].min())) if ok.any() else (-1, -1)


@dataclass(frozen=True, eq=False)
class SafeSwath:
    """One swath and polarisation of a Sentinel-1 SLC product: metadata and a windowed reader."""

    product: str                    # SAFE name, e.g. S1A_IW_SLC__1SDV_2022…_6681
    annotation: str                 # annotation file inside the SAFE
    mission: str                    # S1A | S1B | …
    platform: str                   # SENTINEL-1A
    mode: str                       # IW
    swath: str                      # IW2
    polarisation: str               # VV
    pass_direction: str             # ASCENDING | DESCENDING
    platform_heading_deg: float
    incidence_mid_deg: float
    incidence_near_deg: float
    incidence_far_deg: float
    range_pixel_spacing_m: float
    azimuth_pixel_spacing_m: float
    azimuth_time_interval_s: float
    range_sampling_rate_hz: float
    slant_range_time_s: float       # two-way slant range time of the first sample
    radar_frequency_hz: float
    first_line_time: np.datetime64
    last_line_time: np.datetime64
    number_of_lines: int
    number_of_samples: int
    lines_per_burst: int
    samples_per_burst: int
    bursts: tuple[Burst, ...]
    absolute_orbit: int
    relative_orbit: int
    measurement: str | None         # measurement TIFF listed in the manifest
    measurement_present: bool       # whether that TIFF is in the folder / zip
    azimuth_steering_rate_deg_s: float = np.nan
    orbit: StateVectors | None = None          # the annotation's state vectors
    dc_estimate: xr.Dataset | None = None      # xarray-sentinel dc_estimate group
    azimuth_fm_rate: xr.Dataset | None = None  # xarray-sentinel azimuth_fm_rate group
    geolocation: xr.Dataset | None = None      # xarray-sentinel gcp group (lat, lon, height per line/pixel)
    measurement_path: str | None = field(default=None, repr=False)  # GDAL path (/vsizip/… inside a zip)

    @property
    def wavelength_m(self) -> float:
        return SPEED_OF_LIGHT / self.radar_frequency_hz

    @property
    def near_range_m(self) -> float:
        """Slant range of the first sample, m."""
        return self.slant_range_time_s * SPEED_OF_LIGHT / 2.0

    def polynomials(self, burst: int) -> dict[str, float | np.ndarray]:
        """Doppler centroid and azimuth FM-rate polynomials nearest the burst's mid time.

        ``{"dc_t0", "dc": data_dc_polynomial, "fm_t0", "fm": azimuth_fm_rate_polynomial}``: Hz
        (Hz/s for FM) as polynomials of (two-way slant range time − t0), coefficients lowest first.
        """
        if self.dc_estimate is None or self.azimuth_fm_rate is None:
            raise Sentinel1Error(f"{self.product} {self.swath}: no Doppler centroid / FM rate read")
        b = self.bursts[burst]
        mid = b.azimuth_time + np.timedelta64(int(b.lines * self.azimuth_time_interval_s * 0.5e9), "ns")
        dc = self.dc_estimate.sel(azimuth_time=mid, method="nearest")
        fm = self.azimuth_fm_rate.sel(azimuth_time=mid, method="nearest")
        return {"dc_t0": float(dc.t0), "dc": dc.data_dc_polynomial.values,
                "fm_t0": float(fm.t0), "fm": fm.azimuth_fm_rate_polynomial.values}

    def read_window(self, burst: int, lines: tuple[int, int], samples: tuple[int, int]) -> np.ndarray:
        """complex64 block of one burst: burst lines ``[lines[0], lines[1])``, swath samples ``[samples[0], samples[1])``.

        Only that window is read from the measurement TIFF (rasterio, ``/vsizip/`` inside a zip).
        """
        import rasterio
        from rasterio.windows import Window

        if not (0 <= burst < len(self.bursts)):
            raise Sentinel1Error(f"{self.product} {self.swath}: burst must be in 0…{len(self.bursts) - 1}, got {burst}")
        (l0, l1), (s0, s1) = (int(v) for v in lines), (int(v) for v in samples)
        if not (0 <= l0 < l1 <= self.lines_per_burst):
            raise Sentinel1Error(f"{self.product} {self.swath}: lines must satisfy 0 ≤ start < stop ≤ "
                                 f"linesPerBurst {self.lines_per_burst}, got ({l0}, {l1})")
        if not (0 <= s0 < s1 <= self.number_of_samples):
            raise Sentinel1Error(f"{self.product} {self.swath}: samples must satisfy 0 ≤ start < stop ≤ "
                                 f"numberOfSamples {self.number_of_samples}, got ({s0}, {s1})")
        if not self.measurement_present or self.measurement_path is None:
            raise Sentinel1Error(f"{self.product}: measurement raster {self.measurement} is not in the product")
        row0 = self.bursts[burst].first_line + l0
        with warnings.catch_warnings(), rasterio.Env():
            # radar-geometry TIFFs carry GCPs at most (none when written sparse): not an error here
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with rasterio.open(self.measurement_path) as src:
                if (src.height, src.width) != (self.number_of_lines, self.number_of_samples):
                    raise Sentinel1Error(f"{self.measurement_path}: raster is {src.height} × {src.width}, the "
                                         f"annotation says numberOfLines × numberOfSamples = {self.number_of_lines} × "
                                         f"{self.number_of_samples}")
                block: np.ndarray = src.read(1, window=Window(s0, row0, s1 - s0, l1 - l0))
        return block.astype(np.complex64, copy=False)


@dataclass(frozen=True)
class SafeProduct:
    """A SAFE product as its manifest describes it, with the swaths whose annotation is present."""

    path: Path
    name: str
    mission: str
    mode: str
    pass_direction: str
    absolute_orbit: int
    relative_orbit: int
    start_time: np.datetime64
    stop_time: np.datetime64
    annotations: dict[tuple[str, str], str]   # (swath, pol) → annotation file inside the SAFE (present)
    measurements: dict[tuple[str, str], str]  # (swath, pol) → measurement TIFF listed in the manifest
    _url: str = field(repr=False)   # fsspec url of manifest.safe
    _zip_prefix: str | None = field(repr=False, default=None)  # SAFE folder inside the zip

    def gdal_path(self, member: str) -> str:
        """GDAL path of a file of the SAFE (``/vsizip/…`` inside a zip)."""
        if self._zip_prefix is None:
            return str(self.path / member)
        inner = "/".join(p for p in (self._zip_prefix, member) if p)
        return f"/vsizip/{self.path.resolve()}/{inner}"     # /vsizip//abs/x.zip/inner for an absolute path

    @property
    def swaths(self) -> tuple[str, ...]:
        return tuple(sorted({s for s, _ in self.annotations}))

    @property
    def polarisations(self) -> tuple[str, ...]:
        return tuple(sorted({p for _, p in self.annotations}))

    def swath(self, swath: str | None = None, polarisation: str | None = None) -> SafeSwath:
        """One swath (``"IW2"``) and polarisation (default VV, else HH); ``None`` = the only one present."""
        cands = [(s, p) for s, p in self.annotations if (swath is None or s == swath.upper())
                 and (polarisation is None or p == polarisation.upper())]
        if polarisation is None and len({p for _, p in cands}) > 1:
            for pref in ("VV", "HH"):
                if any(p == pref for _, p in cands):
                    cands = [c for c in cands if c[1] == pref]
                    break
        if len(cands) != 1:
            have = sorted(self.annotations.values())
            what = f"swath {swath or 'any'}, polarisation {polarisation or 'any'}"
            raise Sentinel1Error(f"{self.path}: {'no' if not cands else 'more than one'} annotation XML for {what} "
                                 f"under annotation/ (found: {', '.join(have) or 'none'})")
        return _read_annotation(self, *cands[0])


def _read_member(fs: Any, member: str, path: Path, name: str) -> bytes:
    """Bytes of one file of the SAFE; a damaged zip member is a Sentinel1Error naming it."""
    try:
        with fs.open(member) as f:
            return bytes(f.read())
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise Sentinel1Error(f"{path}: cannot read {name} ({type(exc).__name__}: {exc}); "
                             "is the product truncated or corrupt?") from None


def _xs() -> tuple[Any, Any]:
    """xarray-sentinel's (esa_safe, sentinel1) modules, imported on first use (~0.8 s with xarray, dask)."""
    from xarray_sentinel import esa_safe, sentinel1
    return esa_safe, sentinel1


def _locate(path: Path) -> tuple[str, str | None, str]:
    """(fsspec url of manifest.safe, SAFE folder inside the zip or None, product name) of a folder or zip."""
    if path.is_dir():
        if not (path / "manifest.safe").is_file():
            raise Sentinel1Error(f"{path}: no manifest.safe in the SAFE folder")
        return str(path / "manifest.safe"), None, path.name.removesuffix(".SAFE")
    if not zipfile.is_zipfile(path):
        raise Sentinel1Error(f"{path}: not a SAFE folder or a zip file (a truncated download is not a valid zip)")
    with zipfile.ZipFile(path) as z:
        manifests = [m for m in z.namelist() if PurePosixPath(m).name == "manifest.safe"
                     and not m.startswith("__MACOSX/")]
    if len(manifests) != 1:
        raise Sentinel1Error(f"{path}: expected one manifest.safe in the zip, found {len(manifests)}")
    prefix = manifests[0][: -len("manifest.safe")].rstrip("/")
    name = (PurePosixPath(prefix).name or path.stem).removesuffix(".SAFE")
    return f"zip://{manifests[0]}::{path.resolve()}", prefix, name


def open_safe(path: str | PathLike[str]) -> SafeProduct:
    """Open a SAFE folder or .zip: manifest facts and the annotations present (no raster is read)."""
    path = Path(path)
    if not path.exists():
        raise Sentinel1Error(f"{path}: Sentinel-1 product not found")
    url, zip_prefix, name = _locate(path)
    esa_safe, xs1 = _xs()
    fs, manifest = xs1.get_fs_path(url)
    data = _read_member(fs, manifest, path, "manifest.safe")
    try:
        attrs, files = esa_safe.parse_manifest_sentinel1(io.BytesIO(data))
    except (ValueError, ET.ParseError) as exc:
        raise Sentinel1Error(f"{path}: manifest.safe: {exc}") from None
    product_path = str(PurePosixPath(manifest).parent)
    groups = xs1.find_available_groups(files, product_path, attrs["product_type"], fs=fs)
    annotations, measurements = {}, {}
    for key, paths in groups.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "orbit":
            rel = PurePosixPath(paths[0]).relative_to(product_path).as_posix()
            if fs.exists(paths[0]):
                annotations[(parts[0], parts[1])] = rel
        if len(parts) == 2:
            tiffs = [p for p in paths if p.lower().endswith((".tiff", ".tif"))]
            if tiffs:
                measurements[(parts[0], parts[1])] = PurePosixPath(tiffs[0]).relative_to(product_path).as_posix()
    mission = f"S1{attrs['number']}"
    return SafeProduct(path=path, name=name, mission=mission, mode=attrs["mode"], pass_direction=attrs["pass"],
                       absolute_orbit=int(attrs["orbit_number"]),
                       relative_orbit=int(attrs["relative_orbit_number"]),
                       start_time=_time(attrs["start_time"], "startTime", f"{path}:manifest.safe"),
                       stop_time=_time(attrs["stop_time"], "stopTime", f"{path}:manifest.safe"),
                       annotations=annotations, measurements=measurements, _url=url, _zip_prefix=zip_prefix)


def read_swath(path: str | PathLike[str], swath: str | None = None, polarisation: str | None = None) -> SafeSwath:
    """Metadata of one swath and polarisation of a SAFE folder or .zip (see :meth:`SafeProduct.swath`)."""
    return open_safe(path).swath(swath, polarisation)


def find_annotations(path: str | PathLike[str]) -> list[str]:
    """Annotation files (``annotation/s1?-<swath>-slc-<pol>-….xml``) present in a SAFE folder or zip."""
    return sorted(open_safe(path).annotations.values())


@overload
def _field(tag: dict[str, Any], key: str, where: str) -> float: ...
@overload
def _field(tag: dict[str, Any], key: str, where: str, kind: type[_T]) -> _T: ...


def _field(tag: dict[str, Any], key: str, where: str, kind: Callable[[Any], Any] = float) -> Any:
    """A decoded annotation value as ``kind`` (float, int, str), or a Sentinel1Error naming it."""
    value = tag.get(key) if isinstance(tag, dict) else None
    if isinstance(value, dict):
        value = value.get("$")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Sentinel1Error(f"{where}: missing field {key}")
    try:
        out = kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise Sentinel1Error(f"{where}: field {key} must be {'a number' if kind is not str else 'text'}, "
                             f"got {value!r}") from None
    if kind is int and out != float(value):
        raise Sentinel1Error(f"{where}: field {key} must be an integer, got {value!r}")
    return out


def _read_annotation(product: SafeProduct, swath: str, pol: str) -> SafeSwath:
    name = product.annotations[(swath, pol)]
    where = f"{product.path}:{name}"
    esa_safe, xs1 = _xs()
    fs, manifest = xs1.get_fs_path(product._url)
    data = _read_member(fs, f"{PurePosixPath(manifest).parent}/{name}", product.path, name)

    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise Sentinel1Error(f"{where}: not valid XML ({exc})") from None

    def part(*path: str) -> io.StringIO:
        # xmlschema's "//tag" queries walk the whole 1.5 MB tree (~0.2 s each): hand each one
        # only the branch it reads, under the same element path from <product>
        node = root.find("/".join(path))
        if node is None:
            raise Sentinel1Error(f"{where}: missing field {'/'.join(path)}")
        top = cur = ET.Element(root.tag)
        for name in path[:-1]:
            cur = ET.SubElement(cur, name)
        cur.append(node)
        return io.StringIO(ET.tostring(top, encoding="unicode"))

    def tag(*path: str) -> dict[str, Any]:
        try:
            decoded: dict[str, Any] = esa_safe.parse_tag(part(*path), "//" + path[-1])
            return decoded
        except Sentinel1Error:
            raise
        except Exception as exc:          # xmlschema errors on a broken branch
            raise Sentinel1Error(f"{where}: cannot decode {'/'.join(path)} ({exc})") from None

    header, timing = tag("adsHeader"), tag("swathTiming")
    info = tag("generalAnnotation", "productInformation")
    image = tag("imageAnnotation", "imageInformation")
    mission = _field(header, "missionId", where, str).upper()
    pass_dir = _field(info, "pass", where, str).upper()
    if pass_dir not in ("ASCENDING", "DESCENDING"):
        raise Sentinel1Error(f"{where}: field pass must be Ascending or Descending, got {pass_dir!r}")
    if product.pass_direction != pass_dir:
        raise Sentinel1Error(f"{product.path}: manifest.safe says pass {product.pass_direction}, {name} says {pass_dir}")
    abs_orbit = _field(header, "absoluteOrbitNumber", where, int)
    track = relative_orbit(mission, abs_orbit)
    if product.relative_orbit != track:
        raise Sentinel1Error(f"{product.path}: manifest.safe relativeOrbitNumber {product.relative_orbit} differs "
                             f"from {track} expected from absolute orbit {abs_orbit} of {mission}")
    first = _time(_field(image, "productFirstLineUtcTime", where, str), "productFirstLineUtcTime", where)
    last = _time(_field(image, "productLastLineUtcTime", where, str), "productLastLineUtcTime", where)
    if last <= first:
        raise Sentinel1Error(f"{where}: productLastLineUtcTime {last} is not after productFirstLineUtcTime {first}")
    lines_per_burst = _field(timing, "linesPerBurst", where, int)
    samples_per_burst = _field(timing, "samplesPerBurst", where, int)
    bursts = _bursts(timing, lines_per_burst, where)
    step = np.diff([b.byte_offset for b in bursts])
    burst_bytes = lines_per_burst * samples_per_burst * 4            # complex int16 samples
    if step.size and not np.all(step == burst_bytes):
        raise Sentinel1Error(f"{where}: burst byteOffset steps {sorted(set(step.tolist()))} must equal "
                             f"linesPerBurst × samplesPerBurst × 4 bytes = {burst_bytes}")
    n_lines = _field(image, "numberOfLines", where, int)
    if bursts and n_lines != len(bursts) * lines_per_burst:
        raise Sentinel1Error(f"{where}: numberOfLines {n_lines} must equal {len(bursts)} bursts × "
                             f"linesPerBurst {lines_per_burst} = {len(bursts) * lines_per_burst}")
    gcp = xs1.open_gcp_dataset(part("geolocationGrid"))
    orbit = xs1.open_orbit_dataset(part("generalAnnotation", "orbitList"))
    vectors = StateVectors(orbit.azimuth_time.values.astype("datetime64[ns]"),
                           np.ascontiguousarray(orbit.position.values.T, dtype=np.float64),
                           np.ascontiguousarray(orbit.velocity.values.T, dtype=np.float64), "annotation", where)
    inc = gcp.incidenceAngle.values
    measurement = product.measurements.get((swath, pol))
    present = measurement is not None and xs1.get_fs_path(product._url)[0].exists(
        f"{PurePosixPath(manifest).parent}/{measurement}")
    return SafeSwath(
        product=product.name, annotation=name, mission=mission, platform=f"SENTINEL-1{mission[-1]}",
        mode=_field(header, "mode", where, str), swath=_field(header, "swath", where, str),
        polarisation=_field(header, "polarisation", where, str), pass_direction=pass_dir,
        platform_heading_deg=_field(info, "platformHeading", where),
        incidence_mid_deg=_field(image, "incidenceAngleMidSwath", where),
        incidence_near_deg=float(np.nanmin(inc)) if inc.size else np.nan,
        incidence_far_deg=float(np.nanmax(inc)) if inc.size else np.nan,
        range_pixel_spacing_m=_field(image, "rangePixelSpacing", where),
        azimuth_pixel_spacing_m=_field(image, "azimuthPixelSpacing", where),
        azimuth_time_interval_s=_field(image, "azimuthTimeInterval", where),
        range_sampling_rate_hz=_field(info, "rangeSamplingRate", where),
        slant_range_time_s=_field(image, "slantRangeTime", where),
        radar_frequency_hz=_field(info, "radarFrequency", where),
        first_line_time=first, last_line_time=last, number_of_lines=n_lines,
        number_of_samples=_field(image, "numberOfSamples", where, int),
        lines_per_burst=lines_per_burst, samples_per_burst=samples_per_burst, bursts=bursts,
        absolute_orbit=abs_orbit, relative_orbit=track, measurement=measurement, measurement_present=present,
        azimuth_steering_rate_deg_s=_field(info, "azimuthSteeringRate", where),
        orbit=vectors, dc_estimate=xs1.open_dc_estimate_dataset(part("dopplerCentroid")),
        azimuth_fm_rate=xs1.open_azimuth_fm_rate_dataset(
            part("generalAnnotation", "azimuthFmRateList")), geolocation=gcp,
        measurement_path=product.gdal_path(measurement) if measurement and present else None)


def _bursts(timing: dict[str, Any], lines_per_burst: int, where: str) -> tuple[Burst, ...]:
    blist = timing.get("burstList") or {}
    raw = blist.get("burst") or []
    raw = [raw] if isinstance(raw, dict) else raw
    out = []
    for i, b in enumerate(raw):
        bw = f"{where} burst {i}"
        first = tuple(int(v) for v in _field(b, "firstValidSample", bw, str).split())
        last = tuple(int(v) for v in _field(b, "lastValidSample", bw, str).split())
        if len(first) != lines_per_burst or len(last) != lines_per_burst:
            raise Sentinel1Error(f"{bw}: first/lastValidSample must have linesPerBurst = {lines_per_burst} "
                                 f"values, got {len(first)}/{len(last)}")
        bid = b.get("burstId")
        out.append(Burst(i, _time(_field(b, "azimuthTime", bw, str), "azimuthTime", bw),
                         _time(_field(b, "sensingTime", bw, str), "sensingTime", bw),
                         _field(b, "azimuthAnxTime", bw), _field(b, "byteOffset", bw, int), first, last,
                         int(bid["$"] if isinstance(bid, dict) else bid) if bid is not None else None,
                         first_line=i * lines_per_burst, lines=lines_per_burst))
    count = blist.get("@count")
    if count is not None and int(count) != len(out):
        raise Sentinel1Error(f"{where}: burstList count={count} but {len(out)} burst elements")
    times = [b.azimuth_time for b in out]
    if any(t1 <= t0 for t0, t1 in zip(times, times[1:])):
        raise Sentinel1Error(f"{where}: burst azimuthTime values must increase")
    return tuple(out)
