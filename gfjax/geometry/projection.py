"""Radar projection vectors and the conversion of pixel offsets to displacements (MSBAS signs).

Conventions (docs/architecture.md, science.md §4), all vectors ordered (north, east, up):

* heading φ: flight direction, degrees clockwise from north (Muldrow: 341° asc, 199° desc);
* incidence θ: degrees from the vertical at the ground;
* range / line of sight: ``s_rg = (sin φ sin θ, −cos φ sin θ, cos θ)`` — the unit vector from the
  ground to a right-looking satellite, so a positive LOS displacement is motion toward it;
* azimuth: ``s_az = (cos φ, sin φ, 0)`` — positive along the flight direction.

A displacement ``d = (d_N, d_E, d_U)`` is then observed as ``d_los = s_rg · d`` and
``d_az = s_az · d``, which is exactly what :func:`offsets_to_displacement` returns from measured
offsets: range offset (secondary − reference position, px) grows away from the satellite, hence
``d_los = −range_px · slant_spacing``; ``d_az = +azimuth_px · azimuth_spacing``.

NumPy functions (geometry ring); the arithmetic-only ones also work on JAX arrays.
"""
from __future__ import annotations

import numpy as np


def _as_float(a):
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def projection_vectors(heading_deg, incidence_deg) -> tuple[np.ndarray, np.ndarray]:
    """(range_vector, azimuth_vector) of a right-looking SAR, each ``(..., 3)`` = (north, east, up).

    ``heading_deg`` and ``incidence_deg`` broadcast against each other: scalars give (3,) vectors
    (one per track), per-pixel maps (e.g. geocoded incidence / heading lookup tables) give
    (ny, nx, 3). The last axis is the component axis; ``np.moveaxis(v, -1, 0)`` gives (3, ...).
    dtype follows the inputs (float32 maps stay float32; Python floats give float64).
    """
    h = np.deg2rad(_as_float(heading_deg))
    i = np.deg2rad(_as_float(incidence_deg))
    h, i = np.broadcast_arrays(h, i)
    sin_i = np.sin(i)
    range_vector = np.stack([np.sin(h) * sin_i, -np.cos(h) * sin_i, np.cos(i)], axis=-1)
    azimuth_vector = np.stack([np.cos(h), np.sin(h), np.zeros_like(h)], axis=-1)
    return range_vector, azimuth_vector


def project_displacement(displacement_neu, heading_deg, incidence_deg):
    """Forward model: (north, east, up) displacement ``(..., 3)`` → ``(d_azimuth, d_los)`` (m).

    The inverse of what offset tracking measures; used by tests and the simulator.
    """
    d = _as_float(displacement_neu)
    if d.shape[-1:] != (3,):
        raise ValueError(f"displacement_neu must have a last axis of 3 (north, east, up), got shape {d.shape}")
    s_rg, s_az = projection_vectors(heading_deg, incidence_deg)
    return np.sum(d * s_az, axis=-1), np.sum(d * s_rg, axis=-1)


def offsets_to_displacement(azimuth_offset_px, range_offset_px, azimuth_spacing_m: float,
                            range_spacing_m: float, oversampling: float = 1):
    """Pixel offsets → ``(d_azimuth_m, d_los_m)`` with the MSBAS signs of :func:`projection_vectors`.

    ``range_spacing_m`` is the *slant-range* pixel spacing (2.3 m for S1 IW), ``azimuth_spacing_m``
    the azimuth line spacing (~14 m). Offsets measured on an image oversampled by
    ``oversampling`` are divided by it first. Works on NumPy and JAX arrays alike.
    """
    if oversampling <= 0:
        raise ValueError(f"oversampling must be > 0, got {oversampling}")
    if azimuth_spacing_m <= 0 or range_spacing_m <= 0:
        raise ValueError("azimuth_spacing_m and range_spacing_m must be > 0 m, got "
                         f"{azimuth_spacing_m}, {range_spacing_m}")
    d_az = azimuth_offset_px * (azimuth_spacing_m / oversampling)
    d_los = range_offset_px * (-range_spacing_m / oversampling)
    return d_az, d_los


def ground_spacing(azimuth_spacing_m: float, range_spacing_m: float, incidence_deg: float,
                   step=(1, 1)) -> tuple[float, float]:
    """Ground ``(azimuth_m, range_m)`` spacing of a radar (sub-)grid: slant range / sin θ.

    E.g. the offset grid of S1 IW (14.9 m × 2.3 m, θ = 39°, step (8, 32)) → (119.2, 117.0) m;
    pass it as ``spacing_m`` to :func:`gfjax.filters.gaussian_filter` on radar-geometry maps.
    """
    s_az, s_rg = (float(v) for v in np.broadcast_to(np.asarray(step, float), (2,)))
    if not (0 < incidence_deg < 90) or azimuth_spacing_m <= 0 or range_spacing_m <= 0 or s_az <= 0 or s_rg <= 0:
        raise ValueError("ground_spacing: spacings and step must be > 0 and incidence_deg in (0, 90), got "
                         f"{azimuth_spacing_m}, {range_spacing_m}, {step}, {incidence_deg}")
    return (azimuth_spacing_m * s_az, range_spacing_m * s_rg / np.sin(np.deg2rad(incidence_deg)))


def displacement_to_offsets(d_azimuth_m, d_los_m, azimuth_spacing_m: float, range_spacing_m: float,
                            oversampling: float = 1):
    """Inverse of :func:`offsets_to_displacement`: ``(azimuth_offset_px, range_offset_px)``."""
    if oversampling <= 0 or azimuth_spacing_m <= 0 or range_spacing_m <= 0:
        raise ValueError("oversampling, azimuth_spacing_m and range_spacing_m must be > 0, got "
                         f"{oversampling}, {azimuth_spacing_m}, {range_spacing_m}")
    return (d_azimuth_m * (oversampling / azimuth_spacing_m),
            d_los_m * (-oversampling / range_spacing_m))
