"""Coordinate reference systems: UTM zone choice, EPSG validation, local rotation of vectors.

Everything here is NumPy + pyproj (geometry ring), outside ``jit``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def crs_from_epsg(epsg: int):
    """``pyproj.CRS`` of an EPSG code; ``ValueError`` naming the code when pyproj does not know it."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        code = int(epsg)
    except (TypeError, ValueError):
        raise ValueError(f"epsg must be an integer EPSG code, got {epsg!r}") from None
    try:
        return CRS.from_epsg(code)
    except CRSError as err:
        raise ValueError(f"epsg={code} is not a known EPSG code ({err})") from None


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone holding (lon, lat) in degrees: 326zz north, 327zz south.

    Plain 6° zones (the Norway/Svalbard exceptions are not applied). Muldrow Glacier
    (150.4° W, 63.4° N) gives 32605; Columbia Glacier (147.1° W, 61.2° N) gives 32606.
    """
    lon = float(lon)
    lat = float(lat)
    if not (np.isfinite(lon) and -180.0 <= lon <= 360.0):
        raise ValueError(f"lon must be a longitude in degrees in [-180, 360], got {lon}")
    if not (np.isfinite(lat) and -80.0 <= lat <= 84.0):
        raise ValueError(f"lat must be in the UTM latitude band [-80, 84] degrees, got {lat}")
    lon = (lon + 180.0) % 360.0 - 180.0
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def lonlat_to_xy(epsg: int, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project longitude/latitude (degrees, WGS 84) into ``epsg`` coordinates (metres)."""
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, crs_from_epsg(epsg), always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x), np.asarray(y)


def xy_to_lonlat(epsg: int, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`lonlat_to_xy`: ``epsg`` metres to WGS 84 longitude/latitude (degrees)."""
    from pyproj import Transformer

    tr = Transformer.from_crs(crs_from_epsg(epsg), 4326, always_xy=True)
    lon, lat = tr.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.asarray(lon), np.asarray(lat)


def vector_rotation(src_crs, dst_crs, x_dst, y_dst, step_m: float = 10.0):
    """Angle (rad) of the source CRS's +x axis measured anticlockwise from the destination +x axis.

    Evaluated at destination points ``(x_dst, y_dst)``. A vector with components
    ``(u, v)`` along the source axes has destination components
    ``(u cos a − v sin a, u sin a + v cos a)``: both CRSs are assumed conformal (UTM, polar
    stereographic), so the local Jacobian is a scaled rotation and only the rotation is applied
    (speed is preserved exactly; the ~1e-4 scale-factor difference is ignored). The angle is
    taken from a centred finite difference of ±``step_m`` along the source x axis.
    """
    from pyproj import CRS, Transformer

    src = src_crs if isinstance(src_crs, CRS) else CRS.from_user_input(src_crs)
    dst = dst_crs if isinstance(dst_crs, CRS) else CRS.from_user_input(dst_crs)
    to_src = Transformer.from_crs(dst, src, always_xy=True)
    to_dst = Transformer.from_crs(src, dst, always_xy=True)
    xs, ys = to_src.transform(np.asarray(x_dst, np.float64), np.asarray(y_dst, np.float64))
    xa, ya = to_dst.transform(xs + step_m, ys)
    xb, yb = to_dst.transform(xs - step_m, ys)
    return np.arctan2(np.asarray(ya) - yb, np.asarray(xa) - xb)


def rotate_vectors(u, v, angle_rad):
    """Rotate components ``(u, v)`` anticlockwise by ``angle_rad`` (see :func:`vector_rotation`)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return u * c - v * s, u * s + v * c


def utm_grid(lon_min: float, lat_min: float, lon_max: float, lat_max: float,
             spacing: float = 100.0, epsg: int | None = None):
    """MapGrid covering a lon/lat box, in the UTM zone of its centre (or ``epsg``), cells of
    ``spacing`` metres (100 m default, the paper's common grid)."""
    from pyproj import Transformer

    from .grid import MapGrid

    if not (lon_min < lon_max and lat_min < lat_max):
        raise ValueError(f"lon/lat bounds must satisfy min < max, got lon [{lon_min}, {lon_max}], "
                         f"lat [{lat_min}, {lat_max}]")
    if epsg is None:
        epsg = utm_epsg(0.5 * (lon_min + lon_max), 0.5 * (lat_min + lat_max))
    tr = Transformer.from_crs(4326, crs_from_epsg(epsg), always_xy=True)
    xmin, ymin, xmax, ymax = tr.transform_bounds(lon_min, lat_min, lon_max, lat_max, densify_pts=21)
    return MapGrid.from_bounds(epsg, xmin, ymin, xmax, ymax, spacing)
