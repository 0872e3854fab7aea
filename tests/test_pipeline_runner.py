"""Stage runner: order, resume from done-markers, re-running only what a changed config affects."""
import json

import pytest
from omegaconf import OmegaConf

from gfjax.pipeline.runner import run_pipeline
from gfjax.pipeline.stage import Registry, Stage, StageError
from gfjax.pipeline.sweep import summarise


@pytest.fixture
def toy(monkeypatch):
    calls = []
    reg = Registry()

    def make(name):
        def run(ctx):
            calls.append(name)
            if ctx.config.get("fail") == name:
                raise RuntimeError(f"{name} killed")
            return {"value": ctx.config[name]["v"]}
        return run

    reg.add(Stage("a", make("a"), sections=("a",)))
    reg.add(Stage("b", make("b"), sections=("b",), requires=("a",)))
    reg.add(Stage("c", make("c"), sections=("c",), requires=("b",)))
    monkeypatch.setattr("gfjax.pipeline.runner.to_settings", lambda cfg: cfg)
    return reg, calls


def cfg(stages=("a", "b", "c"), force=False, fail=None, **v):
    base = {"name": "toy", "stages": list(stages), "force": force, "fail": fail,
            "a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}}
    for k, val in v.items():
        base[k] = {"v": val}
    return OmegaConf.create(base)


def test_runs_in_order_and_writes_report(tmp_path, toy):
    reg, calls = toy
    rep = run_pipeline(cfg(stages=("c", "a", "b")), tmp_path, reg)
    assert calls == ["a", "b", "c"]
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["stages"]["c"]["value"] == 3 and saved["stages"]["a"]["status"] == "done"
    assert "wall_time_s" in saved["stages"]["b"] and saved["provenance"]["gfjax_version"]
    assert (tmp_path / "config_resolved.yaml").is_file()
    assert rep["stages"]["b"]["value"] == 2


def test_rerun_same_config_skips_everything(tmp_path, toy):
    reg, calls = toy
    run_pipeline(cfg(), tmp_path, reg)
    calls.clear()
    rep = run_pipeline(cfg(), tmp_path, reg)
    assert calls == []
    assert {s["status"] for s in rep["stages"].values()} == {"cached"}


def test_changed_section_reruns_that_stage_and_downstream_only(tmp_path, toy):
    reg, calls = toy
    run_pipeline(cfg(), tmp_path, reg)
    calls.clear()
    run_pipeline(cfg(b=20), tmp_path, reg)
    assert calls == ["b", "c"]
    calls.clear()
    run_pipeline(cfg(stages=("c",), b=20, c=30), tmp_path, reg)  # re-run one stage alone
    assert calls == ["c"]


def test_killed_run_resumes_after_last_finished_stage(tmp_path, toy):
    reg, calls = toy
    with pytest.raises(RuntimeError, match="c killed"):
        run_pipeline(cfg(fail="c"), tmp_path, reg)
    assert json.loads((tmp_path / "report.json").read_text())["stages"]["b"]["status"] == "done"
    calls.clear()
    run_pipeline(cfg(), tmp_path, reg)
    assert calls == ["c"]


def test_cached_rerun_keeps_the_first_runs_figures_and_adds_its_own(tmp_path, toy):
    reg, _ = toy
    first = json.loads(json.dumps(run_pipeline(cfg(), tmp_path, reg)))
    again = run_pipeline(cfg(), tmp_path, reg)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert {s["status"] for s in again["stages"].values()} == {"cached"}
    assert len(saved["runs"]) == 2 and saved["runs"][0] == first["runs"][0]
    assert saved["runs"][0]["ran"] == ["a", "b", "c"] and saved["runs"][1]["cached"] == ["a", "b", "c"]
    assert saved["wall_time_s"] == round(sum(r["wall_time_s"] for r in saved["runs"]), 3) >= first["wall_time_s"]
    assert saved["peak_disk_mb"] == max(r["peak_disk_mb"] for r in saved["runs"]) >= first["peak_disk_mb"]
    assert saved["peak_rss_mb"] > 0
    # the cached stages keep the wall time of the run that computed them
    assert saved["stages"]["b"]["wall_time_s"] == first["stages"]["b"]["wall_time_s"]


def test_ctrl_c_names_what_is_kept_and_the_same_command_resumes(tmp_path, toy):
    from gfjax.pipeline.runner import RunInterrupted

    reg, calls = toy
    reg.stages["b"] = Stage("b", lambda ctx: (_ for _ in ()).throw(KeyboardInterrupt()), sections=("b",),
                            requires=("a",))
    with pytest.raises(RunInterrupted) as stop:
        run_pipeline(cfg(), tmp_path, reg)
    assert (stop.value.stage, stop.value.done) == ("b", ["a"])
    assert "interrupted in stage b" in stop.value.message() and "same command" in stop.value.message()
    assert json.loads((tmp_path / "report.json").read_text())["stages"]["b"]["status"] == "interrupted"
    calls.clear()
    reg.stages["b"] = Stage("b", lambda ctx: {"value": 2}, sections=("b",), requires=("a",))
    rep = run_pipeline(cfg(), tmp_path, reg)
    assert calls == ["c"] and rep["stages"]["a"]["status"] == "cached"


def test_missing_upstream_is_a_clear_error(tmp_path, toy):
    reg, _ = toy
    with pytest.raises(StageError, match=r"needs \['a', 'b'\]"):
        run_pipeline(cfg(stages=("c",)), tmp_path, reg)


def test_unknown_stage_named(tmp_path, toy):
    reg, _ = toy
    with pytest.raises(StageError, match="'zzz'"):
        run_pipeline(cfg(stages=("a", "zzz")), tmp_path, reg)


def test_force_reruns(tmp_path, toy):
    reg, calls = toy
    run_pipeline(cfg(), tmp_path, reg)
    calls.clear()
    run_pipeline(cfg(force=True), tmp_path, reg)
    assert calls == ["a", "b", "c"]


def test_sweep_summary_table(tmp_path):
    for i, r in enumerate((0.9, 0.95)):
        d = tmp_path / f"msbas.lam={i}"
        d.mkdir()
        (d / "report.json").write_text(json.dumps({"wall_time_s": 1.0, "validation": {"2017": {"r": r, "rmse_m_per_yr": 50.0}},
                                                   "truth": {"east": {"rmse_m_per_yr": 10.0}}}))
    rows = summarise(tmp_path)
    assert [r["r_2017"] for r in rows] == [0.9, 0.95]
    md = (tmp_path / "summary.md").read_text()
    assert "r_2017" in md and "msbas.lam=1" in md and (tmp_path / "summary.csv").is_file()


def test_fingerprint_follows_the_stage_code_and_the_version(tmp_path, monkeypatch):
    """A changed source file of a stage's ``code`` (or of its upstream stages' code), or another
    gfjax version, gives another fingerprint; the stage re-runs instead of reusing old outputs."""
    import gfjax
    from gfjax.pipeline.stage import code_digest, fingerprint

    pkg = tmp_path / "toykern"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "kernel.py").write_text("def f(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry()
    reg.add(Stage("a", lambda ctx: {}, sections=("a",), code=("toykern",)))
    reg.add(Stage("b", lambda ctx: {}, sections=("b",), requires=("a",)))
    config = {"a": {"v": 1}, "b": {"v": 2}}
    before = {n: fingerprint(reg.stages[n], config, reg) for n in ("a", "b")}
    (pkg / "kernel.py").write_text("def f(x):\n    return 2 * x\n")
    code_digest.cache_clear()
    after = {n: fingerprint(reg.stages[n], config, reg) for n in ("a", "b")}
    assert after["a"] != before["a"] and after["b"] != before["b"]      # downstream follows
    monkeypatch.setattr(gfjax, "__version__", "9.9.9")
    assert fingerprint(reg.stages["b"], config, reg) != after["b"]
    code_digest.cache_clear()
