"""Run the requested stages in order, resuming from done-markers, timing each, and keeping
``report.json`` up to date after every stage (a killed run still has a valid report)."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from gfjax.config.schema import to_settings
from gfjax.pipeline.context import RunContext
from gfjax.pipeline.provenance import atomic_write_json, atomic_write_text, provenance
from gfjax.pipeline.stage import REGISTRY, Registry, StageError, fingerprint, read_marker, write_marker

log = logging.getLogger("gfjax")

# Stage metrics also copied to the top of report.json, where scripts look for them.
TOP_LEVEL_KEYS = ("truth", "validation", "objective")


def run_pipeline(cfg: DictConfig, workdir: str | Path, registry: Registry | None = None) -> dict:
    """Run ``cfg.stages`` in ``workdir``; returns the report dictionary."""
    if registry is None:
        import gfjax.pipeline.stages  # noqa: F401  (registers the stages)

        registry = REGISTRY

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config = OmegaConf.to_container(cfg, resolve=True)
    atomic_write_text(workdir / "config_resolved.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    settings = to_settings(cfg)
    stages = registry.resolve(list(cfg.stages))
    requested = {s.name for s in stages}

    report = {"name": cfg.name, "workdir": str(workdir.resolve()),
              "provenance": provenance(config=config), "stages": {}}
    ctx = RunContext(settings=settings, config=config, workdir=workdir, report=report)
    report_path = workdir / "report.json"
    t_start = time.perf_counter()

    ctx.fingerprints.update({name: fingerprint(st, config, registry) for name, st in registry.stages.items()})

    def up_to_date(name: str) -> bool:
        marker = read_marker(workdir, name)
        st = registry.stages[name]
        return (marker is not None and marker.get("fingerprint") == ctx.fingerprints[name]
                and (st.is_complete is None or st.is_complete(ctx)))

    for stage in stages:
        missing = [u for u in registry.upstream(stage.name) if u not in requested and not up_to_date(u)]
        if missing:
            raise StageError(f"stage {stage.name!r} needs {missing}, whose outputs for this config are "
                             f"not in {workdir}: add them to 'stages' "
                             f"(e.g. stages=[{','.join(missing + [stage.name])}])")
        fp = ctx.fingerprints[stage.name]
        marker = read_marker(workdir, stage.name)
        if up_to_date(stage.name) and not cfg.force:
            log.info("stage %s: up to date (fingerprint %s), skipped", stage.name, fp)
            report["stages"][stage.name] = {**marker.get("metrics", {}), "status": "cached"}
            report.update({k: v for k, v in marker.get("metrics", {}).items() if k in TOP_LEVEL_KEYS})
            continue
        log.info("stage %s: running — %s", stage.name, stage.description)
        t0 = time.perf_counter()
        metrics = stage.run(ctx) or {}
        wall = time.perf_counter() - t0
        metrics = {"status": "done", "wall_time_s": round(wall, 3), **metrics}
        write_marker(workdir, stage.name, fp, metrics)
        report["stages"][stage.name] = metrics
        report.update({k: v for k, v in metrics.items() if k in TOP_LEVEL_KEYS})
        report["wall_time_s"] = round(time.perf_counter() - t_start, 3)
        atomic_write_json(report_path, report)
        log.info("stage %s: done in %.1f s", stage.name, wall)

    report["wall_time_s"] = round(time.perf_counter() - t_start, 3)
    report["peak_rss_mb"] = _peak_rss_mb()
    atomic_write_json(report_path, report)
    return report


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
