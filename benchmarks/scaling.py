"""Scaling benchmark: one fixed small workload (the synthetic Muldrow scene, coarse) on 1 and 2
MPI ranks and on 1, 2, 4 local devices (fake CPU devices on a machine without GPUs), per-stage
wall time, speed-up and parallel efficiency.

    python benchmarks/scaling.py                           # ranks 1 2, devices 1 2 4, table + JSON
    python benchmarks/scaling.py --ranks 1 2 4 --devices   # ranks only
    python benchmarks/scaling.py --json bench_results/scaling.json --repeat 2

Two ways of timing the ranks (``--method``):
  pipeline  ``mpiexec -n K python -m gfjax.run ... parallel=mpi stages=[offsets,geocode,msbas]``
            in a fresh run directory (scene stage run beforehand, untimed); per-stage wall times
            from rank 0's report.json. Needs the pipeline's MPI mode (parallel=mpi).
  direct    ``mpiexec -n K python benchmarks/scaling.py --worker``: each rank tracks its share of
            the pairs (gfjax.pipeline.parallel.select_pairs: contiguous runs of one track, priors
            from the previous pair) with gfjax.track_offsets, then inverts its strip of map
            columns with gfjax.invert_maps on the map stack of a single-process run; rank 0 gathers
            the MSBAS products (the merge). Barriers around each timed section. Independent of
            the pipeline's MPI code: measures what the split itself can deliver.
  auto      pipeline if the offsets stage splits pairs over ranks (it imports select_pairs), else direct.

Ranks get ``--threads-per-rank`` cores each (default 1; mpiexec -bind-to core, OpenMP/BLAS
threads), so a rank models one device and the 1-rank baseline is one core, not the whole machine. Device rows
run one process with XLA_FLAGS=--xla_force_host_platform_device_count=N, unrestricted threads
(offsets shard their window batches and MSBAS its pixel blocks over the local devices).
Each configuration runs ``--repeat`` times; the fastest is kept (the machine may be shared).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import shutil
import signal
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
MPIEXEC = str(Path(PY).parent / "mpiexec")

# The fixed workloads: coarse radar pixels and map grid; "two-tracks" (default): both tracks, every
# 8th acquisition (16 + 20 pairs: 2 ranks get one track each, so at most 36/20 = 1.8x);
# "one-track": T131 only, every 4th acquisition (40 pairs: 2 ranks get 20 consecutive pairs each).
# No +experiment: the schema defaults (gfjax/config/schema.py) plus these overrides, so that edits
# of gfjax/conf/experiment/*.yaml do not change the benchmark.
COMMON = ["name=scaling", "scene.pixel_scale=8", "scene.grid_spacing_m=500", "geometry.grid_spacing_m=500",
          "offsets.window=[32,32]", "offsets.step=[16,32]", "offsets.search=[6,6]",
          "products.figures=false", "products.animation=false"]
WORKLOADS = {"two-tracks": COMMON + ["scene.date_step=8"],
             "one-track": COMMON + ["scene.date_step=4", "scene.tracks=[T131]"]}
WORKLOAD = WORKLOADS["two-tracks"]
STAGES = ("offsets", "geocode", "msbas")


def thread_env(threads: int | None) -> dict:
    """Environment of a timed process. CPU limits go through core binding (``pin``), not XLA's
    thread flags: ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` deadlocks
    the MSBAS kernel's sharded jit on the XLA CPU runtime (jax 0.10.2)."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    env.pop("XLA_FLAGS", None)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), NUMEXPR_NUM_THREADS=str(threads))
    return env


def pin(cmd: list[str], threads: int | None, ranks: int | None = None) -> list[str]:
    """``cmd`` bound to ``threads`` cores per process: mpiexec -bind-to core:<threads> for ranks,
    taskset for a single process; unchanged when ``threads`` is None."""
    if ranks is not None:
        bind = ["-bind-to", f"core:{threads}"] if threads else []
        return [MPIEXEC, *bind, "-n", str(ranks), *cmd]
    if threads and shutil.which("taskset"):
        return ["taskset", "-c", f"0-{threads - 1}", *cmd]
    return cmd


def run(cmd: list[str], env: dict, cwd: Path, timeout: float = 1800) -> float:
    """Wall time of ``cmd``; on timeout its whole process group (mpiexec and ranks) is killed."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return time.perf_counter() - t0


def pipeline_has_mpi() -> bool:
    from gfjax.pipeline.stages import offsets

    return "select_pairs" in inspect.getsource(offsets)


# --- preparation: a single-process run gives the map stack (and the 1-process pipeline times) --
def prepare(root: Path, threads: int | None, workload: list[str]) -> dict:
    out = root / "prep"
    wall = run(pin([PY, "-m", "gfjax.run", *workload, f"output.root={out}", "parallel=single",
                    "stages=[scene,offsets,geocode,msbas]"], threads), thread_env(threads), REPO)
    report = json.loads((out / "scaling" / "report.json").read_text())
    maps = next((out / "scaling" / "work").glob("geocode-*/maps.nc"))
    return {"maps": str(maps), "process_wall_s": round(wall, 2), "report": report,
            "stages": {s: report["stages"][s]["wall_time_s"] for s in STAGES},
            "pairs": report["stages"]["offsets"]["pairs_total"], "windows": report["stages"]["offsets"]["windows"],
            "pixels": report["stages"]["msbas"]["pixels"], "maps_used": report["stages"]["msbas"]["maps_used"],
            "epochs": report["stages"]["msbas"]["epochs"]}


def time_pipeline_ranks(root: Path, k: int, threads: int | None, workload: list[str]) -> dict:
    out = root / f"pipeline-{k}"
    env = thread_env(threads)
    run([PY, "-m", "gfjax.run", *workload, f"output.root={out}", "stages=[scene]"], env, REPO)
    wall = run(pin([PY, "-m", "gfjax.run", *workload, f"output.root={out}", "parallel=mpi",
                    f"stages=[{','.join(STAGES)}]"], threads, ranks=k), env, REPO)
    report = json.loads((out / "scaling" / "report.json").read_text())
    return {"stages": {s: report["stages"][s]["wall_time_s"] for s in STAGES}, "process_wall_s": round(wall, 2)}


def time_direct(root: Path, maps: str, *, ranks: int = 1, devices: int | None = None,
                threads: int | None = 1, stages=("offsets", "msbas"), timeout: float = 1800,
                workload: str = "two-tracks") -> dict:
    out = root / f"direct-r{ranks}-d{devices}.json"
    env = thread_env(threads)
    if devices:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}").strip()
    cmd = [PY, str(Path(__file__).resolve()), "--worker", "--maps", maps, "--out", str(out),
           "--workload", workload, "--stages", *stages]
    cmd = pin(cmd, threads, ranks=None if devices else ranks)
    wall = run(cmd, env, REPO, timeout)
    res = json.loads(out.read_text())
    res["process_wall_s"] = round(wall, 2)
    return res


# --- worker: one rank of the direct method -----------------------------------------------------
def worker(maps_path: str, out: str, stages=("offsets", "msbas"), workload: str = "two-tracks") -> None:
    import numpy as np

    try:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
    except ImportError:  # pragma: no cover
        comm = None
    rank, size = (comm.Get_rank(), comm.Get_size()) if comm is not None else (0, 1)

    def barrier():
        if comm is not None:
            comm.Barrier()

    import jax
    import xarray as xr
    from hydra import compose, initialize_config_dir

    from gfjax.config import CONF_DIR, register_configs
    from gfjax.config.schema import to_settings
    from gfjax.geometry import surface_gradients
    from gfjax.msbas.api import invert_maps
    from gfjax.offsets import track_offsets
    from gfjax.pipeline.parallel import select_pairs
    from gfjax.pipeline.priors import prior_from_result
    from gfjax.pipeline.stages.msbas import select_maps
    from gfjax.pipeline.stages.offsets import pair_list
    from gfjax.sim import build_scene

    register_configs()
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(WORKLOADS[workload]))
    settings = to_settings(cfg)
    scene = build_scene(settings.scene)
    opts = settings.offsets
    pairs = pair_list(scene)
    mine = select_pairs(pairs, rank=rank, size=size)

    # offsets: this rank's pairs, each with the previous pair of its track as prior
    barrier()
    t0, c0 = time.perf_counter(), time.process_time()
    prev, windows = {}, 0
    for track, k in mine:
        ref, sec = scene.slc_pair(track, k)
        prior = None
        if opts.pair_prior == "previous_pair" and (track, k - 1) in prev:
            t_a, t_b = scene.pair_times(track, k)
            p_a, p_b = scene.pair_times(track, k - 1)
            prior = prior_from_result(prev[(track, k - 1)], (t_b - t_a) / (p_b - p_a))
        ds = track_offsets(ref, sec, options=opts, **({} if prior is None else
                                                     {"prior_azimuth": prior[0], "prior_range": prior[1]}))
        ds["azimuth_offset"].values  # materialise
        prev = {(track, k): ds}
        windows += int(ds["azimuth_offset"].size)
    t_local, c_offsets = time.perf_counter() - t0, time.process_time() - c0
    barrier()
    t_offsets = time.perf_counter() - t0
    cpu_offsets = comm.gather(c_offsets, root=0) if comm is not None else [c_offsets]

    result = {"ranks": size, "devices": len(jax.local_devices()), "offsets_s": round(t_offsets, 3),
              "offsets_local_s": round(t_local, 3), "pairs": len(pairs), "pairs_rank0": len(mine),
              "windows_rank0": windows, "offsets_cpu_s_per_rank": [round(c, 3) for c in cpu_offsets or []]}
    if "msbas" not in stages:
        if rank == 0:
            Path(out).write_text(json.dumps(result, indent=2))
        return

    # msbas: this rank's strip of map columns, gathered on rank 0
    with xr.open_dataset(maps_path, engine="h5netcdf") as st:
        stack = st.load()
    mo = settings.msbas
    stack, _ = select_maps(stack, mo.min_coverage, scene.ice_mask)
    grads = None
    if mo.dim == 4:
        g_n, g_e = surface_gradients(scene.dem, scene.grid.spacing, settings.geometry.dem_smoothing_m,
                                     settings.geometry.max_surface_slope)
        grads = np.stack([g_n, g_e])
    nx = stack.sizes["x"]
    edges = [round(i * nx / size) for i in range(size + 1)]
    cols = slice(edges[rank], edges[rank + 1])
    disp = stack["displacement"].values[:, :, cols]
    barrier()
    t0, c0 = time.perf_counter(), time.process_time()
    ds = invert_maps(disp, stack["set_index"].values, stack["t_master"].values, stack["t_slave"].values,
                     stack["set_vector"].values, None if grads is None else grads[:, :, cols], dim=mo.dim,
                     order=mo.order, lam=mo.lam, rcond=mo.rcond, memory_budget_mb=mo.memory_budget_mb)
    part = {v: ds[v].values for v in ds.data_vars}
    t_solve, c_msbas = time.perf_counter() - t0, time.process_time() - c0
    parts = comm.gather(part, root=0) if comm is not None else [part]
    cpu_msbas = comm.gather(c_msbas, root=0) if comm is not None else [c_msbas]
    barrier()
    t_msbas = time.perf_counter() - t0
    if rank == 0:
        merged = {v: np.concatenate([p[v] for p in parts], axis=-1) for v in part}
        gathered = sum(a.nbytes for p in parts[1:] for a in p.values())
        vel = [v for v in merged if v.startswith("velocity_")]
        result.update({"msbas_s": round(t_msbas, 3), "msbas_cpu_s_per_rank": [round(c, 3) for c in cpu_msbas], "msbas_solve_rank0_s": round(t_solve, 3),
                  "pixels": int(stack.sizes["y"] * nx), "gathered_mb": round(gathered / 2 ** 20, 3),
                  "velocity_checksum": float(sum(np.nansum(np.abs(merged[v]), dtype=np.float64) for v in vel))})
        Path(out).write_text(json.dumps(result, indent=2))


# --- driver ----------------------------------------------------------------------------------
def table(rows: list[dict]) -> str:
    head = f"{'stage':<8} {'config':<18} {'s':>8} {'speed-up':>9} {'efficiency':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        su = "" if r["speedup"] is None else f"{r['speedup']:.2f}x"
        ef = "" if r["efficiency"] is None else f"{100 * r['efficiency']:.0f}%"
        lines.append(f"{r['stage']:<8} {r['config']:<18} {r['wall_s']:>8.2f} {su:>9} {ef:>10}")
    return "\n".join(lines)


def rows_for(kind: str, results: dict[int, dict], stages) -> list[dict]:
    rows = []
    base_n = min(results)
    for stage in stages:
        base = results[base_n][stage]
        for n, res in sorted(results.items()):
            t = res[stage]
            sp = base / t if t > 0 else None
            rows.append({"stage": stage, "kind": kind, "n": n, "config": f"{n} {kind}",
                         "wall_s": t, "speedup": None if n == base_n else sp,
                         "efficiency": None if n == base_n or sp is None else sp * base_n / n})
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--devices", type=int, nargs="*", default=[1, 2, 4])
    ap.add_argument("--method", choices=["auto", "pipeline", "direct"], default="auto")
    ap.add_argument("--threads-per-rank", type=int, default=1, help="0 = unrestricted")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workload", choices=sorted(WORKLOADS), default="two-tracks")
    ap.add_argument("--device-stages", nargs="*", default=["offsets"], choices=["offsets", "msbas"],
                    help="stages timed on fake devices (msbas on >= 2 fake CPU devices hung in "
                         "map_pixels with jax 0.10.2 on 2 cores: off by default)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per timed run (a hang is reported)")
    ap.add_argument("--stages", nargs="*", default=["offsets", "msbas"], help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None, help="write results to this JSON file")
    ap.add_argument("--workdir", default=None, help="keep run directories here (default: a temp dir)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--maps", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.maps, args.out, args.stages, args.workload)
        return {}

    method = args.method
    if method == "auto":
        method = "pipeline" if pipeline_has_mpi() else "direct"
    threads = args.threads_per_rank or None
    tmp = tempfile.TemporaryDirectory(prefix="gfjax-scaling-") if args.workdir is None else None
    root = Path(args.workdir or tmp.name)
    root.mkdir(parents=True, exist_ok=True)

    def best(fn, key):
        runs = [fn() for _ in range(max(args.repeat, 1))]
        return min(runs, key=key)

    workload = WORKLOADS[args.workload]
    print(f"# workload {args.workload}: {' '.join(workload)}", flush=True)
    prep = prepare(root, threads, workload)
    print(f"# {prep['pairs']} pairs, {prep['windows']} windows, {prep['pixels']} map pixels, "
          f"{prep['maps_used']} maps, {prep['epochs']} epochs; single process: "
          + ", ".join(f"{s} {t:.1f} s" for s, t in prep["stages"].items()), flush=True)
    result = {"workload": args.workload, "overrides": workload, "method": method, "threads_per_rank": threads, "repeat": args.repeat,
              "cpu_count": os.cpu_count(), "single_process": {k: v for k, v in prep.items() if k != "report"},
              "ranks": {}, "devices": {}}
    rows = []
    if args.ranks:
        per, cpu = {}, {}
        for k in args.ranks:
            if method == "pipeline":
                res = best(lambda: time_pipeline_ranks(root, k, threads, workload), key=lambda r: r["stages"]["offsets"])
                per[k] = res["stages"]
            else:
                res = best(lambda: time_direct(root, prep["maps"], ranks=k, threads=threads, timeout=args.timeout,
                                               workload=args.workload), key=lambda r: r["offsets_s"])
                per[k] = {"offsets": res["offsets_s"], "msbas": res["msbas_s"]}
                # CPU seconds on the critical path (slowest rank): insensitive to other jobs'
                # load on a shared machine, which inflates wall times of K ranks more than of one
                cpu[k] = {"offsets": max(res["offsets_cpu_s_per_rank"]), "msbas": max(res["msbas_cpu_s_per_rank"])}
            result["ranks"][k] = res
            print(f"# {k} rank(s): " + ", ".join(f"{s} {t:.2f} s" for s, t in per[k].items()), flush=True)
        rows += rows_for("ranks", per, list(next(iter(per.values()))))
        if cpu:
            rows += rows_for("ranks (cpu)", cpu, ["offsets", "msbas"])
    if args.devices:
        per = {}
        for n in args.devices:
            try:
                res = best(lambda: time_direct(root, prep["maps"], devices=n, threads=None,
                                               stages=args.device_stages, timeout=args.timeout,
                                               workload=args.workload),
                           key=lambda r: r["offsets_s"])
            except subprocess.TimeoutExpired:
                print(f"# {n} device(s): timed out after {args.timeout:.0f} s (hang?)", flush=True)
                result["devices"][n] = {"error": f"timeout after {args.timeout} s"}
                continue
            per[n] = {s: res[f"{s}_s"] for s in args.device_stages}
            result["devices"][n] = res
            print(f"# {n} device(s): " + ", ".join(f"{s} {t:.2f} s" for s, t in per[n].items()), flush=True)
        if per:
            rows += rows_for("devices", per, list(args.device_stages))
    kinds = ["ranks", "ranks (cpu)", "devices"]
    rows.sort(key=lambda r: (STAGES.index(r["stage"]), kinds.index(r["kind"]), r["n"]))
    result["rows"] = rows
    if 1 in result["ranks"] and 2 in result["ranks"]:
        for kind in ("ranks", "ranks (cpu)"):
            o = [r for r in rows if r["stage"] == "offsets" and r["kind"] == kind and r["n"] == 2]
            if o:
                result["offsets_speedup_1_to_2_" + kind.replace(" (cpu)", "_cpu")] = o[0]["speedup"]
    print(f"\nmethod: {method}; ranks with {threads or 'all'} core(s) each; devices: fake CPU devices, one process;"
          "\ns = wall seconds, or for 'ranks (cpu)' CPU seconds of the slowest rank (the critical path)")
    print(table(rows))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    if tmp is not None:
        tmp.cleanup()
    return result


if __name__ == "__main__":
    main()
