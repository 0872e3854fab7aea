"""PyCuAmpcor / ISCE dense-offset outputs: ISCE3's goldens, round trips, size and grid checks."""
import numpy as np
import pytest
import xarray as xr

from gfjax.io.ampcor import read_dense_offsets, write_dense_offsets
from gfjax.io.envi import RawFormatError, write_envi

ISCE3_GRID = dict(first_window=(20, 20), step=(32, 32), window=(32, 64))


def _golden(shared_data):
    folder = shared_data / "peers" / "isce3_ampcor" / "golden"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


@pytest.mark.shared
def test_read_isce3_golden(shared_data, tmp_path):
    folder = _golden(shared_data)
    ds = read_dense_offsets(folder, **ISCE3_GRID)
    assert dict(ds.sizes) == {"azimuth": 13, "range": 12}
    raw = np.fromfile(folder / "dense_offsets", dtype="<f4").reshape(13, 12, 2)
    np.testing.assert_array_equal(ds.azimuth_offset.values, raw[..., 0])
    np.testing.assert_array_equal(ds.range_offset.values, raw[..., 1])
    cov = np.fromfile(folder / "covariance", dtype="<f4").reshape(13, 12, 3)
    np.testing.assert_array_equal(ds.cov_cross.values, cov[..., 2])
    # window centres: 20 + 32 i + 15.5 (azimuth), 20 + 32 j + 31.5 (range), like track_offsets
    np.testing.assert_array_equal(ds.azimuth.values, 35.5 + 32 * np.arange(13))
    np.testing.assert_array_equal(ds["range"].values, 51.5 + 32 * np.arange(12))
    assert ds.valid.all() and (ds.prior_azimuth == 0).all() and (ds.prior_range == 0).all()
    assert float(ds.peak.min()) > 0.3 and float(ds.peak.max()) < 0.7
    assert (ds.cov_azimuth > 0).all() and (ds.cov_range > 0).all() and (ds.snr > 1).all()
    # ISCE3 small known offset: mean offsets within ±0.05 px
    assert abs(float(ds.azimuth_offset.mean())) < 0.05 and abs(float(ds.range_offset.mean())) < 0.05
    write_dense_offsets(ds, tmp_path)
    xr.testing.assert_identical(read_dense_offsets(tmp_path), ds)   # grid from the headers


def test_round_trip_tracker_like(tmp_path):
    rng = np.random.default_rng(3)
    shape = (4, 5)
    grid = dict(first_window=(8, 16), step=(4, 8), window=(16, 32))
    centres = {d: grid["first_window"][i] + grid["step"][i] * np.arange(shape[i]) + (grid["window"][i] - 1) / 2
               for i, d in enumerate(("azimuth", "range"))}
    dims = ("azimuth", "range")
    values = {v: (dims, rng.normal(size=shape).astype(np.float32)) for v in
              ("azimuth_offset", "range_offset", "snr", "peak", "cov_azimuth", "cov_range", "cov_cross",
               "prior_azimuth", "prior_range")}
    values["azimuth_offset"][1][2, 3] = np.nan
    values["reason"] = (dims, np.zeros(shape, np.int8))
    ds = xr.Dataset(values, coords=centres, attrs={k: list(v) for k, v in grid.items()})
    written = write_dense_offsets(ds, tmp_path / "out")
    assert sorted(written) == ["correlation_peak", "covariance", "dense_offsets", "gross_offsets", "snr"]
    assert (tmp_path / "out" / "dense_offsets").stat().st_size == 4 * 5 * 2 * 4
    assert "gfjax window = {16, 32}" in (tmp_path / "out" / "dense_offsets.hdr").read_text()
    back = read_dense_offsets(tmp_path / "out")
    for v in values:
        if v != "reason":
            np.testing.assert_array_equal(back[v].values, ds[v].values)
    assert not back.valid.values[2, 3] and back.valid.sum() == 19
    np.testing.assert_array_equal(back.azimuth.values, centres["azimuth"])
    assert back.attrs["window"] == [16, 32]
    with pytest.raises(ValueError, match=r"step=\(4, 4\) disagrees with the headers' \(4, 8\)"):
        read_dense_offsets(tmp_path / "out", step=(4, 4))
    with pytest.raises(ValueError, match="range coordinates"):
        write_dense_offsets(ds, tmp_path / "bad", window=(16, 30))


def test_checks(tmp_path):
    off = np.zeros((2, 3, 4), np.float32)
    write_envi(tmp_path / "dense_offsets", off)
    with pytest.raises(ValueError, match="first_window .* is not in the headers"):
        read_dense_offsets(tmp_path)
    write_envi(tmp_path / "snr", np.zeros((3, 5), np.float32))
    with pytest.raises(RawFormatError, match=r"snr.hdr: snr is 3 lines × 5 samples, dense_offsets is 3 × 4"):
        read_dense_offsets(tmp_path, **ISCE3_GRID)
    write_envi(tmp_path / "snr", np.zeros((2, 3, 4), np.float32))
    with pytest.raises(RawFormatError, match="snr must have 1 bands, header says 2"):
        read_dense_offsets(tmp_path, **ISCE3_GRID)
    (tmp_path / "snr").unlink()
    (tmp_path / "dense_offsets").write_bytes((tmp_path / "dense_offsets").read_bytes()[:-8])
    with pytest.raises(RawFormatError, match="file is 88 bytes, header expects 96 bytes"):
        read_dense_offsets(tmp_path, **ISCE3_GRID)
    with pytest.raises(RawFormatError, match="dense offsets file not found"):
        read_dense_offsets(tmp_path / "none", **ISCE3_GRID)
