"""GAMMA formats: round trips, files laid out as GAMMA writes them (big-endian, ISP .par keys),
and bad input (truncated, byte-swapped, size/par mismatch, bad dates) named by file and field."""
import dataclasses

import numpy as np
import pytest

from gfjax.geometry.grid import MapGrid
from gfjax.io import gamma, gamma_offsets
from gfjax.io.gamma import GammaFormatError, SlcParams
from gfjax.io.slc_formats import SLC_FORMATS, write_slc_geotiff

# An ISP image parameter file as GAMMA's par_S1_SLC writes it (trimmed), 6 lines x 5 samples.
GAMMA_PAR = """Gamma Interferometric SAR Processor (ISP) - Image Parameter File

title:     S1A_IW_SLC__1SDV_20170103T041027_20170103T041054_014661_017D8C_0A1B
sensor:    S1A IW2 VV
date:      2017 01 03
start_time:             15025.513374   s
center_time:            15027.040582   s
end_time:               15028.567790   s
azimuth_line_time:     2.0555019e-03   s
line_header_size:                  0
range_samples:                     5
azimuth_lines:                     6
range_looks:                       1
azimuth_looks:                     1
image_format:               FCOMPLEX
image_geometry:             SLANT_RANGE
range_scale_factor:     1.0000000e+00
azimuth_scale_factor:   1.0000000e+00
center_latitude:          63.2101234   degrees
center_longitude:       -150.9876543   degrees
heading:                 -19.0512345   degrees
range_pixel_spacing:        2.329562   m
azimuth_pixel_spacing:     13.968088   m
near_range_slc:         850000.0000  m
incidence_angle:             39.1234   degrees
azimuth_deskew:          ON
radar_frequency:        5.4050005e+09   Hz
state_vector_position_1:  -2361226.4523    -1405678.1234     6385123.4567   m   m   m
"""


def _complex(shape, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (scale * (rng.normal(size=shape) + 1j * rng.normal(size=shape))).astype(np.complex64)


def _params(**kw):
    base = dict(time=np.datetime64("2017-06-08T04:10:27"), range_samples=0, azimuth_lines=0,
                range_pixel_spacing=9.2, azimuth_pixel_spacing=59.6, heading=341.0, incidence_angle=39.0,
                title="T065 20170608", extra={"sensor": "gfjax simulator"})
    base.update(kw)
    return SlcParams(**base)


@pytest.mark.parametrize("fmt,scale", [("FCOMPLEX", 1.0), ("SCOMPLEX", 300.0)])
def test_slc_round_trip(tmp_path, fmt, scale):
    data = _complex((17, 23), scale=scale)
    if fmt == "SCOMPLEX":
        data = (np.rint(data.real) + 1j * np.rint(data.imag)).astype(np.complex64)
    path, par = gamma.write_slc(tmp_path / "20170608.rslc", data, _params(image_format=fmt))
    assert par.name == "20170608.rslc.par"
    assert path.stat().st_size == data.size * (8 if fmt == "FCOMPLEX" else 4)
    back, p = gamma.read_slc(path)
    assert back.dtype == np.complex64 and np.array_equal(back, data)
    assert p == _params(image_format=fmt, range_samples=23, azimuth_lines=17)
    assert p.extra["sensor"] == "gfjax simulator"
    # the parameter file is GAMMA's: title line, "key:  value  unit"
    text = par.read_text().splitlines()
    assert text[0] == gamma.ISP_IMAGE_TITLE and text[1] == ""
    assert any(line.startswith("range_pixel_spacing:") and line.endswith(" m") for line in text)
    assert any(line.split() == ["date:", "2017", "06", "08"] for line in text)


def test_reads_files_laid_out_as_gamma_writes_them(tmp_path):
    data = _complex((6, 5), seed=3)
    (tmp_path / "20170103.rslc.par").write_text(GAMMA_PAR)
    # big-endian float32 pairs (real, imag), row-major: written without gfjax
    np.stack([data.real, data.imag], -1).astype(">f4").tofile(tmp_path / "20170103.rslc")
    back, p = gamma.read_slc(tmp_path / "20170103.rslc")
    assert np.array_equal(back, data)
    assert p.shape == (6, 5) and p.image_format == "FCOMPLEX"
    assert p.time == np.datetime64("2017-01-03T04:10:27")  # date + center_time, to the second
    assert p.heading == -19.0512345 and p.incidence_angle == 39.1234
    assert p.range_pixel_spacing == 2.329562 and p.azimuth_pixel_spacing == 13.968088
    assert p.extra["state_vector_position_1"].startswith("-2361226.4523")
    meta = SLC_FORMATS["gamma"].read_meta(tmp_path / "20170103.rslc.par")
    assert meta.shape == (6, 5) and meta.heading_deg == -19.0512345 and meta.data_path.name == "20170103.rslc"
    # SCOMPLEX: big-endian int16 pairs
    ints = np.array([[1, -2, 300, 4], [-5, 6, 7, -8]], ">i2")
    (tmp_path / "s.slc.par").write_text(GAMMA_PAR.replace("FCOMPLEX", "SCOMPLEX").replace(
        "range_samples:                     5", "range_samples:                     2").replace(
        "azimuth_lines:                     6", "azimuth_lines:                     2"))
    ints.tofile(tmp_path / "s.slc")
    back, _ = gamma.read_slc(tmp_path / "s.slc")
    assert np.array_equal(back, np.array([[1 - 2j, 300 + 4j], [-5 + 6j, 7 - 8j]], np.complex64))


def _write_good(tmp_path, shape=(20, 30)):
    data = _complex(shape, seed=1)
    path, par = gamma.write_slc(tmp_path / "20170608.rslc", data, _params())
    return data, path, par


def test_truncated_file_names_file_and_sizes(tmp_path):
    _, path, par = _write_good(tmp_path)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(GammaFormatError) as err:
        gamma.read_slc(path)
    msg = str(err.value)
    assert str(path) in msg and "truncated" in msg and "range_samples=30" in msg and str(par) in msg


def test_wrong_byte_order_is_detected(tmp_path):
    data, path, _ = _write_good(tmp_path)
    np.stack([data.real, data.imag], -1).astype("<f4").tofile(path)  # little-endian
    with pytest.raises(GammaFormatError, match="byte-swapped") as err:
        gamma.read_slc(path)
    assert str(path) in str(err.value)
    ints = np.rint(np.stack([data.real, data.imag], -1) * 50).astype("<i2")
    gamma.write_slc_par(tmp_path / "s.slc.par", _params(image_format="SCOMPLEX", range_samples=30, azimuth_lines=20))
    ints.tofile(tmp_path / "s.slc")
    with pytest.raises(GammaFormatError, match="byte-swapped"):
        gamma.read_slc(tmp_path / "s.slc")


def _set_field(par, field, value):
    lines = [f"{field}:   {value}" if line.startswith(f"{field}:") else line for line in par.read_text().splitlines()]
    par.write_text("\n".join(lines) + "\n")


def test_par_whose_size_disagrees(tmp_path):
    _, path, par = _write_good(tmp_path)
    _set_field(par, "range_samples", 31)
    with pytest.raises(GammaFormatError) as err:
        gamma.read_slc(path)
    assert "range_samples=31" in str(err.value) and str(par) in str(err.value) and "truncated" in str(err.value)
    _set_field(par, "range_samples", 30)
    _set_field(par, "image_format", "SCOMPLEX")
    with pytest.raises(GammaFormatError, match="larger than described"):
        gamma.read_slc(path)


@pytest.mark.parametrize("field,bad,expect", [
    ("date", "2017 13 45", "'date'"),
    ("date", "yesterday", "'date'"),
    ("center_time", "90000000.0 s", "'center_time'"),
    ("range_samples", "30.5", "'range_samples'"),
    ("image_format", "FLOAT", "'image_format'"),
    ("azimuth_pixel_spacing", "-3 m", "'azimuth_pixel_spacing'"),
])
def test_bad_fields_are_named(tmp_path, field, bad, expect):
    _, path, par = _write_good(tmp_path)
    _set_field(par, field, bad)
    with pytest.raises(GammaFormatError) as err:
        gamma.read_slc(path)
    assert expect in str(err.value) and str(par) in str(err.value)


def test_missing_field_and_file(tmp_path):
    _, path, par = _write_good(tmp_path)
    par.write_text("\n".join(l for l in par.read_text().splitlines() if not l.startswith("azimuth_lines")))
    with pytest.raises(GammaFormatError, match="'azimuth_lines' missing"):
        gamma.read_slc(path)
    with pytest.raises(GammaFormatError, match="not found"):
        gamma.read_slc(tmp_path / "nothing.rslc")


def _offsets_dataset(shape=(5, 7), window=(16, 48), step=(8, 16), first=(14, 20)):
    import xarray as xr

    rng = np.random.default_rng(2)
    az = rng.normal(size=shape).astype(np.float32)
    rg = rng.normal(size=shape).astype(np.float32)
    az[1, 2] = rg[1, 2] = np.nan
    peak = rng.uniform(0.2, 0.9, shape).astype(np.float32)
    ca = first[0] + (window[0] - 1) / 2 + step[0] * np.arange(shape[0])
    cr = first[1] + (window[1] - 1) / 2 + step[1] * np.arange(shape[1])
    dims = ("azimuth", "range")
    return xr.Dataset({"azimuth_offset": (dims, az), "range_offset": (dims, rg), "peak": (dims, peak)},
                      coords={"azimuth": ca, "range": cr}, attrs={"window": list(window)})


def test_offsets_round_trip_and_dataset_layout(tmp_path):
    ds = _offsets_dataset()
    offs, ccp, off = gamma_offsets.write_offsets_dataset(ds, tmp_path / "20170608_20170702")
    assert (offs.name, ccp.name, off.name) == ("20170608_20170702.offs", "20170608_20170702.ccp",
                                               "20170608_20170702.off")
    assert offs.stat().st_size == 5 * 7 * 8 and ccp.stat().st_size == 5 * 7 * 4
    # fcomplex big-endian: real = range, imag = azimuth; rejected estimates are 0 with ccp 0
    raw = np.fromfile(offs, ">f4").reshape(5, 7, 2)
    np.testing.assert_array_equal(raw[0, 0], [ds["range_offset"].values[0, 0], ds["azimuth_offset"].values[0, 0]])
    assert raw[1, 2].tolist() == [0.0, 0.0] and np.fromfile(ccp, ">f4").reshape(5, 7)[1, 2] == 0.0
    p = gamma_offsets.read_offset_par(off)
    assert (p.starting_azimuth, p.starting_range, p.azimuth_spacing, p.range_spacing) == (14, 20, 8, 16)
    assert (p.window_height, p.window_width, p.shape) == (16, 48, (5, 7))
    back = gamma_offsets.offsets_dataset(tmp_path / "20170608_20170702")
    for v in ("azimuth_offset", "range_offset"):
        np.testing.assert_array_equal(back[v].values, ds[v].values)
    np.testing.assert_array_equal(back["azimuth"].values, ds["azimuth"].values)
    np.testing.assert_array_equal(back["range"].values, ds["range"].values)
    assert back["reason"].values[1, 2] == 4 and (back["reason"].values == 0).sum() == 34
    assert set(gamma_offsets.DATASET_VARS) <= set(back.data_vars)
    assert gamma_offsets.read_offset_par(off) == p  # parameter file round trip


def test_offsets_as_gamma_writes_them(tmp_path):
    """An offset parameter file in GAMMA's words (threshhold spelling, polynomial), a ccp below
    the threshold marks a rejected estimate; byte-swapped and truncated files are named."""
    text = """Gamma Interferometric SAR Processor (ISP)
Interferogram and Image Offset Parameter File

title:	20170608_20170702
initial_range_offset:                    0
initial_azimuth_offset:                  0
offset_estimation_range_samples:         3
offset_estimation_azimuth_samples:       2
offset_estimation_starting_range:        0
offset_estimation_ending_range:        127
offset_estimation_range_spacing:        32
offset_estimation_starting_azimuth:      4
offset_estimation_ending_azimuth:       99
offset_estimation_azimuth_spacing:      16
offset_estimation_window_width:         64
offset_estimation_window_height:        64
offset_estimation_threshhold:      0.10000
range_offset_polynomial:         0.50000   0.0000e+00   0.0000e+00   0.0000e+00   0.0000e+00   0.0000e+00
azimuth_offset_polynomial:      -0.25000   1.0000e-03   0.0000e+00   0.0000e+00   0.0000e+00   0.0000e+00
"""
    (tmp_path / "a_b.off").write_text(text)
    offs = np.array([[[1.5, -0.5], [2.0, 0.25], [0, 0]], [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]])
    offs.astype(">f4").tofile(tmp_path / "a_b.offs")
    np.array([[0.5, 0.05, 0.0], [0.3, 0.3, 0.3]]).astype(">f4").tofile(tmp_path / "a_b.ccp")
    az, rg, ccp, p = gamma_offsets.read_offsets(tmp_path / "a_b")
    assert p.threshold == 0.1 and p.range_offset_polynomial[0] == 0.5
    assert rg[0, 0] == 1.5 and az[0, 0] == -0.5 and np.isnan(rg[0, 1]) and np.isnan(az[0, 2])
    ca, cr = p.centres()
    np.testing.assert_array_equal(ca, [35.5, 51.5])
    np.testing.assert_array_equal(cr, [31.5, 63.5, 95.5])
    assert gamma_offsets.offset_polynomial(p.azimuth_offset_polynomial, 0.0, 100.0) == pytest.approx(-0.15)
    # little-endian offsets (random mantissas: read big-endian, their exponents are absurd)
    np.random.default_rng(0).normal(size=(2, 3, 2)).astype("<f4").tofile(tmp_path / "a_b.offs")
    with pytest.raises(GammaFormatError, match="byte-swapped"):
        gamma_offsets.read_offsets(tmp_path / "a_b")
    (tmp_path / "a_b.ccp").write_bytes(b"\0" * 20)
    offs.astype(">f4").tofile(tmp_path / "a_b.offs")
    with pytest.raises(GammaFormatError, match=r"a_b\.ccp: 20 bytes.*implies 24"):
        gamma_offsets.read_offsets(tmp_path / "a_b")
    (tmp_path / "a_b.off").write_text(text.replace("offset_estimation_range_spacing:        32",
                                                   "offset_estimation_range_spacing:         0"))
    with pytest.raises(GammaFormatError, match="offset_estimation_range_spacing"):
        gamma_offsets.read_offsets(tmp_path / "a_b")


def test_dem_round_trip(tmp_path):
    grid = MapGrid(32605, 612000.0, 7016000.0, 200.0, 7, 4)
    dem = np.arange(28, dtype=np.float32).reshape(4, 7) * 10
    gamma.write_dem(tmp_path / "dem", dem, grid)
    assert (tmp_path / "dem").stat().st_size == 28 * 4
    back, g = gamma.read_dem(tmp_path / "dem")
    assert g == grid and np.array_equal(back, dem)
    assert "corner_north:" in (tmp_path / "dem.par").read_text()


def test_geotiff_slc_round_trip(tmp_path):
    data = _complex((9, 11), seed=4)
    path = write_slc_geotiff(tmp_path / "20170608.slc.tif", data, np.datetime64("2017-06-08T04:10:27"), 59.6, 9.2,
                             heading_deg=341.0, incidence_deg=39.0)
    fmt = SLC_FORMATS["geotiff"]
    meta = fmt.read_meta(path)
    assert meta.time == np.datetime64("2017-06-08T04:10:27") and meta.shape == (9, 11)
    assert (meta.azimuth_spacing_m, meta.range_spacing_m, meta.heading_deg) == (59.6, 9.2, 341.0)
    assert np.array_equal(fmt.read_data(meta), data)


def test_write_rejects_bad_data(tmp_path):
    with pytest.raises(ValueError, match="complex"):
        gamma.write_slc(tmp_path / "x.rslc", np.zeros((3, 3), np.float32), _params())
    with pytest.raises(ValueError, match="int16"):
        gamma.write_slc(tmp_path / "x.rslc", _complex((3, 3)) * 1e6, _params(image_format="SCOMPLEX"))
    p = dataclasses.replace(_params(), image_format="FCOMPLEX")
    assert gamma.read_slc(gamma.write_slc(tmp_path / "y.rslc", _complex((2, 2)), p)[0])[1].shape == (2, 2)
