"""Figures of the synthetic Muldrow scene: true speed maps, time–distance diagram, DEM, SLC pair.

``plot_scene(scene, outdir)`` writes PNGs (matplotlib Agg) and returns their paths.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .style import PAPER, speed_cmap, speed_colorbar, speed_norm  # noqa: E402

#: One fixed speed scale (m/yr) for the true-speed figures: the surge reaches ~20 m/day.
TRUE_SPEED_MAX_M_PER_YR = 11_000.0

SPEED_DATES = (2016.5, 2018.95, 2019.8, 2020.6, 2021.2, 2021.45)


def _extent_km(grid):
    xmin, ymin, xmax, ymax = grid.bounds
    return [xmin / 1e3, xmax / 1e3, ymin / 1e3, ymax / 1e3]


def _outline(ax, scene):
    ring = np.vstack([scene.outline_xy, scene.outline_xy[:1]]) / 1e3
    ax.plot(ring[:, 0], ring[:, 1], "k-", lw=0.5)
    for hole in scene.holes_xy:
        h = np.vstack([hole, hole[:1]]) / 1e3
        ax.plot(h[:, 0], h[:, 1], "k-", lw=0.3)
    ax.plot(scene.flowline.x / 1e3, scene.flowline.y / 1e3, "w--", lw=0.8)
    marks = np.arange(0.0, scene.flowline.length_m, 10_000.0)
    mx, my = scene.flowline.sample(marks)
    ax.plot(mx / 1e3, my / 1e3, "wo", ms=2.5)


def plot_speed_maps(scene, path: Path, dates=SPEED_DATES) -> Path:
    """True horizontal speed (m/yr, log scale) at several dates, with outline and flowline."""
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.5), sharex=True, sharey=True, constrained_layout=True)
    norm = speed_norm([], vmax=TRUE_SPEED_MAX_M_PER_YR)
    im = None
    for ax, t in zip(axes.ravel(), dates):
        v = scene.velocity(t)
        speed = np.where(scene.ice_mask, np.hypot(v[0], v[1]), np.nan)
        im = ax.imshow(speed, extent=_extent_km(scene.grid), norm=norm, cmap=speed_cmap("viridis"))
        _outline(ax, scene)
        ax.set_title(f"t = {t:.2f}")
        ax.set_aspect("equal")
    for ax in axes[-1]:
        ax.set_xlabel("easting (km, UTM 5N)")
    for ax in axes[:, 0]:
        ax.set_ylabel("northing (km)")
    speed_colorbar(fig, im, axes, "true horizontal speed", shrink=0.8)
    fig.suptitle("Synthetic Muldrow Glacier: true speed (flowline dashed, dots every 10 km)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_time_distance(scene, path: Path) -> Path:
    """Time–distance diagram of the true horizontal speed along the central flowline."""
    t = np.linspace(2014.8, 2021.9, 700)
    d = np.linspace(0.0, scene.flowline.length_m, 400)
    speed = np.stack([scene.centreline_speed(ti, d) for ti in t], axis=1)
    fig, ax = plt.subplots(figsize=(10, 5.5), constrained_layout=True)
    im = ax.pcolormesh(t, d / 1e3, speed, norm=speed_norm([], vmax=TRUE_SPEED_MAX_M_PER_YR),
                       cmap=speed_cmap("magma"), shading="auto")
    ax.axhline(scene.surge_origin_m / 1e3, color="w", lw=0.6, ls=":")
    ax.text(2014.85, scene.surge_origin_m / 1e3 + 0.5,
            f"top of the surge reservoir: km 0 of the surge distances in {PAPER}", color="w", fontsize=8)
    for trk in scene.tracks.values():
        ax.plot(trk.decimal_years, np.full(len(trk.times), -1.0 if trk.direction == "ascending" else -2.0),
                "|", ms=4, color="tab:blue" if trk.direction == "ascending" else "tab:orange",
                label=f"{trk.name} ({trk.direction}, {len(trk.times)} dates)")
    ax.set_ylim(-3, d[-1] / 1e3)
    ax.invert_yaxis()
    ax.set_xlabel("time (decimal year)")
    ax.set_ylabel("distance from the head along the flowline (km)")
    ax.legend(loc="lower left", fontsize=8)
    speed_colorbar(fig, im, ax, "true horizontal speed on the flowline")
    ax.set_title("Surge history of the synthetic scene", pad=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_dem(scene, path: Path) -> Path:
    """DEM with ice outline and flowline."""
    fig, ax = plt.subplots(figsize=(7, 6.5), constrained_layout=True)
    im = ax.imshow(scene.dem, extent=_extent_km(scene.grid), cmap="terrain", vmin=0, vmax=6500)
    _outline(ax, scene)
    ax.set_xlabel("easting (km, UTM 5N)")
    ax.set_ylabel("northing (km)")
    fig.colorbar(im, ax=ax, label="surface elevation (m)")
    ax.set_title("Synthetic DEM")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_pair_amplitude(scene, path: Path, track_name: str | None = None, pair_index: int = 0,
                        max_pixels: int = 1_500_000) -> Path:
    """Amplitude (dB) of one simulated pair's reference and secondary images (multilooked for
    display so at most ``max_pixels`` are drawn)."""
    name = track_name or next(iter(scene.tracks))
    ref, sec = scene.slc_pair(name, pair_index)
    trk = scene.tracks[name]
    look = max(1, int(np.ceil(np.sqrt(ref.size / max_pixels))))
    look_rg = look * max(1, int(round(trk.azimuth_spacing_m / trk.range_spacing_m / 2)))

    def ml(img):
        p = np.abs(img) ** 2
        na, nr = p.shape[0] // look * look, p.shape[1] // look_rg * look_rg
        p = p[:na, :nr].reshape(na // look, look, nr // look_rg, look_rg).mean(axis=(1, 3))
        return 10 * np.log10(np.maximum(p, 1e-6))

    t0, t1 = scene.pair_times(name, pair_index)
    fig, axes = plt.subplots(2, 1, figsize=(11, 8), constrained_layout=True)
    im = None
    for ax, img, label in zip(axes, (ref, sec), (f"reference t = {t0:.3f}", f"secondary t = {t1:.3f}")):
        im = ax.imshow(ml(img), cmap="gray", vmin=-8, vmax=6, aspect="auto",
                       extent=[0, img.shape[1], img.shape[0], 0])
        ax.set_title(f"{name} pair {pair_index}: {label} ({look}×{look_rg} looks)")
        ax.set_xlabel("slant-range sample (px)")
        ax.set_ylabel("azimuth line (px)")
    assert im is not None  # set by the loop over the two axes
    fig.colorbar(im, ax=axes, label="amplitude (dB, unit mean intensity = 0 dB)")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_scene(scene, outdir) -> list[Path]:
    """All scene figures into ``outdir``; returns the written paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    return [
        plot_speed_maps(scene, outdir / "scene_speed_maps.png"),
        plot_time_distance(scene, outdir / "scene_time_distance.png"),
        plot_dem(scene, outdir / "scene_dem.png"),
        plot_pair_amplitude(scene, outdir / "scene_pair_amplitude.png"),
    ]
