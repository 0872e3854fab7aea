"""gfjax's ``python -m gfjax.msbas`` against MSBAS v10, whole process wall time, same inputs.

    python benchmarks/msbas_v10.py [--v10 /path/to/msbasv10] [--sizes 120,240] [--dims 2,3,4]
                                   [--dates 30] [--out bench_results]

For each dimension (2D: asc + desc range; 3D: + azimuth of both passes; 4D: + slopes, D_FLAG=1)
and image side (120 → 14,400 pixels, 240 → 57,600) it writes an MSBAS folder of GeoTIFF maps
(``--dates`` acquisitions per pass every 12 days, 12- and 24-day pairs, R_FLAG=2, 0.05, C_FLAG=10,
2 % holes), runs MSBAS v10 (``--v10`` or ``msbasv10`` on PATH; skipped with the reason otherwise)
and gfjax twice (cold: empty JAX compilation cache; warm: the cache of the cold run), each as a
separate process timed from start to exit, checks that the two agree (max |Δ| / max |v10| of
the linear rates), prints a table and writes ``msbas_v10.json``. Every ratio names its baseline
(MSBAS v10 built with OpenBLAS, OpenMP threads = all cores). CPU seconds (user + system) are
recorded beside wall times: on a shared machine they are the steadier figure; the table prints
both, with the CPU-second ratios v10 / gfjax for the cold and the warm run. ``--only gfjax``
re-times gfjax alone against the v10 times of an earlier run in ``--work``. Build v10:
docs/msbas_v10_build.md; measured results (before/after issue 16's speed work):
benchmarks/msbas_v10_results.json and docs/msbas_v10_build.md#speed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ASC = dict(heading=349.5, incidence=38.7, time="051233", first=dt.datetime(2019, 1, 3, 5, 12, 33))
DSC = dict(heading=191.2, incidence=41.3, time="174010", first=dt.datetime(2019, 1, 9, 17, 40, 10))


def _tif(path, data):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                       count=1, dtype="float32", crs="EPSG:32605",
                       transform=from_origin(400000, 7000000, 100, 100)) as dst:
        dst.write(data.astype(np.float32), 1)


def _vector(kind, heading, incidence):
    h, i = np.deg2rad(heading), np.deg2rad(incidence)
    return (np.array([np.sin(h) * np.sin(i), -np.cos(h) * np.sin(i), np.cos(i)]) if kind == 0
            else np.array([np.cos(h), np.sin(h), 0.0]))


def make_case(root: Path, dim: int, side: int, n_dates: int, seed: int = 0) -> Path:
    """An MSBAS folder (header.txt, list files, maps) of ``side``² pixels; returns the header."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:side, 0:side] / side
    vel = np.stack([0.8 * np.sin(3 * x) + 0.2 * y, -0.5 + 0.6 * x * y, 0.1 - 0.3 * (x - 0.5) ** 2])
    kinds = (0,) if dim == 2 else (0, 1)
    sets = []
    for p, g in (("asc", ASC), ("dsc", DSC)):
        dates = [g["first"] + dt.timedelta(days=12 * i) for i in range(n_dates)]
        for k in kinds:
            s = _vector(k, g["heading"], g["incidence"])
            proj = np.tensordot(s, vel, axes=(0, 0))
            lines = []
            for a in range(n_dates - 1):
                for step in (1, 2):
                    b = a + step
                    if b >= n_dates:
                        continue
                    val = proj * (12 * step / 365.25) + rng.normal(0, 2e-3, proj.shape)
                    val[rng.random(proj.shape) < 0.02] = 0.0
                    name = f"{p}{k}_{a}_{b}.tif"
                    _tif(root / name, val)
                    lines.append(f"{name} 0 {dates[a]:%Y%m%d} {dates[b]:%Y%m%d}")
            (root / f"{p}{k}.txt").write_text("\n".join(lines) + "\n")
            sets.append(f"SET={k}, {g['time']}, {g['heading']}, {g['incidence']}, {p}{k}.txt")
    extra = []
    if dim == 4:
        _tif(root / "dd_ns.tif", 0.05 + 0.02 * np.sin(10 * x) + 1e-3)
        _tif(root / "dd_ew.tif", -0.08 + 0.01 * y - 1e-3)
        extra = ["D_FLAG=1", "DD_NSEW_FILES=dd_ns.tif, dd_ew.tif"]
    header = root / "header.txt"
    header.write_text("\n".join(["FORMAT=2", f"FILE_SIZE={side},{side}", "R_FLAG=2,0.05",
                                 "C_FLAG=10", *extra, *sets]) + "\n")
    return header


def timed(cmd, cwd: Path, env=None, timeout=3600) -> tuple[float, float]:
    """(wall s, CPU s = user + system of the child) of one process."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed in {cwd}: {proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def _rates_diff(a_dir: Path, b_dir: Path) -> float:
    import rasterio

    worst = 0.0
    for f in sorted(b_dir.glob("MSBAS_LINEAR_RATE_??.tif")):
        with rasterio.open(f) as s1, rasterio.open(a_dir / f.name) as s2:
            b, a = s1.read(1).astype(float), s2.read(1).astype(float)
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--v10", default=shutil.which("msbasv10"))
    ap.add_argument("--sizes", default="120,240")
    ap.add_argument("--dims", default="2,3,4")
    ap.add_argument("--dates", type=int, default=30)
    ap.add_argument("--out", default="bench_results")
    ap.add_argument("--work", default="/tmp/gfjax_msbas_v10_bench")
    ap.add_argument("--only", choices=("both", "v10", "gfjax"), default="both",
                    help="run only one side; the other side's times are read from a previous run "
                         "in --work (v10_s.json / gfjax_s.json), if there")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = None if args.v10 and Path(args.v10).exists() else (
        "no MSBAS v10 binary (give --v10 or put msbasv10 on PATH; docs/msbas_v10_build.md)")
    rows = []
    for dim in [int(d) for d in args.dims.split(",")]:
        for side in [int(s) for s in args.sizes.split(",")]:
            case = Path(args.work) / f"{dim}d_{side}_{args.dates}"
            header = case / "in" / "header.txt"
            if not header.is_file():
                header = make_case(case / "in", dim, side, args.dates)
            n_maps = sum(1 for _ in case.glob("in/*_*_*.tif"))
            row = dict(dim=dim, pixels=side * side, maps=n_maps, dates_per_pass=args.dates)
            if args.only != "v10":
                cache = case / "jax_cache"
                shutil.rmtree(cache, ignore_errors=True)
                env = dict(os.environ, GFJAX_JAX_CACHE=str(cache))
                for label in ("gfjax_cold_s", "gfjax_warm_s"):
                    work = case / label
                    shutil.rmtree(work, ignore_errors=True)
                    work.mkdir()
                    row[label], row[label.replace("_s", "_cpu_s")] = timed(
                        [sys.executable, "-m", "gfjax.msbas", str(header)], work, env)
                (case / "gfjax_s.json").write_text(json.dumps(row))
            elif (case / "gfjax_s.json").is_file():
                row.update(json.loads((case / "gfjax_s.json").read_text()))
            if skip is None and args.only != "gfjax":
                work = case / "v10"
                shutil.rmtree(work, ignore_errors=True)
                shutil.copytree(case / "in", work)
                row["v10_s"], row["v10_cpu_s"] = timed([args.v10, "header.txt"], work)
                (case / "v10_s.json").write_text(json.dumps({k: row[k] for k in ("v10_s", "v10_cpu_s")}))
            elif (case / "v10_s.json").is_file():
                row.update(json.loads((case / "v10_s.json").read_text()))
            if "v10_s" in row and "gfjax_cold_s" in row:
                row["speedup_cold_vs_v10"] = row["v10_s"] / row["gfjax_cold_s"]
                row["speedup_warm_vs_v10"] = row["v10_s"] / row["gfjax_warm_s"]
                row["max_rate_diff_rel"] = _rates_diff(case / "gfjax_warm_s", case / "v10")
                if "v10_cpu_s" in row:
                    row["cpu_ratio_cold_vs_v10"] = row["v10_cpu_s"] / row["gfjax_cold_cpu_s"]
                    row["cpu_ratio_warm_vs_v10"] = row["v10_cpu_s"] / row["gfjax_warm_cpu_s"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    meta = dict(machine=platform.node(), cpus=os.cpu_count(), load_avg=os.getloadavg(),
                baseline="MSBAS v10 (AMSTer_Distribution msbas_V10_20230601_Gilles_V1.2) built with "
                         "OpenBLAS (openmp), all cores", v10=args.v10, skipped=skip)
    (out / "msbas_v10.json").write_text(json.dumps(dict(meta=meta, rows=rows), indent=1))
    print(f"\nMSBAS v10 vs gfjax, whole process wall time ({meta['cpus']} cores, load "
          f"{meta['load_avg'][0]:.1f}); baseline: {meta['baseline']}" + (f"; v10 SKIPPED: {skip}"
                                                                          if skip else ""))
    nan = float("nan")
    print(f"{'dim':>3} {'pixels':>7} {'maps':>5} {'v10 wall/CPU s':>15} {'gfjax cold wall/CPU s':>22} "
          f"{'gfjax warm wall/CPU s':>22} {'CPU x v10 cold/warm':>20} {'wall x v10 cold/warm':>21} "
          f"{'rate diff':>9}")
    for r in rows:
        g = r.get
        print(f"{r['dim']:>3} {r['pixels']:>7} {r['maps']:>5} {g('v10_s', nan):>7.1f}/{g('v10_cpu_s', nan):<7.1f} "
              f"{g('gfjax_cold_s', nan):>11.2f}/{g('gfjax_cold_cpu_s', nan):<10.2f} "
              f"{g('gfjax_warm_s', nan):>11.2f}/{g('gfjax_warm_cpu_s', nan):<10.2f} "
              f"{g('cpu_ratio_cold_vs_v10', nan):>10.1f}/{g('cpu_ratio_warm_vs_v10', nan):<9.1f} "
              f"{g('speedup_cold_vs_v10', nan):>10.1f}/{g('speedup_warm_vs_v10', nan):<10.1f} "
              f"{g('max_rate_diff_rel', nan):>9.1e}")

if __name__ == "__main__":
    main()
