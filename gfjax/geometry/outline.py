"""Glacier outlines: read a GeoJSON polygon (exterior ring + holes) and rasterise it on a map grid.

The package ships a simplified copy of RGI60-01.22169 (Muldrow Glacier, EPSG:32605) as
``gfjax/data/muldrow_outline.geojson`` (``packaged_outline_path``; ``gfjax.sim.outline``
regenerates it). Geometry ring: NumPy and rasterio.
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from .grid import MapGrid

PACKAGED_OUTLINE = "muldrow_outline.geojson"


def packaged_outline_path() -> Path:
    """Path of the outline shipped inside the package."""
    return Path(str(resources.files("gfjax") / "data" / PACKAGED_OUTLINE))


def _polygon_geometry(doc: dict, path: Path) -> dict:
    if doc.get("type") == "FeatureCollection":
        feats = doc.get("features") or []
        if len(feats) != 1:
            raise ValueError(f"{path}: expected exactly one feature, found {len(feats)}")
        geom = feats[0].get("geometry") or {}
    elif doc.get("type") == "Feature":
        geom = doc.get("geometry") or {}
    else:
        geom = doc
    if geom.get("type") != "Polygon":
        raise ValueError(f"{path}: outline geometry must be a 'Polygon', found {geom.get('type')!r}")
    return geom


def _epsg(doc: dict) -> int | None:
    name = ((doc.get("crs") or {}).get("properties") or {}).get("name", "")
    if "EPSG" in name:
        return int(name.rsplit(":", 1)[-1])
    return None


def load_outline(path: str | Path) -> tuple[np.ndarray, int]:
    """Exterior ring of the single polygon in a GeoJSON file.

    Returns ``(xy, epsg)``: ``xy`` (N, 2) float64 easting/northing in metres, open ring (the
    closing vertex removed); ``epsg`` from the file's ``crs`` member (32605 if absent).
    Raises ``ValueError`` naming the file if the geometry is not a Polygon.
    """
    ring, _, epsg = load_outline_rings(path)
    return ring, epsg


def _open_ring(coords) -> np.ndarray:
    ring = np.asarray(coords, dtype=np.float64)[:, :2]
    if len(ring) > 1 and np.allclose(ring[0], ring[-1]):
        ring = ring[:-1]
    return ring


def load_outline_rings(path: str | Path) -> tuple[np.ndarray, list[np.ndarray], int]:
    """``(exterior, holes, epsg)`` of the single polygon in a GeoJSON file; rings open (N, 2), m."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read outline GeoJSON ({exc})") from exc
    geom = _polygon_geometry(doc, path)
    rings = [_open_ring(c) for c in geom.get("coordinates") or []]
    if not rings or rings[0].shape[0] < 3:
        raise ValueError(f"{path}: polygon exterior ring has fewer than 3 vertices")
    return rings[0], rings[1:], _epsg(doc) or 32605


def rasterize_polygon(grid: MapGrid, exterior: np.ndarray, holes: list[np.ndarray]) -> np.ndarray:
    """Boolean (ny, nx) mask of the cells whose centre is inside ``exterior`` and outside every
    hole (rings open, (N, 2), m in the grid's CRS): GDAL's rasteriser without ``all_touched``."""
    from rasterio.features import rasterize

    rings = [np.vstack([r, r[:1]]).tolist() for r in [exterior, *holes]]
    mask = rasterize([({"type": "Polygon", "coordinates": rings}, 1)], out_shape=grid.shape,
                     transform=grid.transform, fill=0, all_touched=False, dtype="uint8")
    return mask.astype(bool)
