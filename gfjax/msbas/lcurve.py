"""λ selection by the L-curve in one pass (ring 2 driver around the kernel).

For every pixel the data normal equations ``AᵀA``, ``Aᵀd`` are built once and the regularised
solve is ``vmap``ped over the candidate λ (no re-reading, no re-assembly). Per λ we aggregate over
pixels with data: residual norm ``sqrt(Σ_pixels ‖A x_λ − d‖²)`` and solution seminorm
``sqrt(Σ_pixels ‖L x_λ‖²)`` (order 0: ‖x‖). The chosen λ maximises the curvature of the curve
``(log residual, log seminorm)`` parametrised by ``log λ`` (Hansen & O'Leary 1993), computed
with finite differences over the given λ (at least 3, best log-spaced); the end points are never
chosen.

The per-λ sums over pixels are exact sums of the per-pixel values rounded once to a fixed-point
grid (:func:`exact_column_sums`), so they do not depend on how the pixels are ordered or split:
the pipeline computes a share of the pixels on each MPI rank and combines the integer sums with
an allreduce, and 1 or N processes give the same norms and the same λ, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from gfjax.msbas import solver
from gfjax.msbas.api import map_pixels, prepare


@dataclass
class LCurveResult:
    lams: np.ndarray            # (L,) ascending
    residual_norm: np.ndarray   # (L,) m
    solution_norm: np.ndarray   # (L,) seminorm ‖L x‖ (m/yr units)
    curvature: np.ndarray       # (L,) NaN at the ends
    best_lam: float
    order: int


def curvature(lams, residual, seminorm) -> np.ndarray:
    """Signed curvature of (log residual, log seminorm) vs log λ; NaN at the two ends."""
    t = np.log(np.asarray(lams, float))
    rho, eta = np.log(residual), np.log(seminorm)
    d_rho, d_eta = np.gradient(rho, t), np.gradient(eta, t)
    dd_rho, dd_eta = np.gradient(d_rho, t), np.gradient(d_eta, t)
    kappa = (d_rho * dd_eta - dd_rho * d_eta) / np.maximum(d_rho**2 + d_eta**2, 1e-300) ** 1.5
    kappa[0] = kappa[-1] = np.nan
    return kappa


def exact_column_sums(values, n_total: int | None = None, allreduce=None) -> np.ndarray:
    """Column sums of non-negative float64 ``values`` (P, K) that do not depend on the order or
    the split of the rows: each column is scaled by a power of two that lets ``n_total`` rows of
    its largest value fit in int64, rounded to integers (relative resolution ≈ n_total · 2⁻⁶²
    of the largest value) and summed exactly. ``n_total``: rows over all processes (default P);
    ``allreduce(array, op)`` with op "max" | "sum" combines partial results over processes (None:
    one process). A column holding NaN / Inf (on any process) sums to NaN."""
    v = np.asarray(values, np.float64)
    if v.ndim != 2:
        raise ValueError(f"values must be (rows, columns), got shape {v.shape}")
    if np.any(v < 0):
        raise ValueError("exact_column_sums needs non-negative values")
    n_total = v.shape[0] if n_total is None else int(n_total)
    k = v.shape[1]
    bad = ~np.isfinite(v).all(axis=0)
    top = np.where(bad, 0.0, np.max(np.where(np.isfinite(v), v, 0.0), axis=0, initial=0.0))
    head = np.concatenate([top, bad.astype(np.float64)])
    if allreduce is not None:
        head = np.asarray(allreduce(head, "max"), np.float64)
    top, bad = head[:k], head[k:] > 0
    exp = np.frexp(top)[1]                                   # top < 2**exp
    shift = 62 - max(int(n_total), 1).bit_length() - exp     # n_total * 2**(exp + shift) <= 2**62
    q = np.rint(np.ldexp(np.where(np.isfinite(v), v, 0.0), shift[None, :])).astype(np.int64)
    total = q.sum(axis=0, dtype=np.int64)
    if allreduce is not None:
        total = np.asarray(allreduce(total, "sum"), np.int64)
    return np.where(bad, np.nan, np.ldexp(total.astype(np.float64), -shift))


def lcurve_terms(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
                 dim: int, order: int, lams, memory_budget_mb: float = 1024.0, component_scale=None,
                 damping=None, slope_constraint: bool = False, window=None,
                 damping_observed: float = 1.0):
    """Per-pixel ``‖A x_λ − d‖²`` and ``‖L x_λ‖²`` over ``lams`` (each > 0): returns (sorted λ
    (L,), res2 (P, L), sem2 (P, L)) float64, 0 for pixels without data. ``slope_constraint``:
    the 3D surface-parallel rows from ``gradients`` (MSBAS v10's DD_NSEW_FILES) and ``window``
    the network's epoch window (MSBAS v10's, :func:`gfjax.msbas.network.build_network`), as in
    the inversion (api.prepare)."""
    lams = np.sort(np.asarray(lams, np.float64))
    if len(lams) < 3 or np.any(lams <= 0):
        raise ValueError(f"lcurve needs >= 3 values of lam, all > 0, got {lams.tolist()}")
    prep = prepare(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients,
                   dim=dim, order=order, lam=float(lams[0]), component_scale=component_scale, damping=damping,
                   slope_constraint=slope_constraint, window=window, damping_observed=damping_observed)
    if prep.disp.shape[0] == 0:                         # e.g. an MPI rank without L-curve pixels
        return lams, np.zeros((0, lams.size)), np.zeros((0, lams.size))
    st = prep.st

    def per_pixel(disp, weight, proj, grad, lam_vec):
        blocks, rhs = solver.data_normal_equations(st, disp, weight, proj)

        def one(lam):
            v, _, _ = solver.solve_normal(st, blocks, rhs, grad, lam, cond_iters=0,
                                          damp_weight=solver.damping_weight(st, weight))
            r = solver.data_residual(st, v, disp, weight, proj)
            return r * r, solver.seminorm(st, v) ** 2

        res2, sem2 = jax.vmap(one)(lam_vec)
        has = jnp.sum(weight) > 0
        return dict(res2=jnp.where(has, res2, 0.0), sem2=jnp.where(has, sem2, 0.0))

    out = map_pixels(prep, per_pixel, lams, memory_budget_mb=memory_budget_mb / len(lams))
    return lams, np.asarray(out["res2"], np.float64), np.asarray(out["sem2"], np.float64)


def lcurve_from_sums(lams, res2_sum, sem2_sum, order: int) -> LCurveResult:
    """The L-curve (norms, curvature, chosen λ) from the per-λ sums over pixels."""
    lams = np.asarray(lams, np.float64)
    res, sem = np.sqrt(np.asarray(res2_sum, np.float64)), np.sqrt(np.asarray(sem2_sum, np.float64))
    kappa = curvature(lams, res, sem)
    if not np.isfinite(kappa).any():
        raise ValueError(f"L-curve: no finite curvature over lam {lams.tolist()} (residual norms "
                         f"{res.tolist()}, seminorms {sem.tolist()}): no pixel with data?")
    best = float(lams[int(np.nanargmax(kappa))])
    return LCurveResult(lams, res, sem, kappa, best, order)


def lcurve(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
           dim: int, order: int, lams, memory_budget_mb: float = 1024.0, slope_constraint: bool = False,
           window=None, component_scale=None, damping=None, allreduce=None, n_total: int | None = None,
           damping_observed: float = 1.0) -> LCurveResult:
    """L-curve over ``lams`` (each > 0) in one pass over the pixels; see module doc. The one
    L-curve of ``python -m gfjax.msbas --lambda-lcurve`` and of the pipeline's msbas stage
    (``msbas.select_lam=lcurve``, which passes its pixels' share, ``n_total`` pixels in all, and
    the MPI ``allreduce``); options as :func:`lcurve_terms`."""
    lams, res2, sem2 = lcurve_terms(displacement_maps, set_index, t_master, t_slave, set_vectors,
                                    gradients, dim=dim, order=order, lams=lams,
                                    memory_budget_mb=memory_budget_mb, slope_constraint=slope_constraint,
                                    window=window, component_scale=component_scale, damping=damping,
                                    damping_observed=damping_observed)
    sums = exact_column_sums(np.concatenate([res2, sem2], axis=1), n_total=n_total, allreduce=allreduce)
    return lcurve_from_sums(lams, sums[: lams.size], sums[lams.size:], order)


def plot_lcurve(result: LCurveResult, path) -> None:
    """Log-log L-curve (residual vs seminorm) with each λ labelled and the chosen one marked."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), dpi=120)
    ax.loglog(result.residual_norm, result.solution_norm, "o-", color="0.3", ms=4)
    for lam, r, s in zip(result.lams, result.residual_norm, result.solution_norm):
        ax.annotate(f"{lam:g}", (r, s), textcoords="offset points", xytext=(4, 4), fontsize=7)
    i = int(np.argmin(np.abs(result.lams - result.best_lam)))
    ax.loglog(result.residual_norm[i], result.solution_norm[i], "o", color="C3", ms=8,
              label=f"max curvature: λ = {result.best_lam:g}")
    ax.set_xlabel("residual norm ‖Ax − d‖ (m, all pixels)")
    ax.set_ylabel(f"seminorm ‖L{result.order} x‖ (all pixels)")
    ax.set_title("MSBAS L-curve")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
