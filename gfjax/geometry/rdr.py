"""Range–Doppler geometry kernels (pure JAX): where a ground point lies in a radar swath.

Zero-Doppler geometry on ECEF coordinates (WGS84, m): a ground point ``X`` is imaged at the
azimuth time ``t`` when the satellite's velocity is perpendicular to the line of sight,
``f(t) = (P(t) − X) · V(t) = 0``, at slant range ``R = |P(t) − X|`` (two-way slant range time
``τ = 2R/c``). No atmospheric correction.

Bistatic convention: Sentinel-1 lines are not stamped at the pure zero-Doppler time. ESA's own
geolocation grid (annotation ``geolocationGrid``) puts a point at ``t_zd − (τ − τ_ref)/2``,
``τ_ref`` the swath's first-sample range time: fitted on two real annotations, the slope of
(our zero-Doppler time − grid time) against τ is 0.49987 and the offset 4e-4 lines, i.e. the
echo's travel time beyond near range (up to 0.1 line across a swath) is kept in the azimuth
time. :func:`burst_line_sample` applies it (``SwathTiming.bistatic_tau_ref``) so lines agree
with the annotation; ``azimuth_time`` outputs stay pure zero-Doppler times.

Every kernel is written for ONE ground point and batched with ``jax.vmap`` (see
:func:`radar_coordinates_batch`); no I/O, no config, no logging. Inputs are plain arrays:

* :class:`Orbit` — state vector times in **float64 seconds since a reference epoch** (chosen by
  the caller, e.g. the swath's first line), ECEF positions (m) and velocities (m/s).
* :class:`SwathTiming` — burst start times (same epoch), lines per burst, azimuth time interval,
  two-way slant range time of the first sample, range sampling rate, bistatic reference time.

Precision: **float64 is required** and checked at trace time. A satellite position (7e6 m)
in float32 is quantised to 0.5 m (a fifth of a range sample) and a time of ~100 s to 8 µs
(4e-3 of a line), so the kernels refuse float32 rather than lose accuracy silently. The caller
enables it locally with ``with jax.enable_x64(True): …`` (the wrappers in
:mod:`gfjax.geometry.s1_geometry` do); the rest of gfjax stays float32.

Orbit interpolation is the cubic Hermite polynomial through the two state vectors that bracket
``t`` (positions and velocities; 10 s apart for Sentinel-1, error ~1e-6 m), so the interpolated
velocity is the exact derivative of the interpolated position. Newton's iteration on ``f`` uses
``f'(t) = V·V + (P − X)·A`` and a fixed number of steps (vmap-friendly; converges to 1e-12 s
from 20 s away in ~5 steps).

Look vectors are returned in the project's order **(north, east, up)** at the ground point
(``docs/architecture.md``, MSBAS convention): line of sight from the ground to the satellite
(positive LOS displacement = toward the satellite) and the flight direction (unit satellite
velocity: the direction an azimuth offset measures).
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

__all__ = ["Orbit", "SPEED_OF_LIGHT", "SwathTiming", "burst_line_sample", "enu_basis", "look_geometry",
           "look_geometry_batch", "nearest_burst", "orbit_state", "radar_coordinates", "radar_coordinates_batch",
           "zero_doppler"]

SPEED_OF_LIGHT = 299_792_458.0
ArrayOrNumpy = Union[Array, np.ndarray]   # NumPy float64 arrays (0-d for scalars) until jnp.asarray under x64


class Orbit(NamedTuple):
    """Orbit state vectors: ``t`` (n,) s since the epoch, ``position``/``velocity`` (n, 3) ECEF m, m/s; float64."""

    t: ArrayOrNumpy
    position: ArrayOrNumpy
    velocity: ArrayOrNumpy


class SwathTiming(NamedTuple):
    """Swath timing: ``burst_t0`` (nb,) s since the epoch (first line of each burst) and scalars."""

    burst_t0: ArrayOrNumpy
    lines_per_burst: ArrayOrNumpy          # int, lines of one burst in the TIFF
    azimuth_time_interval: ArrayOrNumpy    # s
    slant_range_time0: ArrayOrNumpy        # two-way slant range time of sample 0, s
    range_sampling_rate: ArrayOrNumpy      # Hz
    bistatic_tau_ref: ArrayOrNumpy         # two-way range time whose azimuth time is zero-Doppler, s (S1: slant_range_time0)


def _require_f64(x: ArrayOrNumpy, name: str) -> None:
    if jnp.asarray(x).dtype != jnp.float64:
        raise TypeError(f"gfjax.geometry.rdr: {name} must be float64 (got {jnp.asarray(x).dtype}); "
                        "run the geometry under `with jax.enable_x64(True):`")


def orbit_state(orbit: Orbit, t: Array) -> tuple[Array, Array, Array]:
    """(position, velocity, acceleration) at time ``t`` (s since the epoch): cubic Hermite interpolation."""
    _require_f64(orbit.t, "orbit.t")
    _require_f64(t, "t")
    n = orbit.t.shape[0]
    i = jnp.clip(jnp.searchsorted(orbit.t, t, side="right") - 1, 0, n - 2)
    t0, t1 = orbit.t[i], orbit.t[i + 1]
    h = t1 - t0
    s = (t - t0) / h
    p0, p1 = orbit.position[i], orbit.position[i + 1]
    m0, m1 = orbit.velocity[i] * h, orbit.velocity[i + 1] * h
    s2, s3 = s * s, s * s * s
    pos = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * m1
    vel = ((6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * m0 + (-6 * s2 + 6 * s) * p1 + (3 * s2 - 2 * s) * m1) / h
    acc = ((12 * s - 6) * p0 + (6 * s - 4) * m0 + (-12 * s + 6) * p1 + (6 * s - 2) * m1) / (h * h)
    return pos, vel, acc


def zero_doppler(orbit: Orbit, target: Array, t_init: Array, iterations: int = 8) -> tuple[Array, Array]:
    """(azimuth time s since the epoch, slant range m) of one ECEF point (3,), by Newton's method from ``t_init``."""
    _require_f64(target, "target")

    def step(_, t):
        p, v, a = orbit_state(orbit, t)
        d = p - target
        return t - jnp.dot(d, v) / (jnp.dot(v, v) + jnp.dot(d, a))

    t = jax.lax.fori_loop(0, iterations, step, jnp.asarray(t_init, jnp.float64))
    p, _, _ = orbit_state(orbit, t)
    return t, jnp.linalg.norm(p - target)


def nearest_burst(timing: SwathTiming, t: Array) -> Array:
    """Index of the burst whose centre line is nearest to azimuth time ``t`` (overlaps: the more central one)."""
    centre = timing.burst_t0 + 0.5 * (timing.lines_per_burst - 1) * timing.azimuth_time_interval
    return jnp.argmin(jnp.abs(t - centre))


def burst_line_sample(timing: SwathTiming, t: Array, slant_range_m: Array, burst: Array) -> tuple[Array, Array]:
    """(swath line, sample) of zero-Doppler time ``t`` and slant range in a given burst (fractional, 0-based).

    The line's time is ``t − (τ − bistatic_tau_ref)/2`` (the annotation's bistatic convention).
    """
    tau = 2.0 * slant_range_m / SPEED_OF_LIGHT
    t_line = t - 0.5 * (tau - timing.bistatic_tau_ref)
    line_in_burst = (t_line - timing.burst_t0[burst]) / timing.azimuth_time_interval
    sample = (tau - timing.slant_range_time0) * timing.range_sampling_rate
    return burst * timing.lines_per_burst + line_in_burst, sample


def radar_coordinates(orbit: Orbit, timing: SwathTiming, target: Array, t_init: Array,
                      iterations: int = 8) -> dict[str, Array]:
    """Where one ECEF point (3,) lies in the swath: burst, swath line, sample, azimuth time, slant range.

    The burst is :func:`nearest_burst`; ``line`` is a swath line of that burst (fractional; it may
    fall outside the burst's valid lines when the point is outside the swath). ``in_burst`` says
    whether the line falls within that burst's lines (the swath width and valid samples are the
    caller's to check).
    """
    t, rng = zero_doppler(orbit, target, t_init, iterations)
    burst = nearest_burst(timing, t)
    line, sample = burst_line_sample(timing, t, rng, burst)
    in_burst = (line >= burst * timing.lines_per_burst) & (line <= (burst + 1) * timing.lines_per_burst - 1)
    return {"azimuth_time": t, "slant_range": rng, "burst": burst, "line": line, "sample": sample,
            "in_burst": in_burst}


def radar_coordinates_batch(orbit: Orbit, timing: SwathTiming, targets: Array, t_init: Array,
                            iterations: int = 8) -> dict[str, Array]:
    """:func:`radar_coordinates` for ``targets`` (m, 3), vmapped and jitted (call under ``jax.enable_x64(True)``)."""
    return _radar_coordinates_batch(orbit, timing, targets, t_init, iterations)


@partial(jax.jit, static_argnames="iterations")
def _radar_coordinates_batch(orbit, timing, targets, t_init, iterations):
    one = partial(radar_coordinates, iterations=iterations)
    return jax.vmap(one, in_axes=(None, None, 0, None))(orbit, timing, targets, t_init)


def enu_basis(lat_rad: Array, lon_rad: Array) -> Array:
    """(3, 3) rows = north, east, up unit vectors in ECEF at geodetic latitude/longitude (radians)."""
    sl, cl, so, co = jnp.sin(lat_rad), jnp.cos(lat_rad), jnp.sin(lon_rad), jnp.cos(lon_rad)
    north = jnp.stack([-sl * co, -sl * so, cl])
    east = jnp.stack([-so, co, jnp.zeros_like(so)])
    up = jnp.stack([cl * co, cl * so, sl])
    return jnp.stack([north, east, up])


def look_geometry(orbit: Orbit, target: Array, lat_rad: Array, lon_rad: Array, t: Array) -> dict[str, Array]:
    """Line of sight, flight direction (both (north, east, up) unit vectors), incidence and heading (degrees).

    ``t`` is the point's zero-Doppler time (:func:`zero_doppler`); ``lat_rad``/``lon_rad`` its
    geodetic coordinates, which define the local up (the ellipsoid normal, as ESA's incidence).
    ``heading_deg`` is the flight direction's azimuth, clockwise from north.
    """
    p, v, _ = orbit_state(orbit, t)
    basis = enu_basis(lat_rad, lon_rad)
    los = basis @ ((p - target) / jnp.linalg.norm(p - target))
    flight = basis @ (v / jnp.linalg.norm(v))
    return {"los": los, "flight": flight, "incidence_deg": jnp.degrees(jnp.arccos(jnp.clip(los[2], -1.0, 1.0))),
            "heading_deg": jnp.degrees(jnp.arctan2(flight[1], flight[0]))}


@jax.jit
def look_geometry_batch(orbit: Orbit, targets: Array, lat_rad: Array, lon_rad: Array, t: Array) -> dict[str, Array]:
    """:func:`look_geometry` for (m, 3) targets and (m,) latitudes, longitudes, times; vmapped and jitted."""
    return jax.vmap(look_geometry, in_axes=(None, 0, 0, 0, 0))(orbit, targets, lat_rad, lon_rad, t)
