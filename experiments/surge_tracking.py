"""Where the tracker loses the surge (issue 12): re-track a synthetic run's pairs with no acceptance
test, from the search centres the pipeline gave them, and compare every window with the truth.

    python -m gfjax.run +experiment=muldrow scene.start=2020-06-01 output.keep_intermediates=true name=s21
    python experiments/surge_tracking.py outputs/s21 --year 2021 --every 3

The run must keep its per-pair offsets (``output.keep_intermediates=true``): they give each pair its
prior, as in the offsets stage (``previous_pair_prior``). Prints, per speed class of the true motion
(< 1, 1–5, > 5 m/day, on ice): the fraction of windows whose best peak is right (within 1 px of the
true offset), by SNR band, with the distance of right and false peaks from the prior; how far the
priors are from the truth; and the false peaks that lock near zero with the ice fraction of their
footprints (windows straddling the glacier outline).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from scipy.ndimage import map_coordinates, uniform_filter

from gfjax.config.schema import GfjaxConfig, to_settings
from gfjax.offsets import track_offsets
from gfjax.pipeline.stages.offsets import (pair_file, pair_segments, previous_pair_prior, tracking_mask,
                                          window_centres, window_labels)
from gfjax.pipeline.stages.offsets_geometry import reference_lookup
from gfjax.sim import build_scene

CLASSES = (("slow < 1 m/d", 0.0, 1.0), ("mid 1-5 m/d", 1.0, 5.0), ("fast > 5 m/d", 5.0, np.inf))
SNR_BANDS = (0, 4, 8, 12, 16, 25, np.inf)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="run directory of a synthetic run with output.keep_intermediates=true")
    ap.add_argument("--year", type=int, default=2021, help="pairs whose mid-time falls in this year")
    ap.add_argument("--every", type=int, default=1, help="every n-th of those pairs")
    a = ap.parse_args(argv)
    cfg = OmegaConf.merge(OmegaConf.structured(GfjaxConfig), OmegaConf.load(a.run / "config_resolved.yaml"))
    settings = to_settings(cfg)
    scene = build_scene(settings.scene)
    folder = next((a.run / "work").glob("offsets-*"))
    opts = settings.offsets
    raw = dict(min_snr=0.0, median_filter_size=0)               # no acceptance test: every window's best peak
    rows: dict[str, list] = {}
    masks: dict = {}
    pairs = [(t, k) for t, trk in scene.tracks.items() for k in range(len(trk.pairs))
             if int(np.floor(0.5 * sum(scene.pair_times(t, k)))) == a.year and pair_file(folder, t, k).is_file()]
    for track, k in pairs[::max(a.every, 1)]:
        ref, sec = scene.slc_pair(track, k)
        own = reference_lookup(scene, track, k)
        seg = pair_segments(scene, track, k, ref.shape, masks, own) if opts.segment_by_mask else None
        prior = previous_pair_prior(scene, folder, track, k, opts.prior_depth,
                                    opts.min_snr if opts.prior_min_snr is None else opts.prior_min_snr,
                                    None if seg is None else window_labels(seg, opts), window_centres(ref.shape, opts))
        if prior is None:
            continue
        inside = tracking_mask(scene, track, ref.shape, opts)
        pa, pr = (np.where(inside, p, np.nan) for p in prior)
        ds = track_offsets(ref, sec, options=opts, prior_azimuth=pa, prior_range=pr, segments=seg, **raw)
        AZ, RG = np.meshgrid(ds["azimuth"].values, ds["range"].values, indexing="ij")
        taz, trg = (np.asarray(x) for x in scene.true_radar_offsets(track, k, AZ, RG))
        speed, ice = (np.asarray(x) for x in scene.true_radar_speed(track, k, AZ, RG))
        lab = seg if seg is not None else pair_segments(scene, track, k, ref.shape, masks, own)
        ice_fraction = map_coordinates(uniform_filter(lab.astype(np.float32), size=tuple(opts.window)), [AZ, RG], order=1)
        for key, v in (("az", ds.azimuth_offset.values), ("rg", ds.range_offset.values), ("snr", ds.snr.values),
                       ("taz", taz), ("trg", trg), ("speed", speed), ("ice", ice & np.isfinite(pa)), ("pa", pa),
                       ("pr", pr), ("ice_fraction", ice_fraction)):
            rows.setdefault(key, []).append(np.asarray(v, np.float64).ravel() if key != "ice" else v.ravel())
        print(f"tracked {track}/{k}", flush=True)
    if not rows:
        raise SystemExit(f"no tracked pair of {a.year} with a prior in {folder}")
    d = {k: np.concatenate(v) for k, v in rows.items()}
    found = np.isfinite(d["az"])
    right = found & (np.abs(d["az"] - d["taz"]) <= 1) & (np.abs(d["rg"] - d["trg"]) <= 1)
    from_prior = np.maximum(np.abs(d["az"] - d["pa"]), np.abs(d["rg"] - d["pr"]))
    prior_error = np.maximum(np.abs(d["taz"] - d["pa"]), np.abs(d["trg"] - d["pr"]))
    zero_lock = found & ~right & (np.abs(d["az"]) < 0.7) & (np.abs(d["rg"]) < 0.7)
    for name, lo, hi in CLASSES:
        sel = d["ice"].astype(bool) & (d["speed"] >= lo) & (d["speed"] < hi)
        if not sel.any():
            continue
        e = prior_error[sel]
        print(f"\n{name}: {sel.sum()} windows, best peak right {right[sel].mean():.3f}; |truth - prior| px "
              f"median {np.median(e):.2f}, > 6 px {np.mean(e > 6):.3f}")
        for lo_s, hi_s in zip(SNR_BANDS[:-1], SNR_BANDS[1:]):
            s = sel & found & (d["snr"] >= lo_s) & (d["snr"] < hi_s)
            if s.any():
                r, w = s & right, s & ~right
                med = lambda m: f"{np.median(from_prior[m]):.2f}" if m.any() else "-"  # noqa: E731
                print(f"  SNR {lo_s:>3}-{hi_s:<4}: {s.sum():6d} windows, right {r.sum() / s.sum():.2f}; distance "
                      f"from the prior: right {med(r)}, false {med(w)} px")
        z = sel & zero_lock
        ok = sel & right
        if z.any():
            print(f"  false peaks within 0.7 px of zero: {z.sum()} ({z.sum() / max((sel & found & ~right).sum(), 1):.2f} "
                  f"of the false); ice fraction of their footprint median {np.median(d['ice_fraction'][z]):.2f} "
                  f"(right peaks: {np.median(d['ice_fraction'][ok]) if ok.any() else float('nan'):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
