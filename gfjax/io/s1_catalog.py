"""A folder of Sentinel-1 IW SLC products → tracks of acquisitions (slices joined), and the bursts over an AOI.

:func:`catalog` opens every SAFE product in a folder (``*.zip``, ``*.SAFE``; metadata only),
groups them by track (relative orbit and pass direction, named ``T009``), joins the slices of
one pass (same mission and absolute orbit: adjacent frames of one datatake) into one
:class:`S1Acquisition` along azimuth, and sorts each track's acquisitions by time. The
polarisation is the one asked for, else VV, else HH, and must be the same across a track;
:func:`choose_swath` finds the IW swath holding an AOI and checks that every acquisition has it.
:func:`select_bursts` picks, in one acquisition, the bursts (and the sample span) whose valid
data cover the AOI plus a margin. Errors (:class:`~gfjax.io.safe.Sentinel1Error`) name the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .safe import SafeProduct, SafeSwath, Sentinel1Error, open_safe

__all__ = ["BurstSelection", "S1Acquisition", "catalog", "choose_swath", "select_bursts"]


@dataclass(frozen=True, eq=False)
class S1Acquisition:
    """One pass over the area: one or more adjacent slices of one datatake, sorted along azimuth."""

    products: tuple[SafeProduct, ...]
    polarisation: str
    # (product index, swath) → SafeSwath, read once
    _read: dict[tuple[int, str], SafeSwath] = field(default_factory=dict, repr=False)

    @property
    def time(self) -> np.datetime64:
        """Start of the first slice, datetime64[s]."""
        out: np.datetime64 = self.products[0].start_time.astype("datetime64[s]")
        return out

    @property
    def mission(self) -> str:
        return self.products[0].mission

    @property
    def absolute_orbit(self) -> int:
        return self.products[0].absolute_orbit

    def swaths(self, swath: str) -> tuple[SafeSwath, ...]:
        """One swath of every slice (annotations read, no raster); Sentinel1Error naming a slice without it."""
        for k, p in enumerate(self.products):
            if (swath, self.polarisation) not in p.annotations:
                raise Sentinel1Error(f"{p.path}: no {swath} {self.polarisation} annotation (has "
                                     f"{sorted(p.annotations)}); every product of the track must have the AOI's swath")
        return tuple(self.swath_of(k, swath) for k in range(len(self.products)))

    def swath_of(self, product: int, swath: str) -> SafeSwath:
        """One swath of one slice, its annotation read once (~2 s: xarray-sentinel's decoders)."""
        key = (product, swath)
        if key not in self._read:
            self._read[key] = self.products[product].swath(swath, self.polarisation)
        return self._read[key]


@dataclass(frozen=True)
class BurstSelection:
    """Bursts of one acquisition covering an AOI: (slice, burst) pairs in azimuth order, the lines
    [first, stop) of each that meet the AOI ± margin (within its valid lines), and a sample span."""

    bursts: tuple[tuple[int, int], ...]
    lines: tuple[tuple[int, int], ...]
    samples: tuple[int, int]          # [first, stop) swath samples


def _products(folder: Path) -> list[SafeProduct]:
    paths = sorted(p for p in folder.iterdir() if (p.suffix.lower() == ".zip" and p.is_file())
                   or (p.suffix.upper() == ".SAFE" and p.is_dir()))
    if not paths:
        raise Sentinel1Error(f"{folder}: no Sentinel-1 product (*.zip or *.SAFE)")
    out = []
    for p in paths:
        prod = open_safe(p)
        if prod.mode != "IW":
            raise Sentinel1Error(f"{p}: mode {prod.mode}; only IW SLC products are supported")
        out.append(prod)
    return out


def _polarisation(products: list[SafeProduct], wanted: str | None) -> str:
    first = products[0]
    if wanted is not None:
        pol = wanted.upper()
    else:
        pol = next((p for p in ("VV", "HH") if p in first.polarisations), "")
        if not pol:
            raise Sentinel1Error(f"{first.path}: neither VV nor HH among its annotations {first.polarisations}")
    for prod in products:
        if pol not in prod.polarisations:
            raise Sentinel1Error(f"{prod.path}: no {pol} annotation (has {list(prod.polarisations)}); the track's "
                                 f"products must share one polarisation ({pol}, from {first.path.name})")
    return pol


def catalog(folder: str | PathLike[str], polarisation: str | None = None, start: str | None = None,
            end: str | None = None) -> dict[str, list[S1Acquisition]]:
    """``{"T009": [acquisitions sorted by time], …}`` of the SAFE products in ``folder``; with
    ``start`` / ``end`` (``YYYY-MM-DD``, inclusive, UTC) only the acquisitions of those days."""
    first = _day(start, "start")
    last = _day(end, "end")
    folder = Path(folder)
    if not folder.is_dir():
        raise Sentinel1Error(f"{folder}: Sentinel-1 product folder not found")
    groups: dict[tuple[int, str], list[SafeProduct]] = {}
    for prod in _products(folder):
        groups.setdefault((prod.relative_orbit, prod.pass_direction), []).append(prod)
    tracks = {}
    for (rel, _), prods in sorted(groups.items()):
        prods.sort(key=lambda p: p.start_time)
        pol = _polarisation(prods, polarisation)
        passes: dict[tuple[str, int], list[SafeProduct]] = {}
        for prod in prods:
            passes.setdefault((prod.mission, prod.absolute_orbit), []).append(prod)
        for slices in passes.values():
            for a, b in zip(slices, slices[1:]):
                if b.start_time <= a.start_time:
                    raise Sentinel1Error(f"{b.path}: starts at {b.start_time}, as {a.path.name} does: the same "
                                         "slice twice?")
        acqs = [S1Acquisition(tuple(s), pol) for s in passes.values()]
        name = f"T{rel:03d}"
        if name in tracks:
            raise Sentinel1Error(f"{folder}: relative orbit {rel} is both ascending and descending")
        tracks[name] = sorted((a for a in acqs if (first is None or a.time >= first)
                               and (last is None or a.time < last + np.timedelta64(1, "D"))), key=lambda a: a.time)
    return tracks


def _day(value: str | None, name: str) -> np.datetime64 | None:
    if value is None or value == "":
        return None
    try:
        return np.datetime64(str(value), "D")
    except ValueError:
        raise ValueError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


def choose_swath(acquisition: S1Acquisition, lat_deg: ArrayLike, lon_deg: ArrayLike, height_m: ArrayLike = 0.0) -> str:
    """The IW swath (of any slice) whose samples and lines hold most AOI points (degrees, m above the ellipsoid)."""
    from ..geometry.s1_geometry import radar_coordinates_llh

    counts: dict[str, int] = {}
    for k, prod in enumerate(acquisition.products):
        for swath, pol in sorted(prod.annotations):
            if pol != acquisition.polarisation:
                continue
            sw = acquisition.swath_of(k, swath)
            rc = radar_coordinates_llh(sw, lat_deg, lon_deg, height_m)
            inside = ((rc["sample"] >= 0) & (rc["sample"] <= sw.number_of_samples - 1)
                      & (rc["azimuth_time"] >= sw.first_line_time) & (rc["azimuth_time"] <= sw.last_line_time))
            counts[swath] = counts.get(swath, 0) + int(inside.sum())
    best = max(counts, key=lambda s: counts[s]) if counts else None
    if best is None or counts[best] == 0:
        raise Sentinel1Error(f"{acquisition.products[0].path}: the AOI is in none of the swaths "
                             f"{sorted(counts)} of this acquisition")
    return best


def select_bursts(swaths: tuple[SafeSwath, ...], lat_deg: ArrayLike, lon_deg: ArrayLike, height_m: ArrayLike,
                  margin_m: float = 0.0,
                  vectors: Any = None) -> BurstSelection:
    """Bursts whose valid lines meet the AOI points' azimuth span ± ``margin_m``, and the sample span.

    ``swaths``: one swath of each slice of an acquisition (:meth:`S1Acquisition.swaths`);
    ``lat_deg``/``lon_deg``/``height_m`` AOI points (its outline, densified, and heights above
    the ellipsoid). Sentinel1Error naming the product when no burst covers them.
    """
    from ..geometry.s1_geometry import radar_coordinates_llh

    chosen: list[tuple[int, int]] = []
    lines: list[tuple[int, int]] = []
    times: list[np.datetime64] = []
    lo_s, hi_s = np.inf, -np.inf
    for k, sw in enumerate(swaths):
        rc = radar_coordinates_llh(sw, lat_deg, lon_deg, height_m, vectors)
        ati = sw.azimuth_time_interval_s
        margin_lines = margin_m / sw.azimuth_pixel_spacing_m
        margin_samples = margin_m / sw.range_pixel_spacing_m
        # the AOI's span in swath-time lines (first burst's timing), whatever burst holds it
        t0 = sw.bursts[0].azimuth_time
        t = rc["azimuth_seconds"] - ((t0 - sw.first_line_time) / np.timedelta64(1, "ns")) * 1e-9
        tau_shift = 0.5 * (rc["slant_range_time_s"] - sw.slant_range_time_s)    # the bistatic line time
        span = ((t - tau_shift).min() / ati - margin_lines, (t - tau_shift).max() / ati + margin_lines)
        s0, s1 = rc["sample"].min() - margin_samples, rc["sample"].max() + margin_samples
        if s1 < 0 or s0 > sw.number_of_samples - 1:
            continue
        for i, b in enumerate(sw.bursts):
            first, last = b.valid_lines
            start = ((b.azimuth_time - t0) / np.timedelta64(1, "ns")) * 1e-9 / ati
            duplicate = any(abs((b.azimuth_time - t) / np.timedelta64(1, "ns")) * 1e-9 < 0.5 * b.lines * ati
                            for t in times)              # a burst repeated at the end of the previous slice
            if first >= 0 and start + first <= span[1] and start + last >= span[0] and not duplicate:
                chosen.append((k, i))
                lines.append((int(max(first, np.floor(span[0] - start))), int(min(last, np.ceil(span[1] - start)) + 1)))
                times.append(b.azimuth_time)
        lo_s, hi_s = min(lo_s, s0), max(hi_s, s1)
    if not chosen:
        raise Sentinel1Error(f"{swaths[0].product}: no burst of {swaths[0].swath} covers the AOI "
                             f"(lat {np.min(lat_deg):.3f}…{np.max(lat_deg):.3f}, lon {np.min(lon_deg):.3f}…"
                             f"{np.max(lon_deg):.3f})")
    n = swaths[0].number_of_samples
    return BurstSelection(tuple(chosen), tuple(lines), (int(max(np.floor(lo_s), 0)), int(min(np.ceil(hi_s) + 1, n))))
