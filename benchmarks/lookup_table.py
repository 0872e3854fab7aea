"""Lookup-table throughput: map-grid cells per second from (grid cell, DEM height) to (burst, line,
sample, valid, LOS/flight, incidence), on a real Sentinel-1 swath (the ascending IW2 skeleton in
../shared/data), through :func:`gfjax.geometry.lookup.lookup_table` (pyproj cell → lon/lat, the
vmapped float64 kernel, copies; streamed in row blocks).

    python benchmarks/lookup_table.py                        # 250 / 100 / 50 m grids, table + JSON
    python benchmarks/lookup_table.py --spacing 100 --block-rows 32 128 --json bench_results/lookup_table.json

Each size runs ``--repeat`` times after a compile run; the fastest is kept (the machine may be shared).
"""
from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

SKELETON = "sentinel1/S1A_IW_SLC__1SDV_20221016T015043_20221016T015111_045461_056FC0_6681.zip"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spacing", type=float, nargs="+", default=[250.0, 100.0, 50.0])
    ap.add_argument("--block-rows", type=int, nargs="+", default=[64])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", default="bench_results/lookup_table.json")
    ap.add_argument("--data", default=os.environ.get("GFJAX_SHARED_DATA",
                                                     str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    args = ap.parse_args()

    import jax

    from gfjax.geometry.crs import utm_grid
    from gfjax.geometry.lookup import lookup_table
    from gfjax.io.safe import read_swath

    warnings.simplefilter("ignore")
    swath = read_swath(Path(args.data) / SKELETON)
    g = swath.geolocation
    lat, lon = g.latitude.values, g.longitude.values
    # a 40 × 40 km box in the middle of the swath
    clat, clon = float(np.median(lat)), float(np.median(lon))
    dlat, dlon = 0.18, 0.18 / np.cos(np.radians(clat))
    rows = []
    for spacing in args.spacing:
        grid = utm_grid(clon - dlon, clat - dlat, clon + dlon, clat + dlat, spacing)
        height = np.random.default_rng(0).uniform(0.0, 2000.0, grid.shape)
        for block in args.block_rows:
            t0 = time.perf_counter()
            lut = lookup_table(swath, grid, height, block_rows=block)
            first = time.perf_counter() - t0
            best = np.inf
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                lookup_table(swath, grid, height, block_rows=block)
                best = min(best, time.perf_counter() - t0)
            cells = grid.nx * grid.ny
            rows.append({"spacing_m": spacing, "cells": cells, "block_rows": block, "valid": float(lut.valid.mean()),
                         "first_call_s": first, "best_s": best, "cells_per_s": cells / best})
    device = str(jax.devices()[0])
    print(f"lookup table on {device} (float64), {os.cpu_count()} CPUs")
    print(f"{'spacing m':>10} {'cells':>10} {'block':>6} {'valid':>6} {'first s':>8} {'best s':>8} {'cells/s':>11}")
    for r in rows:
        print(f"{r['spacing_m']:>10.0f} {r['cells']:>10,} {r['block_rows']:>6} {r['valid']:>6.2f} "
              f"{r['first_call_s']:>8.2f} {r['best_s']:>8.2f} {r['cells_per_s']:>11,.0f}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": device, "cpus": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
