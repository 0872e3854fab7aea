"""Real-data paths do not import the simulator (issue 13 item 1): importing any module of
``gfjax.io`` (except the writers of simulated stacks), ``gfjax.pipeline.stages``,
``gfjax.msbas.cli`` or ``gfjax.msbas.api`` leaves ``gfjax.sim`` and ``gfjax.msbas.synthetic``
out of ``sys.modules``. The shared concepts live in ``gfjax.core`` and ``gfjax.geometry``."""
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import gfjax.io
import gfjax.pipeline.stages

REPO = Path(__file__).resolve().parents[1]
# helpers whose job is to write the simulator's scene to disk may import it (none does today:
# gfjax.io.stack_write takes any scene with its duck type)
SIMULATOR_WRITERS: set = set()
REAL_DATA = sorted(
    {f"gfjax.io.{m.name}" for m in pkgutil.iter_modules(gfjax.io.__path__)} - SIMULATOR_WRITERS
    | {f"gfjax.pipeline.stages.{m.name}" for m in pkgutil.iter_modules(gfjax.pipeline.stages.__path__)}
    | {"gfjax.msbas.cli", "gfjax.msbas.api", "gfjax.pipeline.data", "gfjax.config.schema", "gfjax.core.time"})

# One fresh interpreter imports the modules one by one; sys.modules only grows, so whatever
# simulator module appears first after importing module m was pulled in by m.
PROBE = """
import importlib, json, sys
def sim():
    return {m for m in sys.modules if m == "gfjax.sim" or m.startswith("gfjax.sim.") or m == "gfjax.msbas.synthetic"}
culprits = {}
for name in json.loads(sys.argv[1]):
    before = sim()
    importlib.import_module(name)
    if sim() - before:
        culprits[name] = sorted(sim() - before)
print(json.dumps(culprits))
"""


def test_real_data_modules_do_not_import_the_simulator():
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(REAL_DATA)], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    culprits = json.loads(out.stdout.strip().splitlines()[-1])
    assert culprits == {}, f"real-data modules importing the simulator: {culprits}"


def test_the_probe_sees_a_simulator_import():
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["gfjax.core.time", "gfjax.sim.acquisitions"])],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    culprits = json.loads(out.stdout.strip().splitlines()[-1])
    assert list(culprits) == ["gfjax.sim.acquisitions"], culprits
    assert {"gfjax.sim", "gfjax.sim.acquisitions"} <= set(culprits["gfjax.sim.acquisitions"])


# What the scene stage and the later stages read from a stack folder, in a fresh interpreter:
# the scene stage itself, times and decimal years, the outline's ice mask, flowline, DEM gradient,
# an SLC pair.
READ_STACK = """
import sys, types
from pathlib import Path
from gfjax.io.stack import load_stack
from gfjax.pipeline.stages.scene import run_scene
st = load_stack(sys.argv[1])
from gfjax.config.schema import DataSource
settings = types.SimpleNamespace(data=types.SimpleNamespace(source=DataSource.stack))
ctx = types.SimpleNamespace(scene=st, settings=settings, workdir=Path(sys.argv[2]),
                            path=lambda stage, name: Path(sys.argv[2]) / name)
assert run_scene(ctx)["ice_cells"] > 0
assert st.outline_xy is not None and st.flowline is not None and st.ice_mask.any()
for name, tr in st.tracks.items():
    tr.decimal_years, tr.map_to_radar(), st.slc_pair(name, 0), st.pair_times(name, 0)
st.dem_gradient, st.first_time, st.last_time
print(sorted(m for m in sys.modules if m.startswith("gfjax.sim") or m == "gfjax.msbas.synthetic"))
"""


def test_reading_a_stack_folder_does_not_import_the_simulator(tmp_path):
    from gfjax.io.stack_write import write_stack
    from gfjax.sim import SceneSpec, build_scene
    from gfjax.sim.outline import write_outline

    scene = build_scene(SceneSpec(bbox=[612000.0, 7008000.0, 622000.0, 7016000.0], pixel_scale=8.0,
                                  grid_spacing_m=800.0, start="2017-06-01", end="2017-07-15", date_step=2))
    root = write_stack(scene, tmp_path / "stack", images="dates")
    (root / "ice_mask.tif").unlink()
    write_outline(root / "ice_outline.geojson", scene.outline_xy, scene.grid.epsg, holes=scene.holes_xy)
    out = subprocess.run([sys.executable, "-c", READ_STACK, str(root), str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
