"""+experiment=muldrow_safe (data.source=safe_sim): the synthetic scene written as Sentinel-1 SAFE products
into the run folder, once per scene, read by the Sentinel-1 route and validated against the scene's truth.

Fast: the experiment composes, its keys are checked, the products are rewritten only for another scene
(the truth resampled onto the AOI's grid: tests/test_products_validation.py). Slow: a 12 km piece of the
scene through every stage, then the same command again (all cached).
"""
import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException

from gfjax.config import CONF_DIR, register_configs
from gfjax.config.schema import to_settings

register_configs()

BBOX = [610000.0, 7005000.0, 622000.0, 7017000.0]        # EPSG:32605, inside the Muldrow scene (12 km)
TINY = ["+experiment=muldrow_safe", f"scene.bbox=[{','.join(map(str, BBOX))}]", "scene.start=2017-06-01",
        "scene.end=2017-07-19", "data.margin_m=1500"]


def _compose(overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def test_the_experiment_composes_as_the_simulated_sentinel1_source():
    s = to_settings(_compose(["+experiment=muldrow_safe"]))
    assert (s.name, s.data.source.value, s.data.path, s.data.aoi) == ("muldrow_safe", "safe_sim", None, None)
    assert s.stages == ["scene", "offsets", "geocode", "msbas", "products"]
    assert (s.scene.pixel_scale, s.geometry.grid_spacing_m) == (4.0, 200.0)      # the grid follows the scene
    assert s.scene.start < "2018-01-01" < s.scene.end                            # a part of 2017 and of 2018
    assert tuple(s.offsets.window) == (16, 48) and s.msbas.dim == 4              # offsets=muldrow, msbas=muldrow


@pytest.mark.parametrize("override,named", [("data.pth=/x", "pth"), ("scene.strat=2017-01-01", "strat")])
def test_a_misspelt_key_is_an_error_naming_it(override, named):
    with pytest.raises(ConfigCompositionException) as err:
        _compose(["+experiment=muldrow_safe", override])
    assert named in str(err.value) + str(err.value.__cause__)


def test_an_appended_unknown_key_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"unknown config key\(s\) data.simulate"):
        to_settings(_compose(["+experiment=muldrow_safe", "+data.simulate=true"]))


@pytest.mark.parametrize("override,key", [("data.path=/x", "data.path"), ("data.aoi=a.geojson", "data.aoi"),
                                          ("data.start=2017-06-01", "data.start"),
                                          ("data.reference=['2017=/r.nc']", "data.reference")])
def test_keys_the_source_sets_itself_are_refused_before_any_stage(override, key):
    from gfjax.pipeline.data import preflight

    with pytest.raises(ValueError, match=f"^{key}: not used with data.source=safe_sim"):
        preflight(to_settings(_compose(["+experiment=muldrow_safe", override])))
    preflight(to_settings(_compose(TINY)))                                       # the tiny run's keys pass
    with pytest.raises(ValueError, match="data.margin_m=7000.0: the AOI is scene.bbox less"):
        preflight(to_settings(_compose(TINY + ["data.margin_m=7000"])))


def test_the_products_are_written_once_per_scene(tmp_path, monkeypatch):
    """A second run of the same scene reuses <run>/safe/; another scene (or a lost file) writes them again."""
    import gfjax.sim.safe_scene
    from gfjax.pipeline import safe_sim

    calls = []

    def fake(spec, folder):
        calls.append(spec.seed)
        folder = Path(folder)
        folder.mkdir(parents=True)
        for name in ("a.zip", "b.zip", "dem.tif", "reference_velocity_2017.nc"):
            (folder / name).write_text(str(spec.seed))
        return {"products": {"T065": [folder / "a.zip", folder / "b.zip"]}, "dem": folder / "dem.tif",
                "references": {2017: folder / "reference_velocity_2017.nc"}}

    monkeypatch.setattr(gfjax.sim.safe_scene, "write_safe_products", fake)
    settings = to_settings(_compose(TINY))
    first = safe_sim.ensure_products(settings, tmp_path)
    again = safe_sim.ensure_products(settings, tmp_path)
    assert calls == [0] and not first["reused"] and again["reused"]
    assert first["fingerprint"] == again["fingerprint"] and not (tmp_path / "safe.partial").exists()
    assert safe_sim.reference_products(tmp_path) == {"2017": tmp_path / "safe" / "reference_velocity_2017.nc"}
    other = safe_sim.ensure_products(to_settings(_compose(TINY + ["scene.seed=3"])), tmp_path)
    assert calls == [0, 3] and other["fingerprint"] != first["fingerprint"]
    assert (tmp_path / "safe" / "a.zip").read_text() == "3"                       # the old scene's are gone
    (tmp_path / "safe" / "b.zip").unlink()
    safe_sim.ensure_products(to_settings(_compose(TINY + ["scene.seed=3"])), tmp_path)
    assert calls == [0, 3, 3]


@pytest.mark.slow            # ~1.5 min: 8 products written, then every stage, then a cached re-run
def test_muldrow_safe_runs_the_whole_chain_and_reports_the_truth(tmp_path):
    from cli import run_pipeline_script

    overrides = TINY + ["products.figures=false", "parallel.mode=single"]
    imported = run_pipeline_script(tmp_path, overrides)
    assert "gfjax.sim.safe_scene" in imported                    # the source writes the products itself
    report = json.loads((tmp_path / "report.json").read_text())
    written = report["stages"]["scene"]["safe_products"]
    assert sum(len(v) for v in written["products"].values()) == 8 and written["references"] == {
        "2017": "reference_velocity_2017.nc"}
    assert all(o["orbit_source"] == "POEORB" for t in report["stages"]["scene"]["tracks"].values()
               for o in t["orbits"])
    truth = report["truth"]
    # measured (2-core CPU, 2017-06-01..07-19, 9 km AOI): RMSE north / east / up SPF / up nSPF 26.6 / 18.6 / 1.8 /
    # 2.8 m/yr; against the 2017 reference (the year clipped to the acquisitions) r 0.986, n 2004
    bounds = {"north": 60.0, "east": 40.0, "up_spf": 10.0, "up_nspf": 10.0}
    for name, bound in bounds.items():
        assert truth[name]["n"] > 1000 and truth[name]["rmse_m_per_yr"] < bound, (name, truth[name])
    assert report["validation"]["2017"]["n"] > 1000 and report["validation"]["2017"]["r"] > 0.9
    # the same command again: the products are reused, every stage is cached
    run_pipeline_script(tmp_path, overrides)
    again = json.loads((tmp_path / "report.json").read_text())
    assert again["runs"][-1]["ran"] == [] and sorted(again["runs"][-1]["cached"]) == sorted(report["stages"])
    assert again["stages"]["scene"]["safe_products"]["written_utc"] == written["written_utc"]
    assert again["truth"] == truth
