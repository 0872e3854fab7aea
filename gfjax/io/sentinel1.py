"""Sentinel-1 IW SLC metadata from a SAFE folder or its .zip (``manifest.safe`` + annotation XML).

Only metadata is read; the measurement TIFFs may be absent. One swath and polarisation per call
(``annotation/s1?-iw2-slc-vv-….xml``; with a single annotation file present, it is chosen).
Values come from the annotation (ESA product specification names in brackets):

* pass direction ``[productInformation/pass]`` (checked against the manifest's ``s1:pass``),
  platform heading ``[platformHeading]`` (degrees clockwise from north, −180…180),
* incidence at mid swath ``[incidenceAngleMidSwath]``, near/far = min/max of the geolocation grid,
* range/azimuth pixel spacing (m), azimuth time interval (s), range sampling rate (Hz), slant
  range time of the first sample (two-way, s), radar frequency (Hz; wavelength = c / f),
* first/last line times ``numpy.datetime64[ns]`` (UTC), lines/samples per burst, bursts
  (azimuth time, byte offset in the measurement TIFF, first/last valid sample per line),
* absolute orbit; relative orbit (track) = ``(abs − 73) % 175 + 1`` (S1A), ``(abs − 27) % 175 + 1``
  (S1B), checked against the manifest's ``relativeOrbitNumber`` when present.

Errors are :class:`Sentinel1Error` (a ``ValueError``) naming the file and the field.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from ..core.time import parse_time

SPEED_OF_LIGHT = 299_792_458.0
ORBIT_OFFSET = {"S1A": 73, "S1B": 27}
_ANNOTATION = re.compile(r"^annotation/(s1[abcd])-(iw\d|ew\d|s\d|wv\d)-slc-(vv|vh|hh|hv)-.*\.xml$")


class Sentinel1Error(ValueError):
    """Missing or inconsistent SAFE content; the message names the file and the field."""


@dataclass(frozen=True)
class Burst:
    """One TOPS burst: times (datetime64[ns]), byte offset, valid samples per line (-1 = none)."""

    index: int
    azimuth_time: np.datetime64
    sensing_time: np.datetime64
    azimuth_anx_time_s: float
    byte_offset: int
    first_valid_sample: tuple
    last_valid_sample: tuple
    burst_id: int | None

    @property
    def valid_lines(self) -> tuple[int, int]:
        """(first, last) line of the burst with valid samples (inclusive, 0-based in the burst)."""
        ok = np.flatnonzero(np.asarray(self.first_valid_sample) >= 0)
        return (int(ok[0]), int(ok[-1])) if ok.size else (-1, -1)


@dataclass(frozen=True)
class Sentinel1Swath:
    """Acquisition metadata of one swath / polarisation of a Sentinel-1 SLC product."""

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
    slant_range_time_s: float
    radar_frequency_hz: float
    first_line_time: np.datetime64
    last_line_time: np.datetime64
    number_of_lines: int
    number_of_samples: int
    lines_per_burst: int
    samples_per_burst: int
    bursts: tuple
    absolute_orbit: int
    relative_orbit: int
    measurement: str | None         # measurement TIFF listed in the manifest
    measurement_present: bool       # whether that TIFF is in the folder / zip

    @property
    def wavelength_m(self) -> float:
        return SPEED_OF_LIGHT / self.radar_frequency_hz

    @property
    def near_range_m(self) -> float:
        """Slant range of the first sample, m."""
        return self.slant_range_time_s * SPEED_OF_LIGHT / 2.0


def relative_orbit(mission: str, absolute_orbit: int) -> int:
    """Relative orbit (track, 1…175) of a Sentinel-1 absolute orbit number."""
    if mission.upper() not in ORBIT_OFFSET:
        raise Sentinel1Error(f"relative_orbit: mission must be one of {sorted(ORBIT_OFFSET)}, got {mission!r}")
    return (int(absolute_orbit) - ORBIT_OFFSET[mission.upper()]) % 175 + 1


class _Safe:
    """Uniform read access to a SAFE directory or a zip holding one."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            root = path if (path / "manifest.safe").is_file() else None
            if root is None:
                raise Sentinel1Error(f"{path}: no manifest.safe in the SAFE folder")
            self.name = path.name
            self._files = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
            self._zip = None
        elif zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            members = [m for m in self._zip.namelist() if not m.startswith("__MACOSX/")]
            manifests = [m for m in members if PurePosixPath(m).name == "manifest.safe"]
            if len(manifests) != 1:
                self._zip.close()
                raise Sentinel1Error(f"{path}: expected one manifest.safe in the zip, found {len(manifests)}")
            prefix = manifests[0][: -len("manifest.safe")]
            self.name = PurePosixPath(prefix).name or path.stem
            self._files = {m[len(prefix):]: m for m in members if m.startswith(prefix) and not m.endswith("/")}
        else:
            raise Sentinel1Error(f"{path}: not a SAFE folder or a zip file")
        self.name = self.name.removesuffix(".SAFE")

    def names(self) -> list[str]:
        return sorted(self._files)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def read(self, name: str) -> ET.Element:
        where = f"{self.path}:{name}"
        try:
            data = self._zip.read(self._files[name]) if self._zip else Path(self._files[name]).read_bytes()
            return ET.fromstring(data)
        except KeyError:
            raise Sentinel1Error(f"{self.path}: {name} not found") from None
        except ET.ParseError as exc:
            raise Sentinel1Error(f"{where}: not valid XML ({exc})") from None


def _text(root: ET.Element, xpath: str, where: str) -> str:
    node = root.find(xpath)
    if node is None or node.text is None or not node.text.strip():
        raise Sentinel1Error(f"{where}: missing field {xpath}")
    return node.text.strip()


def _float(root, xpath, where) -> float:
    text = _text(root, xpath, where)
    try:
        return float(text)
    except ValueError:
        raise Sentinel1Error(f"{where}: field {xpath} must be a number, got {text!r}") from None


def _int(root, xpath, where) -> int:
    value = _float(root, xpath, where)
    if value != int(value):
        raise Sentinel1Error(f"{where}: field {xpath} must be an integer, got {value}")
    return int(value)


def _time(text: str, field: str, where: str) -> np.datetime64:
    """UTC ISO time (``2022-10-16T01:50:44.577283``) → datetime64[ns]."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", text.strip()):
        raise Sentinel1Error(f"{where}: field {field} must be a UTC time YYYY-MM-DDTHH:MM:SS[.ffffff], "
                             f"got {text!r}")
    try:
        return parse_time(text, "ns", strict=True)
    except ValueError:
        raise Sentinel1Error(f"{where}: field {field} is not a valid time: {text!r}") from None


def _manifest(safe: _Safe) -> dict:
    root = safe.read("manifest.safe")
    out: dict = {"measurements": []}
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "pass" and el.text:
            out["pass"] = el.text.strip().upper()
        elif tag == "relativeOrbitNumber" and el.get("type") == "start":
            out["relative_orbit"] = int(el.text)
        elif tag == "orbitNumber" and el.get("type") == "start":
            out["absolute_orbit"] = int(el.text)
        elif tag == "fileLocation" and "/measurement/" in el.get("href", ""):
            out["measurements"].append(el.get("href").removeprefix("./"))
    return out


def find_annotations(path) -> list[str]:
    """Annotation files (``annotation/s1?-<swath>-slc-<pol>-….xml``) of a SAFE folder or zip."""
    safe = _Safe(Path(path))
    safe.close()
    return [n for n in safe.names() if _ANNOTATION.match(n)]


def read_sentinel1(path, swath: str | None = None, polarisation: str | None = None) -> Sentinel1Swath:
    """Metadata of one swath (``"IW2"``) and polarisation (``"VV"``) of a SAFE folder or .zip.

    With ``swath``/``polarisation`` left out the only matching annotation file is used
    (:class:`Sentinel1Error` lists the candidates when several or none match).
    """
    path = Path(path)
    if not path.exists():
        raise Sentinel1Error(f"{path}: Sentinel-1 product not found")
    safe = _Safe(path)
    try:
        return _read(safe, path, swath, polarisation)
    finally:
        safe.close()


def _read(safe: _Safe, path: Path, swath: str | None, polarisation: str | None) -> Sentinel1Swath:
    man = _manifest(safe)
    cands = []
    for name in safe.names():
        m = _ANNOTATION.match(name)
        if m and (swath is None or m.group(2) == swath.lower()) and \
                (polarisation is None or m.group(3) == polarisation.lower()):
            cands.append(name)
    if len(cands) != 1:
        have = [n for n in safe.names() if _ANNOTATION.match(n)]
        what = f"swath {swath or 'any'}, polarisation {polarisation or 'any'}"
        raise Sentinel1Error(f"{path}: {'no' if not cands else 'more than one'} annotation XML for {what} "
                             f"under annotation/ (found: {', '.join(have) or 'none'})")
    name = cands[0]
    where = f"{path}:{name}"
    root = safe.read(name)
    info = "imageAnnotation/imageInformation/"
    mission = _text(root, "adsHeader/missionId", where).upper()
    pass_dir = _text(root, "generalAnnotation/productInformation/pass", where).upper()
    if pass_dir not in ("ASCENDING", "DESCENDING"):
        raise Sentinel1Error(f"{where}: field pass must be Ascending or Descending, got {pass_dir!r}")
    if man.get("pass") and man["pass"] != pass_dir:
        raise Sentinel1Error(f"{path}: manifest.safe says pass {man['pass']}, {name} says {pass_dir}")
    abs_orbit = _int(root, "adsHeader/absoluteOrbitNumber", where)
    track = relative_orbit(mission, abs_orbit)
    if "relative_orbit" in man and man["relative_orbit"] != track:
        raise Sentinel1Error(f"{path}: manifest.safe relativeOrbitNumber {man['relative_orbit']} differs from "
                             f"{track} expected from absolute orbit {abs_orbit} of {mission}")
    first = _time(_text(root, info + "productFirstLineUtcTime", where), "productFirstLineUtcTime", where)
    last = _time(_text(root, info + "productLastLineUtcTime", where), "productLastLineUtcTime", where)
    if last <= first:
        raise Sentinel1Error(f"{where}: productLastLineUtcTime {last} is not after productFirstLineUtcTime {first}")
    lines_per_burst = _int(root, "swathTiming/linesPerBurst", where)
    bursts = _bursts(root, lines_per_burst, where)
    samples_per_burst = _int(root, "swathTiming/samplesPerBurst", where)
    step = np.diff([b.byte_offset for b in bursts])
    burst_bytes = lines_per_burst * samples_per_burst * 4            # complex int16 samples
    if step.size and not np.all(step == burst_bytes):
        raise Sentinel1Error(f"{where}: burst byteOffset steps {sorted(set(step.tolist()))} must equal "
                             f"linesPerBurst × samplesPerBurst × 4 bytes = {burst_bytes}")
    n_lines = _int(root, info + "numberOfLines", where)
    if bursts and n_lines != len(bursts) * lines_per_burst:
        raise Sentinel1Error(f"{where}: numberOfLines {n_lines} must equal {len(bursts)} bursts × "
                             f"linesPerBurst {lines_per_burst} = {len(bursts) * lines_per_burst}")
    inc = [float(p.text) for p in root.iterfind("geolocationGrid/geolocationGridPointList/"
                                                 "geolocationGridPoint/incidenceAngle")]
    mid = _float(root, info + "incidenceAngleMidSwath", where)
    stem = PurePosixPath(name).stem
    measurement = next((m for m in man["measurements"] if PurePosixPath(m).stem == stem), None)
    return Sentinel1Swath(
        product=safe.name, annotation=name, mission=mission,
        platform=f"SENTINEL-1{mission[-1]}", mode=_text(root, "adsHeader/mode", where),
        swath=_text(root, "adsHeader/swath", where), polarisation=_text(root, "adsHeader/polarisation", where),
        pass_direction=pass_dir,
        platform_heading_deg=_float(root, "generalAnnotation/productInformation/platformHeading", where),
        incidence_mid_deg=mid, incidence_near_deg=min(inc) if inc else np.nan,
        incidence_far_deg=max(inc) if inc else np.nan,
        range_pixel_spacing_m=_float(root, info + "rangePixelSpacing", where),
        azimuth_pixel_spacing_m=_float(root, info + "azimuthPixelSpacing", where),
        azimuth_time_interval_s=_float(root, info + "azimuthTimeInterval", where),
        range_sampling_rate_hz=_float(root, "generalAnnotation/productInformation/rangeSamplingRate", where),
        slant_range_time_s=_float(root, info + "slantRangeTime", where),
        radar_frequency_hz=_float(root, "generalAnnotation/productInformation/radarFrequency", where),
        first_line_time=first, last_line_time=last, number_of_lines=n_lines,
        number_of_samples=_int(root, info + "numberOfSamples", where),
        lines_per_burst=lines_per_burst, samples_per_burst=samples_per_burst,
        bursts=bursts, absolute_orbit=abs_orbit, relative_orbit=track, measurement=measurement,
        measurement_present=measurement in safe.names())


def _bursts(root: ET.Element, lines_per_burst: int, where: str) -> tuple:
    out = []
    for i, b in enumerate(root.iterfind("swathTiming/burstList/burst")):
        bw = f"{where} burst {i}"
        first = tuple(int(v) for v in _text(b, "firstValidSample", bw).split())
        last = tuple(int(v) for v in _text(b, "lastValidSample", bw).split())
        if len(first) != lines_per_burst or len(last) != lines_per_burst:
            raise Sentinel1Error(f"{bw}: first/lastValidSample must have linesPerBurst = {lines_per_burst} "
                                 f"values, got {len(first)}/{len(last)}")
        bid = b.find("burstId")
        out.append(Burst(i, _time(_text(b, "azimuthTime", bw), "azimuthTime", bw),
                         _time(_text(b, "sensingTime", bw), "sensingTime", bw),
                         _float(b, "azimuthAnxTime", bw), _int(b, "byteOffset", bw), first, last,
                         int(bid.text) if bid is not None and bid.text else None))
    count = root.find("swathTiming/burstList")
    if count is not None and count.get("count") is not None and int(count.get("count")) != len(out):
        raise Sentinel1Error(f"{where}: burstList count={count.get('count')} but {len(out)} burst elements")
    times = [b.azimuth_time for b in out]
    if any(t1 <= t0 for t0, t1 in zip(times, times[1:])):
        raise Sentinel1Error(f"{where}: burst azimuthTime values must increase")
    return tuple(out)
