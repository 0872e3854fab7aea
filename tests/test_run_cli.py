"""The runner as a user meets it: no arguments, an error before any stage, Ctrl-C."""
import json
import signal
import time

import pytest
from cli import gfjax, start

# a whole chain in about a minute (2017's summer, coarse pixels, a 500 m grid)
TINY = ["+experiment=muldrow", "scene.pixel_scale=8", "scene.grid_spacing_m=500", "scene.start=2017-06-01",
        "scene.end=2017-08-15", "offsets.window=[16,32]", "offsets.step=[8,16]", "offsets.search=[6,6]",
        "offsets.oversample=1", "msbas.lam_candidates=[]", "msbas.select_lam=fixed", "products.figures=false",
        "products.animation=false"]


def test_no_arguments_say_what_to_run(tmp_path):
    out = gfjax(tmp_path, check=False, root=False)
    assert out.returncode == 2
    assert "+experiment=muldrow" in out.stderr and "SIMULATED" in out.stderr and "--help" in out.stderr
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing written


@pytest.mark.parametrize("args,message", [
    (["+experiment=stack", "data.path=/no/such/stack"], "/no/such/stack not found"),
    (["+experiment=muldrow", "+offsets.windw=64"], "offsets.windw (did you mean offsets.window?)"),
])
def test_error_before_any_stage_prints_once_and_leaves_no_run_directory(tmp_path, args, message):
    out = gfjax(tmp_path, *args, check=False)
    assert out.returncode == 1
    assert (out.stdout + out.stderr).count(message) == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert list(tmp_path.iterdir()) == [], list(tmp_path.rglob("*"))


def test_error_before_any_stage_keeps_an_earlier_run(tmp_path):
    earlier = tmp_path / "stack"
    earlier.mkdir()
    (earlier / "report.json").write_text("{}")
    out = gfjax(tmp_path, "+experiment=stack", "data.path=/no/such/stack", check=False)
    assert out.returncode == 1 and (earlier / "report.json").is_file()
    assert "/no/such/stack not found" in (earlier / "run.log").read_text()  # the error is logged there


@pytest.mark.slow
def test_ctrl_c_prints_one_line_and_the_same_command_resumes(tmp_path):
    proc = start(tmp_path, *TINY)
    log = tmp_path / "muldrow" / "run.log"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and "stage offsets: running" in log.read_text():
            break
        time.sleep(0.5)
    time.sleep(3)  # some pairs tracked
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stdout + stderr and "KeyboardInterrupt" not in stdout + stderr
    lines = [line for line in (stdout + stderr).splitlines() if "interrupted" in line]
    assert len(lines) == 1 and "stage offsets" in lines[0] and "(scene)" in lines[0], lines
    assert "same command" in lines[0] and str(tmp_path / "muldrow") in lines[0]

    gfjax(tmp_path, *TINY, timeout=900)  # the same command resumes
    report = json.loads((tmp_path / "muldrow" / "report.json").read_text())
    assert report["runs"][0]["ran"] == ["scene"] and report["runs"][-1]["cached"] == ["scene"]
    assert report["runs"][-1]["ran"] == ["offsets", "geocode", "msbas", "products"]
