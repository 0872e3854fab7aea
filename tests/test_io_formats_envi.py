"""ENVI headers, raw rasters, ISCE VRT / .xml descriptors (ISCE3 ampcor test data + synthetic)."""
import shutil

import numpy as np
import pytest

from gfjax.io.envi import (EnviHeader, RawFormatError, RawLayout, read_envi, read_envi_header, read_raw,
                           write_envi, write_envi_header)
from gfjax.io.isce import isce_layout, read_isce_xml, read_vrt


def _ampcor(shared_data):
    folder = shared_data / "peers" / "isce3_ampcor"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


@pytest.mark.shared
def test_isce3_image_via_vrt_and_xml(shared_data):
    folder = _ampcor(shared_data)
    raw = np.fromfile(folder / "img1_WN_512x512_1x1_128", dtype="<c8").reshape(512, 512)
    via_vrt = read_vrt(folder / "img1_WN_512x512_1x1_128.vrt")
    assert via_vrt.shape == (512, 512) and via_vrt.dtype == np.dtype("<c8")
    np.testing.assert_array_equal(via_vrt, raw)
    data, layout = isce_layout(folder / "img1_WN_512x512_1x1_128.xml")
    assert data == folder / "img1_WN_512x512_1x1_128"
    assert (layout.samples, layout.lines, layout.bands, layout.interleave) == (512, 512, 1, "bil")
    np.testing.assert_array_equal(read_isce_xml(folder / "img1_WN_512x512_1x1_128.xml"), raw)


@pytest.mark.shared
def test_isce3_golden_envi(shared_data):
    golden = _ampcor(shared_data) / "golden"
    offsets, hdr = read_envi(golden / "dense_offsets")
    assert (hdr.samples, hdr.lines, hdr.bands, hdr.data_type, hdr.interleave, hdr.byte_order) == \
        (12, 13, 2, 4, "bip", 0)
    raw = np.fromfile(golden / "dense_offsets", dtype="<f4").reshape(13, 12, 2)
    assert offsets.shape == (2, 13, 12)
    np.testing.assert_array_equal(offsets, raw.transpose(2, 0, 1))
    snr, _ = read_envi(golden / "snr.hdr", mmap=False)                # header path works too
    assert snr.shape == (13, 12) and snr.dtype == np.float32 and snr.flags.c_contiguous
    assert read_envi(golden / "covariance")[0].shape == (3, 13, 12)


@pytest.mark.parametrize("interleave", ["bsq", "bil", "bip"])
@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<c8", "<i2", "<f8"])
def test_envi_round_trip(tmp_path, interleave, dtype):
    rng = np.random.default_rng(1)
    data = rng.normal(size=(3, 5, 7)) * 100
    data = (data + 1j * data[::-1] if np.dtype(dtype).kind == "c" else data).astype(dtype)
    order = 1 if dtype.startswith(">") else 0
    path = write_envi(tmp_path / "x.bin", data, interleave=interleave, byte_order=order,
                      band_names=["a", "b", "c"], description="test")
    assert path.stat().st_size == data.nbytes
    back, hdr = read_envi(path)
    assert (hdr.interleave, hdr.byte_order, hdr.band_names, hdr.description) == (interleave, order, ("a", "b", "c"), "test")
    assert back.dtype == np.dtype(dtype).newbyteorder("<" if order == 0 else ">")
    np.testing.assert_array_equal(back, data)
    one = write_envi(tmp_path / "one", data[1])
    np.testing.assert_array_equal(read_envi(one)[0], data[1])
    assert read_envi_header(tmp_path / "one.hdr").bands == 1


def test_envi_header_round_trip_and_errors(tmp_path):
    h = EnviHeader(4, 3, 2, 6, "bil", 1, 16, ("hh", "vv"), "two bands", (("map info", "{UTM, 1, 1}"),))
    write_envi_header(tmp_path / "h.hdr", h)
    assert read_envi_header(tmp_path / "h.hdr") == h
    text = (tmp_path / "h.hdr").read_text()
    for old, new, match in [("data type = 6", "data type = 7", "'data type' must be one of"),
                            ("byte order = 1\n", "", "missing field 'byte order'"),
                            ("interleave = bil", "interleave = bxx", "'interleave' must be one of"),
                            ("samples = 4", "samples = four", "'samples' must be an integer"),
                            ("ENVI\n", "", "first line must be 'ENVI'"),
                            ("{hh, vv}", "{hh}", "lists 1 names for 2 bands")]:
        (tmp_path / "bad.hdr").write_text(text.replace(old, new, 1))
        with pytest.raises(RawFormatError, match=match):
            read_envi_header(tmp_path / "bad.hdr")


def test_size_checks(tmp_path):
    data = np.arange(2 * 4 * 6, dtype=np.float32).reshape(2, 4, 6)
    path = write_envi(tmp_path / "d", data)
    raw = path.read_bytes()
    path.write_bytes(raw[:-4])
    with pytest.raises(RawFormatError, match=r"d: file is 188 bytes, header expects 192 bytes.*truncated"):
        read_envi(path)
    path.write_bytes(raw + b"\0" * 8)
    with pytest.raises(RawFormatError, match="file is 200 bytes, header expects 192 bytes"):
        read_envi(path)
    with pytest.raises(RawFormatError, match="no ENVI header"):
        read_envi(tmp_path / "nothing")
    with pytest.raises(RawFormatError, match="no ENVI data type code"):
        write_envi(tmp_path / "b", np.zeros((2, 2), bool))
    with pytest.raises(RawFormatError, match="raw data file not found"):
        read_raw(tmp_path / "nope", RawLayout(2, 2, 1, np.dtype("<f4")))


VRT = """<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">
{bands}</VRTDataset>"""
BAND = """  <VRTRasterBand dataType="{dt}" band="{b}" subClass="VRTRawRasterBand">
    <SourceFilename relativeToVRT="1">{name}</SourceFilename>
    <ByteOrder>{order}</ByteOrder>
    <ImageOffset>{image}</ImageOffset><PixelOffset>{pixel}</PixelOffset><LineOffset>{line}</LineOffset>
  </VRTRasterBand>
"""


def test_vrt_bil_two_bands_and_errors(tmp_path):
    rows, cols = 5, 6
    data = np.arange(2 * rows * cols, dtype=">f4").reshape(2, rows, cols)
    data.transpose(1, 0, 2).tofile(tmp_path / "off.bil")          # ISCE BIL: line, band, sample
    bands = "".join(BAND.format(dt="Float32", b=b + 1, name="off.bil", order="MSB", image=4 * cols * b,
                                pixel=4, line=8 * cols) for b in range(2))
    vrt = tmp_path / "off.bil.vrt"
    vrt.write_text(VRT.format(cols=cols, rows=rows, bands=bands))
    np.testing.assert_array_equal(read_vrt(vrt), data)
    shutil.copy(tmp_path / "off.bil", tmp_path / "full")
    with open(tmp_path / "off.bil", "ab") as f:
        f.write(b"\0" * 4)
    with pytest.raises(RawFormatError, match="describes 240 bytes"):
        read_vrt(vrt)
    np.testing.assert_array_equal(read_vrt(vrt, strict=False), data)
    (tmp_path / "off.bil").write_bytes((tmp_path / "full").read_bytes()[:-10])
    with pytest.raises(RawFormatError, match="file is 230 bytes.*needs 240 bytes.*truncated"):
        read_vrt(vrt)
    vrt.write_text(VRT.format(cols=cols, rows=rows, bands=bands.replace("Float32", "CInt16")))
    with pytest.raises(RawFormatError, match="band 1: dataType must be one of"):
        read_vrt(vrt)


def test_isce_xml_checks(tmp_path):
    xml = """<imageFile><property name="width"><value>4</value></property>
    <property name="length"><value>3</value></property><property name="number_bands"><value>1</value></property>
    <property name="data_type"><value>{dt}</value></property><property name="scheme"><value>BIL</value></property>
    <property name="byte_order"><value>l</value></property></imageFile>"""
    (tmp_path / "a.int.xml").write_text(xml.format(dt="CFLOAT"))
    data = (np.arange(12) * (1 + 1j)).astype("<c8").reshape(3, 4)
    data.tofile(tmp_path / "a.int")
    np.testing.assert_array_equal(read_isce_xml(tmp_path / "a.int.xml"), data)
    (tmp_path / "a.int.xml").write_text(xml.format(dt="FLOAT"))
    with pytest.raises(RawFormatError, match=r"a.int: file is 96 bytes, header expects 48 bytes"):
        read_isce_xml(tmp_path / "a.int.xml")
    (tmp_path / "a.int.xml").write_text(xml.format(dt="QUAD"))
    with pytest.raises(RawFormatError, match="'data_type' must be one of"):
        read_isce_xml(tmp_path / "a.int.xml")
