"""Temporal consistency of offset windows (kernel ring, pure JAX): keep a window's offset only
where a neighbouring pair of its track saw the same motion.

On surging ice a window at the glacier margin whose fast, decorrelated ice loses the correlation
to the coherent rock beside it returns the rock's zero offset with a high SNR: a *false match*
that no single-pair quality measure recognises, and that the 200 m filter then smears over its
neighbours (issue 12: on the 2021 surge pairs a third of the fast windows kept at SNR >= 8 were
such locks). Ice does not change its speed by a factor of ten in twelve days, but a lock does not
repeat itself from pair to pair with the true motion: a window is kept when its offset agrees with
the same window's offset in at least one of the neighbouring pairs of the same track (the ``n``
pairs before and after it), scaled to its duration::

    agree_j = |o_k - s_j o_j| <= tol_px + rel |o_k|      for both components,  s_j = dt_k / dt_j

``tol_px`` absorbs the tracking noise (a few tenths of a pixel) and a little acceleration;
``rel`` the acceleration of fast ice between pairs (a surge front gains ~10 % in 12 days).
A window none of whose neighbours has a valid offset cannot be judged: ``keep_isolated`` says
whether it is kept.

The kernel is written for one window and ``vmap``-ped over the window grid.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


def window_agrees(centre, neighbours, scales, tol_px, rel, keep_isolated):
    """One window. ``centre`` (2,) its (azimuth, range) offset in px (NaN: not valid);
    ``neighbours`` (n, 2) the same window in the neighbouring pairs (NaN: not valid); ``scales``
    (n,) their duration ratios. True when the centre is valid and agrees with a valid neighbour
    (or has none and ``keep_isolated``)."""
    scaled = neighbours * scales[:, None]
    valid_n = jnp.all(jnp.isfinite(scaled), axis=1)
    bound = tol_px + rel * jnp.abs(centre)
    close = jnp.all(jnp.abs(centre[None, :] - scaled) <= bound[None, :], axis=1) & valid_n
    valid_c = jnp.all(jnp.isfinite(centre))
    return valid_c & (jnp.any(close) | (keep_isolated & ~jnp.any(valid_n)))


@partial(jax.jit, static_argnames=("keep_isolated",))
def temporal_agreement(centre, neighbours, scales, tol_px: float = 1.0, rel: float = 0.1,
                       keep_isolated: bool = True):
    """Windows of one pair that agree with a neighbouring pair.

    ``centre`` (H, W, 2) offsets (px) of the pair, ``neighbours`` (n, H, W, 2) the same windows in
    ``n`` neighbouring pairs (NaN where not valid), ``scales`` (n,) ``dt_pair / dt_neighbour``.
    Returns a boolean (H, W): keep."""
    c = jnp.asarray(centre, jnp.float32)
    nb = jnp.moveaxis(jnp.asarray(neighbours, jnp.float32), 0, 2)  # (H, W, n, 2)
    s = jnp.asarray(scales, jnp.float32)
    one = partial(window_agrees, scales=s, tol_px=jnp.float32(tol_px), rel=jnp.float32(rel),
                  keep_isolated=keep_isolated)
    return jax.vmap(jax.vmap(one))(c, nb)
