"""Interactive map of a run for its report page (Bokeh, static HTML, works offline).

The map shows the mean horizontal speed (m/yr, log colours, the figures' floor) over a
hillshade of the run's DEM (``products/geotiff/dem.tif``; without one, a grey rendering of the
speed itself), the central flowline and its markers. Clicking a marker shows its interval
velocities (region mean, ``flowline.nc``); clicking anywhere else shows the series of the nearest
stored pixel (``timeseries.nc``): four components (north, east, up SPF, up nSPF; 3D: up).

Pixel series are stored on a sub-grid (every ``stride``-th cell, chosen so that at most
``max_values`` values are stored) as int16 m/yr (rounded to 1 m/yr; -32768 = no data), so the
page of a full-size run stays a few MB. Everything, BokehJS included (``INLINE`` resources), is
inside the page: no tiles, no CDN.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

COMPONENTS = (("north", "north", "#1f77b4"), ("east", "east", "#ff7f0e"), ("up_spf", "up (SPF)", "#2ca02c"),
              ("up_nspf", "up (nSPF)", "#d62728"), ("up", "up", "#2ca02c"))
NODATA_INT16 = -32768
MAX_VALUES = 2_000_000
MARKER_HIT_PX = 12


@dataclass
class MapData:
    """What the map needs, read from a run directory (arrays (ny, nx) north-up, m and m/yr)."""
    x0: float            # west edge, m
    y0: float            # north edge, m
    spacing: float       # m
    speed: np.ndarray    # mean horizontal speed, m/yr
    base: np.ndarray     # base layer, 0..1 grey (hillshade or speed)
    base_name: str
    ts: xr.Dataset | None
    flow: xr.Dataset | None


def _open(path: Path, prefixes: tuple[str, ...] | None = None) -> xr.Dataset | None:
    """The product at ``path`` in memory (only its variables starting with ``prefixes``), or None."""
    if not path.is_file():
        return None
    from ..io.netcdf import decode_cf_time

    with xr.open_dataset(path) as ds:
        if prefixes:
            ds = ds[[v for v in ds.data_vars if str(v).startswith(prefixes)]]
        return decode_cf_time(ds.load())


def hillshade(dem: np.ndarray, spacing: float, azimuth_deg: float = 315.0, altitude_deg: float = 45.0) -> np.ndarray:
    """Lambertian hillshade 0..1 of a north-up DEM (m) on a grid of ``spacing`` m."""
    z = np.where(np.isfinite(dem), dem, np.nanmean(dem) if np.isfinite(dem).any() else 0.0)
    dzdy, dzdx = np.gradient(z, spacing)
    dzdy = -dzdy  # row 0 is north
    slope = np.arctan(np.hypot(dzdx, dzdy))
    aspect = np.arctan2(-dzdx, dzdy)
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.clip(shade, 0.0, 1.0)


def load_map_data(run_dir: Path) -> MapData | None:
    """The map's inputs from ``run_dir`` (None without ``products/mean_velocity.nc``)."""
    run_dir = Path(run_dir)
    mean = _open(run_dir / "products" / "mean_velocity.nc")
    if mean is None:
        return None
    from ..io.netcdf import grid_from_dataset

    grid = grid_from_dataset(mean, "mean_velocity.nc")
    speed = np.asarray(mean["v"].values, np.float64)
    dem_path = run_dir / "products" / "geotiff" / "dem.tif"
    if dem_path.is_file():
        from ..io.geotiff import read_geotiff

        dem, _ = read_geotiff(dem_path)
        base, base_name = hillshade(dem, grid.spacing), "hillshade of the run's DEM"
    else:
        logv = np.log10(np.clip(speed, 1.0, None))
        span = np.nanmax(logv) if np.isfinite(logv).any() else 1.0
        base, base_name = np.nan_to_num(logv / max(span, 1e-9), nan=0.0), "the mean speed (no DEM)"
    xmin, _, _, ymax = grid.bounds
    return MapData(xmin, ymax, grid.spacing, speed, base, base_name,
                   _open(run_dir / "products" / "timeseries.nc", ("velocity_",)),
                   _open(run_dir / "products" / "flowline.nc"))


def _grey_rgba(base: np.ndarray) -> np.ndarray:
    g = (np.clip(base, 0, 1) * 200 + 40).astype(np.uint32)
    return (255 << 24) | (g << 16) | (g << 8) | g


def _components(ds: xr.Dataset | None, prefix: str) -> list[tuple[str, str, str]]:
    if ds is None:
        return []
    return [c for c in COMPONENTS if f"{prefix}{c[0]}" in ds]


def _to_ms(decimal_years) -> list[float]:
    from ..core.time import datetime_from_decimal_year

    when = datetime_from_decimal_year(np.asarray(decimal_years, np.float64))
    return (when.astype("datetime64[ms]").astype(np.int64)).astype(np.float64).tolist()


def pixel_cube(ts: xr.Dataset, comps, max_values: int = MAX_VALUES):
    """(stride, index (nsy, nsx) int32 → row of the cube or -1, cube {component: int16 (n_pix × n_int)})."""
    n_int = ts.sizes["interval"]
    stacks = {c: np.asarray(ts[f"velocity_{c}"].transpose("interval", "y", "x").values) for c, *_ in comps}
    has = np.zeros(next(iter(stacks.values())).shape[1:], bool)
    for s in stacks.values():
        has |= np.isfinite(s).any(axis=0)
    n_valid = max(int(has.sum()), 1)
    stride = max(1, int(np.ceil(np.sqrt(n_valid * n_int * len(comps) / max_values))))
    sub = has[::stride, ::stride]
    index = np.full(sub.shape, -1, np.int32)
    index[sub] = np.arange(int(sub.sum()), dtype=np.int32)
    cube = {}
    for c, s in stacks.items():
        v = s[:, ::stride, ::stride][:, sub].T  # (n_pix, n_int)
        q = np.where(np.isfinite(v), np.clip(np.round(v), -32767, 32767), NODATA_INT16).astype(np.int16)
        cube[c] = q.ravel()
    return stride, index, cube


JS_TAP = """
const x = cb_obj.x, y = cb_obj.y;
const w = fig.inner_width, h = fig.inner_height;
const sx = w / (fig.x_range.end - fig.x_range.start), sy = h / (fig.y_range.end - fig.y_range.start);
const m = markers.data;
let best = -1, bestd = 1e9;
for (let i = 0; i < m.x.length; i++) {
  const d = Math.hypot((m.x[i] - x) * sx, (m.y[i] - y) * sy);
  if (d < bestd) { bestd = d; best = i; }
}
const out = {t: meta.t};
const names = meta.components;
if (best >= 0 && bestd <= hit_px) {
  for (const c of names) {
    const col = markers.data["v_" + c][best];
    const v = Array.from(col);
    v.push(v[v.length - 1]);
    out[c] = v;
  }
  series.data = out;
  title.text = "Marker " + m.km[best] + " km along the flowline: interval velocity, region mean (m/yr)";
  return;
}
const col = Math.floor((x - meta.x0) / (meta.spacing * meta.stride));
const row = Math.floor((meta.y0 - y) / (meta.spacing * meta.stride));
const nsx = meta.nsx, nsy = meta.nsy;
if (col < 0 || row < 0 || col >= nsx || row >= nsy) { return; }
const k = index.data.k[row * nsx + col];
const e = (meta.x0 + (col * meta.stride + 0.5) * meta.spacing) / 1000;
const n = (meta.y0 - (row * meta.stride + 0.5) * meta.spacing) / 1000;
const where = "pixel at E " + e.toFixed(1) + " km, N " + n.toFixed(1) + " km";
if (k < 0) {
  for (const c of names) { out[c] = meta.t.map(() => NaN); }
  series.data = out;
  title.text = "No velocity at the " + where;
  return;
}
const nint = meta.t.length - 1;
for (const c of names) {
  const q = cube.data[c];
  const v = [];
  for (let i = 0; i < nint; i++) { const a = q[k * nint + i]; v.push(a === -32768 ? NaN : a); }
  v.push(v[v.length - 1]);
  out[c] = v;
}
series.data = out;
title.text = "Interval velocity at the " + where + " (m/yr)";
"""


def map_layout(data: MapData, max_values: int = MAX_VALUES):
    """The Bokeh layout: map (left), series plot and its title (right)."""
    from bokeh.layouts import column, row
    from bokeh.models import BasicTickFormatter, ColumnDataSource, CustomJS, HoverTool, LogColorMapper, LogTicker
    # the same classes as bokeh.models', which exports these by a star import that type checkers do not follow
    from bokeh.models.annotations import ColorBar, LabelSet
    from bokeh.models.widgets import Div
    from bokeh.palettes import Viridis256
    from bokeh.plotting import figure

    from ..plots.style import SPEED_FLOOR_M_PER_YR

    ny, nx = data.speed.shape
    width_m, height_m = nx * data.spacing, ny * data.spacing
    plot_w = 640
    plot_h = int(np.clip(plot_w * height_m / width_m, 300, 900))
    # bokeh turns (start, end) tuples into Range1d; its annotations admit only a Range
    fig = figure(name="map", width=plot_w, height=plot_h, match_aspect=True,
                 x_range=(data.x0, data.x0 + width_m), y_range=(data.y0 - height_m, data.y0),  # type: ignore[arg-type]
                 tools="pan,wheel_zoom,box_zoom,reset,tap", active_scroll="wheel_zoom",
                 title="Mean horizontal speed over " + data.base_name + " — click a marker or a pixel",
                 x_axis_label="easting (m)", y_axis_label="northing (m)")
    for axis in (fig.xaxis, fig.yaxis):
        axis.formatter = BasicTickFormatter(use_scientific=False)
    fig.image_rgba(image=[_grey_rgba(data.base)[::-1]], x=data.x0, y=data.y0 - height_m, dw=width_m, dh=height_m)
    good = data.speed[np.isfinite(data.speed) & (data.speed > 0)]
    high = float(np.percentile(good, 99.5)) if good.size else 10.0
    mapper = LogColorMapper(palette=Viridis256, low=SPEED_FLOOR_M_PER_YR, high=max(high, 10 * SPEED_FLOOR_M_PER_YR),
                            low_color="#d1d1d1", nan_color=(0, 0, 0, 0))
    speed = np.where(np.isfinite(data.speed), data.speed, np.nan).astype(np.float32)
    # color_mapper is a property of bokeh's Image glyph that the glyph method's annotations leave out
    speed_img = fig.image(image=[speed[::-1]], x=data.x0, y=data.y0 - height_m, dw=width_m,  # type: ignore[call-arg]
                          dh=height_m, color_mapper=mapper, alpha=0.75)
    fig.add_tools(HoverTool(renderers=[speed_img], tooltips=[("speed (m/yr)", "@image{0.0}")]))
    fig.add_layout(ColorBar(color_mapper=mapper, ticker=LogTicker(), width=12,
                            title=f"mean horizontal speed (m/yr, log; grey < {SPEED_FLOOR_M_PER_YR:g})"), "right")

    comps = _components(data.ts, "velocity_")
    marker_comps = _components(data.flow, "marker_velocity_")
    names = [c for c, *_ in (comps or marker_comps)]
    t_edges = []
    if data.ts is not None:
        t_edges = _to_ms(np.r_[data.ts["interval_start"].values[:1], data.ts["interval_end"].values])
    elif data.flow is not None:
        t_edges = _to_ms(np.r_[data.flow["interval_start"].values[:1], data.flow["interval_end"].values])

    mk: dict[str, list[Any]] = dict(x=[], y=[], km=[], label=[], **{f"v_{c}": [] for c in names})
    if data.flow is not None:
        fig.line(data.flow["flowline_x"].values, data.flow["flowline_y"].values, line_color="white",
                 line_dash="dashed", line_width=2, legend_label="central flowline")
        for i, (x, y, km) in enumerate(zip(data.flow["marker_x"].values, data.flow["marker_y"].values,
                                           data.flow["marker_km"].values)):
            if not np.isfinite(x):
                continue
            mk["x"].append(float(x))
            mk["y"].append(float(y))
            mk["km"].append(f"{km:g}")
            mk["label"].append(f"{km:g} km")
            for c in names:
                v: np.ndarray | list[float] = (data.flow[f"marker_velocity_{c}"].values[:, i]
                                               if f"marker_velocity_{c}" in data.flow else [])
                mk[f"v_{c}"].append([None if not np.isfinite(a) else float(a) for a in v])
    markers = ColumnDataSource(mk, name="markers")
    fig.scatter("x", "y", source=markers, size=11, fill_color="white", line_color="black", line_width=1.5,
                legend_label="markers (km from the head)")
    fig.add_layout(LabelSet(x="x", y="y", text="label", source=markers, x_offset=7, y_offset=4,
                            text_font_size="11px", text_color="white", background_fill_color="black",
                            background_fill_alpha=0.5))
    fig.legend.location = "bottom_right"
    fig.legend.background_fill_alpha = 0.6

    stride, index, cube = (1, np.full((0, 0), -1, np.int32), {c: np.zeros(0, np.int16) for c in names})
    if data.ts is not None and comps:
        stride, index, cube = pixel_cube(data.ts, comps, max_values)
    cube_src = ColumnDataSource({c: cube[c] for c in names}, name="cube") if names else ColumnDataSource({})
    index_src = ColumnDataSource({"k": index.ravel()}, name="index")
    meta = dict(x0=data.x0, y0=data.y0, spacing=data.spacing, stride=stride, nsy=int(index.shape[0]),
                nsx=int(index.shape[1]) if index.ndim == 2 else 0, t=t_edges, components=names)
    first = {c: [np.nan] * len(t_edges) for c in names}
    heading = "Click a marker or a pixel on the map to see its time series."
    with_data = [i for i in range(len(mk["x"])) if any(v is not None for c in names for v in mk[f"v_{c}"][i])]
    if with_data:  # start with the first marker that has data (an empty plot has no ranges)
        i = with_data[0]
        first = {c: [np.nan if v is None else v for v in mk[f"v_{c}"][i]] for c in names}
        first = {c: v + v[-1:] for c, v in first.items()}
        heading = (f"Marker {mk['km'][i]} km along the flowline: interval velocity, region mean (m/yr) — "
                   "click another marker or a pixel")
    series = ColumnDataSource({"t": t_edges, **first}, name="series")
    title = Div(text=heading, name="series_title", width=560, styles={"font-weight": "bold"})
    ts_fig = figure(name="series_plot", width=560, height=360, x_axis_type="datetime",
                    x_axis_label="date", y_axis_label="interval velocity (m/yr)",
                    tools="pan,wheel_zoom,box_zoom,reset,save")
    for c, label, colour in COMPONENTS:
        if c in names:
            ts_fig.step("t", c, source=series, mode="after", line_color=colour, line_width=2, legend_label=label)
    if names:
        ts_fig.legend.location = "top_left"
        ts_fig.legend.click_policy = "hide"
    kept = "every cell" if stride == 1 else f"one cell in {stride} along each axis ({stride * data.spacing:g} m apart)"
    note = Div(text=(f"Pixel series: {kept}, interval velocities rounded to 1 m/yr (timeseries.nc has them all); "
                     "markers: mean over the marker region (flowline.nc)."), width=560,
               styles={"color": "#555", "font-size": "12px"})
    fig.js_on_event("tap", CustomJS(args=dict(fig=fig, markers=markers, series=series, title=title, cube=cube_src,
                                              index=index_src, meta=meta, hit_px=MARKER_HIT_PX), code=JS_TAP))
    return row(fig, column(title, ts_fig, note))


def map_html(run_dir: Path, max_values: int = MAX_VALUES) -> tuple[str, str]:
    """(``<script>`` block with BokehJS inlined and the map's document, ``<div>`` to place it),
    or ("", a note) when the run has no mean velocity product yet."""
    data = load_map_data(run_dir)
    if data is None:
        return "", "<p class='note'>No map: the products stage has not written products/mean_velocity.nc.</p>"
    from bokeh.embed import components
    from bokeh.resources import Resources

    script, div = components(map_layout(data, max_values))
    inline = Resources(mode="inline", components=["bokeh", "bokeh-widgets"])  # no CDN; no MathJax, tables, GL
    return inline.render_js() + inline.render_css() + script, div
