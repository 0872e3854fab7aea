"""The data-source protocols (gfjax/protocols.py) hold: mypy checks that every source class meets
the protocols the stages read (tests/typing_sources.py), that a source missing a member fails
that check, and that the typed modules pass (strict for the protocols)."""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (the test extra)")

REPO = Path(__file__).resolve().parents[1]
# modules kept mypy-clean (the list grows as modules get annotated); gfjax/protocols.py strictly
TYPED = ["gfjax/protocols.py", "gfjax/config", "gfjax/run.py", "gfjax/pipeline/runner.py", "gfjax/pipeline/data.py",
         "gfjax/pipeline/context.py", "tests/typing_sources.py"]
pytestmark = pytest.mark.slow  # mypy: 20-60 s on 2 shared cores


def mypy(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--follow-imports=silent",
                           "--cache-dir", str(REPO / ".mypy_cache"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_sources_meet_the_protocols_and_typed_modules_pass():
    out = mypy(*TYPED)
    assert out.returncode == 0, out.stdout + out.stderr
    strict = mypy("--strict", "gfjax/protocols.py")
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_a_source_missing_a_member_fails_the_check(tmp_path):
    (tmp_path / "bad_source.py").write_text(
        "from gfjax.io.stack import StackScene\n"
        "from gfjax.protocols import RadarScene\n\n"
        "class NoPairs(StackScene):\n"
        "    slc_pair = None  # type: ignore[assignment]\n\n"
        "def radar(scene: NoPairs) -> RadarScene:\n"
        "    return scene\n")
    out = mypy(str(tmp_path / "bad_source.py"))
    assert out.returncode == 1 and "slc_pair" in out.stdout, out.stdout + out.stderr
