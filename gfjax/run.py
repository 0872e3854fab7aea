"""Hydra entry point: ``python -m gfjax.run +experiment=muldrow [group.key=value ...]``.

Every run writes into its Hydra run directory (``outputs/<name>`` by default, one
sub-directory per job for sweeps under ``multirun/<name>``): the resolved config, a log,
``report.json`` and figures. Re-running with the same config resumes; see README.md.
"""
from __future__ import annotations

import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from gfjax.config import CONF_DIR, register_configs

log = logging.getLogger("gfjax")
register_configs()


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    from gfjax.pipeline.runner import run_pipeline
    from gfjax.pipeline.stage import StageError

    workdir = Path(HydraConfig.get().runtime.output_dir)
    try:
        report = run_pipeline(cfg, workdir)
    except (StageError, ValueError, FileNotFoundError) as err:
        log.debug("traceback", exc_info=True)
        log.error("%s", err)
        raise SystemExit(f"gfjax: error: {err}") from None
    log.info("run directory: %s", workdir.resolve())
    return report.get("objective")


if __name__ == "__main__":
    main()
