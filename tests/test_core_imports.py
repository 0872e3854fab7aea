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
# helpers whose job is to write the simulator's scene to disk (they may import it)
SIMULATOR_WRITERS = {"gfjax.io.stack_write"}
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
