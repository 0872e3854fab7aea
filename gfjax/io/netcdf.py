"""CF-1.8 NetCDF writing/reading of map-grid products (xarray), placed by GDAL/QGIS/rioxarray.

A product Dataset has dims ``(..., y, x)`` on a :class:`~gfjax.geometry.grid.MapGrid`. On write:

* ``x``/``y`` coordinates: cell centres in metres, ``standard_name`` ``projection_x_coordinate``
  / ``projection_y_coordinate``, ``units = "m"``, ``axis`` X/Y; ``y`` decreases (row 0 north);
* a scalar ``spatial_ref`` coordinate carrying ``MapGrid.cf_grid_mapping()`` (CF grid-mapping
  parameters plus ``crs_wkt``, GDAL's ``spatial_ref`` and ``GeoTransform``) — the name
  rioxarray uses;
* every data variable on (y, x) gets ``grid_mapping = "spatial_ref"``; global ``Conventions``.

Time (:func:`encode_cf` / :func:`decode_cf_time`): in memory the pipeline's ``time`` coordinate
holds MSBAS decimal years (``y + (doy − 1 + s/86400) / days_in_year``) and ``time_utc`` the
datetimes; on disk ``time`` is a CF time (``seconds since 1970-01-01``, ``standard_name =
"time"``) that CF tools read, and the decimal years are kept as the ``decimal_year(time)``
coordinate. :func:`encode_cf` also drops ``_FillValue`` from coordinate variables and stores
64-bit integers as 32-bit (CF-1.8 has no int64).
"""
from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
import xarray as xr

from ..geometry.grid import MapGrid

GRID_MAPPING = "spatial_ref"


def grid_coords(grid: MapGrid) -> dict[str, xr.DataArray]:
    """CF ``x``/``y`` coordinate DataArrays and the ``spatial_ref`` grid-mapping scalar."""
    x = xr.DataArray(grid.x, dims="x", attrs=dict(
        standard_name="projection_x_coordinate", long_name="easting of cell centre", units="m", axis="X"))
    y = xr.DataArray(grid.y, dims="y", attrs=dict(
        standard_name="projection_y_coordinate", long_name="northing of cell centre", units="m", axis="Y"))
    attrs = grid.cf_grid_mapping()
    attrs["epsg_code"] = f"EPSG:{grid.epsg}"
    attrs["long_name"] = "coordinate reference system of x and y"
    ref = xr.DataArray(np.int32(0), attrs=attrs)
    return {"x": x, "y": y, GRID_MAPPING: ref}


def attach_grid(ds: xr.Dataset, grid: MapGrid) -> xr.Dataset:
    """Copy of ``ds`` with CF grid coordinates and ``grid_mapping`` on every (y, x) variable.

    ``ds`` must have dims ``y`` and ``x`` of the grid's sizes (``ValueError`` otherwise).
    """
    for dim, n in (("y", grid.ny), ("x", grid.nx)):
        if ds.sizes.get(dim) != n:
            raise ValueError(f"dataset dim {dim!r} must have the grid's size {n}, got {ds.sizes.get(dim)} "
                             f"(dims {dict(ds.sizes)})")
    ds = ds.assign_coords(grid_coords(grid))
    for name, var in ds.data_vars.items():
        if "y" in var.dims and "x" in var.dims:
            ds[name].attrs["grid_mapping"] = GRID_MAPPING
    ds.attrs.setdefault("Conventions", "CF-1.8")
    return ds


DECIMAL_YEAR_ATTRS = dict(long_name="time as MSBAS decimal year", units="1",
                          comment="y + (day_of_year - 1 + seconds_of_day / 86400) / days_in_year (UTC)")
TIME_ATTRS = dict(standard_name="time", long_name="acquisition time (UTC)", axis="T")
TIME_ENCODING = dict(units="seconds since 1970-01-01 00:00:00", calendar="proleptic_gregorian", dtype="float64")


def _datetimes(decimal_years: ArrayLike) -> np.ndarray:
    from ..core.time import datetime_from_decimal_year

    return datetime_from_decimal_year(np.asarray(decimal_years, np.float64))


def encode_cf(ds: xr.Dataset) -> xr.Dataset:
    """Copy of ``ds`` ready for a CF-1.8 file (see the module notes): CF ``time`` +
    ``decimal_year``, no ``_FillValue`` on coordinates, int64 stored as int32, ``Conventions``.
    Encodings travel in the variables' ``encoding``, so any ``to_netcdf`` call honours them."""
    ds = ds.copy()
    if "time" in ds.coords and ds["time"].dtype.kind == "f":
        dec = np.asarray(ds["time"].values, np.float64)
        when = ds["time_utc"].values if "time_utc" in ds.coords else _datetimes(dec)
        ds = ds.drop_vars("time_utc", errors="ignore")
        ds = ds.assign_coords(time=("time", np.asarray(when, "datetime64[ns]"), TIME_ATTRS),
                              decimal_year=("time", dec, DECIMAL_YEAR_ATTRS))
        ds["time"].encoding.update(TIME_ENCODING)
        if "time_units" in ds.attrs:
            ds.attrs["time_units"] = "time: CF (UTC); decimal_year: MSBAS decimal years"
    for name in ("interval_start", "interval_end"):
        if name in ds.coords and ds[name].dtype.kind == "f":
            ds[name].attrs.update(long_name=f"{name.replace('_', ' ')} as MSBAS decimal year", units="1")
    if "interval" in ds.coords:
        ds["interval"].attrs.setdefault("long_name", "interval index: from epoch k to epoch k + 1")
    for vname, var in ds.variables.items():
        if vname in ds.coords:
            var.encoding["_FillValue"] = None
        if var.dtype == np.int64 or var.dtype == np.uint64:
            var.encoding["dtype"] = "int32"
    ds.attrs.setdefault("Conventions", "CF-1.8")
    return ds


def decode_cf_time(ds: xr.Dataset) -> xr.Dataset:
    """Inverse of :func:`encode_cf` for a dataset read back: ``time`` = decimal years again and
    ``time_utc`` = the CF datetimes (no-op where there is no ``decimal_year``)."""
    if "decimal_year" not in ds.variables:
        return ds
    when = ds["time"].values
    ds = ds.assign_coords(time=("time", np.asarray(ds["decimal_year"].values, np.float64), DECIMAL_YEAR_ATTRS),
                          time_utc=("time", when, dict(long_name="acquisition time (UTC)")))
    return ds.drop_vars("decimal_year")


def write_netcdf(ds: xr.Dataset, path: str | PathLike[str], grid: MapGrid | None = None, complevel: int = 4) -> Path:
    """Write ``ds`` as CF NetCDF-4 (zlib level ``complevel``, 0 = none); attaches ``grid`` if given."""
    if grid is not None:
        ds = attach_grid(ds, grid)
    elif GRID_MAPPING not in ds.variables:
        raise ValueError(f"{path}: dataset has no {GRID_MAPPING!r} grid mapping; pass grid= (a MapGrid)")
    ds = encode_cf(ds)
    for name, var in ds.data_vars.items():
        if complevel and var.dtype.kind in "fiu":
            ds.variables[name].encoding.update(zlib=True, complevel=int(complevel))
        if var.dtype.kind == "f":
            ds.variables[name].encoding["_FillValue"] = np.nan
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def grid_from_dataset(ds: xr.Dataset, name: str = "dataset") -> MapGrid:
    """Recover the MapGrid of a CF dataset from its ``x``/``y`` centres and grid-mapping CRS."""
    from pyproj import CRS

    if "x" not in ds.coords or "y" not in ds.coords or GRID_MAPPING not in ds.variables:
        raise ValueError(f"{name}: needs x, y coordinates and a {GRID_MAPPING!r} grid mapping variable")
    x = np.asarray(ds["x"].values, np.float64)
    y = np.asarray(ds["y"].values, np.float64)
    if x.size < 2 or y.size < 2:
        raise ValueError(f"{name}: need at least 2 x and 2 y coordinates to recover the grid")
    dx, dy = x[1] - x[0], y[0] - y[1]
    if dx <= 0 or not np.isclose(dx, dy) or not np.allclose(np.diff(x), dx) or not np.allclose(-np.diff(y), dy):
        raise ValueError(f"{name}: x must increase and y decrease with one constant spacing, "
                         f"got dx={dx}, dy={dy}")
    attrs = ds[GRID_MAPPING].attrs
    wkt = attrs.get("crs_wkt") or attrs.get("spatial_ref")
    epsg = CRS.from_wkt(wkt).to_epsg() if wkt else None
    if epsg is None:
        raise ValueError(f"{name}: grid mapping CRS has no EPSG code")
    return MapGrid(int(epsg), float(x[0] - dx / 2), float(y[0] + dy / 2), float(dx), x.size, y.size)


def read_netcdf(path: str | PathLike[str]) -> tuple[xr.Dataset, MapGrid]:
    """Open a product written by :func:`write_netcdf`: (Dataset loaded in memory, MapGrid)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: NetCDF file not found")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        ds = decode_cf_time(ds.load())
    return ds, grid_from_dataset(ds, name=str(path))
