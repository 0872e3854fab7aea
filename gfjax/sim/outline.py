"""Glacier outline: read a GeoJSON polygon, simplify it (Douglas–Peucker), write it back.

The package ships a simplified copy of RGI60-01.22169 (Muldrow Glacier, EPSG:32605) as
``gfjax/data/muldrow_outline.geojson`` (see ``gfjax/data/ATTRIBUTION.md``). Only the exterior
ring and the interior rings (nunataks, rock ridges) larger than ``--min-hole-km2`` are kept.

Regenerate it with ``python -m gfjax.sim.outline SRC DST [--tolerance-m 50] [--min-hole-km2 0.5]``.
"""
from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path

import numpy as np

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


def douglas_peucker(xy: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker simplification of an open polyline (N, 2); keeps both end points.

    ``tolerance`` in the units of ``xy`` (metres). Iterative (no recursion limit).
    """
    n = len(xy)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = xy[i], xy[j]
        seg = b - a
        pts = xy[i + 1:j] - a
        length = np.hypot(*seg)
        if length == 0:
            dist = np.hypot(pts[:, 0], pts[:, 1])
        else:
            dist = np.abs(seg[0] * pts[:, 1] - seg[1] * pts[:, 0]) / length
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            m = i + 1 + k
            keep[m] = True
            stack.extend([(i, m), (m, j)])
    return xy[keep]


def simplify_ring(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a closed ring (open form, N×2): split at the vertex farthest from the first one
    so both halves are open polylines, simplify each, join."""
    far = int(np.argmax(np.hypot(*(ring - ring[0]).T)))
    closed = np.vstack([ring, ring[:1]])
    a = douglas_peucker(closed[: far + 1], tolerance)
    b = douglas_peucker(closed[far:], tolerance)
    return np.vstack([a, b[1:-1]])


def write_outline(path: str | Path, ring: np.ndarray, epsg: int, properties: dict | None = None,
                  holes: list[np.ndarray] | None = None) -> None:
    """Write open rings as a one-feature GeoJSON Polygon (coordinates rounded to 0.1 m)."""
    coords = [np.round(np.vstack([r, r[:1]]), 1).tolist() for r in [ring, *(holes or [])]]
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
        "features": [{"type": "Feature", "properties": properties or {},
                      "geometry": {"type": "Polygon", "coordinates": coords}}],
    }
    Path(path).write_text(json.dumps(doc, separators=(",", ":")) + "\n")


def polygon_area(ring: np.ndarray) -> float:
    """Area of an open ring (shoelace), m²."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Simplify a glacier outline GeoJSON (exterior ring).")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--tolerance-m", type=float, default=50.0)
    p.add_argument("--min-hole-km2", type=float, default=0.5)
    args = p.parse_args(argv)
    ring, holes, epsg = load_outline_rings(args.src)
    props = {}
    try:
        src_doc = json.loads(Path(args.src).read_text())
        props = {k: v for k, v in src_doc["features"][0]["properties"].items()
                 if k in ("RGIId", "GLIMSId", "Name", "Area", "Zmin", "Zmax", "Lmax")}
    except (KeyError, IndexError, TypeError):
        pass
    props["simplification"] = (f"Douglas-Peucker {args.tolerance_m:g} m; holes smaller than "
                               f"{args.min_hole_km2:g} km2 dropped")
    simple = simplify_ring(ring, args.tolerance_m)
    kept = [simplify_ring(h, args.tolerance_m) for h in holes
            if polygon_area(h) >= args.min_hole_km2 * 1e6]
    write_outline(args.dst, simple, epsg, props, kept)
    n_out = len(simple) + sum(len(h) for h in kept)
    area = polygon_area(simple) - sum(polygon_area(h) for h in kept)
    print(f"{args.src}: {len(ring)} + {sum(len(h) for h in holes)} vertices -> {args.dst}: "
          f"{n_out} vertices ({len(kept)} of {len(holes)} holes), ice area {area / 1e6:.2f} km²")


if __name__ == "__main__":
    main()
