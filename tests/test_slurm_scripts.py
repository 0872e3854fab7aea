"""slurm/: the sbatch scripts parse, render (DRY_RUN=1 prints the command and the resolved Hydra
config), refuse bad chunks, and submit.sh chains the two jobs with afterok on the array job id
(a fake ``sbatch`` records the calls). No SLURM is needed."""
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SLURM = REPO / "slurm"
SCRIPTS = ["offsets_array.sbatch", "msbas_products.sbatch", "submit.sh"]
VENV = Path(sys.executable).parent.parent


def _env(**kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.update(VENV=str(VENV), GFJAX_ROOT=str(REPO))
    env.update({k: str(v) for k, v in kw.items()})
    return env


def _run(script, cwd, **env):
    return subprocess.run(["bash", str(SLURM / script)], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_parse_and_are_strict(script):
    text = (SLURM / script).read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(SLURM / script)], capture_output=True).returncode == 0
    assert os.stat(SLURM / script).st_mode & stat.S_IXUSR


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
@pytest.mark.parametrize("script", SCRIPTS)
def test_shellcheck(script):
    res = subprocess.run(["shellcheck", "-S", "warning", str(SLURM / script)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout


def _sbatch_directives(script):
    return [ln.split(None, 1)[1] for ln in (SLURM / script).read_text().splitlines() if ln.startswith("#SBATCH ")]


def test_sbatch_directives_agree_with_the_scripts():
    """The #SBATCH defaults fit what the scripts do with them."""
    arr = dict(d.split("=", 1) for d in _sbatch_directives("offsets_array.sbatch") if "=" in d)
    text = (SLURM / "offsets_array.sbatch").read_text()
    n_chunks = int(re.search(r"N_CHUNKS=\$\{N_CHUNKS:-(\d+)\}", text).group(1))
    # the default array has one task per default chunk: no chunk left untracked, no task refused
    assert arr["--array"] == f"0-{n_chunks - 1}"
    assert arr["--ntasks"] == "1" and arr["--gpus-per-task"] == "1" and "%a" in arr["--output"]
    ms = dict(d.split("=", 1) for d in _sbatch_directives("msbas_products.sbatch") if "=" in d)
    # BIND_GPU=1 gives local rank i the GPU i: as many ranks per node as GPUs per node
    assert ms["--ntasks-per-node"] == ms["--gpus-per-node"]
    assert "BIND_GPU=${BIND_GPU:-1}" in (SLURM / "msbas_products.sbatch").read_text()


def _split_dry_run(out):
    """(echoed command line, resolved config) from a DRY_RUN=1 run."""
    lines = out.splitlines()
    cmd = [ln for ln in lines if ln.startswith("[gfjax-") and "gfjax.run" in ln]
    cfg = yaml.safe_load("\n".join(ln for ln in lines if not ln.startswith("[gfjax-")))
    return cmd[0], cfg


def test_offsets_array_dry_run_renders_the_chunk(tmp_path):
    res = _run("offsets_array.sbatch", tmp_path, DRY_RUN=1, EXPERIMENT="muldrow", N_CHUNKS=5,
               SLURM_ARRAY_TASK_ID=3, GFJAX_OVERRIDES=f"output.root={tmp_path} scene.seed=7")
    assert res.returncode == 0, res.stderr
    cmd, cfg = _split_dry_run(res.stdout)
    assert "+experiment=muldrow stages=[scene,offsets] parallel.chunk=3 parallel.n_chunks=5" in cmd
    assert cfg["name"] == "muldrow" and cfg["stages"] == ["scene", "offsets"]
    assert cfg["parallel"]["chunk"] == 3 and cfg["parallel"]["n_chunks"] == 5
    assert cfg["output"]["root"] == str(tmp_path) and cfg["scene"]["seed"] == 7
    assert not any(tmp_path.iterdir()), "a dry run must not write outputs"


def test_offsets_array_scene_only(tmp_path):
    res = _run("offsets_array.sbatch", tmp_path, DRY_RUN=1, SCENE_ONLY=1, EXPERIMENT="muldrow", SLURM_ARRAY_TASK_ID=0)
    assert res.returncode == 0, res.stderr
    cmd, cfg = _split_dry_run(res.stdout)
    assert "stages=[scene]" in cmd and "parallel.chunk" not in cmd
    assert cfg["stages"] == ["scene"] and cfg["parallel"]["chunk"] is None


def test_offsets_array_defaults_to_the_full_experiment(tmp_path):
    res = _run("offsets_array.sbatch", tmp_path, DRY_RUN=1)
    assert res.returncode == 0, res.stderr
    cmd, cfg = _split_dry_run(res.stdout)
    assert cfg["name"] == "muldrow_full" and cfg["parallel"]["chunk"] == 0 and cfg["parallel"]["n_chunks"] == 16


@pytest.mark.parametrize("env", [dict(N_CHUNKS=3, SLURM_ARRAY_TASK_ID=3), dict(N_CHUNKS=0, SLURM_ARRAY_TASK_ID=0),
                                 dict(N_CHUNKS=3, SLURM_ARRAY_TASK_ID="x"), dict(N_CHUNKS=3)])
def test_offsets_array_refuses_bad_tasks(tmp_path, env):
    res = _run("offsets_array.sbatch", tmp_path, **env)
    assert res.returncode != 0
    assert "N_CHUNKS" in res.stderr or "array" in res.stderr


def test_msbas_products_dry_run(tmp_path):
    res = _run("msbas_products.sbatch", tmp_path, DRY_RUN=1, EXPERIMENT="muldrow",
               GFJAX_OVERRIDES=f"output.root={tmp_path}")
    assert res.returncode == 0, res.stderr
    cmd, cfg = _split_dry_run(res.stdout)
    assert cmd.split("] ", 1)[1].startswith("srun ")
    assert "parallel=mpi stages=[offsets,geocode,msbas,products]" in cmd
    assert cfg["parallel"]["mode"] == "mpi"
    assert cfg["stages"] == ["offsets", "geocode", "msbas", "products"]
    bad = _run("msbas_products.sbatch", tmp_path, DRY_RUN=1, LAUNCHER="pbs")
    assert bad.returncode == 2 and "LAUNCHER" in bad.stderr


def test_msbas_products_rank_wrapper_binds_one_gpu_per_rank(tmp_path):
    """LAUNCHER=mpiexec runs the wrapper under 2 ranks; each sees CUDA_VISIBLE_DEVICES=<local rank>
    (a stand-in python prints what it got)."""
    mpiexec = VENV / "bin" / "mpiexec"
    if not mpiexec.exists():
        pytest.skip("no mpiexec in the venv")
    fake = tmp_path / "venv" / "bin"
    fake.mkdir(parents=True)
    (fake / "python").write_text('#!/usr/bin/env bash\necho "rank-sees CUDA=$CUDA_VISIBLE_DEVICES args=$*"\n')
    (fake / "python").chmod(0o755)
    env = _env(VENV=tmp_path / "venv", LAUNCHER="mpiexec", SLURM_NTASKS=2, EXPERIMENT="muldrow")
    env["PATH"] = f"{mpiexec.parent}:{env['PATH']}"
    res = subprocess.run(["bash", str(SLURM / "msbas_products.sbatch")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    seen = sorted(ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith("rank-sees"))
    assert seen == ["CUDA=0", "CUDA=1"], res.stdout
    assert "+experiment=muldrow parallel=mpi stages=[offsets,geocode,msbas,products]" in res.stdout


def test_submit_chains_array_then_dependent_job(tmp_path):
    log = tmp_path / "calls.txt"
    fake = tmp_path / "sbatch"
    fake.write_text('#!/usr/bin/env bash\necho "$*" >> ' + str(log) + '\n'
                    'n=$(wc -l < ' + str(log) + ')\necho "$((4100 + n));mycluster"\n')
    fake.chmod(0o755)
    res = subprocess.run(["bash", str(SLURM / "submit.sh"), "--partition=gpu"], cwd=tmp_path,
                         env=_env(SBATCH=fake, N_CHUNKS=6, MAX_PARALLEL=2, NODES=3, GPUS_PER_NODE=4,
                                  EXPERIMENT="muldrow"),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    scene, first, second = log.read_text().splitlines()
    assert "SCENE_ONLY=1" in scene and "--array=0 " in scene and scene.endswith("offsets_array.sbatch")
    assert "--parsable" in first and "--array=0-5%2" in first and first.endswith("offsets_array.sbatch")
    assert "--dependency=afterok:4101" in first
    assert all("--partition=gpu" in call for call in (scene, first, second))
    assert "--dependency=afterok:4102" in second and second.endswith("msbas_products.sbatch")
    assert "--nodes=3" in second and "--gpus-per-node=4" in second and "--ntasks-per-node=4" in second
    assert all(i in res.stdout for i in ("4101", "4102", "4103"))


def test_submit_fails_on_unparsable_sbatch_output(tmp_path):
    fake = tmp_path / "sbatch"
    fake.write_text('#!/usr/bin/env bash\necho "sbatch: error: invalid partition"\n')
    fake.chmod(0o755)
    res = subprocess.run(["bash", str(SLURM / "submit.sh")], cwd=tmp_path, env=_env(SBATCH=fake),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "scene job id" in res.stderr
