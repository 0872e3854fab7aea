"""Glacier outline: simplify a GeoJSON polygon (Douglas–Peucker) and write it back; the readers
live in :mod:`gfjax.geometry.outline` (re-exported here).

The package ships a simplified copy of RGI60-01.22169 (Muldrow Glacier, EPSG:32605) as
``gfjax/data/muldrow_outline.geojson`` (see ``gfjax/data/ATTRIBUTION.md``). Only the exterior
ring and the interior rings (nunataks, rock ridges) larger than ``--min-hole-km2`` are kept.

Regenerate it with ``python -m gfjax.sim.outline SRC DST [--tolerance-m 50] [--min-hole-km2 0.5]``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gfjax.geometry.outline import (PACKAGED_OUTLINE, load_outline, load_outline_rings,  # noqa: F401
                                    packaged_outline_path)


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
