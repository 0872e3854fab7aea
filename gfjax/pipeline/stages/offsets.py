"""Stage ``offsets``: track every consecutive pair of every track, one file per pair.

Images on disk (a stack folder) are read by windows (:func:`pair_images`): the tracker reads the
row strips each window batch needs, so host memory follows ``execution.offsets_memory_budget_mb``
and not the image size.

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

from gfjax.pipeline.stage import REGISTRY, Stage

log = logging.getLogger("gfjax")

KEEP_VARS = ("azimuth_offset", "range_offset", "snr", "peak", "cov_azimuth", "cov_range",
             "cov_cross", "reason")


def pair_list(scene) -> list[tuple[str, int]]:
    return [(name, k) for name, tr in scene.tracks.items() for k in range(len(tr.pairs))]


def pair_file(folder: Path, track: str, k: int, suffix: str = ".nc") -> Path:
    return Path(folder) / f"{track}_{k:03d}{suffix}"


def write_dataset_atomic(ds, path: Path) -> Path:
    """NetCDF (h5netcdf) written straight to a temporary file beside ``path``, then renamed: never
    a half-written file, and no in-memory copy of the serialised bytes."""
    from gfjax.pipeline.provenance import atomic_write_with

    return atomic_write_with(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def _pending(ctx, folder: Path) -> list[tuple[str, int]]:
    """Pairs whose offsets for the current config are neither on disk nor consumed by a stage
    whose outputs stand for them (``RunContext.available``: the offsets stage knows nothing of
    what comes downstream)."""
    return [(t, k) for t, k in pair_list(ctx.scene) if not ctx.available(pair_file(folder, t, k), producer="offsets")]


def offsets_complete(ctx) -> bool:
    folder = ctx.workdir / "work" / f"offsets-{ctx.fingerprints['offsets']}"
    return folder.is_dir() and not _pending(ctx, folder)


def previous_pair_prior(scene, folder: Path, track: str, k: int, depth: int = 1, min_snr: float = 0.0,
                        labels: np.ndarray | None = None, centres: tuple[np.ndarray, np.ndarray] | None = None):
    """Prior of pair ``k`` from the pairs ``k - 1`` … ``k - depth`` of the same track that were
    tracked (:func:`gfjax.pipeline.priors.prior_from_history`: per window its most recent
    reliable rate, scaled to this pair's duration; ``labels``: window labels, holes filled within
    a label); None for a track's first pair. ``centres``: this pair's window centres (azimuth,
    range px): an earlier pair tracked on another window grid (Sentinel-1: each reference has its
    own burst layout, a line or a sample apart) is taken at its nearest windows (within half a
    step; the offsets are motion only, so a line's difference in position does not matter)."""
    import xarray as xr

    from gfjax.pipeline.priors import prior_from_history

    t0, t1 = scene.pair_times(track, k)
    previous, scales = [], []
    for j in range(k - 1, max(k - depth, 0) - 1, -1):
        path = pair_file(folder, track, j)
        if not path.is_file():
            if j == k - 1:
                return None  # the previous pair is not tracked (another rank / chunk): no prior
            continue
        with xr.open_dataset(path, engine="h5netcdf") as prev:
            p = prev[["azimuth_offset", "range_offset", "snr"]].load()
        if centres is not None and (p.azimuth.size != centres[0].size or p["range"].size != centres[1].size
                                    or not (np.allclose(p.azimuth.values, centres[0])
                                            and np.allclose(p["range"].values, centres[1]))):
            tol = [0.5 * float(np.median(np.diff(c))) if c.size > 1 else 1.0 for c in centres]
            p = p.reindex(azimuth=centres[0], method="nearest", tolerance=tol[0]) \
                 .reindex(range=centres[1], method="nearest", tolerance=tol[1])
        previous.append(p)
        p0, p1 = scene.pair_times(track, j)
        scales.append((t1 - t0) / (p1 - p0))
    return prior_from_history(previous, scales, min_snr, labels) if previous else None


def tracking_mask(scene, track: str, shape: tuple[int, int], opts, lut=None) -> np.ndarray:
    """Windows near the glacier (``offsets.mask_buffer_m``) on the tracker's output grid (``lut``:
    the map → radar table of the pair's reference; default the track's)."""
    from gfjax.pipeline.priors import window_mask

    lut = scene.tracks[track].map_to_radar() if lut is None else lut
    cells = int(np.ceil(opts.mask_buffer_m / scene.grid.spacing))
    return window_mask(scene.ice_mask, lut[0], lut[1], *window_centres(shape, opts), cells)


def pair_segments(scene, track: str, k: int, shape: tuple[int, int], cache: dict, own=None) -> np.ndarray:
    """Glacier (1) / elsewhere (0) labels of the reference's radar pixels of pair ``k``
    (``offsets.segment_by_mask``): the scene's ice mask through the map → radar lookup table of
    the track, or ``own``, the pair reference's table (Sentinel-1:
    ``offsets_geometry.reference_lookup``), cached in ``cache``."""
    from gfjax.pipeline.priors import radar_segments

    key = ("segments", track) if own is None else ("segments", track, k)
    if key not in cache:
        lut = scene.tracks[track].map_to_radar() if own is None else own
        cache[key] = radar_segments(scene.ice_mask, lut[0], lut[1], shape)
    return cache[key]


def window_centres(shape: tuple[int, int], opts) -> tuple[np.ndarray, np.ndarray]:
    """The tracker's window centres (azimuth, range px) on an image of ``shape``."""
    from gfjax.offsets.tracker import window_grid

    ta, tr = window_grid(shape, opts)
    return ta + (opts.window[0] - 1) / 2.0, tr + (opts.window[1] - 1) / 2.0


def window_labels(segments: np.ndarray, opts) -> np.ndarray:
    """The label of each window's centre pixel (the tracker's output grid)."""
    from gfjax.offsets.tracker import window_grid

    ta, tr = window_grid(segments.shape, opts)
    return segments[np.ix_(ta + opts.window[0] // 2, tr + opts.window[1] // 2)]


def offset_errors(ds, truth_az: np.ndarray, truth_rg: np.ndarray) -> dict:
    """RMSE and bias (px) of valid offsets against the truth, and the valid fraction."""
    az, rg = ds["azimuth_offset"].values, ds["range_offset"].values
    ok = np.isfinite(az) & np.isfinite(rg)
    tracked = max(int((ds["reason"].values != 6).sum()), 1)  # 6: not tracked (masked / no prior)
    if not ok.any():
        return {"valid_fraction": 0.0}
    ea, er = (az - truth_az)[ok], (rg - truth_rg)[ok]
    return {"valid_fraction": float(ok.sum() / tracked),
            "rmse_azimuth_px": float(np.sqrt(np.mean(ea ** 2))), "rmse_range_px": float(np.sqrt(np.mean(er ** 2))),
            "median_abs_error_range_px": float(np.median(np.abs(er))),
            "bias_azimuth_px": float(ea.mean()), "bias_range_px": float(er.mean()),
            "max_abs_truth_range_px": float(np.nanmax(np.abs(truth_rg)))}


def pair_errors(scene, track: str, k: int, ds) -> dict:
    """:func:`offset_errors` against the scene's true offsets at the window centres; without a
    truth (a user's stack) the valid fraction only."""
    from gfjax.pipeline.data import has_truth

    if not has_truth(scene):
        ok = np.isfinite(ds["azimuth_offset"].values) & np.isfinite(ds["range_offset"].values)
        return {"valid_fraction": float(ok.sum() / max(int((ds["reason"].values != 6).sum()), 1))}
    AZ, RG = np.meshgrid(ds["azimuth"].values, ds["range"].values, indexing="ij")
    taz, trg = scene.true_radar_offsets(track, k, AZ, RG)
    out = offset_errors(ds, np.asarray(taz), np.asarray(trg))
    speed, ice = scene.true_radar_speed(track, k, AZ, RG)
    out["per_class"] = class_errors(ds, np.asarray(taz), np.asarray(trg), speed, ice)
    return out


GROSS_ERROR_PX = 1.0  # a valid offset farther than this from the truth (either axis) is a false match


def class_errors(ds, truth_az, truth_rg, speed_m_per_day, on_ice) -> dict:
    """Per speed class (true speed of the window, on ice; ``SPEED_CLASSES_M_PER_DAY``): tracked
    windows (reason ≠ 6), the fraction of them kept (valid), the fraction of the kept ones that
    are false matches (> ``GROSS_ERROR_PX`` from the truth), and the range RMSE (px) of the rest."""
    from gfjax.products.validation import SPEED_CLASSES_M_PER_DAY

    az, rg = ds["azimuth_offset"].values, ds["range_offset"].values
    tracked = on_ice & (ds["reason"].values != 6)
    ok = np.isfinite(az) & np.isfinite(rg)
    gross = ok & ((np.abs(az - truth_az) > GROSS_ERROR_PX) | (np.abs(rg - truth_rg) > GROSS_ERROR_PX))
    out = {}
    for name, lo, hi in SPEED_CLASSES_M_PER_DAY:
        sel = tracked & (speed_m_per_day >= lo) & (speed_m_per_day < hi)
        n, kept = int(sel.sum()), int((sel & ok).sum())
        good = sel & ok & ~gross
        out[name] = {"windows": n, "valid": kept, "gross": int((sel & gross).sum()),
                     "sq_err_range_px": float(np.sum((rg - truth_rg)[good] ** 2)), "good": int(good.sum())}
    return out


def tracking_per_year_class(per_pair: list[dict]) -> dict:
    """Per calendar year (of the pair's mid-time) and speed class: windows tracked, the fraction
    kept, the fraction of kept ones that are false matches, range RMSE (px) of the others."""
    sums: dict = {}
    for p in per_pair:
        year = str(int(np.floor(p["t_mid"]))) if "t_mid" in p else "all"
        for cls, c in p.get("per_class", {}).items():
            box = sums.setdefault(year, {}).setdefault(cls, dict.fromkeys(c, 0))
            for key, v in c.items():
                box[key] += v
    out: dict = {}
    for year, classes in sorted(sums.items()):
        out[year] = {cls: {"windows": c["windows"],
                           "valid_fraction": round(c["valid"] / c["windows"], 4) if c["windows"] else None,
                           "false_match_fraction": round(c["gross"] / c["valid"], 4) if c["valid"] else None,
                           "rmse_range_px": round(float(np.sqrt(c["sq_err_range_px"] / c["good"])), 4)
                           if c["good"] else None}
                     for cls, c in classes.items()}
    return out


def my_pairs(ctx) -> list[tuple[str, int]]:
    """The pairs this process handles (SLURM chunk, then MPI rank share)."""
    from gfjax.pipeline.parallel import select_pairs

    par = ctx.settings.parallel
    return select_pairs(pair_list(ctx.scene), ctx.workers.rank, ctx.workers.size, par.chunk, par.n_chunks)


def missing_chunks(ctx) -> str:
    """Names the SLURM chunks (of ``parallel.n_chunks``) whose pairs are not all tracked."""
    from gfjax.pipeline.parallel import chunk_of

    folder = ctx.workdir / "work" / f"offsets-{ctx.fingerprints['offsets']}"
    pending = _pending(ctx, folder)
    n = max(ctx.settings.parallel.n_chunks, 1)
    chunks = sorted({chunk_of(pair_list(ctx.scene), n)[p] for p in pending})
    shown = ", ".join(f"{t}/{k}" for t, k in pending[:8]) + (" …" if len(pending) > 8 else "")
    if not pending:
        return ""
    by = next((r["by"] for t, k in pending if (r := ctx.consumer_of(pair_file(folder, t, k)))), None)
    if by:
        return (f"force=true re-runs {by} from the per-pair offsets, and {len(pending)} pair(s) have "
                f"none ({shown}; {by} used them and they were removed (output.keep_intermediates=false))")
    if n == 1:
        return f"{len(pending)} pair(s) have no offsets ({shown})"
    return (f"{len(pending)} pair(s) have no offsets ({shown}); with parallel.n_chunks={n} that is "
            f"chunk(s) {chunks}: re-run those array tasks")


def global_sums(ctx, values: list, dtype: str = "float32") -> list:
    """Sum ``values`` over MPI ranks inside jit through mpi4jax (plain values with one process)."""
    if ctx.workers.size == 1:
        return values
    import jax
    import jax.numpy as jnp
    import mpi4jax
    from mpi4py import MPI

    comm = ctx.workers.comm
    total = jax.jit(lambda x: mpi4jax.allreduce(x, op=MPI.SUM, comm=comm))(jnp.asarray(values, dtype))
    return [v.item() for v in np.asarray(total)]


MAX_MEMORY_HALVINGS = 6  # offsets: halve the window batch at most this often (1/64) on out of memory


def track_pair(track, ref, sec, opts, label: str, **priors):
    """``track(ref, sec, options=opts, **priors)`` (``gfjax.offsets.track_offsets``); when a
    window batch runs out of device or host memory, the batch is halved (``execution.offsets_batch_size``
    if set, else ``execution.offsets_memory_budget_mb``) and the pair tracked again, with a warning, at
    most ``MAX_MEMORY_HALVINGS`` times. Returns ``(result, options used)``: later pairs start at
    the smaller batch. ``StageError`` naming the keys to lower when halving does not help.
    Results do not depend on the batch (windows are independent)."""
    import dataclasses

    from gfjax.memory import first_line, is_out_of_memory
    from gfjax.pipeline.stage import StageError

    for attempt in range(MAX_MEMORY_HALVINGS + 1):
        try:
            return track(ref, sec, options=opts, **priors), opts
        except Exception as err:
            if not is_out_of_memory(err):
                raise
            now = (f"execution.offsets_batch_size={opts.batch_size}" if opts.batch_size is not None
                   else f"execution.offsets_memory_budget_mb={opts.memory_budget_mb:g}")
            if attempt == MAX_MEMORY_HALVINGS or opts.batch_size == 1:
                raise StageError(
                    f"offsets: out of memory tracking pair {label} with {now} ({first_line(err)}), "
                    f"after halving the window batch {attempt} time(s): lower execution.offsets_memory_budget_mb "
                    "(windows per device call) or set execution.offsets_batch_size, or use smaller offsets.window/"
                    "search; for host memory ask for more (e.g. --mem). Pairs already tracked are kept: "
                    "a re-run resumes") from err
            if opts.batch_size is not None:
                smaller = dataclasses.replace(opts, batch_size=max(1, opts.batch_size // 2))
                new = f"execution.offsets_batch_size={smaller.batch_size}"
            else:
                smaller = dataclasses.replace(opts, memory_budget_mb=opts.memory_budget_mb / 2)
                new = f"execution.offsets_memory_budget_mb={smaller.memory_budget_mb:g}"
            log.warning("offsets: out of memory tracking pair %s with %s (%s); retrying with %s (set it "
                        "to start there; results do not depend on it)", label, now, first_line(err), new)
            opts = smaller
    raise AssertionError("unreachable")


def pair_geometry(scene, track: str, k: int, shape: tuple[int, int], opts):
    """The orbits' offsets at the windows of pair ``k`` (:mod:`gfjax.pipeline.stages.offsets_geometry`),
    None for a scene without them (synthetic, stack)."""
    from gfjax.pipeline.stages.offsets_geometry import geometric_prior

    if not hasattr(scene, "geometric_offsets"):
        return None
    return geometric_prior(scene, track, k, *window_centres(shape, opts))


def pair_images(scene, track: str, k: int):
    """The pair's two images: read from disk by windows where the scene can
    (``BlockRadarScene.slc_blocks``: the tracker then reads only the rows each window batch
    needs), else the whole arrays (``slc_pair``: the simulator computes them)."""
    if hasattr(scene, "slc_blocks"):
        return scene.slc_blocks(track, k)
    return scene.slc_pair(track, k)


def run_offsets(ctx) -> dict:
    from gfjax.offsets import track_offsets
    from gfjax.pipeline.interrupts import check as check_interrupt
    from gfjax.pipeline.stages.offsets_geometry import motion_only, reference_lookup, with_geometry

    scene, opts = ctx.scene, ctx.settings.offsets
    folder = ctx.stage_dir("offsets")
    pending = set(_pending(ctx, folder))
    todo = [p for p in my_pairs(ctx) if p in pending]
    from gfjax.pipeline.stages.offsets_input import import_precomputed

    todo, imported = import_precomputed(ctx, folder, todo)  # pairs with precomputed offsets: read
    log.info("offsets: %d pairs to track here (%d pending in all, %d pairs)", len(todo), len(pending),
             len(pair_list(scene)))
    n_windows, t_track, per_pair = 0, 0.0, imported
    masks: dict = {}
    for track, k in tqdm(todo, desc="offsets: pairs", unit="pair", mininterval=5,
                         disable=not ctx.workers.is_root):
        check_interrupt()  # a Ctrl-C lost in a callback stops here, between pairs
        ref, sec = pair_images(scene, track, k)
        own = reference_lookup(scene, track, k)  # Sentinel-1: each reference its own burst layout
        segments = pair_segments(scene, track, k, tuple(ref.shape), masks, own) if opts.segment_by_mask else None
        prior = (previous_pair_prior(scene, folder, track, k, opts.prior_depth,
                                     opts.min_snr if opts.prior_min_snr is None else opts.prior_min_snr,
                                     None if segments is None else window_labels(segments, opts),
                                     window_centres(tuple(ref.shape), opts))
                 if opts.pair_prior == "previous_pair" else None)
        geometry = pair_geometry(scene, track, k, ref.shape, opts)  # None unless the scene knows its orbits
        prior = with_geometry(prior, geometry)
        if opts.mask_buffer_m is not None:
            key = track if own is None else (track, k)
            if key not in masks:
                masks[key] = tracking_mask(scene, track, ref.shape, opts, own)
            base = prior if prior is not None else (np.zeros(masks[key].shape), np.zeros(masks[key].shape))
            prior = tuple(np.where(masks[key], b, np.nan) for b in base)
        extra = {} if prior is None else {"prior_azimuth": prior[0], "prior_range": prior[1]}
        if segments is not None:
            extra["segments"] = segments
        t0 = time.perf_counter()
        ds, opts = track_pair(track_offsets, ref, sec, opts, f"{track}/{k}", **extra)
        t_track += time.perf_counter() - t0
        del ref, sec
        ds = motion_only(ds, geometry)
        err = pair_errors(scene, track, k, ds)
        t_ref, t_sec = scene.pair_times(track, k)
        ds = ds[list(KEEP_VARS)]
        ds.attrs.update(track=track, pair=k, t_reference=t_ref, t_secondary=t_sec,
                        window=list(opts.window), step=list(opts.step))
        write_dataset_atomic(ds, pair_file(folder, track, k))
        n_windows += ds["azimuth_offset"].size
        per_pair.append({"track": track, "pair": k, "days": round((t_sec - t_ref) * 365.25, 2),
                         "t_mid": 0.5 * (t_ref + t_sec), **err})
        if err["valid_fraction"] < 0.05:
            log.warning("offsets: pair %s/%d has %.1f%% valid windows (almost all rejected); kept as "
                        "partial coverage", track, k, 100 * err["valid_fraction"])
    n_done, n_windows = global_sums(ctx, [len(todo), n_windows], "int32")
    (t_track,) = global_sums(ctx, [t_track])
    per_pair = [p for part in (ctx.workers.gather(per_pair) or []) for p in part]
    metrics = {"pairs_tracked": int(n_done), "pairs_total": len(pair_list(scene)), "windows": int(n_windows),
               "tracking_seconds_all_ranks": round(t_track, 2), "ranks": ctx.workers.size,
               "windows_per_second": round(n_windows / t_track, 1) if t_track > 0 else None}
    if per_pair:
        for key in ("valid_fraction", "rmse_range_px", "rmse_azimuth_px"):
            vals = [p[key] for p in per_pair if key in p]
            if vals:
                metrics[f"median_{key}"] = float(np.median(vals))
        worst = sorted(per_pair, key=lambda p: -p.get("rmse_range_px", np.inf))[:5]
        metrics["worst_pairs"] = [{k: v for k, v in p.items() if k != "per_class"} for p in worst]
        if any("per_class" in p for p in per_pair):
            metrics["tracking_per_year_class"] = tracking_per_year_class(per_pair)
    return metrics


REGISTRY.add(Stage("offsets", run_offsets, sections=("scene", "offsets"), requires=("scene",),
                   description="offset tracking of every consecutive pair", is_complete=offsets_complete,
                   missing_hint=missing_chunks,
                   code=("gfjax.offsets", "gfjax.pipeline.priors", "gfjax.pipeline.stages.offsets_input",
                         "gfjax.pipeline.stages.offsets_geometry")))
