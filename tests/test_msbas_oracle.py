"""gfjax MSBAS kernel vs the literal dense formulation (numpy lstsq / matrix_rank) per pixel."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from gfjax.msbas import solver
from gfjax.msbas.network import build_network
from gfjax.msbas.pixel import invert_pixel

RCOND = 1e-5


def random_network(rng, n_sets, n_dates=12, span=1.0, skip_prob=0.3, drop_prob=0.15,
                   shared_dates=False):
    """Random multi-set network: consecutive pairs plus skip pairs, some pairs dropped (gaps).

    ``shared_dates``: all sets acquire on the same dates (needed for a unique λ = 0 answer in 2D+).
    """
    tm, ts, si = [], [], []
    common = np.unique(np.sort(2020.0 + rng.uniform(0, span, n_dates)))
    for s in range(n_sets):
        dates = common if shared_dates else np.unique(np.sort(2020.0 + rng.uniform(0, span, n_dates)))
        for a in range(len(dates) - 1):
            for step in (1, 2, 3):
                if a + step >= len(dates):
                    break
                if step > 1 and rng.uniform() > skip_prob:
                    continue
                if rng.uniform() < drop_prob:
                    continue
                tm.append(dates[a]); ts.append(dates[a + step]); si.append(s)
    return np.array(tm), np.array(ts), np.array(si)


def random_projection(rng, n_sets):
    """(S, 3) NEU projections: alternating range/azimuth of asc/desc-like geometries."""
    out = []
    for s in range(n_sets):
        head = np.deg2rad(rng.choice([341.0, 199.0]) + rng.normal(0, 3))
        inc = np.deg2rad(39.0 + rng.normal(0, 2))
        if s % 2 == 0:
            out.append([np.sin(head) * np.sin(inc), -np.cos(head) * np.sin(inc), np.cos(inc)])
        else:
            out.append([np.cos(head), np.sin(head), 0.0])
    return np.array(out)


def dense_system(net, dim, order, lam, proj, grad, disp, weight):
    """Literal MSBAS v10 system of one pixel: data rows, SPF rows, Tikhonov rows."""
    n = net.n_intervals
    coef = solver.reduce_projection(proj, dim)
    T = net.time_matrix()
    rows, rhs = [], []
    for j in range(net.n_maps):
        if weight[j] > 0:
            rows.append(np.kron(T[j], coef[net.set_index[j]]))
            rhs.append(disp[j])
    A = np.array(rows).reshape(-1, n * dim)
    d = np.array(rhs)
    extra = []
    if dim == 4:
        for k in range(n):
            r = np.zeros(n * dim); r[k * 4:k * 4 + 3] = [grad[0], grad[1], -1.0]
            extra.append(r)
    if lam > 0:
        nn = n * dim
        if order == 0:
            extra.extend(lam * np.eye(nn))
        for i in range(nn):
            r = np.zeros(nn)
            if order == 1 and i + dim < nn:
                r[i], r[i + dim] = -lam, lam
            elif order == 2 and i + 2 * dim < nn:
                r[i], r[i + dim], r[i + 2 * dim] = lam, -2 * lam, lam
            else:
                continue
            extra.append(r)
    full = np.vstack([A] + ([np.array(extra)] if extra else []))
    full_rhs = np.concatenate([d, np.zeros(full.shape[0] - len(d))])
    return A, full, full_rhs


def oracle(net, dim, order, lam, proj, grad, disp, weight):
    A, full, rhs = dense_system(net, dim, order, lam, proj, grad, disp, weight)
    x = np.linalg.lstsq(full, rhs, rcond=RCOND)[0]
    rank = int(np.linalg.matrix_rank(A, rtol=RCOND)) if A.shape[0] else 0
    s = np.linalg.svd(full, compute_uv=False)
    r = int(np.sum(s > RCOND * s[0]))
    return dict(x=x.reshape(-1, dim), rank=rank, cond=s[0] / s[r - 1],
                resid=np.linalg.norm(A @ x - rhs[:A.shape[0]]), full_rank=r == full.shape[1])


def gfjax_pixels(net, dim, order, lam, proj, grad, disp, weight):
    """The kernel on a batch of pixels (disp, weight (P, M)) of one network: one compilation."""
    st = solver.build_structure(net, dim, order)
    coef = solver.reduce_projection(proj, dim)
    with jax.enable_x64(True):
        f = jax.jit(jax.vmap(lambda d, w: invert_pixel(st, net.epochs, d, w, coef, grad, lam,
                                                       rcond=RCOND)))
        return jax.tree.map(np.asarray, f(disp, weight))


ALL_CASES = [(dim, order, lam) for dim in (1, 2, 3, 4) for order, lam in
             ((0, 0.05), (1, 0.05), (2, 0.05), (0, 0.0), (1, 0.3))]
FAST_CASES = [(1, 1, 0.05), (2, 0, 0.0), (4, 0, 0.05)]
SLOW_CASES = [pytest.param(*c, marks=pytest.mark.slow) for c in ALL_CASES if c not in FAST_CASES]


@pytest.mark.parametrize("dim,order,lam", FAST_CASES + SLOW_CASES)
def test_matches_dense_lstsq(dim, order, lam):
    """Random networks (skip pairs, dropped pairs = gaps), 4 pixels each with random holes."""
    rng = np.random.default_rng(100 * dim + 10 * order + int(lam > 0))
    n_sets = {1: 1, 2: 2, 3: 4, 4: 4}[dim]
    checked = 0
    n_networks = 2 if (dim, order, lam) in FAST_CASES else 4
    for trial in range(n_networks):
        tm, ts, si = random_network(rng, n_sets, n_dates=int(rng.integers(6, 14)),
                                    shared_dates=lam == 0, drop_prob=0.15 if lam else 0.0)
        net = build_network(tm, ts, si, n_sets, common_window=dim > 1)
        proj = random_projection(rng, n_sets)
        if dim == 2:
            proj = proj[[0, 0]] * [1, 1, 1]
            proj[1, 1] *= -1            # asc / desc range: opposite east sensitivity
        grad = rng.normal(0, 0.2, 2)
        hole = 0.15 if lam else 0.03
        weight = (rng.uniform(size=(4, net.n_maps)) > hole).astype(float)   # holes per pixel
        disp = rng.normal(0, 1.0, weight.shape) * weight
        got = gfjax_pixels(net, dim, order, lam, proj, grad, disp, weight)
        for p in range(weight.shape[0]):
            ref = oracle(net, dim, order, lam, proj, grad, disp[p], weight[p])
            assert got["rank"][p] == ref["rank"], (trial, p, got["rank"][p], ref["rank"])
            if not ref["full_rank"]:
                continue      # non-unique answer: see test_msbas_rank.py (minimum-norm-like)
            checked += 1
            err = np.linalg.norm(got["velocity"][p] - ref["x"]) / np.linalg.norm(ref["x"])
            assert err < 1e-4, (trial, p, err)
            assert abs(got["residual_norm"][p] - ref["resid"]) <= 1e-4 * ref["resid"] + 1e-6
            assert abs(got["cond"][p] / ref["cond"] - 1) < 0.05, (got["cond"][p], ref["cond"])
    assert checked >= 3


@pytest.mark.parametrize("order,observed", [(1, 1.0), (2, 1.0), (1, 0.3)])
def test_component_scale_and_damping_match_dense_lstsq(order, observed):
    """lam_scale (λ per component) and the order-0 damping rows μ_c v_c = 0 against the dense
    system with those rows written out; the damping pulls an undetermined nSPF to 0. With
    ``damping_observed`` the rows of the intervals every set (with maps at the pixel) measured
    weigh ``observed`` × μ."""
    rng = np.random.default_rng(7 + order)
    dim, lam, scale, damp = 4, 0.1, np.array([0.3, 0.3, 0.3, 1.0]), np.array([0.0, 0.0, 0.0, 0.05])
    tm, ts, si = random_network(rng, 4, n_dates=10)
    net = build_network(tm, ts, si, 4, common_window=True)
    proj = random_projection(rng, 4)
    grad = rng.normal(0, 0.2, 2)
    weight = (rng.uniform(size=(3, net.n_maps)) > 0.15).astype(float)
    disp = rng.normal(0, 1.0, weight.shape) * weight
    weight[2, net.set_index == 1] = 0.0                           # a pixel where one set has no map
    st = solver.build_structure(net, dim, order, component_scale=scale, damping=damp, damping_observed=observed)
    coef = solver.reduce_projection(proj, dim)
    with jax.enable_x64(True):
        got = jax.tree.map(np.asarray, jax.jit(jax.vmap(lambda d, w: invert_pixel(
            st, net.epochs, d, w, coef, grad, lam, rcond=RCOND)))(disp, weight))
    n = net.n_intervals
    for p in range(weight.shape[0]):
        A, full, rhs = dense_system(net, dim, order, lam, proj, grad, disp[p], weight[p])
        n_data_spf = A.shape[0] + n
        reg = full[n_data_spf:]                                      # the λ rows of every component
        comp = np.argmax(np.abs(reg) > 0, axis=1) % dim              # component of each Tikhonov row
        reg = reg * scale[comp][:, None]
        covers = net.time_matrix() > 0
        full_k = np.ones(n, bool)
        for s_ in range(4):
            sel = (net.set_index == s_) & (weight[p] > 0)
            if sel.any():
                full_k &= covers[sel].any(axis=0)
        if observed != 1.0:
            assert 0 < full_k.sum() < n
        factor = np.where(full_k, observed, 1.0)
        damping_rows = np.kron(np.diag(factor), np.diag(damp))
        system = np.vstack([full[:n_data_spf], reg, damping_rows])
        b = np.concatenate([rhs[:n_data_spf], np.zeros(reg.shape[0] + damping_rows.shape[0])])
        x = np.linalg.lstsq(system, b, rcond=RCOND)[0].reshape(-1, dim)
        np.testing.assert_allclose(got["velocity"][p], x, rtol=1e-5, atol=1e-6 * np.abs(x).max())
    with pytest.raises(ValueError, match="component_scale"):
        solver.build_structure(net, dim, order, component_scale=[1.0, 1.0])
