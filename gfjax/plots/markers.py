"""Marker time series: one row per flowline marker, one axis per component group (horizontal:
north, east; vertical: SPF, nSPF or up), each with its own zero line and ±std bands, so the
components of a group share one scale and the groups do not fight over one twin axis."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .style import COMPONENT_STYLE, HORIZONTAL, SPEED_UNIT, VERTICAL, empty_panel, save, to_datetime


def _group_axes(ax, ts_dates, flow_ds, kind, comps, i, step):
    """Draw ``comps`` of marker ``i`` on ``ax``; returns the line handles (empty: no data)."""
    handles = []
    for c in comps:
        colour, label = COMPONENT_STYLE[c]
        m = flow_ds[f"marker_{kind}_{c}"].values[:, i].astype(np.float64)
        sd = flow_ds[f"marker_{kind}_{c}_std"].values[:, i].astype(np.float64)
        if not np.isfinite(m).any():
            continue
        if step:
            m, sd = np.r_[m, m[-1:]], np.r_[sd, sd[-1:]]
            (h,) = ax.step(ts_dates, m, where="post", color=colour, lw=1.1, label=label)
            ax.fill_between(ts_dates, m - sd, m + sd, step="post", color=colour, alpha=0.15, lw=0)
        else:
            (h,) = ax.plot(ts_dates, m, color=colour, lw=1.1, label=label)
            ax.fill_between(ts_dates, m - sd, m + sd, color=colour, alpha=0.15, lw=0)
        handles.append(h)
    if handles:
        ax.axhline(0, color="0.4", lw=0.6)
    return handles


def plot_marker_series(ts, flow_ds, kind: str, path, dpi=150) -> Path:
    """(5) Per marker (rows): horizontal and vertical components (columns), mean ± region std.

    ``kind`` "velocity" (interval velocities, m/yr, steps over each interval) or
    "displacement" (m since the first epoch). A marker without data says why in its panels."""
    from .products import interval_edges

    comps = [c for c in COMPONENT_STYLE if f"marker_{kind}_{c}" in flow_ds]
    groups = [("horizontal", [c for c in comps if c in HORIZONTAL]), ("vertical", [c for c in comps if c in VERTICAL])]
    groups = [g for g in groups if g[1]]
    markers = flow_ds["marker_km"].values
    nrow, ncol = max(len(markers), 1), max(len(groups), 1)
    fig, axes = plt.subplots(nrow, ncol, figsize=(6.5 * ncol, 2.1 * nrow + 1.0), sharex=True, squeeze=False,
                             constrained_layout=True)
    step = kind == "velocity"
    dates = to_datetime(interval_edges(ts) if step else ts["time"].values)
    unit = SPEED_UNIT if step else "m"
    legend_done = set()
    for i, km in enumerate(markers):
        inside = np.isfinite(flow_ds["marker_x"].values[i]) if "marker_x" in flow_ds.coords else True
        for j, (gname, gcomps) in enumerate(groups):
            ax = axes[i, j]
            ax.set_title(f"marker {km:g} km: {gname}", fontsize=9, pad=4)
            handles = _group_axes(ax, dates, flow_ds, kind, gcomps, i, step)
            if not handles:
                empty_panel(ax, "no data: the marker lies beyond the flowline's end" if not inside else
                            "no data: no velocity within this marker's region (outside the coverage)", width=60,
                            keep_x=True)
                continue
            ax.set_ylabel(f"{gname} ({unit})", fontsize=8)
            ax.tick_params(labelsize=8)
            if gname not in legend_done:
                ax.legend(handles=handles, fontsize=7, loc="upper left", ncol=len(handles), framealpha=0.8)
                legend_done.add(gname)
    for ax in axes[-1]:
        ax.set_xlabel("date")
    what = "interval velocity" if step else "cumulative displacement"
    fig.suptitle(f"{what.capitalize()} at the flowline markers ({unit}; region mean, ± std shaded)")
    return save(fig, path, dpi)
