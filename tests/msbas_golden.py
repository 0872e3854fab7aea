"""Comparison of gfjax's MSBAS outputs with MSBAS v10's golden outputs (tests/data/msbas_v10).

``compare(expected_dir, actual_dir)`` returns one row per v10 file: (name, kind, error):

- diagnostics (rank, condition number, norms, z-score mask, stack, rate std and R²): the largest
  per-pixel ``|a − b| / (|b| + 1e-5 max|b|)`` (the issue asks 1e-3);
- time series and rates (displacement, velocity, linear rate): ``max |a − b| / max |b|`` — v10
  builds its matrix from float32 times and vectors, so values crossing 0 differ by ~1e-7 of the
  file's scale, not of the value;
- text files: 0 if identical, else 1; a file gfjax did not write: 1. ``MSBAS_LOG.txt`` is free text (gfjax writes its own): presence only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).parent / "data" / "msbas_v10"
DIAGNOSTICS = {"MSBAS_RANK", "MSBAS_COND", "MSBAS_NORM", "MSBAS_ZSCORE", "MSBAS_STACK",
               "MSBAS_LINEAR_RATE_STD", "MSBAS_LINEAR_RATE_R2"}
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "expected").is_dir()) \
    if GOLDEN.is_dir() else []


def _tif(path):
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1).astype(np.float64), (src.width, src.height, src.dtypes[0], src.nodata,
                                                src.transform, src.crs)


def compare(expected: Path, actual: Path) -> list[tuple[str, str, float]]:
    rows = []
    for exp in sorted(Path(expected).iterdir()):
        act = Path(actual) / exp.name
        if not act.is_file():
            rows.append((exp.name, "missing", 1.0))
        elif exp.name == "MSBAS_LOG.txt":
            rows.append((exp.name, "log", 0.0))
        elif exp.suffix == ".txt":
            rows.append((exp.name, "text", float(exp.read_text() != act.read_text())))
        else:
            b, meta_b = _tif(exp)
            a, meta_a = _tif(act)
            if meta_a != meta_b:
                rows.append((exp.name, f"metadata {meta_a} != {meta_b}", 1.0))
                continue
            nan = np.isnan(a) | np.isnan(b)
            if (np.isnan(a) != np.isnan(b)).any():
                rows.append((exp.name, "NaN pattern", 1.0))
                continue
            scale = max(float(np.abs(b[~nan]).max(initial=0.0)), 1e-30)
            if exp.name.split(".")[0].rsplit("_", 1)[0] in DIAGNOSTICS:
                err = np.abs(a - b)[~nan] / (np.abs(b[~nan]) + 1e-5 * scale)
                rows.append((exp.name, "diagnostic", float(err.max(initial=0.0))))
            else:
                err = np.abs(a - b)[~nan] / scale
                rows.append((exp.name, "series", float(err.max(initial=0.0))))
    return rows
