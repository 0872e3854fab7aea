"""report.html of a run and of a sweep, from a run directory made as the stages make it: the
configuration summary, every metric group, every figure and the animation, the interactive map
with everything inlined (no CDN, no tiles), pixel series within a size budget; the runner
writes the page at the end of each run; a sweep writes one comparison page."""
import json
import re

import numpy as np
import pytest

from gfjax.geometry.grid import MapGrid

GRID = MapGrid(32605, 600000.0, 7010000.0, 200.0, 24, 16)


def make_run(run_dir, grid=GRID, n_int=8, figures=True):
    """A run directory with the products, two figures, an animation and report.json."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gfjax.io.geotiff import write_geotiff
    from gfjax.io.netcdf import attach_grid
    from gfjax.pipeline.provenance import atomic_write_json
    from gfjax.pipeline.stages.offsets import write_dataset_atomic
    from gfjax.products.cf import cf_product
    from gfjax.products.flowline import flowline_profiles
    from gfjax.products.synthetic import timeseries_from_velocities
    from gfjax.products.velocity import mean_velocity, write_velocity_geotiffs

    epochs = 2017.0 + np.arange(n_int + 1) * 12 / 365
    X, Y = grid.meshgrid()
    d = (X - grid.x0) / 1e3
    vel = np.zeros((n_int, 4) + grid.shape, np.float32)
    for k in range(n_int):
        vel[k, 1] = 50 + 800 * np.exp(-((d - 0.3 * k) / 1.0) ** 2)
        vel[k, 0] = 0.3 * vel[k, 1]
        vel[k, 2] = -5.0
        vel[k, 3] = 10.0 * np.sin(k)
    vel[:, :, :2, :] = np.nan  # no data in the northern rows
    ts = timeseries_from_velocities(epochs, vel, grid=grid)
    products = run_dir / "products"
    write_dataset_atomic(cf_product(attach_grid(ts, grid)), products / "timeseries.nc")
    mean = mean_velocity(ts)
    write_dataset_atomic(cf_product(attach_grid(mean, grid)), products / "mean_velocity.nc")
    write_velocity_geotiffs(mean, grid, products / "geotiff", cog=True)
    write_geotiff(products / "geotiff" / "dem.tif", 3000 - 30 * d + 50 * np.sin(Y / 700.0), grid, units="m")
    fx = np.linspace(grid.x[1], grid.x[-2], 30)
    fy = np.full(30, grid.y[10])
    flow = flowline_profiles(ts, grid, fx, fy, fx - fx[0], marker_km=(1.0, 2.0, 3.0), region_px=3)
    write_dataset_atomic(cf_product(flow), products / "flowline.nc")
    if figures:
        (run_dir / "figures" / "scene").mkdir(parents=True, exist_ok=True)
        for name in ("figures/mean_speed_log.png", "figures/scene/scene_dem.png"):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([0, 1], [0, 1])
            fig.savefig(run_dir / name)
            plt.close(fig)
        from PIL import Image

        Image.new("RGB", (40, 30), "red").save(run_dir / "figures" / "speed_animation.gif")
    report = {"name": "muldrow", "workdir": str(run_dir),
              "provenance": {"gfjax_version": "0.1.0", "gfjax_commit": "abc", "created_utc": "2026-12-07T16:00:00Z",
                             "command": "gfjax/run.py +experiment=muldrow", "jax_backend": "cpu",
                             "config": {"name": "muldrow", "stages": ["scene", "products"],
                                        "data": {"source": "synthetic", "reference": []},
                                        "scene": {"start": "2017-01-01", "end": "2017-04-01", "tracks": ["T065"]},
                                        "offsets": {"window": [64, 64], "step": [8, 32], "method": "accurate"},
                                        "msbas": {"dim": 4, "order": 1, "lam": 0.03, "select_lam": "lcurve"},
                                        "products": {"rank_threshold": 0}}},
              "stages": {"msbas": {"status": "done", "wall_time_s": 73.2, "valid_pixels": 1234, "ice_pixels": 2000,
                                   "rank": {"median_on_ice": 40.0}},
                         "products": {"status": "done", "wall_time_s": 8.1}},
              "validation": {"2017": {"r": 0.955, "rmse_m_per_yr": 15.2, "bias_m_per_yr": -1.0, "n": 900}},
              "truth": {"east": {"rmse_m_per_yr": 15.0, "bias_m_per_yr": -2.0, "n": 100,
                                 "per_year": {"2017": {"rmse_m_per_yr": 15.0}}}},
              "objective": 0.955, "wall_time_s": 378.0, "peak_rss_mb": 2100.5, "peak_disk_mb": 445.0}
    atomic_write_json(run_dir / "report.json", report)
    return run_dir, grid


def test_page_holds_config_metrics_figures_and_map(tmp_path):
    from gfjax.report import write_report_page

    run_dir, _ = make_run(tmp_path / "run")
    page = write_report_page(run_dir)
    assert page == run_dir / "report.html"
    text = page.read_text()
    # configuration summary and metrics
    for want in ("synthetic", "2017-01-01 → 2017-04-01", "64, 64", "lcurve",     # configuration
                 "0.955", "15.2",                                                # validation
                 "east / per_year / 2017", "rmse_m_per_yr",                     # truth (nested, generic)
                 "msbas.valid_pixels", "1,234",                                 # coverage
                 "73.2", "378",                                                 # timings
                 "peak rss", "2100",                                            # resources
                 "peak disk"):
        assert want in text, want
    # every figure and the animation, linked relative to the page
    for rel in ("figures/mean_speed_log.png", "figures/scene/scene_dem.png", "figures/speed_animation.gif"):
        assert f"src='{rel}'" in text, rel
    assert "products/mean_velocity.nc" in text
    # the map: its document, markers and pixel cube are in the page, BokehJS inlined
    assert "Bokeh" in text and '"markers"' in text and '"cube"' in text
    assert not re.search(r"<(script|link)[^>]+(src|href)=['\"]?https?:", text), "no CDN: the page works offline"
    assert "cdn.bokeh.org" not in text


def test_pixel_series_fit_the_size_budget(tmp_path):
    from gfjax.report.map import load_map_data, pixel_cube

    run_dir, grid = make_run(tmp_path / "run", figures=False)
    data = load_map_data(run_dir)
    comps = [("north",), ("east",), ("up_spf",), ("up_nspf",)]
    stride, index, cube = pixel_cube(data.ts, comps)
    assert stride == 1 and index.shape == grid.shape and (index[:2] == -1).all()  # rows without data
    k = index[5, 7]
    np.testing.assert_allclose(cube["east"].reshape(-1, 8)[k],
                               np.round(data.ts["velocity_east"].values[:, 5, 7]), atol=0)
    stride, index, cube = pixel_cube(data.ts, comps, max_values=2000)
    n_valid = (index >= 0).sum()
    assert stride > 1 and n_valid * 8 * 4 <= 2000 * 1.0 + 8 * 4 * stride ** 2
    assert cube["north"].dtype == np.int16


def test_page_without_products_or_reference(tmp_path):
    from gfjax.report import write_report_page

    (tmp_path / "run").mkdir()
    text = write_report_page(tmp_path / "run", {"name": "stack", "stages": {}}).read_text()
    assert "No map" in text and "No reference product" in text and "No figures" in text


def test_runner_writes_the_page_at_the_end_of_a_run(tmp_path, monkeypatch):
    from omegaconf import OmegaConf

    from gfjax.pipeline.runner import run_pipeline
    from gfjax.pipeline.stage import Registry, Stage

    reg = Registry()
    reg.add(Stage("a", lambda ctx: {"value": 1}, sections=("a",)))
    monkeypatch.setattr("gfjax.pipeline.runner.to_settings", lambda cfg: cfg)
    run_pipeline(OmegaConf.create({"name": "toy", "stages": ["a"], "force": False, "a": {"v": 1}}), tmp_path, reg)
    text = (tmp_path / "report.html").read_text()
    assert "gfjax run <code>toy</code>" in text and "peak rss" in text


def test_sweep_comparison_page(tmp_path):
    from gfjax.pipeline.sweep import summarise

    for job, r in (("0", 0.90), ("1", 0.95)):
        (tmp_path / job / ".hydra").mkdir(parents=True)
        (tmp_path / job / ".hydra" / "overrides.yaml").write_text(f"- scene.seed={job}\n")
        (tmp_path / job / "report.json").write_text(json.dumps(
            {"name": "m", "wall_time_s": 10.0, "objective": r, "peak_rss_mb": 100.0,
             "validation": {"2017": {"r": r, "rmse_m_per_yr": 20.0}}}))
        (tmp_path / job / "report.html").write_text("<html></html>")
    summarise(tmp_path)
    text = (tmp_path / "report.html").read_text()
    assert "href='0/report.html'" in text and "href='1/report.html'" in text
    assert ">scene.seed=1</a>" in text and "r_2017" in text  # each job named by its own overrides
    best = re.search(r"<tr style='background:#eaf6ea'>(.*?)</tr>", text).group(1)
    assert "1/report.html" in best and "0.95" in best


def test_series_start_with_the_first_marker_that_has_data(tmp_path):
    from bokeh.models import ColumnDataSource, Div

    from gfjax.report.map import load_map_data, map_layout

    run_dir, _ = make_run(tmp_path / "run", figures=False)
    data = load_map_data(run_dir)
    data.flow["marker_velocity_north"][:, 0] = np.nan  # the 1 km marker without data
    for c in ("east", "up_spf", "up_nspf"):
        data.flow[f"marker_velocity_{c}"][:, 0] = np.nan
    layout = map_layout(data)
    title = next(m for m in layout.select({"type": Div}) if m.name == "series_title")
    series = next(m for m in layout.select({"type": ColumnDataSource}) if m.name == "series")
    assert title.text.startswith("Marker 2 km")
    assert np.isfinite(series.data["east"]).all()
