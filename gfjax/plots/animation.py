"""Animation of the horizontal interval speed: full-screen legible (≥ 1000 px wide, 14 pt
labels), the calendar dates of each frame's interval in its title and on a timeline, one
fixed log colour scale (m/yr) with its bar for all frames. GIF always; MP4 too where
matplotlib finds ffmpeg."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation as mpl_animation

from .style import date_label, decorate_map, extent_km, speed_cmap, speed_colorbar, speed_norm, to_datetime

FIGSIZE_IN = (10.8, 10.0)
DPI = 100  # 1080 x 1000 px


def frame_indices(n_interval: int, max_frames: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_interval - 1, min(n_interval, max_frames)).round().astype(int))


def animate_speed(ts, grid, outline_xy, flowline_xy, path, max_frames=40, fps=4, mp4=True) -> list[Path]:
    """GIF (``path``) and, where ffmpeg is available and ``mp4``, the same frames as MP4 beside it:
    the horizontal interval speed (m/yr, log) of ≤ ``max_frames`` intervals. Returns the paths."""
    from matplotlib.animation import FFMpegWriter, PillowWriter

    path = Path(path)
    n = ts.sizes["interval"]
    frames = frame_indices(n, max_frames)
    north = ts["velocity_north"].transpose("interval", "y", "x") if "velocity_north" in ts else None
    east = ts["velocity_east"].transpose("interval", "y", "x")

    def speed(k):
        e = east[k].values
        return np.hypot(north[k].values, e) if north is not None else np.abs(e)

    norm = speed_norm(np.stack([speed(k) for k in frames]))  # one fixed scale for every frame
    t0, t1 = ts["interval_start"].values, ts["interval_end"].values
    with plt.rc_context({"font.size": 14}):
        fig = plt.figure(figsize=FIGSIZE_IN, layout="constrained")
        ax, tl = fig.subplots(2, 1, height_ratios=[12, 1])
        im = ax.imshow(speed(frames[0]), extent=extent_km(grid), norm=norm, cmap=speed_cmap("magma"),
                       interpolation="nearest")
        decorate_map(ax, outline_xy, flowline_xy, colour="w", fontsize=11)
        ax.set_facecolor("0.15")
        speed_colorbar(fig, im, ax, "horizontal speed", shrink=0.9)
        title = ax.set_title("", pad=10)
        start, end = to_datetime([t0[0], t1[-1]])
        tl.set_xlim(start, end)
        tl.set_yticks([])
        tl.set_xlabel("date")
        span = tl.axvspan(start, start, color="tab:red")
        writers = [(PillowWriter(fps=fps), path)]
        if mp4 and mpl_animation.writers.is_available("ffmpeg"):
            writers.append((FFMpegWriter(fps=fps, codec="h264", extra_args=["-pix_fmt", "yuv420p"]),
                            path.with_suffix(".mp4")))
        contexts = [w.saving(fig, str(p), DPI) for w, p in writers]
        for c in contexts:
            c.__enter__()
        try:
            for k in frames:
                im.set_data(speed(k))
                days = round((t1[k] - t0[k]) * 365.25)
                title.set_text(f"Horizontal speed {date_label(t0[k])} → {date_label(t1[k])} "
                               f"({days} day{'' if days == 1 else 's'})")
                a, b = to_datetime([t0[k], t1[k]])
                span.remove()
                span = tl.axvspan(a, b, color="tab:red")
                for w, _ in writers:
                    w.grab_frame()
        finally:
            for c in contexts:
                c.__exit__(None, None, None)
        plt.close(fig)
    return [p for _, p in writers]
