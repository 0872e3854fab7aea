"""Batched, streamed evaluation of the one-window kernels over any number of windows.

Windows (given by the top-left pixels of their reference windows and search areas, original
px) are processed in row-major batches of a fixed size derived from a memory budget. For each
batch the image rows it needs are cut out (with a halo, zero-padded to bucketed shapes so that
``jit`` compiles a handful of programs), deramped/oversampled/converted to amplitude on the
device, and the windows are cut from those blocks inside the jitted ``vmap``. With several local
devices the batch axis is sharded over a 1-D mesh (blocks replicated). Memory is bounded by the
batch size, whatever the image size; the images may be read from disk by windows
(:class:`gfjax.protocols.ImageBlocks`), so only the rows of the batches in flight are in memory.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from .kernels import ncc_surface, segment_template, window_weights
from .kernels_fast import coarse_search, fine_fit, smooth_decimate, tile_bandwidth
from .kernels_twostage import two_stage_ncc
from .oversample import amplitude_block, window_amplitude
from .quality import peak_covariance, surface_snr
from .refine import refine_peak

if TYPE_CHECKING:
    from ..protocols import ImageBlocks

HALO = 16        # original px around each block: keeps the FFT oversampling's wrap away
_ROW_BUCKET = 32
CPU_CHUNK = 16   # windows per vmapped chunk on CPU
FAST_CPU_CHUNK = 128   # the same for the fast kernel (smaller working set per window)
_COL_BUCKET = 128


class PassSpec(NamedTuple):
    """Static description of one tracking pass (original px unless stated)."""
    window: tuple[int, int]
    search: tuple[int, int]
    oversample: int
    deramp: str
    scope: str
    weighting: str
    weight_sigma: float
    subpixel_factor: int
    zoom_halfwidth: float
    snr_exclusion: float
    memory_budget_mb: float
    batch_size: int | None
    shard: bool
    two_stage: bool = False
    method: str = "accurate"


def _axis_weights(n: int, weighting: str, sigma_fraction: float) -> np.ndarray:
    """1-D weights of one axis; :func:`window_weights` is their outer product."""
    return window_weights((n, 1), weighting, sigma_fraction)[:, 0]


@lru_cache(maxsize=64)
def _batch_program(h: int, w: int, H: int, W: int, uniform: bool, spacing: float, n_grid: int,
                   exclusion: float, scale: float, per_window: int = 0, deramp: bool = False,
                   two_stage: tuple | None = None, segmented: bool = False):
    """Jitted vmap of the one-window pipeline: cut → NCC → refine → SNR → covariance.
    ``per_window`` > 0: the blocks are complex and each cut window is deramped/oversampled by
    that factor on its own (sizes h… are then of the oversampled windows). ``two_stage`` =
    (weighting, weight_sigma, zoom ×2 px): ×2 amplitude, two-stage kernel
    (:mod:`.kernels_twostage`). ``segmented``: the program takes a block of segment labels
    (same grid as the reference block) and each template keeps only its centre's segment
    (:func:`.kernels.segment_template`)."""
    if two_stage is not None:
        weighting, sigma, zoom = two_stage
        ga, gr = _axis_weights(h, weighting, sigma), _axis_weights(w, weighting, sigma)
        ga1, gr1 = _axis_weights(h // 2, weighting, sigma), _axis_weights(w // 2, weighting, sigma)

    def one(ref_block, sec_block, weights, rs, ss, seg_block=None):
        if per_window:
            k = per_window
            r = window_amplitude(jax.lax.dynamic_slice(ref_block, (rs[0], rs[1]), (h // k, w // k)), k, deramp)
            s = window_amplitude(jax.lax.dynamic_slice(sec_block, (ss[0], ss[1]), (H // k, W // k)), k, deramp)
        else:
            r = jax.lax.dynamic_slice(ref_block, (rs[0], rs[1]), (h, w))
            s = jax.lax.dynamic_slice(sec_block, (ss[0], ss[1]), (H, W))
        if segmented:
            g = jnp.asarray(np.outer(ga, gr)) if two_stage is not None else weights
            r = segment_template(r, jax.lax.dynamic_slice(seg_block, (rs[0], rs[1]), (h, w)), g)
        if two_stage is not None:
            res = two_stage_ncc(r, s, ga, gr, ga1, gr1, spacing, zoom, exclusion / scale)
            return res.lag, res.value, res.snr, res.cov, res.on_border
        c = ncc_surface(r, s, weights, uniform)
        pk = refine_peak(c.ncc, c.cross_spectrum, c.energy_secondary, c.energy_reference,
                         (H, W), spacing, n_grid)
        snr = surface_snr(c.ncc, pk.integer_lag, pk.value, exclusion)
        cov = peak_covariance(c.ncc, pk.integer_lag, pk.value, snr, scale)
        return pk.lag, pk.value, snr, cov, pk.on_border
    batched = jax.vmap(one, in_axes=(None, None, None, 0, 0, None))

    def program(ref_block, sec_block, weights, rs, ss, seg_block=None):
        # rs, ss: (n_chunks, chunk, 2). A sequential map over small vmapped chunks keeps each
        # chunk's FFT intermediates in cache on CPU (≈3× faster than one huge vmap there);
        # on GPU n_chunks = 1.
        return jax.lax.map(lambda x: batched(ref_block, sec_block, weights, x[0], x[1], seg_block), (rs, ss))
    return jax.jit(program)


@lru_cache(maxsize=64)
def _fast_program(h: int, w: int, H: int, W: int, weighting: str, sigma: float, exclusion: float):
    """Jitted vmap of the fast kernel (:mod:`.kernels_fast`) over chunks of windows; the
    signature of :func:`_batch_program`'s programs, with the peak model's bandwidths (2,)
    (:func:`image_bandwidth`) in place of the weights. The reference block must hold each
    window's (H, W) area from its top-left. The smoothed, decimated polyphase copies of both
    blocks are made once per call; each window's 3×3 fine-lag patch is cut from the secondary
    block where the coarse search points."""
    ga, gr = _axis_weights(h, weighting, sigma), _axis_weights(w, weighting, sigma)
    hc, wc = h // 2, w // 2
    Hc, Wc = hc + (H - h) // 2, wc + (W - w) // 2
    ga_c, gr_c = _axis_weights(hc, weighting, sigma), _axis_weights(wc, weighting, sigma)
    lags = (H - h + 1, W - w + 1)

    def one(ref_block, sec_block, ref_c, sec_c, bandwidth, rs, ss):
        rc = jax.lax.dynamic_slice(ref_c, (rs[0] % 2, rs[1] % 2, rs[0] // 2, rs[1] // 2), (1, 1, Hc, Wc))[0, 0]
        sc = jax.lax.dynamic_slice(sec_c, (ss[0] % 2, ss[1] % 2, ss[0] // 2, ss[1] // 2), (1, 1, Hc, Wc))[0, 0]
        c = coarse_search(rc, sc, ga_c, gr_c, lags)
        r = jax.lax.dynamic_slice(ref_block, (rs[0], rs[1]), (h, w))
        p = jax.lax.dynamic_slice(sec_block, (ss[0] + c.centre[0] - 1, ss[1] + c.centre[1] - 1), (h + 2, w + 2))
        res = fine_fit(r, p, c, ga, gr, bandwidth, lags, exclusion)
        return res.lag, res.value, res.snr, res.cov, res.on_border
    batched = jax.vmap(one, in_axes=(None, None, None, None, None, 0, 0))

    def program(ref_block, sec_block, bandwidth, rs, ss):
        ref_c, sec_c = smooth_decimate(ref_block), smooth_decimate(sec_block)
        return jax.lax.map(lambda x: batched(ref_block, sec_block, ref_c, sec_c, bandwidth, x[0], x[1]), (rs, ss))
    return jax.jit(program)


def image_bandwidth(img: ImageBlocks, tile: int = 64, max_tiles: int = 256) -> jax.Array:
    """Peak-model bandwidths (B_azimuth, B_range) of the fast method for an image (complex or
    amplitude; 0 = no data): :func:`kernels_fast.tile_bandwidth` of the amplitude of up to
    ``max_tiles`` tiles of ``tile``² px spread evenly over it."""
    t = min(tile, img.shape[0], img.shape[1])
    na, nr = img.shape[0] // t, img.shape[1] // t
    k = max(1, int(math.isqrt(max_tiles)))
    ia = np.unique(np.linspace(0, na - 1, min(na, k)).astype(int)) * t
    ir = np.unique(np.linspace(0, nr - 1, min(nr, k)).astype(int)) * t
    tiles = np.stack([np.abs(img[a:a + t, r:r + t]) for a in ia for r in ir]).astype(np.float32)
    return _tile_bandwidth(jnp.asarray(tiles))


_tile_bandwidth = jax.jit(tile_bandwidth)


def _bucket(n: int, q: int) -> int:
    return int(math.ceil(n / q) * q)


def _crop(img: ImageBlocks, r0: int, c0: int, shape: tuple[int, int]) -> np.ndarray:
    """``img[r0:r0+shape[0], c0:c0+shape[1]]`` with zeros outside the image."""
    out = np.zeros(shape, img.dtype)
    a0, a1 = max(r0, 0), min(r0 + shape[0], img.shape[0])
    b0, b1 = max(c0, 0), min(c0 + shape[1], img.shape[1])
    if a1 > a0 and b1 > b0:
        out[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = img[a0:a1, b0:b1]
    return out


def _chunk_size(n_devices: int, batch: int, fast: bool = False) -> int:
    """Windows per vmapped chunk: small on CPU (cache), the whole batch on accelerators."""
    if jax.default_backend() == "cpu":
        return _bucket(FAST_CPU_CHUNK if fast else CPU_CHUNK, n_devices)
    return batch


def batch_size_for(spec: PassSpec, n_devices: int) -> int:
    """Windows per device call: ``batch_size`` or the memory budget / per-window working set
    (~12 float32 copies of the search chip: chip, its square, three spectra, surfaces)."""
    if spec.batch_size is not None:
        b = spec.batch_size
    else:
        os_ = 1 if spec.method == "fast" else spec.oversample
        H = os_ * (spec.window[0] + 2 * spec.search[0])
        W = os_ * (spec.window[1] + 2 * spec.search[1])
        b = int(spec.memory_budget_mb * 2 ** 20 // (12 * 4 * H * W))
    return max(n_devices, (max(b, 1) // n_devices) * n_devices)


def run_pass(ref: ImageBlocks, sec: ImageBlocks, ref_tl: np.ndarray, sec_tl: np.ndarray,
             spec: PassSpec, segments: ImageBlocks | None = None) -> dict[str, np.ndarray]:
    """Track the windows whose reference windows start at ``ref_tl`` (N, 2) and search areas at
    ``sec_tl`` (N, 2) (original px, row-major order, all inside the images).
    ``segments``: optional integer labels of the reference's pixels (same shape): each window
    then correlates only the pixels of its centre pixel's segment (the accurate method,
    image-scope oversampling).

    Returns lag-derived offsets (N, 2) px, peak, snr, cov (N, 3) px², on_border (N,)."""
    n = ref_tl.shape[0]
    wa, wr = spec.window
    sa, sr = spec.search
    complex_input = np.iscomplexobj(ref)
    fast = spec.method == "fast"
    os_ = spec.oversample if complex_input and not fast else 1
    h, w = os_ * wa, os_ * wr
    H, W = h + 2 * os_ * sa, w + 2 * os_ * sr
    out = {"offset": np.full((n, 2), np.nan, np.float32), "peak": np.full(n, np.nan, np.float32),
           "snr": np.full(n, np.nan, np.float32), "cov": np.full((n, 3), np.nan, np.float32),
           "on_border": np.zeros(n, bool)}
    if n == 0:
        return out
    devices = jax.local_devices() if spec.shard else jax.local_devices()[:1]
    nd = len(devices)
    bsz = min(batch_size_for(spec, nd), _bucket(n, nd))
    chunk = _chunk_size(nd, bsz, fast)
    # as many batches as the budget needs, evened out (not a full last batch of padding)
    bsz = _bucket(int(math.ceil(n / math.ceil(n / bsz))), chunk)
    uniform = spec.weighting == "uniform"
    weights = jnp.asarray(window_weights((h, w), spec.weighting, spec.weight_sigma))
    spacing = os_ / spec.subpixel_factor
    n_grid = 2 * int(math.ceil(spec.zoom_halfwidth * spec.subpixel_factor)) + 1
    per_window = complex_input and spec.scope == "window" and not fast
    if segments is not None and (fast or per_window):
        raise ValueError("track_offsets: segments need the accurate method with oversample_scope='image'")
    if fast:
        program = _fast_program(h, w, H, W, spec.weighting, spec.weight_sigma, float(spec.snr_exclusion))
        weights = image_bandwidth(ref)
    else:
        program = _batch_program(h, w, H, W, uniform, spacing, n_grid,
                                 float(spec.snr_exclusion * os_), float(os_),
                                 os_ if per_window else 0, spec.deramp != "none",
                                 (spec.weighting, spec.weight_sigma, spec.zoom_halfwidth * os_)
                                 if spec.two_stage and os_ == 2 else None, segments is not None)
    if nd > 1:
        mesh = jax.make_mesh((nd,), ("windows",), devices=devices,
                             axis_types=(jax.sharding.AxisType.Auto,))
        split = NamedSharding(mesh, PartitionSpec(None, "windows"))
        whole = NamedSharding(mesh, PartitionSpec())
    pending = []
    for b0 in range(0, n, bsz):
        idx = np.arange(b0, min(b0 + bsz, n))
        pad = np.concatenate([idx, np.full(bsz - idx.size, idx[0])])
        rt, st = ref_tl[pad], sec_tl[pad]
        blocks: list[jax.Array] = []
        starts: list[np.ndarray] = []
        chip_size = (wa + 2 * sa, wr + 2 * sr)
        for tl, size in ((rt, chip_size if fast else (wa, wr)), (st, chip_size)):
            r0 = int(tl[:, 0].min()) - HALO
            c0 = int(tl[:, 1].min()) - HALO
            shape = (_bucket(int(tl[:, 0].max()) + size[0] + HALO - r0, _ROW_BUCKET),
                     _bucket(int(tl[:, 1].max()) + size[1] + HALO - c0, _COL_BUCKET))
            if segments is not None and not blocks:   # labels on the reference block's grid
                lab = _crop(segments, r0, c0, shape)              # the labels' own (small) dtype
                lab = lab.view(np.int8) if lab.dtype == bool else lab
                seg_blk = jnp.asarray(np.repeat(np.repeat(lab, os_, axis=0), os_, axis=1))
            crop = jnp.asarray(_crop(ref if len(blocks) == 0 else sec, r0, c0, shape))
            if per_window:
                blocks.append(crop)
                starts.append((tl - np.array([r0, c0])).astype(np.int32))
            else:
                blocks.append(amplitude_block(crop, oversample=os_,
                                              deramp=spec.deramp if complex_input else "none",
                                              smooth_lines=wa))
                starts.append(((tl - np.array([r0, c0])) * os_).astype(np.int32))
        rs, ss = (jnp.asarray(x.reshape(-1, chunk, 2)) for x in starts)
        ref_blk, sec_blk, wts = blocks[0], blocks[1], weights
        if nd > 1:
            rs, ss = jax.device_put(rs, split), jax.device_put(ss, split)
            ref_blk, sec_blk, wts = (jax.device_put(x, whole) for x in (ref_blk, sec_blk, wts))
            if segments is not None:
                seg_blk = jax.device_put(seg_blk, whole)
        pending.append((idx, program(ref_blk, sec_blk, wts, rs, ss, *([seg_blk] if segments is not None else []))))
        if len(pending) > 2:            # ≤ 2 batches in flight: memory stays bounded
            _collect(out, *pending.pop(0), sec_tl, ref_tl, os_)
    for item in pending:
        _collect(out, *item, sec_tl, ref_tl, os_)
    return out


def _collect(out, idx, result, sec_tl, ref_tl, os_) -> None:
    """Copy one finished batch's results (device → host) into ``out`` at rows ``idx``."""
    k = idx.size
    lag, peak, snr, cov, border = (np.asarray(x).reshape((-1,) + x.shape[2:]) for x in result)
    # lag 0 = search area's top-left on the reference window's top-left
    out["offset"][idx] = np.asarray(lag)[:k] / os_ + (sec_tl[idx] - ref_tl[idx])
    out["peak"][idx] = np.asarray(peak)[:k]
    out["snr"][idx] = np.asarray(snr)[:k]
    out["cov"][idx] = np.asarray(cov)[:k]
    out["on_border"][idx] = np.asarray(border)[:k]
