"""Stage ``scene``: build the synthetic Muldrow scene (or read a stack folder, ``data.source``),
record its acquisitions and pairs, write the ITS_LIVE-style reference products (synthetic
scene only: they come from its truth), and draw the scene figures."""
from __future__ import annotations

import csv
import io
import logging
import time

import numpy as np

from gfjax.pipeline.data import has_truth, source
from gfjax.pipeline.provenance import atomic_write_text
from gfjax.pipeline.stage import REGISTRY, Stage

log = logging.getLogger("gfjax")

REFERENCE_YEARS = (2017, 2018, 2020, 2021)  # quiet years and the surge years


def acquisitions_csv(scene) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["track", "direction", "index", "time_utc", "decimal_year"])
    for name, tr in scene.tracks.items():
        for i, (t, y) in enumerate(zip(tr.times, tr.decimal_years)):
            w.writerow([name, tr.direction, i, str(t), f"{y:.6f}"])
    return buf.getvalue()


def pairs_csv(scene) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["track", "pair", "reference", "secondary", "t_reference", "t_secondary", "days"])
    for name, tr in scene.tracks.items():
        for k, (i, j) in enumerate(tr.pairs):
            days = (tr.times[j] - tr.times[i]) / np.timedelta64(1, "D")
            w.writerow([name, k, i, j, str(tr.times[i]), str(tr.times[j]), f"{days:.3f}"])
    return buf.getvalue()


def track_summary(scene) -> dict:
    return {name: {"direction": tr.direction, "heading_deg": tr.heading_deg,
                   "incidence_deg": tr.incidence_deg, "n_dates": int(len(tr.times)),
                   "n_pairs": int(len(tr.pairs)), "radar_shape": list(tr.shape),
                   "first": str(tr.times[0]), "last": str(tr.times[-1])}
            for name, tr in scene.tracks.items()}


def stack_metrics(scene) -> dict:
    """What the scene stage reports for a stack folder (no truth, no reference products)."""
    tracks = track_summary(scene)
    for name, tr in scene.tracks.items():
        tracks[name]["precomputed_offsets"] = len(getattr(tr, "offset_stems", {}))
        if hasattr(tr, "acqs"):  # Sentinel-1 products: swath, and per acquisition the orbit used
            tracks[name]["swath"] = tr.swath
            tracks[name]["orbits"] = [{"time": str(a.time), **a.orbit_report[0]} for a in tr.acqs]
            for a in tr.acqs:
                for rep in a.orbit_report:
                    if rep.get("orbit_warning"):
                        log.warning("scene: %s %s: %s", name, a.time, rep["orbit_warning"])
    return {"source": str(scene.path),
            "grid": {"shape": list(scene.grid.shape), "spacing_m": scene.grid.spacing, "epsg": scene.grid.epsg},
            "ice_cells": int(scene.ice_mask.sum()), "tracks": tracks,
            "n_pairs": sum(t["n_pairs"] for t in tracks.values()),
            "flowline_length_km": (None if scene.flowline is None
                                   else round(float(scene.flowline.distance_m[-1]) / 1e3, 2))}


def reference_years(scene) -> list[int]:
    """The :data:`REFERENCE_YEARS` a simulated scene covers (a month of overlap with the
    acquisitions common to its tracks, ``gfjax.sim.reference.reference_span``): the reference
    products the scene stage writes and the products stage validates against."""
    from gfjax.sim.reference import reference_span  # a simulation: the simulator is loaded

    years = []
    for year in REFERENCE_YEARS:
        try:
            reference_span(scene, year)
        except ValueError as err:  # a scene that does not cover the year: no product for it
            log.info("scene: no reference product for %d (%s)", year, err)
            continue
        years.append(year)
    return years


def run_scene(ctx) -> dict:
    scene = ctx.scene
    atomic_write_text(ctx.path("scene", "acquisitions.csv"), acquisitions_csv(scene))
    atomic_write_text(ctx.path("scene", "pairs.csv"), pairs_csv(scene))
    if not has_truth(scene):
        metrics = stack_metrics(scene)
        if source(ctx.settings) == "safe_sim":  # the synthetic scene's products, written by this run or an earlier one
            from gfjax.pipeline.safe_sim import products_report

            metrics["safe_products"] = products_report(ctx.workdir)
        return metrics
    from gfjax.sim import write_reference_product  # a simulation: the simulator is loaded

    references = {}
    for year in reference_years(scene):
        path = ctx.path("scene", f"reference_velocity_{year}.nc")
        write_reference_product(scene, year, path)
        references[str(year)] = str(path.relative_to(ctx.workdir))

    # Time one simulated SLC pair (the cost every later offsets run pays per pair).
    first = next(iter(scene.tracks))
    t0 = time.perf_counter()
    scene.slc_pair(first, 0)
    slc_s = time.perf_counter() - t0

    figures = []
    if ctx.settings.products.figures:
        from gfjax.plots.scene import plot_scene

        figures = [str(p.relative_to(ctx.workdir)) for p in plot_scene(scene, ctx.path("figures", "scene"))]

    tracks = track_summary(scene)
    return {
        "grid": {"shape": list(scene.grid.shape), "spacing_m": scene.grid.spacing, "epsg": scene.grid.epsg},
        "ice_cells": int(scene.ice_mask.sum()),
        "flowline_length_km": round(float(scene.flowline.distance_m[-1]) / 1e3, 2),
        "tracks": tracks,
        "n_pairs": sum(t["n_pairs"] for t in tracks.values()),
        "slc_pair_seconds": round(slc_s, 3),
        "reference_products": references,
        "figures": figures,
    }


# data.reference only changes the products stage (a new validation product re-tracks nothing)
DATA_KEYS = ("data.source", "data.path", "data.tracks", "data.frames", "data.start", "data.end", "data.aoi",
             "data.bbox", "data.dem", "data.dem_datum", "data.geoid", "data.orbits", "data.margin_m")

REGISTRY.add(Stage("scene", run_scene, sections=(*DATA_KEYS, "scene"), root_only=True,
                   description="the scene (synthetic Muldrow, a stack folder, Sentinel-1 products): acquisitions, pairs, "
                               "reference products, figures",
                   code=("gfjax.sim", "gfjax.pipeline.data", "gfjax.io.stack", "gfjax.io.stack_rasters",
                         "gfjax.io.msbas_scene", "gfjax.io.autorift", "gfjax.pipeline.sentinel1", "gfjax.pipeline.safe_sim",
                         "gfjax.io.s1_scene",
                         "gfjax.io.s1_catalog", "gfjax.io.safe", "gfjax.io.orbit", "gfjax.io.dem", "gfjax.io.geoid",
                         "gfjax.geometry.lookup", "gfjax.geometry.rdr", "gfjax.offsets.deramp")))
