"""Hydra sweeps through hydra-submitit-launcher: gfjax/conf/hydra/launcher/{slurm,local}.yaml compose on
top of the plugin's ConfigStore entries (hydra/launcher/submitit_slurm, submitit_local), and a
2-job sweep really runs with submitit_local and writes the sweep summary. No SLURM needed."""
import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from omegaconf import OmegaConf

from cli import gfjax

from gfjax.config import CONF_DIR, register_configs

pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="hydra-submitit-launcher not installed")

REPO = Path(__file__).resolve().parents[1]
CONF = Path(CONF_DIR)
TINY = ["scene.pixel_scale=8", "scene.grid_spacing_m=500", "geometry.grid_spacing_m=500", "scene.date_step=24",
        "products.figures=false", "products.animation=false"]

register_configs()


def _compose(overrides):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


def test_plugin_registers_submitit_launchers():
    Plugins.instance()  # discovers hydra_plugins.*, importing their ConfigStore registrations
    launchers = ConfigStore.instance().list("hydra/launcher")
    assert {"submitit_slurm.yaml", "submitit_local.yaml"} <= set(launchers)


def test_slurm_launcher_composes_with_defaults(monkeypatch):
    for var in ("PARTITION", "ACCOUNT", "QOS", "TIMEOUT_MIN", "GPUS", "CPUS", "MEM_GB", "ARRAY_PARALLELISM"):
        monkeypatch.delenv(f"GFJAX_SLURM_{var}", raising=False)
    cfg = _compose(["hydra/launcher=slurm", "+experiment=muldrow", "msbas.lam=0.05"])
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert launcher["_target_"].endswith("submitit_launcher.SlurmLauncher")
    assert launcher["partition"] is None and launcher["account"] is None
    assert launcher["gpus_per_node"] == 1 and launcher["tasks_per_node"] == 1 and launcher["nodes"] == 1
    assert launcher["timeout_min"] == 120 and launcher["mem_gb"] == 64 and launcher["cpus_per_task"] == 8
    assert launcher["name"] == "gfjax-muldrow"
    assert launcher["submitit_folder"].endswith("multirun/muldrow/.submitit/%j")


def test_slurm_launcher_takes_cluster_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("GFJAX_SLURM_PARTITION", "gpu-a100")
    monkeypatch.setenv("GFJAX_SLURM_ACCOUNT", "glaciers")
    monkeypatch.setenv("GFJAX_SLURM_GPUS", "4")
    monkeypatch.setenv("GFJAX_SLURM_TIMEOUT_MIN", "30")
    cfg = _compose(["hydra/launcher=slurm", "+experiment=muldrow_full", "hydra.launcher.mem_gb=200"])
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert launcher["partition"] == "gpu-a100" and launcher["account"] == "glaciers"
    assert launcher["gpus_per_node"] == 4 and launcher["timeout_min"] == 30 and launcher["mem_gb"] == 200


def test_slurm_launcher_instantiates_a_slurm_executor(tmp_path, monkeypatch):
    """The resolved parameters are accepted by submitit's SlurmExecutor (no sbatch is called; a
    stub ``srun`` on PATH satisfies its cluster check)."""
    import submitit

    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "srun").write_text("#!/bin/sh\nexit 0\n")
    (stub / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{stub}:{os.environ['PATH']}")

    cfg = _compose(["hydra/launcher=slurm", "+experiment=muldrow"])
    params = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    params.pop("_target_")
    folder = params.pop("submitit_folder")
    assert "%j" in folder
    ex = submitit.AutoExecutor(folder=str(tmp_path), cluster="slurm", slurm_max_num_timeout=params.pop("max_num_timeout"))
    base = {"timeout_min", "cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb", "nodes", "name",
            "stderr_to_stdout"}
    ex.update_parameters(**{k if k in base else f"slurm_{k}": v for k, v in params.items()})
    text = ex._executor._make_submission_file_text("echo hi", "UID")  # the sbatch script it would submit
    assert "#SBATCH --gpus-per-node=1" in text and "#SBATCH --job-name=gfjax-muldrow" in text
    assert "export PYTHONUNBUFFERED=1" in text


def test_cli_cfg_hydra_shows_the_slurm_launcher():
    res = gfjax(REPO, "hydra/launcher=slurm", "+experiment=muldrow", "--cfg", "hydra", "--package", "hydra.launcher",
                check=False, root=False, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "SlurmLauncher" in res.stdout and "GFJAX_SLURM_PARTITION" in res.stdout


@pytest.mark.parametrize("launcher", ["submitit_local", "local"])
def test_two_job_sweep_with_submitit_local_writes_summary(tmp_path, launcher):
    res = gfjax(tmp_path, "-m", f"hydra/launcher={launcher}", "+experiment=muldrow", *TINY, "stages=[scene]",
                f"output.sweep_root={tmp_path}", "scene.seed=1,2", check=False, root=False,
                env=dict(os.environ, JAX_PLATFORMS="cpu"), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    sweep = tmp_path / "muldrow"
    jobs = sorted(p.parent.name for p in sweep.glob("*/report.json"))
    assert len(jobs) == 2 and jobs[0].endswith("scene.seed=1") and jobs[1].endswith("scene.seed=2"), jobs
    summary = (sweep / "summary.md").read_text()
    assert all(job in summary for job in jobs)
    assert (sweep / ".submitit").is_dir(), "jobs were not run through submitit"
