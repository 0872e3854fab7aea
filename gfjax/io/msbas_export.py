"""MSBAS v10 input folders: write per-pair GeoTIFFs + list files + ``header.txt``; read them back.

The folder :func:`export_msbas` writes is what ``msbas`` (and ``python -m gfjax.msbas``) reads
(:mod:`gfjax.io.msbas_header` documents the keys)::

    header.txt             FORMAT=2, FILE_SIZE, WINDOW_SIZE, C_FLAG, R_FLAG, [MC_FLAG,] SET=…
    <set>.txt              one line per pair: ``maps/<set>_<date1>_<date2>.tif 0 <date1> <date2>``
    maps/<set>_<d1>_<d2>.tif   float32 GeoTIFF on the common grid, no data = 0 (MSBAS's)

Dates are ``YYYYMMDD``; the ``hhmmss`` of each set goes on its SET line. Bperp is written as 0
(offset tracking does not use it; the column is required). Map values are written as given —
MSBAS expects displacements in metres (range: line of sight, positive toward the satellite;
azimuth: along the flight direction), see docs/architecture.md for the px → m conversion. NaN
becomes 0 (no data), so an exact 0 in the data also reads as no data. Old keys such as
``I_FLAG`` are not written: MSBAS v10 and gfjax's parser ignore them (with a warning).

:func:`read_msbas_inputs` parses a header with :func:`gfjax.io.msbas_header.parse_header` and reads
the maps with :func:`gfjax.io.msbas_maps.read_maps` (as ``python -m gfjax.msbas``: FORMAT=2, r
fills holes), cropped to WINDOW_SIZE, 0 and NaN → NaN, and the sets' geometry with
:func:`gfjax.io.msbas_geometry.read_header_geometry`.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..geometry.grid import MapGrid
from .geotiff import write_geotiff

if TYPE_CHECKING:
    from .msbas_geometry import HeaderGeometry
    from .msbas_header import Header

KINDS = {"range": 0, "azimuth": 1}


@dataclass
class MsbasSet:
    """One MSBAS set: a track and a measurement direction, with its pairs.

    ``kind`` "range" | "azimuth"; ``heading_deg`` clockwise from north (Sentinel-1 platform
    heading, e.g. −12.98 or 347.02); ``incidence_deg`` at the scene; ``pairs`` a list of
    ``(date1, date2, map)`` with map (ny, nx) m on the export grid; ``hhmmss`` acquisition time
    (UTC); ``name`` the list-file stem (default ``set<k>_<kind>``).
    """

    kind: str
    heading_deg: float
    incidence_deg: float
    pairs: list[tuple[str | _dt.date | np.datetime64, str | _dt.date | np.datetime64, ArrayLike]] = \
        field(default_factory=list)
    hhmmss: str = "000000"
    name: str | None = None


def _yyyymmdd(value: str | _dt.date | np.datetime64, where: str) -> str:
    try:
        # numpy's stubs lack np.datetime64(<datetime64>, unit), which numpy accepts
        day = (np.datetime64(value, "D") if not isinstance(value, str) or "-" in value  # type: ignore[call-overload]
               else np.datetime64(f"{value[:4]}-{value[4:6]}-{value[6:8]}", "D"))
    except ValueError:
        raise ValueError(f"{where}: date {value!r} is not a date (YYYY-MM-DD, YYYYMMDD or datetime)") from None
    if np.isnat(day):
        raise ValueError(f"{where}: date {value!r} is not a date")
    return str(day).replace("-", "")


def _calibration(value: str | Iterable[Iterable[int]], where: str) -> str:
    """C_FLAG in MSBAS v10's forms: 0, 10, '100, 5, 5' (automatic reference) or reference boxes
    (column, row of the centre in full-image pixels, half-sizes a, b — one a, b for all boxes)."""
    if value in ("none", 0):
        return "0"
    if value == "mean":
        return "10"
    if value == "auto":
        return "100, 5, 5"
    boxes = [tuple(int(v) for v in b) for b in value]
    if not boxes or len(boxes) > 9 or any(len(b) != 4 for b in boxes) \
            or len({b[2:] for b in boxes}) != 1:
        raise ValueError(f"{where}: calibration must be 'none', 'mean', 'auto' or 1-9 boxes [(col, row, "
                         f"half_cols, half_rows), …] with the same half-sizes (MSBAS v10), got {value!r}")
    return ", ".join([str(len(boxes))] + [str(v) for b in boxes for v in b[:2]] + [str(v) for v in boxes[0][2:]])


def export_msbas(folder: str | PathLike[str], sets: list[MsbasSet], grid: MapGrid, *,
                 window: tuple[int, int, int, int] | None = None,
                 calibration: str | Iterable[Iterable[int]] = "none", order: int = 1, lam: float = 0.1,
                 min_coverage: float | None = None) -> Path:
    """Write an MSBAS v10 input folder; returns the path of ``header.txt``.

    ``window`` (col0, col1, row0, row1) inclusive, 0-based (default: the whole grid);
    ``calibration`` 'none' | 'mean' | 'auto' | list of boxes (col, row, half_cols, half_rows);
    ``order`` 0/1/2 and ``lam`` the Tikhonov regularisation (``order=0, lam=0``: none);
    ``min_coverage`` MC_FLAG fraction.
    """
    folder = Path(folder)
    if not sets:
        raise ValueError(f"{folder}: no sets to export")
    if order not in (0, 1, 2) or lam < 0 or (order > 0 and lam <= 0):
        raise ValueError(f"{folder}: order must be 0, 1 or 2 and lam > 0 (or order 0 with lam 0), got {order}, {lam}")
    names = [s.name or f"set{k}_{s.kind}" for k, s in enumerate(sets)]
    if len(set(names)) != len(names):
        raise ValueError(f"{folder}: set names must be unique, got {names}")
    c0, c1, r0, r1 = window if window is not None else (0, grid.nx - 1, 0, grid.ny - 1)
    if not (0 <= c0 <= c1 < grid.nx and 0 <= r0 <= r1 < grid.ny):
        raise ValueError(f"{folder}: window {(c0, c1, r0, r1)} outside the {grid.nx} × {grid.ny} grid")
    lines = ["# MSBAS v10 input written by gfjax.io.msbas_export", "FORMAT=2", f"FILE_SIZE={grid.nx}, {grid.ny}",
             f"WINDOW_SIZE={c0}, {c1}, {r0}, {r1}", f"C_FLAG={_calibration(calibration, str(folder))}",
             "R_FLAG=0" if order == 0 and lam == 0 else f"R_FLAG={order + 1}, {lam:g}"]
    if min_coverage is not None:
        lines.append(f"MC_FLAG={min_coverage:g}")
    for k, (s, name) in enumerate(zip(sets, names)):
        where = f"{folder}: set {k} ({name})"
        if s.kind not in KINDS:
            raise ValueError(f"{where}: kind must be 'range' or 'azimuth', got {s.kind!r}")
        hhmmss = str(s.hhmmss).zfill(6)
        if not (hhmmss.isdigit() and len(hhmmss) == 6):
            raise ValueError(f"{where}: hhmmss must be 6 digits, got {s.hhmmss!r}")
        if not s.pairs:
            raise ValueError(f"{where}: no pairs")
        rows: list[str] = []
        seen: set[tuple[str, str]] = set()
        for j, (d1, d2, data) in enumerate(s.pairs):
            a, b = _yyyymmdd(d1, f"{where} pair {j}"), _yyyymmdd(d2, f"{where} pair {j}")
            if a >= b or (a, b) in seen:
                raise ValueError(f"{where} pair {j}: dates must increase and not repeat, got {a} {b}")
            seen.add((a, b))
            if np.shape(data) != grid.shape:
                raise ValueError(f"{where} pair {j} ({a}_{b}): map shape {np.shape(data)}, grid is {grid.shape}")
            rel = f"maps/{name}_{a}_{b}.tif"
            write_geotiff(folder / rel, np.asarray(data, np.float32), grid, nodata=0.0)
            rows.append(f"{rel} 0 {a} {b}")
        (folder / f"{name}.txt").write_text("\n".join(rows) + "\n")
        lines.append(f"SET={KINDS[s.kind]}, {hhmmss}, {s.heading_deg:.6f}, {s.incidence_deg:.6f}, {name}.txt")
    header = folder / "header.txt"
    header.write_text("\n".join(lines) + "\n")
    return header


@dataclass
class MsbasInputs:
    """Everything an inversion needs from an MSBAS folder (maps cropped to the window)."""

    header: Header
    maps: np.ndarray            # (M, rows, cols) float32, NaN = no data
    set_index: np.ndarray       # (M,)
    master: np.ndarray          # (M,) datetime64[s]
    slave: np.ndarray
    t_master: np.ndarray        # (M,) decimal years
    t_slave: np.ndarray
    set_vectors: np.ndarray     # (S, 3) (north, east, up), or (S, 3, rows, cols): 7-field SETs
    grid: MapGrid | None        # of the window, when the maps are georeferenced
    names: list[str]            # "list.txt:line" per map
    geometry: HeaderGeometry | None = None   # passes, slopes, v10's dimension (msbas_geometry.py)


def read_msbas_inputs(header_path: str | PathLike[str]) -> MsbasInputs:
    """Parse ``header_path`` and read its maps as ``python -m gfjax.msbas`` does (FORMAT=2, r fills
    holes up to r pixels; gfjax/io/msbas_maps.py) and the geometry of its sets and slopes
    (:func:`gfjax.io.msbas_geometry.read_header_geometry`: vectors per set or per pixel, v10's
    dimension); every map must share size, transform and CRS."""
    import rasterio

    from .msbas_geometry import read_header_geometry
    from .msbas_header import map_times, parse_header
    from .msbas_maps import MapReadError, read_maps

    hdr = parse_header(header_path)
    entries, set_index, tm, ts = map_times(hdr)
    c0, c1, r0, r1 = hdr.window
    first: tuple[tuple[Any, Any], Path] | None = None     # ((transform, CRS), file) of the first map
    for e in entries:
        if not e.path.is_file():
            raise MapReadError(f"{e.where}: map {e.path} not found")
        try:
            with rasterio.open(e.path) as src:
                geo, size = (src.transform, src.crs), (src.width, src.height)
        except Exception as exc:                                  # rasterio / GDAL errors
            raise MapReadError(f"{e.where}: cannot read map {e.path}: {exc}") from None
        if size != tuple(hdr.file_size):
            raise MapReadError(f"{e.where}: map {e.path} is {size[0]}x{size[1]} (cols x rows), "
                               f"FILE_SIZE says {hdr.file_size[0]}x{hdr.file_size[1]}")
        if first is None:
            first = (geo, e.path)
        elif geo != first[0]:
            raise MapReadError(f"{e.where}: map {e.path} has transform/CRS {geo}, {first[1]} has {first[0]}")
    data, _ = read_maps([e.path for e in entries], [e.where for e in entries], hdr.file_size, hdr.window,
                        fill_radius=hdr.interp_radius)
    maps = np.where(data != 0, data, np.float32(np.nan)).astype(np.float32)
    grid = None
    assert first is not None                    # parse_header refuses a set without maps
    (transform, crs), _ = first
    if transform is not None and crs is not None:
        full = MapGrid.from_transform(transform, crs, *hdr.file_size, name=str(first[1]))
        grid = MapGrid(full.epsg, full.x0 + c0 * full.spacing, full.y0 - r0 * full.spacing, full.spacing,
                       c1 - c0 + 1, r1 - r0 + 1)
    geometry = read_header_geometry(hdr)

    def as_dt64(xs: Iterable[_dt.datetime]) -> np.ndarray:
        return np.array([np.datetime64(x, "s") for x in xs], dtype="datetime64[s]")

    return MsbasInputs(hdr, maps, np.asarray(set_index), as_dt64(e.master for e in entries),
                       as_dt64(e.slave for e in entries), np.asarray(tm), np.asarray(ts), geometry.set_vectors,
                       grid, [e.where for e in entries], geometry)


def msbas_time(when: _dt.datetime | np.datetime64 | str) -> str:
    """``hhmmss`` of a datetime / datetime64 (UTC), for :attr:`MsbasSet.hhmmss`."""
    # numpy's stubs lack np.datetime64(<datetime64>, unit), which numpy accepts
    t: _dt.datetime = np.datetime64(when, "s").astype(_dt.datetime)  # type: ignore[call-overload]
    return t.strftime("%H%M%S")
