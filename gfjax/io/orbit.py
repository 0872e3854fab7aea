"""Sentinel-1 orbits: precise / restituted orbit files (``*.EOF``) and the choice of one per acquisition.

An orbit is a :class:`StateVectors`: UTC times (``datetime64[ns]``), ECEF positions (m) and
velocities (m/s) in the Earth-fixed frame (ITRF, as ESA's ``EARTH_FIXED``), float64. Sources:

* ``POEORB`` — precise orbit (AUX_POEORB, ~5 cm), available ~20 days after acquisition;
* ``RESORB`` — restituted orbit (AUX_RESORB, ~10 cm), available within hours;
* ``annotation`` — the ~17 state vectors of the product annotation (``orbitList``; the
  predicted or restituted orbit the IPF used), always present.

:func:`choose_orbit` takes the best file that covers an acquisition (POEORB before RESORB, the
newest of a kind) from the folders given, else falls back to the annotation's vectors with a
logged warning; :attr:`OrbitChoice.report` is what the caller puts into ``report.json``. No
download is attempted here (``sentineleof`` can fill an orbit folder beforehand when online).

File names follow ESA's convention
``S1A_OPER_AUX_POEORB_OPOD_<created>_V<validity start>_<validity stop>.EOF``.
Errors are :class:`OrbitError` (a ``ValueError``) naming the file and the field.
"""
from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = ["OrbitChoice", "OrbitError", "StateVectors", "choose_orbit", "eof_name", "find_orbit_file",
           "orbit_file_info", "read_eof", "write_eof"]

log = logging.getLogger(__name__)

_EOF_NAME = re.compile(r"^(S1[ABCD])_OPER_AUX_(POEORB|RESORB)_OPOD_(\d{8}T\d{6})_V(\d{8}T\d{6})_(\d{8}T\d{6})\.EOF$",
                       re.IGNORECASE)
_KIND_RANK = {"POEORB": 0, "RESORB": 1}


def _ns(t: np.datetime64 | str) -> np.datetime64:
    """A time (datetime64 of any unit, ISO text) as datetime64[ns]."""
    return np.array(t, dtype="datetime64[ns]")[()]  # type: ignore[return-value]


class OrbitError(ValueError):
    """Missing, malformed or non-covering orbit data; the message names the file and the field."""


@dataclass(frozen=True, eq=False)
class StateVectors:
    """Orbit state vectors: ``time`` (n,) datetime64[ns] UTC, ``position``/``velocity`` (n, 3) ECEF, m and m/s."""

    time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    source: str                      # "POEORB" | "RESORB" | "annotation"
    path: str | None = None          # the file read (the annotation or the EOF)

    def __post_init__(self) -> None:
        n = self.time.shape[0]
        where = self.path or self.source
        if self.position.shape != (n, 3) or self.velocity.shape != (n, 3):
            raise OrbitError(f"{where}: state vectors need position and velocity of shape ({n}, 3), got "
                             f"{self.position.shape} and {self.velocity.shape}")
        if n < 4:
            raise OrbitError(f"{where}: at least 4 orbit state vectors are needed, got {n}")
        if np.any(np.diff(self.time) <= np.timedelta64(0, "ns")):
            raise OrbitError(f"{where}: orbit state vector times must increase")

    def seconds_since(self, epoch: np.datetime64) -> np.ndarray:
        """State vector times as float64 seconds since ``epoch`` (a datetime64)."""
        return (self.time - _ns(epoch)).astype(np.int64) * 1e-9

    def covers(self, start: np.datetime64, stop: np.datetime64, margin_s: float = 10.0) -> bool:
        """Whether the vectors span [start − margin, stop + margin]."""
        m = np.timedelta64(int(margin_s * 1e9), "ns")
        return bool(self.time[0] <= _ns(start) - m and self.time[-1] >= _ns(stop) + m)

    def crop(self, start: np.datetime64, stop: np.datetime64, margin_s: float = 60.0) -> "StateVectors":
        """The vectors within [start − margin, stop + margin] (an EOF holds a day; a burst needs a minute)."""
        m = np.timedelta64(int(margin_s * 1e9), "ns")
        keep = (self.time >= _ns(start) - m) & (self.time <= _ns(stop) + m)
        return StateVectors(self.time[keep], self.position[keep], self.velocity[keep], self.source, self.path)


@dataclass(frozen=True)
class OrbitChoice:
    """The orbit used for one acquisition and why; ``fallback`` is True when the annotation's was used."""

    vectors: StateVectors
    source: str
    path: str | None
    fallback: bool
    warning: str | None = None

    @property
    def report(self) -> dict[str, Any]:
        """JSON-ready record for ``report.json``."""
        return {"orbit_source": self.source, "orbit_file": self.path, "orbit_fallback": self.fallback,
                "orbit_warning": self.warning}


def orbit_file_info(path: str | PathLike[str]) -> tuple[str, str, np.datetime64, np.datetime64] | None:
    """(mission, kind, validity start, validity stop) from an EOF file name; None when it is not one."""
    m = _EOF_NAME.match(Path(path).name)
    if m is None:
        return None
    t = [np.datetime64(f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}", "ns") for s in m.group(4, 5)]
    return m.group(1).upper(), m.group(2).upper(), t[0], t[1]


def _utc(text: str | None, field: str, where: str) -> np.datetime64:
    if text is None or not re.fullmatch(r"UTC=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", text.strip()):
        raise OrbitError(f"{where}: field {field} must be UTC=YYYY-MM-DDTHH:MM:SS[.ffffff], got {text!r}")
    try:
        return np.datetime64(text.strip()[4:], "ns")
    except ValueError:
        raise OrbitError(f"{where}: field {field} is not a valid time: {text!r}") from None


def read_eof(path: str | PathLike[str]) -> StateVectors:
    """State vectors of a Sentinel-1 orbit file (``*.EOF``: Earth Explorer XML, ``List_of_OSVs``)."""
    path = Path(path)
    if not path.is_file():
        raise OrbitError(f"{path}: orbit file not found")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise OrbitError(f"{path}: not valid XML ({exc})") from None
    frame = root.findtext("Earth_Explorer_Header/Variable_Header/Ref_Frame")
    if frame is not None and frame.strip() != "EARTH_FIXED":
        raise OrbitError(f"{path}: field Ref_Frame must be EARTH_FIXED, got {frame!r}")
    ftype = (root.findtext("Earth_Explorer_Header/Fixed_Header/File_Type") or "").strip()
    kind = ftype.removeprefix("AUX_") if ftype in ("AUX_POEORB", "AUX_RESORB") else "EOF"
    osvs = root.findall("Data_Block/List_of_OSVs/OSV")
    if not osvs:
        raise OrbitError(f"{path}: no Data_Block/List_of_OSVs/OSV state vectors")
    n = len(osvs)
    times = np.empty(n, "datetime64[ns]")
    pv = np.empty((n, 6))
    for i, osv in enumerate(osvs):
        where = f"{path} OSV {i}"
        times[i] = _utc(osv.findtext("UTC"), "UTC", where)
        for j, tag in enumerate(("X", "Y", "Z", "VX", "VY", "VZ")):
            text = osv.findtext(tag)
            try:
                pv[i, j] = float(text)  # type: ignore[arg-type]  # None → TypeError below
            except (TypeError, ValueError):
                raise OrbitError(f"{where}: field {tag} must be a number, got {text!r}") from None
    return StateVectors(times, pv[:, :3], pv[:, 3:], kind, str(path))


def find_orbit_file(folders: Iterable[str | PathLike[str]], mission: str, start: np.datetime64, stop: np.datetime64,
                    margin_s: float = 60.0) -> Path | None:
    """Best orbit file in ``folders`` (searched recursively) whose validity covers [start, stop] ± margin.

    POEORB is preferred to RESORB; among files of one kind the newest (creation time in the name).
    """
    m = np.timedelta64(int(margin_s * 1e9), "ns")
    t0, t1 = _ns(start) - m, _ns(stop) + m
    found = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for f in folder.rglob("*"):
            name = _EOF_NAME.match(f.name)
            info = orbit_file_info(f)
            if name and info and f.is_file() and info[0] == mission.upper() and info[2] <= t0 and info[3] >= t1:
                found.append((_KIND_RANK[info[1]], -int(name.group(3).replace("T", "")), f))
    return min(found)[2] if found else None


def choose_orbit(annotation: StateVectors, mission: str, start: np.datetime64, stop: np.datetime64,
                 folders: Iterable[str | PathLike[str]] = (), margin_s: float = 60.0) -> OrbitChoice:
    """The orbit for an acquisition [start, stop]: a covering EOF file from ``folders``, else the annotation's.

    A file that names the acquisition in its validity but whose vectors do not cover it is an
    error (a truncated file); no file at all is a fallback with a warning.
    """
    path = find_orbit_file(folders, mission, start, stop, margin_s)
    if path is not None:
        vectors = read_eof(path)
        if not vectors.covers(start, stop, margin_s=min(margin_s, 10.0)):
            raise OrbitError(f"{path}: state vectors {vectors.time[0]} … {vectors.time[-1]} do not cover the "
                             f"acquisition {start} … {stop} (± {min(margin_s, 10.0)} s) its validity promises")
        return OrbitChoice(vectors.crop(start, stop, margin_s), vectors.source, str(path), False)
    where = ", ".join(str(f) for f in folders) or "no orbit folder given"
    warning = (f"no POEORB/RESORB orbit file of {mission.upper()} covering {start} … {stop} ({where}); "
               "using the annotation's state vectors")
    log.warning(warning)
    return OrbitChoice(annotation, "annotation", annotation.path, True, warning)


def eof_name(mission: str, kind: str, created: Any, start: Any, stop: Any) -> str:
    """ESA's orbit file name ``S1A_OPER_AUX_POEORB_OPOD_<created>_V<start>_<stop>.EOF``."""
    def stamp(t: Any) -> str:
        return str(np.asarray(t, "datetime64[s]")).replace("-", "").replace(":", "")
    return f"{mission.upper()}_OPER_AUX_{kind.upper()}_OPOD_{stamp(created)}_V{stamp(start)}_{stamp(stop)}.EOF"


def write_eof(folder: str | PathLike[str], vectors: StateVectors, mission: str, kind: str = "POEORB",
              created: Any = None) -> Path:
    """Write ``vectors`` as an orbit file (Earth Explorer XML that :func:`read_eof` reads) named as ESA does;
    its validity is the vectors' span."""
    from xml.sax.saxutils import escape

    if kind.upper() not in _KIND_RANK:
        raise OrbitError(f"write_eof: kind must be one of {sorted(_KIND_RANK)}, got {kind!r}")
    start, stop = vectors.time[0], vectors.time[-1]
    created = stop if created is None else created
    name = eof_name(mission, kind, created, start, stop)
    rows = []
    for t, p, v in zip(vectors.time, vectors.position, vectors.velocity):
        utc = str(np.asarray(t, "datetime64[us]"))
        rows.append(f"      <OSV>\n        <UTC>UTC={utc}</UTC>\n"
                    + "".join(f"        <{tag} unit=\"{u}\">{val:.6f}</{tag}>\n"
                              for tag, u, val in zip(("X", "Y", "Z", "VX", "VY", "VZ"), ("m",) * 3 + ("m/s",) * 3,
                                                     (*p, *v)))
                    + "        <Quality>NOMINAL</Quality>\n      </OSV>")
    text = f"""<?xml version="1.0" ?>
<Earth_Explorer_File>
  <Earth_Explorer_Header>
    <Fixed_Header>
      <File_Name>{escape(name[:-4])}</File_Name>
      <Mission>Sentinel-1{mission.upper()[-1]}</Mission>
      <File_Type>AUX_{kind.upper()}</File_Type>
      <Validity_Period>
        <Validity_Start>UTC={np.asarray(start, "datetime64[s]")}</Validity_Start>
        <Validity_Stop>UTC={np.asarray(stop, "datetime64[s]")}</Validity_Stop>
      </Validity_Period>
    </Fixed_Header>
    <Variable_Header>
      <Ref_Frame>EARTH_FIXED</Ref_Frame>
      <Time_Reference>UTC</Time_Reference>
    </Variable_Header>
  </Earth_Explorer_Header>
  <Data_Block type="xml">
    <List_of_OSVs count="{len(rows)}">
{chr(10).join(rows)}
    </List_of_OSVs>
  </Data_Block>
</Earth_Explorer_File>
"""
    path = Path(folder) / name
    path.write_text(text, encoding="utf-8")
    return path
