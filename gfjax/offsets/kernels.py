"""Normalised cross-correlation of ONE reference window against its search area (pure JAX;
batch with ``jax.vmap``).

Shapes (in the pixels of the image being correlated, i.e. oversampled px when oversampling):
template ``(h, w)``, search chip ``(H, W) = (h + 2 Sa, w + 2 Sr)``; the surface has
``(2 Sa + 1, 2 Sr + 1)`` lags, lag ``d`` meaning the template's top-left sits at chip pixel ``d``.

Weighted Pearson correlation with weights ``g`` (Gaussian or uniform) over the window:

    ncc(d) = Σ g (r − r̄)(s_d − s̄_d) / sqrt(Σ g (r − r̄)² · Σ g (s_d − s̄_d)²),

r̄, s̄_d the g-weighted means. Σ g (r − r̄) = 0, so the numerator is the plain correlation of the
template ``t = g (r − r̄)`` with the chip: one real FFT product, no padding beyond the chip (lags
0…2S never wrap). The secondary's local energy comes from summed-area tables (uniform weights)
or from the correlation of g with s and s² (Gaussian weights, reusing the chip's FFT).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Correlation(NamedTuple):
    """Result of :func:`ncc_surface` for one window."""
    ncc: jax.Array          # (La, Lr) normalised correlation, NaN where the chip is flat
    cross_spectrum: jax.Array  # (H, W//2+1) conj(FFT t) · FFT s: the numerator's spectrum
    energy_secondary: jax.Array  # (La, Lr) Σ g (s_d − s̄_d)²
    energy_reference: jax.Array  # () Σ g (r − r̄)²


def window_weights(shape: tuple[int, int], weighting: str, sigma_fraction: float) -> np.ndarray:
    """Correlation weights (float32, max 1) over a window of ``shape``: "uniform" ones, or a
    separable Gaussian of σ = ``sigma_fraction`` × size per axis centred on the window."""
    if weighting == "uniform":
        return np.ones(shape, np.float32)
    axes = []
    for n in shape:
        x = np.arange(n) - (n - 1) / 2.0
        axes.append(np.exp(-0.5 * (x / (sigma_fraction * n)) ** 2))
    return (axes[0][:, None] * axes[1][None, :]).astype(np.float32)


def _box_sums(x: jax.Array, h: int, w: int) -> jax.Array:
    """Sums of ``x`` over every (h, w) box fully inside it, from a summed-area table."""
    sat = jnp.cumsum(jnp.cumsum(x, axis=0), axis=1)
    sat = jnp.pad(sat, ((1, 0), (1, 0)))
    H, W = x.shape
    La, Lr = H - h + 1, W - w + 1
    return (sat[h:h + La, w:w + Lr] - sat[:La, w:w + Lr]
            - sat[h:h + La, :Lr] + sat[:La, :Lr])


def ncc_surface(template: jax.Array, chip: jax.Array, weights: jax.Array,
                uniform: bool) -> Correlation:
    """Weighted NCC surface of ``template`` (h, w) over ``chip`` (H, W); float32 throughout.

    ``uniform`` must be True only when ``weights`` are all ones (then summed-area tables give
    the secondary statistics; otherwise two more FFT products do)."""
    h, w = template.shape
    H, W = chip.shape
    La, Lr = H - h + 1, W - w + 1
    n = jnp.sum(weights)
    r = template - jnp.sum(weights * template) / n
    t = weights * r
    e_ref = jnp.sum(t * r)
    s = chip - jnp.mean(chip)            # NCC is offset-invariant; improves float32 sums
    T = jnp.fft.rfft2(t, s=(H, W))
    S = jnp.fft.rfft2(s)
    P = jnp.conj(T) * S
    num = jnp.fft.irfft2(P, s=(H, W))[:La, :Lr]
    if uniform:
        s1 = _box_sums(s, h, w)
        s2 = _box_sums(s * s, h, w)
    else:
        G = jnp.conj(jnp.fft.rfft2(weights, s=(H, W)))
        S2 = jnp.fft.rfft2(s * s)
        both = jnp.fft.irfft2(jnp.stack([G * S, G * S2]), s=(H, W))[:, :La, :Lr]
        s1, s2 = both[0], both[1]
    e_sec = jnp.maximum(s2 - s1 * s1 / n, 0.0)
    denom = jnp.sqrt(e_ref * e_sec)
    tiny = jnp.finfo(jnp.float32).tiny * 1e6
    ncc = jnp.where(denom > tiny, num / jnp.maximum(denom, tiny), jnp.nan)
    return Correlation(ncc.astype(jnp.float32), P, e_sec, e_ref)


def segment_template(template: jax.Array, labels: jax.Array, weights: jax.Array) -> jax.Array:
    """``template`` (h, w) with the pixels whose label differs from the centre pixel's replaced
    by the ``weights``-weighted mean of the others: the weighted, de-meaned template
    ``g (r − r̄)`` of :func:`ncc_surface` (and of the two-stage kernel) is then zero there, so
    only the centre's segment (e.g. the glacier, not the rock beside it) shapes the correlation
    peak. A window whose reference straddles a glacier margin otherwise locks onto the coherent
    stable ground rather than the decorrelated fast ice at its centre (measured on the Muldrow
    scene's 2021 surge pairs: such zero-offset locks were a fifth of the false matches kept)."""
    h, w = template.shape
    keep = labels == labels[h // 2, w // 2]
    gk = jnp.where(keep, weights, 0.0)
    fill = jnp.sum(gk * template) / jnp.maximum(jnp.sum(gk), 1e-30)
    return jnp.where(keep, template, fill).astype(template.dtype)
