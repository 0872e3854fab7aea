"""Scene figures are written (small scene)."""
from gfjax.plots.scene import plot_scene
from gfjax.sim import SceneSpec, build_scene


def test_plot_scene_writes_pngs(tmp_path):
    scene = build_scene(SceneSpec(grid_spacing_m=400.0, pixel_scale=8.0, start="2020-06-01"))
    paths = plot_scene(scene, tmp_path)
    assert len(paths) == 4
    for p in paths:
        assert p.suffix == ".png" and p.stat().st_size > 10_000
