"""Public entry point: :func:`track_offsets` (ring 2: NumPy/xarray around the JAX kernels).

Grid: reference windows start at ``first_window + k * step`` (azimuth, range) and must lie
inside the reference image; their centres (``start + (window - 1) / 2``, px of the original
reference image) are the output coordinates. The search area of a window is the reference
window moved by the rounded a-priori offset and grown by ``search`` on each side; it must lie
inside the secondary image, otherwise the window is rejected (reason 1) rather than tracked on
made-up data. Holes are never filled.
"""
from __future__ import annotations

import dataclasses

from typing import TYPE_CHECKING, Optional

import numpy as np
import xarray as xr
from scipy import ndimage

from . import quality as q
from .engine import PassSpec, run_pass
from .options import TrackingOptions, resolve_options

if TYPE_CHECKING:
    from ..protocols import ImageBlocks


def _check_images(reference, secondary) -> tuple[ImageBlocks, ImageBlocks]:
    """Both images checked: NumPy arrays (converted to complex64 / float32), or
    :class:`gfjax.protocols.ImageBlocks` read from disk by windows (used as they are: complex64
    or float32 windows)."""
    ref, sec = (_as_image(x) for x in (reference, secondary))
    for name, x in (("reference", ref), ("secondary", sec)):
        if len(x.shape) != 2:
            raise ValueError(f"track_offsets: {name} must be a 2-D (azimuth, range) array, got shape {x.shape}")
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating)
                or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"track_offsets: {name} must be real or complex numbers, got dtype {x.dtype}")
    if tuple(ref.shape) != tuple(sec.shape):
        raise ValueError(f"track_offsets: secondary shape {sec.shape} differs from reference shape {ref.shape}")
    if np.iscomplexobj(ref) != np.iscomplexobj(sec):
        raise ValueError("track_offsets: reference and secondary must both be complex (SLC) or both real "
                         f"(amplitude), got {ref.dtype} and {sec.dtype}")
    dtype = np.complex64 if np.iscomplexobj(ref) else np.float32
    out: list[ImageBlocks] = []
    for name, x in (("reference", ref), ("secondary", sec)):
        if isinstance(x, np.ndarray):
            out.append(x.astype(dtype, copy=False))
        elif np.dtype(x.dtype) != dtype:
            raise ValueError(f"track_offsets: {name} read by blocks must give {np.dtype(dtype)} windows, "
                             f"got {x.dtype}")
        else:
            out.append(x)
    return out[0], out[1]


def _as_image(x) -> ImageBlocks:
    """An :class:`ImageBlocks` as it is, anything else through ``numpy.asarray``."""
    if not isinstance(x, np.ndarray) and all(hasattr(x, a) for a in ("shape", "dtype", "__getitem__")):
        return x
    return np.asarray(x)


STRIP_MB = 32.0  # the no-data test and the coarse pass's decimation read row strips of about this size


def strip_rows(shape: tuple[int, int], bytes_per_px: int, at_least: int) -> int:
    """Rows of an image of ``shape`` read at once (:data:`STRIP_MB` at ``bytes_per_px``)."""
    return max(int(at_least), int(STRIP_MB * 2 ** 20 // max(1, shape[1] * bytes_per_px)))


def _nodata_counts(img: ImageBlocks, tl: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Number of NaN/inf/0 pixels in each box of ``size`` at top-left ``tl`` (N, 2), inside.
    Row strips of the image (:func:`strip_rows`) are read one at a time, each with its own
    summed-area table: memory follows the strip, not the image."""
    out = np.zeros(tl.shape[0], np.int64)
    if tl.shape[0] == 0:
        return out
    rows = strip_rows(img.shape, 13, 2 * size[0])  # window + bool + two int32 sums per px
    order = np.argsort(tl[:, 0], kind="stable")
    a_sorted = tl[order, 0]
    i = 0
    while i < order.size:
        a0 = int(a_sorted[i])
        j = int(np.searchsorted(a_sorted, a0 + rows - size[0], side="right"))
        sel = order[i:j]
        c0 = int(tl[sel, 1].min())
        c1 = int(tl[sel, 1].max()) + size[1]
        strip = np.asarray(img[a0:int(a_sorted[j - 1]) + size[0], c0:c1])
        bad = (~np.isfinite(strip)) | (strip == 0)
        if bad.any():                   # the common case: skip the summed-area table
            acc = np.int32 if bad.size < 2 ** 31 else np.int64
            sat = np.pad(bad.cumsum(0, dtype=acc).cumsum(1, dtype=acc), ((1, 0), (1, 0)))
            a, r = tl[sel, 0] - a0, tl[sel, 1] - c0
            out[sel] = sat[a + size[0], r + size[1]] - sat[a, r + size[1]] - sat[a + size[0], r] + sat[a, r]
        i = j
    return out


class _Finite:
    """An image read by blocks with NaN/inf set to 0 in each window read (no whole-image copy)."""

    def __init__(self, img: ImageBlocks):
        self.img = img
        self.shape: tuple[int, int] = (int(img.shape[0]), int(img.shape[1]))
        self.dtype: np.dtype = np.dtype(img.dtype)

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        x = np.asarray(self.img[key])
        return x if np.isfinite(x).all() else np.where(np.isfinite(x), x, 0).astype(x.dtype)


def window_grid(shape: tuple[int, int], opts: TrackingOptions) -> tuple[np.ndarray, np.ndarray]:
    """Top-left pixels of the reference windows along azimuth and range (1-D int arrays)."""
    first = opts.first_window if opts.first_window is not None else opts.search
    axes = []
    for ax, name in ((0, "azimuth"), (1, "range")):
        if opts.window[ax] > shape[ax]:
            raise ValueError(f"track_offsets: window {opts.window} does not fit the {name} size "
                             f"{shape[ax]} of the images")
        if opts.window[ax] + 2 * opts.search[ax] > shape[ax]:
            raise ValueError(f"track_offsets: search {opts.search} cannot fit: window + 2 × search "
                             f"exceeds the {name} size {shape[ax]} of the images")
        axes.append(np.arange(first[ax], shape[ax] - opts.window[ax] + 1, opts.step[ax], dtype=np.int64))
        if axes[-1].size == 0:
            raise ValueError(f"track_offsets: first_window {first} leaves no {name} window inside "
                             f"the {name} size {shape[ax]}")
    return axes[0], axes[1]


def _prior_grids(prior_azimuth, prior_range, prior, grid_shape, coords) -> Optional[np.ndarray]:
    """A-priori offsets (2, na, nr) float px on the output grid, or None."""
    if prior is not None:
        if prior_azimuth is not None or prior_range is not None:
            raise ValueError("track_offsets: give either prior (a Dataset) or prior_azimuth/prior_range")
        if not isinstance(prior, xr.Dataset) or "azimuth_offset" not in prior or "range_offset" not in prior:
            raise ValueError("track_offsets: prior must be an xarray.Dataset with azimuth_offset and range_offset")
        p = prior[["azimuth_offset", "range_offset"]]
        if p.azimuth_offset.shape != grid_shape or not (
                np.allclose(p.azimuth.values, coords[0]) and np.allclose(p["range"].values, coords[1])):
            p = p.interp(azimuth=coords[0], range=coords[1], method="linear")
        return np.stack([p.azimuth_offset.values, p.range_offset.values]).astype(np.float64)
    if prior_azimuth is None and prior_range is None:
        return None
    out = []
    for name, v in (("prior_azimuth", prior_azimuth), ("prior_range", prior_range)):
        v = np.zeros(grid_shape) if v is None else np.asarray(v, np.float64)
        if v.ndim == 0:
            v = np.full(grid_shape, float(v))
        if v.shape != grid_shape:
            raise ValueError(f"track_offsets: {name} has shape {v.shape}, expected the output grid {grid_shape}")
        out.append(v)
    return np.stack(out)


def _pass_spec(opts: TrackingOptions, search, oversample) -> PassSpec:
    return PassSpec((opts.window[0], opts.window[1]), (int(search[0]), int(search[1])), oversample, opts.deramp,
                    opts.oversample_scope, opts.weighting, opts.weight_sigma, opts.subpixel_factor, opts.zoom_halfwidth,
                    min(opts.snr_exclusion, min(search) - 1), opts.memory_budget_mb,
                    opts.batch_size, opts.shard, opts.two_stage, opts.method)


def _track_grid(ref, sec, ta, tr, prior, search, opts, oversample, segments=None) -> dict[str, np.ndarray]:
    """One pass on the grid of window top-lefts ``ta`` × ``tr`` with priors (2, na, nr) px
    (``segments``: reference pixel labels, see :func:`track_offsets`)."""
    na, nr = ta.size, tr.size
    reason = np.zeros((na, nr), np.int8)
    ref_tl = np.stack(np.meshgrid(ta, tr, indexing="ij"), -1).reshape(-1, 2)
    prior_ok = np.all(np.isfinite(prior), axis=0).reshape(-1)
    prior_int = np.where(prior_ok, np.rint(np.nan_to_num(prior)).reshape(2, -1), 0).T.astype(np.int64)
    sec_tl = ref_tl + prior_int - np.asarray(search)
    size = np.array(opts.window) + 2 * np.asarray(search)
    inside = np.all((sec_tl >= 0) & (sec_tl + size <= np.array(sec.shape)), axis=1) \
        & np.all((ref_tl >= 0) & (ref_tl + np.array(opts.window) <= np.array(ref.shape)), axis=1)
    flat = reason.reshape(-1)
    flat[~inside] = q.EDGE
    flat[~prior_ok] = q.NO_PRIOR
    todo = np.flatnonzero(flat == q.OK)
    limit = opts.max_nodata_fraction
    nd_ref = _nodata_counts(ref, ref_tl[todo], tuple(opts.window)) > limit * np.prod(opts.window)
    nd_sec = _nodata_counts(sec, sec_tl[todo], tuple(size)) > limit * np.prod(size)
    flat[todo[nd_ref | nd_sec]] = q.NODATA
    todo = np.flatnonzero(flat == q.OK)
    res = run_pass(_Finite(ref), _Finite(sec), ref_tl[todo], sec_tl[todo], _pass_spec(opts, search, oversample),
                   segments)
    out = {k: np.full((na * nr,) + v.shape[1:], np.nan, np.float32) for k, v in res.items() if k != "on_border"}
    for k in out:
        out[k][todo] = res[k]
    flat[todo[~np.isfinite(res["peak"])]] = q.NODATA
    flat[todo[res["on_border"] & np.isfinite(res["peak"])]] = q.BORDER
    out = {k: v.reshape((na, nr) + v.shape[1:]) for k, v in out.items()}
    out["reason"] = reason
    out["prior"] = np.moveaxis(prior_int.reshape(na, nr, 2), -1, 0).astype(np.float32)
    return out


def _threshold(out: dict, opts: TrackingOptions, min_snr: float) -> None:
    """Windows tracked (reason 0) whose SNR or peak is below the thresholds → reason 4."""
    reason = out["reason"]
    with np.errstate(invalid="ignore"):
        low = (reason == q.OK) & ~((out["snr"] >= min_snr) & (out["peak"] >= opts.min_peak))
    reason[low] = q.LOW_QUALITY


def _retry(ref, sec, ta, tr, prior, out: dict, opts: TrackingOptions, segments=None) -> None:
    """Second chances (``retry_search``, then ``retry_window_scales``) for rejected windows;
    replaces their entries in ``out`` where a retry passes ``retry_min_snr``."""
    min_snr = opts.min_snr * 1.5 if opts.retry_min_snr is None else opts.retry_min_snr
    tries: list[tuple[tuple[int, ...], list[int], int]] = []
    if opts.retry_search is not None:
        tries.append(((q.BORDER, q.LOW_QUALITY), opts.retry_search, 1))
    tries += [((q.LOW_QUALITY,), opts.search, int(f)) for f in opts.retry_window_scales]
    out["retry"] = np.zeros(out["reason"].shape, np.int8)
    for i, (reasons, search, scale) in enumerate(tries, start=1):
        redo = np.isin(out["reason"], reasons)
        if not redo.any():
            continue
        wa, wr = opts.window
        grown = dataclasses.replace(opts, window=[wa * scale, wr * scale])
        # same window centres: top-lefts move by half the growth
        ta2, tr2 = ta - (wa * (scale - 1)) // 2, tr - (wr * (scale - 1)) // 2
        res = _track_grid(ref, sec, ta2, tr2, np.where(redo[None], prior, np.nan), search, grown,
                          opts.oversample, segments)
        _threshold(res, opts, min_snr)
        take = redo & (res["reason"] == q.OK)
        for key in ("offset", "snr", "peak", "cov"):
            out[key][take] = res[key][take]
        out["reason"][take] = q.OK
        out["retry"][take] = i


def _apply_filters(out: dict, opts: TrackingOptions) -> None:
    """The local-median filter (after :func:`_threshold`); rejected offsets become NaN."""
    reason = out["reason"]
    off = np.where((reason == q.OK)[None], np.moveaxis(out["offset"], -1, 0), np.nan)
    bad = q.median_outliers(off[0], off[1], opts.median_filter_size, opts.median_max_deviation,
                            opts.median_min_deviation, opts.median_min_neighbours)
    reason[bad] = q.OUTLIER
    for _ in range(opts.rescue_passes if opts.rescue_max_deviation > 0 else 0):
        # weak peaks that agree with their kept neighbours (spatial consistency)
        if not np.any(reason == q.LOW_QUALITY):
            break
        ok = q.neighbour_consistent(out["offset"][..., 0], out["offset"][..., 1], reason == q.OK,
                                    opts.median_filter_size, opts.rescue_max_deviation,
                                    opts.rescue_min_neighbours)
        reason[(reason == q.LOW_QUALITY) & ok] = q.OK
    out["offset"][reason != q.OK] = np.nan
    out["cov"][reason != q.OK] = np.nan


def _coarse_prior(ref, sec, ta, tr, prior, opts) -> np.ndarray:
    """Priors (2, na, nr) px from a coarse pass: every coarse_factor-th window per axis, a
    coarse_search-wide search, no oversampling, on images decimated by coarse_decimate."""
    f, d = opts.coarse_factor, opts.coarse_decimate
    def decimate(x):
        # d × d blocks of the amplitude, RMS-averaged; read in strips of whole blocks
        ha, hr = x.shape[0] // d, x.shape[1] // d
        out = np.empty((ha, hr) if d > 1 else tuple(x.shape), np.float32)
        step = max(1, strip_rows(x.shape, 16, d) // d)
        for b0 in range(0, out.shape[0], step):
            b1 = min(b0 + step, out.shape[0])
            p = np.abs(np.asarray(x[b0 * d:b1 * d, :]).astype(np.complex64 if np.iscomplexobj(x) else np.float32))
            if d == 1:
                out[b0:b1] = p
                continue
            p = p * p
            out[b0:b1] = np.sqrt(p[:, :hr * d].reshape(b1 - b0, d, hr, d).mean(axis=(1, 3)))
        return out
    cref, csec = decimate(ref), decimate(sec)
    csearch = [max(2, int(np.ceil(s / d))) for s in opts.coarse_search]
    cwin = (list(opts.coarse_window) if opts.coarse_window is not None
            else [max(16, w // d) for w in opts.window])
    wa, wr = opts.window
    ca_, cr_ = cwin
    # coarse windows centred on every f-th fine window centre
    ia, ir = np.arange(0, ta.size, f), np.arange(0, tr.size, f)
    cta = np.rint((ta[ia] + (wa - 1) / 2) / d - (ca_ - 1) / 2).astype(np.int64)
    ctr = np.rint((tr[ir] + (wr - 1) / 2) / d - (cr_ - 1) / 2).astype(np.int64)
    keep_a = (cta >= 0) & (cta + ca_ <= cref.shape[0])
    keep_r = (ctr >= 0) & (ctr + cr_ <= cref.shape[1])
    ia, ir, cta, ctr = ia[keep_a], ir[keep_r], cta[keep_a], ctr[keep_r]
    if ia.size == 0 or ir.size == 0:
        raise ValueError(f"track_offsets: coarse_decimate {d} / coarse_window {cwin} leave no coarse "
                         f"window inside images of {cref.shape} px")
    cprior = (np.zeros((2, ia.size, ir.size)) if prior is None
              else prior[:, ia][:, :, ir] / d)
    copts = resolve_options(opts, window=cwin, search=csearch, coarse_factor=1,
                            snr_exclusion=min(opts.snr_exclusion, min(csearch) - 1),
                            median_min_deviation=opts.median_min_deviation / d)
    res = _track_grid(cref, csec, cta, ctr, cprior, csearch, copts, 1)
    _threshold(res, copts, copts.min_snr)
    _apply_filters(res, copts)
    off = np.moveaxis(res["offset"], -1, 0) * d
    valid = np.isfinite(off[0])
    if not valid.any():
        return np.zeros((2, ta.size, tr.size)) if prior is None else prior
    # priors only: fill holes with the nearest valid coarse offset, then interpolate bilinearly
    near = ndimage.distance_transform_edt(~valid, return_distances=False, return_indices=True)
    off = off[:, near[0], near[1]]
    fa = np.interp(np.arange(ta.size), ia, np.arange(ia.size))
    fr = np.interp(np.arange(tr.size), ir, np.arange(ir.size))
    grid = np.meshgrid(fa, fr, indexing="ij")
    return np.stack([ndimage.map_coordinates(c, grid, order=1, mode="nearest") for c in off])


def track_offsets(reference, secondary, *, options: Optional[TrackingOptions] = None,
                  prior_azimuth=None, prior_range=None, prior: Optional[xr.Dataset] = None,
                  segments=None, **overrides) -> xr.Dataset:
    """Offsets (secondary − reference position, px of the original images) on a grid of windows.

    ``reference``, ``secondary``: 2-D (azimuth, range) arrays of equal shape, both complex SLC
    (oversampled ×``oversample`` before amplitude) or both real amplitude. NaN/inf/0 = no data.
    Options: ``options=TrackingOptions(...)`` and/or keyword overrides (``window=(64, 64)``,
    ``step=(8, 32)``, ``search=(16, 16)``, …; see :class:`TrackingOptions`).
    Priors: ``prior_azimuth``/``prior_range`` (scalars or arrays on the output grid, px) or
    ``prior`` (a Dataset from an earlier call; interpolated onto this grid); the search is
    centred on the rounded prior; NaN priors reject the window (reason 6). With
    ``coarse_factor > 1`` a coarse pass (sparse grid, wide ``coarse_search``, optionally on
    decimated images) gives the priors (around ``prior`` when given).
    ``segments``: optional integer labels of the reference's pixels (same shape as the images,
    e.g. 1 on the glacier, 0 elsewhere): each window then correlates only the pixels of its
    centre pixel's segment (:func:`gfjax.offsets.kernels.segment_template`), so a window at a
    glacier margin measures the ice at its centre rather than the stable ground beside it.

    Returns an ``xarray.Dataset`` on coords ``azimuth``, ``range`` (window centres, px):
    ``azimuth_offset``, ``range_offset`` (px, NaN where rejected), ``snr``, ``peak``,
    ``cov_azimuth``, ``cov_range``, ``cov_cross`` (px²), ``valid`` (bool), ``reason`` (int8, see
    :mod:`gfjax.offsets.quality`), ``prior_azimuth``, ``prior_range`` (integer search centres, px).
    """
    opts = resolve_options(options, **overrides)
    ref, sec = _check_images(reference, secondary)
    ta, tr = window_grid(ref.shape, opts)
    wa, wr = opts.window
    coords = (ta + (wa - 1) / 2.0, tr + (wr - 1) / 2.0)
    prior_px = _prior_grids(prior_azimuth, prior_range, prior, (ta.size, tr.size), coords)
    if opts.coarse_factor > 1 or opts.coarse_decimate > 1:
        prior_px = _coarse_prior(ref, sec, ta, tr, prior_px, opts)
    if prior_px is None:
        prior_px = np.zeros((2, ta.size, tr.size))
    if segments is not None and tuple(np.shape(segments)) != tuple(ref.shape):
        raise ValueError(f"track_offsets: segments have shape {tuple(np.shape(segments))}, expected the "
                         f"images' {tuple(ref.shape)}")
    out = _track_grid(ref, sec, ta, tr, prior_px, opts.search, opts, opts.oversample, segments)
    _threshold(out, opts, opts.min_snr)
    if opts.retry_search is not None or opts.retry_window_scales:
        _retry(ref, sec, ta, tr, prior_px, out, opts, segments)
    _apply_filters(out, opts)
    dims = ("azimuth", "range")
    data = {
        "azimuth_offset": (dims, out["offset"][..., 0], {"units": "px", "long_name": "azimuth offset, secondary - reference"}),
        "range_offset": (dims, out["offset"][..., 1], {"units": "px", "long_name": "range offset, secondary - reference"}),
        "snr": (dims, out["snr"], {"long_name": "peak^2 / mean(surface^2 away from peak)"}),
        "peak": (dims, out["peak"], {"long_name": "normalised cross-correlation at the peak"}),
        "cov_azimuth": (dims, out["cov"][..., 0], {"units": "px2"}),
        "cov_range": (dims, out["cov"][..., 1], {"units": "px2"}),
        "cov_cross": (dims, out["cov"][..., 2], {"units": "px2"}),
        "valid": (dims, out["reason"] == q.OK),
        "reason": (dims, out["reason"], {"flag_values": list(q.REASONS), "flag_meanings": " ".join(q.REASONS.values())}),
        "prior_azimuth": (dims, out["prior"][0], {"units": "px"}),
        "prior_range": (dims, out["prior"][1], {"units": "px"}),
    }
    if "retry" in out:
        data["retry"] = (dims, out["retry"], {"long_name": "which retry found the offset (0: first pass; "
                                                         "1..: retry_search, then retry_window_scales)"})
    ds = xr.Dataset(data, coords={"azimuth": ("azimuth", coords[0].astype(np.float64), {"units": "px"}),
                                  "range": ("range", coords[1].astype(np.float64), {"units": "px"})})
    ds.attrs.update(opts.to_attrs())
    ds.attrs["input"] = "complex" if np.iscomplexobj(ref) else "amplitude"
    return ds
