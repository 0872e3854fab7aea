"""Validation of the MSBAS time series: against the scene truth and an ITS_LIVE-style reference.

* :func:`truth_metrics` — RMSE / bias (estimate − truth, m/yr) of every interval-velocity
  component and of the horizontal speed on ice pixels with data, overall, per calendar year of
  the interval mid-time and per speed class (< 1, 1–5, > 5 m/day); fast ice (> 1 m/day) speed
  bias and RMSE also in % of its true mean speed; the share of samples with an estimate. The truth is a
  callable streamed over intervals (the truth cube is never held).
* :func:`truth_on_grid` — the scene's truth (ice mask, interval velocity) resampled onto another
  map grid (a run on the synthetic scene's Sentinel-1 products: the AOI's grid), for
  :func:`truth_metrics`.
* :func:`annual_speed` — horizontal speed over [year.0, year+1.0] from the cumulative
  displacement (D(t) linearly interpolated in time), as the paper compared with Landsat.
* :func:`reference_metrics` — Pearson r, RMSE, bias, n of SAR vs reference speed (paper: r 0.91 /
  RMSE 70 m/yr in 2017, r 0.82 / 122 m/yr in 2018).
* :func:`read_reference_on_grid` — the reference product (NetCDF vx/vy in any CRS, or ITS_LIVE
  vx/vy GeoTIFFs) reprojected onto the map grid, vectors rotated into grid east/north.

All metrics are plain Python floats/ints (None where undefined), ready for ``json.dump``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr

from ..geometry.grid import MapGrid
from .velocity import components

_TRUTH_INDEX = {"north": 0, "east": 1, "up_spf": 2, "up_nspf": 3}


def _json(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


class _Acc:
    """Running sums of errors (float64) → rmse / bias / n."""

    def __init__(self) -> None:
        self.s = self.s2 = 0.0
        self.n = 0

    def add(self, err: np.ndarray) -> None:
        e = np.asarray(err, np.float64)
        self.s += float(e.sum())
        self.s2 += float((e * e).sum())
        self.n += int(e.size)

    def result(self) -> dict:
        if self.n == 0:
            return {"rmse_m_per_yr": None, "bias_m_per_yr": None, "n": 0}
        return {"rmse_m_per_yr": _json(np.sqrt(self.s2 / self.n)), "bias_m_per_yr": _json(self.s / self.n),
                "n": self.n}


def _truth_component(truth: np.ndarray, c: str) -> np.ndarray:
    """Truth (4 or 3, ny, nx) in (north, east, up_spf[, up_nspf]) order → component ``c``.
    The plain vertical ``up`` of a 3D/2D inversion is SPF + nSPF (what the radar sees)."""
    if c == "up":
        return truth[2] + truth[3] if truth.shape[0] >= 4 else truth[2]
    i = _TRUTH_INDEX[c]
    if i >= truth.shape[0]:
        raise ValueError(f"truth_interval_velocity: returned {truth.shape[0]} components, "
                         f"component {c!r} needs index {i}")
    return truth[i]


# speed classes of the truth metrics (true horizontal speed of the interval, m/day; on ice)
SPEED_CLASSES_M_PER_DAY = (("slow_lt1", 0.0, 1.0), ("mid_1to5", 1.0, 5.0), ("fast_gt5", 5.0, np.inf))


def speed_class_masks(true_speed_m_per_yr: np.ndarray) -> dict[str, np.ndarray]:
    """{class name: mask} of :data:`SPEED_CLASSES_M_PER_DAY` for true speeds in m/yr."""
    per_day = np.asarray(true_speed_m_per_yr, np.float64) / 365.25
    return {name: (per_day >= lo) & (per_day < hi) for name, lo, hi in SPEED_CLASSES_M_PER_DAY}


class _Relative(_Acc):
    """:class:`_Acc` plus the mean true value: bias and RMSE also as % of the true mean."""

    def __init__(self) -> None:
        super().__init__()
        self.t = 0.0

    def add_pair(self, est: np.ndarray, true: np.ndarray) -> None:
        self.add(est - true)
        self.t += float(np.asarray(true, np.float64).sum())

    def result(self) -> dict:
        out = super().result()
        if self.n == 0:
            return {**out, "mean_true_m_per_yr": None, "bias_percent": None, "rmse_percent": None}
        mean = self.t / self.n
        pct = (lambda v: _json(100.0 * v / mean)) if mean > 0 else (lambda v: None)
        return {**out, "mean_true_m_per_yr": _json(mean), "bias_percent": pct(out["bias_m_per_yr"]),
                "rmse_percent": pct(out["rmse_m_per_yr"])}


def truth_metrics(ts: xr.Dataset, truth_interval_velocity: Callable[[int], np.ndarray], ice_mask,
                  interval_mid_years, fast_threshold_m_per_yr: float = 365.25) -> dict:
    """Errors of the interval velocities of ``ts`` against the truth, m/yr, overall, per calendar
    year of the interval mid-time and per speed class (true horizontal speed of the interval:
    < 1, 1–5, > 5 m/day, :data:`SPEED_CLASSES_M_PER_DAY`).

    ``truth_interval_velocity(k)`` → (4 or 3, ny, nx) true mean velocity of interval k, m/yr, in
    (north, east, up_spf, up_nspf) order; ``ice_mask`` (ny, nx) bool; ``interval_mid_years``
    (n_interval,) decimal years (select the per-year buckets). Returns::

        {"<c>": {"rmse_m_per_yr", "bias_m_per_yr", "n",
                 "per_class": {"slow_lt1": {...}, "mid_1to5": {...}, "fast_gt5": {...}},
                 "per_year": {"2017": {"rmse_m_per_yr", ..., "per_class": {...}}, ...}}, ...,
         "horizontal_speed": {same},
         "fast_ice_speed": {"rmse_m_per_yr", "bias_m_per_yr", "n", "mean_true_m_per_yr",
                            "bias_percent", "rmse_percent", "fraction", "threshold_m_per_yr",
                            "per_year": {"2017": {... without fraction/threshold}, ...}},
         "coverage": {"per_year": {"2017": {"<class>": {"samples", "estimated_fraction"}}}}}

    With ``observed_sets`` in ``ts`` (the MSBAS stage's observation support), ``fast_ice_speed``
    and each of its years also hold ``observed`` (samples whose interval every map set measured)
    and ``interpolated`` (the others: the regularisation bridges them from the neighbouring
    intervals), each with the figures above and its ``share`` of the fast samples.

    bias = mean(estimate − truth); only ice pixels where the estimate is finite count (coverage:
    the share of on-ice (pixel, interval) samples of a class with a finite estimate);
    ``fraction`` = share of the counted samples whose true speed exceeds the fast threshold
    (default 1 m/day); the fast-ice % figures are relative to the mean true speed there.
    """
    comps = [c for c in components(ts) if c in _TRUTH_INDEX or c == "up"]
    n_int = ts.sizes["interval"]
    mid = np.asarray(interval_mid_years, np.float64).ravel()
    if mid.size != n_int:
        raise ValueError(f"interval_mid_years: expected {n_int} values (one per interval), got {mid.size}")
    ice = np.asarray(ice_mask, bool)
    years = [str(y) for y in np.floor(mid).astype(int)]
    horiz = all(c in comps for c in ("north", "east"))
    names = comps + (["horizontal_speed"] if horiz else [])
    acc: dict = {}          # (name, year or None, class or None) -> _Acc
    fast: dict = {}         # year or None -> _Relative
    cover: dict = {}        # (year, class) -> [samples, estimated]

    def add(name, year, cls_masks, ok, err):
        """``err`` = errors at the ``ok`` pixels, into the overall / year × all / class buckets."""
        for key_year in (None, year):
            for cls, m in [(None, ok)] + [(c, ok & cm) for c, cm in cls_masks.items()]:
                acc.setdefault((name, key_year, cls), _Acc()).add(err[m[ok]])

    vel = {c: ts[f"velocity_{c}"].transpose("interval", "y", "x") for c in comps}
    # the MSBAS observation support: samples where every map set measured the interval, and the
    # rest (the regularisation's interpolation from neighbouring intervals, at least in part)
    support = ts["observed_sets"].transpose("interval", "y", "x") if "observed_sets" in ts else None
    n_sets = int(support.attrs.get("n_sets", 0)) if support is not None else 0
    split: dict = {}        # ("observed" | "interpolated", year or None) -> _Relative
    for k in range(n_int):
        truth = np.asarray(truth_interval_velocity(k), np.float32)
        if truth.ndim != 3 or truth.shape[1:] != ice.shape:
            raise ValueError(f"truth_interval_velocity({k}): expected (4 or 3, {ice.shape[0]}, {ice.shape[1]}), "
                             f"got {truth.shape}")
        s_true = np.hypot(truth[0], truth[1])
        classes = {c: m & ice for c, m in speed_class_masks(s_true).items()}
        est = {c: np.asarray(vel[c][k].values, np.float32) for c in comps}
        for c in comps:
            ok = ice & np.isfinite(est[c])
            add(c, years[k], classes, ok, est[c][ok] - _truth_component(truth, c)[ok])
        finite = np.all([np.isfinite(est[c]) for c in comps], axis=0)
        for cls, m in classes.items():
            box = cover.setdefault((years[k], cls), [0, 0])
            box[0] += int(m.sum())
            box[1] += int((m & finite).sum())
        if horiz:
            s_est = np.hypot(est["north"], est["east"])
            ok = ice & np.isfinite(s_est)
            add("horizontal_speed", years[k], classes, ok, s_est[ok] - s_true[ok])
            f = ok & (s_true > fast_threshold_m_per_yr)
            for key_year in (None, years[k]):
                fast.setdefault(key_year, _Relative()).add_pair(s_est[f], s_true[f])
            if support is not None and n_sets:
                full = np.asarray(support[k].values) >= n_sets
                for kind, m in (("observed", f & full), ("interpolated", f & ~full)):
                    for key_year in (None, years[k]):
                        split.setdefault((kind, key_year), _Relative()).add_pair(s_est[m], s_true[m])

    def block(name, year):
        out = acc.get((name, year, None), _Acc()).result()
        out["per_class"] = {c: acc.get((name, year, c), _Acc()).result() for c, _, _ in SPEED_CLASSES_M_PER_DAY}
        return out

    all_years = sorted(set(years))
    out: dict = {}
    for name in names:
        out[name] = {**block(name, None), "per_year": {y: block(name, y) for y in all_years}}
    if horiz:
        n_all = acc.get(("horizontal_speed", None, None), _Acc()).n
        f_all = fast.get(None, _Relative())
        out["fast_ice_speed"] = {**f_all.result(), "fraction": _json(f_all.n / n_all) if n_all else None,
                                 "threshold_m_per_yr": float(fast_threshold_m_per_yr),
                                 "per_year": {y: fast.get(y, _Relative()).result() for y in all_years}}
        if split:
            n_fast = {y: fast.get(y, _Relative()).n for y in [None, *all_years]}

            def part(kind, y):
                r = split.get((kind, y), _Relative())
                return {**r.result(), "share": _json(r.n / n_fast[y]) if n_fast[y] else None}
            for kind in ("observed", "interpolated"):
                out["fast_ice_speed"][kind] = part(kind, None)
                for y in all_years:
                    out["fast_ice_speed"]["per_year"][y][kind] = part(kind, y)
    out["coverage"] = {"per_year": {y: {c: {"samples": cover.get((y, c), [0, 0])[0],
                                            "estimated_fraction": _json(cover[(y, c)][1] / cover[(y, c)][0])
                                            if cover.get((y, c), [0, 0])[0] else None}
                                        for c, _, _ in SPEED_CLASSES_M_PER_DAY} for y in all_years}}
    return out


def marker_truth_errors(flow: xr.Dataset, ts: xr.Dataset, truth_displacement: Callable[[float, float], np.ndarray],
                        components=("up_spf", "up_nspf")) -> dict:
    """Cumulative displacement at the flowline markers against the truth, m: for each marker
    (``flow``: :func:`gfjax.products.flowline.flowline_profiles`) and component, the largest
    |estimate − truth| over the epochs of the region means (the truth averaged over the region
    cells where the estimate is finite at that epoch), both counted from the first epoch.
    ``truth_displacement(t0, t1)`` → (north, east, up_spf, up_nspf) m on the grid.

    Returns ``{"marker_km": [...], "max_abs_error_m": {"<c>": [...]}}`` (None: no estimate)."""
    from gfjax.products.flowline import region_block

    rows, cols = flow["marker_row"].values, flow["marker_col"].values
    region_px = int(flow.attrs.get("region_px", 5))
    epochs = np.asarray(ts["decimal_year"].values if "decimal_year" in ts else ts["time"].values, np.float64)
    comps = [c for c in components if c in _TRUTH_INDEX and f"displacement_{c}" in ts]
    est = {c: np.asarray(ts[f"displacement_{c}"].transpose("time", "y", "x").values, np.float32) for c in comps}
    worst = {c: np.full(rows.size, np.nan) for c in comps}
    if not comps:
        return {"marker_km": [float(v) for v in flow["marker_km"].values], "max_abs_error_m": {}}
    truth = np.zeros((len(_TRUTH_INDEX),) + est[comps[0]].shape[1:], np.float64)
    for k in range(epochs.size):
        if k:
            truth += truth_displacement(float(epochs[k - 1]), float(epochs[k]))
        for c in comps:
            for m, (r, q) in enumerate(zip(rows, cols)):
                if r < 0 or q < 0:
                    continue
                e = region_block(est[c][k:k + 1], int(r), int(q), region_px)[0]
                t = region_block(truth[_TRUTH_INDEX[c]][None], int(r), int(q), region_px)[0]
                ok = np.isfinite(e)
                if ok.any():
                    err = abs(float(e[ok].mean() - t[ok].mean()))
                    worst[c][m] = err if not np.isfinite(worst[c][m]) else max(worst[c][m], err)
    return {"marker_km": [float(v) for v in flow["marker_km"].values],
            "max_abs_error_m": {c: [_json(v) for v in worst[c]] for c in comps}}


def truth_on_grid(truth, x, y, epsg: int | None = None) -> tuple[np.ndarray, Callable[[float, float], np.ndarray]]:
    """A scene's truth seen on another map grid (a run whose grid is not the scene's: the synthetic
    scene's Sentinel-1 products read over an AOI), for :func:`truth_metrics`.

    ``truth`` has ``grid`` (:class:`MapGrid`), ``ice_mask`` and ``interval_velocity(t0, t1)`` →
    (4, ny, nx) m/yr on that grid (the synthetic scene); ``x``, ``y`` are the other grid's cell
    centres (m, in ``truth.grid``'s CRS: ``epsg``, when given, must be it). Returns (the ice mask
    at ``x``, ``y``: nearest cell, False off the truth's grid; ``velocity(t0, t1)`` → (4, *x.shape)
    true mean velocity there, bilinear)."""
    from scipy.ndimage import map_coordinates

    if epsg is not None and int(epsg) != int(truth.grid.epsg):
        raise ValueError(f"truth_on_grid: the grid's EPSG:{epsg} is not the truth's EPSG:{truth.grid.epsg}")
    r, c = truth.grid.fractional_index(np.asarray(x, np.float64), np.asarray(y, np.float64))
    ice = map_coordinates(np.asarray(truth.ice_mask, np.float64), [r, c], order=0) > 0.5

    def velocity(t0: float, t1: float) -> np.ndarray:
        v = np.asarray(truth.interval_velocity(float(t0), float(t1)), np.float64)
        return np.stack([map_coordinates(v[k], [r, c], order=1, mode="nearest") for k in range(len(v))]
                        ).astype(np.float32)

    return ice, velocity


# a time this close to the series' first or last epoch is that epoch (an acquisition's time as a
# reference product gives it, from another reader's time stamp: a Sentinel-1 product's azimuth
# times differ from the simulator's acquisition time by milliseconds)
EPOCH_TOLERANCE_YEARS = 1.0 / (365.25 * 24.0)       # one hour


def displacement_at(ts: xr.Dataset, component: str, t: float) -> np.ndarray:
    """D(t) of one component (ny, nx) m, linear interpolation between epochs; NaN outside (a time
    within :data:`EPOCH_TOLERANCE_YEARS` of the first or last epoch counts as that epoch)."""
    times = np.asarray(ts["time"].values, np.float64)
    if times[0] - EPOCH_TOLERANCE_YEARS <= t < times[0]:
        t = float(times[0])
    elif times[-1] < t <= times[-1] + EPOCH_TOLERANCE_YEARS:
        t = float(times[-1])
    if not times[0] <= t <= times[-1]:
        return np.full((ts.sizes["y"], ts.sizes["x"]), np.nan, np.float32)
    i = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, times.size - 2))
    w = (t - times[i]) / (times[i + 1] - times[i])
    d = ts[f"displacement_{component}"].transpose("time", "y", "x")
    a = np.asarray(d[i].values, np.float64)
    b = np.asarray(d[i + 1].values, np.float64)
    return ((1 - w) * a + w * b).astype(np.float32)


def annual_speed(ts: xr.Dataset, year: int, span: tuple[float, float] | None = None) -> np.ndarray:
    """Horizontal speed (ny, nx) m/yr over [year.0, year+1.0] (or ``span``, decimal years: a
    reference product's own period) from the cumulative displacement:
    ``hypot(ΔD_north, ΔD_east) / Δt``; all NaN if the series does not cover the period."""
    t0, t1 = (float(year), float(year) + 1.0) if span is None else (float(span[0]), float(span[1]))
    horiz = [c for c in ("north", "east") if f"displacement_{c}" in ts]
    if not horiz:
        raise ValueError("time-series dataset: annual_speed needs displacement_north/east")
    sq = sum((displacement_at(ts, c, t1).astype(np.float64) - displacement_at(ts, c, t0)) ** 2 for c in horiz)
    return (np.sqrt(sq) / (t1 - t0)).astype(np.float32)


def reference_metrics(sar_speed, reference_speed, mask=None) -> dict:
    """{"r", "rmse_m_per_yr", "bias_m_per_yr", "n"} of SAR vs reference speed (m/yr) where
    ``mask`` (default all) and both are finite; bias = mean(SAR − reference)."""
    a = np.asarray(sar_speed, np.float64)
    b = np.asarray(reference_speed, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"sar_speed and reference_speed must have one shape, got {a.shape} and {b.shape}")
    ok = np.isfinite(a) & np.isfinite(b)
    if mask is not None:
        ok &= np.asarray(mask, bool)
    a, b = a[ok], b[ok]
    n = int(a.size)
    if n == 0:
        return {"r": None, "rmse_m_per_yr": None, "bias_m_per_yr": None, "n": 0}
    d = a - b
    r = None
    if n >= 2 and a.std() > 0 and b.std() > 0:
        r = _json(np.corrcoef(a, b)[0, 1])
    return {"r": r, "rmse_m_per_yr": _json(np.sqrt(np.mean(d * d))), "bias_m_per_yr": _json(d.mean()), "n": n}


# --- reference product ---------------------------------------------------------------------------

_MAPPING_NAMES = ("spatial_ref", "mapping", "crs", "polar_stereographic", "transverse_mercator", "UTM_Projection")


def _dataset_crs(ds: xr.Dataset, var: str, name: str):
    from pyproj import CRS

    gm = ds[var].attrs.get("grid_mapping") or ds[var].encoding.get("grid_mapping")
    candidates = ([gm] if gm else []) + [m for m in _MAPPING_NAMES if m in ds.variables]
    for m in candidates:
        if m not in ds.variables:
            continue
        a = ds[m].attrs
        for key in ("crs_wkt", "spatial_ref"):
            if a.get(key):
                return CRS.from_wkt(a[key])
        for key in ("spatial_epsg", "epsg_code", "epsg"):
            if a.get(key) is not None:
                return CRS.from_user_input(int(str(a[key]).replace("EPSG:", "")))
        try:
            return CRS.from_cf(dict(a))
        except Exception:  # noqa: BLE001 - try the next candidate
            continue
    raise ValueError(f"{name}: variable {var!r} has no usable grid mapping (looked for {candidates})")


def _read_reference_netcdf(path: Path, grid: MapGrid, resampling: str) -> xr.Dataset:
    from rasterio.transform import Affine

    from ..io.itslive import grid_velocity, reproject_to_grid
    from ..io.netcdf import attach_grid

    with xr.open_dataset(path) as src:
        src = src.load()
    for v in ("vx", "vy"):
        if v not in src or src[v].dims[-2:] != ("y", "x"):
            raise ValueError(f"{path}: reference product needs variable {v!r} on dims (y, x); "
                             f"has {sorted(map(str, src.data_vars))}")
    crs = _dataset_crs(src, "vx", str(path))
    if src["y"].values[0] < src["y"].values[-1]:
        src = src.isel(y=slice(None, None, -1))
    x, y = np.asarray(src["x"].values, np.float64), np.asarray(src["y"].values, np.float64)
    dx, dy = float(x[1] - x[0]), float(y[0] - y[1])
    transform = Affine(dx, 0.0, x[0] - dx / 2, 0.0, -dy, y[0] + dy / 2)

    def warp(v):
        arr = np.asarray(src[v].values, np.float32)
        for key in ("missing_value", "_FillValue", "nodata"):     # in case the fill was not decoded
            fill = src[v].attrs.get(key, src.attrs.get("nodata") if key == "nodata" else None)
            if fill is not None and np.isfinite(float(np.asarray(fill).ravel()[0])):
                arr = np.where(arr == np.float32(np.asarray(fill).ravel()[0]), np.nan, arr)
        return reproject_to_grid(arr, transform, crs, None, grid, resampling)

    u, w = warp("vx"), warp("vy")
    data = grid_velocity(u, w, crs, grid, label="reference ")
    attrs = dict(units="m/yr")
    if "v_error" in src:
        data["v_error"] = (("y", "x"), warp("v_error"), dict(attrs, long_name="reference speed error"))
    ds = xr.Dataset(data, attrs=dict(source=f"{path.name}", source_crs=crs.to_string(),
                                     comment="vx/vy reprojected and rotated into grid east/north"))
    for key in ("t_start", "t_end"):  # the product's period (decimal years) when it says so
        if key in src.attrs:
            ds.attrs[key] = float(src.attrs[key])
    return attach_grid(ds, grid)


def read_reference_on_grid(path_or_paths, grid: MapGrid, resampling: str = "bilinear") -> xr.Dataset:
    """Reference (ITS_LIVE-style) annual velocity on ``grid``: Dataset ``vx`` (east), ``vy``
    (north), ``v`` (speed), and ``v_error`` when the source has it, m/yr, NaN = no data.

    ``path_or_paths``: a NetCDF file with ``vx``/``vy`` on (y, x) and a CF grid mapping in any
    CRS (what the scene stage writes with ``gfjax.sim.write_reference_product(scene, year,
    "scene/reference_velocity_<year>.nc")``: 120 m grid, fill −32767); a pair
    ``(vx.tif, vy.tif)`` of ITS_LIVE GeoTIFFs; or a folder holding exactly one ``vx.tif`` /
    ``*_vx.tif`` and one ``vy.tif`` / ``*_vy.tif`` (``write_reference_product`` to a folder).
    """
    from ..io.itslive import read_itslive

    if isinstance(path_or_paths, (list, tuple)):
        if len(path_or_paths) != 2:
            raise ValueError(f"path_or_paths: expected (vx.tif, vy.tif), got {path_or_paths!r}")
        return read_itslive(path_or_paths[0], path_or_paths[1], grid, resampling)
    path = Path(path_or_paths)
    if path.is_dir():
        pair = []
        for name in ("vx", "vy"):
            found = sorted(path.glob(f"{name}.tif")) or sorted(path.glob(f"*_{name}.tif"))
            if len(found) != 1:
                raise ValueError(f"{path}: expected one {name}.tif or *_{name}.tif, found {[f.name for f in found]}")
            pair.append(found[0])
        return read_itslive(pair[0], pair[1], grid, resampling)
    if not path.is_file():
        raise ValueError(f"{path}: reference product not found")
    if path.suffix.lower() in (".tif", ".tiff"):
        raise ValueError(f"{path}: a single GeoTIFF cannot hold vx and vy; pass (vx.tif, vy.tif)")
    return _read_reference_netcdf(path, grid, resampling)
