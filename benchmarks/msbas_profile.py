"""Where ``python -m gfjax.msbas header.txt`` spends its time, phase by phase (one process).

    python benchmarks/msbas_profile.py HEADER [--cache DIR] [--workdir DIR] [--parts 128]

Runs the command line in this process with timers around its phases and prints wall and CPU
seconds (user + system of the whole process, all threads) of each: interpreter start (measured
as ``python -c pass`` in a child), imports, header and geometry, reading the maps, v10's
preprocessing, preparing the pixels, tracing + lowering, XLA compilation (or the persistent
cache read), the per-block loop, NORM_AXY, writing the outputs. ``--cache`` is the JAX
persistent cache folder (``GFJAX_JAX_CACHE``; empty folder = cold run). The benchmark cases are
made by benchmarks/msbas_v10.py (``/tmp/gfjax_msbas_v10_bench/<dim>d_<side>_30/in/header.txt``).
``--parts B`` then times the parts of the pixel kernel on the header's first B pixels (one block,
jitted and vmapped alone, float64 and float32, CPU µs per pixel, 20 repeats after a warm-up).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import defaultdict

T0 = (time.perf_counter(), time.process_time())
ACC: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])


def _add(name: str, wall: float, cpu: float) -> None:
    ACC[name][0] += wall
    ACC[name][1] += cpu


def wrap(owner, attr: str, name: str) -> None:
    fn = getattr(owner, attr)

    def timed(*a, **k):
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **k)
        finally:
            _add(name, time.perf_counter() - w, time.process_time() - c)
    setattr(owner, attr, timed)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("header")
    ap.add_argument("--cache", default=None)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--parts", type=int, default=0, metavar="B")
    args = ap.parse_args()
    if args.cache is not None:
        os.environ["GFJAX_JAX_CACHE"] = args.cache
    w, c = time.perf_counter(), time.process_time()
    import gfjax.msbas.cli as cli
    _add("import gfjax.msbas.cli (jax, numpy, rasterio…)", time.perf_counter() - w, time.process_time() - c)
    import jax._src.compiler as compiler

    import gfjax.msbas.api as api
    import gfjax.io.msbas_outputs as outputs

    wrap(cli, "parse_header", "header parse")
    wrap(cli, "read_maps", "read maps (GeoTIFF)")
    wrap(cli, "apply_header_flags", "v10 preprocessing (MC/C_FLAG, z-score)")
    wrap(api, "prepare", "prepare pixels + network")
    real_prepare = api.prepare
    seen = {}

    def keep(*a, **k):
        seen["prep"] = real_prepare(*a, **k)
        return seen["prep"]
    api.prepare = keep
    import jax._src.interpreters.pxla as pxla

    wrap(api, "invert_pixel", "trace the pixel kernel (vmap)")
    wrap(pxla, "lower_sharding_computation", "lower to StableHLO")
    wrap(compiler, "backend_compile_and_load", "XLA compile")
    wrap(compiler, "_cache_read", "persistent cache read")
    wrap(api, "_cached_executable", "load (or compile + save) the cached kernel")
    wrap(api, "_run_block", "block loop (incl. trace/compile of block 1)")
    wrap(cli, "_v10_residual", "NORM_AXY (NumPy)")
    wrap(outputs.TifWriter, "write", "GeoTIFF writes (queue)")
    wrap(outputs.TifWriter, "close", "GeoTIFF writes (wait)")
    wrap(api, "product_arrays", "product arrays")
    w, c = time.perf_counter(), time.process_time()
    kernels = cli._persistent_cache()
    os.chdir(args.workdir)
    cli.run(args.header, ".", executable_cache=kernels)
    _add("cli.run total", time.perf_counter() - w, time.process_time() - c)
    total = (time.perf_counter() - T0[0], time.process_time() - T0[1])
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    start = time.perf_counter() - t
    print(f"{'phase':<50} {'wall s':>7} {'CPU s':>7}")
    print(f"{'interpreter start (python -c pass, wall)':<50} {start:>7.2f} {'':>7}")
    for k, (wv, cv) in ACC.items():
        print(f"{k:<50} {wv:>7.2f} {cv:>7.2f}")
    print(f"{'process total (after interpreter start)':<50} {total[0]:>7.2f} {total[1]:>7.2f}")
    if args.parts:
        for dtype in ("float64", "float32"):
            kernel_parts(seen["prep"], args.parts, dtype)


def kernel_parts(prep, n: int, dtype: str) -> None:
    """CPU µs per pixel of each part of the pixel kernel on one block of ``n`` pixels."""
    import jax
    import jax.numpy as jnp

    from gfjax.msbas import banded, solver

    st = prep.st
    with jax.enable_x64(True):
        dt = jnp.dtype(dtype)
        disp, w, proj, grad = (jnp.asarray(a[:n], dt) for a in (prep.disp, prep.weight, prep.proj, prep.grad))

        def normal(disp, w, proj, grad):
            blocks, rhs = solver.data_normal_equations(st, disp, w, proj)
            reg = 0.0025 * jnp.asarray(st.reg_band, dt)[:, :, None, None] * jnp.eye(st.dim, dtype=dt)
            return solver.blocks_to_band(blocks + reg), rhs.reshape(-1)
        band, rhs = jax.jit(jax.vmap(normal))(disp, w, proj, grad)
        lower, piv = jax.jit(jax.vmap(lambda b: banded.ldl(b, 0.0)))(band)
        parts = {
            "normal equations + band": (normal, (disp, w, proj, grad)),
            "LDLᵀ (one; the kernel does 2)": (lambda b: banded.ldl(b, 0.0), (band,)),
            "LDLᵀ solve (one; the kernel does 3)": (banded.ldl_solve, (lower, piv, rhs)),
            "band matvec (one)": (banded.matvec, (band, rhs)),
            "λ_max, 24 Lanczos steps (cond, ridge)": (lambda b: banded.lambda_max(b, 24, True), (band,)),
            "λ_max, 8 steps (rank threshold)": (lambda b: banded.lambda_max(b, 8), (band,)),
            "λ_min, 24 Lanczos steps on H⁻¹ (cond)": (lambda lo, pv, b: banded.lambda_min(lo, pv, b, 24),
                                                      (lower, piv, band)),
        }
        print(f"\nkernel parts, {st.dim}D, {st.n_intervals} intervals, band {st.band}, block of {n}, {dtype}")
        for name, (f, a) in parts.items():
            jf = jax.jit(jax.vmap(f))
            jax.block_until_ready(jf(*a))
            c = time.process_time()
            for _ in range(20):
                jax.block_until_ready(jf(*a))
            print(f"  {name:<42} {1e6 * (time.process_time() - c) / 20 / n:8.1f} µs CPU per pixel")


if __name__ == "__main__":
    main()
