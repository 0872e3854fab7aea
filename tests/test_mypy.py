"""mypy passes over the whole gfjax package with the configuration in pyproject.toml ([tool.mypy]):
strict flags for gfjax/protocols.py and the I/O modules (gfjax/io), the default checks elsewhere.
Incremental (the cache in .mypy_cache): a few seconds when little changed, under a minute from cold
on 2 cores."""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (the test extra)")

REPO = Path(__file__).resolve().parents[1]


def test_the_package_type_checks():
    # no paths on the command line: pyproject.toml's `files` (gfjax) and per-module sections apply
    out = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(REPO / ".mypy_cache")], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues found" in out.stdout and "source files" in out.stdout, out.stdout


def test_the_io_modules_are_checked_strictly():
    # the strict flags reach gfjax.io: an unannotated function there is an error, elsewhere it is not
    import tomllib

    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]
    strict = [o for o in cfg["overrides"] if "gfjax.io.*" in o["module"]]
    assert strict and strict[0]["disallow_untyped_defs"] and "gfjax.protocols" in strict[0]["module"]
    assert cfg["python_version"] == "3.11" and "ignore_missing_imports" not in cfg
