"""Truth check of a run on the synthetic scene's SAFE products (``python -m gfjax.sim.safe_scene``).

A ``+experiment=sentinel1`` run on those products knows nothing of the simulator (its report has
no truth metrics); this script compares its MSBAS interval velocities (``products/timeseries.nc``)
with the scene's true mean velocity of each interval, on the ice, per component:

    python benchmarks/safe_truth.py RUN_DIR pixel_scale=4 grid_spacing_m=200 margin_m=1000 \\
        start=2017-06-01 end=2017-08-31

(the SceneSpec overrides the products were written with). Prints, per component, the number of
(interval, cell) values, the RMSE and median error (m/yr), the truth's spread and the correlation.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.ndimage import map_coordinates

from gfjax.core.scene_spec import SceneSpec
from gfjax.sim.scene import build_scene

COMPONENTS = ("north", "east", "up_spf", "up_nspf")


def main(run: str, overrides: list[str]) -> None:
    fields = {f.name for f in dataclasses.fields(SceneSpec)}
    kw = {}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in fields:
            raise SystemExit(f"{item!r}: not a SceneSpec field ({sorted(fields)})")
        kw[key] = type(getattr(SceneSpec(), key))(value)
    scene = build_scene(SceneSpec(**kw))
    with xr.open_dataset(Path(run) / "products" / "timeseries.nc", engine="h5netcdf") as ds:
        ds = ds.load()
    x, y = np.meshgrid(ds.x.values, ds.y.values)
    r, c = scene.grid.fractional_index(x, y)
    ice = map_coordinates(scene.ice_mask.astype(float), [r, c], order=0) > 0.5
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in COMPONENTS}
    for i in range(ds.sizes["interval"]):
        truth = scene.interval_velocity(float(ds.interval_start[i]), float(ds.interval_end[i]))
        for j, name in enumerate(COMPONENTS):
            t = map_coordinates(truth[j], [r, c], order=1)
            m = ds[f"velocity_{name}"].values[i]
            ok = ice & np.isfinite(m)
            pairs[name].append((m[ok], t[ok]))
    for name in COMPONENTS:
        m = np.concatenate([p[0] for p in pairs[name]])
        t = np.concatenate([p[1] for p in pairs[name]])
        e = m - t
        print(f"{name:8s} n {e.size:7d}  RMSE {np.sqrt(np.mean(e ** 2)):6.1f} m/yr  median error {np.median(e):6.1f}"
              f"  truth std {t.std():6.1f}  r {np.corrcoef(m, t)[0, 1]:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
