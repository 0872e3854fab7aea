"""Benchmark: gfjax banded MSBAS inversion vs the dense per-pixel MSBAS algorithm (SVD lstsq).

Two tracks (asc φ 341°, desc φ 199°, θ 39°) × (range, azimuth) = 4 sets, 12-day consecutive pairs
(+ every 5th a 24-day pair), noise 0.05 m. The oracle is what MSBAS v10 does per pixel: build the
dense system (valid data rows, SPF rows, Tikhonov rows), numpy lstsq (LAPACK gelsd, rcond 1e-5)
and matrix_rank of the data rows; it is timed on ``--oracle-pixels`` pixels and its pixels/s
compared with gfjax's on the same CPU. gfjax's rate is measured on all blocks but the first
(which carries the compilation, reported separately), at two sizes to show linear cost; memory
is bounded by the block size.

    python benchmarks/msbas.py                       # 10,000 + 5,000 px, 100 epochs/track, 3D+4D
    python benchmarks/msbas.py --json out.json
    python benchmarks/msbas.py --pixels 240000 --epochs 300 --dim 4 --oracle-pixels 20 \
        --memory-budget-mb 40000                                                       # H100
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import numpy as np


def dense_oracle(prep, lam: float, n_pixels: int, rcond: float = 1e-5) -> tuple[float, np.ndarray]:
    """Seconds per pixel of the dense MSBAS algorithm and its velocities (n_pixels, N, D)."""
    st, net = prep.st, prep.net
    n, dim = st.n_intervals, st.dim
    T = st.time
    reg = []
    if lam > 0:
        nn = n * dim
        if st.order == 0:
            reg = list(lam * np.eye(nn))
        else:
            sten = [-1.0, 1.0] if st.order == 1 else [1.0, -2.0, 1.0]
            for i in range(nn - st.order * dim):
                r = np.zeros(nn)
                for q, c in enumerate(sten):
                    r[i + q * dim] = lam * c
                reg.append(r)
    out = []
    t0 = time.perf_counter()
    for p in range(n_pixels):
        w = prep.weight[p] > 0
        coef = prep.proj[p][net.set_index[w]]                       # (Mv, D)
        A = (T[w][:, :, None] * coef[:, None, :]).reshape(int(w.sum()), n * dim)
        rows = [A]
        if dim == 4:
            C = np.zeros((n, n * dim))
            g = prep.grad[p]
            for k in range(n):
                C[k, 4 * k:4 * k + 3] = (g[0], g[1], -1.0)
            rows.append(C)
        if reg:
            rows.append(np.array(reg))
        full = np.vstack(rows)
        rhs = np.concatenate([prep.disp[p][w], np.zeros(full.shape[0] - A.shape[0])])
        x = np.linalg.lstsq(full, rhs, rcond=rcond)[0]
        np.linalg.matrix_rank(A, rtol=rcond)
        out.append(x.reshape(n, dim))
    return (time.perf_counter() - t0) / n_pixels, np.array(out)


def scene(n_pixels: int, epochs: int, dim: int, seed: int = 0):
    from gfjax.msbas.api import prepare
    from gfjax.msbas.network import build_network
    from gfjax.msbas.synthetic import maps_from_velocity, two_track_network, velocity_truth

    ny = int(np.sqrt(n_pixels)) or 1
    nx = -(-n_pixels // ny)
    net = two_track_network(epochs)
    nw = build_network(net.t_master, net.t_slave, net.set_index, 4, common_window=True)
    v = velocity_truth(nw.epochs, ny, nx, dim, seed)
    rng = np.random.default_rng(seed)
    grad = rng.normal(0, 0.1, (2, ny, nx))
    if dim == 4:
        v[:, 2] = grad[0] * v[:, 0] + grad[1] * v[:, 1]
    maps, _ = maps_from_velocity(net, v, dim, noise_m=0.05, seed=seed)
    maps[rng.uniform(size=maps.shape) < 0.05] = np.nan          # 5 % holes
    return prepare(maps, net.set_index, net.t_master, net.t_slave, net.set_vectors,
                   grad if dim == 4 else None, dim=dim, order=1, lam=0.1)


def run_gfjax(prep, lam: float, block: int) -> tuple[float, float, dict]:
    """(steady-state seconds for all pixels, first-block seconds incl. compilation, outputs).

    The first block carries the compilation; the steady-state rate is measured on the other
    blocks and scaled to all pixels (blocks are independent, identical work).
    """
    from functools import partial

    from gfjax.msbas.api import map_pixels
    from gfjax.msbas.pixel import invert_pixel

    fn = partial(invert_pixel, prep.st, prep.net.epochs)
    timings: list = []
    out = map_pixels(prep, lambda d, w, p, g, l: fn(d, w, p, g, l), lam, block=block,
                     timings=timings)
    if len(timings) < 2:
        raise SystemExit("benchmark needs at least 2 blocks (pixels > block)")
    px = sum(p for p, _ in timings[1:])
    sec = sum(s for _, s in timings[1:])
    return sec * prep.disp.shape[0] / px, timings[0][1], out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pixels", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=100, help="epochs per track")
    ap.add_argument("--dim", type=int, nargs="*", default=[3, 4])
    ap.add_argument("--oracle-pixels", type=int, default=100)
    ap.add_argument("--block", type=int, default=None,
                    help="pixels per block (default: from --memory-budget-mb)")
    ap.add_argument("--memory-budget-mb", type=float, default=1024.0,
                    help="working memory of one block (GPU: e.g. 40000)")
    ap.add_argument("--json", default=None, help="write results to this JSON file")
    args = ap.parse_args(argv)
    import jax

    rows = []
    lam = 0.1
    for dim in args.dim:
        sizes = [args.pixels // 2, args.pixels]
        for n_pix in sizes:
            prep = scene(n_pix, args.epochs, dim)
            print(f"# dim {dim}: {n_pix} px, {prep.net.n_maps} maps, {prep.st.n_intervals} "
                  f"intervals", flush=True)
            from gfjax.msbas.api import block_size

            block = args.block or block_size(prep.st, args.memory_budget_mb, jax.device_count())
            sec, comp, out = run_gfjax(prep, lam, min(block, n_pix // 2))
            print(f"#   gfjax {sec:.2f} s (first block incl. compilation {comp:.1f} s)", flush=True)
            row = dict(dim=dim, pixels=n_pix, epochs_per_track=args.epochs,
                       maps=prep.net.n_maps, intervals=prep.st.n_intervals,
                       band_blocks=prep.st.band, gfjax_s=sec, gfjax_first_block_s=comp,
                       gfjax_px_per_s=n_pix / sec)
            if n_pix == sizes[-1] and args.oracle_pixels > 0:
                per_px, x_ref = dense_oracle(prep, lam, args.oracle_pixels)
                print(f"#   oracle {per_px:.3f} s/px", flush=True)
                got = out["velocity"][:args.oracle_pixels]
                row.update(oracle_px_per_s=1.0 / per_px, speedup=per_px * n_pix / sec,
                           oracle_pixels=args.oracle_pixels,
                           max_rel_diff=float(np.max(np.linalg.norm(got - x_ref, axis=(1, 2))
                                                     / np.linalg.norm(x_ref, axis=(1, 2)))))
            rows.append(row)
    result = dict(rows=rows, device=str(jax.devices()[0]), n_devices=jax.device_count(),
                  cpu=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                  max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"{'dim':>3} {'pixels':>7} {'maps':>5} {'intvl':>5} {'B':>2} {'gfjax s':>8} "
          f"{'1st blk s':>9} {'gfjax px/s':>10} {'oracle px/s':>11} {'speedup':>8} {'max rel':>8}")
    for r in rows:
        print(f"{r['dim']:>3} {r['pixels']:>7} {r['maps']:>5} {r['intervals']:>5} "
              f"{r['band_blocks']:>2} {r['gfjax_s']:>8.2f} {r['gfjax_first_block_s']:>9.1f} "
              f"{r['gfjax_px_per_s']:>10.0f} "
              f"{r.get('oracle_px_per_s', float('nan')):>11.2f} {r.get('speedup', float('nan')):>8.0f} "
              f"{r.get('max_rel_diff', float('nan')):>8.1e}")
    print(f"device {result['device']} x{result['n_devices']}, max RSS {result['max_rss_mb']:.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
