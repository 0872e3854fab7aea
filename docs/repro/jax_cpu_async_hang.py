"""Reproduction: jaxlib 0.10.2's asynchronous CPU dispatch can hang an MSBAS run for good.

    python docs/repro/jax_cpu_async_hang.py --dispatch async --repeat 60           # golden case loop
    python docs/repro/jax_cpu_async_hang.py --dispatch async --block 1187 --repeat 8
    python docs/repro/jax_cpu_async_hang.py --dispatch sync ...                      # what gfjax uses

Workload ``--case`` (default): ``python -m gfjax.msbas`` on the golden case
``tests/data/msbas_v10/3d_slopes_range`` again and again in one process — where the test suite
and CI hung on 2026-12-07. Workload ``--block N``: one 4D inversion (89 intervals, two tracks ×
range/azimuth, N pixels in ONE block) per repeat, the case an earlier session saw hang at 1,187
pixels (hence the old 256-pixel CPU block cap). A watchdog prints ``HANG`` and exits 3 when one
repeat takes more than ``--watchdog`` s; exit 0 means no hang in this many repeats.

Measured on the 2-core machine, load ~5, async dispatch: the case loop hung at the 7th of 30
runs once and ran 30 and 60 runs clean twice; the 1,187-pixel block ran 8 repeats clean. The hang
is rare and load-dependent, so no test can force it; the stacks (docs/architecture.md) show why
synchronous dispatch removes it: the executable no longer runs on a worker of the pool it waits on.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dispatch", choices=("async", "sync"), default="sync")
    ap.add_argument("--block", type=int, default=None, help="pixels of the one-block 4D workload")
    ap.add_argument("--case", default="3d_slopes_range", help="golden case of the CLI workload")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--watchdog", type=float, default=300.0)
    args = ap.parse_args(argv)

    import numpy as np

    import gfjax  # noqa: F401  (sets synchronous dispatch)
    import jax

    jax.config.update("jax_cpu_enable_async_dispatch", args.dispatch == "async")
    last = [time.time()]

    def watchdog():
        while True:
            time.sleep(1)
            if time.time() - last[0] > args.watchdog:
                print(f"HANG: a repeat ran > {args.watchdog:g} s ({args.dispatch} dispatch)", flush=True)
                os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()
    if args.block is None:
        import tempfile
        from pathlib import Path

        from gfjax.msbas.cli import run

        header = Path(__file__).resolve().parents[2] / "tests" / "data" / "msbas_v10" / args.case / "header.txt"
        for i in range(args.repeat):
            last[0] = t0 = time.time()
            with tempfile.TemporaryDirectory() as out:
                run(header, Path(out))
            print(f"repeat {i}: {args.case} in {time.time() - t0:.1f} s", flush=True)
        return 0

    from gfjax.msbas import api, invert_maps
    from gfjax.msbas.synthetic import two_track_network

    # without this the CPU block cap of api.map_pixels cuts the block to 128 (earlier 256) pixels:
    # it did in the "1,187-pixel" runs quoted above, which therefore never ran one big block
    api.CPU_MAX_BLOCK_PER_DEVICE = max(api.CPU_MAX_BLOCK_PER_DEVICE, args.block)

    net = two_track_network(46, azimuth=True)              # ~90 intervals over both tracks
    rng = np.random.default_rng(0)
    n = args.block
    maps = rng.normal(0, 0.01, (len(net.t_master), 1, n)).astype(np.float32)
    vec = np.broadcast_to(net.set_vectors[:, :, None, None], net.set_vectors.shape + (1, n))
    grad = rng.normal(0, 0.1, (2, 1, n))
    for i in range(args.repeat):
        t0 = time.time()
        last[0] = t0
        ds = invert_maps(maps, net.set_index, net.t_master, net.t_slave, vec, grad, dim=4, order=1,
                         lam=0.05, block=n)
        print(f"repeat {i}: {ds.sizes['time'] - 1} intervals, {n} pixels in {time.time() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
