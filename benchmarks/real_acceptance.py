"""Acceptance on REAL Sentinel-1 images: which windows gfjax keeps (SNR, peak thresholds) and how
good they are, beside OpenCV matchTemplate(TM_CCOEFF_NORMED) + parabola (autoRIFT's core) on the
SAME windows (same centres, window, search).

Cases (truth known in each):
- Terceira (``../shared/data/sentinel1/terceira_20220918``, one real IW3 VV SLC crop, 601×1401,
  land in the upper half, sea below): the secondary is the crop moved by a known sub-pixel shift
  (deramp the TOPS azimuth Doppler — it wraps through the PRF every ~150 lines here — Fourier
  shift the baseband image, re-ramp at the shifted lines: an exact band-limited move of the
  content), and both images are decorrelated to coherence γ by adding independent circular
  complex Gaussian noise with the image's own spectrum (deramped 2-D spectrum, re-ramped),
  scaled to the local amplitude (15×15 box rms): ``x + a·n`` with a² = (1−γ)/γ on each image.
- Amsterdam (``../shared/data/sentinel1/amsterdam_coreg_pair``): two real acquisitions 12 days
  apart, coregistered by SNAP; true offset 0, coherence ≈ 0.77 (84×338: small windows).
- False alarms: each image matched against an unrelated part of itself (the secondary is the
  reference rolled by half its width in range: real texture, no true match within the search);
  every window that passes the acceptance is a false match: the thresholds at a stated
  false-alarm rate come from these. And "patch" cases: a Terceira pair whose secondary holds
  unrelated content in range px 600–1000 (a decorrelated area inside a coherent field: what
  the local-median filter and the neighbour-consistency rescue see in practice).

gfjax runs ``track_offsets`` (complex SLC input, accurate ×2 mode, library defaults) once per
case with the thresholds off; each acceptance setting (min_snr, min_peak, rescue) is re-applied
with the tracker's own filters (gfjax.offsets.quality.median_outliers, neighbour_consistent), and
the first case checks that a plain ``track_offsets`` call keeps the same windows. OpenCV runs on the plain amplitude (autoRIFT's input); "kept" for OpenCV = the
NCC maximum is not on the border of the search range (then the parabola is defined), optionally
also peak NCC ≥ ``--cv-min-peak`` (the table says which). Errors are of the kept windows against
the truth: RMS of the 2-D error and its 95th percentile, px; "correct" = both axes within 1 px.

    python benchmarks/real_acceptance.py                   # all cases, ~1.5 min on 2 cores
    python benchmarks/real_acceptance.py --quick           # one shift, fewer windows
    python benchmarks/real_acceptance.py --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))
from offsets import parabolic  # noqa: E402  (benchmarks/offsets.py)

from real_pairs import load_amsterdam, load_terceira, shifted_pair  # noqa: E402  (benchmarks/real_pairs.py)


# ----------------------------------------------------------------------------- trackers
def opencv_track(ref_amp: np.ndarray, sec_amp: np.ndarray, ta, tr, window, search, exclusion=3.0):
    """matchTemplate(TM_CCOEFF_NORMED) + parabola per window (as benchmarks/offsets.run_opencv,
    also returning the peak NCC and whether the maximum lies on the search border).
    Windows: top-lefts ``ta`` × ``tr`` (a-major), search area = window ± search (zero prior).
    Returns est (N, 2) px (NaN on the border), peak (N,), border (N,) bool, and the surface's
    SNR and peak gap (:func:`surface_stats`) (N,)."""
    import cv2
    h, w = window
    sa, sr = search
    cells = [(a, r) for a in ta for r in tr]
    est = np.full((len(cells), 2), np.nan)
    peak, snr, gap = (np.full(len(cells), np.nan) for _ in range(3))
    border = np.ones(len(cells), bool)
    for k, (a, r) in enumerate(cells):
        res = cv2.matchTemplate(sec_amp[a - sa:a + h + sa, r - sr:r + w + sr],
                                ref_amp[a:a + h, r:r + w], cv2.TM_CCOEFF_NORMED)
        _, mx, _, (x, y) = cv2.minMaxLoc(res)
        peak[k] = mx
        snr[k], gap[k] = surface_stats(res, (y, x), exclusion)
        if 0 < y < res.shape[0] - 1 and 0 < x < res.shape[1] - 1:
            border[k] = False
            est[k] = (y + parabolic(res[y - 1, x], res[y, x], res[y + 1, x]) - sa,
                      x + parabolic(res[y, x - 1], res[y, x], res[y, x + 1]) - sr)
    return est, peak, border, snr, gap


def surface_stats(surface: np.ndarray, lag, exclusion: float = 3.0) -> tuple[float, float]:
    """(SNR, gap) of one correlation surface with its maximum at integer ``lag``: SNR =
    peak² / mean(surface² farther than ``exclusion`` px, Chebyshev, from the peak) (gfjax's
    definition, gfjax.offsets.quality.surface_snr); gap = (peak − highest value away from the
    peak) / std(surface away from the peak): how far the peak stands above the best rival."""
    ya, xa = np.ogrid[:surface.shape[0], :surface.shape[1]]
    away = (np.abs(ya - lag[0]) > exclusion) | (np.abs(xa - lag[1]) > exclusion)
    rest = surface[away]
    pk = surface[lag[0], lag[1]]
    return (float(pk * pk / max(np.mean(rest * rest), 1e-30)),
            float((pk - rest.max()) / max(rest.std(), 1e-30)))


def top_lefts(ds) -> tuple[np.ndarray, np.ndarray]:
    """Window top-left pixels of a track_offsets result (its coords are window centres)."""
    wa, wr = ds.attrs["window"]
    return (np.rint(ds.azimuth.values - (wa - 1) / 2).astype(int),
            np.rint(ds["range"].values - (wr - 1) / 2).astype(int))


# ----------------------------------------------------------------------------- acceptance
COMPARABLE_REASONS = (1, 2, 6)     # edge, no data, no prior: windows neither method can track


def accept(reason, snr, peak, offset, min_snr: float, min_peak: float = 0.0, median=None, rescue=None):
    """gfjax's acceptance re-applied to a run with the thresholds off (as tracker._threshold and
    _apply_filters, with the library's own filters): reason 0 and SNR ≥ min_snr and peak ≥
    min_peak, then the local-median filter (``median`` = (size, max_dev, min_dev, min_neighbours),
    None = off), then (``rescue`` = (max_deviation, min_neighbours, passes), None = off) the weak
    windows consistent with the kept ones around them (quality.neighbour_consistent). Returns kept."""
    from gfjax.offsets.quality import median_outliers, neighbour_consistent
    with np.errstate(invalid="ignore"):
        passed = (reason == 0) & (snr >= min_snr) & (peak >= min_peak)
    kept = passed.copy()
    if median is not None and median[0] > 1:
        off = np.where(kept[None], np.moveaxis(offset, -1, 0), np.nan)
        kept &= ~median_outliers(off[0], off[1], *median)
        if rescue is not None and rescue[0] > 0:
            weak = (reason == 0) & ~passed
            for _ in range(rescue[2]):
                kept |= weak & neighbour_consistent(offset[..., 0], offset[..., 1], kept, median[0], *rescue[:2])
    return kept


def threshold_at(scores: np.ndarray, candidates: np.ndarray, rate: float) -> float:
    """Smallest threshold t such that at most ``rate`` of the null windows have score ≥ t
    (``candidates``: windows that would be kept but for the threshold; the rest score −inf)."""
    s = np.where(candidates & np.isfinite(scores), scores, -np.inf).ravel()
    k = int(np.floor(rate * s.size))            # windows allowed through
    srt = np.sort(s)[::-1]
    return float(np.nextafter(srt[k], np.inf)) if k < s.size else -np.inf


def score(offset: np.ndarray, kept: np.ndarray, comparable: np.ndarray, truth) -> dict:
    """Kept fraction (of the comparable windows), correct/wrong kept (both axes within 1 px of
    the truth or not), RMS and 95th percentile of the 2-D error of the kept windows, px."""
    err = offset.reshape(-1, 2) - np.asarray(truth, float)[None]
    k = kept.reshape(-1) & comparable.reshape(-1)
    n = int(comparable.sum())
    e = np.hypot(err[k, 0], err[k, 1])
    right = np.all(np.abs(err[k]) <= 1.0, axis=1)
    return dict(windows=n, kept=float(k.sum() / n), correct=float(right.sum() / n), wrong=int((~right).sum()),
                rms=float(np.sqrt(np.mean(e ** 2))) if e.size else float("nan"),
                p95=float(np.percentile(e, 95)) if e.size else float("nan"),
                rms_correct=float(np.sqrt(np.mean(e[right] ** 2))) if right.any() else float("nan"))


def run_case(ref, sec, opts: dict, *, truth, median, gf_settings: dict, cv_settings: dict,
             deramp_setting=None, patch=None, check_default=False) -> tuple[list, dict]:
    """One pair: gfjax (thresholds off, then each acceptance setting (min_snr, min_peak, rescue)
    re-applied) and OpenCV on the plain amplitude, same windows (settings (kind, threshold,
    rescue)); ``deramp_setting``: also gfjax with deramp='azimuth' at that setting. ``patch``:
    grid bool of the windows whose secondary content is unrelated (no true match): they are
    scored apart, every one kept there is a false alarm. ``check_default``: also run
    track_offsets with the library defaults and check that it keeps the same windows as the
    re-applied default setting (the first of gf_settings). Returns (rows, raw scores)."""
    from gfjax.offsets import track_offsets
    off_kw = dict(min_snr=0.0, min_peak=0.0, median_filter_size=0)
    raw = track_offsets(ref, sec, **opts, **off_kw)
    reason = raw.reason.values
    comparable = ~np.isin(reason, COMPARABLE_REASONS)
    patch = np.zeros(reason.shape, bool) if patch is None else patch
    scored = comparable & ~patch
    off = np.stack([raw.azimuth_offset.values, raw.range_offset.values], -1)
    rows = []

    def add(name, offset, kept):
        row = dict(method=name, **score(offset, kept, scored, truth))
        if patch.any():
            row["patch_windows"] = int((patch & comparable).sum())
            row["patch_false_alarm"] = float(kept[patch & comparable].mean())
        rows.append(row)

    for i, (name, (ms, mp, rescue)) in enumerate(gf_settings.items()):
        kept = accept(reason, raw.snr.values, raw.peak.values, off, ms, mp, median, rescue)
        add(name, off, kept)
        if i == 0 and check_default:
            lib = track_offsets(ref, sec, **opts).valid.values
            if not np.array_equal(lib, kept):
                print(f"  note: library run keeps {int(lib.sum())} windows, re-applied default {int(kept.sum())}")
    if deramp_setting is not None:
        d = track_offsets(ref, sec, **opts, deramp="azimuth", **off_kw)
        doff = np.stack([d.azimuth_offset.values, d.range_offset.values], -1)
        ms, mp, rescue = deramp_setting
        kept = accept(d.reason.values, d.snr.values, d.peak.values, doff, ms, mp, median, rescue)
        add(f"gfjax deramp='azimuth' (TOPS), library default acceptance", doff, kept)
    ta, tr = top_lefts(raw)
    est, pk, border, csnr, cgap = opencv_track(np.abs(ref).astype(np.float32), np.abs(sec).astype(np.float32),
                                                ta, tr, opts["window"], opts["search"],
                                                opts.get("snr_exclusion", 3.0))
    shape = reason.shape
    est = est.reshape(shape + (2,))
    cv_reason = np.where(comparable & ~border.reshape(shape), 0, 3)
    for name, (kind, th, rescue) in cv_settings.items():
        sc = {"peak": pk, "gap": cgap, "none": np.zeros_like(pk)}[kind].reshape(shape)
        add(name, est, accept(cv_reason, sc, np.ones(shape), est, th, 0.0, median, rescue))
    raw_scores = dict(reason=reason, snr=raw.snr.values, peak=raw.peak.values, off=off, comparable=comparable,
                      scored=scored, patch=patch & comparable, cv_est=est, cv_peak=pk.reshape(shape),
                      cv_gap=cgap.reshape(shape), cv_reason=cv_reason, azimuth=raw.azimuth.values,
                      range=raw["range"].values)
    return rows, raw_scores


def null_scores(ref, sec_unrelated, opts: dict) -> dict:
    """gfjax (thresholds off) and OpenCV on a pair with no true match."""
    rows, raw = run_case(ref, sec_unrelated, opts, truth=(0.0, 0.0), median=None, gf_settings={}, cv_settings={})
    return raw


def false_alarm(raw: dict, kind: str, th: float, median=None, region=None, rescue=None) -> float:
    """Fraction of the comparable windows of a null run kept at threshold ``th`` (kind: 'snr' for
    gfjax, 'cv_peak' / 'cv_gap' for OpenCV), optionally after the median filter (and rescue);
    ``region``: a boolean grid of the windows to count."""
    if kind == "snr":
        kept = accept(raw["reason"], raw["snr"], raw["peak"], raw["off"], th, 0.0, median, rescue)
    else:
        kept = accept(raw["cv_reason"], raw[kind], np.ones(raw["cv_reason"].shape), raw["cv_est"], th, 0.0,
                      median, rescue)
    m = raw["comparable"] if region is None else raw["comparable"] & region
    return float(kept[m].mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=int, nargs=2, default=[64, 64], help="Terceira windows (library default)")
    ap.add_argument("--step", type=int, nargs=2, default=[32, 32])
    ap.add_argument("--search", type=int, nargs=2, default=[16, 16], help="half search (library default)")
    ap.add_argument("--null-step", type=int, nargs=2, default=[8, 16], help="grid step of the false-alarm runs")
    ap.add_argument("--shifts", nargs="+", default=["0.3,-0.45", "1.7,0.25", "-2.35,3.6"],
                    help="true shifts 'az,rg' px of the Terceira secondaries")
    ap.add_argument("--coherences", type=float, nargs="+", default=[0.9, 0.7, 0.5, 0.35])
    ap.add_argument("--patch", type=int, nargs=2, default=[600, 1000],
                    help="range columns of the Terceira secondary replaced by unrelated content (patch cases)")
    ap.add_argument("--false-alarm", type=float, default=0.01, help="false-alarm rate of the derived thresholds")
    ap.add_argument("--sweep", type=float, nargs="+", default=[0, 5, 10, 15, 20, 25, 30, 40, 60])
    ap.add_argument("--amsterdam-window", type=int, nargs=2, default=[32, 32])
    ap.add_argument("--amsterdam-search", type=int, nargs=2, default=[8, 8])
    ap.add_argument("--amsterdam-step", type=int, nargs=2, default=[8, 16])
    ap.add_argument("--quick", action="store_true", help="first shift only, coherences 0.7 and 0.5")
    ap.add_argument("--json", default=None, help="write results here")
    args = ap.parse_args()
    if args.quick:
        args.shifts, args.coherences = args.shifts[:1], [0.7, 0.5]

    import jax
    from gfjax.offsets.options import TrackingOptions
    d = TrackingOptions()
    median = (d.median_filter_size, d.median_max_deviation, d.median_min_deviation, d.median_min_neighbours)
    rescue = ((d.rescue_max_deviation, d.rescue_min_neighbours, d.rescue_passes)
              if d.rescue_max_deviation > 0 else None)
    resc = (0.5, 3, 2) if rescue is None else rescue     # the rule tried where the default has none
    t0 = time.perf_counter()
    z = load_terceira()
    opts = dict(window=args.window, step=args.step, search=args.search)
    half = z.shape[1] // 2

    # ---- false alarms: each image against an unrelated part of itself (rolled by half the width)
    nopts = dict(opts, step=args.null_step)
    null = {}
    for g in (1.0, 0.5):
        r, s = shifted_pair(z, (0.0, 0.0), g, seed=11)
        null[g] = null_scores(r, np.roll(s, half, axis=1), nopts)
    n1 = null[1.0]
    land = (n1["azimuth"] < 300)[:, None] & np.ones(n1["reason"].shape, bool)
    fa = args.false_alarm
    cmp1 = n1["comparable"]
    th_snr = threshold_at(n1["snr"][cmp1], n1["reason"][cmp1] == 0, fa)
    th_snr_land = threshold_at(n1["snr"][cmp1 & land], n1["reason"][cmp1 & land] == 0, fa)
    th_peak = threshold_at(n1["cv_peak"][cmp1], n1["cv_reason"][cmp1] == 0, fa)
    th_gap = threshold_at(n1["cv_gap"][cmp1], n1["cv_reason"][cmp1] == 0, fa)

    # ---- settings compared on every case: (min_snr, min_peak, rescue) / (kind, threshold, rescue)
    def rs(x):
        return f"rescue ±{x[0]:g} px ×{x[2]}" if x else "no rescue"
    gf_settings = {f"gfjax library default (min_snr {d.min_snr:g}, {rs(rescue)})": (d.min_snr, d.min_peak, rescue)}
    for ms, rc, why in ((d.min_snr, None if rescue else resc, " (the former default)" if d.min_snr == 25 else ""),
                        (25.0, None, " (the former default)"),
                        (th_snr, None, f" ({fa:.0%} FA, Terceira null)"), (th_snr, resc, f" ({fa:.0%} FA, Terceira null)")):
        name = f"gfjax min_snr {ms:.4g}, {rs(rc)}{why}"
        if (ms, d.min_peak, rc) not in gf_settings.values():
            gf_settings[name] = (ms, d.min_peak, rc)
    cv_settings = {"OpenCV off-border": ("none", 0.0, None),
                   f"OpenCV off-border + peak NCC ≥ {th_peak:.3f} ({fa:.0%} FA)": ("peak", th_peak, None),
                   f"OpenCV peak NCC ≥ {th_peak:.3f}, {rs(resc)} (gfjax's rule)": ("peak", th_peak, resc),
                   f"OpenCV off-border + peak gap ≥ {th_gap:.2f} σ ({fa:.0%} FA)": ("gap", th_gap, None)}
    results, sweep_raw, patch_raw = [], {}, {}
    for sh in args.shifts:
        shift = tuple(float(x) for x in sh.split(","))
        for g in args.coherences:
            r, s = shifted_pair(z, shift, g, seed=1)
            rows, raw = run_case(r, s, opts, truth=shift, median=median, gf_settings=gf_settings,
                                 cv_settings=cv_settings, deramp_setting=(d.min_snr, d.min_peak, rescue),
                                 check_default=(sh == args.shifts[0]))
            results.append(dict(case=f"Terceira shift {shift} γ={g}", shift=shift, coherence=g, rows=rows))
            sweep_raw.setdefault(g, []).append((raw, shift))
    # ---- patch cases: part of the secondary unrelated (a decorrelated area inside a coherent field)
    c0, c1 = args.patch
    shift = tuple(float(x) for x in args.shifts[0].split(","))
    for g in [x for x in (0.7, 0.5) if x in args.coherences]:
        r, s = shifted_pair(z, shift, g, seed=1)
        s[:, c0:c1] = np.roll(s, half, axis=1)[:, c0:c1]
        from gfjax.offsets.tracker import window_grid
        ta, tr = window_grid(z.shape, TrackingOptions(**opts))
        patch = np.ones(ta.size, bool)[:, None] & ((tr - args.search[1] >= c0)
                                                   & (tr + args.window[1] + args.search[1] <= c1))[None, :]
        rows, raw = run_case(r, s, opts, truth=shift, median=median, gf_settings=gf_settings,
                             cv_settings=cv_settings, patch=patch)
        results.append(dict(case=f"Terceira shift {shift} γ={g}, range px {c0}–{c1} of the secondary unrelated",
                            shift=shift, coherence=g, rows=rows))
        patch_raw[g] = (raw, shift)
    # ---- Amsterdam: real 12-day pair, truth 0
    ra, sa = load_amsterdam()
    aopts = dict(window=args.amsterdam_window, step=args.amsterdam_step, search=args.amsterdam_search)
    anull = null_scores(ra, np.roll(sa, ra.shape[1] // 2, axis=1), dict(aopts, step=[2, 4]))
    acmp = anull["comparable"]
    a_th = threshold_at(anull["snr"][acmp], anull["reason"][acmp] == 0, fa)
    a_peak = threshold_at(anull["cv_peak"][acmp], anull["cv_reason"][acmp] == 0, fa)
    rows, araw = run_case(ra, sa, aopts, truth=(0.0, 0.0), median=median, check_default=True,
                          gf_settings=dict(gf_settings, **{f"gfjax min_snr {a_th:.1f}, no rescue ({fa:.0%} FA on this pair's null)": (a_th, 0.0, None)}),
                          cv_settings=dict(cv_settings, **{f"OpenCV off-border + peak NCC ≥ {a_peak:.3f} ({fa:.0%} FA on this pair's null)": ("peak", a_peak, None)}),
                          deramp_setting=(d.min_snr, d.min_peak, rescue))
    n_pix = args.amsterdam_window[0] * args.amsterdam_window[1]
    gam, osf = 0.77, 1.0 / 0.65
    crb = float(np.sqrt(3 / (10 * n_pix)) * np.sqrt(2 + 5 * gam ** 2 - 7 * gam ** 4) / (np.pi * gam ** 2) * osf ** 1.5)
    g0 = accept(araw["reason"], araw["snr"], araw["peak"], araw["off"], d.min_snr, d.min_peak, median, rescue)
    per_axis = np.sqrt(np.nanmean(np.where(g0[..., None], araw["off"], np.nan) ** 2, axis=(0, 1)))
    results.append(dict(case=f"Amsterdam real pair (truth 0, γ≈0.77), window {args.amsterdam_window}, "
                             f"search ±{args.amsterdam_search}", shift=(0.0, 0.0), coherence=gam, rows=rows,
                        crb_px=crb, default_rms_per_axis=per_axis.tolist(),
                        null_false_alarm={str(t): false_alarm(anull, "snr", t) for t in args.sweep}))

    # ---- print
    print(f"\nFalse alarms, Terceira: each window of the real crop against the crop rolled by {half} range px "
          f"(no true match), window {args.window}, search ±{args.search}, step {args.null_step}, "
          f"{int(cmp1.sum())} windows (overlapping)")
    print(f"  {fa:.0%} false-alarm thresholds (γ=1 texture, the worst case): gfjax SNR ≥ {th_snr:.1f} "
          f"(land half only: {th_snr_land:.1f}); OpenCV peak NCC ≥ {th_peak:.3f}; OpenCV peak gap ≥ {th_gap:.2f} σ; "
          f"Amsterdam ({args.amsterdam_window} windows, its own null): gfjax SNR ≥ {a_th:.1f}, OpenCV peak ≥ {a_peak:.3f}")
    print(f"  fraction of null windows kept at min_snr: {'':>14}" + " ".join(f"{t:>6g}" for t in args.sweep))
    for g in (1.0, 0.5):
        for name, reg in (("all", None), ("land", land)):
            for med, rc, lab in ((None, None, "    "), (median, rescue, "+med")):
                fr = [false_alarm(null[g], "snr", t, med, reg, rc) for t in args.sweep]
                print(f"  gfjax SNR, null γ={g:<3} {name:<4} {lab}{' +rescue' if rc else '        '}"
                      + " ".join(f"{x:>6.3f}" for x in fr))
    print(f"  OpenCV off-border (no threshold): {false_alarm(n1, 'cv_peak', -1.0):.3f} of the γ=1 null windows kept, "
          f"{false_alarm(n1, 'cv_peak', -1.0, median):.3f} after the median filter")
    print(f"\nKept windows and their error (px) vs truth. Every row: its acceptance, then the same local-median "
          f"filter (size {median[0]}); 'rescue ±d ×p' = the weak windows within ±d px of the median of ≥ "
          f"{resc[1]} kept neighbours are kept too, p passes (TrackingOptions.rescue_*). win = windows both can track; "
          f"kept/corr = fraction kept / kept and within 1 px on both axes; wrong = kept and not (count); "
          f"RMS, p95 = of the 2-D error of all kept windows; RMSok = of the correct ones; FA patch = fraction of "
          f"the windows in the unrelated patch kept (false alarms). OpenCV = matchTemplate TM_CCOEFF_NORMED + "
          f"parabola on the plain amplitude, same windows; 'off-border' = its NCC maximum is not on the search "
          f"border (no NCC threshold).")
    hdr = f"{'method':<70} {'win':>5} {'kept':>5} {'corr':>5} {'wrong':>5} {'RMS':>6} {'p95':>6} {'RMSok':>6} {'FApatch':>7}"
    for res in results:
        print(f"\n{res['case']}" + (f"   (incoherent CRB per axis ≈ {res['crb_px']:.3f} px, N={n_pix}, OSF {osf:.2f})"
                                      if "crb_px" in res else ""))
        print(hdr)
        cv0 = next(r for r in res["rows"] if r["method"] == "OpenCV off-border")
        cv1 = next(r for r in res["rows"] if r["method"].startswith("OpenCV off-border + peak NCC"))
        for r in res["rows"]:
            r["correct_ratio_to_opencv_off_border"] = r["correct"] / cv0["correct"] if cv0["correct"] else None
            r["correct_ratio_to_opencv_peak_fa"] = r["correct"] / cv1["correct"] if cv1["correct"] else None
            fp = f"{r['patch_false_alarm']:>7.3f}" if "patch_false_alarm" in r else f"{'':>7}"
            print(f"{r['method'][:70]:<70} {r['windows']:>5} {r['kept']:>5.2f} {r['correct']:>5.2f} {r['wrong']:>5d} "
                  f"{r['rms']:>6.3f} {r['p95']:>6.3f} {r['rms_correct']:>6.3f} {fp}")
        g0r = res["rows"][0]
        print(f"  gfjax library default: correct windows kept ÷ OpenCV off-border's "
              f"{g0r['correct_ratio_to_opencv_off_border'] or float('nan'):.2f}; ÷ OpenCV peak-NCC ({fa:.0%} FA)'s "
              f"{g0r['correct_ratio_to_opencv_peak_fa'] or float('nan'):.2f}; RMS error ÷ OpenCV off-border's "
              f"{g0r['rms'] / cv0['rms']:.2f}")
    if "default_rms_per_axis" in results[-1]:
        ax = results[-1]["default_rms_per_axis"]
        print(f"  Amsterdam, library default: RMS offset per axis az {ax[0]:.3f}, rg {ax[1]:.3f} px = "
              f"{ax[0] / crb:.1f}×, {ax[1] / crb:.1f}× the incoherent Cramér–Rao bound {crb:.3f} px")
    # ---- sweep: correct windows kept per coherence (mean over shifts) beside the false alarms
    print(f"\nSweep of gfjax min_snr (min_peak {d.min_peak:g}, + median filter), Terceira, mean over "
          f"{len(args.shifts)} shift(s): fraction of windows kept AND correct, without / with rescue; FA = null "
          f"windows kept (γ=1 null), FApatch = unrelated-patch windows kept (γ=0.7 patch case)")
    print(f"  {'min_snr':>8} " + " ".join(f"{'γ=' + str(g):>13}" for g in args.coherences)
          + f" {'FA':>13} {'FApatch':>13}")
    sweep = []
    for t in args.sweep:
        row = dict(min_snr=t, correct={}, correct_rescue={})
        for g in args.coherences:
            for key, rc in (("correct", None), ("correct_rescue", resc)):
                row[key][str(g)] = float(np.mean([score(raw["off"], accept(raw["reason"], raw["snr"], raw["peak"],
                                                                           raw["off"], t, 0.0, median, rc),
                                                        raw["comparable"], sh)["correct"]
                                                  for raw, sh in sweep_raw[g]]))
        row["fa"] = false_alarm(n1, "snr", t, median)
        row["fa_rescue"] = false_alarm(n1, "snr", t, median, None, resc)
        if 0.7 in patch_raw:
            raw, _ = patch_raw[0.7]
            for key, rc in (("fa_patch", None), ("fa_patch_rescue", resc)):
                kept = accept(raw["reason"], raw["snr"], raw["peak"], raw["off"], t, 0.0, median, rc)
                row[key] = float(kept[raw["patch"]].mean())
        sweep.append(row)
        print(f"  {t:>8g} " + " ".join(f"{row['correct'][str(g)]:>6.3f}/{row['correct_rescue'][str(g)]:<6.3f}"
                                       for g in args.coherences)
              + f" {row['fa']:>6.3f}/{row['fa_rescue']:<6.3f}"
              + (f" {row['fa_patch']:>6.3f}/{row['fa_patch_rescue']:<6.3f}" if "fa_patch" in row else ""))
    cvc = [float(np.mean([next(x for x in r["rows"] if x["method"] == "OpenCV off-border")["correct"]
                          for r in results if r["coherence"] == g and r["case"].startswith("Terceira shift")
                          and "unrelated" not in r["case"]])) for g in args.coherences]
    print(f"  {'OpenCV':>8} " + " ".join(f"{v:>13.3f}" for v in cvc)
          + f" {false_alarm(n1, 'cv_peak', -1.0, median):>13.3f}   (off-border, no NCC threshold)")
    print(f"\n{time.perf_counter() - t0:.0f} s on {jax.default_backend()} ({os.cpu_count()} cores)")
    if args.json:
        out = dict(args=vars(args), device=str(jax.devices()[0]), false_alarm_rate=fa,
                   thresholds=dict(gfjax_snr=th_snr, gfjax_snr_land=th_snr_land, opencv_peak=th_peak,
                                   opencv_gap=th_gap, amsterdam_gfjax_snr=a_th, amsterdam_opencv_peak=a_peak),
                   library_default=dict(min_snr=d.min_snr, min_peak=d.min_peak, rescue=rescue),
                   cases=results, sweep=sweep)
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, default=float)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
