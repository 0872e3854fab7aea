"""Drop-in MSBAS v10 command line: ``python -m gfjax.msbas header.txt`` (ring 3-like driver).

Reads the header and list files (header.py), the GeoTIFF maps (value 0 = no data; NaN/Inf are
also treated as no data and counted in the log), applies MC_FLAG and C_FLAG, inverts with
``invert_maps`` and writes into the working directory, atomically (all or nothing):

- ``MSBAS_<YYYYMMDDTHHMMSS>_{comp}.tif`` displacement (m) at every epoch (0 at the first);
- ``MSBAS_<YYYYMMDDTHHMMSS>_v{comp}.tif`` velocity (m/yr) of the interval ending at that epoch
  (the first epoch's file is all 0);
- ``MSBAS_LINEAR_RATE_{comp}.tif``, ``…_STD_{comp}.tif``, ``…_R2_{comp}.tif``;
- ``MSBAS_RANK.tif``, ``MSBAS_COND_NUM.tif``, ``MSBAS_NORM_X.tif``, ``MSBAS_NORM_AXY.tif``;
- ``MSBAS_TSOUT.txt``: one line per epoch ``label decimal_year`` then, per component, the mean and
  std over pixels with data of the displacement (m) — the scene-average time series;
- ``MSBAS_LOG.txt``: inputs, options, maps used/dropped and why, no-data counts, timings.

Components {comp}: 1D ``LOS``; 2D ``EW UD``; 3D ``NS EW UD``; 4D ``NS EW UD U1`` (U1 = nSPF
vertical, MSBAS v10's name; v4 and the issue text call it UD1). Pixels without data are 0.
"""
from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path

import numpy as np

from gfjax.msbas.api import invert_maps
from gfjax.msbas.calibration import calibrate
from gfjax.msbas.geotiff import AtomicOutputs, read_map, write_tif
from gfjax.msbas.header import parse_header, map_times
from gfjax.msbas.network import build_network, epoch_label
from gfjax.msbas.synthetic import projection

FILE_COMPONENTS = {1: [("LOS", "los")], 2: [("EW", "east"), ("UD", "up")],
                   3: [("NS", "north"), ("EW", "east"), ("UD", "up")],
                   4: [("NS", "north"), ("EW", "east"), ("UD", "up_spf"), ("U1", "up_nspf")]}


def run(header_path, workdir=".", *, memory_budget_mb: float = 1024.0) -> list[str]:
    """Run one MSBAS inversion; returns the names of the files written in ``workdir``."""
    t_start = time.time()
    lines: list[str] = []
    note = lines.append
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hdr = parse_header(header_path)
    for w in caught:
        note(f"WARNING {w.message}")
    entries, set_index, tm, ts = map_times(hdr)
    set_index = np.array(set_index)
    names = [e.where for e in entries]
    dim = hdr.dim
    # network errors (dates, duplicates, overlap) before reading any map
    build_network(tm, ts, set_index, len(hdr.sets), common_window=dim > 1, names=names)
    c0, c1, r0, r1 = hdr.window
    maps = np.empty((len(entries), r1 - r0 + 1, c1 - c0 + 1), np.float32)
    profile = None
    n_nonfinite = 0
    for j, e in enumerate(entries):
        data, prof = read_map(e.path, hdr.file_size, e.where)
        profile = profile or prof
        data = data[r0:r1 + 1, c0:c1 + 1]
        bad = ~np.isfinite(data)
        if bad.any():
            n_nonfinite += int(bad.sum())
            note(f"WARNING {e.where}: {int(bad.sum())} NaN/Inf values in {e.path} treated as no data")
        maps[j] = np.where(bad | (data == 0), np.nan, data)
    coverage = np.isfinite(maps).mean(axis=(1, 2))
    use = coverage > 0
    use &= coverage >= hdr.min_coverage
    for j in np.nonzero(~use)[0]:
        note(f"dropped {names[j]} ({entries[j].path}): coverage {coverage[j]:.3f} < MC_FLAG "
             f"{hdr.min_coverage}" if coverage[j] > 0 else f"dropped {names[j]}: no valid pixel")
    maps, offsets, kept = calibrate(maps, hdr.calibration, hdr.boxes)
    for j in np.nonzero(use & ~kept)[0]:
        note(f"dropped {names[j]}: no valid pixel in the calibration reference")
    use &= kept
    if not use.any():
        raise ValueError(f"{hdr.path}: no map left after MC_FLAG / calibration")
    vectors = np.array([projection(s.heading, s.incidence, "range" if s.kind == 0 else "azimuth")
                        for s in hdr.sets])
    grads = None
    if dim == 4:
        grads = np.stack([read_map(p, hdr.file_size, f"{hdr.path}: DD_NSEW_FILES")[0]
                          [r0:r1 + 1, c0:c1 + 1] for p in hdr.gradient_files]).astype(np.float64)
    idx = np.nonzero(use)[0]
    ds = invert_maps(maps[idx], set_index[idx], np.asarray(tm)[idx], np.asarray(ts)[idx],
                     vectors, grads, dim=dim, order=hdr.order, lam=hdr.lam,
                     memory_budget_mb=memory_budget_mb, names=[names[j] for j in idx])
    t_inv = time.time() - t_start
    epochs = ds["time"].values
    labels = [epoch_label(t) for t in epochs]
    if profile is not None and (c0 or r0):
        profile = dict(profile, transform=profile["transform"] @ _translation(c0, r0))

    def img(a):
        return np.nan_to_num(np.asarray(a, np.float32), nan=0.0)

    out_dir = Path(workdir)
    with AtomicOutputs(out_dir) as out:
        for code, name in FILE_COMPONENTS[dim]:
            disp = ds[f"displacement_{name}"].values
            vel = ds[f"velocity_{name}"].values
            for k, lab in enumerate(labels):
                write_tif(out.path(f"MSBAS_{lab}_{code}.tif"), img(disp[k]), profile)
                v = np.zeros(disp.shape[1:], np.float32) if k == 0 else img(vel[k - 1])
                write_tif(out.path(f"MSBAS_{lab}_v{code}.tif"), v, profile)
            write_tif(out.path(f"MSBAS_LINEAR_RATE_{code}.tif"),
                      img(ds[f"linear_rate_{name}"]), profile)
            write_tif(out.path(f"MSBAS_LINEAR_RATE_STD_{code}.tif"),
                      img(ds[f"linear_rate_std_{name}"]), profile)
            write_tif(out.path(f"MSBAS_LINEAR_RATE_R2_{code}.tif"),
                      img(ds[f"linear_rate_r2_{name}"]), profile)
        write_tif(out.path("MSBAS_RANK.tif"), img(ds["rank"].values), profile)
        write_tif(out.path("MSBAS_COND_NUM.tif"), img(ds["cond"]), profile)
        write_tif(out.path("MSBAS_NORM_X.tif"), img(ds["norm_x"]), profile)
        write_tif(out.path("MSBAS_NORM_AXY.tif"), img(ds["residual_norm"]), profile)
        out.path("MSBAS_TSOUT.txt").write_text(_tsout(ds, dim, labels, epochs))
        rank = ds["rank"].values
        note(f"inverted {int(use.sum())} of {len(entries)} maps, {len(epochs)} epochs, "
             f"{rank.size} pixels ({int((ds['valid_map_count'].values > 0).sum())} with data), "
             f"rank min/median/max {rank.min()}/{int(np.median(rank))}/{rank.max()}, "
             f"{n_nonfinite} NaN/Inf input values treated as no data")
        note(f"time {t_inv:.1f} s (read + invert)")
        out.path("MSBAS_LOG.txt").write_text(_log_header(hdr, dim, offsets) + "\n".join(lines) + "\n")
    logging.getLogger(__name__).info("msbas: wrote %d files in %s", len(out.names), out_dir)
    return out.names


def _translation(c0, r0):
    from rasterio.transform import Affine

    return Affine.translation(c0, r0)


def _tsout(ds, dim, labels, epochs) -> str:
    head = ["# gfjax MSBAS_TSOUT: scene-average displacement time series",
            "# columns: epoch(YYYYMMDDTHHMMSS) decimal_year then per component mean_m std_m "
            "over pixels with data; components: " + " ".join(c for c, _ in FILE_COMPONENTS[dim])]
    rows = []
    for k, (lab, t) in enumerate(zip(labels, epochs)):
        vals = []
        for _, name in FILE_COMPONENTS[dim]:
            d = ds[f"displacement_{name}"].values[k]
            ok = np.isfinite(d)
            vals += [float(d[ok].mean()) if ok.any() else 0.0, float(d[ok].std()) if ok.any() else 0.0]
        rows.append(f"{lab} {t:.9f} " + " ".join(f"{v:.6f}" for v in vals))
    return "\n".join(head + rows) + "\n"


def _log_header(hdr, dim, offsets) -> str:
    import gfjax

    return "\n".join([
        f"gfjax {gfjax.__version__} MSBAS (v10-compatible) log",
        f"header {hdr.path}", f"FILE_SIZE {hdr.file_size[0]} {hdr.file_size[1]}",
        f"WINDOW {hdr.window}", f"DIM {dim}", f"REGULARISATION order {hdr.order} lambda {hdr.lam}",
        f"CALIBRATION {hdr.calibration} boxes {hdr.boxes}", f"MC_FLAG {hdr.min_coverage}",
        f"SETS {len(hdr.sets)}: " + "; ".join(
            f"type {s.kind} {s.hhmmss} heading {s.heading} incidence {s.incidence} "
            f"{s.list_file} ({len(s.maps)} maps)" for s in hdr.sets),
        f"calibration offsets (m): {np.round(offsets, 6).tolist()}", ""])


def main(argv=None) -> int:
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m gfjax.msbas",
                                 description="MSBAS v10-compatible time-series inversion (gfjax)")
    ap.add_argument("header", help="MSBAS header.txt")
    ap.add_argument("--memory-budget-mb", type=float, default=1024.0)
    args = ap.parse_args(argv)
    try:
        names = run(args.header, ".", memory_budget_mb=args.memory_budget_mb)
    except ValueError as exc:                       # bad input: one clear line, exit 2
        print(f"msbas: error: {exc}", file=sys.stderr)
        return 2
    print(f"msbas: wrote {len(names)} files")
    return 0
