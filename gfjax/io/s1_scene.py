"""Sentinel-1 IW SLC products over an AOI as a :class:`~gfjax.protocols.RadarScene` (issue 14).

:func:`open_s1_scene` takes a folder of SAFE products (zip or folder; :mod:`gfjax.io.s1_catalog`
groups them into tracks of acquisitions, slices joined), an AOI (a lon/lat box or a GeoJSON
outline), a DEM (:class:`~gfjax.io.dem.DemSource`, converted to the ellipsoid) and optional
orbit folders (``*.EOF``; else the annotation's vectors, reported). The map grid is the AOI's
UTM grid. Per track, the swath holding the AOI is chosen, and per acquisition the bursts that
cover it plus ``margin_m`` (:func:`~gfjax.io.s1_catalog.select_bursts`) and a lookup table
(:mod:`gfjax.geometry.lookup`) with its own orbit.

Radar image of an acquisition = its selected bursts **debursted** in azimuth order: each burst
gives the lines nearer its own centre than a neighbour's (the lookup table's choice in
overlaps), over the selected sample span; :class:`Deburst` maps (burst, line) ↔ image row.
Nothing is resampled: :meth:`S1Scene.slc_pair` reads the secondary's windows shifted by the
whole lines and samples that the two lookup tables predict (median over the AOI, per burst),
so the pair is aligned to ±0.5 px by geometry; :meth:`S1Scene.geometric_offsets` gives the
remaining per-cell offsets the orbits predict (to subtract from a measurement, or to centre a
search). Track geometry (heading, incidence) is the reference's median over the AOI cells.
Only a block of each burst is ever read from a measurement TIFF.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ..core.radar_source import RadarSceneBase, TrackTimes
from ..geometry.grid import MapGrid
from .dem import DemSource, read_dem
from .s1_catalog import S1Acquisition, catalog, choose_swath, select_bursts
from .safe import SafeSwath, Sentinel1Error

__all__ = ["Deburst", "S1Acq", "S1Scene", "S1Track", "open_s1_scene"]


@dataclass(frozen=True)
class Deburst:
    """Rows of a debursted image: ``pieces`` = (slice, burst, first line, stop line) in azimuth order, samples [s0, s1)."""

    pieces: tuple[tuple[int, int, int, int], ...]
    samples: tuple[int, int]

    @property
    def shape(self) -> tuple[int, int]:
        return (sum(b - a for _, _, a, b in self.pieces), self.samples[1] - self.samples[0])

    @property
    def row_offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([b - a for _, _, a, b in self.pieces])])[:-1]


def _deburst(swaths: tuple[SafeSwath, ...], bursts: Sequence[tuple[int, int]], lines: Sequence[tuple[int, int]],
             samples: tuple[int, int]) -> Deburst:
    """Lines of each selected burst nearer its centre than its selected neighbours' (within ``lines``: the
    AOI's valid lines of each burst)."""
    def centre(k: int, i: int) -> np.datetime64:
        b, sw = swaths[k].bursts[i], swaths[k]
        out: np.datetime64 = b.azimuth_time + np.timedelta64(int(0.5 * (b.lines - 1) * sw.azimuth_time_interval_s
                                                                 * 1e9), "ns")
        return out

    pieces: list[tuple[int, int, int, int]] = []
    for n, ((k, i), (lo, hi)) in enumerate(zip(bursts, lines)):
        b, ati = swaths[k].bursts[i], swaths[k].azimuth_time_interval_s
        if n + 1 < len(bursts):         # cut at the midpoint between the two burst centres
            mid = centre(k, i) + (centre(*bursts[n + 1]) - centre(k, i)) / 2
            hi = min(hi, int(np.ceil(((mid - b.azimuth_time) / np.timedelta64(1, "ns")) * 1e-9 / ati)))
        if pieces:                      # start at the line next in time to the previous piece's last line
            pk, pi, _, phi = pieces[-1]
            t_next = swaths[pk].bursts[pi].azimuth_time + np.timedelta64(int(round(phi * ati * 1e9)), "ns")
            lo = max(b.valid_lines[0], int(np.round(((t_next - b.azimuth_time) / np.timedelta64(1, "ns")) * 1e-9 / ati)))
        pieces.append((k, i, lo, hi))
    return Deburst(tuple(pieces), samples)


@dataclass(eq=False)
class S1Acq:
    """One acquisition of a track as read: swaths of its slices, burst layout, lookup table on the grid."""

    acquisition: S1Acquisition
    swaths: tuple[SafeSwath, ...]
    layout: Deburst
    # piece (index into layout.pieces; −1 none), line (in that burst), sample, valid, los, …
    lut: dict[str, np.ndarray]
    orbit_report: list[dict[str, Any]]

    @property
    def time(self) -> np.datetime64:
        return self.acquisition.time

    @property
    def shape(self) -> tuple[int, int]:
        return self.layout.shape

    def _piece_t0(self) -> np.ndarray:
        """Azimuth time (s since the first slice's first line) of line 0 of each piece's burst."""
        epoch = self.swaths[0].first_line_time
        return np.array([(self.swaths[k].bursts[i].azimuth_time - epoch) / np.timedelta64(1, "ns") * 1e-9
                         for k, i, _, _ in self.layout.pieces])

    def image_position(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) float of every map cell in this acquisition's debursted image, NaN outside.

        Through the cell's line time, so a cell in a burst overlap lands in whichever piece holds
        that time (the lookup table's nearest burst and the deburst cut may differ by a line).
        """
        ati = self.swaths[0].azimuth_time_interval_s
        t0 = self._piece_t0()
        ok = self.lut["piece"] >= 0
        t = np.where(ok, t0[np.maximum(self.lut["piece"], 0)] + self.lut["line"] * ati, np.nan)
        # pieces tile the time axis: each from half a line before its first line to the next one's start
        pieces = self.layout.pieces
        start = np.array([t0[n] + (lo - 0.5) * ati for n, (_, _, lo, _) in enumerate(pieces)])
        stop = np.r_[start[1:], t0[-1] + (pieces[-1][3] - 0.5) * ati]
        row = np.full(t.shape, np.nan)
        for n, (_, _, lo, hi) in enumerate(pieces):
            sel = (t >= start[n]) & (t < stop[n])
            row[sel] = np.clip(self.layout.row_offsets[n] + (t[sel] - t0[n]) / ati - lo,
                               self.layout.row_offsets[n] - 0.5, self.layout.row_offsets[n] + hi - lo - 0.5)
        col = np.where(np.isfinite(row), self.lut["sample"] - self.layout.samples[0], np.nan)
        col[(col < -0.5) | (col > self.layout.shape[1] - 0.5)] = np.nan
        row[np.isnan(col)] = np.nan
        return row, col

    def read(self, deramp: bool = True) -> np.ndarray:
        """The debursted complex64 image (only the selected windows are read), TOPS-deramped by default."""
        windows = [(k, i, lo, self.layout.samples[0]) for k, i, lo, _ in self.layout.pieces]
        return _read_windows(self.swaths, windows, self.layout, deramp)


def _read_windows(swaths: tuple[SafeSwath, ...], windows: Sequence[tuple[int, int, int, int]], layout: Deburst,
                  deramp: bool = True) -> np.ndarray:
    """Image of ``layout``'s shape whose piece n is read from (slice, burst, first line, first sample) ``windows[n]``.

    Parts of a window outside its burst or the swath stay 0. ``deramp``: each window is multiplied
    by its burst's TOPS deramping function at its own lines and samples
    (:mod:`gfjax.offsets.deramp`: azimuth spectrum at 0 Hz, ready for complex oversampling).
    """
    rows, cols = layout.shape
    out = np.zeros((rows, cols), np.complex64)
    for (k, i, l0, s0), (_, _, lo, hi), r in zip(windows, layout.pieces, layout.row_offsets):
        sw = swaths[k]
        l1, s1 = l0 + hi - lo, s0 + cols
        a0, a1 = max(l0, 0), min(l1, sw.lines_per_burst)
        c0, c1 = max(s0, 0), min(s1, sw.number_of_samples)
        if a1 > a0 and c1 > c0:
            block = sw.read_window(i, (a0, a1), (c0, c1))
            if deramp:
                import jax.numpy as jnp

                from ..offsets.deramp import deramp_window, tops_ramp

                block = np.asarray(deramp_window(tops_ramp(sw, i), jnp.asarray(block), jnp.float32(a0),
                                                 jnp.float32(c0)))
            out[r + a0 - l0:r + a1 - l0, c0 - s0:c1 - s0] = block
    return out


@dataclass(eq=False)
class S1Track(TrackTimes):
    """One relative orbit over the AOI: its acquisitions (sorted), consecutive pairs, reference geometry."""

    name: str
    direction: str
    swath: str
    acqs: list[S1Acq]
    heading_deg: float
    incidence_deg: float
    azimuth_spacing_m: float
    range_spacing_m: float
    pairs: list[tuple[int, int]] = field(default_factory=list)

    @property
    def times(self) -> np.ndarray:
        return np.array([a.time for a in self.acqs], dtype="datetime64[s]")


    @property
    def shape(self) -> tuple[int, int]:
        return self.acqs[0].shape

    def map_to_radar(self) -> tuple[np.ndarray, np.ndarray]:
        """(azimuth px, range px) float32 of every map cell in the reference's debursted image (NaN outside)."""
        row, col = self.acqs[0].image_position()
        return row.astype(np.float32), col.astype(np.float32)

    def look_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per map cell, from the reference's real orbit: range (LOS, ground → satellite) and azimuth (flight)
        unit vectors (3, ny, nx) = (north, east, up) — the MSBAS projection vectors — and incidence, degrees."""
        lut = self.acqs[0].lut
        return lut["los"].copy(), lut["flight"].copy(), lut["incidence_deg"].copy()


@dataclass(eq=False)
class S1Scene(RadarSceneBase):
    """Sentinel-1 products over an AOI (a :class:`~gfjax.protocols.RadarScene`; no truth)."""

    path: Path
    grid: MapGrid
    dem: np.ndarray
    ice_mask: np.ndarray
    tracks: dict[str, S1Track]
    outline_xy: np.ndarray | None = None
    holes_xy: list[np.ndarray] = field(default_factory=list)
    flowline: Any = None
    has_truth = False


    def _pair(self, track_name: str, pair_index: int) -> tuple[S1Track, S1Acq, S1Acq]:
        if track_name not in self.tracks:
            raise ValueError(f"track_name: {track_name!r} not in this scene's tracks {list(self.tracks)}")
        trk = self.tracks[track_name]
        if not 0 <= pair_index < len(trk.pairs):
            raise ValueError(f"pair_index: {pair_index} out of range 0..{len(trk.pairs) - 1} for track {track_name}")
        i, j = trk.pairs[pair_index]
        return trk, trk.acqs[i], trk.acqs[j]

    def pair_times(self, track_name: str, pair_index: int) -> tuple[float, float]:
        trk, _, _ = self._pair(track_name, pair_index)
        i, j = trk.pairs[pair_index]
        return float(trk.decimal_years[i]), float(trk.decimal_years[j])

    def pair_windows(self, track_name: str, pair_index: int) -> list[tuple[int, int, int, int, int, int]]:
        """Per reference burst piece: the secondary's (slice, burst) matched by time since the ascending
        node, and the whole (lines, samples) shift onto it (median of the two lookup tables over the AOI)."""
        _, ref, sec = self._pair(track_name, pair_index)
        rs = ref.swaths[0]
        half_burst = 0.5 * rs.lines_per_burst * rs.azimuth_time_interval_s
        out = []
        for n, (k, i, _, _) in enumerate(ref.layout.pieces):
            anx = ref.swaths[k].bursts[i].azimuth_anx_time_s
            match = [m for m, (kk, ii, _, _) in enumerate(sec.layout.pieces)
                     if abs(sec.swaths[kk].bursts[ii].azimuth_anx_time_s - anx) < half_burst]
            cells = (ref.lut["piece"] == n) & (sec.lut["piece"] == match[0]) if match else np.zeros(1, bool)
            if not cells.any():
                raise Sentinel1Error(f"{sec.swaths[0].product}: no burst matching burst {i} of {rs.product} "
                                     "over the AOI")
            kk, ii = sec.layout.pieces[match[0]][:2]
            dl = int(np.round(np.median(sec.lut["line"][cells] - ref.lut["line"][cells])))
            ds = int(np.round(np.median(sec.lut["sample"][cells] - ref.lut["sample"][cells])))
            out.append((k, i, kk, ii, dl, ds))
        return out

    def slc_pair(self, track_name: str, pair_index: int, deramp: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(reference, secondary) debursted complex64 images; the secondary's windows are moved by the whole
        lines and samples the geometry predicts (:meth:`pair_windows`), nothing is resampled. Each
        burst's window is TOPS-deramped (``deramp=False``: as stored)."""
        _, ref, sec = self._pair(track_name, pair_index)
        windows = [(kk, ii, lo + dl, ref.layout.samples[0] + ds)
                   for (_, _, kk, ii, dl, ds), (_, _, lo, _) in zip(self.pair_windows(track_name, pair_index),
                                                                   ref.layout.pieces)]
        return ref.read(deramp), _read_windows(sec.swaths, windows, ref.layout, deramp)

    def geometric_offsets(self, track_name: str, pair_index: int) -> tuple[np.ndarray, np.ndarray]:
        """(azimuth, range) px per map cell that the orbits alone predict between :meth:`slc_pair`'s images."""
        _, ref, sec = self._pair(track_name, pair_index)
        shifts = np.array([w[4:] for w in self.pair_windows(track_name, pair_index)], float)
        piece = np.maximum(ref.lut["piece"], 0)
        az = sec.lut["line"] - ref.lut["line"] - shifts[piece, 0]
        rg = sec.lut["sample"] - ref.lut["sample"] - shifts[piece, 1]
        bad = ~(ref.lut["valid"] & sec.lut["valid"])
        return np.where(bad, np.nan, az).astype(np.float32), np.where(bad, np.nan, rg).astype(np.float32)


def _annotation_orbit(sw: SafeSwath) -> Any:
    if sw.orbit is None:
        raise Sentinel1Error(f"{sw.product}: {sw.annotation} has no orbit state vectors")
    return sw.orbit


def _acq(acquisition: S1Acquisition, swath: str, grid: MapGrid, height: np.ndarray,
         points: tuple[np.ndarray, np.ndarray, np.ndarray], margin_m: float,
         orbit_dirs: Iterable[str | PathLike[str]]) -> S1Acq:
    from ..geometry.lookup import lookup_table
    from .orbit import choose_orbit

    swaths = acquisition.swaths(swath)
    orbits = [choose_orbit(_annotation_orbit(sw), sw.mission, sw.first_line_time, sw.last_line_time, orbit_dirs) for sw in swaths]
    lat, lon, h = points
    sel = select_bursts(swaths, lat, lon, h, margin_m, orbits[0].vectors)
    layout = _deburst(swaths, sel.bursts, sel.lines, sel.samples)
    shape = grid.shape
    lut = {"piece": np.full(shape, -1, np.int32), "line": np.full(shape, np.nan), "sample": np.full(shape, np.nan),
           "valid": np.zeros(shape, bool), "los": np.full((3, *shape), np.nan, np.float32),
           "flight": np.full((3, *shape), np.nan, np.float32), "incidence_deg": np.full(shape, np.nan, np.float32)}
    for k, (sw, orb) in enumerate(zip(swaths, orbits)):
        t = lookup_table(sw, grid, height, orb.vectors)
        for n, (kk, i, _, _) in enumerate(layout.pieces):
            cells = (kk == k) & t.valid & (t.burst == i) & ~lut["valid"]
            if not cells.any():
                continue
            lut["piece"][cells], lut["valid"][cells] = n, True
            for name in ("line", "sample", "incidence_deg"):
                lut[name][cells] = getattr(t, name)[cells]
            for name in ("los", "flight"):
                lut[name][:, cells] = getattr(t, name)[:, cells]
    return S1Acq(acquisition, swaths, layout, lut, [o.report for o in orbits])


def _aoi_outline(path: Path) -> tuple[np.ndarray, list[np.ndarray], int]:
    """(exterior, holes, EPSG) of an AOI GeoJSON; without a ``crs`` member it is lon/lat (RFC 7946)."""
    import json

    from ..geometry.outline import load_outline_rings

    exterior, holes, epsg = load_outline_rings(path)
    if "crs" not in json.loads(path.read_text()):
        if np.abs(exterior[:, 0]).max() > 180 or np.abs(exterior[:, 1]).max() > 90:
            raise ValueError(f"{path}: no 'crs' member, so the coordinates must be lon/lat degrees (RFC 7946); "
                             f"got values up to {np.abs(exterior).max():.0f}")
        epsg = 4326
    return exterior, holes, epsg


def open_s1_scene(folder: str | PathLike[str], aoi: str | Path | Sequence[float], dem: DemSource | str,
                  spacing_m: float = 100.0, margin_m: float = 1000.0, polarisation: str | None = None,
                  orbit_dirs: Iterable[str | PathLike[str]] = (), tracks: list[str] | None = None,
                  start: str | None = None, end: str | None = None) -> S1Scene:
    """Open the Sentinel-1 products of ``folder`` over ``aoi`` as an :class:`S1Scene`.

    ``aoi``: (lon_min, lat_min, lon_max, lat_max) degrees, or a GeoJSON outline (then the ice
    mask is the outline, else every cell). ``dem``: a :class:`DemSource` (or a path: EGM96).
    ``orbit_dirs``: folders of ``*.EOF`` files (default: ``folder`` itself). ``start`` / ``end``:
    the first / last day of acquisitions used (``YYYY-MM-DD``, inclusive).
    """
    from ..geometry.crs import crs_from_epsg, lonlat_to_xy, utm_grid, xy_to_lonlat
    from ..geometry.outline import rasterize_polygon

    folder = Path(folder)
    outline: np.ndarray | None = None
    holes: list[np.ndarray] = []
    if isinstance(aoi, (str, Path)):
        outline, holes, epsg = _aoi_outline(Path(aoi))
        lon, lat = xy_to_lonlat(epsg, outline[:, 0], outline[:, 1])
        geographic = crs_from_epsg(epsg).is_geographic
        grid = utm_grid(lon.min(), lat.min(), lon.max(), lat.max(), spacing_m, None if geographic else epsg)
        if geographic:                  # rings into the grid's UTM metres
            outline = np.column_stack(lonlat_to_xy(grid.epsg, outline[:, 0], outline[:, 1]))
            holes = [np.column_stack(lonlat_to_xy(grid.epsg, r[:, 0], r[:, 1])) for r in holes]
    else:
        if len(aoi) != 4:
            raise ValueError(f"aoi: expected (lon_min, lat_min, lon_max, lat_max) or a GeoJSON path, got {aoi!r}")
        lon0, lat0, lon1, lat1 = (float(v) for v in aoi)
        grid = utm_grid(lon0, lat0, lon1, lat1, spacing_m)
    height = read_dem(dem if isinstance(dem, DemSource) else DemSource(str(dem)), grid)
    mask = rasterize_polygon(grid, outline, holes) if outline is not None else np.ones(grid.shape, bool)
    # AOI points for the swath and burst choice: 16 × 16 cells spanning the grid, edges included
    # (a fixed count: the geometry kernel compiles once for every scene)
    rows = np.linspace(0, grid.ny - 1, 16).round().astype(int)
    cols = np.linspace(0, grid.nx - 1, 16).round().astype(int)
    xx, yy = np.meshgrid(grid.x[cols], grid.y[rows])
    plon, plat = xy_to_lonlat(grid.epsg, xx, yy)
    points = (plat.ravel(), plon.ravel(), np.nan_to_num(height[np.ix_(rows, cols)].ravel()))
    found = catalog(folder, polarisation, start, end)
    names = list(tracks) if tracks else list(found)
    unknown = [n for n in names if n not in found]
    if unknown:
        raise Sentinel1Error(f"{folder}: track(s) {unknown} not found; the products give {sorted(found)}")
    out = {}
    for name in names:
        acqs = found[name]
        if len(acqs) < 2:
            raise Sentinel1Error(f"{folder}: track {name} has {len(acqs)} acquisition(s) "
                                 f"({', '.join(p.path.name for a in acqs for p in a.products)}); a pair needs 2")
        swath = choose_swath(acqs[0], *points)
        read = [_acq(a, swath, grid, height, points, margin_m, orbit_dirs or (folder,)) for a in acqs]
        ref, sw = read[0], read[0].swaths[0]
        ok = ref.lut["valid"]
        if not ok.any():
            raise Sentinel1Error(f"{sw.product}: no valid sample of {swath} over the AOI")
        flight = np.nanmedian(ref.lut["flight"][:, ok], axis=1)
        out[name] = S1Track(name, sw.pass_direction.lower(), swath, read,
                            float(np.degrees(np.arctan2(flight[1], flight[0]))),
                            float(np.nanmedian(ref.lut["incidence_deg"][ok])), sw.azimuth_pixel_spacing_m,
                            sw.range_pixel_spacing_m, [(i, i + 1) for i in range(len(read) - 1)])
    return S1Scene(folder, grid, height, mask, out, outline, holes)
