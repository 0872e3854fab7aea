"""Linear rate of a displacement time series: OLS slope, its standard error, R² (ring 1)."""
from __future__ import annotations

import jax.numpy as jnp


def linear_rate(t, disp):
    """OLS of ``disp`` (T, D) on ``t`` (T,) per component → (slope, std error, R²), each (D,).

    Standard error ``sqrt(SSE / (T − 2) / Σ(t − t̄)²)`` (0 when T ≤ 2); R² ``1 − SSE/SST``
    (1 when SST = 0, i.e. a constant series is fitted exactly).
    """
    n = t.shape[0]
    tc = t - jnp.mean(t)
    stt = jnp.sum(tc * tc)
    dc = disp - jnp.mean(disp, axis=0)
    slope = (tc @ dc) / stt
    resid = dc - tc[:, None] * slope[None, :]
    sse = jnp.sum(resid * resid, axis=0)
    sst = jnp.sum(dc * dc, axis=0)
    std = jnp.sqrt(sse / max(n - 2, 1) / stt) if n > 2 else jnp.zeros_like(slope)
    r2 = jnp.where(sst > 0, 1.0 - sse / jnp.where(sst > 0, sst, 1.0), 1.0)
    return slope, std, r2
