"""Fast coarse-to-fine NCC of ONE amplitude window at the original sampling (pure JAX; batch
with ``jax.vmap``). ``TrackingOptions.method = "fast"``.

The accurate path (:mod:`.kernels`, :mod:`.kernels_twostage`) oversamples the SLCs ×2 before
taking amplitude, because the amplitude's spectrum is twice as wide as the SLC's and is aliased
at the original sampling. Here the amplitude is correlated at the original sampling and:

1. **Integer search on a smoothed, decimated copy** (:func:`coarse_search`). Both images are
   smoothed by the separable [1, 2, 1]/4 kernel and every second sample is kept (once per image
   block, :func:`smooth_decimate`; sample k of a window's coarse copy is its smoothed pixel 2k,
   so coarse lag k is lag 2k). The full weighted NCC surface of the (h/2, w/2) coarse template
   over the coarse search chip (FFTs 4× smaller than at full resolution) gives the integer
   search and the SNR; a parabola through its maximum gives a first estimate (≈ 0.2 px rms).
2. **Exact NCC at the 3×3 full-resolution lags** around that estimate (:func:`fine_fit`: one
   pass of nine dot products; secondary energies by separable-weight matrix products). Their
   maximum is the integer peak (the border test uses it).
3. **Sub-pixel peak by a peak-shape fit instead of a parabola.** At the original sampling the
   amplitude correlation peak is about one pixel wide: for a flat SLC spectrum of bandwidth B
   (cycles/px) its shape is close to sinc²(B τ) (|γ(τ)|²), whose samples a parabola does not fit
   — the parabolic vertex is pulled towards the integer lag by up to ≈ 0.25 px, the "pixel
   locking" of OpenCV/autoRIFT on un-oversampled amplitude. Per axis, the three NCC samples on
   the row/column through the 3×3 maximum are fitted by least squares with A·sinc²(B (k − δ))
   (main lobe, A free, δ within 0.6 px of the maximum; :func:`sinc2_fit`). B is measured, not
   assumed: the lag-1 autocorrelation ρ₁ of the reference amplitude (tiles spread over the
   image, :func:`tile_bandwidth`) gives sinc²(B) = ρ₁ per axis.

Per 64² window (search ±8) this costs ≈ 3 FFTs of 40² and 9 dot products of 64², against 3 FFTs
of 80² for a full surface at the original sampling, or 160² at ×2. Accuracy on speckle at
coherence 0.8 (64² windows, bandwidth 0.85): ≈ 0.02–0.035 px rms per axis, against ≈ 0.2 px for
a parabola on the same surface and ≈ 0.008 px for the ×2 accurate path; at lower coherence the
fit's tails grow (coherence 0.5: 99th percentile ≈ 0.45 px, the side of the peak mistaken).
The price of the coarse search: it sees a quarter of the samples, so it needs a stronger
correlation than a full-resolution search (64² windows, measured on one seed: band-limited
speckle (0.85) keeps 97 % at coherence 0.5 and 34 % at 0.4; full-band speckle 62 % at 0.5 and
90 % at 0.6; the accurate path keeps ≥ 86 % in all these cases; see TrackingOptions.method). The SNR is the integer peak's
NCC² over the noise power of one full-resolution NCC sample, estimated as the coarse surface's
mean square away from its peak × the ratio of the effective sample counts (≈ 1/4): pure-noise
windows stay below ≈ 17 as with the accurate path, true matches get ≈ 0.2–0.35× its SNR. The
covariance is the inverse Fisher information of the two 1-D fits (cross term 0) with that noise;
on speckle it is within a factor 2 of the empirical variance (below it).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .kernels_twostage import shift_matrix
from .quality import surface_snr
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
    px = np.float32(np.pi) * x
    safe = jnp.where(px == 0, np.float32(1.0), px)
    s = jnp.where(px == 0, np.float32(1.0), jnp.sin(safe) / safe)
    return jnp.where(jnp.abs(x) < 1.0, s * s, 0.0)


def bandwidth_from_rho(rho: jax.Array) -> jax.Array:
    """B in [0.05, 1] with sinc²(B) = ρ (the lag-1 autocorrelation of an amplitude whose SLC has
    a flat spectrum of bandwidth B, cycles/px); clipped at the ends of that range. Linear
    interpolation in a table (written out: ``jnp.interp`` is not strict-promotion safe)."""
    b_np = _B_TABLE[::-1].astype(np.float32)
    r = jnp.asarray((np.sinc(b_np.astype(np.float64)) ** 2).astype(np.float32))   # increasing
    b = jnp.asarray(b_np)
    rho = jnp.clip(jnp.asarray(rho, jnp.float32), r[0], r[-1])
    i = jnp.clip(jnp.searchsorted(r, rho), 1, r.shape[0] - 1)
    w = (rho - r[i - 1]) / (r[i] - r[i - 1])
    return b[i - 1] + w * (b[i] - b[i - 1])


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


def tile_bandwidth(tiles: jax.Array) -> jax.Array:
    """(B_azimuth, B_range): the SLC bandwidths (cycles/px) whose flat spectrum gives the lag-1
    autocorrelation ρ₁ = sinc²(B) that the amplitude ``tiles`` (k, m, n) have along each axis,
    each tile's own mean removed (so that brightness changes across a scene do not count),
    products pooled over all tiles; zeros (no data) are left out. Measured once per image on
    tiles of thousands of pixels: one window's ρ₁ scatters by ≈ 1/√(window pixels), too much
    for the fit, and a tile mean over m·n pixels biases ρ₁ by only ≈ −1/(m n)."""
    valid = tiles > 0
    count = jnp.sum(valid, axis=(1, 2)).astype(jnp.float32)
    mean = jnp.sum(jnp.where(valid, tiles, 0.0), axis=(1, 2)) / jnp.maximum(count, 1.0)
    x = jnp.where(valid, tiles - mean[:, None, None], 0.0)

    def rho(a, b, va, vb):
        both = va & vb
        num = jnp.sum(jnp.where(both, a * b, 0.0))
        den = jnp.sqrt(jnp.sum(jnp.where(both, a * a, 0.0)) * jnp.sum(jnp.where(both, b * b, 0.0)))
        return jnp.where(den > 0, num / jnp.maximum(den, 1e-30), 0.0)

    ra = rho(x[:, :-1], x[:, 1:], valid[:, :-1], valid[:, 1:])
    rr = rho(x[:, :, :-1], x[:, :, 1:], valid[:, :, :-1], valid[:, :, 1:])
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
    n_eff: jax.Array      # () effective number of samples of the coarse weights, (Σg)²/Σg²
    ref_mean: jax.Array   # () weighted mean of the coarse template
    sec_mean: jax.Array   # () mean of the coarse chip


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
    g_np = np.zeros((Hc, Wc), np.float32)
    g_np[:hc, :wc] = np.outer(ga_c, gr_c)
    g = jnp.asarray(g_np)
    n = float(np.sum(ga_c)) * float(np.sum(gr_c))
    r = coarse_template[:Hc, :Wc] if coarse_template.shape != (Hc, Wc) else coarse_template
    if r.shape != (Hc, Wc):
        r = jnp.pad(r, ((0, Hc - r.shape[0]), (0, Wc - r.shape[1])))
    ref_mean = jnp.sum(g * r) / n
    rm = r - ref_mean
    t = g * rm
    e_ref = jnp.sum(t * rm)
    sec_mean = jnp.mean(coarse_chip)
    s = coarse_chip - sec_mean
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
    n_eff = float(np.sum(ga_c)) ** 2 / float(np.sum(ga_c * ga_c)) * float(np.sum(gr_c)) ** 2 / float(np.sum(gr_c * gr_c))
    return Coarse(centre, ncc, jnp.stack([ia, ir]).astype(jnp.int32), jnp.float32(n_eff), ref_mean, sec_mean)


def _sum_products(gr: jax.Array, r: jax.Array, patch: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One pass (a variadic reduction, one accumulator per sum) over the weighted reference
    ``gr`` = g·r (h, w): the (3, 3) sums Σ g r · patch[a:a+h, b:b+w], Σ g r and Σ g r · r.
    About twice as fast on CPU as separate reductions."""
    h, w = gr.shape
    ops = tuple(gr * patch[a:a + h, b:b + w] for a in range(3) for b in range(3)) + (gr, gr * r)
    zero = np.float32(0.0)
    sums = jax.lax.reduce(ops, (zero,) * len(ops), lambda x, y: tuple(u + v for u, v in zip(x, y)), (0, 1))
    return jnp.stack(sums[:9]).reshape(3, 3), sums[9], sums[10]


def fine_ncc(template: jax.Array, patch: jax.Array, ga: np.ndarray, gr: np.ndarray,
             offsets: tuple | None = None) -> jax.Array:
    """Weighted NCC (3, 3) of ``template`` (h, w) (weights ga ⊗ gr) with ``patch`` (h + 2, w + 2)
    at lags 0, 1, 2 per axis; NaN where the patch is flat there. ``offsets``: values near the
    means of template and patch, subtracted first (float32 sums; NCC is offset-invariant);
    None: their means.
    Σ g (r − r̄) p_ab = Σ g r p_ab − r̄ Σ g p_ab: one pass over the template gives the
    numerators and the template's statistics."""
    if offsets is None:
        offsets = (jnp.mean(template), jnp.mean(patch))
    r = template - offsets[0]
    patch = patch - offsets[1]
    g = jnp.asarray(np.outer(ga, gr).astype(np.float32))
    n = float(np.sum(ga)) * float(np.sum(gr))
    num_raw, sr, srr = _sum_products(g * r, r, patch)
    mean = sr / n
    e_ref = jnp.maximum(srr - sr * mean, 0.0)
    Ma, Mr = jnp.asarray(shift_matrix(ga, 3)), jnp.asarray(shift_matrix(gr, 3))
    s1, s2 = _separable_sums(jnp.stack([patch, patch * patch]), Ma, Mr)
    num = num_raw - mean * s1
    e_sec = jnp.maximum(s2 - s1 * s1 / n, 0.0)
    denom = jnp.sqrt(e_ref * e_sec)
    tiny = jnp.finfo(jnp.float32).tiny * 1e6
    return jnp.where(denom > tiny, num / jnp.maximum(denom, tiny), jnp.nan)


def fine_fit(template: jax.Array, patch: jax.Array, coarse: Coarse, ga: np.ndarray,
             gr: np.ndarray, bandwidth: jax.Array, lags: tuple[int, int],
             exclusion: float) -> FastResult:
    """Steps 2–3: NCC of ``template`` (h, w) at the 3×3 full-resolution lags around
    ``coarse.centre`` (``patch`` = chip[centre − 1 :][: h + 2, : w + 2]) and the peak-shape fit
    with ``bandwidth`` (B_azimuth, B_range) (:func:`tile_bandwidth`). ``lags`` = (2 Sa + 1,
    2 Sr + 1); ``exclusion``: SNR exclusion half width, px."""
    La, Lr = lags
    ncc = fine_ncc(template, patch, ga, gr, (coarse.ref_mean, coarse.sec_mean))
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
    value = jnp.minimum(best / jnp.maximum(shape, 0.25), 1.0)
    coarse_value = coarse.ncc[coarse.peak[0], coarse.peak[1]]
    value = jnp.where(jnp.isfinite(coarse_value), value, jnp.nan)
    # border: the full-resolution integer peak on the edge of the search range
    ia, ir = ca - 1 + ka, cr - 1 + kr
    on_border = (ia <= 0) | (ia >= La - 1) | (ir <= 0) | (ir >= Lr - 1)
    # SNR: the integer peak's NCC² over the noise power of one full-resolution NCC sample, taken
    # as the coarse surface's (mean square away from its peak) × the ratio of the effective
    # sample counts (≈ 1/4): an estimate of the full-resolution surface's SNR (pure noise: ≲ 17,
    # as for the accurate path). Covariance of the two 1-D fits from their Fisher information
    # with that noise.
    snr_c = surface_snr(coarse.ncc, coarse.peak, coarse_value, exclusion / 2.0)
    n_fine = float(np.sum(ga)) ** 2 / float(np.sum(ga * ga)) * float(np.sum(gr)) ** 2 / float(np.sum(gr * gr))
    noise = coarse_value * coarse_value / snr_c * (coarse.n_eff / n_fine)
    snr = best * best / noise
    va = fit_variance(ba, da, value, noise)
    vr = fit_variance(br, dr, value, noise)
    cov = jnp.stack([va, vr, jnp.zeros_like(va)])
    cov = jnp.where(jnp.all(jnp.isfinite(cov)) & (value > 0), cov, jnp.nan).astype(jnp.float32)
    return FastResult(lag, value, snr, cov, on_border)


def fit_variance(bandwidth: jax.Array, delta: jax.Array, amplitude: jax.Array,
                 noise: jax.Array) -> jax.Array:
    """Variance (px²) of δ fitted by :func:`sinc2_fit` to samples at k = −1, 0, 1 of
    A sinc²(B (k − δ)) + independent noise of variance ``noise``: the inverse Fisher information
    with A unknown, σ² / (A² (Σ f'² − (Σ f f')² / Σ f²))."""
    k = jnp.asarray([-1.0, 0.0, 1.0], jnp.float32)
    x = k - delta
    step = np.float32(1.0 / 64)
    f = sinc2(bandwidth * x)
    df = (sinc2(bandwidth * (x + step)) - sinc2(bandwidth * (x - step))) / (2 * step)
    info = jnp.sum(df * df) - jnp.square(jnp.sum(f * df)) / jnp.maximum(jnp.sum(f * f), 1e-30)
    return noise / jnp.maximum(amplitude * amplitude * info, 1e-30)


def fast_ncc(template: jax.Array, chip: jax.Array, coarse_template: jax.Array,
             coarse_chip: jax.Array, ga: np.ndarray, gr: np.ndarray, ga_c: np.ndarray,
             gr_c: np.ndarray, bandwidth: jax.Array, exclusion: float) -> FastResult:
    """Offset of ``template`` (h, w) in ``chip`` (H, W) = (h + 2 Sa, w + 2 Sr), both amplitude at
    the original sampling: :func:`coarse_search` then :func:`fine_fit`. ``coarse_template``
    (≥ (h//2, w//2), top-left part used) and ``coarse_chip`` (h//2 + Sa, w//2 + Sr) are the same
    windows' samples of :func:`smooth_decimate` (see the module docstring); ``ga``, ``gr``: 1-D
    weights per axis of the template (weights = outer product), ``ga_c``, ``gr_c``: the same for
    the (h//2, w//2) coarse template; ``bandwidth``: (B_azimuth, B_range) of the peak model
    (:func:`tile_bandwidth`); ``exclusion``: SNR exclusion half width, px."""
    h, w = template.shape
    H, W = chip.shape
    lags = (H - h + 1, W - w + 1)
    c = coarse_search(coarse_template, coarse_chip, ga_c, gr_c, lags)
    patch = jax.lax.dynamic_slice(chip, (c.centre[0] - 1, c.centre[1] - 1), (h + 2, w + 2))
    return fine_fit(template, patch, c, ga, gr, bandwidth, lags, exclusion)
