"""The MSBAS stage's L-curve split over MPI ranks (run by `make test` under `mpiexec -n 2`):
each rank solves its share of the L-curve pixels, the per-λ sums are combined by an mpi4jax
allreduce, and every rank gets the norms and the λ of a single process, bit for bit.
A few seconds; skipped in a single process."""
from types import SimpleNamespace

import numpy as np
import pytest

mpi4py = pytest.importorskip("mpi4py", reason="mpi4py is not installed (make install builds it)")
from mpi4py import MPI  # noqa: E402

COMM = MPI.COMM_WORLD
pytestmark = [
    pytest.mark.mpi,
    pytest.mark.timeout(300, method="signal"),
    pytest.mark.skipif(COMM.Get_size() < 2, reason="needs >= 2 MPI ranks: run under mpiexec -n 2"),
]


def _stack(ny=7, nx=9):
    import xarray as xr

    from gfjax.msbas.network import build_network
    from gfjax.msbas.synthetic import maps_from_velocity, two_track_network, velocity_truth

    net = two_track_network(10)
    nw = build_network(net.t_master, net.t_slave, net.set_index, 4)
    maps, _ = maps_from_velocity(net, velocity_truth(nw.epochs, ny, nx, 3, seed=5), 3, noise_m=0.05, seed=4)
    maps[:, :2, :4] = np.nan                                    # pixels without data (not in the L-curve)
    maps[np.random.default_rng(2).uniform(size=maps.shape) < 0.1] = np.nan
    return xr.Dataset({"displacement": (("map", "y", "x"), maps.astype(np.float32))},
                      coords={"set_index": ("map", net.set_index), "t_master": ("map", net.t_master),
                              "t_slave": ("map", net.t_slave), "set_vector": (("set", "neu"), net.set_vectors)})


def _ctx(mode, max_pixels):
    from gfjax.msbas import MsbasOptions
    from gfjax.pipeline.parallel import Workers

    opts = MsbasOptions(dim=3, order=1, lam_candidates=[0.001, 0.01, 0.03, 0.1, 0.3, 1.0], select_lam="lcurve",
                        lcurve_max_pixels=max_pixels)
    return SimpleNamespace(settings=SimpleNamespace(msbas=opts, products=SimpleNamespace(figures=False)),
                           workers=Workers(mode=mode))


@pytest.mark.parametrize("max_pixels", [4000, 17, 1])  # all pixels with data, a stride, one pixel (rank 1: none)
def test_lcurve_split_over_ranks_equals_one_process(max_pixels):
    from gfjax.pipeline.stages.msbas import _lcurve

    stack = _stack()
    lam, table = _lcurve(_ctx("mpi", max_pixels), stack, None)
    want_lam, want = _lcurve(_ctx("single", max_pixels), stack, None)  # this rank alone, all pixels
    assert table["pixels"] == want["pixels"] <= min(max_pixels, 63 - 8)
    assert lam == want_lam == table["best_lam"]
    for key in ("residual_norm_m", "solution_seminorm", "curvature"):
        assert table[key] == want[key], key                     # bit for bit
    everyone = COMM.allgather((lam, table["residual_norm_m"], table["solution_seminorm"]))
    assert all(e == everyone[0] for e in everyone), "ranks disagree"
