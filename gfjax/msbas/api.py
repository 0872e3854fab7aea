"""In-memory MSBAS inversion of map stacks: ``invert_maps`` (ring 2 driver around the kernel).

Pixels are flattened, cut into blocks sized from a memory budget, and each block is sharded over
all local devices (1-D mesh ``pixels``; the vmapped one-pixel kernel is jitted with its inputs
and outputs sharded along the pixel axis).
The kernel runs in float64 (see solver.py: normal equations square the condition number, and
the rank needs a 1e-10 relative threshold on AᵀA); inputs and products are float32.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from gfjax.memory import first_line, is_out_of_memory
from gfjax.msbas import solver
from gfjax.msbas.network import Network, build_network
from gfjax.msbas.pixel import invert_pixel

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Network, kernel structure and per-pixel inputs (flattened, float64) of one inversion."""

    net: Network
    st: solver.Structure
    disp: np.ndarray      # (P, M) boundary-scaled values, 0 where invalid
    weight: np.ndarray    # (P, M) 0/1
    proj: np.ndarray      # (P, S, D)
    grad: np.ndarray      # (P, 2)
    shape: tuple          # (ny, nx)
    n_nonfinite: int


def prepare(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
            dim: int, order: int, lam: float, names=None, common_window: bool | None = None,
            window=None, slope_constraint: bool = False, component_scale=None,
            damping=None, damping_observed: float = 1.0) -> Prepared:
    """Validate inputs, build the network and flatten the pixels (NaN/Inf = no data).

    ``common_window`` (default: dim > 1) and ``window`` go to :func:`build_network`;
    ``slope_constraint`` adds the SPF rows in 3D (needs ``gradients``).
    """
    maps = np.asarray(displacement_maps)
    if maps.ndim != 3:
        raise ValueError(f"displacement_maps must be (M, ny, nx), got shape {maps.shape}")
    if dim not in (1, 2, 3, 4):
        raise ValueError(f"dim must be 1, 2, 3 or 4, got {dim}")
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, got {order}")
    if lam < 0 or (order > 0 and lam <= 0):
        raise ValueError(f"lam must be > 0 with regularisation order {order} "
                         f"(lam = 0 only with order 0, i.e. no regularisation), got {lam}")
    vec = np.asarray(set_vectors, np.float64)
    n_sets = vec.shape[0]
    if vec.ndim not in (2, 4) or vec.shape[1] != 3:
        raise ValueError(f"set_vectors must be (S, 3) or (S, 3, ny, nx), got {vec.shape}")
    net = build_network(t_master, t_slave, set_index, n_sets,
                        common_window=dim > 1 if common_window is None else common_window,
                        names=names, window=window)
    ny, nx = maps.shape[1:]
    sel = maps[net.map_index].reshape(net.n_maps, -1).T.astype(np.float64)     # (P, M)
    finite = np.isfinite(sel)
    n_nonfinite = int(np.sum(~finite & ~np.isnan(sel)))
    if n_nonfinite:
        log.warning("%d infinite map values treated as no data", n_nonfinite)
    weight = finite.astype(np.float64)
    disp = np.where(finite, sel, 0.0) * net.factor[None, :]
    coef = solver.reduce_projection(vec if vec.ndim == 2 else np.moveaxis(vec, 1, -1), dim)
    if vec.ndim == 2:
        proj = np.broadcast_to(coef, (ny * nx,) + coef.shape)
    else:
        if vec.shape[2:] != (ny, nx):
            raise ValueError(f"per-pixel set_vectors {vec.shape} do not match maps {(ny, nx)}")
        proj = coef.reshape(n_sets, ny * nx, dim).transpose(1, 0, 2)
    if dim == 4 or slope_constraint:
        if gradients is None:
            raise ValueError(f"dim = {dim}{' with slope_constraint' if slope_constraint else ''} "
                             "needs surface gradients (2, ny, nx): (dh/dN, dh/dE)")
        g = np.asarray(gradients, np.float64)
        if g.shape != (2, ny, nx):
            raise ValueError(f"gradients must be (2, {ny}, {nx}), got {g.shape}")
        grad = np.nan_to_num(g.reshape(2, -1).T)
    else:
        grad = np.zeros((ny * nx, 2))
    return Prepared(net, solver.build_structure(net, dim, order, slope_constraint, component_scale, damping,
                                                damping_observed),
                    disp, weight,
                    np.ascontiguousarray(proj), grad, (ny, nx), n_nonfinite)


def bytes_per_pixel(st: solver.Structure) -> int:
    """Rough float64 working set of one pixel in the kernel (inputs, blocks, bands, scans)."""
    m, n, b, d = st.time.shape[0], st.n_intervals, st.band, st.dim
    nd, w = n * d, b * d
    return 8 * (4 * m + 3 * n * b * d * d + 14 * nd * w + 40 * nd)


def block_size(st: solver.Structure, memory_budget_mb: float, n_devices: int) -> int:
    """Pixels per block (a multiple of the device count) within the memory budget."""
    per = bytes_per_pixel(st)
    size = int(memory_budget_mb * 2**20 // per)
    return max(n_devices, size // n_devices * n_devices)


def pixel_mesh() -> jax.sharding.Mesh:
    devices = jax.devices()
    return jax.make_mesh((len(devices),), ("pixels",), axis_types=(jax.sharding.AxisType.Auto,))


# CPU blocks are capped for speed, not (any more) for a hang. jax 0.10.2's CPU runtime once hung
# on blocks of ~1,000 pixels with asynchronous dispatch; with the synchronous dispatch that
# ``import gfjax`` sets, docs/repro/jax_cpu_async_hang.py --dispatch sync ran one-block 4D
# inversions (89 intervals) of 1,187 pixels 6 times and of 2,400 pixels 5 times without a hang
# (2-core machine, load 5-7, 2026-12-07). Per pixel, small blocks are faster: the scans' working
# set then stays in the CPU caches (3D, 57 intervals, same machine: 305 µs per pixel in blocks
# of 128, 637 in blocks of 512, 862 in blocks of 2,048; 2D: 155 in 128 vs 185 in 256-512).
CPU_MAX_BLOCK_PER_DEVICE = 128


def map_pixels(prep: Prepared, pixel_fn, extra, *, memory_budget_mb: float = 1024.0,
               block: int | None = None, timings: list | None = None, compact: bool = True,
               executable_cache: tuple[str | os.PathLike, str] | None = None) -> dict:
    """Apply ``pixel_fn(disp, weight, proj, grad, extra)`` to all pixels, block by block.

    ``extra`` is replicated (e.g. λ or a vector of λ). ``block`` overrides the block size from
    the memory budget. A block that runs out of device (or host) memory is halved and retried,
    with a warning naming the budget to set (the pipeline's ``execution.msbas_memory_budget_mb``); ``MsbasMemoryError`` when one pixel per
    device does not fit. ``timings``, if given, receives ``(pixels, seconds)`` per block (the first
    includes compilation). Returns a dict of NumPy arrays (P, …).

    The function is compiled afresh on each call, inside one ``jax.enable_x64`` context: with
    jax 0.10.2 on CPU, calling a function jitted in an earlier ``enable_x64`` context from a new
    one deadlocked (reproduced; hence no cross-call cache).

    ``executable_cache`` = (folder, key): keep the compiled block kernel in ``folder`` as a
    serialized XLA executable named by ``key`` (which must identify ``pixel_fn`` and ``extra``'s
    shape, see :func:`kernel_key`) plus the block shape, device kind and jax version; a later
    process with the same key loads it instead of tracing, lowering and compiling (about 0.7 s
    of CPU saved per process even when JAX's persistent compilation cache would serve the
    compilation). Only for a folder you trust: loading unpickles the file (as JAX's own
    persistent cache, it holds executables).
    """
    # Pixels without any valid map (off the glacier, outside the tracked area) all give the same
    # no-data answer: solve them once (one representative) instead of once each.
    has = prep.weight.any(axis=1)
    if compact and (~has).sum() > 1 and has.any():
        keep = np.concatenate([np.flatnonzero(has), np.flatnonzero(~has)[:1]])
        sub = Prepared(prep.net, prep.st, prep.disp[keep], prep.weight[keep], prep.proj[keep],
                       prep.grad[keep], prep.shape, prep.n_nonfinite)
        part = map_pixels(sub, pixel_fn, extra, memory_budget_mb=memory_budget_mb, block=block,
                          timings=timings, compact=False, executable_cache=executable_cache)
        empty = np.flatnonzero(~has)
        log.info("msbas: %d of %d pixels have no data (solved once)", empty.size, has.size)

        def scatter(a):
            full = np.broadcast_to(a[-1], (has.size,) + a.shape[1:]).copy()
            full[keep[:-1]] = a[:-1]
            return full
        return jax.tree.map(scatter, part)
    mesh = pixel_mesh()
    ndev = mesh.devices.size
    n_pix = prep.disp.shape[0]
    if block is None:
        blk = min(block_size(prep.st, memory_budget_mb, ndev), max(-(-n_pix // ndev) * ndev, ndev))
    else:
        blk = max(ndev, block // ndev * ndev)
    if jax.default_backend() == "cpu":
        blk = min(blk, CPU_MAX_BLOCK_PER_DEVICE * ndev)
    spec = P("pixels")
    with jax.enable_x64(True):
        # pixel-parallel: inputs and outputs sharded on the pixel axis, GSPMD partitions the
        # batch (no communication between pixels).
        sharded, replicated = NamedSharding(mesh, spec), NamedSharding(mesh, P())
        fn = jax.jit(jax.vmap(pixel_fn, in_axes=(0, 0, 0, 0, None)),
                     in_shardings=(sharded,) * 4 + (replicated,), out_shardings=sharded)
        sharding = NamedSharding(mesh, spec)
        extra_dev = jnp.asarray(extra, jnp.float64)
        run_fn, run_blk = fn, None
        chunks, start = [], 0
        from tqdm.auto import tqdm

        # progress by pixel blocks (a 4-minute inversion is not silent); off for a few blocks
        bar = tqdm(total=n_pix, desc="msbas: pixels", unit="px", mininterval=5,
                   disable=n_pix <= 4 * blk or not log.isEnabledFor(logging.INFO))
        while True:                                       # >= 1 block: empty input, empty output
            stop = min(start + blk, n_pix)
            args = []
            for arr in (prep.disp, prep.weight, prep.proj, prep.grad):
                part = arr[start:stop]
                if stop - start < blk:                    # pad: one compiled shape for all blocks
                    part = np.concatenate([part, np.zeros((blk - (stop - start),) + part.shape[1:])])
                args.append(jax.device_put(np.ascontiguousarray(part, np.float64), sharding))
            t0 = time.perf_counter()
            if executable_cache is not None and run_blk != blk:
                run_fn, run_blk = _cached_executable(fn, args, extra_dev, *executable_cache), blk
            try:
                chunks.append(_run_block(run_fn, args, extra_dev, stop - start))
            except Exception as err:
                if not is_out_of_memory(err):
                    raise
                del args
                blk = _smaller_block(prep.st, blk, ndev, memory_budget_mb, err)
                continue                                  # the same pixels again, in smaller blocks
            if timings is not None:
                timings.append((stop - start, time.perf_counter() - t0))
            bar.update(stop - start)
            start = stop
            if start >= n_pix:
                break
    bar.close()
    log.info("msbas: %d pixels in %d blocks of %d on %d devices", n_pix, len(chunks), blk, ndev)
    return jax.tree.map(lambda *a: np.concatenate(a), *chunks)


KERNEL_SOURCES = ("api.py", "pixel.py", "solver.py", "banded.py", "rank.py", "rates.py")


def kernel_key(prep: Prepared, **params) -> str:
    """Identity of the pixel kernel of ``prep`` for :func:`map_pixels`' executable cache: the
    kernel's source files, the network's constants (time matrix, bands, epochs, sets), the
    structure's flags and ``params`` (rcond, ridge, … as given to the kernel)."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in KERNEL_SOURCES:
        h.update((here / name).read_bytes())
    st = prep.st
    for a in (st.gram_coef, st.time, st.reg_band, prep.net.epochs):
        a = np.ascontiguousarray(a, np.float64)
        h.update(repr(a.shape).encode() + a.tobytes())
    h.update(repr((st.set_slices, st.dim, st.order, st.slope_constraint, st.component_scale,
                   st.damping, st.damping_observed, sorted(params.items()))).encode())
    return h.hexdigest()


def _cached_executable(fn, args, extra, folder, key: str):
    """``fn`` compiled for ``args``/``extra``, from (or saved to) ``folder`` (see map_pixels)."""
    import jaxlib
    from jax.experimental import serialize_executable as se

    dev = jax.devices()[0]
    sig = repr((key, [(a.shape, str(a.dtype)) for a in args], extra.shape, str(extra.dtype),
                jax.__version__, jaxlib.__version__, dev.platform, dev.device_kind,
                len(jax.devices())))
    path = Path(folder) / f"msbas_{hashlib.sha256(sig.encode()).hexdigest()[:32]}.xla"
    if path.is_file():
        try:
            blob, in_tree, out_tree = pickle.loads(path.read_bytes())
            return se.deserialize_and_load(blob, in_tree, out_tree)
        except Exception as err:                     # damaged or foreign file: compile again
            log.warning("msbas: cannot load the cached kernel %s (%s); removed, compiling it",
                        path, first_line(err))
            path.unlink(missing_ok=True)
    # an executable that JAX's persistent cache served serializes without its code (jaxlib
    # 0.10.2 on CPU: loading it fails with "Function … not found"): keep only fresh compilations
    hits: list[str] = []

    def listener(event: str, **_) -> None:
        if event == "/jax/compilation_cache/cache_hits":
            hits.append(event)
    jax.monitoring.register_event_listener(listener)
    try:
        compiled = fn.lower(*args, extra).compile()
    finally:
        jax.monitoring.unregister_event_listener(listener)
    if hits:
        log.info("msbas: kernel served by JAX's persistent cache; not saved to %s", folder)
        return compiled
    try:
        blob, in_tree, out_tree = se.serialize(compiled)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps((blob, in_tree, out_tree)))
        os.replace(tmp, path)
    except Exception as err:                         # a cache that cannot be written is no error
        log.warning("msbas: cannot save the compiled kernel to %s (%s)", path, first_line(err))
    return compiled


class MsbasMemoryError(MemoryError):
    """A pixel block of one device per pixel does not fit in memory (message says what to do)."""


def _run_block(fn, args, extra, n: int) -> dict:
    """One block through the compiled kernel, as NumPy arrays of its first ``n`` pixels (the
    transfer waits for the device, so an out-of-memory error surfaces here)."""
    out = fn(*args, extra)
    return jax.tree.map(lambda a: np.asarray(a)[:n], out)


def _smaller_block(st: solver.Structure, blk: int, ndev: int, memory_budget_mb: float, err) -> int:
    """Half of ``blk`` (a multiple of ``ndev``) after an out-of-memory error, with a warning that
    names the memory budget that would start there; ``MsbasMemoryError`` at one pixel per device."""
    mb = bytes_per_pixel(st) / 2**20
    if blk <= ndev:
        raise MsbasMemoryError(
            f"msbas: out of memory ({first_line(err)}) on a block of {blk} pixel(s), one per device "
            f"(about {blk * mb:.1f} MB of kernel working set estimated at memory_budget_mb="
            f"{memory_budget_mb:g}): no smaller block exists; a pixel's system ({st.n_intervals} "
            f"intervals × {st.dim} components) needs a device with more memory, fewer dates, or a "
            "lower msbas.dim") from err
    new = max(ndev, blk // 2 // ndev * ndev)
    log.warning("msbas: out of memory on a block of %d pixels (%s); retrying with blocks of %d. "
                "To start there, set execution.msbas_memory_budget_mb=%g (now %g; pixels per block = budget / "
                "~%.3f MB per pixel)", blk, first_line(err), new, max(new * mb, 1e-3),
                memory_budget_mb, mb)
    return new


def invert_maps(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
                dim: int, order: int = 1, lam: float = 0.1, rcond: float = 1e-5,
                ridge: float = 1e-12, memory_budget_mb: float = 1024.0,
                block: int | None = None, names=None, common_window: bool | None = None,
                window=None, slope_constraint: bool = False, cond_iters: int = 12,
                component_scale=None, damping=None, damping_observed: float = 1.0):
    """MSBAS inversion of a stack of displacement maps (see module and solver docs).

    displacement_maps (M, ny, nx) float32 m, NaN = no data; set_index (M,) ints; t_master,
    t_slave (M,) decimal years; set_vectors (S, 3) or (S, 3, ny, nx) projection vectors in
    (north, east, up); gradients (2, ny, nx) (dh/dN, dh/dE) for dim = 4, else None.
    dim 1 (LOS) | 2 (east, up) | 3 (north, east, up) | 4 (north, east, up_spf, up_nspf);
    order 0 | 1 | 2 Tikhonov with weight lam (order 0 with lam = 0: no regularisation);
    rcond: rank threshold (MSBAS 1e-5); ridge: relative ridge of the solve (see solver.py);
    memory_budget_mb sets the pixels per block (or give ``block``); ``names`` (M,) labels of the
    maps for error messages (e.g. "list.txt:12"). MSBAS v10 options (defaults keep gfjax's
    behaviour): ``common_window``/``window`` (see :func:`build_network`), ``slope_constraint``
    (SPF rows in 3D, with ``gradients``), ``cond_iters`` (Lanczos steps of the condition number).
    gfjax options (None: MSBAS v10's system): ``component_scale`` (dim,) factors of lam per
    component; ``damping`` (dim,) weights μ_c (yr) of order-0 rows μ_c v_c = 0 (a prior that
    the component is small; e.g. (0, 0, 0, μ) for the nSPF vertical in 4D);
    ``damping_observed``: the weight of those rows, relative to ``damping``, in the intervals
    every set measured at the pixel (:func:`gfjax.msbas.solver.damping_weight`).
    Returns an xarray.Dataset: displacement_<c> (time, y, x) m from D(t_0) = 0,
    velocity_<c> (interval, y, x) m/yr, linear_rate[_std|_r2]_<c> (y, x), rank, cond, norm_x,
    residual_norm, valid_map_count (y, x). Pixels with no valid map are NaN (rank 0).
    """
    return to_dataset(*invert_products(
        displacement_maps, set_index, t_master, t_slave, set_vectors, gradients, dim=dim, order=order,
        lam=lam, rcond=rcond, ridge=ridge, memory_budget_mb=memory_budget_mb, block=block, names=names,
        common_window=common_window, window=window, slope_constraint=slope_constraint,
        cond_iters=cond_iters, component_scale=component_scale, damping=damping,
        damping_observed=damping_observed))


def invert_products(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
                    dim: int, order: int = 1, lam: float = 0.1, rcond: float = 1e-5,
                    ridge: float = 1e-12, memory_budget_mb: float = 1024.0, block: int | None = None,
                    names=None, common_window: bool | None = None, window=None,
                    slope_constraint: bool = False, cond_iters: int = 12, component_scale=None,
                    damping=None, executable_cache: str | os.PathLike | None = None,
                    damping_observed: float = 1.0
                    ) -> tuple[dict, dict]:
    """:func:`invert_maps` as NumPy arrays, no xarray Dataset (``python -m gfjax.msbas`` writes
    GeoTIFFs from them): (variables, attrs), the variables as {name: (dims, float32/int32 array,
    attrs)} with the coordinates ``time``, ``interval_start``, ``interval_end`` as (dims, array,
    {}). ``executable_cache``: a folder for the compiled kernel (see :func:`map_pixels`)."""
    prep = prepare(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients,
                   dim=dim, order=order, lam=lam, names=names, common_window=common_window,
                   window=window, slope_constraint=slope_constraint, component_scale=component_scale,
                   damping=damping, damping_observed=damping_observed)
    fn = partial(invert_pixel, prep.st, prep.net.epochs, rcond=rcond, ridge=ridge,
                 cond_iters=cond_iters)
    cache = None if executable_cache is None else (
        executable_cache, kernel_key(prep, rcond=rcond, ridge=ridge, cond_iters=cond_iters))
    out = map_pixels(prep, lambda d, w, p, g, l: fn(d, w, p, g, l), lam,
                     memory_budget_mb=memory_budget_mb, block=block, executable_cache=cache)
    return product_arrays(prep, out, dict(dim=dim, order=order, lam=lam, rcond=rcond))


def product_arrays(prep: Prepared, out: dict, attrs: dict) -> tuple[dict, dict]:
    """Per-pixel kernel outputs (P, …) as image variables {name: (dims, array, attrs)} (with the
    coordinates ``time``, ``interval_start``, ``interval_end``) and the dataset attributes."""
    ny, nx = prep.shape
    net, dim = prep.net, prep.st.dim
    nodata = out["valid_count"] == 0

    def img(a):                                  # (P, …) -> (…, ny, nx) float32, NaN no data
        a = np.where(nodata.reshape((-1,) + (1,) * (a.ndim - 1)), np.nan, a).astype(np.float32)
        return np.moveaxis(a, 0, -1).reshape(a.shape[1:] + (ny, nx))

    data = {}
    for c, name in enumerate(solver.COMPONENTS[dim]):
        data[f"displacement_{name}"] = (("time", "y", "x"), img(out["displacement"][:, :, c]),
                                        {"units": "m"})
        data[f"velocity_{name}"] = (("interval", "y", "x"), img(out["velocity"][:, :, c]),
                                    {"units": "m/yr"})
        data[f"linear_rate_{name}"] = (("y", "x"), img(out["rate"][:, c]), {"units": "m/yr"})
        data[f"linear_rate_std_{name}"] = (("y", "x"), img(out["rate_std"][:, c]),
                                           {"units": "m/yr"})
        data[f"linear_rate_r2_{name}"] = (("y", "x"), img(out["rate_r2"][:, c]), {})
    data["rank"] = (("y", "x"), out["rank"].astype(np.int32).reshape(ny, nx), {})
    data["cond"] = (("y", "x"), img(out["cond"]), {})
    data["norm_x"] = (("y", "x"), img(out["norm_x"]), {"units": "m/yr"})
    data["residual_norm"] = (("y", "x"), img(out["residual_norm"]), {"units": "m"})
    data["valid_map_count"] = (("y", "x"), out["valid_count"].astype(np.int32).reshape(ny, nx), {})
    data["observed_sets"] = (("interval", "y", "x"), observed_sets(prep).reshape(net.n_intervals, ny, nx),
                             {"long_name": "map sets with a valid map spanning the interval",
                              "n_sets": net.n_sets})
    data["time"] = (("time",), net.epochs, {})
    data["interval_start"] = (("interval",), net.epochs[:-1], {})
    data["interval_end"] = (("interval",), net.epochs[1:], {})
    attrs = dict(attrs, n_maps_used=net.n_maps, n_nonfinite_values=prep.n_nonfinite,
                 time_units="decimal years (MSBAS)")
    return data, attrs


def observed_sets(prep: Prepared) -> np.ndarray:
    """(interval, pixel) uint8: how many map sets (MSBAS SETs: a track's range or azimuth maps)
    have a valid map spanning the interval at the pixel. Where it is below the set count, the
    interval's velocity at the pixel is partly or wholly the regularisation's interpolation
    from the neighbouring intervals, not a measurement."""
    net = prep.net
    k = np.arange(net.n_intervals)
    cover = ((k[None, :] >= net.first[:, None]) & (k[None, :] < net.last[:, None])).astype(np.float32)
    out = np.zeros((net.n_intervals, prep.weight.shape[0]), np.uint8)
    for s in range(net.n_sets):
        sel = net.set_index == s
        if sel.any():
            out += (cover[sel].T @ prep.weight[:, sel].T.astype(np.float32) > 0).astype(np.uint8)
    return out


def to_dataset(data: dict, attrs: dict):
    """:func:`product_arrays`' variables as an xarray.Dataset."""
    import xarray as xr

    data = dict(data)
    n_int = data["interval_start"][1].size
    coords = {"time": data.pop("time")[1], "interval": np.arange(n_int),
              "interval_start": ("interval", data.pop("interval_start")[1]),
              "interval_end": ("interval", data.pop("interval_end")[1])}
    return xr.Dataset(data, coords=coords, attrs=attrs)
