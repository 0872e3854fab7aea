"""Figures of the products: speed maps, component maps, validation scatter and time–distance
diagrams (matplotlib Agg); marker series in :mod:`gfjax.plots.markers`, the animation in
:mod:`gfjax.plots.animation`.

``plot_products(...)`` writes every figure into ``outdir`` and returns the paths. Units follow
:mod:`gfjax.plots.style`: m/yr everywhere, speeds on log scales with an honest floor, vertical
components on diverging scales centred on zero. A panel without data says why.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .style import (SPEED_UNIT, decorate_map, div_norm, empty_panel, extent_km, has_data, save, speed_cmap,
                    speed_colorbar, speed_norm, to_datetime)
from .markers import plot_marker_series
from .animation import animate_speed

__all__ = ["plot_products", "plot_mean_speed", "plot_component_maps", "plot_reference_scatter",
           "plot_time_distance", "plot_marker_series", "animate_speed"]


def _vertical(mean_ds):
    """Total vertical mean velocity (SPF + nSPF, or vz), m/yr."""
    if "vz" in mean_ds:
        return mean_ds["vz"].values
    parts = [mean_ds[n].values for n in ("vz_spf", "vz_nspf") if n in mean_ds]
    return sum(parts) if parts else np.zeros(mean_ds["v"].shape, np.float32)


def plot_mean_speed(mean_ds, grid, outline_xy, flowline_xy, path, dpi=150) -> Path:
    """(1) Log-scale magnitude of the mean 3D velocity |(vx, vy, vz)|, m/yr."""
    mag = np.sqrt(mean_ds["vx"].values ** 2 + mean_ds["vy"].values ** 2 + _vertical(mean_ds) ** 2)
    fig, ax = plt.subplots(figsize=(7.5, 6.8), constrained_layout=True)
    if has_data(mag):
        im = ax.imshow(mag, extent=extent_km(grid), norm=speed_norm(mag), cmap=speed_cmap("viridis"),
                       interpolation="nearest")
        speed_colorbar(fig, im, ax, "mean 3D velocity magnitude", shrink=0.85)
    else:
        empty_panel(ax, "no mean velocity: every pixel is masked (no data, or rank below products.rank_threshold)")
    decorate_map(ax, outline_xy, flowline_xy, colour="k")
    ax.set_title("Mean flow speed (linear rate), outline and central flowline", pad=8)
    return save(fig, path, dpi)


def plot_component_maps(mean_ds, flow_ds, grid, outline_xy, flowline_xy, dem, path, dpi=150) -> Path:
    """(2) DEM, horizontal speed, vertical SPF, vertical nSPF with the flowline and km markers (m/yr)."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 11), sharex=True, sharey=True, constrained_layout=True)
    ext = extent_km(grid)
    panels = [("DEM", np.asarray(dem, np.float32), "dem", "surface elevation (m)"),
              ("horizontal speed", mean_ds["v"].values, "log", "mean horizontal speed")]
    if "vz_spf" in mean_ds:
        panels.append(("vertical, surface-parallel flow (SPF)", mean_ds["vz_spf"].values, "div",
                       f"SPF vertical velocity ({SPEED_UNIT}, up > 0)"))
        panels.append(("vertical, non-SPF (nSPF)", mean_ds["vz_nspf"].values, "div",
                       f"nSPF vertical velocity ({SPEED_UNIT}, up > 0)"))
    else:
        panels.append(("vertical", _vertical(mean_ds), "div", f"vertical velocity ({SPEED_UNIT}, up > 0)"))
    for ax, (title, arr, kind, label) in zip(axes.ravel(), panels):
        if not has_data(arr):
            empty_panel(ax, "no DEM with this data source" if kind == "dem" else
                        f"no {title}: every pixel is masked or has no data")
        elif kind == "log":
            im = ax.imshow(arr, extent=ext, cmap=speed_cmap("viridis"), norm=speed_norm(arr), interpolation="nearest")
            speed_colorbar(fig, im, ax, label, shrink=0.8)
        else:
            im = ax.imshow(arr, extent=ext, cmap="terrain" if kind == "dem" else "RdBu_r",
                           norm=div_norm(arr) if kind == "div" else None, interpolation="nearest")
            fig.colorbar(im, ax=ax, shrink=0.8, label=label)
        decorate_map(ax, outline_xy, flowline_xy, flow_ds, colour="k")
        ax.set_title(title, pad=6)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"Mean velocity components, {SPEED_UNIT} (flowline dashed, markers labelled in km along it)")
    return save(fig, path, dpi)


def plot_reference_scatter(validation: dict, path, dpi=150, empty_reason: str | None = None) -> Path:
    """(3) SAR-derived vs reference annual speed per year: scatter, 1:1 line, r and RMSE.

    ``validation``: ``{"2017": {"sar": array, "reference": array}}`` (m/yr); with no years the
    panel says ``empty_reason``; a year without common pixels says so in its panel."""
    years = sorted(validation) if validation else []
    n = max(len(years), 1)
    fig, axes = plt.subplots(1, n, figsize=(5.4 * n, 5.2), squeeze=False, constrained_layout=True)
    if not years:
        empty_panel(axes[0, 0], empty_reason or "no reference product to compare with")
        axes[0, 0].set_title("SAR vs reference annual speed", pad=8)
    for ax, year in zip(axes[0], years):
        sar = np.asarray(validation[year]["sar"], np.float64).ravel()
        ref = np.asarray(validation[year]["reference"], np.float64).ravel()
        ok = np.isfinite(sar) & np.isfinite(ref)
        sar, ref = sar[ok], ref[ok]
        ax.set_title(f"{year}: SAR (cumulative displacement) vs reference", pad=8)
        if sar.size == 0:
            empty_panel(ax, f"no ice pixel has both a SAR and a reference speed in {year} "
                            "(the run's time span or coverage misses it)")
            continue
        hi = float(max(np.max(sar), np.max(ref), 1.0)) * 1.05
        ax.plot([0, hi], [0, hi], "k--", lw=0.8, label="1:1")
        ax.scatter(ref, sar, s=4, alpha=0.5, color="tab:blue", edgecolors="none")
        if sar.size >= 2 and sar.std() > 0 and ref.std() > 0:
            r = np.corrcoef(sar, ref)[0, 1]
            rmse = np.sqrt(np.mean((sar - ref) ** 2))
            ax.text(0.04, 0.96, f"r = {r:.2f}\nRMSE = {rmse:.0f} {SPEED_UNIT}\nn = {sar.size}",
                    transform=ax.transAxes, va="top", fontsize=9, bbox=dict(fc="w", ec="0.7"))
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_aspect("equal")
        ax.set_xlabel(f"reference annual speed {year} ({SPEED_UNIT})")
        ax.set_ylabel(f"SAR annual speed {year} ({SPEED_UNIT})")
        ax.legend(loc="lower right", fontsize=8)
    return save(fig, path, dpi)


def interval_edges(ts) -> np.ndarray:
    """Decimal-year edges of the intervals (n_interval + 1)."""
    return np.r_[ts["interval_start"].values[:1], ts["interval_end"].values].astype(np.float64)


def _distance_edges(flow_ds):
    d = flow_ds["distance_km"].values.astype(np.float64)
    step = d[1] - d[0] if d.size > 1 else 1.0
    return np.r_[d - step / 2, d[-1] + step / 2]


def plot_time_distance(ts, flow_ds, path, dpi=150) -> Path:
    """(4) Time–distance diagrams along the flowline: horizontal speed (log) and vertical, m/yr."""
    te, de = to_datetime(interval_edges(ts)), _distance_edges(flow_ds)
    vert = "velocity_up_nspf" if "velocity_up_nspf" in flow_ds else "velocity_up"
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8), sharey=True, constrained_layout=True)
    s = flow_ds["speed"].values
    axes[0].set_title("Horizontal speed along the central flowline", pad=8)
    if has_data(s):
        im = axes[0].pcolormesh(te, de, s.T, norm=speed_norm(s), cmap=speed_cmap("magma"), shading="flat")
        speed_colorbar(fig, im, axes[0], "horizontal speed")
    else:
        empty_panel(axes[0], "no velocity along the flowline (it lies outside the data coverage)")
    axes[1].set_title("Vertical non-surface-parallel flow (nSPF)" if vert.endswith("nspf") else "Vertical velocity",
                      pad=8)
    if vert in flow_ds and has_data(flow_ds[vert].values):
        v = flow_ds[vert].values
        im = axes[1].pcolormesh(te, de, v.T, norm=div_norm(v), cmap="RdBu_r", shading="flat")
        fig.colorbar(im, ax=axes[1], label=f"{'nSPF ' if vert.endswith('nspf') else ''}vertical velocity "
                                           f"({SPEED_UNIT}, up > 0)")
    else:
        empty_panel(axes[1], "no vertical velocity along the flowline")
    if "observed_fraction" in flow_ds and has_data(s):
        # hatched: intervals that not every map set measured there (MSBAS bridges them)
        bridged = np.where(np.isfinite(s), (flow_ds["observed_fraction"].values < 0.999).astype(float), np.nan)
        with plt.rc_context({"hatch.color": "0.92", "hatch.linewidth": 0.4}):
            axes[0].pcolor(te, de, np.ma.masked_where(~(bridged.T > 0.5), bridged.T), hatch="////",
                           facecolor="none", edgecolor="none", linewidth=0.0, shading="flat")
        share = float(np.nanmean(bridged)) if np.isfinite(bridged).any() else 0.0
        axes[0].text(0.01, 0.01, f"hatched: interval not measured by every map set ({100 * share:.0f} % of the "
                     "cells; the inversion bridges it)", transform=axes[0].transAxes, fontsize=7, color="0.2",
                     bbox=dict(facecolor="white", alpha=0.7, lw=0))
    for ax in axes:
        for km in flow_ds["marker_km"].values:
            ax.axhline(km, color="0.5", lw=0.4, ls=":")
        ax.set_xlabel("date")
    axes[0].set_ylabel("distance along the central flowline (km)")
    axes[0].set_ylim(de[-1], de[0])
    fig.autofmt_xdate()
    return save(fig, path, dpi)


def plot_products(ts, mean_ds, flow_ds, validation, grid, outline_xy, flowline_xy, dem, outdir,
                  dpi=150, animation=True, validation_note: str | None = None) -> list[Path]:
    """Write all product figures into ``outdir``; returns their paths.

    ``ts``: MSBAS time-series Dataset; ``mean_ds``: :func:`gfjax.products.velocity.mean_velocity`;
    ``flow_ds``: :func:`gfjax.products.flowline.flowline_profiles` (or None); ``validation``:
    ``{"2017": {"sar": array, "reference": array}, ...}`` — paired annual speeds (m/yr) of the
    pixels compared (any shape, NaN ignored), or {} (the scatter then says ``validation_note``,
    why there is no comparison); ``outline_xy`` (N, 2) and ``flowline_xy`` (M, 2) in m; ``dem``
    (ny, nx) m (all NaN: no DEM).

    Files: mean_speed_log.png, component_maps.png, reference_scatter.png, time_distance.png,
    markers_velocity.png, markers_displacement.png and (``animation``) speed_animation.gif (+ .mp4
    where ffmpeg is available).
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [plot_mean_speed(mean_ds, grid, outline_xy, flowline_xy, out / "mean_speed_log.png", dpi),
             plot_component_maps(mean_ds, flow_ds, grid, outline_xy, flowline_xy, dem,
                                 out / "component_maps.png", dpi),
             plot_reference_scatter(validation or {}, out / "reference_scatter.png", dpi, empty_reason=validation_note)]
    if flow_ds is not None:  # None: no flowline (the figures along it are left out)
        paths += [plot_time_distance(ts, flow_ds, out / "time_distance.png", dpi),
                  plot_marker_series(ts, flow_ds, "velocity", out / "markers_velocity.png", dpi),
                  plot_marker_series(ts, flow_ds, "displacement", out / "markers_displacement.png", dpi)]
    if animation:
        paths += animate_speed(ts, grid, outline_xy, flowline_xy, out / "speed_animation.gif")
    return paths
