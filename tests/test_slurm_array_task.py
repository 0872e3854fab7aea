"""An offsets array task (slurm/offsets_array.sbatch with a faked SLURM_ARRAY_TASK_ID) tracks
exactly the pairs of its chunk into the shared run directory; after the scene job (SCENE_ONLY=1,
as submit.sh chains them) tasks run side by side; a re-run of a task redoes only its chunk's
missing pairs. A tiny scene (11 pairs), 30-40 s on 2 cores."""
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gfjax.pipeline.parallel import chunk_of

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "slurm" / "offsets_array.sbatch"
VENV = Path(sys.executable).parent.parent
N_CHUNKS = 3
# +experiment=muldrow made tiny; dates pinned so that edits of the experiment keep >= 6 pairs
TINY = ("scene.pixel_scale=8 scene.grid_spacing_m=500 geometry.grid_spacing_m=500 scene.margin_m=2000 "
        "scene.start=2014-10-22 scene.end=2021-11-18 scene.date_step=24 "
        "offsets.window=[32,32] offsets.step=[16,32] offsets.search=[6,6] "
        "products.figures=false products.animation=false")


def start_task(root: Path, task: int, **extra) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.update(VENV=str(VENV), GFJAX_ROOT=str(REPO), EXPERIMENT="muldrow", N_CHUNKS=str(N_CHUNKS),
               SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_JOB_ID="4242", JAX_PLATFORMS="cpu",
               MPLBACKEND="Agg", GFJAX_OVERRIDES=f"{TINY} output.root={root}", **extra)
    return subprocess.Popen(["bash", str(SCRIPT)], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-4000:]
    return out


def pair_files(run: Path) -> dict[tuple[str, int], Path]:
    folders = list((run / "work").glob("offsets-*"))
    assert len(folders) <= 1, folders
    files = {}
    for f in (folders[0].glob("*.nc") if folders else []):
        track, k = f.stem.rsplit("_", 1)
        files[(track, int(k))] = f
    return files


def all_pairs(run: Path) -> list[tuple[str, int]]:
    with open(run / "scene" / "pairs.csv") as fh:
        return [(r["track"], int(r["pair"])) for r in csv.DictReader(fh)]


def test_array_tasks_track_exactly_their_chunk(tmp_path):
    run = tmp_path / "muldrow"
    # the scene once (submit.sh's first job), then two tasks side by side in one run directory
    finish(start_task(tmp_path, 0, SCENE_ONLY="1"))
    assert not pair_files(run)
    finish_all = [start_task(tmp_path, 0), start_task(tmp_path, 2)]
    for p in finish_all:
        finish(p)
    pairs = all_pairs(run)
    assert len(pairs) >= 2 * N_CHUNKS
    owner = chunk_of(pairs, N_CHUNKS)
    want = {p for p in pairs if owner[p] in (0, 2)}
    assert set(pair_files(run)) == want, "tasks 0 and 2 must track exactly their chunks"

    finish(start_task(tmp_path, 1))
    files = pair_files(run)
    assert set(files) == set(pairs), "all chunks together track every pair exactly once"

    # task 1 fails half-way (one of its pair files lost) and is re-run: only that pair is redone
    mine = sorted(p for p in pairs if owner[p] == 1)
    lost = mine[-1]
    files[lost].unlink()
    before = {p: f.stat().st_mtime_ns for p, f in files.items() if p != lost}
    time.sleep(0.05)
    finish(start_task(tmp_path, 1))
    after = pair_files(run)
    assert set(after) == set(pairs)
    assert {p: f.stat().st_mtime_ns for p, f in after.items() if p != lost} == before, "finished pairs were redone"
    report = json.loads((run / "report.json").read_text())
    assert report["stages"]["offsets"]["pairs_tracked"] == 1
