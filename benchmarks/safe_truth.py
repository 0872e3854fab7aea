"""Truth check of a run on the synthetic scene's SAFE products (``python -m gfjax.sim.safe_scene``).

A ``+experiment=sentinel1`` run on those products knows nothing of the simulator (its report has
no truth metrics); this script compares its MSBAS interval velocities (``products/timeseries.nc``)
with the scene's true mean velocity of each interval, on the ice, per component — the same
comparison ``+experiment=muldrow_safe`` puts in its ``report.json`` (``truth``):
:func:`gfjax.products.validation.truth_on_grid` and :func:`~gfjax.products.validation.truth_metrics`.

    python benchmarks/safe_truth.py RUN_DIR pixel_scale=4 grid_spacing_m=200 margin_m=1000 \\
        start=2017-06-01 end=2017-08-31

(the SceneSpec overrides the products were written with). Prints, per component, the number of
(interval, cell) values, the RMSE and the bias (m/yr); then the fast-ice speed bias.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from gfjax.core.scene_spec import SceneSpec
from gfjax.io.netcdf import decode_cf_time
from gfjax.products.validation import truth_metrics, truth_on_grid
from gfjax.sim.scene import build_scene


def main(run: str, overrides: list[str]) -> dict:
    fields = {f.name for f in dataclasses.fields(SceneSpec)}
    kw = {}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in fields:
            raise SystemExit(f"{item!r}: not a SceneSpec field ({sorted(fields)})")
        kw[key] = type(getattr(SceneSpec(), key))(value)
    scene = build_scene(SceneSpec(**kw))
    with xr.open_dataset(Path(run) / "products" / "timeseries.nc", engine="h5netcdf") as ds:
        ts = decode_cf_time(ds.load())
    x, y = np.meshgrid(ts.x.values, ts.y.values)
    ice, velocity = truth_on_grid(scene, x, y)
    t0, t1 = ts["interval_start"].values, ts["interval_end"].values
    truth = truth_metrics(ts, lambda k: velocity(t0[k], t1[k]), ice, 0.5 * (t0 + t1))
    for name, m in truth.items():
        if "rmse_m_per_yr" in m and name != "fast_ice_speed":
            print(f"{name:16s} n {m['n']:7d}  RMSE {m['rmse_m_per_yr']:6.1f} m/yr  bias {m['bias_m_per_yr']:6.1f} m/yr")
    fast = truth.get("fast_ice_speed", {})
    if fast.get("bias_percent") is not None:
        print(f"fast ice (> 1 m/day) speed bias {fast['bias_percent']:.1f} %  RMSE {fast['rmse_percent']:.1f} %")
    return truth


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
