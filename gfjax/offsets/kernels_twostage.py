"""Two-stage NCC of ONE window on ×2-oversampled amplitude (pure JAX; batch with ``jax.vmap``).

The single-stage kernel (:func:`gfjax.offsets.kernels.ncc_surface` + :func:`refine.refine_peak`)
correlates the ×2-oversampled template over the whole ×2 search chip: ≥ 6 real FFTs of the
chip ((h + 4 Sa) × (w + 4 Sr), e.g. 160² for 64² windows, search 8) plus a 27×27-node DFT
refinement — most of the tracker's time. Here:

1. **Integer search at the original sampling.** Sample k of the original image is sample 2k of
   the ×2-oversampled one, so taking every second amplitude sample gives the amplitude of the
   original pixels without any extra work. The full NCC surface of that (h/2, w/2) template over
   the (H/2, W/2) chip (FFTs 4× smaller) gives the integer peak, the border test and the SNR's
   noise level (lags farther than ``exclusion`` original px from the peak).
2. **×2 correlation only near that peak.** A (h + 2m, w + 2m) patch of the ×2 chip centred on
   the stage-1 estimate (m = 8 ×2-px, at most the chip) and the ×2 template give the numerator's
   spectrum P (two real FFTs of the patch; no inverse FFT). The ×2 NCC is evaluated exactly at
   the 5×5 integer ×2 lags around the estimate (numerator: DFT of P at integer lags; secondary
   energy: separable weights ⇒ two small matrix products per sum), its maximum and 3×3
   neighbourhood give the covariance and the parabolic start, then the sub-pixel peak is found
   on two nested matrix-multiply DFT grids (Guizar-Sicairos et al. 2008): 4× the final spacing
   over ±``zoom`` chip px, then the final spacing over ± half a coarse step, and a parabola.

Lags are in ×2 chip px (lag 0 = template top-left on chip pixel 0), as in the single-stage path.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .quality import peak_covariance, surface_snr
from .refine import _lagrange3, _neighbourhood, dft_correlation, integer_peak, parabolic_offset

PATCH_MARGIN = 8      # ×2 px of patch around the stage-1 estimate (per side); 144² for 64² windows
COARSE_FACTOR = 4     # coarse DFT grid spacing / final spacing


class TwoStageResult(NamedTuple):
    lag: jax.Array        # (2,) fractional lag, ×2 chip px
    value: jax.Array      # () ×2 NCC at the refined peak
    snr: jax.Array        # ()
    cov: jax.Array        # (3,) px² of the original image
    on_border: jax.Array  # () bool


def shift_matrix(g: np.ndarray, n_lags: int) -> np.ndarray:
    """(n_lags, len(g) + n_lags − 1) float32 matrix whose row k holds ``g`` from column k:
    ``M @ x`` = the weighted sums of ``x`` over the windows at lags 0…n_lags−1."""
    h = g.shape[0]
    m = np.zeros((n_lags, h + n_lags - 1), np.float32)
    for k in range(n_lags):
        m[k, k:k + h] = g
    return m


def _ncc_separable(template, chip, ga: np.ndarray, gr: np.ndarray):
    """Weighted NCC surface (La, Lr) of template (h, w) over chip (H, W) with separable weights
    ga ⊗ gr: numerator by real FFTs, secondary statistics by two small matrix products per sum
    (cheaper on CPU than summed-area tables or two more FFT correlations)."""
    h, w = template.shape
    H, W = chip.shape
    La, Lr = H - h + 1, W - w + 1
    g = jnp.asarray(np.outer(ga, gr).astype(np.float32))
    n = float(np.sum(ga)) * float(np.sum(gr))
    r = template - jnp.sum(g * template) / n
    t = g * r
    e_ref = jnp.sum(t * r)
    s = chip - jnp.mean(chip)
    num = jnp.fft.irfft2(jnp.conj(jnp.fft.rfft2(t, s=(H, W))) * jnp.fft.rfft2(s), s=(H, W))[:La, :Lr]
    Ma, Mr = jnp.asarray(shift_matrix(ga, La)), jnp.asarray(shift_matrix(gr, Lr))
    s1 = Ma @ s @ Mr.T
    s2 = Ma @ (s * s) @ Mr.T
    e_sec = jnp.maximum(s2 - s1 * s1 / n, 0.0)
    denom = jnp.sqrt(e_ref * e_sec)
    tiny = jnp.finfo(jnp.float32).tiny * 1e6
    return jnp.where(denom > tiny, num / jnp.maximum(denom, tiny), jnp.nan)


def _grid(P, shape, start, spacing, n, e_nb, ca, cr, e_ref):
    """NCC on an n×n grid of lags ``start + (i − (n−1)/2)·spacing`` (patch px): DFT numerator,
    secondary energy interpolated biquadratically from its 3×3 integer lags around (ca, cr)."""
    u = (jnp.arange(n, dtype=jnp.float32) - (n - 1) / 2.0) * spacing
    lag_a, lag_r = start[0] + u, start[1] + u
    num = dft_correlation(P, shape, lag_a, lag_r)
    wa = _lagrange3(lag_a - ca.astype(jnp.float32))
    wr = _lagrange3(lag_r - cr.astype(jnp.float32))
    e = jnp.maximum(wa @ e_nb @ wr.T, 1e-30)
    return num / jnp.sqrt(e_ref * e), lag_a, lag_r


def two_stage_ncc(template: jax.Array, chip: jax.Array, ga: np.ndarray, gr: np.ndarray,
                  ga1: np.ndarray, gr1: np.ndarray, spacing: float, zoom: float,
                  exclusion: float) -> TwoStageResult:
    """Offset of ×2 template (h, w) in ×2 chip (H, W) (even sizes), see the module docstring.

    ``ga``, ``gr``: 1-D weights per axis of the ×2 template (the weights are their outer
    product); ``ga1``, ``gr1``: the same for the (h/2, w/2) stage-1 template. ``spacing``: final DFT
    grid spacing, ``zoom``: half width of the refined region (×2 chip px); ``exclusion``: SNR
    exclusion half width, ORIGINAL px."""
    h, w = template.shape
    H, W = chip.shape
    # ---- stage 1: original sampling, full search range
    ncc1 = _ncc_separable(template[::2, ::2], chip[::2, ::2], ga1, gr1)
    ia, ir, on_border, nb1, _, _ = integer_peak(ncc1)
    est = 2.0 * (jnp.stack([ia, ir]).astype(jnp.float32) + parabolic_offset(nb1))   # ×2 px
    # ---- stage 2: ×2 patch around the estimate
    La, Lr = H - h + 1, W - w + 1
    ma, mr = min(PATCH_MARGIN, (La - 1) // 2), min(PATCH_MARGIN, (Lr - 1) // 2)
    centre = jnp.round(est).astype(jnp.int32)
    p0 = jnp.stack([jnp.clip(centre[0] - ma, 0, La - 1 - 2 * ma),
                    jnp.clip(centre[1] - mr, 0, Lr - 1 - 2 * mr)])
    ph, pw = h + 2 * ma, w + 2 * mr
    gsum = float(np.sum(ga)) * float(np.sum(gr))
    g2 = jnp.asarray(np.outer(ga, gr).astype(np.float32))
    r = template - jnp.sum(g2 * template) / gsum
    t = g2 * r
    e_ref = jnp.sum(t * r)
    s = jax.lax.dynamic_slice(chip, (p0[0], p0[1]), (ph, pw))
    s = s - jnp.mean(s)
    P = jnp.conj(jnp.fft.rfft2(t, s=(ph, pw))) * jnp.fft.rfft2(s)
    # exact ×2 NCC at the 5×5 integer lags around the estimate (patch px)
    q = centre - p0
    d0 = jnp.stack([jnp.clip(q[0] - 2, 0, 2 * ma - 4), jnp.clip(q[1] - 2, 0, 2 * mr - 4)])
    k5 = jnp.arange(5, dtype=jnp.float32)
    num5 = dft_correlation(P, (ph, pw), d0[0].astype(jnp.float32) + k5, d0[1].astype(jnp.float32) + k5)
    sub = jax.lax.dynamic_slice(s, (d0[0], d0[1]), (h + 4, w + 4))
    Ma, Mr = jnp.asarray(shift_matrix(ga, 5)), jnp.asarray(shift_matrix(gr, 5))
    s1 = Ma @ sub @ Mr.T
    s2 = Ma @ (sub * sub) @ Mr.T
    e5 = jnp.maximum(s2 - s1 * s1 / gsum, 0.0)
    denom = jnp.sqrt(e_ref * e5)
    tiny = jnp.finfo(jnp.float32).tiny * 1e6
    ncc5 = jnp.where(denom > tiny, num5 / jnp.maximum(denom, tiny), jnp.nan)
    k = jnp.argmax(jnp.where(jnp.isfinite(ncc5), ncc5, -jnp.inf))
    ka, kr = k // 5, k % 5
    nb, ca, cr = _neighbourhood(jnp.where(jnp.isfinite(ncc5), ncc5, 0.0), ka, kr)
    e_nb, _, _ = _neighbourhood(e5, ka, kr)
    start = jnp.stack([ka, kr]).astype(jnp.float32) + parabolic_offset(nb) + d0.astype(jnp.float32)
    ca, cr = ca + d0[0], cr + d0[1]
    # nested DFT grids: coarse (COARSE_FACTOR × spacing, ±zoom), then final spacing
    coarse = COARSE_FACTOR * spacing
    n1 = 2 * int(math.ceil(zoom / coarse)) + 1
    f1, la1, lr1 = _grid(P, (ph, pw), start, coarse, n1, e_nb, ca, cr, e_ref)
    j = jnp.argmax(f1)
    start2 = jnp.stack([la1[j // n1], lr1[j % n1]])
    # ±(COARSE_FACTOR − 1) final steps, not just ± half a coarse step: the coarse argmax of a
    # tilted (az/rg-correlated) peak need not be the coarse node nearest the maximum
    n2 = 2 * (COARSE_FACTOR - 1) + 1
    fine, la2, lr2 = _grid(P, (ph, pw), start2, spacing, n2, e_nb, ca, cr, e_ref)
    j = jnp.argmax(fine)
    ja, jr = j // n2, j % n2
    nb_f, cfa, cfr = _neighbourhood(fine, ja, jr)
    subpx = jnp.where((ja == cfa) & (jr == cfr), parabolic_offset(nb_f), 0.0)
    lag = jnp.stack([la2[ja], lr2[jr]]) + subpx * spacing + p0.astype(jnp.float32)
    value = fine[ja, jr]
    peak_ok = jnp.isfinite(ncc1[ia, ir])
    value = jnp.where(peak_ok, value, jnp.nan)
    snr = surface_snr(ncc1, jnp.stack([ia, ir]), value, exclusion)
    cov = peak_covariance(ncc5, jnp.stack([ka, kr]).astype(jnp.int32), value, snr, 2.0)
    return TwoStageResult(lag, value, snr, cov, on_border)
