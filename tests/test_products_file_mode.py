"""Files written atomically (temporary + rename: products, report.json, HDF5 stacks) get the
mode a plain open() gives under the user's umask, not mkstemp's 0600."""
import os
import stat

import numpy as np
import pytest
import xarray as xr


@pytest.fixture(params=[0o022, 0o027])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_writes_respect_the_umask(tmp_path, umask):
    from gfjax.io.hdf5_stack import write_slc_stack
    from gfjax.pipeline.provenance import atomic_write_json
    from gfjax.pipeline.stages.offsets import write_dataset_atomic

    want = 0o666 & ~umask
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert mode(plain) == want
    assert mode(atomic_write_json(tmp_path / "report.json", {"a": 1})) == want
    ds = xr.Dataset({"v": (("y", "x"), np.zeros((2, 2), np.float32))})
    assert mode(write_dataset_atomic(ds, tmp_path / "products" / "mean_velocity.nc")) == want
    slc = np.ones((1, 4, 4), np.complex64)
    assert mode(write_slc_stack(tmp_path / "s.slc.h5", slc, ["2017-01-03T00:00:00"])) == want
    assert not list(tmp_path.rglob(".*.tmp"))
