"""Offset-tracking benchmark: gfjax.track_offsets vs OpenCV matchTemplate (autoRIFT's core) vs
skimage phase_cross_correlation, on one simulated speckle pair with a known sub-pixel shift.
gfjax runs in its default (accurate, ×2-oversampled) mode and with ``method="fast"``
(amplitude at the original sampling, coarse-to-fine, peak-shape fit; see
gfjax/offsets/kernels_fast.py).

    python benchmarks/offsets.py                       # 2048², 64×64 windows, step (8, 32)
    python benchmarks/offsets.py --size 8192 --batch 65536 --memory-mb 40000 --skip-peers  # GPU
    python benchmarks/offsets.py --json out.json

Prints a table (windows/s, RMS error vs truth, ratios to gfjax and to OpenCV on the plain
amplitude) and writes JSON. Peers run per window from Python, as autoRIFT does; slow peers run
on an evenly spread subset of the windows and their windows/s is extrapolated from it (the table
says so). gfjax and OpenCV on the plain amplitude are timed ``--repeat`` times each (the fast
mode and OpenCV in turns), best reported, by wall clock and by CPU time of the process (the
machine may be shared; JAX's CPU backend may run parts of a program on a second core). Errors: RMS over the
windows each method accepts, of (estimate − truth), px; the Cramér–Rao ratio uses the
incoherent (amplitude) bound with N = window pixels and OSF = 1/bandwidth (science.md §3).
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def parabolic(m: float, c: float, p: float) -> float:
    den = m - 2.0 * c + p
    return 0.5 * (m - p) / den if den < 0 else 0.0


def grid(size: int, window, step, search):
    ta = np.arange(search[0], size - window[0] - search[0] + 1, step[0])
    tr = np.arange(search[1], size - window[1] - search[1] + 1, step[1])
    return ta, tr


def run_opencv(ref_amp, sec_amp, ta, tr, window, search, scale, max_windows):
    """matchTemplate(TM_CCOEFF_NORMED) + parabolic sub-pixel per window (autoRIFT's core).
    ``scale``: image px per original px (2 for oversampled amplitude). Returns the estimates,
    wall and CPU seconds, windows timed, windows in the grid."""
    import cv2
    cells = [(a, r) for a in ta for r in tr]
    pick = np.linspace(0, len(cells) - 1, min(max_windows, len(cells))).astype(int)
    h, w = window[0] * scale, window[1] * scale
    sa, sr = search[0] * scale, search[1] * scale
    est = np.full((pick.size, 2), np.nan)
    c0, t0 = time.process_time(), time.perf_counter()
    for k, i in enumerate(pick):
        a, r = cells[i][0] * scale, cells[i][1] * scale
        res = cv2.matchTemplate(sec_amp[a - sa:a + h + sa, r - sr:r + w + sr],
                                ref_amp[a:a + h, r:r + w], cv2.TM_CCOEFF_NORMED)
        _, _, _, (x, y) = cv2.minMaxLoc(res)
        if 0 < y < res.shape[0] - 1 and 0 < x < res.shape[1] - 1:
            dy = y + parabolic(res[y - 1, x], res[y, x], res[y + 1, x]) - sa
            dx = x + parabolic(res[y, x - 1], res[y, x], res[y, x + 1]) - sr
            est[k] = (dy / scale, dx / scale)
    return est, time.perf_counter() - t0, time.process_time() - c0, pick.size, len(cells)


def timed(fn):
    """(fn(), wall seconds, CPU seconds of this process)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def run_skimage(ref_amp, sec_amp, ta, tr, window, max_windows):
    from skimage.registration import phase_cross_correlation
    cells = [(a, r) for a in ta for r in tr]
    pick = np.linspace(0, len(cells) - 1, min(max_windows, len(cells))).astype(int)
    h, w = window
    est = np.full((pick.size, 2), np.nan)
    a, r = cells[pick[0]]
    phase_cross_correlation(ref_amp[a:a + h, r:r + w], sec_amp[a:a + h, r:r + w], upsample_factor=64,
                            normalization=None)                  # warm-up, not timed
    t0 = time.perf_counter()
    for k, i in enumerate(pick):
        a, r = cells[i]
        shift, _, _ = phase_cross_correlation(ref_amp[a:a + h, r:r + w], sec_amp[a:a + h, r:r + w],
                                              upsample_factor=64, normalization=None)
        est[k] = -shift          # skimage returns the shift that registers moving onto reference
    return est, time.perf_counter() - t0, pick.size, len(cells)


def rms(est: np.ndarray, truth) -> tuple[float, float, float, float]:
    err = est - np.asarray(truth)[None]
    ok = np.all(np.isfinite(err), axis=1)
    e = err[ok]
    return (float(np.sqrt(np.mean(e[:, 0] ** 2))), float(np.sqrt(np.mean(e[:, 1] ** 2))),
            float(np.sqrt(np.mean(e ** 2))), float(ok.mean()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=2048, help="image size (square), px")
    ap.add_argument("--window", type=int, nargs=2, default=[64, 64])
    ap.add_argument("--step", type=int, nargs=2, default=[8, 32])
    ap.add_argument("--search", type=int, nargs=2, default=[8, 8])
    ap.add_argument("--shift", type=float, nargs=2, default=[0.37, -1.23], help="true offset (az, rg), px")
    ap.add_argument("--coherence", type=float, default=0.8)
    ap.add_argument("--bandwidth", type=float, default=0.85)
    ap.add_argument("--weighting", default="gaussian", choices=["gaussian", "uniform"])
    ap.add_argument("--oversample", type=int, default=2, choices=[1, 2])
    ap.add_argument("--batch", type=int, default=None, help="windows per device call (default: from --memory-mb)")
    ap.add_argument("--memory-mb", type=float, default=1024.0)
    ap.add_argument("--repeat", type=int, default=3,
                    help="timed runs of gfjax and of OpenCV on the plain amplitude (best is reported)")
    ap.add_argument("--opencv-windows", type=int, default=100000, help="max windows for OpenCV (subset if fewer)")
    ap.add_argument("--opencv-os2-windows", type=int, default=3000)
    ap.add_argument("--skimage-windows", type=int, default=300)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-single-stage", action="store_true",
                    help="don't time gfjax with two_stage=False (the ×2 single-stage kernel) too")
    ap.add_argument("--skip-fast", action="store_true", help="don't time gfjax with method='fast'")
    ap.add_argument("--json", default=None, help="write results here")
    args = ap.parse_args()

    import jax
    from gfjax.offsets import track_offsets
    from gfjax.sim.speckle import speckle_pair

    t0 = time.perf_counter()
    ref, sec = speckle_pair(7, (args.size, args.size), tuple(args.shift), coherence=args.coherence,
                            bandwidth=(args.bandwidth, args.bandwidth))
    t_sim = time.perf_counter() - t0
    opts = dict(window=args.window, step=args.step, search=args.search, weighting=args.weighting,
                oversample=args.oversample, batch_size=args.batch, memory_budget_mb=args.memory_mb)
    def errors(d):
        return dict(zip(("rms_az", "rms_rg", "rms", "accepted"),
                        rms(np.stack([d.azimuth_offset.values.ravel(), d.range_offset.values.ravel()], 1), args.shift)))

    def gfjax_row(name, **kw):
        """First call (compile) then best of --repeat timed calls of track_offsets."""
        _, t_first, _ = timed(lambda: track_offsets(ref, sec, **opts, **kw))
        runs = [timed(lambda: track_offsets(ref, sec, **opts, **kw)) for _ in range(args.repeat)]
        d = runs[-1][0]
        n = int(d.azimuth_offset.size)
        wall, cpu = min(r[1] for r in runs), min(r[2] for r in runs)
        return dict(method=name, windows=n, timed=n, seconds=wall, cpu_seconds=cpu, windows_per_s=n / wall,
                    windows_per_cpu_s=n / cpu, extrapolated=False, first_call_s=t_first, **errors(d))

    rows = [gfjax_row(f"gfjax ×{args.oversample} ({args.weighting}, {jax.default_backend()}×{jax.local_device_count()})")]
    t_first = rows[0]["first_call_s"]
    n_win = rows[0]["windows"]
    g, n_pix, osf = args.coherence, args.window[0] * args.window[1], 1.0 / args.bandwidth
    crb = np.sqrt(3 / (10 * n_pix)) * np.sqrt(2 + 5 * g ** 2 - 7 * g ** 4) / (np.pi * g ** 2) * osf ** 1.5
    if args.oversample == 2 and not args.skip_single_stage:
        rows.append(gfjax_row("gfjax ×2 single stage (two_stage=False)", two_stage=False))
    if not args.skip_peers:
        ta, tr = grid(args.size, args.window, args.step, args.search)
        amp_r, amp_s = np.abs(ref).astype(np.float32), np.abs(sec).astype(np.float32)
    if not args.skip_fast:
        # the fast mode and OpenCV on the plain amplitude are timed in turns (the machine may be
        # shared: both see the same load), best of --repeat each
        _, t_fast_first, _ = timed(lambda: track_offsets(ref, sec, method="fast", **opts))
        fast_runs, cv_runs = [], []
        for _ in range(args.repeat):
            fast_runs.append(timed(lambda: track_offsets(ref, sec, method="fast", **opts)))
            if not args.skip_peers:
                cv_runs.append(run_opencv(amp_r, amp_s, ta, tr, args.window, args.search, 1, args.opencv_windows))
        d = fast_runs[-1][0]
        wall, cpu = min(r[1] for r in fast_runs), min(r[2] for r in fast_runs)
        rows.append(dict(method="gfjax fast (method='fast': amplitude ×1, coarse-to-fine, sinc² fit)",
                         windows=n_win, timed=n_win, seconds=wall, cpu_seconds=cpu, windows_per_s=n_win / wall,
                         windows_per_cpu_s=n_win / cpu, extrapolated=False, first_call_s=t_fast_first, **errors(d)))
    elif not args.skip_peers:
        cv_runs = [run_opencv(amp_r, amp_s, ta, tr, args.window, args.search, 1, args.opencv_windows)
                   for _ in range(args.repeat)]
    if not args.skip_peers:
        e, _, _, k, n = cv_runs[-1]
        wall, cpu = min(r[1] for r in cv_runs), min(r[2] for r in cv_runs)
        rows.append(dict(method="OpenCV TM_CCOEFF_NORMED + parabola (amplitude, autoRIFT core)", windows=n, timed=k,
                         seconds=wall, cpu_seconds=cpu, windows_per_s=k / wall, windows_per_cpu_s=k / cpu,
                         extrapolated=k < n, **dict(zip(("rms_az", "rms_rg", "rms", "accepted"), rms(e, args.shift)))))
        import scipy.fft
        (up, t_up, c_up) = timed(lambda: [np.abs(scipy.fft.ifft2(np.fft.ifftshift(np.pad(np.fft.fftshift(
            scipy.fft.fft2(x, workers=os.cpu_count())), args.size // 2)), workers=os.cpu_count()) * 4).astype(np.float32)
            for x in (ref, sec)])
        e, t, c, k, n = run_opencv(up[0], up[1], ta, tr, args.window, args.search, 2, args.opencv_os2_windows)
        rows.append(dict(method="OpenCV on ×2-oversampled amplitude (+ image FFT time)", windows=n, timed=k,
                         seconds=t * n / k + t_up, cpu_seconds=c * n / k + c_up,
                         windows_per_s=n / (t * n / k + t_up), windows_per_cpu_s=n / (c * n / k + c_up),
                         extrapolated=k < n, **dict(zip(("rms_az", "rms_rg", "rms", "accepted"), rms(e, args.shift)))))
        (est, t, k, n), _, c = timed(lambda: run_skimage(amp_r, amp_s, ta, tr, args.window, args.skimage_windows))
        rows.append(dict(method="skimage phase_cross_correlation (upsample 64, amplitude)", windows=n, timed=k,
                         seconds=t, cpu_seconds=c, windows_per_s=k / t, windows_per_cpu_s=k / c, extrapolated=k < n,
                         **dict(zip(("rms_az", "rms_rg", "rms", "accepted"), rms(est, args.shift)))))
    base = rows[0]
    cv = next((r for r in rows if r["method"].startswith("OpenCV TM_CCOEFF")), None)
    print(f"\nOffset tracking, {args.size}² speckle pair, γ={g}, window {args.window}, step {args.step}, "
          f"search ±{args.search}, true shift {args.shift} px; simulation {t_sim:.1f} s; "
          f"gfjax first call (compile) {t_first:.1f} s")
    print(f"{'method':<70} {'windows':>8} {'timed':>7} {'win/s':>8} {'win/CPU-s':>9} {'RMS az':>7} {'RMS rg':>7} "
          f"{'RMS':>7} {'acc.':>5} {'speed÷gfjax':>11} {'RMS÷gfjax':>9} {'speed÷OpenCV':>12} {'CPU-speed÷OpenCV':>16} "
          f"{'RMS÷OpenCV':>10}")
    for r in rows:
        r["speed_ratio_to_gfjax"] = r["windows_per_s"] / base["windows_per_s"]
        r["rms_ratio_to_gfjax"] = r["rms"] / base["rms"]
        if cv is not None:
            r["speed_ratio_to_opencv"] = r["windows_per_s"] / cv["windows_per_s"]
            r["cpu_speed_ratio_to_opencv"] = r["windows_per_cpu_s"] / cv["windows_per_cpu_s"]
            r["rms_ratio_to_opencv"] = r["rms"] / cv["rms"]
        print(f"{r['method']:<70} {r['windows']:>8} {r['timed']:>7}{'*' if r['extrapolated'] else ' '}"
              f"{r['windows_per_s']:>8.0f} {r['windows_per_cpu_s']:>9.0f} {r['rms_az']:>7.4f} {r['rms_rg']:>7.4f} "
              f"{r['rms']:>7.4f} {r['accepted']:>5.2f} {r['speed_ratio_to_gfjax']:>11.2f} {r['rms_ratio_to_gfjax']:>9.2f}"
              + (f" {r['speed_ratio_to_opencv']:>12.2f} {r['cpu_speed_ratio_to_opencv']:>16.2f}"
                 f" {r['rms_ratio_to_opencv']:>10.2f}" if cv is not None else ""))
    print("* timed on an evenly spread subset of the windows; windows/s extrapolated to all")
    # headline ratios against BOTH OpenCV baselines: on the plain amplitude OpenCV + parabola locks
    # to whole pixels (~0.2 px), so its error ratio flatters; on the ×2-oversampled amplitude it
    # sees the same sampling as gfjax's accurate mode and its error is comparable to the fast mode's
    cv2 = next((r for r in rows if r["method"].startswith("OpenCV on ×2")), None)
    for r in rows:
        if not r["method"].startswith("gfjax"):
            continue
        for label, b in (("OpenCV + parabola on the plain amplitude", cv),
                         ("OpenCV + parabola on the ×2-oversampled amplitude", cv2)):
            if b is None:
                continue
            key = "plain" if b is cv else "x2"
            r[f"speed_ratio_to_opencv_{key}"] = r["windows_per_s"] / b["windows_per_s"]
            r[f"rms_ratio_to_opencv_{key}"] = r["rms"] / b["rms"]
            r[f"accepted_ratio_to_opencv_{key}"] = r["accepted"] / b["accepted"] if b["accepted"] else None
            print(f"{r['method'][:40]:<40} vs {label}: speed {r[f'speed_ratio_to_opencv_{key}']:.2f}x "
                  f"(wall), RMS error {r[f'rms_ratio_to_opencv_{key}']:.2f}x, windows kept "
                  f"{r['accepted']:.2f} vs {b['accepted']:.2f}")
    print(f"win/s: wall clock; win/CPU-s: per CPU second of this process (all its threads; the machine has "
          f"{os.cpu_count()} cores; OpenCV's matchTemplate runs on one, JAX's CPU backend may split large "
          f"loops over two)")
    print(f"gfjax RMS per axis / incoherent Cramér–Rao bound (N={n_pix}, OSF={osf:.3f}, σ={crb:.4f} px): "
          f"az {base['rms_az'] / crb:.2f}, rg {base['rms_rg'] / crb:.2f}; "
          f"with OSF=1 (σ={crb / osf ** 1.5:.4f}): az {base['rms_az'] * osf ** 1.5 / crb:.2f}, "
          f"rg {base['rms_rg'] * osf ** 1.5 / crb:.2f}")
    if args.json:
        out = dict(args=vars(args), device=str(jax.devices()[0]), n_devices=jax.local_device_count(),
                   cpu_count=os.cpu_count(), crb_px=float(crb), crb_ratio_az=base["rms_az"] / crb,
                   crb_ratio_rg=base["rms_rg"] / crb, rows=rows)
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
