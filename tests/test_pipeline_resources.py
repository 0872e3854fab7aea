"""Run costs in the report (peak disk, peak memory) and the clear stop when the disk fills."""
import errno
import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from gfjax.pipeline.resources import DiskTracker, disk_usage_mb
from gfjax.pipeline.runner import run_pipeline
from gfjax.pipeline.stage import Registry, Stage, StageError


def test_disk_usage_counts_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"\0" * 2**20)
    (tmp_path / "y.bin").write_bytes(b"\0" * 2**19)
    assert disk_usage_mb(tmp_path) == pytest.approx(1.5)
    assert disk_usage_mb(tmp_path / "missing") == 0.0
    t = DiskTracker(tmp_path)
    t.sample()
    (tmp_path / "y.bin").unlink()
    assert t.sample() == pytest.approx(1.0) and t.peak_mb == pytest.approx(1.5)


def _registry(fail_with=None):
    reg = Registry()

    def write(ctx):
        (ctx.workdir / "big.bin").write_bytes(b"\0" * 3 * 2**20)
        return {}

    def second(ctx):
        if fail_with is not None:
            raise fail_with
        (ctx.workdir / "big.bin").unlink()
        return {}

    reg.add(Stage("a", write, sections=("a",)))
    reg.add(Stage("b", second, sections=("b",), requires=("a",)))
    return reg


def _cfg():
    return OmegaConf.create({"name": "t", "stages": ["a", "b"], "force": False, "a": {}, "b": {}})


def test_report_has_peak_disk_and_memory(tmp_path, monkeypatch):
    monkeypatch.setattr("gfjax.pipeline.runner.to_settings", lambda cfg: cfg)
    rep = run_pipeline(_cfg(), tmp_path, _registry())
    assert rep["peak_disk_mb"] >= 3.0 and rep["stages"]["b"]["run_dir_mb_after"] < 1.0
    assert rep["peak_rss_mb"] > 10
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["peak_disk_mb"] == rep["peak_disk_mb"]


def test_disk_full_is_a_clear_error_and_keeps_finished_stages(tmp_path, monkeypatch):
    monkeypatch.setattr("gfjax.pipeline.runner.to_settings", lambda cfg: cfg)
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.nc"))
    with pytest.raises(StageError, match=r"stage 'b': the disk is full .*resumes where it stopped"):
        run_pipeline(_cfg(), tmp_path, _registry(full))
    assert (tmp_path / "stages" / "a.done.json").is_file() and (tmp_path / "big.bin").is_file()
    # other OS errors are not disguised
    with pytest.raises(PermissionError):
        run_pipeline(_cfg(), tmp_path, _registry(PermissionError(errno.EACCES, "denied")))


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc (VmHWM reset)")
def test_each_stage_reports_its_own_memory_peak(tmp_path, monkeypatch):
    """A stage that holds 160 MB reports it; the next one, which holds nothing, reports its own
    (lower) peak, not the process' high-water mark; the run's peak keeps the larger."""
    import json

    import numpy as np
    from omegaconf import OmegaConf

    from gfjax.pipeline.runner import run_pipeline
    from gfjax.pipeline.stage import Registry, Stage

    def big(ctx):
        a = np.ones(20_000_000)  # 160 MB, touched
        return {"sum": float(a.sum())}

    reg = Registry()
    reg.add(Stage("big", big, sections=("a",)))
    reg.add(Stage("small", lambda ctx: {}, sections=("b",), requires=("big",)))
    monkeypatch.setattr("gfjax.pipeline.runner.to_settings", lambda cfg: cfg)
    cfg = OmegaConf.create({"name": "m", "stages": ["big", "small"], "force": False, "a": {}, "b": {}})
    run_pipeline(cfg, tmp_path, reg)
    rep = json.loads((tmp_path / "report.json").read_text())
    big_mb, small_mb = rep["stages"]["big"]["peak_rss_mb"], rep["stages"]["small"]["peak_rss_mb"]
    assert big_mb > small_mb + 120, (big_mb, small_mb)
    assert rep["peak_rss_mb"] >= big_mb
