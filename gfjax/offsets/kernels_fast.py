"""Fast coarse-to-fine NCC of ONE amplitude window at the original sampling (pure JAX; batch
with ``jax.vmap``). ``TrackingOptions.method = "fast"``.

The accurate path (:mod:`.kernels`, :mod:`.kernels_twostage`) oversamples the SLCs ×2 before
taking amplitude, because the amplitude's spectrum is twice as wide as the SLC's and is aliased
at the original sampling. Here the amplitude is correlated at the original sampling and:

1. **Integer search on a smoothed, decimated copy.** Both images are smoothed by the separable
   [1, 2, 1]/4 kernel and every second sample is kept (done once per image block by the engine;
   sample k of the coarse image is the smoothed pixel 2k, so coarse lag k is lag 2k). The full
   weighted NCC surface of the (h/2, w/2) coarse template over the coarse search chip (FFTs 4×
   smaller than at full resolution) gives the integer search, the border test and the SNR's
   noise level; a parabola through its maximum gives a first estimate good to ≈ 0.2 px rms.
2. **Exact NCC at 3×3 full-resolution lags** around that estimate (direct sums; secondary
   energies by separable-weight matrix products).
3. **Sub-pixel peak by a peak-shape fit instead of a parabola.** At the original sampling the
   amplitude correlation peak is about one pixel wide (for a flat SLC spectrum of bandwidth B
   its shape is close to sinc²(B τ), |γ|² of the complex correlation); a parabola through three
   samples of it is biased towards the integer lag by up to ≈ 0.25 px (the "pixel locking" of
   autoRIFT/OpenCV on un-oversampled amplitude). Per axis, the centre row/column of the 3×3
   NCC is fitted by least squares with A·sinc²(B (k − δ)), k = −1, 0, 1, A free, δ ∈ [−1, 1]
   on a grid refined twice and by a parabola; B comes from the reference window itself: its
   lag-1 amplitude autocorrelation ρ₁ = sinc²(B) (per axis), so no sensor parameter is needed.

Costs per 64² window (search ±8) are ≈ 3 FFTs of 40² plus 9 dot products of 64², against 3 FFTs
of 80² (single stage at the original sampling) or of 160² (×2). The price: the integer search
sees 1/4 of the samples, so it needs a higher correlation to find the peak than the full surface
does (fine for speckle tracking at coherence ≳ 0.4), and the SNR's noise is measured on the
coarse surface (see ``TrackingOptions.method``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .kernels_twostage import shift_matrix
from .quality import peak_covariance, surface_snr
from .refine import parabolic_offset

SMOOTH = (0.25, 0.5, 0.25)    # [1, 2, 1]/4 smoothing before decimation (per axis)
_B_TABLE = np.linspace(0.05, 1.0, 191)   # bandwidths for the ρ₁ = sinc²(B) inversion


class FastResult(NamedTuple):
    lag: jax.Array        # (2,) fractional lag, chip px (original sampling)
    value: jax.Array      # () NCC at the fitted peak (model), ≤ 1
    snr: jax.Array        # ()
    cov: jax.Array        # (3,) px²
    on_border: jax.Array  # () bool


def smooth_decimate(block: jax.Array) -> jax.Array:
    """[1, 2, 1]/4-smoothed (separable, zeros outside) polyphase copies of an (Ha, Wr) block,
    Ha and Wr even: ``out[p, q, i, j]`` = smoothed pixel (2i + p, 2j + q). A window whose
    top-left is (a, r) has its coarse samples at ``out[a % 2, r % 2, a // 2 + i, r // 2 + j]``."""
    k0, k1, k2 = SMOOTH
    x = jnp.pad(block, 1)
    x = k0 * x[:-2] + k1 * x[1:-1] + k2 * x[2:]
    x = k0 * x[:, :-2] + k1 * x[:, 1:-1] + k2 * x[:, 2:]
    ha, wr = block.shape
    x = x.reshape(ha // 2, 2, wr // 2, 2)
    return jnp.transpose(x, (1, 3, 0, 2))


def sinc2(x: jax.Array) -> jax.Array:
    """Main lobe of sinc²: (sin πx / πx)² for |x| < 1, 0 beyond (float32). The sidelobes (≤ 4.7 %
    of the peak, below the NCC noise of a 64² window) are left out of the peak model: with them,
    a peak beyond the samples fits three samples almost as well as the right one."""
    return jnp.where(jnp.abs(x) < 1.0, jnp.square(jnp.sinc(x)), 0.0)


def bandwidth_from_rho(rho: jax.Array) -> jax.Array:
    """B in [0.05, 1] with sinc²(B) = ρ (the lag-1 autocorrelation of an amplitude whose SLC has
    a flat spectrum of bandwidth B, cycles/px); clipped at the ends of that range."""
    b = _B_TABLE[::-1]
    r = (np.sinc(b) ** 2).astype(np.float32)          # increasing
    return jnp.interp(rho, jnp.asarray(r), jnp.asarray(b.astype(np.float32)))


def sinc2_fit(y: jax.Array, bandwidth: jax.Array, centre: jax.Array) -> jax.Array:
    """δ ∈ ``centre`` ± 0.6 minimising Σ_k (y_k − A sinc²(B (k − δ)))² over A (main lobe,
    :func:`sinc2`), for y (3,) at k = −1, 0, 1 (``centre``: the position of the samples'
    maximum, −1, 0 or 1: the peak of a main lobe wider than a pixel is within half a pixel of
    its largest sample, up to noise): least-squares residual on a grid of step 1/16, again on
    ± 1/16 around its minimum in steps of 1/64, then a parabola through the best node and its
    neighbours."""
    k = jnp.asarray([-1.0, 0.0, 1.0], jnp.float32)
    yy = jnp.sum(y * y)

    def residual(d):                                   # d (n,) → (n,)
        v = sinc2(bandwidth * (k[None, :] - d[:, None]))
        vy = v @ y
        return yy - vy * vy / jnp.maximum(jnp.sum(v * v, axis=1), 1e-30)

    def best(grid, step):
        r = residual(grid)
        j = jnp.argmin(r)
        n = grid.shape[0]
        jc = jnp.clip(j, 1, n - 2)
        m, c, p = r[jc - 1], r[jc], r[jc + 1]
        den = m - 2.0 * c + p
        off = jnp.where(den > 0, jnp.clip(0.5 * (m - p) / jnp.where(den > 0, den, 1.0), -0.5, 0.5), 0.0)
        return jnp.where(j == jc, grid[jc] + off * step, grid[j])

    step1 = 1.0 / 16
    d1 = best(centre + jnp.arange(-10, 11, dtype=jnp.float32) * step1, step1)
    step2 = step1 / 4
    d2 = best(d1 + jnp.arange(-4, 5, dtype=jnp.float32) * step2, step2)
    return jnp.clip(d2, centre - 0.6, centre + 0.6)


def block_bandwidth(block: jax.Array) -> jax.Array:
    """(B_azimuth, B_range): the SLC bandwidths (cycles/px) whose flat spectrum gives the lag-1
    autocorrelation ρ₁ = sinc²(B) that the amplitude ``block`` has along each axis (zeros = no
    data, left out). One value per block of thousands of windows: a single window's ρ₁ scatters
    by ≈ 1/√(window pixels), too much for the fit."""
    valid = block > 0
    m = jnp.sum(jnp.where(valid, block, 0.0)) / jnp.maximum(jnp.sum(valid), 1)
    x = jnp.where(valid, block - m, 0.0)

    def rho(a, b, va, vb):
        both = va & vb
        num = jnp.sum(jnp.where(both, a * b, 0.0))
        den = jnp.sqrt(jnp.sum(jnp.where(both, a * a, 0.0)) * jnp.sum(jnp.where(both, b * b, 0.0)))
        return jnp.where(den > 0, num / jnp.maximum(den, 1e-30), 0.0)

    ra = rho(x[:-1], x[1:], valid[:-1], valid[1:])
    rr = rho(x[:, :-1], x[:, 1:], valid[:, :-1], valid[:, 1:])
    return bandwidth_from_rho(jnp.stack([ra, rr]))


def _separable_sums(x: jax.Array, Ma: jax.Array, Mr: jax.Array) -> jax.Array:
    """``Ma @ x @ Mr.T`` for a stack x (k, H, W), range first: under ``vmap`` the first product
    is one tall GEMM over all windows (x's layout unchanged), the second a small one."""
    return jnp.einsum("ka,xar->xkr", Ma, x @ Mr.T)


class Coarse(NamedTuple):
    """Result of :func:`coarse_search`."""
    centre: jax.Array     # (2,) int32 full-resolution lag of the 3×3 fine evaluation's centre
    ncc: jax.Array        # (Sa + 1, Sr + 1) coarse NCC surface (coarse lag k = lag 2k)
    peak: jax.Array       # (2,) int32 coarse integer peak


def coarse_search(coarse_template: jax.Array, coarse_chip: jax.Array, ga_c: np.ndarray,
                  gr_c: np.ndarray, lags: tuple[int, int]) -> Coarse:
    """Step 1: weighted NCC of the coarse template over the coarse chip, its integer maximum and
    the full-resolution lag nearest to its parabolic refinement, clipped so that the 3×3 lags
    around it lie inside the ``lags`` = (2 Sa + 1, 2 Sr + 1) full-resolution search range.

    ``coarse_template`` may be larger than (len(ga_c), len(gr_c)) (its top-left part is used:
    the engine cuts it with the chip's size, so the FFT needs no padding); ``coarse_chip`` is
    (len(ga_c) + Sa, len(gr_c) + Sr)."""
    hc, wc = len(ga_c), len(gr_c)
    Hc, Wc = coarse_chip.shape
    Lac, Lrc = Hc - hc + 1, Wc - wc + 1
    g = np.zeros((Hc, Wc), np.float32)
    g[:hc, :wc] = np.outer(ga_c, gr_c)
    g = jnp.asarray(g)
    n = float(np.sum(ga_c)) * float(np.sum(gr_c))
    r = coarse_template[:Hc, :Wc] if coarse_template.shape != (Hc, Wc) else coarse_template
    if r.shape != (Hc, Wc):
        r = jnp.pad(r, ((0, Hc - r.shape[0]), (0, Wc - r.shape[1])))
    rm = r - jnp.sum(g * r) / n
    t = g * rm
    e_ref = jnp.sum(t * rm)
    s = coarse_chip - jnp.mean(coarse_chip)
    spec = jnp.fft.rfft2(jnp.stack([t, s]))
    num = jnp.fft.irfft2(jnp.conj(spec[0]) * spec[1], s=(Hc, Wc))[:Lac, :Lrc]
    Ma, Mr = jnp.asarray(shift_matrix(ga_c, Lac)), jnp.asarray(shift_matrix(gr_c, Lrc))
    s1, s2 = _separable_sums(jnp.stack([s, s * s]), Ma, Mr)
    e_sec = jnp.maximum(s2 - s1 * s1 / n, 0.0)
    denom = jnp.sqrt(e_ref * e_sec)
    tiny = jnp.finfo(jnp.float32).tiny * 1e6
    ncc = jnp.where(denom > tiny, num / jnp.maximum(denom, tiny), jnp.nan)
    finite = jnp.isfinite(ncc)
    flat = jnp.argmax(jnp.where(finite, ncc, -jnp.inf))
    ia, ir = flat // Lrc, flat % Lrc
    if Lac >= 3 and Lrc >= 3:
        a0, r0 = jnp.clip(ia - 1, 0, Lac - 3), jnp.clip(ir - 1, 0, Lrc - 3)
        nb = jax.lax.dynamic_slice(jnp.where(finite, ncc, 0.0), (a0, r0), (3, 3))
        sub = jnp.where((ia == a0 + 1) & (ir == r0 + 1), parabolic_offset(nb), 0.0)
    else:
        sub = jnp.zeros(2, jnp.float32)
    est = 2.0 * (jnp.stack([ia, ir]).astype(jnp.float32) + sub)
    La, Lr = lags
    centre = jnp.stack([jnp.clip(jnp.round(est[0]).astype(jnp.int32), 1, max(La - 2, 1)),
                        jnp.clip(jnp.round(est[1]).astype(jnp.int32), 1, max(Lr - 2, 1))])
    return Coarse(centre, ncc, jnp.stack([ia, ir]).astype(jnp.int32))


def _sum_products(t: jax.Array, patch: jax.Array) -> jax.Array:
    """(3, 3) sums Σ t · patch[a:a+h, b:b+w]: one variadic reduction (one pass over t, nine
    accumulators; ≈ 2× faster on CPU than nine separate sums)."""
    h, w = t.shape
    ops = tuple(t * patch[a:a + h, b:b + w] for a in range(3) for b in range(3))
    zero = np.float32(0.0)
    sums = jax.lax.reduce(ops, (zero,) * 9, lambda x, y: tuple(u + v for u, v in zip(x, y)), (0, 1))
    return jnp.stack(sums).reshape(3, 3)


def fine_fit(template: jax.Array, patch: jax.Array, coarse: Coarse, ga: np.ndarray,
             gr: np.ndarray, bandwidth: jax.Array, lags: tuple[int, int],
             exclusion: float) -> FastResult:
    """Steps 2–3: NCC of ``template`` (h, w) at the 3×3 full-resolution lags around
    ``coarse.centre`` (``patch`` = chip[centre − 1 :][: h + 2, : w + 2]) and the peak-shape fit
    with ``bandwidth`` (B_azimuth, B_range) (:func:`block_bandwidth`). ``lags`` = (2 Sa + 1,
    2 Sr + 1); ``exclusion``: SNR exclusion half width, px."""
    h, w = template.shape
    La, Lr = lags
    patch = patch - jnp.mean(patch)
    g = jnp.asarray(np.outer(ga, gr).astype(np.float32))
    n = float(np.sum(ga)) * float(np.sum(gr))
    rm = template - jnp.sum(g * template) / n
    t = g * rm
    e_ref = jnp.sum(t * rm)
    num = _sum_products(t, patch)
    Ma, Mr = jnp.asarray(shift_matrix(ga, 3)), jnp.asarray(shift_matrix(gr, 3))
    s1, s2 = _separable_sums(jnp.stack([patch, patch * patch]), Ma, Mr)
    e_sec = jnp.maximum(s2 - s1 * s1 / n, 0.0)
    denom = jnp.sqrt(e_ref * e_sec)
    tiny = jnp.finfo(jnp.float32).tiny * 1e6
    ncc = jnp.where(denom > tiny, num / jnp.maximum(denom, tiny), jnp.nan)
    # peak-shape fit per axis along the row/column through the 3×3 maximum (the fine integer
    # peak: the centre's other-axis line may be a pixel off the peak, i.e. mostly noise)
    ba, br = bandwidth[0], bandwidth[1]
    filled = jnp.where(jnp.isfinite(ncc), ncc, 0.0)
    k = jnp.argmax(jnp.where(jnp.isfinite(ncc), ncc, -jnp.inf))
    ka, kr = k // 3, k % 3
    da = sinc2_fit(jax.lax.dynamic_index_in_dim(filled, kr, axis=1, keepdims=False), ba,
                   ka.astype(jnp.float32) - 1.0)
    dr = sinc2_fit(jax.lax.dynamic_index_in_dim(filled, ka, axis=0, keepdims=False), br,
                   kr.astype(jnp.float32) - 1.0)
    ca, cr = coarse.centre[0], coarse.centre[1]
    lag = jnp.stack([ca.astype(jnp.float32) + da, cr.astype(jnp.float32) + dr])
    # peak value: the best integer lag's NCC over the model at its distance from the peak
    shape = (sinc2(ba * (ka.astype(jnp.float32) - 1.0 - da))
             * sinc2(br * (kr.astype(jnp.float32) - 1.0 - dr)))
    best = ncc[ka, kr]
    value = jnp.minimum(best / jnp.maximum(shape, 0.2), 1.0)
    value = jnp.where(jnp.isfinite(coarse.ncc[coarse.peak[0], coarse.peak[1]]), value, jnp.nan)
    # border: the full-resolution integer peak on the edge of the search range
    ia, ir = ca - 1 + ka, cr - 1 + kr
    on_border = (ia <= 0) | (ia >= La - 1) | (ir <= 0) | (ir >= Lr - 1)
    snr = surface_snr(coarse.ncc, coarse.peak, value, exclusion / 2.0)
    cov = peak_covariance(ncc, jnp.stack([ka, kr]).astype(jnp.int32), value, snr, 1.0)
    return FastResult(lag, value, snr, cov, on_border)


def fast_ncc(template: jax.Array, chip: jax.Array, coarse_template: jax.Array,
             coarse_chip: jax.Array, ga: np.ndarray, gr: np.ndarray, ga_c: np.ndarray,
             gr_c: np.ndarray, bandwidth: jax.Array, exclusion: float) -> FastResult:
    """Offset of ``template`` (h, w) in ``chip`` (H, W) = (h + 2 Sa, w + 2 Sr), both amplitude at
    the original sampling: :func:`coarse_search` then :func:`fine_fit`. ``coarse_template``
    (≥ (h//2, w//2), top-left part used) and ``coarse_chip`` (h//2 + Sa, w//2 + Sr) are the same
    windows' samples of :func:`smooth_decimate` (see the module docstring); ``ga``, ``gr``: 1-D
    weights per axis of the template (weights = outer product), ``ga_c``, ``gr_c``: the same for
    the (h//2, w//2) coarse template; ``bandwidth``: (B_azimuth, B_range) of the peak model
    (:func:`block_bandwidth`); ``exclusion``: SNR exclusion half width, px."""
    h, w = template.shape
    H, W = chip.shape
    lags = (H - h + 1, W - w + 1)
    c = coarse_search(coarse_template, coarse_chip, ga_c, gr_c, lags)
    patch = jax.lax.dynamic_slice(chip, (c.centre[0] - 1, c.centre[1] - 1), (h + 2, w + 2))
    return fine_fit(template, patch, c, ga, gr, bandwidth, lags, exclusion)
