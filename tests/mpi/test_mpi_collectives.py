"""MPI smoke tests: run by `make test` under `mpiexec -n 2`; skipped in a single process."""
import numpy as np
import pytest

mpi4py = pytest.importorskip("mpi4py", reason="mpi4py is not installed (make install builds it)")
from mpi4py import MPI  # noqa: E402

COMM = MPI.COMM_WORLD
pytestmark = [
    pytest.mark.mpi,
    pytest.mark.skipif(COMM.Get_size() < 2, reason="needs >= 2 MPI ranks: run under mpiexec -n 2"),
]


def test_mpi4jax_allreduce_inside_jit():
    import jax
    import jax.numpy as jnp
    import mpi4jax

    @jax.jit
    def total(x):
        return mpi4jax.allreduce(x, op=MPI.SUM, comm=COMM)

    rank, size = COMM.Get_rank(), COMM.Get_size()
    out = np.asarray(total(jnp.full(4, rank + 1.0, dtype=jnp.float32)))
    np.testing.assert_allclose(out, np.full(4, size * (size + 1) / 2))


@pytest.mark.parametrize("dtype", ["float64", "int64", "float32", "int32"])
def test_workers_allreduce_keeps_dtype(dtype):
    from gfjax.pipeline.parallel import Workers

    w = Workers(mode="mpi")
    rank, size = w.rank, w.size
    x = np.array([rank + 1, 2 ** 40 if dtype.endswith("64") else 7, -rank], dtype)
    total = w.allreduce(x, "sum")
    assert total.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(total, np.array([size * (size + 1) // 2, size * x[1], -size * (size - 1) // 2], dtype))
    np.testing.assert_array_equal(w.allreduce(x, "max"), np.array([size, x[1], 0], dtype))
    scalar = w.allreduce(np.array(rank + 1, dtype), "sum")
    assert scalar.shape == () and scalar.dtype == np.dtype(dtype) and scalar == size * (size + 1) // 2
