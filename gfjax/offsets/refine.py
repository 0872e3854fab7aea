"""Sub-pixel peak of ONE correlation surface by local matrix-multiply DFT upsampling
(Guizar-Sicairos, Thurman & Fienup 2008, Opt. Lett. 33(2)), pure JAX.

The numerator of the NCC is a circular correlation whose spectrum ``P`` is known, so its value
at any fractional lag is a 2-D DFT of ``P`` — evaluated only on a small K×K grid around the
peak as two matrix products (K×H)(H×W') and (K×W')(W'×K), never by zero-padding the whole
surface. The secondary energy (the denominator) is smooth and is interpolated biquadratically
from the 3×3 integer lags around the peak. A parabola through the best grid node and its
neighbours gives the final value, well below the grid spacing.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Peak(NamedTuple):
    lag: jax.Array         # (2,) fractional lag (azimuth, range), chip px
    value: jax.Array       # () normalised correlation at the refined peak
    integer_lag: jax.Array  # (2,) int32 lag of the integer maximum
    on_border: jax.Array   # () bool: integer maximum on the border of the search range


def _neighbourhood(surface: jax.Array, ia: jax.Array, ir: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """3×3 values of ``surface`` around (ia, ir), clamped inside, and the (azimuth, range) index of their centre."""
    La, Lr = surface.shape
    a0 = jnp.clip(ia - 1, 0, max(La - 3, 0))
    r0 = jnp.clip(ir - 1, 0, max(Lr - 3, 0))
    return jax.lax.dynamic_slice(surface, (a0, r0), (3, 3)), a0 + 1, r0 + 1


def integer_peak(ncc: jax.Array):
    """Integer maximum of a surface (NaN ignored): ``(ia, ir, on_border, nb, ca, cr)`` — its lag,
    whether it lies on the border of the search range, and its 3×3 neighbourhood (NaN → 0,
    clamped inside) with that neighbourhood's centre (ca, cr)."""
    La, Lr = ncc.shape
    flat = jnp.argmax(jnp.where(jnp.isfinite(ncc), ncc, -jnp.inf))
    ia, ir = flat // Lr, flat % Lr
    on_border = (ia == 0) | (ia == La - 1) | (ir == 0) | (ir == Lr - 1)
    nb, ca, cr = _neighbourhood(jnp.where(jnp.isfinite(ncc), ncc, 0.0), ia, ir)
    return ia, ir, on_border, nb, ca, cr


def parabolic_offset(nb: jax.Array) -> jax.Array:
    """Vertex (azimuth, range), in units of the grid spacing and clipped to ±0.5, of the 1-D
    parabolas through the centre row/column of a 3×3 neighbourhood."""
    def one(m, c, p):
        den = m - 2.0 * c + p
        return jnp.where(den < 0, jnp.clip(0.5 * (m - p) / jnp.where(den < 0, den, -1.0), -0.5, 0.5), 0.0)
    return jnp.stack([one(nb[0, 1], nb[1, 1], nb[2, 1]), one(nb[1, 0], nb[1, 1], nb[1, 2])])


def _lagrange3(u: jax.Array) -> jax.Array:
    """Quadratic Lagrange weights (K, 3) for nodes −1, 0, 1 at positions ``u``."""
    return jnp.stack([0.5 * u * (u - 1.0), 1.0 - u * u, 0.5 * u * (u + 1.0)], axis=-1)


def _cis(x: jax.Array) -> jax.Array:
    """exp(i x) as complex64 for float32 x (no implicit promotion)."""
    return jax.lax.complex(jnp.cos(x), jnp.sin(x))


def dft_correlation(P: jax.Array, shape: tuple[int, int], lag_a: jax.Array,
                    lag_r: jax.Array) -> jax.Array:
    """Circular correlation with real-FFT spectrum ``P`` (H, W//2+1) at lags ``lag_a`` (Ka,)
    × ``lag_r`` (Kr,) (chip px, fractional), by matrix-multiply DFT. Returns (Ka, Kr) float32."""
    H, W = shape
    fa = jnp.asarray(np.fft.fftfreq(H), jnp.float32)
    fr = jnp.asarray(np.fft.rfftfreq(W), jnp.float32)
    alpha = np.full(fr.shape[0], 2.0, np.float32)
    alpha[0] = 1.0
    if W % 2 == 0:
        alpha[-1] = 1.0
    Ea = _cis((2 * np.pi) * (lag_a[:, None] * fa[None, :]))
    Er = _cis((2 * np.pi) * (fr[:, None] * lag_r[None, :])) * jnp.asarray(alpha)[:, None].astype(jnp.complex64)
    return (jnp.real((Ea @ P) @ Er) / (H * W)).astype(jnp.float32)


def refine_peak(ncc: jax.Array, P: jax.Array, e_sec: jax.Array, e_ref: jax.Array,
                chip_shape: tuple[int, int], spacing: float, n_grid: int) -> Peak:
    """Sub-pixel maximum of the NCC surface ``ncc`` (La, Lr).

    ``spacing``: DFT grid spacing (chip px); ``n_grid``: odd number of grid nodes per axis,
    centred on the parabolic estimate from the integer surface."""
    ia, ir, on_border, nb, ca, cr = integer_peak(ncc)
    start = jnp.stack([ia, ir]).astype(jnp.float32) + parabolic_offset(nb)
    u = (jnp.arange(n_grid, dtype=jnp.float32) - (n_grid - 1) / 2.0) * spacing
    lag_a, lag_r = start[0] + u, start[1] + u
    num = dft_correlation(P, chip_shape, lag_a, lag_r)
    e_nb, _, _ = _neighbourhood(e_sec, ia, ir)
    wa = _lagrange3(lag_a - ca.astype(jnp.float32))
    wr = _lagrange3(lag_r - cr.astype(jnp.float32))
    e_fine = jnp.maximum(wa @ e_nb @ wr.T, 1e-30)
    fine = num / jnp.sqrt(e_ref * e_fine)
    k = jnp.argmax(fine)
    ka, kr = k // n_grid, k % n_grid
    nb_f, cfa, cfr = _neighbourhood(fine, ka, kr)
    sub = jnp.where((ka == cfa) & (kr == cfr), parabolic_offset(nb_f), 0.0)
    lag = jnp.stack([lag_a[ka], lag_r[kr]]) + sub * spacing
    return Peak(lag, fine[ka, kr], jnp.stack([ia, ir]).astype(jnp.int32), on_border)
