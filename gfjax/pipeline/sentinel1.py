"""``data.source=sentinel1``: a folder of Sentinel-1 IW SLC SAFE products (zip or folder) over an AOI
as the pipeline's scene (:class:`gfjax.io.s1_scene.S1Scene`), checked before any stage runs.

Keys (``gfjax/conf/data/sentinel1.yaml``): ``data.path`` (the products), ``data.aoi`` (GeoJSON
outline) or ``data.bbox`` (lon/lat box), ``data.dem`` + ``data.dem_datum`` (+ ``data.geoid``),
``data.orbits`` (``*.EOF`` folder; default ``data.path``), ``data.margin_m``, ``data.tracks``
(relative orbits, ``[9]`` or ``["T009"]``). The map grid is the AOI's UTM grid at
``geometry.grid_spacing_m`` (null: 100 m).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("gfjax")

DEFAULT_SPACING_M = 100.0


def track_names(tracks: Any) -> list[str] | None:
    """``data.tracks`` as the catalogue names them (``9`` / ``"9"`` / ``"T009"`` → ``"T009"``)."""
    out = []
    for t in tracks or []:
        try:
            out.append(f"T{int(str(t).upper().lstrip('T')):03d}")
        except ValueError:
            raise ValueError(f"data.tracks: relative orbit numbers expected (e.g. [9] or [T009]), got {t!r}") from None
    return out or None


def _aoi(data: Any) -> Any:
    """The AOI ``open_s1_scene`` takes: the GeoJSON path or the (lon_min, lat_min, lon_max, lat_max) box."""
    if data.aoi and data.bbox:
        raise ValueError("data.aoi and data.bbox are both set: give one (an outline, or a lon/lat box)")
    if data.aoi:
        path = Path(data.aoi).expanduser()
        if not path.is_file():
            raise ValueError(f"data.aoi: AOI outline {data.aoi} not found (a GeoJSON Polygon, lon/lat)")
        return path
    if not data.bbox:
        raise ValueError("data.aoi or data.bbox is required with data.source=sentinel1 (a GeoJSON outline, or "
                         "data.bbox=[lon_min,lat_min,lon_max,lat_max])")
    box = [float(v) for v in data.bbox]
    if len(box) != 4 or not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        raise ValueError(f"data.bbox: expected [lon_min, lat_min, lon_max, lat_max] degrees with min < max, got {box}")
    return tuple(box)


def _dem(data: Any) -> Any:
    from gfjax.io.dem import DemSource

    if not data.dem:
        raise ValueError("data.dem: a DEM covering the AOI is required with data.source=sentinel1 (any GDAL "
                         "raster, e.g. an SRTM .hgt.zip or a GLO-30 GeoTIFF; data.dem_datum its vertical datum)")
    if not Path(data.dem).expanduser().exists():
        raise ValueError(f"data.dem: DEM {data.dem} not found")
    if data.geoid and not Path(data.geoid).expanduser().is_file():
        raise ValueError(f"data.geoid: geoid grid {data.geoid} not found")
    try:
        return DemSource(str(Path(data.dem).expanduser()), str(data.dem_datum).lower(),
                         str(Path(data.geoid).expanduser()) if data.geoid else None)
    except ValueError as err:
        raise ValueError(f"data.dem_datum: {err}") from None


def sentinel1_preflight(data: Any) -> None:
    """Errors naming the key (and file) of a Sentinel-1 source that cannot work: no folder, no
    products in it (or unreadable ones, mixed polarisations), a track with fewer than two
    acquisitions, no AOI, no DEM, an orbit folder that is not there."""
    from gfjax.io.s1_catalog import catalog
    from gfjax.io.safe import Sentinel1Error

    if not data.path:
        raise ValueError("data.path: the folder of Sentinel-1 SAFE products (*.zip / *.SAFE) is required with "
                         "data.source=sentinel1 (python -m gfjax.run +experiment=sentinel1 data.path=DIR "
                         "data.aoi=outline.geojson data.dem=dem.tif)")
    folder = Path(data.path).expanduser()
    if not folder.is_dir():
        raise ValueError(f"data.path: Sentinel-1 product folder {data.path} not found")
    if data.frames:
        raise ValueError(f"data.frames: not used with data.source=sentinel1 (the products in {data.path} "
                         "over the AOI are joined whatever their frames; choose dates with data.start/data.end)")
    _aoi(data)
    _dem(data)
    if data.orbits and not Path(data.orbits).expanduser().is_dir():
        raise ValueError(f"data.orbits: orbit folder {data.orbits} not found")
    if data.margin_m < 0:
        raise ValueError(f"data.margin_m: must be ≥ 0 m, got {data.margin_m}")
    wanted = track_names(data.tracks)
    try:
        found = catalog(folder, start=data.start, end=data.end)
    except Sentinel1Error as err:
        raise ValueError(f"data.path: {err}") from None
    except ValueError as err:
        raise ValueError(f"data.{err}") from None
    names = wanted or list(found)
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"data.tracks: {missing} not among the products' relative orbits {sorted(found)}")
    for name in names:
        if len(found[name]) < 2:
            products = ", ".join(p.path.name for a in found[name] for p in a.products)
            span = (f" between data.start={data.start or '…'} and data.end={data.end or '…'}"
                    if data.start or data.end else "")
            raise ValueError(f"data.path: track {name} has {len(found[name])} acquisition{span} ({products}); "
                             "a pair needs 2")


def open_sentinel1(data: Any, spacing_m: float | None) -> Any:
    """The :class:`~gfjax.io.s1_scene.S1Scene` of ``data`` on a ``spacing_m`` UTM grid (None: 100 m)."""
    from gfjax.io.s1_scene import open_s1_scene

    folder = Path(data.path).expanduser()
    log.info("reading the Sentinel-1 products in %s", folder)
    orbits = [Path(data.orbits).expanduser()] if data.orbits else [folder]
    return open_s1_scene(folder, _aoi(data), _dem(data), spacing_m=spacing_m or DEFAULT_SPACING_M,
                         margin_m=float(data.margin_m), orbit_dirs=orbits, tracks=track_names(data.tracks),
                         start=data.start, end=data.end)
