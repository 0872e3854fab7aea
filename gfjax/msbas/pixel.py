"""The whole MSBAS inversion of ONE pixel (ring 1, pure JAX); vmapped over pixels by api.py."""
from __future__ import annotations

import jax.numpy as jnp

from gfjax.msbas import solver
from gfjax.msbas.rank import band_rank
from gfjax.msbas.rates import linear_rate


def invert_pixel(st: solver.Structure, epochs, disp, weight, proj, grad, lam, *,
                 rcond: float = 1e-5, ridge: float = 1e-12, cond_iters: int = 12) -> dict:
    """Velocities, displacements and diagnostics of one pixel.

    ``epochs`` (N+1,) decimal years; ``disp`` (M,) boundary-scaled map values (m), 0 where
    ``weight`` (M,) is 0; ``proj`` (S, D) per-set coefficients; ``grad`` (2,) surface gradient
    (g_N, g_E), used in 4D only; ``lam`` Tikhonov weight (order 0 with lam = 0 is
    plain least squares).
    Computes in the dtype of ``disp`` (float64 from api.py); returns float32 products:
    velocity (N, D) m/yr, displacement (N+1, D) m, rank, cond, norm_x, residual_norm,
    valid_count, rate/rate_std/rate_r2 (D,).
    """
    blocks, rhs = solver.data_normal_equations(st, disp, weight, proj)
    rank = band_rank(solver.blocks_to_band(blocks), rcond)
    v, cond, _ = solver.solve_normal(st, blocks, rhs, grad, lam, ridge=ridge,
                                     cond_iters=cond_iters, damp_weight=solver.damping_weight(st, weight))
    dt = jnp.diff(jnp.asarray(epochs, v.dtype))
    disp_t = jnp.concatenate([jnp.zeros((1, st.dim), v.dtype), jnp.cumsum(v * dt[:, None], axis=0)])
    rate, rate_std, rate_r2 = linear_rate(jnp.asarray(epochs, v.dtype), disp_t)
    out = dict(velocity=v, displacement=disp_t, cond=cond, norm_x=jnp.sqrt(jnp.sum(v * v)),
               residual_norm=solver.data_residual(st, v, disp, weight, proj),
               seminorm=solver.seminorm(st, v), rate=rate, rate_std=rate_std, rate_r2=rate_r2)
    out = {k: a.astype(jnp.float32) for k, a in out.items()}       # products are float32
    return dict(out, rank=rank, valid_count=jnp.sum(weight > 0).astype(jnp.int32))
