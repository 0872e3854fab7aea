"""Numerical rank of one pixel's un-regularised time matrix (ring 1, pure JAX).

MSBAS reports ``rank(A)`` of the pixel's valid data rows alone (before SPF / Tikhonov rows),
numpy ``matrix_rank`` semantics with ``rtol = rcond``: the number of singular values
``s_i > rcond · s_max``.

We count the kept pivots of a banded LDLᵀ of ``AᵀA`` (eigenvalues ``s_i²``) with the threshold
``rcond² · λ_max(AᵀA)`` — O(N·W²) instead of an SVD. This must run in **float64**: the
threshold is 1e-10 relative to ``λ_max``, far below float32's ~1e-7 round-off, while float64's
~1e-16 round-off on structurally-zero pivots stays 6 orders of magnitude below it. Pivots of
the LDLᵀ are not singular values, so the two counts can differ for a matrix with singular values
within a few orders of magnitude of the threshold; MSBAS networks (Δt of days to years, a few
hundred maps) are either exactly deficient (gaps, missing geometry) or far from it, and the
tests check equality with numpy on random networks with gaps.
"""
from __future__ import annotations

import jax.numpy as jnp

from gfjax.msbas import banded


def band_rank(band, rcond: float):
    """Rank of a PSD band matrix ``AᵀA`` as the rank of ``A`` with relative tolerance rcond."""
    lmax = banded.lambda_max(band, steps=8)   # only places the threshold
    tol = (rcond * rcond) * lmax
    _, piv = banded.ldl(band, tol)
    return jnp.where(lmax > 0, jnp.sum(piv > 0), 0).astype(jnp.int32)
