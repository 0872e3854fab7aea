"""Drop-in MSBAS v10 command line: ``python -m gfjax.msbas header.txt`` (driver).

Reads the header with v10's meaning (gfjax/io/msbas_header.py), the rasters
(gfjax/io/msbas_maps.py), applies v10's preprocessing (msbas/v10.py: passes, dimension,
MC_FLAG, C_FLAG, z-score mask, epoch window), inverts every pixel with ``invert_maps`` and
writes v10's files into the working directory, atomically (gfjax/io/msbas_outputs.py):

- ``MSBAS_<YYYYMMDDTHHMMSS>_{C}.tif`` displacement (0 at the first epoch), ``…_v{C}.tif``
  velocity of the interval ending at that epoch (0 at the first);
- ``MSBAS_LINEAR_RATE_{C}.tif``, ``…_STD_{C}``, ``…_R2_{C}``; ``MSBAS_RANK``, ``MSBAS_COND_NUM``,
  ``MSBAS_NORM_X``, ``MSBAS_NORM_AXY`` (‖d − A x‖ with d the map values as read, before
  calibration and boundary scaling, as v10), ``MSBAS_ZSCORE_MASK``, ``MSBAS_STACK`` and
  ``MSBAS_STACK_STD`` (all 0: v10's stacking is disabled in its source);
- ``MSBAS_TSOUT.txt``, ``MSBAS_vTSOUT.txt``, ``MSBAS_TIME_MATRIX.txt`` (v10's layouts) and
  ``MSBAS_LOG.txt`` (gfjax's own log: inputs, decisions, maps removed and why, timings).

Components {C}: 1D ``LOS``; 2D ``EW UD``; 3D ``NS EW UD``; 4D ``NS EW UD U1``. Pixels that are
not inverted are 0 everywhere. ``--lambda-lcurve`` picks λ by an L-curve (gfjax option; v10
users sweep λ by hand).
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np

from gfjax.io.msbas_header import HeaderError, map_times, parse_header
from gfjax.io.msbas_geometry import read_header_geometry
from gfjax.io.msbas_maps import read_maps, template_profile
from gfjax.io.msbas_outputs import (AtomicOutputs, TifWriter, flag_lines, time_matrix_text, tsout,
                                    v10_time_matrix)
from gfjax.msbas.header_flags import apply_header_flags, header_window
from gfjax.msbas.network import epoch_label

FILE_COMPONENTS = {1: [("LOS", "los")], 2: [("EW", "east"), ("UD", "up")],
                   3: [("NS", "north"), ("EW", "east"), ("UD", "up")],
                   4: [("NS", "north"), ("EW", "east"), ("UD", "up_spf"), ("U1", "up_nspf")]}
REDUCE = {1: None, 2: [1, 2], 3: [0, 1, 2], 4: [0, 1, 2, 2]}


def run(header_path, workdir=".", *, memory_budget_mb: float = 1024.0, lcurve=None,
        cond_iters: int = 20, executable_cache=None) -> list[str]:
    """Run one MSBAS inversion; returns the names of the files written in ``workdir``.

    ``cond_iters``: Lanczos steps of COND_NUM (λ_max and λ_min). 20 (24 before) keeps COND_NUM
    within 1.6e-4 of MSBAS v10's on the golden cases (16: 7.5e-4) and saves ~10 % of the kernel.

    ``lcurve``: None (λ of R_FLAG) or a sequence of λ candidates (the L-curve corner is used).
    ``executable_cache``: folder of compiled kernels (api.map_pixels), None: none.
    """
    t_start = time.time()
    log: list[str] = []
    note = log.append
    hdr = parse_header(header_path)
    for n in hdr.notes:
        note(f"NOTE {n}")
    entries, set_index, tm, ts = map_times(hdr)
    set_index, tm, ts = np.asarray(set_index), np.asarray(tm), np.asarray(ts)
    names = [e.where for e in entries]
    win = hdr.window
    ny, nx = win[3] - win[2] + 1, win[1] - win[0] + 1

    # geometry: vectors and passes of every set (per-pixel files for 7-field SETs), slopes,
    # v10's dimension (shared with the pipeline's +experiment=msbas_inputs)
    geo = read_header_geometry(hdr)
    pixel_ok, passes, slopes, dim = geo.pixel_ok, geo.passes, geo.slopes, geo.dim
    note(geo.describe(hdr))

    # maps, statistics, MC_FLAG, calibration, z-score mask
    t0 = time.time()
    maps, n_bad = read_maps([e.path for e in entries], names, hdr.file_size, win,
                            fill_radius=hdr.interp_radius)
    for j in np.flatnonzero(n_bad):
        note(f"WARNING {names[j]}: {n_bad[j]} NaN/Inf values in {entries[j].path} treated as no data")
    t_read = time.time() - t0
    flags = apply_header_flags(hdr, maps, [f"{n} ({e.path})" for n, e in zip(names, entries)],
                               pixel_ok, slopes)
    for n in flags.notes:
        note(n)
    c_flag, centres, half = flags.c_flag, flags.centres, flags.half
    offsets, mask = flags.offsets, flags.mask
    kept = flags.kept

    # network window by pass, as v10
    window = header_window(passes, set_index[kept], tm[kept], ts[kept], dim)
    values = flags.values(maps)
    set_vectors = geo.set_vectors
    lam, order = hdr.lam, hdr.order
    from gfjax.msbas.api import invert_products

    common = dict(dim=dim, order=order, names=[names[j] for j in kept], window=window,
                  slope_constraint=geo.slope_constraint,
                  memory_budget_mb=memory_budget_mb)
    if lcurve is not None:
        lam = _lcurve_lambda(values, set_index[kept], tm[kept], ts[kept], set_vectors, slopes,
                             lcurve, common, note)
    if executable_cache is not None:
        common["executable_cache"] = executable_cache
    data, attrs = invert_products(values, set_index[kept], tm[kept], ts[kept], set_vectors, slopes,
                                  lam=lam, cond_iters=cond_iters, **common)
    ds = {k: v[1] for k, v in data.items()}                # NumPy arrays by variable name
    t_inv = time.time() - t_start
    net_epochs = ds["time"]
    labels = [epoch_label(t) for t in net_epochs]
    done = ds["valid_map_count"] > 0

    def img(a):
        return np.where(done, np.nan_to_num(np.asarray(a, np.float32), nan=0.0), 0.0).astype(np.float32)

    residual = _v10_residual(ds, maps, kept, tm, ts, set_index, set_vectors, dim, window, done)
    out_dir = Path(workdir)
    template = template_profile(hdr.sets[0].maps[0].path)
    comps = FILE_COMPONENTS[dim]
    with AtomicOutputs(out_dir) as out:
        tif = TifWriter(template, hdr.file_size, win)
        try:
            for code, name in comps:
                disp = ds[f"displacement_{name}"]
                vel = ds[f"velocity_{name}"]
                for k, lab in enumerate(labels):
                    tif.write(out.path(f"MSBAS_{lab}_{code}.tif"), img(disp[k]))
                    v = np.zeros((ny, nx), np.float32) if k == 0 else img(vel[k - 1])
                    tif.write(out.path(f"MSBAS_{lab}_v{code}.tif"), v)
                tif.write(out.path(f"MSBAS_LINEAR_RATE_{code}.tif"), img(ds[f"linear_rate_{name}"]))
                tif.write(out.path(f"MSBAS_LINEAR_RATE_STD_{code}.tif"),
                          img(ds[f"linear_rate_std_{name}"]))
                r2 = ds[f"linear_rate_r2_{name}"]
                tif.write(out.path(f"MSBAS_LINEAR_RATE_R2_{code}.tif"),
                          np.where(done, r2, 0.0).astype(np.float32))
            tif.write(out.path("MSBAS_RANK.tif"), img(ds["rank"]))
            tif.write(out.path("MSBAS_COND_NUM.tif"), img(ds["cond"]))
            tif.write(out.path("MSBAS_NORM_X.tif"), img(ds["norm_x"]))
            tif.write(out.path("MSBAS_NORM_AXY.tif"), img(residual))
            tif.write(out.path("MSBAS_STACK.tif"), np.zeros((ny, nx), np.float32))
            tif.write(out.path("MSBAS_STACK_STD.tif"), np.zeros((ny, nx), np.float32))
            tif.write(out.path("MSBAS_ZSCORE_MASK.tif"), mask)
        finally:
            tif.close()
        head = flag_lines(hdr.interp_radius, hdr.file_size, c_flag,
                          [(c + win[0], r + win[2]) for c, r in centres], half)
        out.path("MSBAS_TSOUT.txt").write_text(tsout(head, labels, net_epochs, [
            [f"MSBAS_{lab}_{c}.tif" for c, _ in comps] for lab in labels]))
        out.path("MSBAS_vTSOUT.txt").write_text(tsout(head, labels, net_epochs, [
            [f"MSBAS_{lab}_v{c}.tif" for c, _ in comps] for lab in labels]))
        time_rows = _v10_row_order(ds, kept, tm, ts, set_index, window)
        n_int = len(net_epochs) - 1
        out.path("MSBAS_TIME_MATRIX.txt").write_text(time_matrix_text(v10_time_matrix(
            time_rows, dim, n_int if slopes is not None else 0, hdr.r_flag if lcurve is None
            else order + 1, lam)))
        rank = ds["rank"]
        note(f"inverted {attrs['n_maps_used']} of {len(entries)} maps, {len(net_epochs)} epochs, "
             f"{int(done.sum())} of {rank.size} pixels, rank min/max {rank.min()}/{rank.max()}, "
             f"lambda {lam:g}")
        note(f"time {t_inv:.2f} s (read {t_read:.2f} s + preprocessing + inversion)")
        out.path("MSBAS_LOG.txt").write_text(_log_head(hdr, dim, offsets) + "\n".join(log) + "\n")
    logging.getLogger(__name__).info("msbas: wrote %d files in %s", len(out.names), out_dir)
    return out.names


def _v10_row_order(ds, kept, tm, ts, set_index, window):
    """Rows of v10's time matrix: kept maps in list order (set, then line), clipped to window."""
    epochs = ds["time"]
    dt = np.diff(epochs)
    rows = []
    for j in kept:
        if not (ts[j] > window[0] and tm[j] < window[1]):
            continue
        a, b = max(tm[j], window[0]), min(ts[j], window[1])
        cover = (epochs[:-1] >= a - 1e-12) & (epochs[:-1] < b - 1e-12)
        rows.append(np.where(cover, dt, 0.0))
    return np.array(rows).reshape(-1, len(dt))


def _v10_residual(ds, maps, kept, tm, ts, set_index, set_vectors, dim, window, done):
    """v10's NORM_AXY: ‖d − A x‖ over the pixel's valid maps, d as read (no calibration offset,
    no boundary factor), A with the clipped dates: A x of a map = s · (D(t_b) − D(t_a))."""
    epochs = ds["time"]
    comps = [name for _, name in FILE_COMPONENTS[dim]]
    vel = np.stack([np.nan_to_num(ds[f"velocity_{c}"]) for c in comps]).astype(np.float64)
    disp = np.concatenate([np.zeros((dim, 1) + maps.shape[1:]),
                           np.cumsum(vel * np.diff(epochs)[None, :, None, None], axis=1)], axis=1)
    total = np.zeros(maps.shape[1:])
    for j in kept:
        if not (ts[j] > window[0] and tm[j] < window[1]):
            continue
        a = np.searchsorted(epochs, max(tm[j], window[0]) - 1e-12)
        b = np.searchsorted(epochs, min(ts[j], window[1]) - 1e-12)
        change = disp[:, b] - disp[:, a]                                   # (D, ny, nx)
        s = set_vectors[set_index[j]]
        if dim == 1:
            pred = change[0]
        else:
            coef = s[REDUCE[dim]] if s.ndim == 3 else np.asarray(s)[REDUCE[dim]][:, None, None]
            pred = np.sum(coef * change, axis=0)
        raw = maps[j].astype(np.float64)
        r = np.where(raw != 0, raw - pred, 0.0)
        total += r * r
    return np.where(done, np.sqrt(total), 0.0)


def _lcurve_lambda(values, set_index, tm, ts, set_vectors, slopes, lams, common, note):
    from gfjax.msbas.lcurve import lcurve

    dim = common["dim"]
    res = lcurve(values, set_index, tm, ts, set_vectors, slopes, lams=list(lams), dim=dim,
                 order=max(common["order"], 0), memory_budget_mb=common["memory_budget_mb"],
                 slope_constraint=common["slope_constraint"], window=common["window"])
    note(f"L-curve over {len(lams)} λ (the inversion's system: v10's epoch window, slope rows): "
         f"corner at λ = {res.best_lam:g}")
    return float(res.best_lam)


def _log_head(hdr, dim, offsets) -> str:
    import gfjax

    return "\n".join([
        f"gfjax {gfjax.__version__} MSBAS (v10-compatible) log",
        f"header {hdr.path}", f"FORMAT 2 interpolation radius {hdr.interp_radius}",
        f"FILE_SIZE {hdr.file_size[0]} {hdr.file_size[1]}", f"WINDOW {hdr.window}",
        f"MSBAS-{dim}D", f"R_FLAG {hdr.r_flag} lambda {hdr.lam}",
        f"C_FLAG {hdr.calibration} boxes {hdr.boxes} zscore half-sizes {hdr.zscore_half}",
        f"MC_FLAG {hdr.min_coverage}", f"D_FLAG {hdr.d_flag} DD_NSEW_FILES {hdr.gradient_files}",
        f"SETS {len(hdr.sets)}: " + "; ".join(
            f"type {s.kind} {s.hhmmss} heading {s.heading} incidence {s.incidence} "
            f"{s.list_file} ({len(s.maps)} maps)"
            + (f" angles {s.theta_file} {s.phi_file}" if s.theta_file else "") for s in hdr.sets),
        f"calibration offsets (m): {np.round(np.nan_to_num(offsets), 6).tolist()}", ""])


def _persistent_cache() -> Path | None:
    """JAX's persistent compilation cache for the command line: the kernel of a given shape is
    compiled once per machine, not once per run (``GFJAX_JAX_CACHE``: folder, or 0 to disable;
    default ``~/.cache/gfjax/jax``). Returns the folder of gfjax's own cache of compiled
    kernels (``<folder>/msbas_kernels``: a re-run of the same network skips tracing and
    lowering too), None when disabled."""
    import os

    folder = os.environ.get("GFJAX_JAX_CACHE", str(Path.home() / ".cache" / "gfjax" / "jax"))
    if folder in ("", "0"):
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return Path(folder) / "msbas_kernels"


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m gfjax.msbas",
                                 description="MSBAS v10-compatible time-series inversion (gfjax)")
    ap.add_argument("header", help="MSBAS header.txt")
    ap.add_argument("--memory-budget-mb", type=float, default=1024.0)
    ap.add_argument("--lambda-lcurve", metavar="L1,L2,…", default=None,
                    help="choose λ by an L-curve over these candidates (R_FLAG's order is kept)")
    args = ap.parse_args(argv)
    kernels = _persistent_cache()
    lc = None
    if args.lambda_lcurve:
        try:
            lc = [float(x) for x in args.lambda_lcurve.split(",")]
        except ValueError:
            print(f"msbas: error: --lambda-lcurve expects numbers, got {args.lambda_lcurve}",
                  file=sys.stderr)
            return 2
    try:
        hdr_notes = parse_header(args.header).notes
        for n in hdr_notes:
            print(f"msbas: note: {n}", file=sys.stderr)
        names = run(args.header, ".", memory_budget_mb=args.memory_budget_mb, lcurve=lc,
                    executable_cache=kernels)
    except (HeaderError, ValueError) as exc:            # bad input: one clear line, exit 2
        print(f"msbas: error: {exc}", file=sys.stderr)
        return 2
    print(f"msbas: wrote {len(names)} files")
    return 0
