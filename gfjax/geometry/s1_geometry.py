"""Sentinel-1 swath geometry on NumPy arrays: the inputs of the range–Doppler kernels and their results.

Geometry ring: converts what :mod:`gfjax.io.safe` and :mod:`gfjax.io.orbit` read (datetime64
times, a :class:`~gfjax.io.safe.SafeSwath`, :class:`~gfjax.io.orbit.StateVectors`) into the
float64 arrays of :mod:`gfjax.geometry.rdr` (seconds since the swath's first line), runs the
vmapped kernels under ``jax.enable_x64(True)`` (float64 only inside this call), and gives
NumPy results back. Geodetic latitude, longitude and ellipsoidal height (WGS84, EPSG:4979)
become ECEF (EPSG:4978) with pyproj. Heights must be above the ellipsoid (a geoid-referenced
DEM must be converted first: 50 m of height error moves a point ~17 range samples).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .rdr import Orbit, SwathTiming, look_geometry_batch, radar_coordinates_batch

__all__ = ["kernel_inputs", "llh_to_ecef", "look_vectors_llh", "radar_coordinates_llh"]


def llh_to_ecef(lat_deg, lon_deg, height_m) -> np.ndarray:
    """(..., 3) ECEF coordinates (m, float64) of WGS84 geodetic points (degrees, m above the ellipsoid)."""
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    lon, lat, h = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (lon_deg, lat_deg, height_m)))
    x, y, z = tr.transform(lon, lat, h)
    return np.stack([x, y, z], axis=-1)


def _seconds(times: Any, epoch: Any) -> np.ndarray:
    return (np.asarray(times, "datetime64[ns]") - np.asarray(epoch, "datetime64[ns]")).astype(np.int64) * 1e-9


def kernel_inputs(swath: Any, vectors: Any = None) -> tuple[Orbit, SwathTiming, Any]:
    """(Orbit, SwathTiming, epoch) as NumPy float64 arrays for a swath; ``vectors`` default: the annotation's orbit.

    The epoch is the swath's first line time; all times are float64 seconds since it.
    """
    vectors = swath.orbit if vectors is None else vectors
    epoch = np.asarray(swath.first_line_time, "datetime64[ns]")[()]
    orbit = Orbit(_seconds(vectors.time, epoch), np.asarray(vectors.position, np.float64),
                  np.asarray(vectors.velocity, np.float64))
    def scalar(v: Any, dtype: Any = np.float64) -> np.ndarray:      # 0-d arrays: converted under x64 later
        return np.asarray(v, dtype)

    timing = SwathTiming(_seconds([b.azimuth_time for b in swath.bursts], epoch),
                         scalar(swath.lines_per_burst, np.int64), scalar(swath.azimuth_time_interval_s),
                         scalar(swath.slant_range_time_s), scalar(swath.range_sampling_rate_hz),
                         scalar(swath.slant_range_time_s))
    return orbit, timing, epoch


def radar_coordinates_llh(swath: Any, lat_deg, lon_deg, height_m, vectors: Any = None) -> dict[str, np.ndarray]:
    """Burst, swath line, sample (fractional px), zero-Doppler time (datetime64[ns]) and slant range of points.

    Returns ``burst``, ``line``, ``sample``, ``in_burst``, ``azimuth_time``, ``azimuth_seconds``
    (float64 s since the swath's first line), ``slant_range_m``, ``slant_range_time_s`` (two-way),
    each shaped like the broadcast inputs.
    """
    xyz = llh_to_ecef(lat_deg, lon_deg, height_m)
    shape = xyz.shape[:-1]
    orbit, timing, epoch = kernel_inputs(swath, vectors)
    t_mid = 0.5 * float(_seconds(swath.last_line_time, epoch))
    with jax.enable_x64(True):
        out = radar_coordinates_batch(jax.tree.map(jnp.asarray, orbit), jax.tree.map(jnp.asarray, timing),
                                      jnp.asarray(xyz.reshape(-1, 3)), jnp.float64(t_mid))
        res = {k: np.asarray(v).reshape(shape) for k, v in out.items()}
    t = res.pop("azimuth_time")
    res["azimuth_seconds"] = t
    res["azimuth_time"] = np.asarray(epoch, "datetime64[ns]") + np.round(t * 1e9).astype("timedelta64[ns]")
    res["slant_range_m"] = res.pop("slant_range")
    res["slant_range_time_s"] = 2.0 * res["slant_range_m"] / 299_792_458.0
    return res


def look_vectors_llh(swath: Any, lat_deg, lon_deg, height_m, vectors: Any = None) -> dict[str, np.ndarray]:
    """Per-point ``los`` and ``flight`` unit vectors (..., 3) = (north, east, up), ``incidence_deg``, ``heading_deg``.

    LOS points from the ground to the satellite (MSBAS: positive toward the satellite); flight is
    the satellite's velocity direction at the point's zero-Doppler time (:mod:`gfjax.geometry.rdr`).
    """
    lat, lon, h = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (lat_deg, lon_deg, height_m)))
    rc = radar_coordinates_llh(swath, lat, lon, h, vectors)
    orbit, _, _ = kernel_inputs(swath, vectors)
    xyz = llh_to_ecef(lat, lon, h).reshape(-1, 3)
    with jax.enable_x64(True):
        out = look_geometry_batch(jax.tree.map(jnp.asarray, orbit), jnp.asarray(xyz),
                                  jnp.asarray(np.radians(lat).ravel()), jnp.asarray(np.radians(lon).ravel()),
                                  jnp.asarray(rc["azimuth_seconds"].ravel()))
        return {k: np.asarray(v).reshape(lat.shape + np.shape(v)[1:]) for k, v in out.items()}
