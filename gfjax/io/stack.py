"""A user's own stack of coregistered SLCs (one or more tracks) on disk → :class:`StackScene`.

Layout of ``<path>`` (``python -m gfjax.run +experiment=stack data.path=<path>``)::

    <path>/
      grid.yaml            map grid: {epsg: 32605, bounds: [xmin, ymin, xmax, ymax], spacing: 200}
                           (m; optional: the grid of dem.tif otherwise)
      dem.tif              DEM on the map grid, m (GeoTIFF) — or dem + dem.par (GAMMA DEM_par, UTM)
      ice_mask.tif         optional: 1 = ice, 0 = not, on the map grid — or ice_outline.geojson
                           (a Polygon in the grid's EPSG); neither: every cell counts as ice
      flowline.geojson     optional: a LineString head → terminus (flowline products, figures)
      <TRACK>/             one folder per track, named after it (e.g. T065)
        track.yaml         optional: direction (ascending|descending), heading_deg, incidence_deg,
                           azimuth_spacing_m, range_spacing_m (complete or override the SLC
                           metadata), lut_looks: [azimuth, range] (for lut.lt)
        lut.tif            map → radar lookup table on the map grid: band 1 azimuth px, band 2
                           range px in the SLCs (NaN/nodata outside) — or lut.nc (variables
                           azimuth_px, range_px on y, x) or lut.lt (GAMMA gc_map FCOMPLEX,
                           real = range, imag = azimuth, in px / lut_looks)
        YYYYMMDD.rslc      coregistered SLCs, one per date (GAMMA, + YYYYMMDD.rslc.par), or
                           YYYYMMDD.slc.tif; any format registered in gfjax.io.slc_formats
        pairs/YYYYMMDD_YYYYMMDD/YYYYMMDD.rslc (+ .par), two per folder
                           or: SLCs coregistered pair by pair (each pair its own two images)
        offsets/YYYYMMDD_YYYYMMDD.offs (+ .ccp, .off)
                           or: precomputed offsets (GAMMA, :mod:`gfjax.io.gamma_offsets`) per
                           pair: read, not tracked; SLC parameter files (images not needed) in
                           the track folder give the dates and the geometry
        offsets/YYYYMMDD_YYYYMMDD/dense_offsets (+ .hdr; snr, covariance, correlation_peak)
                           or: precomputed ISCE / PyCuAmpcor dense offsets per pair (ENVI, headers
                           carrying the window grid: :mod:`gfjax.io.ampcor`), read the same way;
                           the two layouts may be mixed, one per pair

A track folder is a sub-folder holding SLC metadata files (directly or in ``pairs/``). Its
pairs are, in this order of precedence: the pairs in ``offsets/``, the folders in ``pairs/``,
or the consecutive pairs of its dated images. All SLCs of a track share one radar grid (shape,
pixel spacing: coregistered on one reference), the grid of its lookup table. Pairs touching a
date outside ``start``/``end`` are left out. There is no truth: ``StackScene.has_truth`` is
False and the stages skip truth metrics.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from functools import cached_property, lru_cache
from os import PathLike
from pathlib import Path

import numpy as np

from ..core.radar_source import RadarSceneBase, TrackTimes
from ..core.time import parse_time
from ..geometry.grid import MapGrid
from .slc_formats import SLC_FORMATS, SlcMeta, date_from_name, find_acquisitions, open_blocks
from .stack_rasters import StackError, load_dem, load_flowline, load_grid, load_ice, load_lut, read_yaml

if TYPE_CHECKING:
    import xarray as xr

    from ..protocols import Flowline, ImageBlocks

__all__ = ["StackError", "StackScene", "StackTrack", "load_stack", "track_folders"]


@dataclass(eq=False)
class StackTrack(TrackTimes):
    """One track of a stack: acquisitions, pairs, geometry, lookup table (the duck type of
    :class:`gfjax.sim.radar.Track` that the pipeline stages use)."""

    name: str
    direction: str
    heading_deg: float
    incidence_deg: float
    azimuth_spacing_m: float
    range_spacing_m: float
    acquisitions: list[SlcMeta]  # one per date, sorted by time
    lut: tuple[np.ndarray, np.ndarray] = field(repr=False)
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (i_ref, i_sec) into acquisitions
    pair_images: dict[int, tuple[SlcMeta, SlcMeta]] = field(default_factory=dict)  # pair → its two SLCs
    offset_stems: dict[int, Path] = field(default_factory=dict)  # pair → its offsets (.offs file / ampcor folder)

    @property
    def times(self) -> np.ndarray:
        return np.array([m.time for m in self.acquisitions], dtype="datetime64[s]")


    @property
    def shape(self) -> tuple[int, int]:
        return self.acquisitions[0].shape

    def map_to_radar(self) -> tuple[np.ndarray, np.ndarray]:
        """(azimuth_px, range_px) float32 on the map grid, NaN outside the radar image."""
        return self.lut[0].copy(), self.lut[1].copy()


@dataclass(eq=False)
class StackScene(RadarSceneBase):
    """The duck type of :class:`gfjax.sim.scene.MuldrowScene` the stages need, without truth."""

    path: Path
    grid: MapGrid
    dem: np.ndarray
    ice_mask: np.ndarray
    tracks: dict[str, StackTrack]
    outline_xy: np.ndarray | None = None
    holes_xy: list[np.ndarray] = field(default_factory=list)
    flowline: Flowline | None = None  # from flowline.geojson (gfjax.protocols.Flowline)
    has_truth = False


    def _track(self, name: str) -> StackTrack:
        if name not in self.tracks:
            raise ValueError(f"track_name: {name!r} not in this stack's tracks {list(self.tracks)}")
        return self.tracks[name]

    def pair_times(self, track_name: str, pair_index: int) -> tuple[float, float]:
        """(t_ref, t_sec) decimal years of a pair."""
        trk = self._track(track_name)
        if not 0 <= pair_index < len(trk.pairs):
            raise ValueError(f"pair_index: {pair_index} out of range 0..{len(trk.pairs) - 1} for track {track_name}")
        i, j = trk.pairs[pair_index]
        return float(trk.decimal_years[i]), float(trk.decimal_years[j])

    def slc_pair(self, track_name: str, pair_index: int) -> tuple[np.ndarray, np.ndarray]:
        """(reference, secondary) complex64 SLCs (n_az, n_rg) of a pair, read from disk."""
        self.pair_times(track_name, pair_index)  # range check
        images = self.tracks[track_name].pair_images.get(pair_index)
        if images is None:
            raise StackError(f"track {track_name}: pair {pair_index} has precomputed offsets and no SLC images")
        return self._image(images[0]), self._image(images[1])

    def slc_blocks(self, track_name: str, pair_index: int) -> tuple[ImageBlocks, ImageBlocks]:
        """(reference, secondary) of a pair as :class:`gfjax.protocols.ImageBlocks`: read from
        disk a window at a time (:func:`gfjax.io.slc_formats.open_blocks`), nothing read yet
        but a byte-order sample."""
        self.pair_times(track_name, pair_index)  # range check
        images = self.tracks[track_name].pair_images.get(pair_index)
        if images is None:
            raise StackError(f"track {track_name}: pair {pair_index} has precomputed offsets and no SLC images")
        try:
            return open_blocks(images[0]), open_blocks(images[1])
        except ValueError as err:
            raise StackError(str(err)) from None

    @lru_cache(maxsize=2)  # consecutive pairs share an image
    def _image(self, meta: SlcMeta) -> np.ndarray:
        if not meta.data_path.is_file():
            raise StackError(f"{meta.data_path}: SLC image missing (its metadata {meta.path} is there)")
        data = SLC_FORMATS[meta.format].read_data(meta)
        if data.shape != meta.shape:
            raise StackError(f"{meta.data_path}: image shape {data.shape} differs from its metadata {meta.shape}")
        return data

    def precomputed_offsets(self, track_name: str, pair_index: int) -> xr.Dataset | None:
        """The pair's offsets read from GAMMA files (the offsets stage's per-pair Dataset), or
        None when the pair is to be tracked."""
        stem = self._track(track_name).offset_stems.get(pair_index)
        if stem is None:
            return None
        for layout in OFFSET_LAYOUTS.values():
            if layout.owns(stem):
                return layout.read(stem)
        raise StackError(f"{stem}: not a precomputed offsets layout ({list(OFFSET_LAYOUTS)})")


# --- precomputed offsets layouts ---------------------------------------------------------------
@dataclass(frozen=True)
class OffsetLayout:
    """One layout of precomputed offsets in ``<track>/offsets/``: ``find`` lists the pair
    entries (named ``YYYYMMDD_YYYYMMDD``, optionally with a suffix), ``owns`` tells whether an
    entry is of this layout, ``read`` gives the offsets stage's per-pair Dataset."""

    find: Callable[[Path], list[Path]]  # (offsets folder) -> one entry per pair
    owns: Callable[[Path], bool]  # (entry) -> bool
    read: Callable[[Path], xr.Dataset]  # (entry) -> the per-pair Dataset


def _gamma_read(offs: Path) -> xr.Dataset:
    from .gamma_offsets import offsets_dataset

    return offsets_dataset(offs.with_suffix(""))


def _ampcor_read(folder: str | PathLike[str]) -> xr.Dataset:
    from .ampcor import offsets_dataset

    try:
        return offsets_dataset(folder)
    except ValueError as err:
        raise StackError(str(err)) from None


OFFSET_LAYOUTS = {
    "gamma": OffsetLayout(find=lambda d: sorted(p for p in d.glob("*.offs") if p.is_file()),
                          owns=lambda p: p.suffix == ".offs", read=_gamma_read),
    "ampcor": OffsetLayout(find=lambda d: sorted(p for p in d.glob("*") if (p / "dense_offsets").is_file()),
                           owns=lambda p: (p / "dense_offsets").is_file(), read=_ampcor_read),
}


def _offset_entries(folder: Path) -> list[Path]:
    """The pair entries of ``folder/offsets`` in every layout (one per pair, else StackError)."""
    if not (folder / "offsets").is_dir():
        return []
    entries: list[Path] = []
    seen: dict[tuple[np.datetime64, np.datetime64], Path] = {}
    for layout in OFFSET_LAYOUTS.values():
        for entry in layout.find(folder / "offsets"):
            days = _pair_days(entry)
            if days in seen:
                raise StackError(f"{entry}: pair {days[0]}_{days[1]} also has offsets {seen[days]}; keep one")
            seen[days] = entry
            entries.append(entry)
    return entries


# --- loading ----------------------------------------------------------------------------------
def _check_same_geometry(metas: list[SlcMeta]) -> None:
    first = metas[0]
    for m in metas[1:]:
        for name in ("shape", "azimuth_spacing_m", "range_spacing_m"):
            a, b = getattr(first, name), getattr(m, name)
            if a != b and not (isinstance(a, float) and isinstance(b, float) and np.isclose(a, b, rtol=1e-9)):
                raise StackError(f"{m.path}: {name} {b} differs from {a} of {first.path} "
                                 "(the SLCs of a track must share one coregistered radar grid)")


def _pair_days(path: Path) -> tuple[np.datetime64, np.datetime64]:
    """The two dates of a pair name ``YYYYMMDD_YYYYMMDD`` (reference first)."""
    parts = path.name.split(".")[0].split("_")
    days = [date_from_name(p) if len(p) == 8 and p.isdigit() else None for p in parts] if len(parts) == 2 else []
    ref, sec = (days[0], days[1]) if len(days) == 2 else (None, None)
    if ref is None or sec is None:
        raise StackError(f"{path}: expected a pair name YYYYMMDD_YYYYMMDD (reference_secondary)")
    if ref >= sec:
        raise StackError(f"{path}: the reference date {ref} must come before the secondary date {sec}")
    return ref, sec


def _pair_folders(folder: Path) -> dict[tuple[np.datetime64, np.datetime64], tuple[SlcMeta, SlcMeta]]:
    """``{(day_ref, day_sec): (reference meta, secondary meta)}`` of ``<folder>/pairs/*``."""
    out = {}
    for pdir in sorted(p for p in (folder / "pairs").glob("*") if p.is_dir()):
        days = _pair_days(pdir)
        metas = find_acquisitions(pdir)
        got = [m.time.astype("datetime64[D]") for m in metas]
        if got != list(days):
            raise StackError(f"{pdir}: expected the two SLCs of {days[0]} and {days[1]}, found "
                             f"{[m.path.name for m in metas] or 'none'}")
        out[days] = (metas[0], metas[1])
    return out


def _load_track(folder: Path, grid: MapGrid, start: np.datetime64 | None, end: np.datetime64 | None) -> StackTrack:
    dated = find_acquisitions(folder)
    pair_dirs = _pair_folders(folder) if (folder / "pairs").is_dir() else {}
    offsets = _offset_entries(folder)
    by_day: dict[np.datetime64, SlcMeta] = {}
    for m in dated + [m for pm in pair_dirs.values() for m in pm]:
        by_day.setdefault(m.time.astype("datetime64[D]"), m)
    everything = sorted(by_day.values(), key=lambda m: m.time)
    if everything:
        _check_same_geometry(everything)

    def inside(day: np.datetime64) -> bool:
        return bool((start is None or day >= start) and (end is None or day <= end))

    keep = [m for m in everything if inside(m.time.astype("datetime64[D]"))]
    index = {m.time.astype("datetime64[D]"): i for i, m in enumerate(keep)}
    pairs: list[tuple[int, int]]
    images: dict[int, tuple[SlcMeta, SlcMeta]]
    stems: dict[int, Path]
    if offsets:
        found: list[tuple[tuple[int, int], Path]] = []
        for offs in offsets:
            days = _pair_days(offs)
            for day in days:
                if day not in by_day:
                    raise StackError(f"{offs}: date {day} has no SLC parameter file in {folder}")
            if all(d in index for d in days):
                found.append(((index[days[0]], index[days[1]]), offs))
        found.sort(key=lambda item: item[0])
        pairs, images, stems = [p for p, _ in found], {}, {k: s for k, (_, s) in enumerate(found)}
    elif pair_dirs:
        chosen = sorted(((index[a], index[b]), metas) for (a, b), metas in pair_dirs.items()
                        if a in index and b in index)
        pairs, images, stems = [p for p, _ in chosen], {k: m for k, (_, m) in enumerate(chosen)}, {}
    else:
        pairs = [(i, i + 1) for i in range(len(keep) - 1)]
        images, stems = {k: (keep[i], keep[j]) for k, (i, j) in enumerate(pairs)}, {}
    if len(keep) < 2 or not pairs:
        window = "" if start is None and end is None else f" between {start or '…'} and {end or '…'}"
        names = ", ".join(m.path.name for m in keep) or "none"
        raise StackError(f"track {folder.name} ({folder}): {len(keep)} acquisition(s){window} ({names}) and "
                         f"{len(pairs)} pair(s); a track needs at least 2 images forming a pair")
    for meta_pair in images.values():
        for m in meta_pair:
            if not m.data_path.is_file():
                raise StackError(f"{m.data_path}: SLC image missing (metadata {m.path}; no offsets/ folder)")
    geo, direction, looks = _track_geometry(folder, keep[0])
    lut = load_lut(folder, grid, keep[0].shape, looks)
    return StackTrack(folder.name, direction, acquisitions=keep, lut=lut, pairs=pairs, pair_images=images,
                      offset_stems=stems, **geo)


TRACK_FIELDS = ("direction", "heading_deg", "incidence_deg", "azimuth_spacing_m", "range_spacing_m", "lut_looks")


def _track_geometry(folder: Path, first: SlcMeta) -> tuple[dict[str, float], str, list[float]]:
    """(heading, incidence, spacings), direction and LUT looks from track.yaml and the SLC metadata."""
    path = folder / "track.yaml"
    doc = read_yaml(path) if path.is_file() else {}
    unknown = sorted(set(doc) - set(TRACK_FIELDS))
    if unknown:
        raise StackError(f"{path}: unknown field(s) {unknown}; known: {list(TRACK_FIELDS)}")
    geo = {}
    for key in ("heading_deg", "incidence_deg", "azimuth_spacing_m", "range_spacing_m"):
        value = doc.get(key, getattr(first, key))
        if value is None:
            raise StackError(f"{folder}: {key} unknown: the SLC metadata ({first.path}) lack it; give {key} in {path}")
        try:
            geo[key] = float(value)
        except (TypeError, ValueError):
            raise StackError(f"{path}: field {key!r}: expected a number, got {value!r}") from None
    direction = doc.get("direction") or ("ascending" if np.cos(np.radians(geo["heading_deg"])) > 0 else "descending")
    if direction not in ("ascending", "descending"):
        raise StackError(f"{path}: field 'direction': expected ascending or descending, got {direction!r}")
    looks = doc.get("lut_looks", [1, 1])
    if not (isinstance(looks, list) and len(looks) == 2):
        raise StackError(f"{path}: field 'lut_looks': expected [azimuth, range], got {looks!r}")
    return geo, direction, [float(v) for v in looks]


def track_folders(root: str | PathLike[str]) -> list[Path]:
    """Sub-folders of ``root`` holding SLC metadata files (directly or in ``pairs/*/``)."""
    patterns = [p for f in SLC_FORMATS.values() for p in f.patterns]
    return [d for d in sorted(Path(root).iterdir()) if d.is_dir()
            and any(any(d.glob(p)) or any(d.glob(f"pairs/*/{p}")) for p in patterns)]


def load_stack(path: str | PathLike[str], tracks: list[str] | None = None, start: str | None = None,
               end: str | None = None) -> StackScene:
    """Read the stack at ``path`` (layout in this module's docstring). ``tracks``: names of the
    track folders to use (None = all); ``start``/``end``: ISO dates (inclusive) selecting the
    acquisitions. ``StackError`` (a ``ValueError``) names the file and field that is wrong."""
    root = Path(path)
    if not root.is_dir():
        raise StackError(f"{root}: stack folder not found")
    dates: dict[str, np.datetime64 | None] = {}
    for name, value in (("start", start), ("end", end)):
        try:
            dates[name] = None if value in (None, "") else parse_time(str(value), "D")
        except ValueError:
            raise StackError(f"{name}: expected an ISO date YYYY-MM-DD, got {value!r}") from None
    grid = load_grid(root)
    dem = load_dem(root, grid)
    mask, outline, holes = load_ice(root, grid)
    found = {d.name: d for d in track_folders(root)}
    if not found:
        raise StackError(f"{root}: no track folder (a sub-folder with SLC metadata: "
                         f"{sorted(p for f in SLC_FORMATS.values() for p in f.patterns)})")
    names = list(tracks) if tracks else list(found)
    unknown = [n for n in names if n not in found]
    if unknown:
        raise StackError(f"{root}: track(s) {unknown} not found; the stack has {sorted(found)}")
    loaded = {n: _load_track(found[n], grid, dates["start"], dates["end"]) for n in names}
    return StackScene(root, grid, dem, mask, loaded, outline, holes, load_flowline(root))
