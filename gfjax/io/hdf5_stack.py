"""Co-registered SLC stacks in HDF5 (h5py): one file, dates + complex64 images (azimuth, range).

Two layouts are read; ``write_slc_stack`` writes either:

* ``cube`` (default): dataset ``/slc`` complex64 ``(date, azimuth, range)``, chunked one image
  tile at a time, and dataset ``/dates`` of ISO-8601 UTC strings (``2022-10-16T01:50:44``), one
  per image, strictly increasing;
* ``per_date``: group ``/slc`` holding one 2-D complex64 dataset per date, named by the date
  (``20221016T015044``), all of one shape; no ``/dates`` dataset (the names are the dates).

Root attributes: ``format = "gfjax-slc-stack"``, ``format_version = 1``, ``layout``, ``axes =
"date, azimuth, range"`` plus the caller's ``attrs``. Dates are ``numpy.datetime64[s]``.
Every mismatch (dtype, rank, shapes, date count, unparsable or unordered dates) is a
:class:`SlcStackError` naming the file, the dataset and what was expected.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..core.time import parse_time

FORMAT = "gfjax-slc-stack"
LAYOUTS = ("cube", "per_date")


class SlcStackError(ValueError):
    """Invalid SLC stack file or input; the message names file, dataset and expectation."""


@dataclass(frozen=True)
class SlcStackInfo:
    path: Path
    layout: str
    dates: np.ndarray          # datetime64[s]
    shape: tuple[int, ...]     # (dates, azimuth, range)


def _dates(values: ArrayLike, where: str) -> np.ndarray:
    out = []
    for v in np.ravel(values):
        text = v.decode() if isinstance(v, bytes) else str(v)
        try:
            d = parse_time(text, "s")
        except ValueError:
            raise SlcStackError(f"{where}: date {text!r} is not YYYY-MM-DD[THH:MM:SS] or "
                                f"YYYYMMDD[THHMMSS]") from None
        if np.isnat(d):
            raise SlcStackError(f"{where}: date {text!r} is not a valid date")
        out.append(d)
    dates = np.array(out, dtype="datetime64[s]")
    if dates.size and np.any(np.diff(dates) <= np.timedelta64(0, "s")):
        raise SlcStackError(f"{where}: dates must be strictly increasing, got {[str(d) for d in dates]}")
    return dates


def _check_image(ds: Any, where: str, ndim: int) -> None:  # ds: an h5py.Dataset (h5py is untyped)
    if ds.dtype != np.complex64:
        raise SlcStackError(f"{where}: dtype must be complex64, got {ds.dtype}")
    if ds.ndim != ndim:
        raise SlcStackError(f"{where}: expected {ndim} dimensions ({'date, ' if ndim == 3 else ''}azimuth, "
                            f"range), got shape {ds.shape}")


def _open(path: Path) -> Any:  # an h5py.File (h5py is untyped)
    import h5py

    if not path.is_file():
        raise SlcStackError(f"{path}: SLC stack not found")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise SlcStackError(f"{path}: not an HDF5 file ({exc})") from None


def _layout(f: Any, path: Path) -> str:
    import h5py

    if "slc" not in f:
        raise SlcStackError(f"{path}: no /slc dataset or group")
    return "per_date" if isinstance(f["slc"], h5py.Group) else "cube"


def slc_stack_info(path: str | PathLike[str]) -> SlcStackInfo:
    """Layout, dates and shape of a stack, checked, without reading the images."""
    path = Path(path)
    with _open(path) as f:
        layout = _layout(f, path)
        if layout == "cube":
            _check_image(f["slc"], f"{path}:/slc", 3)
            if "dates" not in f:
                raise SlcStackError(f"{path}: /dates dataset missing (one date per /slc image)")
            dates = _dates(f["dates"][()], f"{path}:/dates")
            shape = tuple(f["slc"].shape)
            if dates.size != shape[0]:
                raise SlcStackError(f"{path}: /dates has {dates.size} dates, /slc has {shape[0]} images")
            return SlcStackInfo(path, layout, dates, shape)
        names = sorted(f["slc"].keys())
        if not names:
            raise SlcStackError(f"{path}:/slc group holds no image")
        shapes = set()
        for n in names:
            _check_image(f["slc"][n], f"{path}:/slc/{n}", 2)
            shapes.add(f["slc"][n].shape)
        if len(shapes) != 1:
            raise SlcStackError(f"{path}:/slc images must share one (azimuth, range) shape, got {sorted(shapes)}")
        dates = _dates(names, f"{path}:/slc")
        return SlcStackInfo(path, layout, dates, (len(names),) + shapes.pop())


def read_slc_stack(path: str | PathLike[str], *, dates: ArrayLike | None = None,
                   window: tuple[slice, slice] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(slc (n, azimuth, range) complex64, dates datetime64[s])``.

    ``dates``: the subset to read (each must be in the stack); ``window``: ``(azimuth slice,
    range slice)`` to read a block only.
    """
    info = slc_stack_info(path)
    pick = np.arange(info.dates.size)
    if dates is not None:
        want = np.array(dates, dtype="datetime64[s]").ravel()
        missing = [str(d) for d in want if d not in info.dates]
        if missing:
            raise SlcStackError(f"{info.path}: dates {missing} not in the stack ({info.dates[0]} … {info.dates[-1]}, "
                                f"{info.dates.size} dates)")
        pick = np.searchsorted(info.dates, want)
    az, rg = window if window is not None else (slice(None), slice(None))
    with _open(info.path) as f:
        if info.layout == "cube":
            out = np.stack([f["slc"][i, az, rg] for i in pick]) if pick.size else \
                np.empty((0,) + info.shape[1:], np.complex64)
        else:
            names = sorted(f["slc"].keys())
            out = np.stack([f["slc"][names[i]][az, rg] for i in pick])
    return out, info.dates[pick]


def write_slc_stack(path: str | PathLike[str], slc: ArrayLike, dates: ArrayLike, *, layout: str = "cube",
                    attrs: dict[str, Any] | None = None, compression: str | None = None) -> Path:
    """Write ``slc`` (n, azimuth, range) complex with its ``n`` dates; atomic (temporary + rename)."""
    import h5py

    path = Path(path)
    arr = np.asarray(slc)
    if layout not in LAYOUTS:
        raise SlcStackError(f"{path}: layout must be one of {LAYOUTS}, got {layout!r}")
    if arr.ndim != 3 or not np.iscomplexobj(arr):
        raise SlcStackError(f"{path}: slc must be complex (dates, azimuth, range), got {arr.dtype} {arr.shape}")
    when = _dates([str(d) for d in np.asarray(dates, dtype="datetime64[s]").ravel()], f"{path}: dates")
    if when.size != arr.shape[0]:
        raise SlcStackError(f"{path}: {when.size} dates for {arr.shape[0]} images")
    path.parent.mkdir(parents=True, exist_ok=True)
    from .atomic import mkstemp_for

    fd, tmp = mkstemp_for(path, suffix="")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(dict(format=FORMAT, format_version=1, layout=layout, axes="date, azimuth, range"))
            f.attrs.update(attrs or {})
            tile = (min(arr.shape[1], 512), min(arr.shape[2], 512))
            if layout == "cube":
                f.create_dataset("slc", data=arr.astype(np.complex64), chunks=(1,) + tile, compression=compression)
                f.create_dataset("dates", data=np.array([str(d) for d in when], dtype="S19"))
            else:
                group = f.create_group("slc")
                for d, img in zip(when, arr):
                    name = str(d).replace("-", "").replace(":", "")
                    group.create_dataset(name, data=img.astype(np.complex64), chunks=tile, compression=compression)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
