"""Running ``python -m gfjax.run`` in a subprocess, as a user does (shared by the pipeline tests)."""
import os
import subprocess
import sys


def gfjax(tmp, *args, check=True):
    """``python -m gfjax.run *args output.root=tmp`` in ``tmp``; asserts success unless ``check`` is
    False; returns the CompletedProcess (stdout, stderr, returncode)."""
    env = dict(os.environ, MPLBACKEND="Agg", HYDRA_FULL_ERROR="0")
    out = subprocess.run([sys.executable, "-m", "gfjax.run", *args, f"output.root={tmp}"], cwd=tmp, env=env,
                         capture_output=True, text=True, timeout=600)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out
