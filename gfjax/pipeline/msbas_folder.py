"""``output.msbas_inputs``: the geocoded map stack as an MSBAS v10 input folder (GeoTIFF maps, one
list file per set, ``header.txt``), so that the reference MSBAS can be run on gfjax's offsets —
the hand-over to the field's existing tool (issue 8). Written by the geocode stage."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr


def write_msbas_folder(folder: Path, stack: xr.Dataset, sets: list[dict], grid, msbas_opts) -> Path:
    """Export ``stack`` (the geocode stage's map stack) with its ``sets`` (track, kind, heading,
    incidence) to ``folder``; Tikhonov order and λ from ``msbas_opts``. Returns header.txt."""
    from gfjax.io.msbas_export import MsbasSet, export_msbas
    from gfjax.core.time import datetime_from_decimal_year

    out = []
    for i, s in enumerate(sets):
        sel = np.flatnonzero(stack["set_index"].values == i)
        t0 = datetime_from_decimal_year(stack["t_master"].values[sel])
        t1 = datetime_from_decimal_year(stack["t_slave"].values[sel])
        # MSBAS gives one acquisition time of day per set: that of the set's first image
        hhmmss = str(t0[0])[11:19].replace(":", "") if sel.size else "000000"
        pairs = [(a, b, stack["displacement"].values[j]) for a, b, j in zip(t0, t1, sel)]
        out.append(MsbasSet(kind=s["kind"], heading_deg=float(s["heading_deg"]),
                            incidence_deg=float(s["incidence_deg"]), pairs=pairs, hhmmss=hhmmss,
                            name=f"{s['track']}_{s['kind']}"))
    return export_msbas(folder, out, grid, order=int(msbas_opts.order), lam=float(msbas_opts.lam))
