"""Precomputed offsets as input of the offsets stage: the pairs for which the scene holds
offsets (a stack's GAMMA ``.offs``/``.ccp``/``.off``, :mod:`gfjax.io.gamma_offsets`, or ISCE /
PyCuAmpcor dense offsets, :mod:`gfjax.io.ampcor`; layouts: ``gfjax.io.stack.OFFSET_LAYOUTS``) are read
into the per-pair dataset layout the tracker writes — same variables, window-centre
coordinates and attributes — instead of being tracked. Later stages cannot tell them apart."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gfjax.pipeline.stages.offsets import KEEP_VARS, pair_file, write_dataset_atomic

log = logging.getLogger("gfjax")


def has_precomputed(scene, track: str, k: int) -> bool:
    return k in getattr(scene.tracks[track], "offset_stems", {})


def import_precomputed(ctx, folder: Path, todo: list[tuple[str, int]]) -> tuple[list, list[dict]]:
    """Write the per-pair files of the pairs in ``todo`` that have precomputed offsets; returns
    (the pairs still to track, one report record per pair read)."""
    scene = ctx.scene
    read = [p for p in todo if has_precomputed(scene, *p)]
    if not read:
        return todo, []
    log.info("offsets: %d pair(s) read from precomputed offsets, not tracked", len(read))
    records = []
    for track, k in read:
        ds = scene.precomputed_offsets(track, k)
        t_ref, t_sec = scene.pair_times(track, k)
        window, step = ds.attrs.get("window"), ds.attrs.get("step")
        ds = ds[list(KEEP_VARS)]
        ds.attrs.update(track=track, pair=k, t_reference=t_ref, t_secondary=t_sec, source="precomputed",
                        window=list(window), step=list(step))
        write_dataset_atomic(ds, pair_file(folder, track, k))
        ok = np.isfinite(ds["azimuth_offset"].values) & np.isfinite(ds["range_offset"].values)
        records.append({"track": track, "pair": k, "days": round((t_sec - t_ref) * 365.25, 2),
                        "valid_fraction": float(ok.mean()), "source": "precomputed"})
    return [p for p in todo if p not in set(read)], records
