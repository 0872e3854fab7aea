"""Hydra entry point: ``gfjax-run +experiment=muldrow [group.key=value ...]`` (or ``python -m gfjax.run``).

Every run writes into its Hydra run directory (``outputs/<name>`` by default, one
sub-directory per job for sweeps under ``multirun/<name>``): the resolved config, a log,
``report.json`` and figures. Re-running with the same config resumes; see README.md.

As a user meets it: no arguments print what to run; an error prints one line (the traceback
goes to ``run.log``) and a run stopped before any stage leaves no empty run directory; Ctrl-C
prints one line saying what is kept and that the same command resumes.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from gfjax.config import CONF_DIR, register_configs

log = logging.getLogger("gfjax")
register_configs()

USAGE = """\
gfjax: Sentinel-1 offset tracking and MSBAS time series of glacier flow (JAX). Choose an experiment:
  gfjax-run +experiment=muldrow                the whole chain on a SIMULATED Muldrow Glacier scene (2-core CPU: ~7 min)
  gfjax-run +experiment=muldrow_full           the same at full resolution (sized for a GPU)
  gfjax-run +experiment=stack data.path=DIR    your own coregistered SLCs or offsets (README "Your own data")
  gfjax-run +experiment=muldrow_safe          the simulated scene written as Sentinel-1 SAFE zips, then that route
  gfjax-run +experiment=msbas_inputs data.path=header.txt | +experiment=autorift_inputs data.path=DIR
  gfjax-run --help                             every config group and option
(python -m gfjax.run is the same command; outputs go to ./outputs/<name>/.)"""

# What Hydra writes into a run directory before gfjax starts: a directory holding nothing else
# was created by this very run, and is removed again when the run stops before any stage.
HYDRA_FILES = {".hydra", "run.log"}


def _log_to_file(level: int, message: str, exc_info: bool = False) -> None:
    """Write to run.log only (the console gets the one-line message of the exit)."""
    record = log.makeRecord(log.name, level, __file__, 0, message, (), sys.exc_info() if exc_info else None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def _remove_if_empty(workdir: Path) -> None:
    """Remove ``workdir`` if it holds only what Hydra wrote at the start of this run."""
    try:
        if not workdir.is_dir() or not {p.name for p in workdir.iterdir()} <= HYDRA_FILES:
            return
    except OSError:
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename).parent == workdir.resolve():
            root.removeHandler(handler)
            handler.close()
    shutil.rmtree(workdir, ignore_errors=True)
    if workdir.parent.resolve() == Path("outputs").resolve():  # the default output.root, if now empty
        try:
            workdir.parent.rmdir()
        except OSError:
            pass


def _exit_interrupted(message: str) -> None:
    """Print ``message`` and leave at once: the interrupted computation may still hold XLA's
    threads, and a normal interpreter shutdown under them can crash."""
    print(message, file=sys.stderr, flush=True)
    sys.stdout.flush()
    logging.shutdown()
    os._exit(130)


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def _run(cfg: DictConfig) -> float | None:
    from gfjax.pipeline.runner import RunInterrupted, run_pipeline
    from gfjax.pipeline.stage import StageError

    workdir = Path(HydraConfig.get().runtime.output_dir)
    try:
        report = run_pipeline(cfg, workdir)
    except RunInterrupted as stop:
        _log_to_file(logging.WARNING, stop.message())
        _exit_interrupted(stop.message())
    except KeyboardInterrupt:
        _remove_if_empty(workdir)
        _exit_interrupted("gfjax: interrupted before any stage ran (nothing to keep)")
    except (StageError, ValueError, FileNotFoundError) as err:
        _log_to_file(logging.ERROR, f"{err}", exc_info=True)
        _remove_if_empty(workdir)
        raise SystemExit(f"gfjax: error: {err}") from None
    log.info("run directory: %s", workdir.resolve())
    return report.get("objective")


def main() -> float | None:
    """``gfjax-run``: with no arguments, say what to run instead of running the defaults."""
    if len(sys.argv) <= 1:
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)
    return _run()


if __name__ == "__main__":
    main()
