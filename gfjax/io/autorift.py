"""HyP3 autoRIFT / ITS_LIVE image-pair velocity products (NetCDF) → xarray Dataset with dates.

Layout read (as ``hyp3_autorift/vend/netcdf_output.py`` writes it, ITS_LIVE v2 granules):

* dims ``y``, ``x``; ``x``/``y`` float64 cell centres in metres (``y`` decreasing);
* ``vx``, ``vy``, ``v``, ``v_error`` (and for radar pairs ``vr``, ``va``): int16 m/yr with
  ``_FillValue = -32767`` (decoded to float32 with NaN), ``grid_mapping = "mapping"``;
  radar pairs also carry ``M11``, ``M12`` (float32, px/(m/yr)): ``dr = M11 vx + M12 vy`` is the
  range pixel displacement; ``chip_size_width``/``_height`` (uint16 m), ``interp_mask`` (uint8);
* ``mapping``: int8 scalar with the grid mapping (``grid_mapping_name`` polar_stereographic or
  universal_transverse_mercator, ``spatial_epsg``, ``crs_wkt``/``spatial_ref``, ``GeoTransform``
  — whose origin HyP3 sets to the first cell *centre*; the edge convention is accepted too);
* ``img_pair_info``: int8 scalar whose attributes describe the pair: ``acquisition_date_img1``,
  ``acquisition_date_img2`` (``YYYYMMDDTHH:MM:SS.ffffff``), ``date_center``, ``date_dt`` (days),
  ``mission_img1``/``satellite_img1`` …

Returned: the variables present (float32, NaN = no data) on the file's grid with ``spatial_ref``
(:func:`gfjax.io.attach_grid`), scalar ``datetime64[ns]`` coordinates ``acquisition_date_img1``,
``acquisition_date_img2``, ``date_center``, the pair attributes as dataset attributes, and
``range_offset`` (px) where ``M11``/``M12`` exist. With ``grid=`` everything is warped onto a
project :class:`~gfjax.geometry.grid.MapGrid` and ``vx``/``vy`` are rotated into its east/north
(the ITS_LIVE path of :mod:`gfjax.io.itslive`). Azimuth offsets are not in the product.
"""
from __future__ import annotations

from collections.abc import Hashable
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..core.time import TIME_PATTERN, parse_time
from ..geometry.grid import MapGrid
from .itslive import grid_velocity, reproject_to_grid
from .netcdf import attach_grid

DATE_KEYS = ("acquisition_date_img1", "acquisition_date_img2", "date_center")


def parse_autorift_date(text: str | bytes, where: str) -> np.datetime64:
    """``20221016T01:50:44.577283`` / ``20221016T015044`` / ISO / ``20221016`` → datetime64[ns]
    (:func:`gfjax.core.time.parse_time`)."""
    if not TIME_PATTERN.fullmatch(str(text).strip()):
        raise ValueError(f"{where}: expected a date YYYYMMDDTHH:MM:SS[.ffffff], got {text!r}")
    try:
        return parse_time(text, "ns", strict=True)
    except ValueError:
        raise ValueError(f"{where}: not a valid date {text!r}") from None


def _grid(ds: xr.Dataset, mapping: str, where: str) -> MapGrid:
    from pyproj import CRS

    if mapping not in ds.variables:
        raise ValueError(f"{where}: grid mapping variable {mapping!r} not found")
    attrs = ds[mapping].attrs
    wkt = attrs.get("crs_wkt") or attrs.get("spatial_ref")
    epsg = CRS.from_wkt(wkt).to_epsg() if wkt else None
    if "spatial_epsg" in attrs:
        code = int(np.asarray(attrs["spatial_epsg"]).ravel()[0])
        if epsg is not None and epsg != code:
            raise ValueError(f"{where}: {mapping}.spatial_epsg {code} disagrees with its crs_wkt (EPSG:{epsg})")
        epsg = code
    if epsg is None:
        raise ValueError(f"{where}: {mapping} needs spatial_epsg or a crs_wkt with an EPSG code")
    x, y = ds["x"].values.astype(np.float64), ds["y"].values.astype(np.float64)
    if x.size < 2 or y.size < 2:
        raise ValueError(f"{where}: need at least 2 x and 2 y coordinates, got {x.size} × {y.size}")
    dx, dy = x[1] - x[0], y[0] - y[1]
    if dx <= 0 or not np.isclose(dx, dy) or not np.allclose(np.diff(x), dx) or not np.allclose(-np.diff(y), dy):
        raise ValueError(f"{where}: x must increase and y decrease with one square spacing, got dx={dx}, dy={dy}")
    grid = MapGrid(int(epsg), float(x[0] - dx / 2), float(y[0] + dy / 2), float(dx), x.size, y.size)
    if "GeoTransform" in attrs:
        gt = [float(v) for v in str(attrs["GeoTransform"]).split()]
        ok = len(gt) == 6 and np.isclose(gt[1], dx) and np.isclose(gt[5], -dy) and any(
            np.isclose(gt[0], x0) and np.isclose(gt[3], y0) for x0, y0 in ((x[0], y[0]), (grid.x0, grid.y0)))
        if not ok:
            raise ValueError(f"{where}: {mapping}.GeoTransform {gt} does not match the x/y coordinates "
                             f"(first centre {x[0]}, {y[0]}, spacing {dx})")
    return grid


def _dates(info: dict[str, Any], where: str) -> dict[str, np.datetime64]:
    dates = {}
    for key in DATE_KEYS:
        if key not in info:
            raise ValueError(f"{where}: img_pair_info has no {key}")
        dates[key] = parse_autorift_date(info[key], f"{where}: img_pair_info.{key}")
    span = (dates["acquisition_date_img2"] - dates["acquisition_date_img1"]) / np.timedelta64(1, "D")
    if "date_dt" in info:
        dt = float(info["date_dt"])
        if not np.isclose(dt, abs(span), atol=0.01):
            raise ValueError(f"{where}: img_pair_info.date_dt {dt} days differs from acquisition_date_img2 − "
                             f"acquisition_date_img1 = {span:.4f} days")
    mid = dates["acquisition_date_img1"] + (dates["acquisition_date_img2"] - dates["acquisition_date_img1"]) / 2
    if abs((dates["date_center"] - mid) / np.timedelta64(1, "D")) > 1.0:
        raise ValueError(f"{where}: img_pair_info.date_center {dates['date_center']} is more than a day from the "
                         f"acquisitions' midpoint {mid}")
    return dates


def read_autorift(path: str | PathLike[str], grid: MapGrid | None = None, resampling: str = "bilinear") -> xr.Dataset:
    """Read a HyP3 autoRIFT product (see module doc); optionally warp it onto ``grid``."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ValueError(f"{where}: autoRIFT product not found")
    with xr.open_dataset(path, engine="h5netcdf") as src:
        ds = src.load()
    for name in ("vx", "vy", "img_pair_info"):
        if name not in ds.variables:
            raise ValueError(f"{where}: variable {name!r} missing (HyP3 autoRIFT layout expected)")
    if ds["vx"].dims != ("y", "x") or ds["vy"].dims != ("y", "x"):
        raise ValueError(f"{where}: vx, vy must be on dims (y, x), got {ds['vx'].dims}, {ds['vy'].dims}")
    mapping = ds["vx"].attrs.get("grid_mapping", ds["vx"].encoding.get("grid_mapping", "mapping"))
    src_grid = _grid(ds, mapping, where)
    info = dict(ds["img_pair_info"].attrs)
    dates = _dates(info, where)
    data: dict[Hashable, tuple[tuple[str, str], np.ndarray, dict[Hashable, Any]]] = {}
    for vname, var in ds.data_vars.items():
        if var.dims == ("y", "x"):
            attrs = {k: v for k, v in var.attrs.items() if k in ("units", "standard_name", "description")}
            data[vname] = (("y", "x"), var.values.astype(np.float32), attrs)
    if "M11" in data and "M12" in data:
        dr = data["M11"][1] * data["vx"][1] + data["M12"][1] * data["vy"][1]
        data["range_offset"] = (("y", "x"), dr.astype(np.float32),
                                {"units": "px", "long_name": "range pixel displacement M11 vx + M12 vy"})
    if "v" not in data:
        data["v"] = (("y", "x"), np.hypot(data["vx"][1], data["vy"][1]).astype(np.float32), {"units": "m/yr"})
    attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in info.items() if k not in DATE_KEYS}
    attrs.update(source=f"HyP3 autoRIFT {path.name}", source_epsg=src_grid.epsg)
    for key in ("satellite", "scene_pair_type", "motion_detection_method"):
        if key in ds.attrs:
            attrs[key] = ds.attrs[key]
    coords = {k: ((), v) for k, v in dates.items()}
    if grid is None:
        return attach_grid(xr.Dataset(data, coords=coords, attrs=attrs), src_grid)
    warped: dict[Hashable, tuple[Any, ...]] = {
        name: (("y", "x"), reproject_to_grid(val[1], src_grid.transform, src_grid.crs, None, grid, resampling), val[2])
        for name, val in data.items() if name not in ("vx", "vy", "v")}
    u = reproject_to_grid(data["vx"][1], src_grid.transform, src_grid.crs, None, grid, resampling)
    w = reproject_to_grid(data["vy"][1], src_grid.transform, src_grid.crs, None, grid, resampling)
    warped.update(grid_velocity(u, w, src_grid.crs, grid))
    attrs["comment"] = "vx/vy rotated from source CRS axes into grid east/north (speed preserved)"
    return attach_grid(xr.Dataset(warped, coords=coords, attrs=attrs), grid)
