"""Running gfjax's command line (``python -m gfjax.run``) in a subprocess, as a user does: the one
runner of every test that runs it (pipeline, config, SLURM launcher, MPI reference, packaging
aside, which runs an installed ``gfjax-run``)."""
import os
import subprocess
import sys


# ``python -c PIPELINE_SCRIPT RUN_DIR JSON_OVERRIDES``: the pipeline in a fresh process (composed
# like the command line), then the gfjax.sim modules it imported, as JSON (real-data routes: none)
PIPELINE_SCRIPT = """
import json, sys, warnings
from hydra import compose, initialize_config_dir
from gfjax.config import CONF_DIR, register_configs
from gfjax.pipeline.runner import run_pipeline

register_configs()
with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
    cfg = compose(config_name="config", overrides=json.loads(sys.argv[2]))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    run_pipeline(cfg, sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.startswith("gfjax.sim"))))
"""


def run_pipeline_script(workdir, overrides: list[str], timeout: float = 600) -> list[str]:
    """:data:`PIPELINE_SCRIPT` in a fresh process from the repository root (asserts success);
    returns the ``gfjax.sim`` modules it imported."""
    import json
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", PIPELINE_SCRIPT, str(workdir), json.dumps(overrides)],
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def command(*args) -> list[str]:
    return [sys.executable, "-m", "gfjax.run", *args]


def _env(env=None) -> dict:
    """``env`` (default: this process' environment) with a headless matplotlib and short errors."""
    return dict(os.environ if env is None else env, MPLBACKEND="Agg", HYDRA_FULL_ERROR="0")


def start(cwd, *args, root=True, env=None) -> subprocess.Popen:
    """Start ``python -m gfjax.run *args [output.root=cwd]`` in ``cwd``; stdout and stderr apart."""
    extra = [f"output.root={cwd}"] if root else []
    return subprocess.Popen(command(*args, *extra), cwd=cwd, env=_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def gfjax(cwd, *args, check=True, root=True, env=None, timeout=600) -> subprocess.CompletedProcess:
    """``python -m gfjax.run *args`` in ``cwd`` (outputs under ``cwd`` unless ``root`` is False);
    asserts success unless ``check`` is False; returns the CompletedProcess (stdout, stderr,
    returncode)."""
    extra = [f"output.root={cwd}"] if root else []
    out = subprocess.run(command(*args, *extra), cwd=cwd, env=_env(env), capture_output=True, text=True,
                         timeout=timeout)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out
