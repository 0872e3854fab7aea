"""``data.source=safe_sim`` (``+experiment=muldrow_safe``): the synthetic Muldrow scene of the ``scene``
section written as Sentinel-1 IW SLC SAFE zips, POEORB orbit files and a DEM GeoTIFF into the run
folder (``<run>/safe/``, :func:`gfjax.sim.safe_scene.write_safe_products`), then read by the very
route real products take (:func:`gfjax.pipeline.sentinel1.open_sentinel1`, ``data.source=sentinel1``),
and validated against the scene's truth.

The simulator stays on this side: the Sentinel-1 route itself never imports ``gfjax.sim``. The
products are written once per scene: ``safe/written.json`` records the fingerprint of the scene
(its ``SceneSpec`` and the writer's code); a run whose scene has that fingerprint reuses them, a
changed scene (or writer) writes them again. They are written into ``safe.partial/`` and renamed
when complete, so a killed write leaves no half set that a later run would take.

The AOI is the scene's outline (``scene.outline``; "" = the packaged Muldrow outline), or, for a
scene cut by ``scene.bbox``, that box less ``data.margin_m`` on each side (the room the reader takes
around the AOI must hold data), as a lon/lat box. The truth is the scene's, resampled onto the
AOI's map grid (:func:`gfjax.products.validation.truth_on_grid`); the reference products are
those written beside the zips.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

log = logging.getLogger("gfjax")

FOLDER = "safe"
RECORD = "written.json"
# what writes the products: a change to any of them writes them again
WRITER_CODE = ("gfjax.sim", "gfjax.io.safe_write", "gfjax.io.safe_annotation", "gfjax.io.orbit", "gfjax.io.geotiff",
               "gfjax.pipeline.safe_sim")
# data.* keys the source sets itself: a value given for one is an error naming it
SET_BY_SOURCE = ("path", "aoi", "bbox", "dem", "geoid", "orbits", "tracks", "frames", "start", "end", "reference")


def spec_of(settings: Any) -> Any:
    """The ``SceneSpec`` of the ``scene`` section."""
    from gfjax.core.scene_spec import SceneSpec

    scene = settings.scene
    return scene if isinstance(scene, SceneSpec) else SceneSpec.from_dict(dataclasses.asdict(scene))


def scene_fingerprint(spec: Any) -> str:
    """SHA-256 (16 hex) of the scene's ``SceneSpec`` and of the writer's code."""
    from gfjax.pipeline.stage import code_digest

    payload = {"spec": dataclasses.asdict(spec), "code": code_digest(WRITER_CODE)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def safe_sim_preflight(settings: Any) -> None:
    """Errors before any stage: a ``data.*`` key this source sets itself, a negative margin."""
    data = settings.data
    given = [k for k in SET_BY_SOURCE if getattr(data, k, None)]
    if given:
        raise ValueError(f"data.{given[0]}: not used with data.source=safe_sim (the scene's products are written "
                         "into the run folder, <run>/safe/: choose the scene with scene.* — dates scene.start / "
                         "scene.end, tracks scene.tracks; for products of your own use data.source=sentinel1)")
    if data.margin_m < 0:
        raise ValueError(f"data.margin_m: must be ≥ 0 m, got {data.margin_m}")
    spec = spec_of(settings)
    if spec.bbox and min(spec.bbox[2] - spec.bbox[0], spec.bbox[3] - spec.bbox[1]) <= 2 * data.margin_m:
        raise ValueError(f"data.margin_m={data.margin_m}: the AOI is scene.bbox less data.margin_m on each side, "
                         f"and scene.bbox={list(spec.bbox)} is not wider than twice that")


def read_record(workdir: Path) -> dict | None:
    """``<run>/safe/written.json`` (what was written, for which scene), or None."""
    try:
        return json.loads((Path(workdir) / FOLDER / RECORD).read_text())
    except (OSError, ValueError):
        return None


def _complete(folder: Path, record: dict) -> bool:
    names = [n for zips in record.get("products", {}).values() for n in zips]
    names += [record.get("dem", "dem.tif"), *record.get("references", {}).values()]
    return all((folder / n).is_file() for n in names)


def ensure_products(settings: Any, workdir: Path) -> dict:
    """The scene's products in ``<run>/safe/``, written unless that folder holds them for this scene;
    returns the record (``written.json``) with ``"reused"``: whether they were there already."""
    spec = spec_of(settings)
    fp = scene_fingerprint(spec)
    folder = Path(workdir) / FOLDER
    record = read_record(workdir)
    if record is not None and record.get("fingerprint") == fp and _complete(folder, record):
        log.info("safe_sim: the scene's SAFE products in %s are up to date (fingerprint %s)", folder, fp)
        return {**record, "reused": True}
    from gfjax.pipeline.provenance import atomic_write_json
    from gfjax.sim.safe_scene import write_safe_products  # the simulator: this source only

    partial = folder.with_name(FOLDER + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    log.info("safe_sim: writing the scene as Sentinel-1 SAFE products into %s (fingerprint %s)", folder, fp)
    t0 = time.perf_counter()
    written = write_safe_products(spec, partial)
    record = {"fingerprint": fp, "spec": dataclasses.asdict(spec),
              "products": {k: [Path(p).name for p in v] for k, v in written["products"].items()},
              "dem": Path(written["dem"]).name,
              "references": {str(y): Path(p).name for y, p in written["references"].items()},
              "written_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "write_s": round(time.perf_counter() - t0, 3),
              "size_mb": round(sum(f.stat().st_size for f in partial.iterdir() if f.is_file()) / 2**20, 1)}
    atomic_write_json(partial / RECORD, record)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return {**record, "reused": False}


def aoi(settings: Any) -> Any:
    """The AOI ``open_s1_scene`` takes: the scene's outline (GeoJSON path), or ``scene.bbox`` less
    ``data.margin_m`` as a (lon_min, lat_min, lon_max, lat_max) box."""
    import numpy as np

    from gfjax.geometry.crs import xy_to_lonlat
    from gfjax.geometry.outline import load_outline_rings, packaged_outline_path

    spec, margin = spec_of(settings), float(settings.data.margin_m)
    outline = Path(spec.outline).expanduser() if spec.outline else packaged_outline_path()
    if not spec.bbox:
        return outline
    x0, y0, x1, y1 = (float(v) for v in spec.bbox)
    xs = np.array([x0 + margin, x1 - margin, x1 - margin, x0 + margin])
    ys = np.array([y0 + margin, y0 + margin, y1 - margin, y1 - margin])
    lon, lat = xy_to_lonlat(load_outline_rings(outline)[2], xs, ys)   # scene.bbox: in the outline's CRS
    lon, lat = np.sort(lon), np.sort(lat)       # the box inside the (slightly turned) rectangle
    return float(lon[1]), float(lat[1]), float(lon[2]), float(lat[2])


def sentinel1_data(settings: Any, workdir: Path, record: dict) -> Any:
    """The ``data`` section of ``data.source=sentinel1`` that reads the written products."""
    folder = Path(workdir) / FOLDER
    area = aoi(settings)
    is_box = isinstance(area, tuple)
    return SimpleNamespace(path=str(folder), aoi=None if is_box else str(area), bbox=list(area) if is_box else [],
                           dem=str(folder / record["dem"]), dem_datum="ellipsoid", geoid=None, orbits=None,
                           margin_m=float(settings.data.margin_m), tracks=[], frames=[], start=None, end=None,
                           reference=[])


def open_safe_sim(settings: Any, workdir: Path) -> Any:
    """The :class:`~gfjax.io.s1_scene.S1Scene` of the scene's products (written first if need be)."""
    from gfjax.pipeline.sentinel1 import open_sentinel1

    record = ensure_products(settings, workdir)
    spacing = settings.geometry.grid_spacing_m or spec_of(settings).grid_spacing_m
    return open_sentinel1(sentinel1_data(settings, workdir, record), spacing)


def products_report(workdir: Path) -> dict:
    """What the scene stage reports of the written products (``written.json`` less the spec)."""
    record = read_record(workdir) or {}
    return {"folder": FOLDER, **{k: v for k, v in record.items() if k != "spec"}}


def reference_products(workdir: Path) -> dict[str, Path]:
    """``{year: path}`` of the reference products written beside the zips ({} before they are)."""
    record = read_record(workdir) or {}
    return {y: Path(workdir) / FOLDER / name for y, name in record.get("references", {}).items()}


def truth(settings: Any, grid: Any) -> tuple[Any, Any]:
    """(ice mask, ``velocity(t0, t1)``) of the scene's truth on the run's map ``grid``."""
    from gfjax.products.validation import truth_on_grid
    from gfjax.sim.scene import build_scene

    x, y = grid.meshgrid()
    return truth_on_grid(build_scene(spec_of(settings)), x, y, grid.epsg)
