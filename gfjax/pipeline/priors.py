"""A-priori offsets for a pair from an earlier result: the search of each window is centred on
what the previous pair of the same track measured there, scaled by the pair durations."""
from __future__ import annotations

import numpy as np
from scipy import ndimage


def filled(field: np.ndarray, smooth: int = 3, labels: np.ndarray | None = None) -> np.ndarray | None:
    """``field`` with NaNs replaced by the nearest valid value — with ``labels`` (same shape), the
    nearest valid value of the same label where that label has any, else the nearest of any —
    then median-smoothed (``smooth`` × ``smooth``). None when nothing is valid."""
    ok = np.isfinite(field)
    if not ok.any():
        return None
    if not ok.all():
        out, holes = field.copy(), ~ok

        def fill_from(src: np.ndarray, tgt: np.ndarray) -> None:
            near = ndimage.distance_transform_edt(~src, return_distances=False, return_indices=True)
            out[tgt] = field[tuple(i[tgt] for i in near)]
            holes[tgt] = False

        for lab in ([] if labels is None else np.unique(labels)):   # within each label first
            src = ok & (labels == lab)
            if src.any():
                fill_from(src, holes & (labels == lab))
        if holes.any():                                             # then from any valid window
            fill_from(ok, holes.copy())
        field = out
    return ndimage.median_filter(field, size=smooth, mode="nearest") if smooth > 1 else field


def window_mask(mask, lut_azimuth_px, lut_range_px, window_azimuth, window_range,
                buffer_cells: int) -> np.ndarray:
    """Which offset windows (centres ``window_azimuth`` × ``window_range``, px) lie within
    ``buffer_cells`` map cells of ``mask`` (map grid, bool), through the map → radar LUT.
    Each map cell marks its nearest window; a one-window dilation closes the gaps left when
    windows are denser than map cells."""
    grown = ndimage.binary_dilation(mask, iterations=buffer_cells) if buffer_cells > 0 else mask
    az, rg = lut_azimuth_px[grown], lut_range_px[grown]
    ok = np.isfinite(az) & np.isfinite(rg)
    wa, wr = np.asarray(window_azimuth, float), np.asarray(window_range, float)
    da = wa[1] - wa[0] if wa.size > 1 else 1.0
    dr = wr[1] - wr[0] if wr.size > 1 else 1.0
    ia = np.clip(np.rint((az[ok] - wa[0]) / da).astype(int), 0, wa.size - 1)
    ir = np.clip(np.rint((rg[ok] - wr[0]) / dr).astype(int), 0, wr.size - 1)
    out = np.zeros((wa.size, wr.size), bool)
    out[ia, ir] = True
    return ndimage.binary_dilation(out, structure=np.ones((3, 3), bool))


def prior_from_history(previous: list, scales: list, min_snr: float,
                       labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(prior_azimuth, prior_range) px from earlier offsets Datasets of the same track, most
    recent first, each with ``scale`` = this pair's duration / its own: per window the most
    recent one where it was valid with SNR ≥ ``min_snr`` (a reliable measurement, rate-scaled);
    windows none of them measured reliably are filled from the nearest such window (with
    ``labels`` on the window grid, e.g. glacier / not: of the same label, so a fast glacier window
    is not given the stable ground's zero); then a 3 × 3 median. None if no window is reliable
    anywhere."""
    az: np.ndarray | None = None
    rg: np.ndarray | None = None
    for ds, scale in zip(previous, scales):
        a = np.asarray(ds["azimuth_offset"].values, np.float64)
        r = np.asarray(ds["range_offset"].values, np.float64)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(a) & np.isfinite(r) & (np.asarray(ds["snr"].values) >= min_snr)
        if az is None:
            az, rg = np.full(a.shape, np.nan), np.full(a.shape, np.nan)
        assert az is not None and rg is not None
        if a.shape != az.shape:
            continue  # another window grid: not comparable
        take = ok & ~np.isfinite(az)
        az[take], rg[take] = a[take] * scale, r[take] * scale
    if az is None or rg is None:
        return None
    if labels is not None and labels.shape != az.shape:
        labels = None  # another window grid
    az_f, rg_f = filled(az, labels=labels), filled(rg, labels=labels)
    if az_f is None or rg_f is None:
        return None
    return az_f, rg_f


def radar_segments(mask, lut_azimuth_px, lut_range_px, shape: tuple[int, int], step: int = 4) -> np.ndarray:
    """Labels (int8, 1 inside ``mask``, 0 outside) of the radar pixels of an image of ``shape``:
    each pixel takes the label of the map cell whose radar position (the map → radar LUT) is
    nearest, distances measured in map cells (both sets of points taken back to map-cell
    coordinates by the inverse of the affine fit of the LUT, so a sheared or flipped geometry
    measures distances as on the map), computed on every ``step``-th pixel and repeated.
    Pixels farther than two map cells from any LUT position are 0."""
    from scipy.spatial import cKDTree

    az, rg = np.asarray(lut_azimuth_px, float), np.asarray(lut_range_px, float)
    ok = np.isfinite(az) & np.isfinite(rg)
    out = np.zeros(shape, np.int8)
    if ok.sum() < 3:
        return out
    rows, cols = np.nonzero(ok)
    design = np.column_stack([rows, cols, np.ones(rows.size)])
    fit, *_ = np.linalg.lstsq(design, np.column_stack([az[ok], rg[ok]]), rcond=None)   # (3, 2)
    lin, shift = fit[:2].T, fit[2]                                                      # radar = lin @ cell + shift
    inv = np.linalg.inv(lin)
    tree = cKDTree((np.column_stack([az[ok], rg[ok]]) - shift) @ inv.T)
    values = np.asarray(mask)[ok]
    ir = np.arange(0, shape[1], step) + (step - 1) / 2.0
    per_strip = max(1, (1 << 18) // max(ir.size, 1))     # decimated rows per strip: bounded memory
    for a0 in range(0, shape[0], per_strip * step):
        ia = np.arange(a0, min(a0 + per_strip * step, shape[0]), step) + (step - 1) / 2.0
        A, R = np.meshgrid(ia, ir, indexing="ij")
        dist, idx = tree.query((np.column_stack([A.ravel(), R.ravel()]) - shift) @ inv.T)
        lab = np.where(dist <= 2.0, values[idx], False).reshape(A.shape).astype(np.int8)
        strip = np.repeat(np.repeat(lab, step, axis=0), step, axis=1)
        n = min(strip.shape[0], shape[0] - a0)
        out[a0:a0 + n] = strip[:n, :shape[1]]
    return out
