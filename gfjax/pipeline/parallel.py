"""How the work of a run is split: local devices, MPI ranks, SLURM array chunks.

Pairs are split into *units* that keep each track's pairs contiguous (a pair's a-priori offsets
come from the previous pair of its track, so a unit is a run of consecutive pairs of one track).
``select_pairs`` gives the pairs one process handles; with as many units as workers or fewer
tracks than workers, results equal a single process' except at unit boundaries, where the
first pair of a unit has no previous pair to start from (documented in slurm/README.md).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

log = logging.getLogger("gfjax")


def split_units(pairs: list[tuple[str, int]], n_units: int) -> list[list[tuple[str, int]]]:
    """Split pairs (ordered by track, then index) into units of consecutive pairs of one track:
    each track gets a share of ``n_units`` proportional to its pairs (at least one unit, so
    there are ``max(n_units, n_tracks)`` units at most) and is cut into that many runs."""
    if n_units < 1:
        raise ValueError(f"n_units must be >= 1, got {n_units}")
    tracks: dict[str, list[tuple[str, int]]] = {}
    for p in pairs:
        tracks.setdefault(p[0], []).append(p)
    runs = list(tracks.values())
    if not runs:
        return []
    sizes = np.array([len(r) for r in runs], float)
    ideal = n_units * sizes / sizes.sum()
    share = np.maximum(1, np.floor(ideal)).astype(int)
    while share.sum() < n_units:  # largest remainder first
        share[np.argmax(ideal - share)] += 1
    units = []
    for plist, n in zip(runs, share):
        n = min(int(n), len(plist))
        bounds = [round(i * len(plist) / n) for i in range(n + 1)]
        units += [plist[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    return units


def select_pairs(pairs: list[tuple[str, int]], rank: int = 0, size: int = 1,
                 chunk: int | None = None, n_chunks: int = 1) -> list[tuple[str, int]]:
    """The pairs this process handles: SLURM chunk ``chunk`` of ``n_chunks`` (None = all), then
    this MPI rank's share (units dealt round-robin over chunks, then over ``size`` ranks)."""
    if chunk is not None:
        if not 0 <= chunk < n_chunks:
            raise ValueError(f"parallel.chunk must be in [0, {n_chunks}) (parallel.n_chunks), got {chunk}")
        units = split_units(pairs, n_chunks)
        pairs = [p for i, u in enumerate(units) if i % n_chunks == chunk for p in u]
    if size > 1:
        units = split_units(pairs, size)
        pairs = [p for i, u in enumerate(units) if i % size == rank for p in u]
    return pairs


def chunk_of(pairs: list[tuple[str, int]], n_chunks: int) -> dict[tuple[str, int], int]:
    """Which SLURM chunk each pair belongs to (to name missing chunks)."""
    return {p: i % n_chunks for i, u in enumerate(split_units(pairs, n_chunks)) for p in u}


def restrict_to_one_device() -> bool:
    """``parallel=single``: this process sees one device — the first GPU (``CUDA_VISIBLE_DEVICES``
    narrowed to its first entry) or one CPU device (``--xla_force_host_platform_device_count``
    dropped from ``XLA_FLAGS``). Works before JAX creates its backends (the runner calls it
    first); afterwards it warns and returns False."""
    import os
    import re

    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        log.warning("parallel=single: JAX's devices were created before the run started; "
                    "every local device stays in use")
        return False
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = visible.split(",")[0] if visible else "0"
    flags = re.sub(r"--xla_force_host_platform_device_count=\d+", "", os.environ.get("XLA_FLAGS", ""))
    os.environ["XLA_FLAGS"] = " ".join(flags.split())
    return True


@dataclass
class Workers:
    """This process' place among the workers of a run (one, or MPI ranks)."""

    mode: str = "auto"

    @cached_property
    def comm(self):
        if self.mode != "mpi":
            return None
        from mpi4py import MPI

        return MPI.COMM_WORLD

    @property
    def rank(self) -> int:
        return 0 if self.comm is None else self.comm.Get_rank()

    @property
    def size(self) -> int:
        return 1 if self.comm is None else self.comm.Get_size()

    @property
    def is_root(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.comm is not None:
            self.comm.Barrier()

    def gather(self, obj):
        """List of every rank's ``obj`` on the root (None elsewhere); [obj] with one process."""
        return [obj] if self.comm is None else self.comm.gather(obj, root=0)

    def bcast(self, obj):
        return obj if self.comm is None else self.comm.bcast(obj, root=0)

    def allreduce(self, values, op: str = "sum") -> np.ndarray:
        """Element-wise ``op`` ("sum" | "max" | "min") of host ``values`` over all ranks: the one
        MPI reduction of host numbers (mpi4py ``Allreduce`` on NumPy buffers, dtype kept; no jit,
        so no JAX x64 context is involved); ``values`` as an array with one process."""
        if self.comm is None or self.size == 1:
            return np.asarray(values)
        arr = np.array(values, order="C")  # a C-contiguous copy, any shape (0-d included)
        from mpi4py import MPI

        mpi_op = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
        out = np.empty_like(arr)
        self.comm.Allreduce(arr, out, op=mpi_op)
        return out


def slurm_array_task() -> int | None:
    """``$SLURM_ARRAY_TASK_ID`` as an int, or None outside an array job."""
    v = os.environ.get("SLURM_ARRAY_TASK_ID")
    return int(v) if v not in (None, "") else None
