"""Run the requested stages in order, resuming from done-markers, timing each, and keeping
``report.json`` up to date after every stage (a killed run still has a valid report).

With ``parallel.mode=mpi`` every rank runs this loop: stages marked ``root_only`` run on rank 0
while the others wait; the other stages split their work over the ranks themselves
(``ctx.workers``). Only rank 0 writes the report, the markers and the resolved config.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from gfjax.config.schema import to_settings
from gfjax.memory import fix_mmap_threshold, release_heap
from gfjax.pipeline.context import RunContext
from gfjax.pipeline.data import preflight, stages_not_needed
from gfjax.pipeline.parallel import Workers
from gfjax.pipeline.provenance import atomic_write_json, atomic_write_text, provenance
from gfjax.pipeline.resources import (DiskTracker, disk_full_message, is_disk_full, peak_rss_mb, reset_peak_rss,
                                      window_peak_rss_mb)
from gfjax.pipeline.stage import REGISTRY, Registry, StageError, fingerprint, read_marker, write_marker

log = logging.getLogger("gfjax")

# Stage metrics also copied to the top of report.json, where scripts look for them.
TOP_LEVEL_KEYS = ("truth", "validation", "objective")


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: which stage it stopped and which stages are done (kept on disk)."""

    def __init__(self, workdir: Path, stage: str, done: list[str]):
        super().__init__(stage)
        self.workdir, self.stage, self.done = Path(workdir), stage, done

    def message(self) -> str:
        done = f"the finished stages ({', '.join(self.done)}) and " if self.done else ""
        return (f"gfjax: interrupted in stage {self.stage}; kept in {self.workdir}: {done}whatever "
                f"{self.stage} had finished. Run the same command again to resume.")


def _previous_runs(report_path: Path) -> list[dict]:
    """The ``runs`` of an earlier report in this run directory (a report from before ``runs``
    existed becomes one run), so that a re-run adds to them instead of replacing them."""
    try:
        old = json.loads(report_path.read_text())
    except (OSError, ValueError):
        return []
    if isinstance(old.get("runs"), list):
        return old["runs"]
    return [{k: old[k] for k in ("wall_time_s", "peak_disk_mb", "peak_rss_mb") if k in old}] if old else []


def run_pipeline(cfg: DictConfig, workdir: str | Path, registry: Registry | None = None) -> dict:
    """Run ``cfg.stages`` in ``workdir``; returns the report dictionary."""
    if registry is None:
        import gfjax.pipeline.stages  # noqa: F401  (registers the stages)

        registry = REGISTRY

    workdir = Path(workdir)
    fix_mmap_threshold()  # large buffers by mmap: host memory freed by a batch, pair or stage is given back
    settings = to_settings(cfg)
    parallel = getattr(settings, "parallel", None)
    workers = Workers(mode=getattr(getattr(parallel, "mode", None), "value", "auto"))
    if workers.mode == "single":  # before anything creates JAX's devices
        from gfjax.pipeline.parallel import restrict_to_one_device

        restrict_to_one_device()
    preflight(settings)  # a data source that cannot work stops here, before any stage
    if workers.size > 1 and getattr(parallel, "distributed", False):
        import jax

        jax.distributed.initialize()  # auto-detects MPI / SLURM; one process per GPU
    config: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]  # a mapping
    stages = registry.resolve(list(cfg.stages), settings)
    requested = {s.name for s in stages}
    if workers.is_root:
        workdir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(workdir / "config_resolved.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    workers.barrier()

    report_path = workdir / "report.json"
    # one entry per invocation in this run directory: a cached re-run adds its own wall time and
    # disk peak to the first run's instead of replacing them
    this_run: dict = {"started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "ran": [], "cached": []}
    runs = (_previous_runs(report_path) if workers.is_root else []) + [this_run]
    report = {"name": cfg.name, "workdir": str(workdir.resolve()),
              "provenance": {**provenance(config=config), "mpi_ranks": workers.size}, "stages": {}, "runs": runs}
    ctx = RunContext(settings=settings, config=config, workdir=workdir, report=report, workers=workers,
                     disk=DiskTracker(workdir))
    t_start = time.perf_counter()
    ctx.fingerprints.update({name: fingerprint(st, config, registry) for name, st in registry.stages.items()})

    def complete(name: str) -> bool:
        st = registry.stages[name]
        return st.is_complete is None or st.is_complete(ctx)

    def up_to_date(name: str) -> bool:
        marker = read_marker(workdir, name)
        return (marker is not None and marker.get("fingerprint") == ctx.fingerprints[name]
                and complete(name))

    def save_report() -> None:
        """Top-level figures over every run listed: wall time summed, disk and memory peaks."""
        if workers.is_root:
            this_run["wall_time_s"] = round(time.perf_counter() - t_start, 3)
            this_run["peak_disk_mb"] = ctx.disk.peak_mb
            report["wall_time_s"] = round(sum(r.get("wall_time_s", 0.0) for r in runs), 3)
            report["peak_disk_mb"] = max(r.get("peak_disk_mb", 0.0) for r in runs)
            if "peak_rss_mb" in this_run:
                report["peak_rss_mb"] = max(r.get("peak_rss_mb", 0.0) for r in runs)
            atomic_write_json(report_path, report)

    # a due stage that reads its upstream's items (an export on a finished run whose offsets were
    # consumed) makes the receipts of those items not count: the producer makes them again
    for st in stages:
        if st.needs_items and (cfg.force or (read_marker(workdir, st.name) or {}).get("fingerprint")
                               != ctx.fingerprints[st.name]):
            ctx.items_needed.update(st.requires)

    stage_peaks: list[float] = []
    not_needed = stages_not_needed(settings)  # e.g. data.source=msbas: no tracking, no geocoding
    from gfjax.pipeline.interrupts import catch_sigint, check

    try:
        with catch_sigint():  # Ctrl-C raises and is remembered: check() raises it again if it was lost
            for stage in stages:
                check()
                missing = [u for u in registry.upstream(stage.name)
                           if u not in requested and u not in not_needed and not up_to_date(u)]
                if missing:
                    hints = [hint(ctx) for u in missing if (hint := registry.stages[u].missing_hint) is not None]
                    raise StageError(f"stage {stage.name!r} needs {missing}, whose outputs for this config are "
                                     f"not in {workdir}: add them to 'stages' "
                                     f"(e.g. stages=[{','.join(missing + [stage.name])}])"
                                     + "".join(f"; {h}" for h in hints if h))
                fp = ctx.fingerprints[stage.name]
                marker = read_marker(workdir, stage.name) or {}
                if up_to_date(stage.name) and not cfg.force:
                    log.info("stage %s: up to date (fingerprint %s), skipped", stage.name, fp)
                    this_run["cached"].append(stage.name)
                    report["stages"][stage.name] = {**marker.get("metrics", {}), "status": "cached"}
                    report.update({k: v for k, v in marker.get("metrics", {}).items() if k in TOP_LEVEL_KEYS})
                    continue
                log.info("stage %s: running — %s", stage.name, stage.description)
                t0 = time.perf_counter()
                ctx.stage = stage.name
                release_heap()  # what earlier stages freed goes back to the system first
                reset_peak_rss()  # the stage's own memory peak (Linux), beside the run's
                metrics = _run_stage(stage, ctx, workers)
                wall = time.perf_counter() - t0
                done = complete(stage.name)
                metrics = {"status": "done" if done else "partial", "wall_time_s": round(wall, 3),
                           "peak_rss_mb": window_peak_rss_mb(), **metrics}
                stage_peaks.append(metrics["peak_rss_mb"])
                this_run["ran"].append(stage.name)
                if workers.is_root:
                    metrics["run_dir_mb_after"] = ctx.disk.sample()
                    if done:
                        write_marker(workdir, stage.name, fp, metrics)
                    report["stages"][stage.name] = metrics
                    report.update({k: v for k, v in metrics.items() if k in TOP_LEVEL_KEYS})
                    save_report()
                log.info("stage %s: %s in %.1f s", stage.name, "done" if done else "partial (not all work units)", wall)
                workers.barrier()
    except KeyboardInterrupt:
        current = next((s.name for s in stages if s.name not in this_run["ran"] + this_run["cached"]), "?")
        report["stages"][current] = {"status": "interrupted"}
        save_report()
        raise RunInterrupted(workdir, current, [s.name for s in stages if up_to_date(s.name)]) from None

    if workers.is_root:
        ctx.disk.sample()  # a cached re-run still measures the run directory
    # resetting the window (reset_peak_rss) also lowers ru_maxrss: the run's peak is the larger
    this_run["peak_rss_mb"] = max([peak_rss_mb(), *stage_peaks])
    save_report()
    if workers.is_root:
        from gfjax.report import write_report_page_or_warn

        write_report_page_or_warn(workdir, report)  # report.html beside report.json
    return report


def _run_stage(stage, ctx, workers: Workers) -> dict:
    """Run one stage on the ranks it needs; a failure on one rank aborts all (no hang)."""
    try:
        if stage.root_only and not workers.is_root:
            metrics: dict[str, Any] = {}
        else:
            metrics = stage.run(ctx) or {}
    except OSError as err:
        if not is_disk_full(err):
            raise
        message = disk_full_message(stage.name, ctx.workdir, err)
        if workers.size > 1:
            log.error(message)
            workers.comm.Abort(1)
        raise StageError(message) from err
    except BaseException:
        if workers.size > 1:
            log.exception("stage %s failed on rank %d of %d: aborting all ranks", stage.name,
                          workers.rank, workers.size)
            workers.comm.Abort(1)
        raise
    workers.barrier()
    return metrics
