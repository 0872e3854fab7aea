"""HDF5 SLC stacks: both layouts round-trip; shape, dtype and date checks name what is wrong."""
import h5py
import numpy as np
import pytest

from gfjax.io.hdf5_stack import SlcStackError, read_slc_stack, slc_stack_info, write_slc_stack

DATES = np.array(["2022-10-04T01:50:44", "2022-10-16T01:50:44", "2022-10-28T01:50:45"], dtype="datetime64[s]")


def _slc(n=3, shape=(6, 9), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n,) + shape) + 1j * rng.normal(size=(n,) + shape)).astype(np.complex64)


@pytest.mark.parametrize("layout", ["cube", "per_date"])
def test_round_trip(tmp_path, layout):
    slc = _slc()
    path = write_slc_stack(tmp_path / "stack.h5", slc, DATES, layout=layout, attrs={"track": 64},
                           compression="gzip")
    info = slc_stack_info(path)
    assert (info.layout, info.shape) == (layout, (3, 6, 9))
    np.testing.assert_array_equal(info.dates, DATES)
    back, dates = read_slc_stack(path)
    assert back.dtype == np.complex64
    np.testing.assert_array_equal(back, slc)
    np.testing.assert_array_equal(dates, DATES)
    part, d = read_slc_stack(path, dates=DATES[[2, 0]], window=(slice(1, 4), slice(2, 8)))
    np.testing.assert_array_equal(part, slc[[2, 0], 1:4, 2:8])
    np.testing.assert_array_equal(d, DATES[[2, 0]])
    with h5py.File(path) as f:
        assert f.attrs["format"] == "gfjax-slc-stack" and f.attrs["track"] == 64
        if layout == "per_date":
            assert sorted(f["slc"]) == ["20221004T015044", "20221016T015044", "20221028T015045"]
        else:
            assert f["dates"][0] == b"2022-10-04T01:50:44"
    assert not list(tmp_path.glob(".stack.h5.*"))                     # no temporary left


def test_write_checks(tmp_path):
    with pytest.raises(SlcStackError, match="2 dates for 3 images"):
        write_slc_stack(tmp_path / "a.h5", _slc(), DATES[:2])
    with pytest.raises(SlcStackError, match="strictly increasing"):
        write_slc_stack(tmp_path / "a.h5", _slc(), DATES[[0, 2, 1]])
    with pytest.raises(SlcStackError, match="must be complex"):
        write_slc_stack(tmp_path / "a.h5", np.zeros((3, 2, 2), np.float32), DATES)
    with pytest.raises(SlcStackError, match="layout must be one of"):
        write_slc_stack(tmp_path / "a.h5", _slc(), DATES, layout="tiles")
    assert not (tmp_path / "a.h5").exists()


def test_read_checks(tmp_path):
    path = tmp_path / "s.h5"
    with h5py.File(path, "w") as f:
        f["slc"] = _slc()
        f["dates"] = np.array([b"2022-10-04", b"2022-10-16"])
    with pytest.raises(SlcStackError, match=r"s.h5: /dates has 2 dates, /slc has 3 images"):
        read_slc_stack(path)
    with h5py.File(path, "w") as f:
        f["slc"] = _slc()
        f["dates"] = np.array([b"2022-10-04", b"2022-10-16", b"2022-10-32"])
    with pytest.raises(SlcStackError, match=r"s.h5:/dates: date '2022-10-32' is not"):
        read_slc_stack(path)
    with h5py.File(path, "w") as f:
        f["slc"] = _slc().astype(np.complex128)
        f["dates"] = np.array([str(d).encode() for d in DATES])
    with pytest.raises(SlcStackError, match=r"s.h5:/slc: dtype must be complex64, got complex128"):
        read_slc_stack(path)
    with h5py.File(path, "w") as f:
        g = f.create_group("slc")
        g["20221004"] = _slc(1)[0]
        g["20221016"] = _slc(1, (5, 9))[0]
    with pytest.raises(SlcStackError, match=r"must share one \(azimuth, range\) shape"):
        read_slc_stack(path)
    write_slc_stack(path, _slc(), DATES)
    with pytest.raises(SlcStackError, match=r"dates \['2022-10-05T00:00:00'\] not in the stack"):
        read_slc_stack(path, dates=["2022-10-05"])
    (tmp_path / "t.h5").write_bytes(b"not hdf5")
    with pytest.raises(SlcStackError, match="not an HDF5 file"):
        read_slc_stack(tmp_path / "t.h5")
