"""Range–Doppler geometry kernel throughput: ground points per second from (lat, lon, height) to
(burst, line, sample), on a real Sentinel-1 swath (the ascending IW2 skeleton in ../shared/data).

    python benchmarks/rdr_geometry.py                        # 10^4 … 10^6 points, table + JSON
    python benchmarks/rdr_geometry.py --points 100000 --json bench_results/rdr_geometry.json

Each size runs ``--repeat`` times after a compile run; the fastest is kept (the machine may be
shared). Times include pyproj's llh → ECEF and the host ↔ device copies (the whole
:func:`gfjax.geometry.s1_geometry.radar_coordinates_llh` call), float64 throughout.
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
    ap.add_argument("--points", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default="bench_results/rdr_geometry.json")
    ap.add_argument("--data", default=os.environ.get("GFJAX_SHARED_DATA",
                                                     str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    args = ap.parse_args()

    import jax

    from gfjax.geometry.s1_geometry import radar_coordinates_llh
    from gfjax.io.safe import read_swath

    warnings.simplefilter("ignore")
    swath = read_swath(Path(args.data) / SKELETON)
    g = swath.geolocation
    rng = np.random.default_rng(0)
    rows = []
    for n in args.points:
        lat = rng.uniform(float(g.latitude.min()), float(g.latitude.max()), n)
        lon = rng.uniform(float(g.longitude.min()), float(g.longitude.max()), n)
        h = rng.uniform(0.0, 2000.0, n)
        t0 = time.perf_counter()
        radar_coordinates_llh(swath, lat, lon, h)               # compile for this shape
        first = time.perf_counter() - t0
        best = np.inf
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            radar_coordinates_llh(swath, lat, lon, h)
            best = min(best, time.perf_counter() - t0)
        rows.append({"points": n, "first_call_s": first, "best_s": best, "points_per_s": n / best})
    device = str(jax.devices()[0])
    print(f"range-Doppler geometry on {device} (float64), {os.cpu_count()} CPUs")
    print(f"{'points':>10} {'first call s':>13} {'best s':>9} {'points/s':>12}")
    for r in rows:
        print(f"{r['points']:>10,} {r['first_call_s']:>13.3f} {r['best_s']:>9.3f} {r['points_per_s']:>12,.0f}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": device, "cpus": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
