"""plot_products writes every figure (non-empty PNGs + GIF) from a tiny synthetic time series."""
import numpy as np

from gfjax.geometry.grid import MapGrid
from gfjax.products.flowline import flowline_profiles
from gfjax.products.synthetic import timeseries_from_velocities
from gfjax.products.velocity import mean_velocity


def test_plot_products_writes_all_files(tmp_path):
    from gfjax.plots.products import plot_products

    grid = MapGrid(32605, 600000.0, 7010000.0, 200.0, 16, 12)
    n_int = 12
    epochs = 2017.0 + np.arange(n_int + 1) * 0.1
    X, Y = grid.meshgrid()
    d_head = (X - grid.x0) / 1e3                                   # km from the west edge
    vel = np.zeros((n_int, 4) + grid.shape, np.float32)
    for k in range(n_int):                                         # a fast zone moving east
        front = 0.3 * k
        vel[k, 1] = 30 + 3000 * np.exp(-((d_head - front) / 0.6) ** 2)
        vel[k, 0] = 0.2 * vel[k, 1]
        vel[k, 3] = np.where(d_head < front, -20.0, 10.0)
    vel[:, :, 0, 0] = np.nan
    ts = timeseries_from_velocities(epochs, vel, grid=grid)
    mean = mean_velocity(ts)
    fx = np.linspace(grid.x[0], grid.x[-1], 20)
    fy = np.full(20, grid.y[6])
    d = fx - fx[0]
    flow = flowline_profiles(ts, grid, fx, fy, d, marker_km=(0.5, 1.0, 1.5, 2.0), region_px=3)
    outline = np.array([[grid.x[1], grid.y[1]], [grid.x[-2], grid.y[1]], [grid.x[-2], grid.y[-2]],
                        [grid.x[1], grid.y[-2]]])
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 500, 50)
    validation = {"2017": {"sar": a, "reference": a + rng.normal(0, 30, 50)}}
    dem = (3000 - 10 * d_head).astype(np.float32)
    paths = plot_products(ts, mean, flow, validation, grid, outline, np.stack([fx, fy], 1), dem,
                          tmp_path / "fig", dpi=40, animation=True)
    names = {p.name for p in paths} - {"speed_animation.mp4"}  # MP4 where ffmpeg is available
    assert names == {"mean_speed_log.png", "component_maps.png", "reference_scatter.png", "time_distance.png",
                     "markers_velocity.png", "markers_displacement.png", "speed_animation.gif"}
    for p in paths:
        assert p.is_file() and p.stat().st_size > 1000
        head = p.read_bytes()[:12]
        assert head.startswith({".png": b"\x89PNG", ".gif": b"GIF8", ".mp4": b""}[p.suffix])
    # without reference products or animation
    paths = plot_products(ts, mean, flow, {}, grid, outline, np.stack([fx, fy], 1), dem, tmp_path / "f2",
                          dpi=40, animation=False)
    assert len(paths) == 6 and all(p.stat().st_size > 1000 for p in paths)
