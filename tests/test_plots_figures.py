"""Figures as a reader sees them: one unit (m/yr) on every colour bar, an honest log floor,
titles clear of their frames, marker components on one axis per group with zero in view,
empty panels that say why, a legible animation with the dates of each frame, the paper cited."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import LogNorm

from gfjax.geometry.grid import MapGrid
from gfjax.products.flowline import flowline_profiles
from gfjax.products.synthetic import timeseries_from_velocities
from gfjax.products.velocity import mean_velocity

GRID = MapGrid(32605, 600000.0, 7010000.0, 200.0, 16, 12)


def make_inputs(n_int=12, start=2017.0, step=0.1):
    epochs = start + np.arange(n_int + 1) * step
    X, _ = GRID.meshgrid()
    d_head = (X - GRID.x0) / 1e3
    vel = np.zeros((n_int, 4) + GRID.shape, np.float32)
    for k in range(n_int):
        front = 0.3 * k
        vel[k, 1] = 30 + 3000 * np.exp(-((d_head - front) / 0.6) ** 2)
        vel[k, 0] = 0.2 * vel[k, 1]
        vel[k, 3] = np.where(d_head < front, -20.0, 10.0)
    vel[:, :, :, 0] = 0.0  # a stationary margin: below the log floor
    vel[:, :, 0, 0] = np.nan
    ts = timeseries_from_velocities(epochs, vel, grid=GRID)
    fx = np.linspace(GRID.x[0], GRID.x[-1], 20)
    fy = np.full(20, GRID.y[6])
    # the last marker (9 km) lies beyond the 3 km flowline
    flow = flowline_profiles(ts, GRID, fx, fy, fx - fx[0], marker_km=(0.5, 1.5, 2.5, 9.0), region_px=3)
    outline = np.array([[GRID.x[1], GRID.y[1]], [GRID.x[-2], GRID.y[1]], [GRID.x[-2], GRID.y[-2]],
                        [GRID.x[1], GRID.y[-2]]])
    dem = (3000 - 10 * d_head).astype(np.float32)
    return ts, mean_velocity(ts), flow, outline, np.stack([fx, fy], 1), dem


@pytest.fixture
def figures(monkeypatch):
    """Keep every figure open (plt.close is a no-op) and hand them to the test."""
    plt.close("all")
    monkeypatch.setattr(plt, "close", lambda *a, **k: None)
    yield lambda: [plt.figure(n) for n in plt.get_fignums()]
    monkeypatch.undo()
    plt.close("all")


def colorbars(fig):
    return [ax._colorbar for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


def all_text(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_units_floor_and_titles(tmp_path, figures):
    from gfjax.plots.products import plot_products

    ts, mean, flow, outline, fl, dem = make_inputs()
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 500, 50)
    plot_products(ts, mean, flow, {"2017": {"sar": a, "reference": a + rng.normal(0, 30, 50)}}, GRID, outline, fl,
                  dem, tmp_path, dpi=40, animation=False)
    figs = figures()
    assert len(figs) == 6
    n_log = 0
    for fig in figs:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        text = " ".join(all_text(fig))
        assert "m/day" not in text
        for cb in colorbars(fig):
            label = cb.ax.get_ylabel() or cb.ax.get_xlabel()
            assert "(m/yr" in label or "(m)" in label, label
            if isinstance(cb.norm, LogNorm):  # the floor is shown as such, not as its colour
                n_log += 1
                assert cb.extend in ("min", "both") and "<" in label
                cmap = cb.mappable.get_cmap()
                assert not np.allclose(cmap.get_under(), cmap(0.0))
        fig_box = fig.bbox
        for ax in fig.axes:
            title = ax.title
            if not ax.get_visible() or not title.get_text():
                continue
            tb, ab = title.get_window_extent(renderer), ax.get_window_extent(renderer)
            assert tb.y0 >= ab.y1 + 1, f"title {title.get_text()!r} touches its frame"
            assert fig_box.x0 <= tb.x0 and tb.x1 <= fig_box.x1 and tb.y1 <= fig_box.y1, title.get_text()
    assert n_log >= 3  # mean speed, component map, time-distance


def test_marker_components_one_axis_per_group_with_shared_zero(tmp_path, figures):
    from gfjax.plots.markers import plot_marker_series

    ts, _, flow, *_ = make_inputs()
    for kind in ("velocity", "displacement"):
        plot_marker_series(ts, flow, kind, tmp_path / f"{kind}.png", dpi=40)
        fig = figures()[-1]
        axes = [ax for ax in fig.axes if ax.get_visible()]
        positions = [tuple(np.round(ax.get_position().bounds, 4)) for ax in axes]
        assert len(set(positions)) == len(positions), "twin axes"
        assert len(axes) == 4 * 2  # 4 markers x (horizontal, vertical)
        labels = {ax.get_title(): ax for ax in axes}
        for km in ("0.5", "1.5", "2.5"):
            for group, comps in (("horizontal", {"north", "east"}), ("vertical", {"up (SPF)", "up (nSPF)"})):
                ax = labels[f"marker {km} km: {group}"]
                assert {ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")} <= comps
                lo, hi = ax.get_ylim()
                assert lo <= 0 <= hi  # the zero line is in view
        empty = labels["marker 9 km: horizontal"]
        assert any("beyond the flowline" in t.get_text() for t in empty.texts)
        fig.canvas.draw()  # an empty panel in the bottom row leaves the shared date axis labelled
        assert [t.get_text() for t in empty.get_xticklabels() if t.get_visible() and t.get_text()]


def test_an_empty_panel_keeps_the_shared_axes_of_the_others(tmp_path, figures):
    from gfjax.plots.products import plot_component_maps

    ts, mean, flow, outline, fl, dem = make_inputs()
    plot_component_maps(mean, flow, GRID, outline, fl, np.full_like(dem, np.nan), tmp_path / "c.png", dpi=40)
    fig = figures()[-1]
    fig.canvas.draw()
    by_title = {ax.get_title(): ax for ax in fig.axes}
    assert any("no DEM" in t.get_text() for t in by_title["DEM"].texts)
    spf = by_title["vertical, surface-parallel flow (SPF)"]  # bottom left: shares x and y with the DEM panel
    for labels in (spf.get_xticklabels(), spf.get_yticklabels()):
        assert [t.get_text() for t in labels if t.get_visible() and t.get_text()]


def test_empty_panels_say_why(tmp_path, figures):
    from gfjax.plots.products import plot_reference_scatter, plot_time_distance

    plot_reference_scatter({}, tmp_path / "a.png", dpi=40, empty_reason="no reference: data.reference names none")
    plot_reference_scatter({"2021": {"sar": np.array([np.nan]), "reference": np.array([1.0])}}, tmp_path / "b.png",
                           dpi=40)
    ts, _, flow, *_ = make_inputs()
    gone = flow.copy()
    for v in gone.data_vars:
        gone[v] = gone[v] * np.nan
    plot_time_distance(ts, gone, tmp_path / "c.png", dpi=40)
    a, b, c = figures()
    assert "no reference: data.reference names none" in " ".join(all_text(a))
    assert "2021" in " ".join(all_text(b)) and "no ice pixel" in " ".join(all_text(b))
    assert sum("no velocity along the flowline" in t for t in all_text(c)) == 1


def test_animation_is_legible_with_dates(tmp_path, monkeypatch):
    import shutil

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from gfjax.plots.animation import animate_speed

    ts, _, _, outline, fl, _ = make_inputs(n_int=6, start=2021.0, step=1 / 365)
    titles = []
    draw = FigureCanvasAgg.draw

    def drawn(self, *a, **k):  # the title of every frame drawn
        titles.append(self.figure.axes[0].get_title())
        return draw(self, *a, **k)

    monkeypatch.setattr(FigureCanvasAgg, "draw", drawn)
    paths = animate_speed(ts, GRID, outline, fl, tmp_path / "speed_animation.gif")
    gif = Image.open(paths[0])
    assert gif.size[0] >= 1000 and gif.n_frames == 6
    titles = [t for t in titles if t]
    assert titles[-1] == "Horizontal speed 2021-01-06 → 2021-01-07 (1 day)"
    assert len(set(titles)) == 6
    want_mp4 = shutil.which("ffmpeg") is not None
    assert [p.name for p in paths] == ["speed_animation.gif"] + (["speed_animation.mp4"] if want_mp4 else [])
    if want_mp4:
        assert paths[1].stat().st_size > 1000 and paths[1].read_bytes()[4:8] == b"ftyp"


def test_scene_time_distance_cites_the_paper(tmp_path, figures):
    from gfjax.plots.scene import plot_time_distance
    from gfjax.sim import SceneSpec, build_scene

    scene = build_scene(SceneSpec(grid_spacing_m=800.0, pixel_scale=8.0, start="2020-06-01"))
    plot_time_distance(scene, tmp_path / "td.png")
    (fig,) = figures()
    text = " ".join(all_text(fig))
    assert "science.md" not in text and "Samsonov (2022)" in text
    assert "m/yr" in text and "m/day" not in text
