"""Writing MSBAS v10's output files (ring 2): GeoTIFFs and the text files, v10's layouts.

GeoTIFFs are copies of the template (the first map of the first SET, as v10's ``CreateCopy``):
same size (FILE_SIZE), data type, georeferencing and tags, no-data value 0, the processed
window in place and 0 outside it. Text files (``MSBAS_TSOUT.txt``, ``MSBAS_vTSOUT.txt``,
``MSBAS_TIME_MATRIX.txt``) have v10's exact layouts (``printf`` formats of ``carea.cpp``).
Everything is written into a hidden temporary folder and moved into place only when all files
are written (:class:`AtomicOutputs`); files are written by a thread pool.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np


class AtomicOutputs:
    """Context manager: files written under ``.tmp`` go to ``final_dir`` only on success."""

    def __init__(self, final_dir: Path):
        self.final_dir = Path(final_dir)
        self.tmp: Path | None = None
        self.names: list[str] = []

    def __enter__(self) -> "AtomicOutputs":
        self.tmp = Path(tempfile.mkdtemp(prefix=".msbas_tmp_", dir=self.final_dir))
        return self

    def path(self, name: str) -> Path:
        assert self.tmp is not None, "use AtomicOutputs as a context manager"
        self.names.append(name)
        return self.tmp / name

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        tmp = self.tmp
        assert tmp is not None
        try:
            if exc_type is None:
                for name in self.names:
                    os.replace(tmp / name, self.final_dir / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class TifWriter:
    """Writes (rows, cols) window images as full-size copies of the template (see module doc)."""

    def __init__(self, template: dict[str, Any], size: tuple[int, int], window: tuple[int, int, int, int],
                 threads: int | None = None):
        self.template, self.size, self.window = template, size, window
        self.pool = ThreadPoolExecutor(threads or min(8, (os.cpu_count() or 1) + 2))
        self.pending: list[Future[None]] = []

    def write(self, path: Path, data: np.ndarray) -> None:
        self.pending.append(self.pool.submit(self._write, path, np.asarray(data, np.float32)))

    def _write(self, path: Path, data: np.ndarray) -> None:
        import rasterio

        cols, rows = self.size
        c0, c1, r0, r1 = self.window
        full = np.zeros((rows, cols), np.float32)
        full[r0:r1 + 1, c0:c1 + 1] = data
        t = self.template
        prof = {"driver": "GTiff", "count": 1, "dtype": t.get("dtype", "float32"), "height": rows,
                "width": cols, "nodata": 0.0}
        for key in ("crs", "transform"):
            if t.get(key) is not None:
                prof[key] = t[key]
        with rasterio.open(path, "w", **prof) as dst:
            dst.write(full.astype(prof["dtype"]), 1)
            if t.get("tags"):
                dst.update_tags(**t["tags"])

    def close(self) -> None:
        try:
            for f in self.pending:
                f.result()
        finally:
            self.pool.shutdown()
            self.pending = []


def flag_lines(radius: int, size: tuple[int, int], c_flag: int, centres: Iterable[tuple[int, int]],
               half: tuple[int, int]) -> str:
    """The FORMAT / FILE_SIZE / C_FLAG lines that open v10's TSOUT files."""
    text = f"FORMAT=2,{radius}\nFILE_SIZE={size[0]},{size[1]}\nC_FLAG={c_flag}"
    if 0 < c_flag < 10:
        text += "".join(f", {c}, {r}" for c, r in centres) + f", {half[0]}, {half[1]}\n"
    else:
        text += "\n"
    return text


def tsout(head: str, labels: Iterable[str], epochs: Iterable[float], files_per_epoch: Iterable[Iterable[str]]) -> str:
    """v10's ``MSBAS_TSOUT.txt`` / ``MSBAS_vTSOUT.txt``: ``label %f file…`` per epoch."""
    return head + "".join(f"{lab} {t:f} {' '.join(f)}\n"
                          for lab, t, f in zip(labels, epochs, files_per_epoch))


def time_matrix_text(matrix: np.ndarray) -> str:
    """v10's ``MSBAS_TIME_MATRIX.txt``: every entry ``%11.6f `` then a newline per row."""
    return "".join("".join(f"{v:11.6f} " for v in row) + "\n" for row in matrix)


def v10_time_matrix(time: np.ndarray, dim: int, n_slope_rows: int, r_flag: int,
                    lam: float) -> np.ndarray:
    """v10's generic time matrix: map rows (T_jk repeated for each component), zero rows for the
    slope constraints, then the regularisation rows (λ; −λ, λ; λ, −2λ, λ)."""
    m, n = time.shape
    cols = n * dim
    rows = [np.repeat(time, dim, axis=1)] if m else [np.zeros((0, cols))]
    rows.append(np.zeros((n_slope_rows, cols)))
    stencil = {1: [1.0], 2: [-1.0, 1.0], 3: [1.0, -2.0, 1.0]}.get(r_flag)
    if stencil:
        k = len(stencil) - 1
        reg = np.zeros((max(cols - k * dim, 0), cols))
        for i in range(reg.shape[0]):
            for o, c in enumerate(stencil):
                reg[i, i + o * dim] = c * np.float32(lam)
        rows.append(reg)
    return np.concatenate(rows, axis=0)
