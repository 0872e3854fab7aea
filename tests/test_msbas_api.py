"""invert_maps: in-memory path vs the dense oracle, truth recovery, 4 devices, L-curve, options."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gfjax.msbas import MsbasOptions, invert_maps, solver
from gfjax.msbas.lcurve import lcurve, plot_lcurve
from gfjax.msbas.network import build_network
from gfjax.msbas.synthetic import maps_from_velocity, two_track_network, velocity_truth
from test_msbas_oracle import dense_system, oracle, random_network, random_projection


def test_invert_maps_matches_oracle_with_holes_and_per_pixel_vectors():
    rng = np.random.default_rng(3)
    tm, ts, si = random_network(rng, 4, n_dates=8)
    ny, nx = 3, 4
    maps = rng.normal(size=(len(tm), ny, nx)).astype(np.float32)
    maps[rng.uniform(size=maps.shape) < 0.2] = np.nan
    maps[:, 0, 0] = np.nan                                         # pixel without data
    vec = random_projection(rng, 4)[:, :, None, None] + rng.normal(0, 0.02, (4, 3, ny, nx))
    grad = rng.normal(0, 0.2, (2, ny, nx))
    ds = invert_maps(maps, si, tm, ts, vec, grad, dim=4, order=1, lam=0.05, block=4)
    net = build_network(tm, ts, si, 4, common_window=True)
    assert np.isnan(ds["velocity_north"].values[:, 0, 0]).all() and ds["rank"].values[0, 0] == 0
    for (y, x) in [(0, 1), (1, 2), (2, 3)]:
        d = maps[net.map_index, y, x].astype(np.float64)
        w = np.isfinite(d).astype(float)
        d = np.where(w > 0, d, 0.0) * net.factor
        ref = oracle(net, 4, 1, 0.05, vec[:, :, y, x], grad[:, y, x], d, w)
        got = np.stack([ds[f"velocity_{c}"].values[:, y, x] for c in solver.COMPONENTS[4]], -1)
        assert ds["rank"].values[y, x] == ref["rank"]
        np.testing.assert_allclose(got, ref["x"], rtol=1e-4, atol=1e-4 * np.abs(ref["x"]).max())
        disp = ds["displacement_east"].values[:, y, x]
        np.testing.assert_allclose(np.diff(disp), got[:, 1] * np.diff(net.epochs), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("dim", [1, 3, 4])
def test_truth_recovery_at_the_noise_level(dim):
    """λ = 0 on a network with a unique answer: errors / predicted std (σ²(AᵀA)⁻¹) ≈ 1."""
    net = two_track_network(14, azimuth=dim > 2)
    if dim == 1:
        keep = net.set_index == 0
        net.t_master, net.t_slave, net.set_index = net.t_master[keep], net.t_slave[keep], net.set_index[keep]
        net.set_vectors = net.set_vectors[:1]
    else:                                                   # shared dates -> unique answer
        first = net.t_master[net.set_index == 0].min()
        net.t_master = net.t_master - np.where(net.set_index >= 2, 4 / 365.25, 0.0)
        net.t_slave = net.t_slave - np.where(net.set_index >= 2, 4 / 365.25, 0.0)
    ny, nx, sigma = 12, 12, 0.01
    nw = build_network(net.t_master, net.t_slave, net.set_index, len(net.set_vectors),
                       common_window=dim > 1)
    v = velocity_truth(nw.epochs, ny, nx, dim, seed=dim)
    grad = np.random.default_rng(1).normal(0, 0.1, (2, ny, nx))
    if dim == 4:
        v[:, 2] = grad[0] * v[:, 0] + grad[1] * v[:, 1]
    maps, _ = maps_from_velocity(net, v, dim, noise_m=sigma, seed=2, common_window=dim > 1)
    ds = invert_maps(maps, net.set_index, net.t_master, net.t_slave, net.set_vectors,
                     grad if dim == 4 else None, dim=dim, order=0, lam=0.0)
    est = np.stack([ds[f"velocity_{c}"].values for c in solver.COMPONENTS[dim]], 1)
    err = est - v                                            # (N, D, ny, nx)
    _, full, _ = dense_system(nw, dim, 0, 0.0, net.set_vectors, grad[:, 0, 0],
                              np.zeros(nw.n_maps), np.ones(nw.n_maps))
    if dim == 4:                                             # predicted std varies with grad: skip
        assert np.sqrt(np.mean(err**2)) < 3 * sigma / np.diff(nw.epochs).min()
        return
    std = sigma * np.sqrt(np.diag(np.linalg.inv(full.T @ full))).reshape(-1, dim)
    z = err / std[:, :, None, None]
    assert 0.85 < np.sqrt(np.mean(z**2)) < 1.15
    rate = ds[f"linear_rate_{solver.COMPONENTS[dim][0]}"].values
    assert np.isfinite(rate).all()


def test_linear_rate_of_constant_velocity():
    tm = 2020 + np.arange(6) * 0.1
    maps = np.full((5, 2, 2), 0.1 * 3.0, np.float32)            # 3 m/yr over 0.1 yr each
    ds = invert_maps(maps, np.zeros(5, int), tm[:-1], tm[1:], np.ones((1, 3)), dim=1, order=0,
                     lam=0.0)
    np.testing.assert_allclose(ds["linear_rate_los"].values, 3.0, rtol=1e-5)
    np.testing.assert_allclose(ds["linear_rate_r2_los"].values, 1.0, atol=1e-6)
    np.testing.assert_allclose(ds["linear_rate_std_los"].values, 0.0, atol=1e-5)
    np.testing.assert_allclose(ds["displacement_los"].values[-1], 1.5, rtol=1e-5)


SCRIPT = r"""
import json, sys, numpy as np, jax
sys.path.insert(0, "tests")
from gfjax.msbas import invert_maps
from test_msbas_oracle import random_network, random_projection
rng = np.random.default_rng(7)
tm, ts, si = random_network(rng, 4, n_dates=7)
maps = rng.normal(size=(len(tm), 5, 7)).astype(np.float32)
maps[rng.uniform(size=maps.shape) < 0.2] = np.nan
ds = invert_maps(maps, si, tm, ts, random_projection(rng, 4), dim=3, order=2, lam=0.1, block=8)
print(json.dumps(dict(n=jax.device_count(), v=np.nan_to_num(ds["velocity_east"].values).tolist(),
                      r=ds["rank"].values.tolist())))
"""


def _run(devices: int) -> dict:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
               JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_four_devices_equal_one():
    one, four = _run(1), _run(4)
    assert one["n"] == 1 and four["n"] == 4
    np.testing.assert_allclose(four["v"], one["v"], rtol=1e-6, atol=1e-9)
    assert four["r"] == one["r"]


def test_lcurve_one_pass_and_plot(tmp_path):
    net = two_track_network(12)
    nw = build_network(net.t_master, net.t_slave, net.set_index, 4)
    v = velocity_truth(nw.epochs, 5, 5, 3)
    maps, _ = maps_from_velocity(net, v, 3, noise_m=0.05, seed=3)
    lams = np.logspace(-3, 1, 9)
    res = lcurve(maps, net.set_index, net.t_master, net.t_slave, net.set_vectors, dim=3,
                 order=1, lams=lams)
    assert np.all(np.diff(res.residual_norm) >= -1e-9)         # residual grows with λ
    assert np.all(np.diff(res.solution_norm) <= 1e-9)          # seminorm shrinks with λ
    assert lams[0] < res.best_lam < lams[-1]
    plot_lcurve(res, tmp_path / "lcurve.png")
    assert (tmp_path / "lcurve.png").stat().st_size > 1000


def test_options_omegaconf_and_validation():
    from omegaconf import OmegaConf

    cfg = OmegaConf.structured(MsbasOptions)
    opts = OmegaConf.to_object(OmegaConf.merge(cfg, {"dim": 4, "lam_candidates": [0.01, 0.1, 1]}))
    assert opts.validate().dim == 4
    with pytest.raises(ValueError, match="msbas.lam must be > 0"):
        MsbasOptions(order=1, lam=0.0).validate()
    with pytest.raises(ValueError, match="msbas.select_lam"):
        MsbasOptions(select_lam="median").validate()


def test_empty_pixel_block():
    """An MPI rank may get no rows: empty in, empty out (same variables)."""
    ds = invert_maps(np.ones((3, 0, 4), np.float32), [0, 0, 0], [2020.0, 2020.1, 2020.2],
                     [2020.1, 2020.2, 2020.3], np.ones((1, 3)), dim=1, order=1, lam=0.1)
    assert ds["velocity_los"].shape == (3, 0, 4) and ds["rank"].shape == (0, 4)


def test_observed_sets_counts_the_sets_that_measured_each_interval():
    """``observed_sets`` against a loop over maps: per interval and pixel, the sets with a valid
    map spanning it (here two sets, 12-day pairs offset by 6 days, holes in both)."""
    from gfjax.msbas.api import observed_sets, prepare

    rng = np.random.default_rng(2)
    t_a = 2020.0 + np.arange(8) * 12 / 365.25
    t_d = t_a + 6 / 365.25
    tm = np.concatenate([t_a[:-1], t_d[:-1]])
    ts = np.concatenate([t_a[1:], t_d[1:]])
    sets = np.repeat([0, 1], 7)
    maps = rng.normal(size=(14, 5, 6)).astype(np.float32)
    maps[rng.random(maps.shape) < 0.3] = np.nan
    vec = np.array([[0.1, 0.6, 0.7], [-0.1, 0.6, 0.7]])
    prep = prepare(maps, sets, tm, ts, vec, dim=1, order=1, lam=0.1)
    got = observed_sets(prep).reshape(-1, 5, 6)
    ep = prep.net.epochs
    want = np.zeros_like(got)
    for k in range(ep.size - 1):
        for s in (0, 1):
            span = [j for j in range(14) if sets[j] == s and tm[j] <= ep[k] + 1e-9 and ts[j] >= ep[k + 1] - 1e-9]
            want[k] += np.any(np.isfinite(maps[span]), axis=0) if span else 0
    np.testing.assert_array_equal(got, want)
    assert 0 < (got == 2).mean() < 1
    ds = invert_maps(maps, sets, tm, ts, vec, dim=1, order=1, lam=0.1)
    np.testing.assert_array_equal(ds["observed_sets"].values, got)
