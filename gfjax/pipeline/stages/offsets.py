"""Stage ``offsets``: track every consecutive pair of every track, one file per pair.

Pairs already tracked (or already consumed by the geocode stage) are skipped, so a killed run
resumes pair by pair. Each pair's offsets are compared with the scene's true radar offsets
at the window centres (valid windows only) and the errors go to ``report.json``.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gfjax.pipeline.provenance import atomic_write_bytes
from gfjax.pipeline.stage import REGISTRY, Stage

log = logging.getLogger("gfjax")

KEEP_VARS = ("azimuth_offset", "range_offset", "snr", "peak", "cov_azimuth", "cov_range",
             "cov_cross", "reason")


def pair_list(scene) -> list[tuple[str, int]]:
    return [(name, k) for name, tr in scene.tracks.items() for k in range(len(tr.pairs))]


def pair_file(folder: Path, track: str, k: int, suffix: str = ".nc") -> Path:
    return Path(folder) / f"{track}_{k:03d}{suffix}"


def write_dataset_atomic(ds, path: Path) -> Path:
    """NetCDF bytes through a temporary file + rename (never a half-written pair)."""
    return atomic_write_bytes(path, ds.to_netcdf(engine="h5netcdf"))


def _geocoded_file(ctx, track: str, k: int) -> Path:
    return pair_file(ctx.workdir / "work" / f"geocode-{ctx.fingerprints['geocode']}", track, k, ".npz")


def _pending(ctx, folder: Path) -> list[tuple[str, int]]:
    """Pairs with neither offsets nor geocoded output for the current config."""
    if (_geocoded_file(ctx, "x", 0).parent / "maps.nc").is_file():
        return []
    return [(t, k) for t, k in pair_list(ctx.scene)
            if not pair_file(folder, t, k).is_file() and not _geocoded_file(ctx, t, k).is_file()]


def offsets_complete(ctx) -> bool:
    folder = ctx.workdir / "work" / f"offsets-{ctx.fingerprints['offsets']}"
    return folder.is_dir() and not _pending(ctx, folder)


def previous_pair_prior(scene, folder: Path, track: str, k: int):
    """Prior of pair ``k`` from pair ``k - 1`` of the same track (if it was tracked), scaled by
    the ratio of their durations; None for a track's first pair."""
    import xarray as xr

    from gfjax.pipeline.priors import prior_from_result

    path = pair_file(folder, track, k - 1)
    if k == 0 or not path.is_file():
        return None
    with xr.open_dataset(path, engine="h5netcdf") as prev:
        prev = prev.load()
    t0, t1 = scene.pair_times(track, k)
    p0, p1 = scene.pair_times(track, k - 1)
    return prior_from_result(prev, (t1 - t0) / (p1 - p0))


def offset_errors(ds, truth_az: np.ndarray, truth_rg: np.ndarray) -> dict:
    """RMSE and bias (px) of valid offsets against the truth, and the valid fraction."""
    az, rg = ds["azimuth_offset"].values, ds["range_offset"].values
    ok = np.isfinite(az) & np.isfinite(rg)
    if not ok.any():
        return {"valid_fraction": 0.0}
    ea, er = (az - truth_az)[ok], (rg - truth_rg)[ok]
    return {"valid_fraction": float(ok.mean()),
            "rmse_azimuth_px": float(np.sqrt(np.mean(ea ** 2))), "rmse_range_px": float(np.sqrt(np.mean(er ** 2))),
            "median_abs_error_range_px": float(np.median(np.abs(er))),
            "bias_azimuth_px": float(ea.mean()), "bias_range_px": float(er.mean()),
            "max_abs_truth_range_px": float(np.nanmax(np.abs(truth_rg)))}


def run_offsets(ctx) -> dict:
    from gfjax.offsets import track_offsets

    scene, opts = ctx.scene, ctx.settings.offsets
    folder = ctx.stage_dir("offsets")
    todo = _pending(ctx, folder)
    log.info("offsets: %d pairs to track (%d already done)", len(todo), len(pair_list(scene)) - len(todo))
    n_windows, t_track, per_pair = 0, 0.0, []
    for track, k in tqdm(todo, desc="offsets: pairs", unit="pair", mininterval=5):
        ref, sec = scene.slc_pair(track, k)
        prior = previous_pair_prior(scene, folder, track, k) if opts.pair_prior == "previous_pair" else None
        t0 = time.perf_counter()
        ds = track_offsets(ref, sec, options=opts, **({} if prior is None else
                                                      {"prior_azimuth": prior[0], "prior_range": prior[1]}))
        t_track += time.perf_counter() - t0
        del ref, sec
        AZ, RG = np.meshgrid(ds["azimuth"].values, ds["range"].values, indexing="ij")
        taz, trg = scene.true_radar_offsets(track, k, AZ, RG)
        err = offset_errors(ds, np.asarray(taz), np.asarray(trg))
        t_ref, t_sec = scene.pair_times(track, k)
        ds = ds[list(KEEP_VARS)]
        ds.attrs.update(track=track, pair=k, t_reference=t_ref, t_secondary=t_sec,
                        window=list(opts.window), step=list(opts.step))
        write_dataset_atomic(ds, pair_file(folder, track, k))
        n_windows += ds["azimuth_offset"].size
        per_pair.append({"track": track, "pair": k, "days": round((t_sec - t_ref) * 365.25, 2), **err})
        if err["valid_fraction"] < 0.05:
            log.warning("offsets: pair %s/%d has %.1f%% valid windows (almost all rejected); kept as "
                        "partial coverage", track, k, 100 * err["valid_fraction"])
    metrics = {"pairs_tracked": len(todo), "pairs_total": len(pair_list(scene)), "windows": n_windows,
               "tracking_seconds": round(t_track, 2),
               "windows_per_second": round(n_windows / t_track, 1) if t_track > 0 else None}
    if per_pair:
        for key in ("valid_fraction", "rmse_range_px", "rmse_azimuth_px"):
            vals = [p[key] for p in per_pair if key in p]
            if vals:
                metrics[f"median_{key}"] = float(np.median(vals))
        metrics["worst_pairs"] = sorted(per_pair, key=lambda p: -p.get("rmse_range_px", np.inf))[:5]
    return metrics


REGISTRY.add(Stage("offsets", run_offsets, sections=("scene", "offsets"), requires=("scene",),
                   description="offset tracking of every consecutive pair", is_complete=offsets_complete))
