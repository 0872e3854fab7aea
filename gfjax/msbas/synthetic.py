"""Synthetic MSBAS inputs (NumPy): a two-track Sentinel-1-like network and maps from known
velocities — for the truth-recovery tests and benchmarks/msbas.py."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gfjax.geometry.projection import projection_vectors
from gfjax.msbas.network import build_network


def projection(heading_deg: float, incidence_deg: float, kind: str) -> np.ndarray:
    """(north, east, up) projection of range (LOS, toward satellite) or azimuth (along track):
    one of :func:`gfjax.geometry.projection.projection_vectors`."""
    if kind not in ("range", "azimuth"):
        raise ValueError(f"kind must be 'range' or 'azimuth', got {kind!r}")
    return projection_vectors(heading_deg, incidence_deg)[0 if kind == "range" else 1].astype(np.float64)


@dataclass
class SyntheticNetwork:
    t_master: np.ndarray     # (M,) decimal years
    t_slave: np.ndarray
    set_index: np.ndarray    # (M,)
    set_vectors: np.ndarray  # (S, 3) NEU


def two_track_network(n_epochs: int, *, azimuth: bool = True, repeat_days: float = 12.0,
                      start: float = 2015.0, skip_pairs: bool = True) -> SyntheticNetwork:
    """Ascending (φ 341°) and descending (φ 199°) tracks, θ = 39°, ``n_epochs`` each, 12-day
    repeat, descending 4 days after ascending; consecutive pairs (+ every 5th a 24-day pair);
    range sets and, with ``azimuth``, azimuth sets sharing the pairs (4 sets, else 2)."""
    dt = repeat_days / 365.25
    tracks = [(341.0, start + np.arange(n_epochs) * dt),
              (199.0, start + 4.0 / 365.25 + np.arange(n_epochs) * dt)]
    kinds = ("range", "azimuth") if azimuth else ("range",)
    tm, ts, si, vec = [], [], [], []
    for heading, dates in tracks:
        pairs = [(a, a + 1) for a in range(n_epochs - 1)]
        if skip_pairs:
            pairs += [(a, a + 2) for a in range(0, n_epochs - 2, 5)]
        for kind in kinds:
            s = len(vec)
            vec.append(projection(heading, 39.0, kind))
            for a, b in pairs:
                tm.append(dates[a]); ts.append(dates[b]); si.append(s)
    return SyntheticNetwork(np.array(tm), np.array(ts), np.array(si), np.array(vec))


def velocity_truth(epochs: np.ndarray, ny: int, nx: int, dim: int, seed: int = 0) -> np.ndarray:
    """Smooth per-interval velocities (N, dim, ny, nx) m/yr: seasonal + a surge-like pulse."""
    rng = np.random.default_rng(seed)
    tmid = 0.5 * (epochs[1:] + epochs[:-1])
    amp = rng.uniform(20, 200, (dim, ny, nx))
    phase = rng.uniform(0, 2 * np.pi, (dim, ny, nx))
    base = rng.uniform(-50, 50, (dim, ny, nx))
    season = np.sin(2 * np.pi * tmid[:, None, None, None] + phase[None])
    return (base[None] + amp[None] * season).astype(np.float64)


def maps_from_velocity(net: SyntheticNetwork, velocity: np.ndarray, dim: int, gradients=None,
                       noise_m: float = 0.0, seed: int = 0, common_window: bool = True):
    """Maps (M, ny, nx) m = Σ_k T_jk s·v_k (+ Gaussian noise), for the network's own epochs.

    In 4D ``velocity`` holds (north, east, up_spf, up_nspf) and the SPF vertical must equal
    g_N v_N + g_E v_E for the truth to satisfy the constraint (caller's job).
    Maps outside the common window are NaN; straddling maps get the uncovered part from a
    zero velocity (the boundary factor then rescales them exactly as MSBAS does).
    """
    from gfjax.msbas.solver import reduce_projection

    nw = build_network(net.t_master, net.t_slave, net.set_index, len(net.set_vectors),
                       common_window=common_window)
    T = nw.time_matrix()                                      # (Mu, N)
    coef = reduce_projection(net.set_vectors, dim)            # (S, D)
    ny, nx = velocity.shape[2:]
    los = np.einsum("kdyx,sd->skyx", velocity, coef)          # (S, N, ny, nx)
    out = np.full((len(net.t_master), ny, nx), np.nan)
    for r, j in enumerate(nw.map_index):
        val = np.tensordot(T[r], los[nw.set_index[r]], axes=(0, 0))
        out[j] = val / nw.factor[r]                            # full map: covered part / fraction
    rng = np.random.default_rng(seed)
    out = out + noise_m * rng.standard_normal(out.shape)
    return out.astype(np.float32), nw
