"""CF descriptions of the product files: a ``long_name`` (and a ``standard_name`` where the CF
table has one) and units for every variable of ``timeseries.nc``, ``mean_velocity.nc`` and
``flowline.nc``, from the variable names; and the CF encoding of time (:func:`gfjax.io.netcdf.encode_cf`).

Components: ``north``, ``east`` (grid axes), ``up_spf`` (vertical of surface-parallel flow),
``up_nspf`` (non-surface-parallel vertical: thickening/thinning), ``up`` (3D/2D vertical).
"""
from __future__ import annotations

import re

import xarray as xr

from ..io.netcdf import encode_cf

COMPONENT_WORDS = {"north": "northward", "east": "eastward", "up_spf": "upward surface-parallel-flow",
                   "up_nspf": "upward non-surface-parallel-flow", "up": "upward", "los": "line-of-sight"}
STANDARD_NAMES = {"velocity_north": "land_ice_surface_y_velocity", "velocity_east": "land_ice_surface_x_velocity",
                  "velocity_up": "land_ice_surface_upward_velocity",
                  "velocity_up_spf": "land_ice_surface_upward_velocity"}
_C = "(north|east|up_spf|up_nspf|up|los)"
PATTERNS = [  # (regex on the name, long_name template, units); {c}: the component in words
    (rf"displacement_{_C}", "{c} displacement since the first epoch", "m"),
    (rf"velocity_{_C}", "{c} velocity, mean over the interval", "m/yr"),
    (rf"linear_rate_{_C}", "{c} linear rate (least-squares slope of the displacement)", "m/yr"),
    (rf"linear_rate_std_{_C}", "standard error of the {c} linear rate", "m/yr"),
    (rf"linear_rate_r2_{_C}", "coefficient of determination of the {c} linear-rate fit", "1"),
    (rf"marker_velocity_{_C}", "{c} interval velocity at the marker, region mean", "m/yr"),
    (rf"marker_velocity_{_C}_std", "{c} interval velocity at the marker, region standard deviation", "m/yr"),
    (rf"marker_displacement_{_C}", "{c} displacement at the marker, region mean", "m"),
    (rf"marker_displacement_{_C}_std", "{c} displacement at the marker, region standard deviation", "m"),
    (r"rank", "rank of the MSBAS time matrix (reliability)", "1"),
    (r"cond", "condition number of the MSBAS system", "1"),
    (r"norm_x", "Euclidean norm of the solved interval velocities", "m/yr"),
    (r"residual_norm", "Euclidean norm of the MSBAS residual", "m"),
    (r"valid_map_count", "number of maps with data at the pixel", "1"),
    (r"observed_sets", "number of map sets with a valid map spanning the interval at the pixel", "1"),
    (r"observed_fraction", "share of the map sets with a measurement spanning the interval", "1"),
    (r"distance_km", "distance along the flowline from the head", "km"),
    (r"flowline_x", "easting of the flowline sample", "m"),
    (r"flowline_y", "northing of the flowline sample", "m"),
    (r"marker_x", "easting of the marker", "m"),
    (r"marker_y", "northing of the marker", "m"),
    (r"marker_row", "grid row of the marker's cell (-1: beyond the flowline)", "1"),
    (r"marker_col", "grid column of the marker's cell (-1: beyond the flowline)", "1"),
    (r"marker_km", "marker distance along the flowline from the head", "km"),
]
# CF: one projection_x/y_coordinate per grid mapping; the markers lie on the flowline
PROJECTION = {"flowline_x": "projection_x_coordinate", "flowline_y": "projection_y_coordinate"}


def describe(ds: xr.Dataset) -> xr.Dataset:
    """Copy of ``ds`` with ``long_name``/``standard_name``/``units`` filled in from the names
    (attributes already set are kept, except a CF standard name that the table lacks)."""
    ds = ds.copy()
    for name, var in ds.variables.items():
        for pattern, long_name, units in PATTERNS:
            m = re.fullmatch(pattern, str(name))
            if m:
                words = COMPONENT_WORDS.get(m.group(1), "") if m.groups() else ""
                var.attrs.setdefault("long_name", long_name.format(c=words))
                var.attrs.setdefault("units", units)
                break
        if name in STANDARD_NAMES:
            var.attrs.setdefault("standard_name", STANDARD_NAMES[name])
        if name in PROJECTION:
            var.attrs.setdefault("standard_name", PROJECTION[name])
    if {"flowline_x", "marker_x"} & set(ds.variables) and "spatial_ref" in ds.variables:
        for name in ds.data_vars:
            ds[name].attrs.setdefault("grid_mapping", "spatial_ref")
    return ds


def cf_product(ds: xr.Dataset) -> xr.Dataset:
    """A product dataset as written to disk: :func:`describe` + :func:`gfjax.io.netcdf.encode_cf`."""
    return encode_cf(describe(ds))
