"""PyCuAmpcor / ISCE dense-offset outputs ↔ the Dataset :func:`gfjax.offsets.track_offsets` returns.

PyCuAmpcor (ISCE2 ``contrib/PyCuAmpcor``, ISCE3 ``isce3.cuda.matchtemplate``) writes one ENVI BIP
float32 raster per output, ``lines`` = windows along azimuth × ``samples`` = windows along range:

=====================  =====  ============================================================
file (ISCE3 name)      bands  gfjax variables
=====================  =====  ============================================================
``dense_offsets``      2      ``azimuth_offset``, ``range_offset`` (px, secondary − reference)
``gross_offsets``      2      ``prior_azimuth``, ``prior_range`` (px, search centres)
``snr``                1      ``snr``
``covariance``         3      ``cov_azimuth``, ``cov_range``, ``cov_cross`` (px²)
``correlation_peak``   1      ``peak``
=====================  =====  ============================================================

Coordinates are the window centres in reference pixels, as ``track_offsets`` gives them:
``first_window + i × step + (window − 1) / 2`` with ``first_window`` = PyCuAmpcor's
``referenceStartPixel{Down,Across}``, ``step`` = ``skipSample{Down,Across}`` and ``window`` =
``windowSize{Height,Width}``, all ordered (azimuth, range). Those three are attributes of the
Dataset (the tracker's names) and are written into the headers (``gfjax window = {32, 64}`` …),
so a written folder reads back without arguments; given arguments must agree with them.
"""
from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from .envi import EnviHeader, RawFormatError, envi_header_path, read_envi, write_envi

OUTPUTS = {"dense_offsets": ("azimuth_offset", "range_offset"),
           "gross_offsets": ("prior_azimuth", "prior_range"),
           "snr": ("snr",),
           "covariance": ("cov_azimuth", "cov_range", "cov_cross"),
           "correlation_peak": ("peak",)}
GRID_KEYS = ("first_window", "step", "window")
UNITS = {"azimuth_offset": "px", "range_offset": "px", "prior_azimuth": "px", "prior_range": "px",
         "cov_azimuth": "px2", "cov_range": "px2", "cov_cross": "px2"}


def _pair(value: Any, name: str, where: str) -> tuple[int, int]:
    try:
        a, r = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be two integers (azimuth, range), got {value!r}") from None
    return a, r


def _header_grid(header: EnviHeader, where: str) -> dict[str, tuple[int, int]]:
    out = {}
    for key, value in header.extra:
        if key.startswith("gfjax "):
            name = key.removeprefix("gfjax ").replace(" ", "_")
            if name in GRID_KEYS:
                out[name] = _pair(value.strip("{}").split(","), name, where)
    return out


def read_dense_offsets(folder: str | PathLike[str], *, first_window: ArrayLike | None = None,
                       step: ArrayLike | None = None, window: ArrayLike | None = None,
                       files: dict[str, str | PathLike[str]] | None = None) -> xr.Dataset:
    """Read a PyCuAmpcor output folder into a ``track_offsets``-like Dataset.

    ``first_window``, ``step``, ``window``: (azimuth, range) px; needed unless the headers carry
    them (files written by :func:`write_dense_offsets`). ``files`` maps output names (keys of
    ``OUTPUTS``) to paths, default ``folder/<name>``; ``dense_offsets`` is required, the others
    are read when present. Every output must have the same lines × samples and its band count.
    """
    folder = Path(folder)
    paths = {name: folder / name for name in OUTPUTS}
    paths.update({k: Path(v) for k, v in (files or {}).items()})
    unknown = set(paths) - set(OUTPUTS)
    if unknown:
        raise ValueError(f"files: unknown outputs {sorted(unknown)} (known: {sorted(OUTPUTS)})")
    if not paths["dense_offsets"].is_file():
        raise RawFormatError(f"{paths['dense_offsets']}: dense offsets file not found")
    data: dict[str, np.ndarray] = {}
    shape: tuple[int, int] | None = None
    grid: dict[str, tuple[int, int]] = {}
    for name, path in paths.items():
        if not path.is_file():
            continue
        values, header = read_envi(path, mmap=False)
        where = str(envi_header_path(path))
        if header.bands != len(OUTPUTS[name]):
            raise RawFormatError(f"{where}: {name} must have {len(OUTPUTS[name])} bands, header says {header.bands}")
        if shape is None:
            shape = (header.lines, header.samples)
        elif (header.lines, header.samples) != shape:
            raise RawFormatError(f"{where}: {name} is {header.lines} lines × {header.samples} samples, "
                                 f"dense_offsets is {shape[0]} × {shape[1]}")
        for key, value in _header_grid(header, where).items():
            if grid.setdefault(key, value) != value:
                raise RawFormatError(f"{where}: header {key} {value} differs from {grid[key]} in another output")
        values = values[None] if header.bands == 1 else values
        for var, band in zip(OUTPUTS[name], values):
            data[var] = band.astype(np.float32)
    args = dict(first_window=first_window, step=step, window=window)
    for key in GRID_KEYS:
        if args[key] is not None:
            value = _pair(args[key], key, str(folder))
            if key in grid and grid[key] != value:
                raise ValueError(f"{folder}: {key}={value} disagrees with the headers' {grid[key]}")
            grid[key] = value
        elif key not in grid:
            raise ValueError(f"{folder}: {key} (azimuth, range) px is not in the headers; pass {key}=")
    assert shape is not None  # dense_offsets (required, checked above) set it
    dims = ("azimuth", "range")
    coords = {dim: (dim, (grid["first_window"][i] + grid["step"][i] * np.arange(shape[i])
                          + (grid["window"][i] - 1) / 2.0).astype(np.float64), {"units": "px"})
              for i, dim in enumerate(dims)}
    variables: dict[str, tuple[Any, ...]] = {k: (dims, v, {"units": UNITS[k]} if k in UNITS else {})
                                             for k, v in data.items()}
    variables["valid"] = (dims, np.isfinite(data["azimuth_offset"]) & np.isfinite(data["range_offset"]))
    attrs: dict[str, Any] = {k: list(v) for k, v in grid.items()}
    attrs["source"] = "PyCuAmpcor dense offsets (ENVI BIP float32)"
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _grid_of(ds: xr.Dataset, first_window: ArrayLike | None, step: ArrayLike | None,
             window: ArrayLike | None, folder: str | PathLike[str]) -> dict[str, tuple[int, int]]:
    """(first_window, step, window) from arguments or attributes, checked against the coords."""
    grid = {}
    for key, value in zip(GRID_KEYS, (first_window, step, window)):
        value = value if value is not None else ds.attrs.get(key)
        if value is None or isinstance(value, str):
            raise ValueError(f"{folder}: pass {key}= (azimuth, range) px; the dataset has no {key!r} attribute")
        grid[key] = _pair(np.ravel(value), key, str(folder))
    for i, dim in enumerate(("azimuth", "range")):
        n = ds.sizes[dim]
        expect = grid["first_window"][i] + grid["step"][i] * np.arange(n) + (grid["window"][i] - 1) / 2.0
        if not np.allclose(ds[dim].values, expect):
            raise ValueError(f"{folder}: {dim} coordinates {ds[dim].values[:3]}… are not first_window + i × step + "
                             f"(window − 1)/2 = {expect[:3]}… for {grid}")
    return grid


def write_dense_offsets(ds: xr.Dataset, folder: str | PathLike[str], *, first_window: ArrayLike | None = None,
                        step: ArrayLike | None = None, window: ArrayLike | None = None) -> dict[str, Path]:
    """Write the PyCuAmpcor outputs present in ``ds`` (see ``OUTPUTS``) as ENVI BIP float32.

    The window grid comes from the arguments or ``ds.attrs`` and must match the coordinates.
    Returns ``{output name: path}``. ``azimuth_offset``/``range_offset`` are required.
    """
    folder = Path(folder)
    for var in OUTPUTS["dense_offsets"]:
        if var not in ds:
            raise ValueError(f"{folder}: dataset needs {var!r} to write dense_offsets")
    grid = _grid_of(ds, first_window, step, window, folder)
    extra = tuple((f"gfjax {k.replace('_', ' ')}", "{" + f"{v[0]}, {v[1]}" + "}") for k, v in grid.items())
    written = {}
    for name, variables in OUTPUTS.items():
        if not all(v in ds for v in variables):
            continue
        data = np.stack([ds[v].transpose("azimuth", "range").values.astype(np.float32) for v in variables])
        written[name] = write_envi(folder / name, data, interleave="bip", band_names=variables, extra=extra)
    return written


def offsets_dataset(folder: str | PathLike[str]) -> xr.Dataset:
    """A PyCuAmpcor output folder (headers carrying the window grid, as
    :func:`write_dense_offsets` writes them) as the offsets stage's per-pair Dataset:
    ``azimuth_offset``, ``range_offset``, ``snr``, ``peak``, ``cov_*`` (NaN when the output is
    absent) and ``reason`` (0 kept, 4 = NaN offset); attributes ``window``, ``step``, ``source``."""
    from .gamma_offsets import LOW_QUALITY, OK  # reason codes of gfjax.offsets.quality

    ds = read_dense_offsets(folder)
    nan = np.full(ds["azimuth_offset"].shape, np.nan, np.float32)
    dims = ("azimuth", "range")
    for var in ("snr", "peak", "cov_azimuth", "cov_range", "cov_cross"):
        if var not in ds:
            ds[var] = (dims, nan.copy(), {"units": UNITS[var]} if var in UNITS else {})
    bad = np.isnan(ds["azimuth_offset"].values) | np.isnan(ds["range_offset"].values)
    ds["reason"] = (dims, np.where(bad, LOW_QUALITY, OK).astype(np.int8))
    ds = ds.drop_vars([v for v in ("valid", "prior_azimuth", "prior_range") if v in ds])
    ds.attrs["source"] = f"PyCuAmpcor dense offsets {Path(folder).name}"
    return ds
