"""Write a small stack folder from the simulator, to run the chain on "your own data":

    python experiments/make_stack.py /tmp/muldrow_stack
    python -m gfjax.run +experiment=stack data.path=/tmp/muldrow_stack

The stack (layout: gfjax/io/stack.py, README "Your own data") holds grid.yaml, dem.tif,
ice_mask.tif, flowline.geojson and, for T065 and T131, track.yaml, lut.tif and GAMMA SLCs
(big-endian FCOMPLEX + ISP .par). ``--images pairs`` (default) writes each pair's two SLCs into
``<track>/pairs/<ref>_<sec>/`` (the simulator speckles every pair independently, so consecutive
single-date images would not be coherent); the stack run then reproduces
``+experiment=muldrow`` on the same scene exactly. The default scene is small: a 10 × 8 km box
over the middle of Muldrow Glacier, x4 radar pixels, 200 m map grid, June–August 2017, every
2nd acquisition (3 dates, 2 pairs per track); about 40 MB.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

SMALL = dict(bbox=[612000.0, 7008000.0, 622000.0, 7016000.0], pixel_scale=4.0, grid_spacing_m=200.0,
             start="2017-06-01", end="2017-08-15", date_step=2)


def main(argv=None) -> None:
    from gfjax.io.stack_write import IMAGES, write_stack
    from gfjax.sim import SceneSpec, build_scene

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="stack folder to write")
    ap.add_argument("--bbox", type=float, nargs=4, default=SMALL["bbox"], metavar=("XMIN", "YMIN", "XMAX", "YMAX"),
                    help="map extent, m, EPSG:32605")
    ap.add_argument("--pixel-scale", type=float, default=SMALL["pixel_scale"])
    ap.add_argument("--grid-spacing-m", type=float, default=SMALL["grid_spacing_m"])
    ap.add_argument("--start", default=SMALL["start"])
    ap.add_argument("--end", default=SMALL["end"])
    ap.add_argument("--date-step", type=int, default=SMALL["date_step"])
    ap.add_argument("--tracks", nargs="+", default=["T065", "T131"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--images", choices=IMAGES, default="pairs")
    ap.add_argument("--image-format", choices=["FCOMPLEX", "SCOMPLEX"], default="FCOMPLEX")
    args = ap.parse_args(argv)

    spec = SceneSpec(bbox=list(args.bbox), pixel_scale=args.pixel_scale, grid_spacing_m=args.grid_spacing_m,
                     start=args.start, end=args.end, date_step=args.date_step, tracks=list(args.tracks),
                     seed=args.seed)
    t0 = time.perf_counter()
    root = write_stack(build_scene(spec), args.out, images=args.images, image_format=args.image_format)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2 ** 20
    print(f"wrote {root} ({size:.1f} MB) in {time.perf_counter() - t0:.1f} s; run the chain on it with\n"
          f"  python -m gfjax.run +experiment=stack data.path={root.resolve()}")


if __name__ == "__main__":
    main()
