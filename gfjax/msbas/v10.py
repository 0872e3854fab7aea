"""MSBAS v10's preprocessing rules, as NumPy functions (ring 2; no file access).

What MSBAS v10 (20230601 V1.2, ``carea.cpp``, ``Interferogram.cpp``, ``Set.cpp``) does before
its per-pixel SVD, restated from its source (not copied):

- projection vectors per set (north, east, up): range ``(sin φ sin θ, −cos φ sin θ, cos θ)``,
  azimuth ``(cos φ, sin φ, 0)`` from the header's heading φ / incidence θ (degrees); with
  per-pixel look angles (7-field SET, radians: elevation θ', azimuth φ') range
  ``(cos θ' sin φ', cos θ' cos φ', sin θ')`` and azimuth ``(−cos φ', sin φ', 0)``; a pixel whose
  angles are 0 (no data) has no vector and is not inverted;
- the pass of a set (ascending/descending) from the sign of its first vector: range east < 0 or
  azimuth north > 0 → ascending;
- the dimension from the kinds of sets present (:func:`v10_dimension`);
- per map: mean and std of its valid (≠ 0) pixels over the window, coverage = valid fraction;
  MC_FLAG removes maps below the coverage; calibration offset (C_FLAG) subtracted from the value;
- the z-score mask: per pixel the sum over kept maps of |value − map mean| / map std where every
  map is valid, −1 where some are, 0 where none is (or where a set has no vector, or a slope is 0):
  pixels with 0 are not inverted; C_FLAG=100 picks the reference box from it;
- epochs: all acquisition dates (1D, and 3D of one pass with slopes), else the dates within the
  window common to the ascending and descending passes.
"""
from __future__ import annotations

import numpy as np

V10_PI = 3.1415926        # MSBAS v10's constant for degrees → radians (main.h)


class V10Error(ValueError):
    """A combination of inputs MSBAS v10 refuses (the message says which and why)."""


def set_vector(kind: int, heading: float, incidence: float) -> np.ndarray:
    """(north, east, up) projection vector of a constant-geometry set, v10's way."""
    from gfjax.geometry.projection import projection_vectors

    # v10 keeps angles and vectors in float32 (Set.h), converts degrees with its own π
    # (3.1415926) and computes the trigonometry in double: same formula as gfjax's geometry
    scale = V10_PI / np.pi
    rng, azi = projection_vectors(float(np.float32(heading)) * scale,
                                  float(np.float32(incidence)) * scale)
    return np.asarray(rng if kind == 0 else azi, np.float32).astype(np.float64)


def pixel_vectors(kind: int, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """(3, rows, cols) vectors from per-pixel look angles (rad); 0 where either angle is 0."""
    theta = np.asarray(theta, np.float32)
    phi = np.asarray(phi, np.float32)
    ok = (theta != 0) & (phi != 0)
    t, p = theta.astype(np.float64), phi.astype(np.float64)
    if kind == 0:
        v = np.stack([np.cos(t) * np.sin(p), np.cos(t) * np.cos(p), np.sin(t)])
    else:
        v = np.stack([-np.cos(p), np.sin(p), np.zeros_like(t)])
    # v10 stores the vectors as float32
    return np.where(ok[None], v, 0.0).astype(np.float32).astype(np.float64)


def set_pass(kind: int, heading: float, incidence: float, vector=None) -> str:
    """'A' or 'D' from the first pixel's vector (v10 Set.cpp); V10Error where it cannot tell."""
    if vector is None:
        vec = set_vector(kind, heading, incidence).astype(np.float32)
    else:
        v = np.asarray(vector).reshape(3, -1)
        ok = np.flatnonzero((v[0] != 0) & (v[1] != 0))
        if ok.size == 0:
            raise V10Error("no pixel with a look vector: MSBAS v10 cannot compute the orbit "
                           "direction (ascending/descending)")
        vec = v[:, ok[0]]
    north, east = float(vec[0]), float(vec[1])
    if north == 0 or east == 0:
        raise V10Error(f"heading {heading} gives a look vector with a zero north or east "
                       "component: MSBAS v10 cannot compute the orbit direction")
    if kind == 0:
        return "A" if east < 0 else "D"
    return "A" if north > 0 else "D"


def v10_dimension(kinds, passes, has_slopes: bool, d_flag: int, where: str = "header") -> int:
    """MSBAS v10's problem dimension from the kinds (0 range, 1 azimuth) and passes of the sets."""
    count = {(p, k): 0 for p in "AD" for k in (0, 1)}
    for k, p in zip(kinds, passes):
        count[(p, int(k))] += 1
    ra, aa, rd, ad = count[("A", 0)], count[("A", 1)], count[("D", 0)], count[("D", 1)]
    kinds_present = sum(1 for c in (ra, aa, rd, ad) if c)
    if kinds_present == 1:
        if has_slopes:
            raise V10Error(f"{where}: DD_NSEW_FILES with a single kind of set: MSBAS v10 runs 1D and "
                           "writes the slope constraint into the wrong columns; gfjax refuses it "
                           "(remove DD_NSEW_FILES or add sets of another pass/kind)")
        return 1
    if aa + ad == 0 and not has_slopes and ra and rd:
        return 2
    if (has_slopes or aa + ad) and ra and rd:
        return 4 if (has_slopes and aa + ad and d_flag == 1) else 3
    if ((aa and ra and not ad and not rd) or (ad and rd and not aa and not ra)) and has_slopes:
        return 3
    raise V10Error(f"{where}: MSBAS v10 cannot determine the problem dimension of these sets "
                   f"(range asc {ra}, azimuth asc {aa}, range desc {rd}, azimuth desc {ad}, slopes "
                   f"{'yes' if has_slopes else 'no'}): unsupported combination of input data")


def uses_common_window(dim: int, passes) -> bool:
    """v10 keeps only the window common to both passes when both are present and dim > 1."""
    return dim > 1 and len(set(passes)) == 2


def map_statistics(maps: np.ndarray):
    """(mean, std, coverage) of each map (M, rows, cols) over its valid (≠ 0) pixels (float64)."""
    valid = maps != 0
    count = valid.sum(axis=(1, 2)).astype(np.float64)
    total = np.where(valid, maps, 0).sum(axis=(1, 2), dtype=np.float64)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    dev = np.where(valid, maps - mean[:, None, None], 0.0)
    var = np.divide((dev * dev).sum(axis=(1, 2)), count, out=np.zeros_like(total), where=count > 0)
    f32 = lambda a: a.astype(np.float32).astype(np.float64)   # noqa: E731  (v10 stores floats)
    return f32(mean), f32(np.sqrt(var)), f32(count / maps[0].size)


def box_offsets(maps: np.ndarray, centres, half_cols: int, half_rows: int):
    """Calibration offset per map = mean of its valid pixels over all boxes (NaN: none valid).

    ``centres`` (column, row) in window coordinates; boxes are clipped to the window and a pixel
    inside two boxes counts twice, as in v10.
    """
    m, rows, cols = maps.shape
    total, count = np.zeros(m), np.zeros(m)
    for c, r in centres:
        c0, c1 = max(c - half_cols, 0), min(c + half_cols, cols - 1)
        r0, r1 = max(r - half_rows, 0), min(r + half_rows, rows - 1)
        if c0 > c1 or r0 > r1:
            continue
        sub = maps[:, r0:r1 + 1, c0:c1 + 1].astype(np.float64)
        total += sub.sum(axis=(1, 2))
        count += (sub != 0).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan).astype(np.float32).astype(np.float64)


def zscore_mask(maps: np.ndarray, mean, std, vectors_ok: np.ndarray | None,
                slopes: np.ndarray | None) -> np.ndarray:
    """v10's MSBAS_ZSCORE_MASK (rows, cols) float32 from the kept maps (0 = no data)."""
    valid = maps != 0
    n_valid = valid.sum(axis=0)
    z = np.zeros(maps.shape[1:], np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(maps.shape[0]):          # float32 accumulation, as v10
            z += np.where(valid[j], np.abs(maps[j] - mean[j]) / std[j], 0).astype(np.float32)
    out = np.where(n_valid == maps.shape[0], z, np.where(n_valid > 0, -1.0, 0.0)).astype(np.float32)
    if maps.shape[0] == 0:
        out[:] = 0
    if vectors_ok is not None:
        out[~vectors_ok] = 0
    if slopes is not None:
        out[(slopes[0] == 0) | (slopes[1] == 0)] = 0
    return out


def zscore_reference(mask: np.ndarray, half_cols: int, half_rows: int):
    """C_FLAG=100: the pixel whose box has the lowest mean z-score (boxes with > 68 % of their
    pixels fully covered), trying half-sizes (a, b), (a−1, b−1), … until one is found.

    Returns ((column, row) in window coordinates, half-sizes left for the calibration box — one
    less than the search box, as v10 decrements before stopping) or (None, None): fall back to
    C_FLAG=10.
    """
    rows, cols = mask.shape
    full = np.where(mask > 0, mask.astype(np.float64), 0.0)
    hit = (mask > 0).astype(np.float64)
    a, b = half_cols, half_rows
    while a > 0 and b > 0:
        pad_z = np.pad(full, ((b, b), (a, a)))
        pad_n = np.pad(hit, ((b, b), (a, a)))
        sz, sn = _box_sum(pad_z, b, a), _box_sum(pad_n, b, a)
        size = (2 * a + 1) * (2 * b + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where((mask > 0) & (sn > 0.68 * size), sz / sn, np.inf)
        a, b = a - 1, b - 1
        if np.isfinite(score).any():
            # v10 scans columns in the outer loop and keeps the first strict minimum
            col, row = np.unravel_index(np.argmin(score.T), score.T.shape)
            return (int(col), int(row)), (a, b)
    return None, None


def _box_sum(padded: np.ndarray, hr: int, hc: int) -> np.ndarray:
    """Sum over (2hr+1)×(2hc+1) boxes of a padded array (integral image)."""
    s = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    h, w = 2 * hr + 1, 2 * hc + 1
    return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]


def epoch_window(t_master, t_slave, map_pass, use_window: bool):
    """(start, stop) decimal years of the kept epochs: the window common to the passes, or all."""
    tm, ts = np.asarray(t_master), np.asarray(t_slave)
    if not use_window:
        return float(tm.min()), float(ts.max())
    p = np.asarray(map_pass)
    start = max(tm[p == q].min() for q in "AD")
    stop = min(ts[p == q].max() for q in "AD")
    if not start < stop:
        raise V10Error(f"the ascending and descending passes do not overlap in time (common window "
                       f"[{start:.6f}, {stop:.6f}], decimal years)")
    return float(start), float(stop)
