"""Animation of the horizontal interval speed: full-screen legible (≥ 1000 px wide, 14 pt
labels), the calendar dates of each frame's interval in its title and on a timeline, one
fixed log colour scale (m/yr) with its bar for all frames. GIF always; MP4 too where ffmpeg
is installed (each frame is drawn once and given to both)."""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from .style import date_label, decorate_map, extent_km, speed_cmap, speed_colorbar, speed_norm, to_datetime

log = logging.getLogger("gfjax")

FIGSIZE_IN = (10.8, 10.0)
DPI = 100  # 1080 x 1000 px


def frame_indices(n_interval: int, max_frames: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_interval - 1, min(n_interval, max_frames)).round().astype(int))


def animate_speed(ts, grid, outline_xy, flowline_xy, path, max_frames=40, fps=4, mp4=True) -> list[Path]:
    """GIF (``path``) and, where ffmpeg is available and ``mp4``, the same frames as MP4 beside it:
    the horizontal interval speed (m/yr, log) of ≤ ``max_frames`` intervals. Returns the paths."""
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
        fig = plt.figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
        ax, tl = fig.subplots(2, 1, height_ratios=[12, 1])
        im = ax.imshow(speed(frames[0]), extent=extent_km(grid), norm=norm, cmap=speed_cmap("magma"),
                       interpolation="nearest")
        decorate_map(ax, outline_xy, flowline_xy, colour="w", fontsize=11)
        ax.set_facecolor("0.15")
        speed_colorbar(fig, im, ax, "horizontal speed", shrink=0.9)
        title = ax.set_title("", pad=10)
        start, end = to_datetime([t0[0], t1[-1]])
        tl.set_xlim(start, end)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        tl.xaxis.set_major_locator(locator)
        tl.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        tl.set_yticks([])
        tl.set_xlabel("date")
        span = tl.axvspan(start, start, color="tab:red")
        encoder = Mp4Encoder(path.with_suffix(".mp4"), fps) if mp4 else None
        gif_frames = []
        try:
            for k in frames:  # each frame drawn once, for both files
                im.set_data(speed(k))
                days = round((t1[k] - t0[k]) * 365.25)
                title.set_text(f"Horizontal speed {date_label(t0[k])} → {date_label(t1[k])} "
                               f"({days} day{'' if days == 1 else 's'})")
                a, b = to_datetime([t0[k], t1[k]])
                span.remove()
                span = tl.axvspan(a, b, color="tab:red")
                fig.canvas.draw()
                # the Agg canvas (a saving backend) has buffer_rgba; FigureCanvasBase, the stubs' type, has not
                rgb = np.ascontiguousarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])  # type: ignore[attr-defined]
                gif_frames.append(Image.fromarray(rgb).quantize(256, method=Image.Quantize.FASTOCTREE,
                                                                dither=Image.Dither.NONE))
                if encoder is not None:
                    encoder.write(rgb)
        finally:
            plt.close(fig)
            written = [encoder.close()] if encoder is not None else []
        gif_frames[0].save(path, save_all=True, append_images=gif_frames[1:], duration=round(1000 / fps), loop=0)
    return [path] + [p for p in written if p is not None]


class Mp4Encoder:
    """RGB frames piped to ffmpeg (H.264, yuv420p, even size); a no-op without ffmpeg."""

    def __init__(self, path: Path, fps: int):
        self.path, self.fps = Path(path), fps
        self.proc: subprocess.Popen[bytes] | None = None
        self.exe = shutil.which(plt.rcParams["animation.ffmpeg_path"]) or shutil.which("ffmpeg")

    def write(self, rgb: np.ndarray) -> None:
        if self.exe is None:
            return
        if self.proc is None:
            h, w = rgb.shape[:2]
            self.proc = subprocess.Popen(
                [self.exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                 "-framerate", str(self.fps), "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                 "-c:v", "libx264", "-pix_fmt", "yuv420p", str(self.path)],
                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdin is not None  # opened with stdin=PIPE
        self.proc.stdin.write(rgb.tobytes())

    def close(self) -> Path | None:
        """The MP4's path, or None (no ffmpeg, or ffmpeg failed: logged)."""
        if self.proc is None:
            return None
        _, err = self.proc.communicate()
        if self.proc.returncode != 0:
            log.warning("animation: ffmpeg failed (%s); GIF only", err.decode(errors="replace").strip()[-300:])
            self.path.unlink(missing_ok=True)
            return None
        return self.path
