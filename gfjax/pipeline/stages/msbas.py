"""Stage ``msbas``: the MSBAS inversion of the geocoded map stack into interval velocities of
(north, east, up_spf, up_nspf), displacements, linear rates, rank and diagnostics, written as
CF NetCDF ``products/timeseries.nc`` (dims (time, y, x) and (interval, y, x)).

The geocoded stack is read from disk by bands of rows (:func:`streamed_stack`, bands sized by
``execution.msbas_memory_budget_mb``): it is never whole in memory. Pixels are independent, so
the result is the whole stack's."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from gfjax.msbas.options import MsbasOptions
from gfjax.pipeline.provenance import netcdf_provenance_attrs, provenance
from gfjax.pipeline.stage import REGISTRY, Stage, StageError
from gfjax.pipeline.stages.geocode import maps_path
from gfjax.pipeline.stages.offsets import write_dataset_atomic
from gfjax.core.time import datetime_from_decimal_year

log = logging.getLogger("gfjax")


def load_stack(ctx) -> xr.Dataset:
    """The geocoded map stack, or (data.source=msbas|autorift) the maps of the inputs."""
    from gfjax.pipeline.data import MAP_SOURCES, source

    if source(ctx.settings) in MAP_SOURCES:
        return ctx.scene.map_stack()
    with xr.open_dataset(maps_path(ctx), engine="h5netcdf") as ds:
        return ds.load()


def select_maps(stack: xr.Dataset, min_coverage: float, ice_mask: np.ndarray) -> tuple[xr.Dataset, int]:
    """Drop maps whose valid coverage of the ice is below ``min_coverage`` (MSBAS MC_FLAG)."""
    cover = np.isfinite(stack["displacement"].values)[:, ice_mask].mean(axis=1)
    keep = cover > max(min_coverage, 0.0)
    return stack.isel(map=np.flatnonzero(keep)), int((~keep).sum())


def screen_stack(stack: xr.Dataset, opts) -> dict:
    """Temporal outlier screening of the stack in place (``msbas.outlier_*``); counts."""
    from gfjax.msbas.screening import temporal_outliers

    if opts.outlier_window == 0:
        return {"values": 0, "fraction": 0.0}
    disp = stack["displacement"].values
    bad = temporal_outliers(disp, stack["set_index"].values, stack["t_master"].values,
                            stack["t_slave"].values, window=opts.outlier_window,
                            max_deviation=opts.outlier_max_deviation,
                            min_deviation_m=opts.outlier_min_deviation_m)
    n_valid = int(np.isfinite(disp).sum())
    disp[bad] = np.nan
    n = int(bad.sum())
    log.info("msbas: temporal screening rejected %d of %d values (%.2f %%)", n, n_valid,
             100.0 * n / max(n_valid, 1))
    return {"values": n, "fraction": round(n / max(n_valid, 1), 5)}


@dataclass(frozen=True)
class Bands:
    """The displacement (maps, y, x) the inversion reads, by bands of rows: ``read(r0, r1)`` gives
    ``displacement[:, r0:r1, :]`` float32 (a file read band by band, or slices of an array)."""

    read: Callable[[int, int], np.ndarray]
    shape: tuple[int, int, int]
    rows: int  # rows per band
    scratch: Path | None = None  # the file read (the stage's own; removed after the inversion)

    def spans(self) -> list[tuple[int, int]]:
        ny = self.shape[1]
        return [(r0, min(r0 + self.rows, ny)) for r0 in range(0, ny, self.rows)]


def in_memory(stack: xr.Dataset) -> Bands:
    """The bands of a stack held in memory: one band of every row."""
    disp = stack["displacement"].values
    return Bands(lambda r0, r1: disp[:, r0:r1], tuple(disp.shape), max(int(disp.shape[1]), 1))


def band_rows(n_maps: int, nx: int, opts) -> int:
    """Rows per band within ``execution.msbas_memory_budget_mb``: the band (float32) and the
    temporal screening's float64 windows (2 × outlier_window + 1 values per map and pixel, a few
    copies)."""
    per_row = n_maps * nx * (4 + 8 * 4 * (2 * opts.outlier_window + 1))
    return max(1, int(opts.memory_budget_mb * 2 ** 20 // max(per_row, 1)))


def streamed_stack(ctx, opts) -> tuple[xr.Dataset, Bands, int, dict]:
    """The geocoded stack on disk, never whole in memory (:mod:`gfjax.io.map_stack`): the maps
    whose ice coverage passes ``msbas.min_coverage`` (one pass by bands), screened in time band
    by band (``msbas.outlier_*``) into ``screened.h5`` of the stage folder. Returns (the kept
    maps' coordinates, their screened bands, maps dropped, screening counts) — the values of
    :func:`select_maps` and :func:`screen_stack` on the whole stack."""
    import h5py

    from gfjax.io.map_stack import map_stack_shape, read_map_rows
    from gfjax.msbas.screening import temporal_outliers

    path, ice = maps_path(ctx), ctx.scene.ice_mask
    m, ny, nx = map_stack_shape(path)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        meta = ds.drop_vars("displacement").load()
    rows = band_rows(m, nx, opts)
    spans = [(r0, min(r0 + rows, ny)) for r0 in range(0, ny, rows)]
    counts = np.zeros(m, np.int64)
    for r0, r1 in spans:
        counts += np.isfinite(read_map_rows(path, r0, r1))[:, ice[r0:r1]].sum(axis=1)
    keep = counts / max(int(ice.sum()), 1) > max(opts.min_coverage, 0.0)
    kept = np.flatnonzero(keep)
    meta = meta.isel(map=kept)
    screened = ctx.stage_dir("msbas") / "screened.h5"
    n_bad = n_valid = 0
    with h5py.File(screened, "w") as f:
        out = f.create_dataset("displacement", (kept.size, ny, nx), np.float32,
                               chunks=(1, min(ny, 128), min(nx, 128)) if kept.size else None)
        for r0, r1 in spans:
            band = read_map_rows(path, r0, r1, kept)
            if opts.outlier_window:
                bad = temporal_outliers(band, meta["set_index"].values, meta["t_master"].values,
                                        meta["t_slave"].values, window=opts.outlier_window,
                                        max_deviation=opts.outlier_max_deviation,
                                        min_deviation_m=opts.outlier_min_deviation_m)
                n_valid += int(np.isfinite(band).sum())
                band[bad] = np.nan
                n_bad += int(bad.sum())
            if kept.size:
                out[:, r0:r1, :] = band
    if opts.outlier_window:
        log.info("msbas: temporal screening rejected %d of %d values (%.2f %%)", n_bad, n_valid,
                 100.0 * n_bad / max(n_valid, 1))
        counts_screened = {"values": n_bad, "fraction": round(n_bad / max(n_valid, 1), 5)}
    else:
        counts_screened = {"values": 0, "fraction": 0.0}

    def read(r0: int, r1: int) -> np.ndarray:
        with h5py.File(screened, "r") as f:
            return np.asarray(f["displacement"][:, r0:r1, :], np.float32)
    return meta, Bands(read, (int(kept.size), ny, nx), rows, screened), int((~keep).sum()), counts_screened


def run_msbas(ctx) -> dict:
    from gfjax.geometry import surface_gradients
    from gfjax.io.netcdf import attach_grid
    opts, geo, scene, grid = ctx.settings.msbas, ctx.settings.geometry, ctx.scene, ctx.grid
    from gfjax.pipeline.data import MAP_SOURCES, source

    header, dropped = None, 0
    if source(ctx.settings) not in MAP_SOURCES and not opts.from_header() and ctx.workers.size == 1:
        # the geocoded stack on disk: read by bands, never whole (issue 13 item 5)
        stack, bands, dropped, screened = streamed_stack(ctx, opts)
    else:
        stack = load_stack(ctx)
        mc_flag = "min_coverage" in opts.from_header()      # the header's MC_FLAG replaces select_maps
        if opts.from_header():
            stack, opts, header = follow_header(ctx, stack, opts)
        if not mc_flag:
            stack, dropped = select_maps(stack, opts.min_coverage, scene.ice_mask)
        screened = screen_stack(stack, opts)
        bands = in_memory(stack)
    if dropped:
        log.warning("msbas: %d maps dropped (ice coverage <= msbas.min_coverage=%g)", dropped, opts.min_coverage)
    gradients, slope_rows = header_slopes(ctx, opts)
    log.info("msbas: %dD inversion (%s), Tikhonov order %d%s", opts.dim,
             {1: "LOS", 2: "east, up", 3: "north, east, up",
              4: "north, east, up SPF, up nSPF"}[opts.dim], opts.order,
             ", surface-parallel constraint rows (DD_NSEW_FILES)" if slope_rows else "")
    if opts.dim == 4 and gradients is None:
        g_n, g_e = surface_gradients(scene.dem, grid.spacing, geo.dem_smoothing_m, geo.max_surface_slope)
        gradients = np.stack([g_n, g_e])
    lam = opts.lam
    lcurve = None
    if opts.select_lam == "lcurve" or opts.lam_candidates:
        lam, lcurve = _lcurve(ctx, stack, gradients, opts, bands, slope_rows,
                              window=None if header is None else header["window"])
        if opts.select_lam != "lcurve":
            lam = opts.lam
    ds = invert_rows(ctx, stack, gradients, lam, opts, window=None if header is None else header["window"], bands=bands,
                     slope_constraint=slope_rows)
    if bands.scratch is not None:
        bands.scratch.unlink(missing_ok=True)
    if ds is None:  # an MPI rank other than 0: its part is written, rank 0 merges
        return {}
    ds = ds.assign_coords(time_utc=("time", datetime_from_decimal_year(ds["time"].values)))
    ds["time"].attrs.update(units="decimal years (MSBAS: y + (doy - 1 + s/86400) / days_in_year)")

    used = (str(ctx.settings.data.path) if source(ctx.settings) in MAP_SOURCES
            else str(maps_path(ctx).relative_to(ctx.workdir)))
    prov = provenance(config=ctx.config, inputs=[used])
    ds.attrs.update(netcdf_provenance_attrs(prov))
    ds.attrs.update(title="gfjax MSBAS time series", lam_used=lam, dropped_maps=dropped)
    path = ctx.path("products", "timeseries.nc")
    from gfjax.products.cf import cf_product  # CF time, long names (products/cf.py)

    write_dataset_atomic(cf_product(attach_grid(ds, grid)), path)
    rank = ds["rank"].values
    ice = scene.ice_mask
    metrics = {"pixels": int(rank.size), "ice_pixels": int(ice.sum()), "epochs": int(ds.sizes["time"]),
               "intervals": int(ds.sizes["interval"]), "maps_used": int(stack.sizes["map"]),
               "maps_dropped": dropped, "outliers_rejected": screened, "lam": lam, "dim": opts.dim, "order": opts.order,
               "slope_constraint": slope_rows,
               "rank": {"max_possible": int(ds.sizes["interval"] * opts.dim),
                        "median_on_ice": float(np.median(rank[ice])), "min_on_ice": int(rank[ice].min()),
                        "full_rank_fraction_on_ice": float((rank[ice] == rank.max()).mean())},
               "valid_pixels": int((ds["valid_map_count"].values > 0).sum()),
               "product": str(path.relative_to(ctx.workdir))}
    if lcurve is not None:
        metrics["lcurve"] = lcurve
    if header is not None:
        metrics["header_flags"] = header
    return metrics


def follow_header(ctx, stack: xr.Dataset, opts):
    """data.source=msbas with msbas options left null: v10's dimension (dim), the header's R_FLAG
    (order, λ), MC_FLAG and C_FLAG with MSBAS v10's meaning, through the code of
    ``python -m gfjax.msbas`` (gfjax/io/msbas_geometry.py: vectors, passes, slopes, dimension;
    msbas/header_flags.py: MC_FLAG, C_FLAG, z-score mask, epoch window). Returns (stack of the
    kept, calibrated maps, options with the header's values filled in, a summary for the metrics)."""
    import dataclasses

    from gfjax.io.msbas_header import parse_header
    from gfjax.msbas.header_flags import apply_header_flags, header_window
    from gfjax.pipeline.data import source

    null = opts.from_header()
    if source(ctx.settings) != "msbas":
        raise StageError(f"msbas: {', '.join('msbas.' + k for k in null)} null means 'from the MSBAS header', "
                         f"which only data.source=msbas has; give values")
    hdr = parse_header(ctx.scene.path)
    geometry = header_geometry(ctx.scene, hdr)
    fill = {k: v for k, v in (("dim", geometry.dim), ("order", hdr.order), ("lam", hdr.lam)) if k in null}
    opts = dataclasses.replace(opts, **fill, min_coverage=opts.min_coverage or 0.0, calibration="none").validate()
    eff = dataclasses.replace(hdr, min_coverage=hdr.min_coverage if "min_coverage" in null else 0.0,
                              calibration=hdr.calibration if "calibration" in null else "none",
                              boxes=hdr.boxes if "calibration" in null else [])
    disp = stack["displacement"].values
    names = [f"{t}:{p}" for t, p in zip(stack["track"].values, stack["pair"].values)]
    try:
        flags = apply_header_flags(eff, disp, names, geometry.pixel_ok, geometry.slopes)
    except ValueError as err:
        raise StageError(f"msbas: {err}") from None
    for n in flags.notes:
        log.info("msbas: %s: %s", hdr.path.name, n)
    values = flags.values(np.nan_to_num(disp, nan=0.0))
    stack = stack.isel(map=flags.kept)
    stack["displacement"] = (stack["displacement"].dims, values, stack["displacement"].attrs)
    used = ([geometry.describe(hdr)] if "dim" in null else []) + (
        [f"R_FLAG={hdr.r_flag} (order {opts.order}, lambda {opts.lam:g})"] if {"order", "lam"} & set(fill) else []) + (
        [f"MC_FLAG={hdr.min_coverage:g}"] if "min_coverage" in null else []) + (
        [f"C_FLAG={flags.c_flag}"] if "calibration" in null else [])
    log.info("msbas: from %s: %s; %d of %d maps kept", hdr.path.name, "; ".join(used), flags.kept.size, disp.shape[0])
    try:
        window = header_window(geometry.passes, stack["set_index"].values, stack["t_master"].values,
                               stack["t_slave"].values, opts.dim)
    except ValueError as err:
        raise StageError(f"msbas: {hdr.path}: {err}") from None
    summary = {"from_header": null, "dim": opts.dim, "order": opts.order, "lam": opts.lam, "c_flag": flags.c_flag,
               "mc_flag": eff.min_coverage, "maps_removed": int(flags.removed.sum()), "window": list(window)}
    return stack, opts, summary


def header_geometry(scene, hdr=None):
    """The geometry of an MSBAS scene's header (:class:`gfjax.io.msbas_geometry.HeaderGeometry`:
    vectors, passes, DD_NSEW_FILES slopes, v10's dimension), read with the scene or now; None for
    other scenes."""
    geometry = getattr(scene, "geometry", None)
    if geometry is None and hdr is not None:
        from gfjax.io.msbas_geometry import read_header_geometry

        geometry = read_header_geometry(hdr)
    return geometry


def header_slopes(ctx, opts) -> tuple[np.ndarray | None, bool]:
    """(gradients, slope constraint rows) from the MSBAS header's DD_NSEW_FILES (north, east
    slopes), as ``python -m gfjax.msbas``: 3D adds one surface-parallel constraint row per
    interval, 4D splits the vertical with them (no DEM needed). (None, False) without them; with
    msbas.dim 1 or 2 they are not used, with a warning (MSBAS v10 runs 3D or 4D with slopes)."""
    geometry = header_geometry(ctx.scene)
    slopes = None if geometry is None else geometry.slopes
    if slopes is None:
        return None, False
    if opts.dim in (3, 4):
        log.info("msbas: surface slopes from %s's DD_NSEW_FILES (%s)", ctx.scene.path.name,
                 "constraint rows" if opts.dim == 3 else "the 4D split of the vertical, no DEM")
        return slopes, opts.dim == 3
    log.warning("msbas: %s: DD_NSEW_FILES not used: msbas.dim=%d has no north component (MSBAS v10 runs "
                "3D or 4D with slopes; leave msbas.dim null to follow the header)", ctx.scene.path, opts.dim)
    return None, False


def band_vectors(vectors: np.ndarray, r0: int, r1: int) -> np.ndarray:
    """The set vectors of rows r0:r1: (S, 3) as they are, per-pixel (S, 3, y, x) sliced."""
    return vectors if vectors.ndim == 2 else vectors[:, :, r0:r1]


def invert_rows(ctx, stack, gradients, lam: float, opts=None, window=None,
                bands: Bands | None = None, slope_constraint: bool = False) -> xr.Dataset | None:
    """The inversion of all pixels (one process: band by band of ``bands``, default the
    stack's displacement in memory), or with MPI of this
    rank's rows, written as a part file and merged by rank 0 (None on the other ranks). Pixels
    are independent, so the merged result equals the single-process one."""
    from gfjax.msbas.api import invert_maps

    opts, workers = opts or ctx.settings.msbas, ctx.workers
    bands = in_memory(stack) if bands is None else bands
    ny = bands.shape[1]
    bounds = [round(i * ny / workers.size) for i in range(workers.size + 1)]

    def invert(r0: int, r1: int) -> xr.Dataset:
        return invert_maps(bands.read(r0, r1), stack["set_index"].values, stack["t_master"].values,
                           stack["t_slave"].values, band_vectors(stack["set_vector"].values, r0, r1),
                           None if gradients is None else gradients[:, r0:r1], dim=opts.dim,
                           order=opts.order, lam=lam, rcond=opts.rcond, memory_budget_mb=opts.memory_budget_mb,
                           window=window, slope_constraint=slope_constraint,
                           **MsbasOptions.solver_options(opts))
    if workers.size == 1:
        spans = bands.spans()
        if len(spans) == 1:
            return invert(0, ny)
        parts = [invert(r0, r1) for r0, r1 in spans]
        merged = xr.concat(parts, dim="y", data_vars="minimal", coords="minimal", compat="override")
        merged.attrs.update(parts[0].attrs)
        return merged
    r0, r1 = bounds[workers.rank], bounds[workers.rank + 1]
    folder = ctx.stage_dir("msbas")
    mine = folder / f"part_{workers.rank:04d}_of_{workers.size:04d}.nc"
    if finished_part(mine, lam, opts, r1 - r0) is not None:
        log.info("msbas: rank %d: part %s already written (an earlier run), reused", workers.rank, mine.name)
    else:
        write_dataset_atomic(invert(r0, r1), mine)
    workers.barrier()
    if not workers.is_root:
        return None
    parts = []
    for rank in range(workers.size):
        path = folder / f"part_{rank:04d}_of_{workers.size:04d}.nc"
        if not path.is_file():
            raise StageError(f"msbas: the part of rank {rank} ({path}) is missing; re-run the msbas stage")
        with xr.open_dataset(path, engine="h5netcdf") as p:
            parts.append(p.load())
    merged = xr.concat(parts, dim="y", data_vars="minimal", coords="minimal", compat="override")
    merged.attrs.update(parts[0].attrs)
    return merged


def finished_part(path, lam: float, opts, rows: int):
    """A rank's part file left by an earlier run of this config (the folder is keyed by the
    stage's fingerprint) that used the same λ and has this rank's rows, else None: a re-run
    after a killed rank inverts only the missing parts."""
    if not path.is_file():
        return None
    try:
        with xr.open_dataset(path, engine="h5netcdf") as part:
            attrs, y = dict(part.attrs), part.sizes.get("y")
    except (OSError, ValueError):
        return None  # unreadable (written atomically, so not half-written: replaced below)
    same = (y == rows and float(attrs.get("lam", np.nan)) == float(lam) and int(attrs.get("dim", -1)) == opts.dim
            and int(attrs.get("order", -1)) == opts.order and float(attrs.get("rcond", np.nan)) == opts.rcond)
    return path if same else None


def _lcurve(ctx, stack, gradients, opts=None, bands: Bands | None = None,
            slope_constraint: bool = False, window=None) -> tuple[float, dict]:
    """L-curve over ``msbas.lam_candidates`` in one pass; returns (chosen λ, table); plots it.

    The L-curve pixels (at most ``msbas.lcurve_max_pixels`` with data, evenly strided) are split
    over the MPI ranks in contiguous shares; each rank solves its share and the per-λ sums of
    ‖Ax − d‖² and ‖Lx‖² are combined by an allreduce (mpi4jax, inside jit) of exact fixed-point
    sums (:func:`gfjax.msbas.lcurve.exact_column_sums`), so every rank picks the same λ and the
    norms equal a single process' bit for bit."""
    from gfjax.msbas import lcurve as lc

    opts, workers = opts or ctx.settings.msbas, ctx.workers
    bands = in_memory(stack) if bands is None else bands
    m, ny, nx = bands.shape
    has = np.concatenate([r0 * nx + np.flatnonzero(np.isfinite(bands.read(r0, r1)).any(axis=0).ravel())
                          for r0, r1 in bands.spans()] or [np.zeros(0, np.int64)])
    take = has[:: max(1, int(np.ceil(has.size / max(opts.lcurve_max_pixels, 1))))]
    mine = np.array_split(take, workers.size)[workers.rank]
    cols = []
    for r0, r1 in bands.spans():  # the L-curve pixels, band by band
        sel = mine[(mine >= r0 * nx) & (mine < r1 * nx)] - r0 * nx
        if sel.size:
            cols.append(bands.read(r0, r1).reshape(m, -1)[:, sel])
    sub = (np.concatenate(cols, axis=1) if cols else np.zeros((m, 0), np.float32))[:, None, :]
    grads = None if gradients is None else gradients.reshape(2, -1)[:, mine][:, None, :]
    vectors = stack["set_vector"].values
    if vectors.ndim == 4:  # per-pixel vectors (7-field SETs): those of the L-curve pixels
        vectors = vectors.reshape(vectors.shape[:2] + (-1,))[:, :, mine][:, :, None, :]
    res = lc.lcurve(sub, stack["set_index"].values, stack["t_master"].values, stack["t_slave"].values, vectors,
                    grads, dim=opts.dim, order=opts.order, lams=list(opts.lam_candidates),
                    memory_budget_mb=opts.memory_budget_mb, slope_constraint=slope_constraint, window=window,
                    n_total=take.size, allreduce=workers.allreduce if workers.size > 1 else None,
                    **MsbasOptions.solver_options(opts))
    if ctx.settings.products.figures and workers.is_root:
        lc.plot_lcurve(res, ctx.path("figures", "lcurve.png"))
    table = {"lam": res.lams.tolist(), "residual_norm_m": res.residual_norm.tolist(),
             "solution_seminorm": res.solution_norm.tolist(),
             "curvature": [None if not np.isfinite(c) else float(c) for c in res.curvature],
             "best_lam": res.best_lam, "pixels": int(take.size)}
    return float(res.best_lam), table


REGISTRY.add(Stage("msbas", run_msbas, sections=("msbas",), requires=("geocode",),
                   description="MSBAS inversion into velocity time series (msbas.dim components)"))
