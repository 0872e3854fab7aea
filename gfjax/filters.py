"""NaN-aware Gaussian filtering of offset / displacement maps (kernel ring, pure JAX).

The paper filters each offset map with a Gaussian of 200 m *full width*, taken here as 6σ
(σ = width / 6), the kernel truncated at ±3σ so that its support is the stated width.

Missing data (NaN) get zero weight — a normalised convolution::

    out = conv(where(valid, f, 0)) / conv(valid)        at valid pixels, NaN at holes

so holes stay holes, values next to holes are not pulled toward zero, and the map edge behaves
like a hole (no zero-padding bias). The kernel works on one map and is ``vmap``-ped over a stack.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def gaussian_kernel_1d(sigma_px: float, truncate: float = 3.0) -> np.ndarray:
    """Normalised 1-D Gaussian taps, radius ``int(truncate σ + 0.5)`` px (as scipy.ndimage)."""
    if not np.isfinite(sigma_px) or sigma_px < 0:
        raise ValueError(f"sigma_px must be a finite number >= 0, got {sigma_px}")
    if sigma_px == 0:
        return np.ones(1, np.float32)
    radius = int(truncate * sigma_px + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma_px) ** 2)
    return (k / k.sum()).astype(np.float32)


def _correlate_axis(x, taps, axis: int):
    """Zero-padded 'same' correlation of a 2-D map with 1-D symmetric ``taps`` along ``axis``."""
    r = (taps.shape[0] - 1) // 2
    if axis == 0:
        kernel = taps[:, None]
        padding = ((r, r), (0, 0))
    else:
        kernel = taps[None, :]
        padding = ((0, 0), (r, r))
    out = lax.conv_general_dilated(x[None, None], kernel[None, None].astype(x.dtype), (1, 1), padding,
                                   precision=lax.Precision.HIGHEST)
    return out[0, 0]


@jax.jit
def normalized_convolution(field, taps_azimuth, taps_range):
    """Separable NaN-aware convolution of ONE map (ny, nx) with 1-D taps per axis.

    Rows are azimuth (axis 0), columns range (axis 1). Returns NaN where ``field`` is NaN.
    """
    valid = jnp.isfinite(field)
    filled = jnp.where(valid, field, 0.0)
    weight = valid.astype(field.dtype)
    num = _correlate_axis(_correlate_axis(filled, taps_azimuth, 0), taps_range, 1)
    den = _correlate_axis(_correlate_axis(weight, taps_azimuth, 0), taps_range, 1)
    return jnp.where(valid & (den > 0), num / jnp.where(den > 0, den, 1.0), jnp.nan)


_normalized_convolution_batch = jax.jit(jax.vmap(normalized_convolution, in_axes=(0, None, None)))


def _spacing_pair(spacing_m) -> tuple[float, float]:
    s = np.atleast_1d(np.asarray(spacing_m, dtype=np.float64))
    if s.size == 1:
        s = np.repeat(s, 2)
    if s.shape != (2,) or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("spacing_m must be one positive spacing or (azimuth_m, range_m) = "
                         f"(row, column) spacings > 0, got {spacing_m!r}")
    return float(s[0]), float(s[1])


def gaussian_filter(field, spacing_m, width_m: float, truncate: float = 3.0):
    """NaN-aware Gaussian filter of one map ``(ny, nx)`` or a stack ``(M, ny, nx)``.

    Parameters
    ----------
    field : array, float32 by default; NaN marks missing data.
    spacing_m : pixel spacing in metres, a scalar or ``(row_m, col_m)`` — for radar grids
        ``(azimuth_m, range_m)`` (ground spacings, e.g. offset-grid step × pixel spacing).
    width_m : full width of the Gaussian, 6σ (paper: 200 m). ``0`` returns the field unchanged.
    truncate : kernel half-support in σ (3 → support = ``width_m``).

    Returns a JAX array of the input's shape; NaN where the input is NaN.
    """
    if not np.isfinite(width_m) or width_m < 0:
        raise ValueError(f"width_m must be a finite full 6-sigma width >= 0 m, got {width_m}")
    dy, dx = _spacing_pair(spacing_m)
    field = jnp.asarray(field)
    if not jnp.issubdtype(field.dtype, jnp.floating):
        field = field.astype(jnp.float32)
    if field.ndim not in (2, 3):
        raise ValueError(f"field must be (ny, nx) or (M, ny, nx), got shape {field.shape}")
    sigma = width_m / 6.0
    taps_az = jnp.asarray(gaussian_kernel_1d(sigma / dy, truncate))
    taps_rg = jnp.asarray(gaussian_kernel_1d(sigma / dx, truncate))
    if field.ndim == 2:
        return normalized_convolution(field, taps_az, taps_rg)
    return _normalized_convolution_batch(field, taps_az, taps_rg)
