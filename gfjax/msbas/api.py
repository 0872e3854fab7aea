"""In-memory MSBAS inversion of map stacks: ``invert_maps`` (ring 2 driver around the kernel).

Pixels are flattened, cut into blocks sized from a memory budget, and each block is sharded over
all local devices (1-D mesh ``pixels``; the vmapped one-pixel kernel is jitted with its inputs
and outputs sharded along the pixel axis).
The kernel runs in float64 (see solver.py: normal equations square the condition number, and
the rank needs a 1e-10 relative threshold on AᵀA); inputs and products are float32.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

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
            damping=None) -> Prepared:
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
    return Prepared(net, solver.build_structure(net, dim, order, slope_constraint, component_scale, damping),
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


# jax 0.10.2's XLA CPU runtime hung for good (BlockUntilReady never notified) on these float64
# scan kernels once a block reached about a thousand pixels (reproduced on the 2-core machine with
# 90 intervals in 4D: blocks of 1187 hung, blocks of 231 ran in 21 s); CPU blocks are capped.
# 128 rather than 256: the scans' working set of a block then stays in the CPU caches (measured on
# the 2-core machine, 3D / 57 intervals: 340 µs CPU per pixel in blocks of 32–128, 450–545 in
# blocks of 256–512; 2D: 155 vs 185).
CPU_MAX_BLOCK_PER_DEVICE = 128


def map_pixels(prep: Prepared, pixel_fn, extra, *, memory_budget_mb: float = 1024.0,
               block: int | None = None, timings: list | None = None, compact: bool = True) -> dict:
    """Apply ``pixel_fn(disp, weight, proj, grad, extra)`` to all pixels, block by block.

    ``extra`` is replicated (e.g. λ or a vector of λ). ``block`` overrides the block size from
    the memory budget. A block that runs out of device (or host) memory is halved and retried,
    with a warning naming the budget to set (the pipeline's ``execution.msbas_memory_budget_mb``); ``MsbasMemoryError`` when one pixel per
    device does not fit. ``timings``, if given, receives ``(pixels, seconds)`` per block (the first
    includes compilation). Returns a dict of NumPy arrays (P, …).

    The function is compiled afresh on each call, inside one ``jax.enable_x64`` context: with
    jax 0.10.2 on CPU, calling a function jitted in an earlier ``enable_x64`` context from a new
    one deadlocked (reproduced; hence no cross-call cache).
    """
    # Pixels without any valid map (off the glacier, outside the tracked area) all give the same
    # no-data answer: solve them once (one representative) instead of once each.
    has = prep.weight.any(axis=1)
    if compact and (~has).sum() > 1 and has.any():
        keep = np.concatenate([np.flatnonzero(has), np.flatnonzero(~has)[:1]])
        sub = Prepared(prep.net, prep.st, prep.disp[keep], prep.weight[keep], prep.proj[keep],
                       prep.grad[keep], prep.shape, prep.n_nonfinite)
        part = map_pixels(sub, pixel_fn, extra, memory_budget_mb=memory_budget_mb, block=block,
                          timings=timings, compact=False)
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
            try:
                chunks.append(_run_block(fn, args, extra_dev, stop - start))
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
                component_scale=None, damping=None):
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
    the component is small; e.g. (0, 0, 0, μ) for the nSPF vertical in 4D).
    Returns an xarray.Dataset: displacement_<c> (time, y, x) m from D(t_0) = 0,
    velocity_<c> (interval, y, x) m/yr, linear_rate[_std|_r2]_<c> (y, x), rank, cond, norm_x,
    residual_norm, valid_map_count (y, x). Pixels with no valid map are NaN (rank 0).
    """
    return to_dataset(*invert_products(
        displacement_maps, set_index, t_master, t_slave, set_vectors, gradients, dim=dim, order=order,
        lam=lam, rcond=rcond, ridge=ridge, memory_budget_mb=memory_budget_mb, block=block, names=names,
        common_window=common_window, window=window, slope_constraint=slope_constraint,
        cond_iters=cond_iters, component_scale=component_scale, damping=damping))


def invert_products(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
                    dim: int, order: int = 1, lam: float = 0.1, rcond: float = 1e-5,
                    ridge: float = 1e-12, memory_budget_mb: float = 1024.0, block: int | None = None,
                    names=None, common_window: bool | None = None, window=None,
                    slope_constraint: bool = False, cond_iters: int = 12, component_scale=None,
                    damping=None) -> tuple[dict, dict]:
    """:func:`invert_maps` as NumPy arrays, no xarray Dataset (``python -m gfjax.msbas`` writes
    GeoTIFFs from them): (variables, attrs), the variables as {name: (dims, float32/int32 array,
    attrs)} with the coordinates ``time``, ``interval_start``, ``interval_end`` as (dims, array,
    {})."""
    prep = prepare(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients,
                   dim=dim, order=order, lam=lam, names=names, common_window=common_window,
                   window=window, slope_constraint=slope_constraint, component_scale=component_scale,
                   damping=damping)
    fn = partial(invert_pixel, prep.st, prep.net.epochs, rcond=rcond, ridge=ridge,
                 cond_iters=cond_iters)
    out = map_pixels(prep, lambda d, w, p, g, l: fn(d, w, p, g, l), lam,
                     memory_budget_mb=memory_budget_mb, block=block)
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
    data["time"] = (("time",), net.epochs, {})
    data["interval_start"] = (("interval",), net.epochs[:-1], {})
    data["interval_end"] = (("interval",), net.epochs[1:], {})
    attrs = dict(attrs, n_maps_used=net.n_maps, n_nonfinite_values=prep.n_nonfinite,
                 time_units="decimal years (MSBAS)")
    return data, attrs


def to_dataset(data: dict, attrs: dict):
    """:func:`product_arrays`' variables as an xarray.Dataset."""
    import xarray as xr

    data = dict(data)
    n_int = data["interval_start"][1].size
    coords = {"time": data.pop("time")[1], "interval": np.arange(n_int),
              "interval_start": ("interval", data.pop("interval_start")[1]),
              "interval_end": ("interval", data.pop("interval_end")[1])}
    return xr.Dataset(data, coords=coords, attrs=attrs)
