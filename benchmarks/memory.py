"""Peak host memory (RSS) per stage against image size and stack depth (issue 13, item 5).

    python benchmarks/memory.py                              # sizes 1 2 4, dates 1 2, table + JSON
    python benchmarks/memory.py --sizes 1 2 --dates 1 --json bench_results/memory.json

The workload is the stack experiment (``+experiment=stack``, the issue's: SLCs read from disk)
on a stack folder the simulator writes first, in its own process (``gfjax.io.stack_write``: the
default experiment's scene, both tracks, GAMMA SLCs per pair), over a short period so that a row
takes minutes: ``--months`` months of acquisitions from 2020-01-01 (12-day pairs) at 1× the
dates, twice as many months at 2×. ``--source synthetic`` runs ``+experiment=muldrow`` instead
(the simulator computes each pair in memory: its images are not streamed). Image size: the radar
pixel spacing is scaled by 1/√f (``scene.pixel_scale`` = 4/√f), so f× the default's pixels per
image; the map grid is unchanged. One process per configuration; the runner measures each stage's
own peak RSS (report.json ``stages.<name>.peak_rss_mb``: Linux VmHWM, reset before each stage),
imports and JAX's runtime included. The table gives MiB per stage and
configuration and, per stage, the ratio of the largest image to 1× (the issue asks ≤ 1.3× at 4×:
host memory must not grow with image size or stack depth beyond the configured budget).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("scene", "offsets", "geocode", "msbas", "products")


def end_date(months: int) -> str:
    year, month = 2020 + months // 12, 1 + months % 12
    return f"{year:04d}-{month:02d}-01"


WRITE_STACK = """
import sys
from gfjax.io.stack_write import write_stack
from gfjax.sim import SceneSpec, build_scene
spec = SceneSpec(pixel_scale=float(sys.argv[2]), grid_spacing_m=200.0, margin_m=1000.0, start="2020-01-01",
                 end=sys.argv[3], date_step=1)
write_stack(build_scene(spec), sys.argv[1])
"""


def write_stack_folder(path: Path, pixel_scale: float, end: str) -> float:
    """The default experiment's scene as a stack folder (a separate process); returns its MiB."""
    proc = subprocess.run([sys.executable, "-c", WRITE_STACK, str(path), f"{pixel_scale:.6f}", end],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"writing the stack {path} failed:\n{proc.stderr[-3000:]}")
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2 ** 20


def run_row(root: Path, size: float, dates: int, months: int, source: str = "stack") -> dict:
    name = f"mem_s{size:g}_d{dates}"
    scale, end = 4.0 / math.sqrt(size), end_date(months * dates)
    common = [f"name={name}", f"output.root={root}", "products.animation=false"]
    stack_mb = None
    if source == "stack":
        stack = root / f"stack_{name}"
        stack_mb = write_stack_folder(stack, scale, end)
        args = ["+experiment=stack", f"data.path={stack}", *common]
    else:
        args = ["+experiment=muldrow", *common, f"scene.pixel_scale={scale:.6f}", "scene.start=2020-01-01",
                f"scene.end={end}"]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gfjax.run", *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    rep = json.loads((root / name / "report.json").read_text())
    if source == "stack":
        shutil.rmtree(stack)
    row: dict = {"size": size, "dates": dates, "source": source, "stack_mb": None if stack_mb is None else round(stack_mb, 1),
                 "wall_s": round(wall, 1), "run_peak_rss_mb": rep.get("peak_rss_mb"),
                 "stages": {st: {"peak_rss_mb": rep["stages"][st].get("peak_rss_mb"),
                                 "wall_s": rep["stages"][st].get("wall_time_s")} for st in STAGES if st in rep["stages"]},
                 "scene": {"n_pairs": rep["stages"]["scene"].get("n_pairs"),
                           "radar_shape": {t: v.get("radar_shape") for t, v in
                                           rep["stages"]["scene"].get("tracks", {}).items()}}}
    print(f"  {name}: " + ", ".join(f"{st} {v['peak_rss_mb']} MiB" for st, v in row["stages"].items())
          + f" ({wall:.0f} s)", flush=True)
    return row


def table(rows: list[dict]) -> str:
    head = "| image × | dates × | " + " | ".join(STAGES) + " |"
    lines = [head, "|" + "---|" * (len(STAGES) + 2)]
    for r in rows:
        lines.append(f"| {r['size']:g} | {r['dates']} | "
                     + " | ".join(f"{r['stages'].get(s, {}).get('peak_rss_mb', '–')}" for s in STAGES) + " |")
    base = next((r for r in rows if r["size"] == 1 and r["dates"] == 1), None)
    if base:
        for r in rows:
            if r is base:
                continue
            ratios = [(r["stages"][s]["peak_rss_mb"] / base["stages"][s]["peak_rss_mb"])
                      if s in r["stages"] and s in base["stages"] else float("nan") for s in STAGES]
            lines.append(f"| ratio to 1×/1× ({r['size']:g}, {r['dates']}) | | "
                         + " | ".join(f"{x:.2f}" for x in ratios) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4])
    ap.add_argument("--dates", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--months", type=int, default=2, help="months of acquisitions at 1× dates")
    ap.add_argument("--source", choices=["stack", "synthetic"], default="stack",
                    help="stack: +experiment=stack on a stack folder written first; synthetic: +experiment=muldrow")
    ap.add_argument("--json", type=Path, default=Path("bench_results/memory.json"))
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="gfjax-mem-") as tmp:
        for dates in args.dates:
            for size in (args.sizes if dates == 1 else [1]):
                rows.append(run_row(Path(tmp), size, dates, args.months, args.source))
    print(table(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": {"host": platform.node(), "cpus": os.cpu_count(),
                                                 "load_avg_1m": os.getloadavg()[0]},
                                     "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                                     "source": args.source, "months_at_1x": args.months, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
