"""λ selection by the L-curve in one pass (ring 2 driver around the kernel).

For every pixel the data normal equations ``AᵀA``, ``Aᵀd`` are built once and the regularised
solve is ``vmap``ped over the candidate λ (no re-reading, no re-assembly). Per λ we aggregate over
pixels with data: residual norm ``sqrt(Σ_pixels ‖A x_λ − d‖²)`` and solution seminorm
``sqrt(Σ_pixels ‖L x_λ‖²)`` (order 0: ‖x‖). The chosen λ maximises the curvature of the curve
``(log residual, log seminorm)`` parametrised by ``log λ`` (Hansen & O'Leary 1993), computed
with finite differences over the given λ (at least 3, best log-spaced); the end points are never
chosen.
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


def lcurve(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients=None, *,
           dim: int, order: int, lams, memory_budget_mb: float = 1024.0) -> LCurveResult:
    """L-curve over ``lams`` (each > 0) in one pass over the pixels; see module doc."""
    lams = np.sort(np.asarray(lams, np.float64))
    if len(lams) < 3 or np.any(lams <= 0):
        raise ValueError(f"lcurve needs >= 3 values of lam, all > 0, got {lams.tolist()}")
    prep = prepare(displacement_maps, set_index, t_master, t_slave, set_vectors, gradients,
                   dim=dim, order=order, lam=float(lams[0]))
    st = prep.st

    def per_pixel(disp, weight, proj, grad, lam_vec):
        blocks, rhs = solver.data_normal_equations(st, disp, weight, proj)

        def one(lam):
            v, _, _ = solver.solve_normal(st, blocks, rhs, grad, lam, cond_iters=0)
            r = solver.data_residual(st, v, disp, weight, proj)
            return r * r, solver.seminorm(st, v) ** 2

        res2, sem2 = jax.vmap(one)(lam_vec)
        has = jnp.sum(weight) > 0
        return dict(res2=jnp.where(has, res2, 0.0), sem2=jnp.where(has, sem2, 0.0))

    out = map_pixels(prep, per_pixel, lams, memory_budget_mb=memory_budget_mb / len(lams))
    res = np.sqrt(out["res2"].sum(axis=0))
    sem = np.sqrt(out["sem2"].sum(axis=0))
    kappa = curvature(lams, res, sem)
    best = float(lams[int(np.nanargmax(kappa))])
    return LCurveResult(lams, res, sem, kappa, best, order)


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
