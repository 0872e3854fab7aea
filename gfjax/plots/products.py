"""Figures of the products: speed maps, component maps, validation scatter, time–distance
diagrams, marker time series and an animation (matplotlib Agg).

``plot_products(...)`` writes every figure into ``outdir`` and returns the paths. Speeds are
shown in m/day on log scales (how surges are read), vertical components in m/yr on diverging
scales centred on zero.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm, TwoSlopeNorm  # noqa: E402

DAYS_PER_YEAR = 365.25
SPEED_FLOOR_M_PER_DAY = 0.01
COMPONENT_STYLE = {"north": ("tab:blue", "north"), "east": ("tab:orange", "east"),
                   "up_spf": ("tab:green", "up (SPF)"), "up_nspf": ("tab:red", "up (nSPF)"),
                   "up": ("tab:green", "up")}


def _extent_km(grid):
    xmin, ymin, xmax, ymax = grid.bounds
    return [xmin / 1e3, xmax / 1e3, ymin / 1e3, ymax / 1e3]


def _decorate(ax, outline_xy, flowline_xy, flow_ds=None, colour="k"):
    """Outline (solid), flowline (dashed), markers with km labels; axes in km."""
    if outline_xy is not None and len(outline_xy):
        ring = np.vstack([outline_xy, outline_xy[:1]]) / 1e3
        ax.plot(ring[:, 0], ring[:, 1], "-", color=colour, lw=0.6)
    if flowline_xy is not None and len(flowline_xy):
        fl = np.asarray(flowline_xy) / 1e3
        ax.plot(fl[:, 0], fl[:, 1], "--", color=colour, lw=0.8)
    if flow_ds is not None and "marker_x" in flow_ds.coords:
        for km, x, y in zip(flow_ds["marker_km"].values, flow_ds["marker_x"].values, flow_ds["marker_y"].values):
            if np.isfinite(x):
                ax.plot(x / 1e3, y / 1e3, "o", ms=3, mfc="w", mec=colour, mew=0.7)
                ax.annotate(f"{km:g}", (x / 1e3, y / 1e3), xytext=(3, 3), textcoords="offset points",
                            fontsize=7, color=colour)
    ax.set_xlabel("easting (km)")
    ax.set_ylabel("northing (km)")
    ax.set_aspect("equal")


def _log_speed(speed_m_per_day):
    s = np.asarray(speed_m_per_day, np.float64)
    return np.where(np.isfinite(s), np.maximum(s, SPEED_FLOOR_M_PER_DAY), np.nan)


def _speed_norm(values):
    vmax = np.nanpercentile(values, 99.5) if np.isfinite(values).any() else 1.0
    return LogNorm(SPEED_FLOOR_M_PER_DAY, max(float(vmax), 10 * SPEED_FLOOR_M_PER_DAY))


def _div_norm(values, q=98.0):
    vmax = np.nanpercentile(np.abs(values), q) if np.isfinite(values).any() else 1.0
    vmax = max(float(vmax), 1e-3)
    return TwoSlopeNorm(0.0, -vmax, vmax)


def _save(fig, path: Path, dpi) -> Path:
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _vertical(mean_ds):
    """Total vertical mean velocity (SPF + nSPF, or vz), m/yr."""
    if "vz" in mean_ds:
        return mean_ds["vz"].values
    parts = [mean_ds[n].values for n in ("vz_spf", "vz_nspf") if n in mean_ds]
    return sum(parts) if parts else np.zeros(mean_ds["v"].shape, np.float32)


def plot_mean_speed(mean_ds, grid, outline_xy, flowline_xy, path, dpi=150) -> Path:
    """(1) Log-scale magnitude of the mean 3D velocity |(vx, vy, vz)|, m/day."""
    mag = np.sqrt(mean_ds["vx"].values ** 2 + mean_ds["vy"].values ** 2 + _vertical(mean_ds) ** 2)
    s = _log_speed(mag / DAYS_PER_YEAR)
    fig, ax = plt.subplots(figsize=(7, 6.5), constrained_layout=True)
    im = ax.imshow(s, extent=_extent_km(grid), norm=_speed_norm(s), cmap="viridis", interpolation="nearest")
    _decorate(ax, outline_xy, flowline_xy, colour="k")
    fig.colorbar(im, ax=ax, shrink=0.85, label="mean 3D velocity magnitude (m/day, log scale)")
    ax.set_title("Mean flow velocity (linear rate), glacier outline and central flowline")
    return _save(fig, path, dpi)


def plot_component_maps(mean_ds, flow_ds, grid, outline_xy, flowline_xy, dem, path, dpi=150) -> Path:
    """(2) DEM, horizontal speed, vertical SPF, vertical nSPF with the flowline and km markers."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 11), sharex=True, sharey=True, constrained_layout=True)
    ext = _extent_km(grid)
    panels = [("DEM", np.asarray(dem, np.float32), "terrain", None, "surface elevation (m)"),
              ("horizontal speed", _log_speed(mean_ds["v"].values / DAYS_PER_YEAR), "viridis", "log",
               "mean horizontal speed (m/day, log scale)")]
    if "vz_spf" in mean_ds:
        panels.append(("vertical, surface-parallel flow", mean_ds["vz_spf"].values, "RdBu_r", "div",
                       "SPF vertical velocity (m/yr, up > 0)"))
        panels.append(("vertical, non-SPF (nSPF)", mean_ds["vz_nspf"].values, "PuOr_r", "div",
                       "nSPF vertical velocity (m/yr, up > 0)"))
    else:
        panels.append(("vertical", _vertical(mean_ds), "RdBu_r", "div", "vertical velocity (m/yr, up > 0)"))
    for ax, (title, arr, cmap, kind, label) in zip(axes.ravel(), panels):
        norm = _speed_norm(arr) if kind == "log" else _div_norm(arr) if kind == "div" else None
        im = ax.imshow(arr, extent=ext, cmap=cmap, norm=norm, interpolation="nearest")
        _decorate(ax, outline_xy, flowline_xy, flow_ds, colour="k")
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.8, label=label)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("Mean velocity components (flowline dashed, markers labelled in km along it)")
    return _save(fig, path, dpi)


def plot_reference_scatter(validation: dict, path, dpi=150) -> Path:
    """(3) SAR-derived vs reference annual speed per year: scatter, 1:1 line, r and RMSE."""
    years = sorted(validation) if validation else []
    n = max(len(years), 1)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 5), squeeze=False, constrained_layout=True)
    if not years:
        axes[0, 0].text(0.5, 0.5, "no reference product available", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, year in zip(axes[0], years):
        sar = np.asarray(validation[year]["sar"], np.float64).ravel()
        ref = np.asarray(validation[year]["reference"], np.float64).ravel()
        ok = np.isfinite(sar) & np.isfinite(ref)
        sar, ref = sar[ok], ref[ok]
        hi = float(max(np.max(sar, initial=1.0), np.max(ref, initial=1.0))) * 1.05
        ax.plot([0, hi], [0, hi], "k--", lw=0.8, label="1:1")
        ax.scatter(ref, sar, s=4, alpha=0.5, color="tab:blue", edgecolors="none")
        if sar.size >= 2 and sar.std() > 0 and ref.std() > 0:
            r = np.corrcoef(sar, ref)[0, 1]
            rmse = np.sqrt(np.mean((sar - ref) ** 2))
            ax.text(0.04, 0.96, f"r = {r:.2f}\nRMSE = {rmse:.0f} m/yr\nn = {sar.size}", transform=ax.transAxes,
                    va="top", fontsize=9, bbox=dict(fc="w", ec="0.7"))
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.set_aspect("equal")
        ax.set_xlabel(f"reference annual speed {year} (m/yr)")
        ax.set_ylabel(f"SAR annual speed {year} (m/yr)")
        ax.set_title(f"{year}: SAR (cumulative displacement) vs reference")
        ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path, dpi)


def _interval_edges(ts):
    return np.r_[ts["interval_start"].values[:1], ts["interval_end"].values].astype(np.float64)


def _distance_edges(flow_ds):
    d = flow_ds["distance_km"].values.astype(np.float64)
    step = d[1] - d[0] if d.size > 1 else 1.0
    return np.r_[d - step / 2, d[-1] + step / 2]


def plot_time_distance(ts, flow_ds, path, dpi=150) -> Path:
    """(4) Time–distance diagrams along the flowline: horizontal speed (m/day, log) and nSPF."""
    te, de = _interval_edges(ts), _distance_edges(flow_ds)
    vert = "velocity_up_nspf" if "velocity_up_nspf" in flow_ds else "velocity_up"
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True, constrained_layout=True)
    s = _log_speed(flow_ds["speed"].values / DAYS_PER_YEAR)
    im = axes[0].pcolormesh(te, de, s.T, norm=_speed_norm(s), cmap="magma", shading="flat")
    fig.colorbar(im, ax=axes[0], label="horizontal speed (m/day, log scale)")
    axes[0].set_title("Horizontal speed along the central flowline")
    if vert in flow_ds:
        v = flow_ds[vert].values
        im = axes[1].pcolormesh(te, de, v.T, norm=_div_norm(v), cmap="RdBu_r", shading="flat")
        fig.colorbar(im, ax=axes[1], label=f"{'nSPF' if vert.endswith('nspf') else ''} vertical velocity "
                                           "(m/yr, up > 0)")
    axes[1].set_title("Vertical non-surface-parallel flow (nSPF)" if vert.endswith("nspf") else "Vertical velocity")
    for ax in axes:
        for km in flow_ds["marker_km"].values:
            ax.axhline(km, color="0.5", lw=0.4, ls=":")
        ax.set_xlabel("time (decimal year)")
    axes[0].set_ylabel("distance along the central flowline (km)")
    axes[0].invert_yaxis()
    return _save(fig, path, dpi)


def _marker_grid(n):
    ncol = 2 if n > 1 else 1
    nrow = int(np.ceil(n / ncol))
    return nrow, ncol


def plot_marker_series(ts, flow_ds, kind: str, path, dpi=150) -> Path:
    """(5) One panel per marker: the components (mean ± region std shaded) vs time.

    ``kind`` "velocity" (interval velocities, m/yr, step plot; vertical on the right axis) or
    "displacement" (m since the first epoch)."""
    comps = [c for c in COMPONENT_STYLE if f"marker_{kind}_{c}" in flow_ds]
    markers = flow_ds["marker_km"].values
    nrow, ncol = _marker_grid(len(markers))
    fig, axes = plt.subplots(nrow, ncol, figsize=(7 * ncol, 2.4 * nrow + 0.8), sharex=True,
                             squeeze=False, constrained_layout=True)
    if kind == "velocity":
        t = _interval_edges(ts)
    else:
        t = ts["time"].values.astype(np.float64)
    unit = "m/yr" if kind == "velocity" else "m"
    for i, (ax, km) in enumerate(zip(axes.ravel(), markers)):
        right = ax.twinx()
        handles = []
        for c in comps:
            colour, label = COMPONENT_STYLE[c]
            target = right if c.startswith("up") else ax
            m = flow_ds[f"marker_{kind}_{c}"].values[:, i]
            sd = flow_ds[f"marker_{kind}_{c}_std"].values[:, i]
            if kind == "velocity":
                m, sd = np.r_[m, m[-1:]], np.r_[sd, sd[-1:]]
                (h,) = target.step(t, m, where="post", color=colour, lw=0.9, label=label)
                target.fill_between(t, m - sd, m + sd, step="post", color=colour, alpha=0.25, lw=0)
            else:
                (h,) = target.plot(t, m, color=colour, lw=0.9, label=label)
                target.fill_between(t, m - sd, m + sd, color=colour, alpha=0.25, lw=0)
            handles.append(h)
        ax.set_title(f"marker {km:g} km", fontsize=9)
        ax.set_ylabel(f"horizontal ({unit})", fontsize=8)
        right.set_ylabel(f"vertical ({unit})", fontsize=8)
        ax.axhline(0, color="0.6", lw=0.4)
        if i == 0:
            ax.legend(handles=handles, fontsize=7, loc="upper left", ncol=2)
    for ax in axes.ravel()[len(markers):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("time (decimal year)")
    what = "interval velocity" if kind == "velocity" else "cumulative displacement"
    fig.suptitle(f"{what.capitalize()} at the flowline markers (region mean ± std shaded)")
    return _save(fig, path, dpi)


def animate_speed(ts, grid, outline_xy, flowline_xy, path, max_frames=40, dpi=60) -> Path:
    """(6) GIF of the horizontal interval speed (m/day, log) through time, ≤ ``max_frames``."""
    from matplotlib.animation import PillowWriter

    n = ts.sizes["interval"]
    frames = np.unique(np.linspace(0, n - 1, min(n, max_frames)).round().astype(int))
    north = ts["velocity_north"].transpose("interval", "y", "x") if "velocity_north" in ts else None
    east = ts["velocity_east"].transpose("interval", "y", "x")

    def speed(k):
        e = east[k].values
        s = np.hypot(north[k].values, e) if north is not None else np.abs(e)
        return _log_speed(s / DAYS_PER_YEAR)

    sample = np.stack([speed(k) for k in frames[:: max(1, len(frames) // 5)]])
    fig, ax = plt.subplots(figsize=(5, 4.5), constrained_layout=True)
    im = ax.imshow(speed(frames[0]), extent=_extent_km(grid), norm=_speed_norm(sample), cmap="magma",
                   interpolation="nearest")
    _decorate(ax, outline_xy, flowline_xy, colour="w")
    fig.colorbar(im, ax=ax, shrink=0.85, label="horizontal speed (m/day, log scale)")
    t0, t1 = ts["interval_start"].values, ts["interval_end"].values
    title = ax.set_title("")
    writer = PillowWriter(fps=5)
    with writer.saving(fig, str(path), dpi):
        for k in frames:
            im.set_data(speed(k))
            title.set_text(f"horizontal speed {t0[k]:.2f} – {t1[k]:.2f}")
            writer.grab_frame()
    plt.close(fig)
    return Path(path)


def plot_products(ts, mean_ds, flow_ds, validation, grid, outline_xy, flowline_xy, dem, outdir,
                  dpi=150, animation=True) -> list[Path]:
    """Write all product figures into ``outdir``; returns their paths.

    ``ts``: MSBAS time-series Dataset; ``mean_ds``: :func:`gfjax.products.velocity.mean_velocity`;
    ``flow_ds``: :func:`gfjax.products.flowline.flowline_profiles` (or None); ``validation``:
    ``{"2017": {"sar": array, "reference": array}, ...}`` — paired annual speeds (m/yr) of the
    pixels compared (any shape, NaN ignored), or {} to draw an empty panel; ``outline_xy`` (N, 2)
    and ``flowline_xy`` (M, 2) in m; ``dem`` (ny, nx) m.

    Files: mean_speed_log.png, component_maps.png, reference_scatter.png, time_distance.png,
    markers_velocity.png, markers_displacement.png and (``animation``) speed_animation.gif.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [plot_mean_speed(mean_ds, grid, outline_xy, flowline_xy, out / "mean_speed_log.png", dpi),
             plot_component_maps(mean_ds, flow_ds, grid, outline_xy, flowline_xy, dem,
                                 out / "component_maps.png", dpi),
             plot_reference_scatter(validation or {}, out / "reference_scatter.png", dpi)]
    if flow_ds is not None:  # None: no flowline (the figures along it are left out)
        paths += [plot_time_distance(ts, flow_ds, out / "time_distance.png", dpi),
                  plot_marker_series(ts, flow_ds, "velocity", out / "markers_velocity.png", dpi),
                  plot_marker_series(ts, flow_ds, "displacement", out / "markers_displacement.png", dpi)]
    if animation:
        paths.append(animate_speed(ts, grid, outline_xy, flowline_xy, out / "speed_animation.gif"))
    return paths
