"""One look for every figure: units, colour scales, map decoration, dates and empty panels.

Unit convention (all figures, as the paper): velocities and speeds in **m/yr**, displacements
in m, stated on every colour bar and axis. Speeds are drawn on a log scale whose floor
(:data:`SPEED_FLOOR_M_PER_YR`) is shown honestly: values below it get their own grey
("under") colour and the colour bar an arrow saying so, instead of being painted as the floor.
"""
from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm, TwoSlopeNorm  # noqa: E402

SPEED_UNIT = "m/yr"
SPEED_FLOOR_M_PER_YR = 1.0
UNDER_COLOUR = "0.82"
COMPONENT_STYLE = {"north": ("tab:blue", "north"), "east": ("tab:orange", "east"),
                   "up_spf": ("tab:green", "up (SPF)"), "up_nspf": ("tab:red", "up (nSPF)"),
                   "up": ("tab:green", "up")}
HORIZONTAL = ("north", "east")
VERTICAL = ("up_spf", "up_nspf", "up")
PAPER = "Samsonov (2022), Remote Sensing 14, 2679"


def extent_km(grid):
    xmin, ymin, xmax, ymax = grid.bounds
    return [xmin / 1e3, xmax / 1e3, ymin / 1e3, ymax / 1e3]


def speed_cmap(name: str = "viridis"):
    """``name`` with a distinct colour for values under the log floor; NaN stays transparent."""
    return plt.get_cmap(name).with_extremes(under=UNDER_COLOUR, bad=(0, 0, 0, 0))


def speed_norm(values, vmax: float | None = None) -> LogNorm:
    """Log colour scale from the floor to the 99.5th percentile of ``values`` (m/yr) or ``vmax``."""
    v = np.asarray(values, np.float64)
    if vmax is None:
        good = v[np.isfinite(v) & (v > 0)]
        vmax = float(np.percentile(good, 99.5)) if good.size else 10 * SPEED_FLOOR_M_PER_YR
    return LogNorm(SPEED_FLOOR_M_PER_YR, max(float(vmax), 10 * SPEED_FLOOR_M_PER_YR))


def speed_colorbar(fig, mappable, ax, what: str, **kw):
    """Colour bar of a log speed map: unit, log scale and the under-floor colour in its label."""
    return fig.colorbar(mappable, ax=ax, extend="min", **kw,
                        label=f"{what} ({SPEED_UNIT}, log scale; grey: < {SPEED_FLOOR_M_PER_YR:g} {SPEED_UNIT})")


def div_norm(values, q: float = 98.0) -> TwoSlopeNorm:
    """Diverging scale centred on zero, ±the ``q``-th percentile of |values|."""
    v = np.asarray(values, np.float64)
    vmax = np.nanpercentile(np.abs(v), q) if np.isfinite(v).any() else 1.0
    vmax = max(float(vmax), 1e-3)
    return TwoSlopeNorm(0.0, -vmax, vmax)


def empty_panel(ax, reason: str, width: int = 42, keep_x: bool = False) -> None:
    """Say in the panel why it has no data (frame kept; its own y ticks, and x ticks unless
    ``keep_x``, hidden with ``tick_params``: a shared axis keeps its ticks on the other panels)."""
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(reason, width)), transform=ax.transAxes, ha="center",
            va="center", fontsize=10, color="0.3")
    ax.tick_params(axis="y", which="both", left=False, labelleft=False, right=False, labelright=False)
    if not keep_x:
        ax.tick_params(axis="x", which="both", bottom=False, labelbottom=False, top=False, labeltop=False)


def has_data(values) -> bool:
    return bool(np.isfinite(np.asarray(values, np.float64)).any())


def to_datetime(decimal_years) -> np.ndarray:
    """MSBAS decimal years → ``datetime64[s]`` (for date axes and labels)."""
    from ..core.time import datetime_from_decimal_year

    return datetime_from_decimal_year(np.asarray(decimal_years, np.float64))


def date_label(decimal_year: float) -> str:
    return str(to_datetime(decimal_year).astype("datetime64[D]"))


def decorate_map(ax, outline_xy, flowline_xy, flow_ds=None, colour="k", fontsize=7) -> None:
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
                            fontsize=fontsize, color=colour)
    ax.set_xlabel("easting (km)")
    ax.set_ylabel("northing (km)")
    ax.set_aspect("equal")


def save(fig, path, dpi):
    from pathlib import Path

    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Path(path)
