"""Rank of the un-regularised time matrix and the rank-deficient (non-unique) answer."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from gfjax.msbas import solver
from gfjax.msbas.network import build_network
from gfjax.msbas.pixel import invert_pixel
from test_msbas_oracle import RCOND, dense_system, random_network, random_projection


@pytest.mark.parametrize("dim,n_sets", [(1, 1), pytest.param(3, 4, marks=pytest.mark.slow),
                                         (4, 4)])
def test_rank_matches_numpy_on_many_pixels(dim, n_sets):
    """One network, 150 pixels with random holes (gaps up to whole stretches) → exact rank."""
    rng = np.random.default_rng(dim)
    tm, ts, si = random_network(rng, n_sets, n_dates=10, drop_prob=0.1)
    net = build_network(tm, ts, si, n_sets, common_window=dim > 1)
    st = solver.build_structure(net, dim, 1)
    proj = solver.reduce_projection(random_projection(rng, n_sets), dim)
    n_pix = 150
    hole = rng.uniform(0.0, 0.6, n_pix)[:, None]
    weight = (rng.uniform(size=(n_pix, net.n_maps)) > hole).astype(float)
    weight[:5] = 0.0
    weight[5, :] = 0.0
    weight[5, 0] = 1.0                                        # a single map
    disp = rng.normal(size=weight.shape) * weight
    grad = rng.normal(0, 0.2, (n_pix, 2))
    with jax.enable_x64(True):
        f = jax.jit(jax.vmap(lambda d, w, g: invert_pixel(st, net.epochs, d, w, proj, g, 0.1)))
        got = np.asarray(f(disp, weight, grad)["rank"])
    for p in range(n_pix):
        rows = [np.kron(net.time_matrix()[j], proj[net.set_index[j]])
                for j in range(net.n_maps) if weight[p, j] > 0]
        ref = int(np.linalg.matrix_rank(np.array(rows), rtol=RCOND)) if rows else 0
        assert got[p] == ref, (p, got[p], ref)
    assert len(set(got.tolist())) > 3                          # a spread of deficient ranks


def test_rank_deficient_gives_minimum_norm_like_answer():
    """1D, λ = 0, a gap in coverage: dgelsd returns the minimum-norm solution; we return the
    ridge + refinement answer, which agrees with it (the null-space part is ~0)."""
    rng = np.random.default_rng(5)
    dates = 2020 + np.arange(10) * 12 / 365.25
    pairs = [(a, a + 1) for a in range(9) if a != 4] + [(0, 2), (6, 8)]
    tm = np.array([dates[a] for a, _ in pairs]); ts = np.array([dates[b] for _, b in pairs])
    si = np.zeros(len(pairs), int)
    net = build_network(tm, ts, si, 1, common_window=False)
    st = solver.build_structure(net, 1, 0)
    disp = rng.normal(size=net.n_maps)
    weight = np.ones(net.n_maps)
    A, full, rhs = dense_system(net, 1, 0, 0.0, np.zeros((1, 3)), None, disp, weight)
    x_ref = np.linalg.lstsq(full, rhs, rcond=RCOND)[0]
    with jax.enable_x64(True):
        out = jax.tree.map(np.asarray, jax.jit(lambda d, w: invert_pixel(
            st, net.epochs, d, w, np.ones((1, 1)), np.zeros(2), 0.0))(disp, weight))
    assert out["rank"] == np.linalg.matrix_rank(A, rtol=RCOND) == net.n_intervals - 1
    np.testing.assert_allclose(out["velocity"][:, 0], x_ref, rtol=1e-4, atol=1e-6 * np.abs(x_ref).max())
    assert out["velocity"][4, 0] == pytest.approx(0.0, abs=1e-6 * np.abs(x_ref).max())
