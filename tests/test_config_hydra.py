"""Hydra composition, schema validation and the command-line entry point."""
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from cli import gfjax

from gfjax.config import CONF_DIR, register_configs
from gfjax.config.schema import to_settings

REPO = Path(__file__).resolve().parents[1]
CONF = Path(CONF_DIR)
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))

register_configs()


def _compose(overrides):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def test_experiments_exist():
    assert {"muldrow", "muldrow_full", "stack"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_and_validates(experiment):
    cfg = _compose([f"+experiment={experiment}"])
    settings = to_settings(cfg)  # runs the rings' own validation too
    assert settings.name == experiment
    text = (CONF / "experiment" / f"{experiment}.yaml").read_text()
    assert text.startswith("# @package _global_"), "experiments must be global packages"


def test_experiment_absent_from_defaults():
    text = (CONF / "config.yaml").read_text()
    assert "experiment" not in OmegaConf.create(text)["defaults"].__str__()


@pytest.mark.parametrize("override,key", [
    ("scene.pixel_scal=2", "pixel_scal"),
    ("offsets.windw=[32,32]", "windw"),
    ("msbas.lamda=0.1", "lamda"),
    ("products.rank_treshold=3", "rank_treshold"),
    ("colour=blue", "colour"),
    ("data.pth=/data", "pth"),
])
def test_misspelt_key_is_an_error_naming_it(override, key):
    with pytest.raises(ConfigCompositionException) as err:
        _compose(["+experiment=muldrow", override])
    assert key in str(err.value) + str(err.value.__cause__)


@pytest.mark.parametrize("override,named", [
    ("+offsets.windw=64", "offsets.windw (did you mean offsets.window?)"),
    ("++msbas.lamda=0.1", "msbas.lamda (did you mean msbas.lam?)"),
    ("+colour=blue", "colour"),
])
def test_appended_unknown_key_is_an_error_naming_it(override, named):
    """Hydra's `+key=value` gets past struct mode (and its own error message suggests it): the
    settings then reject a key no schema declares, before any stage runs."""
    cfg = _compose(["+experiment=muldrow", override])
    with pytest.raises(ValueError, match="unknown config key") as err:
        to_settings(cfg)
    assert named in str(err.value)


def test_fast_method_rejects_the_options_it_ignores():
    # offsets=muldrow turns on segment_by_mask, which the fast method cannot do: named, before any stage
    with pytest.raises(ValueError, match="segment_by_mask needs method='accurate'"):
        to_settings(_compose(["+experiment=muldrow", "offsets.method=fast"]))
    fast = ["+experiment=muldrow", "offsets.method=fast", "offsets.segment_by_mask=false"]
    assert to_settings(_compose(fast)).offsets.method == "fast"
    cfg = _compose(fast + ["offsets.oversample=1", "offsets.deramp=azimuth"])
    with pytest.raises(ValueError, match="offsets.method=fast ignores") as err:
        to_settings(cfg)
    assert "offsets.oversample=1" in str(err.value) and "offsets.deramp='azimuth'" in str(err.value)
    # the accurate method reads them
    assert to_settings(_compose(["+experiment=muldrow", "offsets.oversample=1"])).offsets.oversample == 1


def test_map_grid_follows_the_scene_and_the_data():
    assert to_settings(_compose(["+experiment=muldrow"])).geometry.grid_spacing_m == 200.0
    assert to_settings(_compose(["+experiment=muldrow", "scene.grid_spacing_m=500"])).geometry.grid_spacing_m == 500.0
    assert to_settings(_compose(["+experiment=muldrow_full"])).geometry.grid_spacing_m == 100.0
    for data in ("stack", "msbas", "autorift"):  # the data's own grid, with or without an experiment
        assert to_settings(_compose([f"data={data}", "data.path=/x"])).geometry.grid_spacing_m is None


def test_map_grid_other_than_the_synthetic_scenes_is_an_error_before_any_stage():
    with pytest.raises(ValueError, match="geometry.grid_spacing_m=300.0 differs from scene.grid_spacing_m=200.0"):
        to_settings(_compose(["+experiment=muldrow", "geometry.grid_spacing_m=300"]))


def test_experiments_are_thin_diffs():
    """No block of settings is repeated across experiments: shared choices live in config groups
    (offsets=muldrow, msbas=muldrow, msbas=map_inputs)."""
    seen = {}
    for name in EXPERIMENTS:
        cfg = OmegaConf.to_container(OmegaConf.load(CONF / "experiment" / f"{name}.yaml"))
        for section, block in cfg.items():
            if isinstance(block, dict) and len(block) > 2:
                key = (section, repr(sorted(block.items())))
                assert key not in seen, f"{section} block of {name} repeats {seen[key]}'s: use a config group"
                seen[key] = name


def test_wrong_type_is_rejected():
    with pytest.raises(ConfigCompositionException) as err:
        _compose(["+experiment=muldrow", "scene.date_step=often"])
    assert isinstance(err.value.__cause__, ValidationError)


def test_data_source_choices():
    assert to_settings(_compose([])).data.source.value == "synthetic"
    stack = to_settings(_compose(["+experiment=stack", "data.path=/data/stack", "data.tracks=[T065]"]))
    assert (stack.data.source.value, stack.data.path, stack.data.tracks) == ("stack", "/data/stack", ["T065"])
    assert stack.geometry.grid_spacing_m is None  # the stack's own grid
    with pytest.raises(ConfigCompositionException) as err:
        _compose(["data.source=ftp"])
    assert isinstance(err.value.__cause__, ValidationError)


def test_parallel_mode_choices():
    assert to_settings(_compose(["parallel=mpi"])).parallel.mode.value == "mpi"
    with pytest.raises(ConfigCompositionException) as err:
        _compose(["parallel.mode=everywhere"])
    assert isinstance(err.value.__cause__, ValidationError)


def _run(args, cwd, timeout=600):
    return gfjax(cwd, *args, check=False, root=False, timeout=timeout)


def test_help_lists_the_groups(tmp_path):
    out = _run(["--help"], tmp_path)
    assert out.returncode == 0, out.stderr
    for group in ("scene", "offsets", "geometry", "msbas", "products", "parallel", "output", "experiment"):
        assert group in out.stdout
    assert "SIMULATED" in out.stdout


def test_unknown_stage_is_a_clear_error(tmp_path):
    out = _run(["+experiment=muldrow", "stages=[scene,tracking]", f"output.root={tmp_path}"], tmp_path)
    assert out.returncode != 0
    assert "tracking" in out.stderr + out.stdout and "known stages" in out.stderr + out.stdout


def test_ring_validation_names_the_section():
    cfg = _compose(["+experiment=muldrow", "scene.start=2010-01-01"])
    with pytest.raises(ValueError, match="scene.*start"):
        to_settings(cfg)
