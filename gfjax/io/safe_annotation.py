"""Write a Sentinel-1 IW SLC annotation XML (one swath, one polarisation) from a real one as template.

The template (``gfjax/data/s1_iw_slc_annotation_template.xml``) is ESA's annotation of a real
product (S1A IW3 VV, 2022-09-18, the Terceira crop of the tests) with every list cut to its
first element: the element order, types and the fields nobody here rewrites (quality, noise,
antenna pattern, processing information) stay those of a real product, so xarray-sentinel's
schema decoders read the result as they read ESA's. :func:`write_annotation` moves every time
of the template to the new product (one common shift), then rewrites what a reader of the
geometry uses from a :class:`SwathAnnotation`: header (mission, swath, polarisation, orbit),
product information (pass, heading, sampling rate, steering rate), the orbit list, the azimuth
FM-rate and Doppler-centroid lists, image information (first / last line times, sizes,
spacings, slant-range time, mid-swath incidence), the burst list (times, ANX times, byte
offsets, valid samples per line, burst ids) and the geolocation grid.

Times are ``numpy.datetime64`` UTC, written with microseconds as ESA does.
"""
from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .orbit import StateVectors

__all__ = ["TEMPLATE", "SwathAnnotation", "iso", "write_annotation"]

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "s1_iw_slc_annotation_template.xml"
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+")
HEADER_BYTES = 109_323           # byte offset of the first burst in ESA's measurement TIFFs


def iso(t: Any) -> str:
    """UTC time as the annotation writes it (``2022-09-18T07:49:21.513561``)."""
    return str(np.asarray(t, "datetime64[us]"))


def _num(v: float) -> str:
    return f"{float(v):.15e}"


@dataclass(frozen=True, eq=False)
class SwathAnnotation:
    """What the annotation of one swath says. Arrays per burst have ``n_bursts`` rows."""

    mission: str                        # S1A
    swath: str                          # IW2
    polarisation: str                   # VV
    pass_direction: str                 # ASCENDING | DESCENDING
    absolute_orbit: int
    data_take_id: int
    platform_heading_deg: float
    radar_frequency_hz: float
    range_sampling_rate_hz: float
    azimuth_steering_rate_deg_s: float
    azimuth_time_interval_s: float
    slant_range_time_s: float           # two-way, first sample
    range_pixel_spacing_m: float
    azimuth_pixel_spacing_m: float
    incidence_mid_deg: float
    number_of_samples: int
    lines_per_burst: int
    burst_times: np.ndarray             # (nb,) datetime64: zero-Doppler time of each burst's first line
    burst_anx_s: np.ndarray             # (nb,) s since the ascending node
    burst_ids: np.ndarray               # (nb,) int
    first_valid_sample: np.ndarray      # (nb, lines_per_burst) int, −1 = invalid line
    last_valid_sample: np.ndarray
    ascending_node_time: np.datetime64
    orbit: StateVectors
    dc: list[tuple[np.datetime64, float, np.ndarray]]      # (time, t0, dataDcPolynomial (3,)) per estimate
    fm: list[tuple[np.datetime64, float, np.ndarray]]      # (time, t0, azimuthFmRatePolynomial (3,))
    gcp: dict[str, np.ndarray]          # azimuth_time, slant_range_time, line, pixel, latitude, longitude,
    #                                     height, incidence, elevation: (n,) each

    @property
    def number_of_lines(self) -> int:
        return len(self.burst_times) * self.lines_per_burst

    @property
    def last_line_time(self) -> np.datetime64:
        out: np.datetime64 = self.burst_times[-1] + np.timedelta64(
            int(round((self.lines_per_burst - 1) * self.azimuth_time_interval_s * 1e9)), "ns")
        return out


def _set(root: ET.Element, path: str, value: Any) -> None:
    node = root.find(path)
    if node is None:
        raise ValueError(f"{TEMPLATE}: template has no element {path}")
    node.text = value if isinstance(value, str) else _num(value) if isinstance(value, float) else str(value)


def _rebuild(root: ET.Element, path: str, rows: list[dict[str, Any]]) -> None:
    """Replace the list at ``path`` by one copy of its first element per row (children set from the row)."""
    parent = root.find(path)
    if parent is None or len(parent) == 0:
        raise ValueError(f"{TEMPLATE}: template has no element list {path}")
    first = parent[0]
    for child in list(parent):
        parent.remove(child)
    for row in rows:
        item = copy.deepcopy(first)
        for key, value in row.items():
            _set(item, key, value)
        parent.append(item)
    parent.set("count", str(len(rows)))


def _array(values: np.ndarray, fmt: str = "{:d}") -> str:
    return " ".join(fmt.format(v) for v in np.asarray(values).tolist())


def write_annotation(path: str | PathLike[str], ann: SwathAnnotation, template: str | PathLike[str] = TEMPLATE) -> Path:
    """Write the annotation XML of ``ann`` to ``path`` (from ``template``, see the module docstring)."""
    text = Path(template).read_text(encoding="utf-8")
    root = ET.fromstring(text.encode("utf-8"))
    first_line = np.asarray(root.findtext("imageAnnotation/imageInformation/productFirstLineUtcTime", ""),
                            "datetime64[ns]")
    shift = np.asarray(ann.burst_times[0], "datetime64[ns]") - first_line
    for node in root.iter():
        if node.text and _TIME.fullmatch(node.text.strip()):
            node.text = iso(np.asarray(node.text.strip(), "datetime64[ns]") + shift)
        if node.tag == "swath" and node.text:
            node.text = ann.swath
    start, stop = iso(ann.burst_times[0]), iso(ann.last_line_time)
    lpb, ns = ann.lines_per_burst, ann.number_of_samples
    for key, value in (("missionId", ann.mission.upper()), ("polarisation", ann.polarisation.upper()),
                       ("swath", ann.swath), ("startTime", start), ("stopTime", stop),
                       ("absoluteOrbitNumber", int(ann.absolute_orbit)),
                       ("missionDataTakeId", int(ann.data_take_id))):
        _set(root, f"adsHeader/{key}", value)
    info = "generalAnnotation/productInformation"
    _set(root, f"{info}/pass", ann.pass_direction.capitalize())
    _set(root, f"{info}/platformHeading", float(ann.platform_heading_deg))
    _set(root, f"{info}/rangeSamplingRate", float(ann.range_sampling_rate_hz))
    _set(root, f"{info}/radarFrequency", float(ann.radar_frequency_hz))
    _set(root, f"{info}/azimuthSteeringRate", float(ann.azimuth_steering_rate_deg_s))
    o = ann.orbit
    _rebuild(root, "generalAnnotation/orbitList", [
        {"time": iso(t), "position/x": float(p[0]), "position/y": float(p[1]), "position/z": float(p[2]),
         "velocity/x": float(v[0]), "velocity/y": float(v[1]), "velocity/z": float(v[2])}
        for t, p, v in zip(o.time, o.position, o.velocity)])
    _rebuild(root, "generalAnnotation/azimuthFmRateList", [
        {"azimuthTime": iso(t), "t0": float(t0), "azimuthFmRatePolynomial": _array(c, "{:.15e}")}
        for t, t0, c in ann.fm])
    image = "imageAnnotation/imageInformation"
    fields: list[tuple[str, Any]] = [
        ("productFirstLineUtcTime", start), ("productLastLineUtcTime", stop),
        ("ascendingNodeTime", iso(ann.ascending_node_time)), ("slantRangeTime", float(ann.slant_range_time_s)),
        ("rangePixelSpacing", float(ann.range_pixel_spacing_m)),
        ("azimuthPixelSpacing", float(ann.azimuth_pixel_spacing_m)),
        ("azimuthTimeInterval", float(ann.azimuth_time_interval_s)),
        ("azimuthFrequency", 1.0 / float(ann.azimuth_time_interval_s)),
        ("numberOfSamples", int(ns)), ("numberOfLines", int(ann.number_of_lines)),
        ("incidenceAngleMidSwath", float(ann.incidence_mid_deg))]
    for key, value in fields:
        _set(root, f"{image}/{key}", value)
    _rebuild(root, "dopplerCentroid/dcEstimateList", [
        {"azimuthTime": iso(t), "t0": float(t0), "geometryDcPolynomial": _array(c, "{:.6e}"),
         "dataDcPolynomial": _array(c, "{:.6e}")} for t, t0, c in ann.dc])
    _set(root, "swathTiming/linesPerBurst", int(lpb))
    _set(root, "swathTiming/samplesPerBurst", int(ns))
    _rebuild(root, "swathTiming/burstList", [
        {"azimuthTime": iso(t), "azimuthAnxTime": float(anx), "sensingTime": iso(t), "byteOffset":
         HEADER_BYTES + k * lpb * ns * 4, "firstValidSample": _array(first), "lastValidSample": _array(last),
         "burstId": int(bid)}
        for k, (t, anx, bid, first, last) in enumerate(zip(ann.burst_times, ann.burst_anx_s, ann.burst_ids,
                                                            ann.first_valid_sample, ann.last_valid_sample))])
    for burst in root.findall("swathTiming/burstList/burst"):
        for tag in ("firstValidSample", "lastValidSample"):
            burst.find(tag).set("count", str(lpb))          # type: ignore[union-attr]  # set just above
        burst_id = burst.find("burstId")
        if burst_id is not None:
            burst_id.set("absolute", str(int(burst_id.text or 0) + 96_000_000))
    g = ann.gcp
    _rebuild(root, "geolocationGrid/geolocationGridPointList", [
        {"azimuthTime": iso(g["azimuth_time"][i]), "slantRangeTime": float(g["slant_range_time"][i]),
         "line": int(g["line"][i]), "pixel": int(g["pixel"][i]), "latitude": float(g["latitude"][i]),
         "longitude": float(g["longitude"][i]), "height": float(g["height"][i]),
         "incidenceAngle": float(g["incidence"][i]), "elevationAngle": float(g["elevation"][i])}
        for i in range(len(g["line"]))])
    ET.indent(root, space="  ")
    path = Path(path)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    path.write_bytes(text.encode("utf-8"))
    return path
