"""Export stages: the run's intermediate products in the field's own formats, each its own stage
so that turning an ``output.*`` switch on for a finished run writes it without re-running what
is done.

- ``export_offsets`` (``output.gamma_offsets``, ``output.ampcor_offsets``): every pair's offsets
  as GAMMA ``.offs/.ccp/.off`` in ``offsets_gamma/<track>/`` and as ISCE / PyCuAmpcor ENVI
  outputs in ``offsets_ampcor/<track>/<ref>_<sec>/`` (both are input layouts of precomputed
  offsets). It runs before geocode consumes the per-pair offsets; on a finished run whose offsets
  were consumed, it needs them back (``Stage.needs_items``): the runner does not count the
  receipts, so the offsets stage tracks those pairs again, and once exported they are released.
- ``export_msbas`` (``output.msbas_inputs``): the geocoded map stack as an MSBAS v10 input folder
  ``msbas_inputs/`` (GeoTIFF maps, list files, header.txt), from the geocode stage's stack.

An export stage is optional: the runner adds it to the requested stages when its switch is on
and every stage it requires is requested (``Stage.enabled``); listing it in ``stages`` runs it
whatever the switches say (it then writes nothing when they are off). ``gfjax.pipeline.stages``
registers them in pipeline order.
"""
from __future__ import annotations

import logging

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from gfjax.pipeline.stage import Stage, StageError
from gfjax.pipeline.stages.offsets import my_pairs, pair_file

log = logging.getLogger("gfjax")


def pair_name(ctx, track: str, k: int) -> str:
    """``<ref>_<sec>`` (YYYYMMDD) of pair ``k`` of ``track``."""
    times = ctx.scene.tracks[track].times
    i, j = ctx.scene.tracks[track].pairs[k]
    return "_".join(str(np.datetime64(times[n], "D")).replace("-", "") for n in (i, j))


def export_gamma_offsets(ctx, ds: xr.Dataset, track: str, k: int) -> None:
    """One pair's offsets as GAMMA files ``offsets_gamma/<track>/<ref>_<sec>.offs/.ccp/.off``."""
    from gfjax.io.gamma_offsets import write_offsets_dataset

    name = pair_name(ctx, track, k)
    write_offsets_dataset(ds, ctx.path("offsets_gamma", track, name), title=f"gfjax offsets {track} {name}")


def export_ampcor_offsets(ctx, ds: xr.Dataset, track: str, k: int) -> None:
    """One pair's offsets as PyCuAmpcor ENVI outputs in ``offsets_ampcor/<track>/<ref>_<sec>/``."""
    from gfjax.io.ampcor import write_dense_offsets

    window = [int(w) for w in ds.attrs["window"]]
    first = [int(round(float(ds[dim].values[0]) - (w - 1) / 2.0)) for dim, w in zip(("azimuth", "range"), window)]
    write_dense_offsets(ds, ctx.path("offsets_ampcor", track, pair_name(ctx, track, k)), first_window=first,
                        step=[int(s) for s in ds.attrs["step"]], window=window)


def offsets_exports_on(settings) -> bool:
    out = settings.output
    return bool(out.gamma_offsets or out.ampcor_offsets)


def run_export_offsets(ctx) -> dict:
    out = ctx.settings.output
    if not offsets_exports_on(ctx.settings):
        return {"written": []}
    src = ctx.existing_stage_dir("offsets")
    mine = my_pairs(ctx)
    for track, k in tqdm(mine, desc="export_offsets: pairs", unit="pair", mininterval=5,
                         disable=not ctx.workers.is_root):
        path = pair_file(src, track, k)
        if not path.is_file():
            raise StageError(f"export_offsets: the offsets of pair {track}/{k} are not in {src} (consumed "
                             "by an earlier run?); run with stages=[offsets,export_offsets] force=true")
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
        if out.gamma_offsets:
            export_gamma_offsets(ctx, ds, track, k)
        if out.ampcor_offsets:
            export_ampcor_offsets(ctx, ds, track, k)
        ctx.release_if_consumed(path)  # tracked again only for this export: gone again
    ctx.workers.barrier()
    written = [name for name, on in (("offsets_gamma", out.gamma_offsets), ("offsets_ampcor", out.ampcor_offsets)) if on]
    return {"written": written, "pairs": len(mine)}


def run_export_msbas(ctx) -> dict:
    if not ctx.settings.output.msbas_inputs:
        return {"written": []}
    from gfjax.pipeline.msbas_folder import write_msbas_folder
    from gfjax.pipeline.stages.geocode import map_sets, maps_path

    path = maps_path(ctx)
    if not path.is_file():
        raise StageError(f"export_msbas: the geocoded map stack {path} is missing; re-run geocode "
                         "(stages=[geocode,export_msbas] force=true)")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        stack = ds.load()
    header = write_msbas_folder(ctx.path("msbas_inputs", "header.txt").parent, stack, map_sets(ctx.scene),
                                ctx.grid, ctx.settings.msbas)
    log.info("export_msbas: MSBAS v10 input folder written: %s", header)
    return {"written": ["msbas_inputs"], "header": str(header)}


EXPORT_OFFSETS = (Stage("export_offsets", run_export_offsets, sections=("output.gamma_offsets", "output.ampcor_offsets"),
                   requires=("offsets",), enabled=offsets_exports_on, needs_items=True,
                   description="every pair's offsets as GAMMA / ISCE-ampcor files (output.gamma_offsets, "
                               "output.ampcor_offsets)",
                   code=("gfjax.io.gamma_offsets", "gfjax.io.ampcor")))
EXPORT_MSBAS = (Stage("export_msbas", run_export_msbas, sections=("output.msbas_inputs", "msbas.order", "msbas.lam"),
                   requires=("geocode",), enabled=lambda settings: bool(settings.output.msbas_inputs),
                   root_only=True, description="the map stack as an MSBAS v10 input folder (output.msbas_inputs)",
                   code=("gfjax.io.msbas_export", "gfjax.pipeline.msbas_folder")))
