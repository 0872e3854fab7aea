"""Stage ``geocode``: offsets (px, radar geometry) → filtered displacements (m) on the common
map grid, both tracks, range (line of sight) and azimuth; assembled into one map stack.

Per pair: pixel offsets → metres with the MSBAS signs, NaN-aware Gaussian filter
(``geometry.filter_width_m``, full 6σ width, on the ground spacing of the offset grid), then
NaN-aware bilinear geocoding through the track's map → radar lookup table. Each pair's result
is saved before its offsets are released to the run context (``RunContext.consumed``: removed,
with a receipt, unless ``output.keep_intermediates``), so a killed run resumes where it stopped.
The stack ``maps.nc`` (:mod:`gfjax.io.map_stack`: written one map at a time, chunked by pixel
blocks, so it is never whole in memory) carries per map: track, kind (range|azimuth), set
index, master/slave decimal years.
"""
from __future__ import annotations

import logging

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from gfjax.pipeline.provenance import atomic_write_with
from gfjax.pipeline.stage import REGISTRY, Stage, StageError
from gfjax.pipeline.stages.offsets import pair_file, pair_list, write_dataset_atomic

log = logging.getLogger("gfjax")

KINDS = ("range", "azimuth")


def map_sets(scene) -> list[dict]:
    """MSBAS sets: for each track, its range (LOS) and azimuth offsets, with projection vectors."""
    from gfjax.geometry import projection_vectors

    sets = []
    for name, tr in scene.tracks.items():
        s_range, s_azimuth = projection_vectors(tr.heading_deg, tr.incidence_deg)
        for kind, vec in zip(KINDS, (s_range, s_azimuth)):
            sets.append({"track": name, "kind": kind, "vector": np.asarray(vec, np.float64),
                         "heading_deg": tr.heading_deg, "incidence_deg": tr.incidence_deg})
    return sets


def geocode_pair(ds: xr.Dataset, track, lut, filter_width_m: float, min_valid_fraction: float) -> np.ndarray:
    """(2, ny, nx) float32 displacement (range/LOS, azimuth) in m on the map grid."""
    from gfjax.filters import gaussian_filter
    from gfjax.geometry import geocode_maps, offsets_to_displacement

    d_az, d_los = offsets_to_displacement(ds["azimuth_offset"].values, ds["range_offset"].values,
                                          track.azimuth_spacing_m, track.range_spacing_m)
    stack = np.stack([d_los, d_az]).astype(np.float32)
    az, rg = ds["azimuth"].values, ds["range"].values
    step = (float(az[1] - az[0]) if az.size > 1 else 1.0, float(rg[1] - rg[0]) if rg.size > 1 else 1.0)
    ground_spacing = (step[0] * track.azimuth_spacing_m,
                      step[1] * track.range_spacing_m / np.sin(np.radians(track.incidence_deg)))
    if filter_width_m > 0:
        stack = gaussian_filter(stack, ground_spacing, filter_width_m)
    out = geocode_maps(stack, (float(az[0]), float(rg[0])), step, lut[0], lut[1],
                       min_weight=min_valid_fraction)
    return np.asarray(out, dtype=np.float32)


def truth_errors(scene, track_name: str, k: int, maps: np.ndarray, sets: list[dict]) -> dict:
    """RMSE (m) of the geocoded range and azimuth displacements against the projected truth, on
    ice; the coverage of the ice only when the scene has no truth (a user's stack)."""
    from gfjax.pipeline.data import has_truth

    if not has_truth(scene):
        return {f"coverage_{kind}": float(np.isfinite(maps[i])[scene.ice_mask].mean()) for i, kind in enumerate(KINDS)}
    disp = scene.pair_displacement(track_name, k)  # (north, east, up_spf, up_nspf), m
    neu = np.stack([disp[0], disp[1], disp[2] + disp[3]])
    out = {}
    for i, kind in enumerate(KINDS):
        vec = next(s["vector"] for s in sets if s["track"] == track_name and s["kind"] == kind)
        truth = np.tensordot(vec, neu, axes=1)
        ok = np.isfinite(maps[i]) & scene.ice_mask
        if ok.any():
            out[f"rmse_{kind}_m"] = float(np.sqrt(np.mean((maps[i] - truth)[ok] ** 2)))
        out[f"coverage_{kind}"] = float(np.isfinite(maps[i])[scene.ice_mask].mean())
    return out


def _save_npz(path, **arrays) -> None:
    """``numpy.savez`` straight to ``path`` (a temporary name without ``.npz``), no copy in memory."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def screen_pairs(ctx, src, folder, mine: list[tuple[str, int]]) -> dict:
    """The temporal consistency screen (``geometry.consistency_*``, :mod:`gfjax.pipeline.consistency`):
    a keep-mask per pair of ``mine`` not geocoded yet, saved before any offsets are consumed (all
    ranks: a barrier follows). Returns its counts over all ranks for ``report.json``."""
    from gfjax.pipeline.consistency import keep_file, keep_mask

    geo, workers = ctx.settings.geometry, ctx.workers
    if geo.consistency_pairs <= 0:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    cache: dict = {}
    counts = np.zeros(3, np.int64)
    for track, k in tqdm(mine, desc="geocode: consistency", unit="pair", mininterval=5, disable=not workers.is_root):
        dest = keep_file(folder, track, k)
        if dest.is_file() or pair_file(folder, track, k, ".npz").is_file():
            continue
        try:
            keep, n = keep_mask(ctx.scene, src, track, k, geo.consistency_pairs, geo.consistency_tolerance_px,
                                geo.consistency_relative, geo.consistency_keep_isolated, cache)
        except FileNotFoundError as err:
            raise StageError(f"{err}; re-run with stages=[offsets,geocode,...]") from None
        atomic_write_with(dest, lambda tmp: _save_npz(tmp, keep=keep))
        counts += (n["valid"], n["kept"], n["isolated"])
    total = workers.allreduce(counts)  # also the barrier: no rank consumes offsets before all masks exist
    log.info("geocode: temporal consistency kept %d of %d valid windows (%d without a valid neighbour)",
             total[1], total[0], total[2])
    return {"consistency_valid_windows": int(total[0]), "consistency_kept_windows": int(total[1]),
            "consistency_isolated_windows": int(total[2])}


def maps_path(ctx):
    return ctx.workdir / "work" / f"geocode-{ctx.fingerprints['geocode']}" / "maps.nc"


def run_geocode(ctx) -> dict:
    from gfjax.pipeline.data import MAP_SOURCES, source

    if source(ctx.settings) in MAP_SOURCES:  # the maps exist (MSBAS inputs, autoRIFT): written as the stack
        ds = ctx.scene.map_stack()
        if ctx.workers.is_root:
            write_dataset_atomic(ds, maps_path(ctx))
        ctx.workers.barrier()
        return {"maps": int(ds.sizes["map"]), "grid_shape": list(ctx.grid.shape), "source": str(ctx.scene.path)}
    scene, geo, out_cfg = ctx.scene, ctx.settings.geometry, ctx.settings.output
    grid = ctx.grid
    src = ctx.existing_stage_dir("offsets")
    folder = ctx.stage_dir("geocode")
    sets = map_sets(scene)
    luts = {name: tr.map_to_radar() for name, tr in scene.tracks.items()}
    pairs = pair_list(scene)
    from gfjax.pipeline.interrupts import check as check_interrupt
    from gfjax.pipeline.stages.offsets import my_pairs
    from gfjax.pipeline.stages.offsets_geometry import reference_lookup

    errors = []
    workers = ctx.workers
    mine = my_pairs(ctx) if ctx.settings.parallel.chunk is None else pairs
    screen = screen_pairs(ctx, src, folder, mine)
    for track, k in tqdm(mine, desc="geocode: pairs", unit="pair", mininterval=5, disable=not workers.is_root):
        check_interrupt()
        dest = pair_file(folder, track, k, ".npz")
        if dest.is_file():
            continue
        path = pair_file(src, track, k)
        if not path.is_file():
            raise StageError(f"offsets of pair {track}/{k} missing ({path}); re-run with stages=[offsets,geocode,...]")
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
        if geo.consistency_pairs > 0:
            from gfjax.pipeline.consistency import keep_file, screened

            with np.load(keep_file(folder, track, k)) as z:
                ds = screened(ds, z["keep"])
        lut = reference_lookup(scene, track, k) or luts[track]  # Sentinel-1: the pair's reference acquisition
        maps = geocode_pair(ds, scene.tracks[track], lut, geo.filter_width_m, geo.min_valid_fraction)
        if not np.isfinite(maps).any():
            log.warning("geocode: pair %s/%d has no valid value on the map grid (no overlap or all "
                        "rejected); kept as an empty map", track, k)
        atomic_write_with(dest, lambda tmp: _save_npz(tmp, maps=maps, t_reference=ds.attrs["t_reference"],
                                                      t_secondary=ds.attrs["t_secondary"]))
        errors.append({"track": track, "pair": k, **truth_errors(scene, track, k, maps, sets)})
        ctx.consumed(path, standing_for=dest)  # the runner's discipline: gone once used

    errors = [e for part in (workers.gather(errors) or []) for e in part]
    workers.barrier()
    if not workers.is_root:  # rank 0 assembles the stack
        workers.barrier()
        return {}
    # The stack on disk, map j = (pair, kind) in track/pair order, written one map at a time
    # (gfjax.io.map_stack: chunked by pixel blocks, never whole in memory).
    meta = []
    set_index = {(s["track"], s["kind"]): i for i, s in enumerate(sets)}
    for track, k in pairs:
        with np.load(pair_file(folder, track, k, ".npz")) as z:
            times = float(z["t_reference"]), float(z["t_secondary"])
        for kind in KINDS:
            meta.append((track, kind, set_index[(track, kind)], times[0], times[1], k))
    cover: list[float] = []

    def layers():
        for track, k in pairs:
            with np.load(pair_file(folder, track, k, ".npz")) as z:
                maps = z["maps"]
            for i in range(len(KINDS)):
                cover.append(float(np.isfinite(maps[i])[scene.ice_mask].mean()))
                yield maps[i]
    from gfjax.io.map_stack import write_map_stack
    from gfjax.io.netcdf import GRID_MAPPING, attach_grid, grid_coords
    ds = xr.Dataset(
        coords={"track": ("map", [m[0] for m in meta]), "kind": ("map", [m[1] for m in meta]),
                "set_index": ("map", np.array([m[2] for m in meta], np.int32)),
                "t_master": ("map", np.array([m[3] for m in meta])),
                "t_slave": ("map", np.array([m[4] for m in meta])),
                "pair": ("map", np.array([m[5] for m in meta], np.int32)),
                "set_vector": (("set", "neu"), np.stack([s["vector"] for s in sets])),
                "set_track": ("set", [s["track"] for s in sets]), "set_kind": ("set", [s["kind"] for s in sets])},
        attrs={"filter_width_m": geo.filter_width_m, "grid_spacing_m": grid.spacing})
    ds = attach_grid(ds.assign_coords(grid_coords(grid)), grid)
    attrs = {"units": "m", "long_name": "displacement along the set's projection vector (range: toward the satellite)",
             "grid_mapping": GRID_MAPPING}
    atomic_write_with(maps_path(ctx), lambda tmp: write_map_stack(tmp, ds, layers(), attrs))
    if ctx.disk is not None:
        ctx.disk.sample()  # the run directory's fullest moment: the stack and its per-pair parts
    if not out_cfg.keep_intermediates:
        from gfjax.pipeline.consistency import keep_file

        for track, k in pairs:
            pair_file(folder, track, k, ".npz").unlink(missing_ok=True)
            keep_file(folder, track, k).unlink(missing_ok=True)
    workers.barrier()
    covered = np.array(cover)
    metrics = {**screen, "maps": len(meta), "grid_shape": list(grid.shape),
               "stack_mb": round(len(meta) * grid.ny * grid.nx * 4 / 2 ** 20, 1),
               "median_ice_coverage": float(np.median(covered)),
               "maps_without_data": int((covered == 0).sum())}
    for kind in KINDS:
        vals = [e[f"rmse_{kind}_m"] for e in errors if f"rmse_{kind}_m" in e]
        if vals:
            metrics[f"median_rmse_{kind}_m"] = float(np.median(vals))
    return metrics


def geocode_complete(ctx) -> bool:
    return maps_path(ctx).is_file()


REGISTRY.add(Stage("geocode", run_geocode, sections=("geometry",), requires=("offsets",),
                   description="filter and geocode offsets onto the common map grid",
                   is_complete=geocode_complete, code=("gfjax.geometry", "gfjax.filters", "gfjax.io.map_stack",
                                                       "gfjax.consistency", "gfjax.pipeline.consistency")))
