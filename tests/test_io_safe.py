"""Sentinel-1 SAFE products read through xarray-sentinel (gfjax.io.safe) and orbit files (gfjax.io.orbit),
on the real Terceira crop built into a SAFE folder / zip (tests/terceira.py) and its real RESORB file."""
import logging
import shutil
import zipfile

import numpy as np
import pytest

from gfjax.io.orbit import OrbitError, choose_orbit, find_orbit_file, read_eof
from gfjax.io.safe import Sentinel1Error, open_safe, read_swath
from terceira import CROP_LINE, CROP_SAMPLE, build_safe, terceira_dir, zip_safe

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def terceira(shared_data, tmp_path_factory):
    """(SAFE folder, zip of it, crop) of the real Terceira IW3 VV product."""
    dest = tmp_path_factory.mktemp("terceira")
    root, crop = build_safe(shared_data, dest)
    return root, zip_safe(root, dest), crop


def test_terceira_metadata_bursts_and_valid_samples(terceira):
    s = read_swath(terceira[0])
    assert (s.mission, s.swath, s.polarisation, s.pass_direction) == ("S1A", "IW3", "VV", "DESCENDING")
    assert (s.absolute_orbit, s.relative_orbit) == (45056, 9)
    assert (s.number_of_lines, s.number_of_samples, s.lines_per_burst, len(s.bursts)) == (13626, 24203, 1514, 9)
    assert s.measurement_present and s.measurement.startswith("measurement/s1a-iw3-slc-vv-")
    # the crop lies in burst 7 (index 6, swath lines 9084–10597), inside its valid lines and samples
    b = s.bursts[6]
    assert (b.first_line, b.lines, b.azimuth_time) == (9084, 1514, np.datetime64("2022-09-18T07:49:38.058734"))
    assert b.valid_lines == (26, 1489) and b.valid_samples == (243, 23912)
    first, last = CROP_LINE - b.first_line, CROP_LINE - b.first_line + 600
    assert b.valid_lines[0] <= first and last <= b.valid_lines[1]
    assert b.valid_samples[0] <= CROP_SAMPLE and CROP_SAMPLE + 1400 <= b.valid_samples[1]
    assert s.azimuth_time_interval_s == pytest.approx(2.055556299999998e-03)
    assert s.slant_range_time_s == pytest.approx(6.018535512387027e-03)
    assert s.range_sampling_rate_hz == pytest.approx(6.434523812571428e07)
    assert s.radar_frequency_hz == pytest.approx(5.40500045433435e09)
    # xarray-sentinel groups: orbit, Doppler centroid, FM rate, geolocation grid
    assert s.orbit.time.shape == (17,) and s.orbit.source == "annotation"
    assert s.geolocation.latitude.shape == (10, 21) and list(s.geolocation.line.values[:2]) == [0, 1514]
    assert s.dc_estimate.data_dc_polynomial.shape[1] == 3 and s.azimuth_fm_rate.azimuth_fm_rate_polynomial.shape[1] == 3
    poly = s.polynomials(6)
    assert set(poly) == {"dc_t0", "dc", "fm_t0", "fm"} and -2500 < poly["fm"][0] < -2000   # IW3 FM rate, Hz/s


def test_read_window_returns_the_crop_at_its_place(terceira):
    root, zipped, crop = terceira
    for path in (root, zipped):                     # folder, and /vsizip/ inside the zip
        s = read_swath(path)
        l0 = CROP_LINE - s.bursts[6].first_line
        block = s.read_window(6, (l0, l0 + 601), (CROP_SAMPLE, CROP_SAMPLE + 1401))
        assert block.dtype == np.complex64 and np.array_equal(block, crop)
    sub = s.read_window(6, (l0 + 100, l0 + 132), (CROP_SAMPLE + 500, CROP_SAMPLE + 564))
    assert np.array_equal(sub, crop[100:132, 500:564])
    edge = s.read_window(6, (l0 - 2, l0 + 2), (CROP_SAMPLE - 3, CROP_SAMPLE + 3))   # sparse: zeros outside
    assert np.all(edge[:2] == 0) and np.all(edge[:, :3] == 0) and np.array_equal(edge[2:, 3:], crop[:2, :3])
    with pytest.raises(Sentinel1Error, match=r"lines must satisfy .*linesPerBurst 1514, got \(1500, 1600\)"):
        s.read_window(6, (1500, 1600), (0, 10))
    with pytest.raises(Sentinel1Error, match=r"burst must be in 0…8, got 9"):
        s.read_window(9, (0, 10), (0, 10))


def test_polarisation_choice_and_missing_measurement(shared_data, tmp_path):
    vh = "s1a-iw3-slc-vh-20220918t074921-20220918t074946-045056-056232-003.xml"
    root, _ = build_safe(shared_data, tmp_path, extra_annotations=[vh])
    product = open_safe(root)
    assert product.swaths == ("IW3",) and product.polarisations == ("VH", "VV")
    assert product.swath().annotation.startswith("annotation/s1a-iw3-slc-vv")          # VV preferred
    assert product.swath(polarisation="vh").annotation == f"annotation/{vh}"
    next((root / "measurement").glob("*.tiff")).unlink()
    s = product.swath("IW3", "VV")
    assert not s.measurement_present
    with pytest.raises(Sentinel1Error, match="measurement raster measurement/s1a-iw3.* is not in the product"):
        s.read_window(6, (0, 10), (0, 10))


def test_orbit_file_read_and_chosen(shared_data, terceira, tmp_path, caplog):
    folder = terceira_dir(shared_data)
    eof = next(folder.glob("*RESORB*.EOF"))
    v = read_eof(eof)
    assert v.source == "RESORB" and v.time.shape == (1186,) and v.position.shape == (1186, 3)
    assert np.all(np.diff(v.time) == np.timedelta64(10, "s"))
    assert 7.0e6 < np.linalg.norm(v.position[0]) < 7.1e6 and 7.7e3 > np.linalg.norm(v.velocity[0]) > 7.4e3
    start, stop = np.datetime64("2022-09-18T07:49:21.5"), np.datetime64("2022-09-18T07:49:46.7")
    ann = read_swath(terceira[0]).orbit
    choice = choose_orbit(ann, "S1A", start, stop, [folder])
    assert choice.report == {"orbit_source": "RESORB", "orbit_file": str(eof), "orbit_fallback": False,
                             "orbit_warning": None}
    assert choice.vectors.covers(start, stop, 50.0) and choice.vectors.time.size == 15
    # POEORB preferred over RESORB; another mission's or a non-covering file is not taken
    poe = tmp_path / "S1A_OPER_AUX_POEORB_OPOD_20221008T081547_V20220917T225942_20220919T005942.EOF"
    shutil.copy(eof, poe)
    shutil.copy(eof, tmp_path / "S1B_OPER_AUX_POEORB_OPOD_20221008T081547_V20220917T225942_20220919T005942.EOF")
    assert find_orbit_file([folder, tmp_path], "S1A", start, stop) == poe
    with caplog.at_level(logging.WARNING, logger="gfjax.io.orbit"):
        late = choose_orbit(ann, "S1A", start + np.timedelta64(2, "D"), stop + np.timedelta64(2, "D"), [folder])
    assert late.fallback and late.source == "annotation" and "using the annotation's state vectors" in caplog.text
    assert late.report["orbit_warning"] == late.warning
    # a file that names the acquisition but holds too few vectors is an error, not a silent fallback
    bad = tmp_path / "bad" / "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF"
    bad.parent.mkdir()
    text = eof.read_text()
    cut = text.index("<OSV>", text.index("UTC=2022-09-18T07:30:05"))
    bad.write_text(text[:cut] + "</List_of_OSVs></Data_Block></Earth_Explorer_File>")
    with pytest.raises(OrbitError, match="do not cover the acquisition"):
        choose_orbit(ann, "S1A", start, stop, [bad.parent])
    bad.write_text(text.replace("<X unit=\"m\">", "<X unit=\"m\">x", 1))
    with pytest.raises(OrbitError, match="OSV 0: field X must be a number"):
        read_eof(bad)


def test_truncated_and_corrupt_zips_name_the_file(terceira, tmp_path):
    data = terceira[1].read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(Sentinel1Error, match=r"truncated.zip: not a SAFE folder or a zip file"):
        open_safe(truncated)
    # a damaged annotation member inside an intact zip (stored uncompressed: the CRC check fails)
    corrupt = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(terceira[1]) as src, zipfile.ZipFile(corrupt, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename), zipfile.ZIP_STORED)
    raw = bytearray(corrupt.read_bytes())
    at = raw.index(b"<geolocationGrid>")
    raw[at + 1:at + 6] = b"XXXXX"
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(Sentinel1Error, match=r"corrupt.zip: cannot read annotation/s1a-iw3-slc-vv-.*truncated or corrupt"):
        read_swath(corrupt)
