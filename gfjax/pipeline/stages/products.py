"""Stage ``products``: mean velocity (ITS_LIVE names) as NetCDF + GeoTIFF, flowline profiles and
marker series, validation against the scene's truth and the reference (ITS_LIVE-style)
product, figures and animation. Thresholds such as ``products.rank_threshold`` only re-run this
stage (MSBAS results are read from ``products/timeseries.nc``)."""
from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from gfjax.pipeline.provenance import netcdf_provenance_attrs, provenance
from gfjax.pipeline.stage import REGISTRY, Stage, StageError
from gfjax.pipeline.stages.offsets import write_dataset_atomic
from gfjax.pipeline.stages.scene import REFERENCE_YEARS, reference_years

log = logging.getLogger("gfjax")


def load_timeseries(ctx) -> xr.Dataset:
    path = ctx.workdir / "products" / "timeseries.nc"
    if not path.is_file():
        raise StageError(f"{path} is missing: run the msbas stage first (stages=[msbas,products])")
    from gfjax.io.netcdf import decode_cf_time

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return decode_cf_time(ds.load())


def validate(ctx, ts: xr.Dataset, flow: xr.Dataset | None = None) -> tuple[dict, dict]:
    """(metrics for report.json, arrays for the validation figure). Truth metrics need a scene
    with a truth (or the synthetic scene's SAFE products, ``data.source=safe_sim``); the reference
    products are the synthetic scene's (scene stage, or written beside its SAFE products) or a
    stack's ``data.reference`` (none: no validation)."""
    from gfjax.pipeline.data import has_truth, reference_products, truth_on_run_grid
    from gfjax.products.validation import annual_speed, read_reference_on_grid, reference_metrics, truth_metrics

    scene, grid = ctx.scene, ctx.grid
    t0, t1 = ts["interval_start"].values, ts["interval_end"].values
    metrics = {}
    truth = truth_on_run_grid(ctx.settings, scene, grid)
    if truth is not None:
        ice, velocity = truth
        metrics["truth"] = truth_metrics(ts, lambda k: velocity(float(t0[k]), float(t1[k])), ice, 0.5 * (t0 + t1))
        tracking = ctx.report.get("stages", {}).get("offsets", {}).get("tracking_per_year_class")
        if tracking:  # the offsets stage's windows per speed class (kept, false matches)
            metrics["truth"]["tracking"] = {"per_year": tracking}
        if flow is not None and "marker_row" in flow and has_truth(scene):  # cumulative vertical at the markers
            from gfjax.products.validation import marker_truth_errors

            metrics["truth"]["markers"] = marker_truth_errors(flow, ts, scene.displacement)
    reference, arrays = {}, {}
    products = reference_products(ctx.settings, ctx.workdir, reference_years(scene) if has_truth(scene) else ())
    for year, path in products.items():
        if not path.exists():
            log.warning("validation: reference product %s missing (run the scene stage)", path)
            continue
        ref = read_reference_on_grid(path, grid)
        span = (ref.attrs["t_start"], ref.attrs["t_end"]) if "t_start" in ref.attrs else None
        sar = annual_speed(ts, int(year), span)
        ref_v = np.asarray(ref["v"].values, np.float32)
        mask = scene.ice_mask & np.isfinite(sar) & np.isfinite(ref_v)
        reference[year] = reference_metrics(sar, ref_v, mask)
        arrays[year] = {"sar": sar[mask], "reference": ref_v[mask]}
    return {**metrics, "validation": reference}, arrays


def validation_note(ctx) -> str:
    """Why the validation figure has no comparison (shown in its empty panel)."""
    from gfjax.pipeline.data import reference_products

    if not reference_products(ctx.settings, ctx.workdir, REFERENCE_YEARS):
        return ("no reference product to compare with: data.reference names none "
                "(a NetCDF with vx/vy or a folder with ITS_LIVE vx.tif/vy.tif per year)")
    return "the reference products named by data.reference are missing (see run.log)"


def run_products(ctx) -> dict:
    from gfjax.io.netcdf import attach_grid
    from gfjax.products.cf import cf_product
    from gfjax.products.flowline import flowline_profiles
    from gfjax.products.velocity import mean_velocity, write_velocity_geotiffs

    p, scene, grid = ctx.settings.products, ctx.scene, ctx.grid
    ts = load_timeseries(ctx)
    prov = netcdf_provenance_attrs(provenance(config=ctx.config, inputs=["products/timeseries.nc"]))

    mean = mean_velocity(ts, rank_threshold=p.rank_threshold)
    mean.attrs.update(prov, title="gfjax mean (linear-regression) velocity")
    write_dataset_atomic(cf_product(attach_grid(mean, grid)), ctx.path("products", "mean_velocity.nc"))
    tifs = write_velocity_geotiffs(mean, grid, ctx.path("products", "geotiff", "x").parent, cog=ctx.settings.output.cog)
    if getattr(scene, "has_dem", True):  # the DEM used for SPF: base layer of the report map
        from gfjax.io.geotiff import write_geotiff

        tifs.append(write_geotiff(ctx.path("products", "geotiff", "dem.tif"), scene.dem, grid, band_names=["dem"],
                                  cog=ctx.settings.output.cog, units="m", long_names=["surface elevation"]))

    fl, flow = scene.flowline, None
    if fl is not None:  # a stack may have no flowline.geojson: no profiles then
        first, last = p.marker_range_km
        markers = np.arange(first, last + 1e-6, p.marker_spacing_km)
        flow = flowline_profiles(ts, grid, fl.x, fl.y, fl.distance_m, marker_km=tuple(markers), region_px=p.region_px)
        flow.attrs.update(prov, title="gfjax central-flowline profiles and marker time series")
        write_dataset_atomic(cf_product(flow), ctx.path("products", "flowline.nc"))

    metrics, arrays = validate(ctx, ts, flow)
    figures = []
    if p.figures:
        from gfjax.plots.products import plot_products

        paths = plot_products(ts, mean, flow, arrays, grid, scene.outline_xy,
                              None if fl is None else np.stack([fl.x, fl.y], 1),
                              scene.dem if getattr(scene, "has_dem", True) else np.full(grid.shape, np.nan),
                              ctx.path("figures", "x").parent, dpi=p.dpi, animation=p.animation,
                              validation_note=None if arrays else validation_note(ctx))
        figures = [str(q.relative_to(ctx.workdir)) for q in paths]
    val = metrics["validation"]
    rs = [v["r"] for v in val.values() if v.get("r") is not None]
    objective = float(np.mean(rs)) if rs else None  # mean validation r: what sweeps maximise
    return {**metrics, "objective": objective, "geotiffs": [str(t.relative_to(ctx.workdir)) for t in tifs], "figures": figures,
            "rank_threshold": p.rank_threshold,
            "masked_by_rank": int(np.isnan(mean["vx"].values).sum() - np.isnan(ts["linear_rate_east"].values).sum())}


REGISTRY.add(Stage("products", run_products, sections=("products", "data.reference"), requires=("msbas",),
                   root_only=True,
                   description="products, flowline analysis, validation, figures",
                   code=("gfjax.products", "gfjax.plots")))
