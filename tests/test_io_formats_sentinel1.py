"""Sentinel-1 SAFE metadata: two real IW SLC product skeletons (../shared/data/sentinel1)."""
import shutil
import zipfile

import numpy as np
import pytest

from gfjax.io.sentinel1 import Sentinel1Error, find_annotations, read_sentinel1, relative_orbit

ASC = "S1A_IW_SLC__1SDV_20221016T015043_20221016T015111_045461_056FC0_6681.zip"
DSC = "S1A_IW_SLC__1SDV_20230108T135249_20230108T135316_046693_0598D3_BA76.zip"


def _zip(shared_data, name):
    path = shared_data / "sentinel1" / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_relative_orbit_formula():
    assert relative_orbit("S1A", 45461) == 64
    assert relative_orbit("s1a", 46693) == 71
    assert relative_orbit("S1B", 27) == 1 and relative_orbit("S1B", 202) == 1
    with pytest.raises(Sentinel1Error, match="mission"):
        relative_orbit("S2A", 100)


@pytest.mark.shared
def test_ascending_product(shared_data):
    s = read_sentinel1(_zip(shared_data, ASC))
    assert (s.mission, s.platform, s.mode, s.swath, s.polarisation) == ("S1A", "SENTINEL-1A", "IW", "IW2", "VV")
    assert s.pass_direction == "ASCENDING"
    assert s.platform_heading_deg == pytest.approx(-12.97917, abs=1e-5)
    assert s.incidence_mid_deg == pytest.approx(39.35714, abs=1e-5)
    assert s.incidence_near_deg == pytest.approx(36.34722, abs=1e-5)
    assert s.incidence_far_deg == pytest.approx(42.14190, abs=1e-5)
    assert s.range_pixel_spacing_m == pytest.approx(2.329562)
    assert s.azimuth_pixel_spacing_m == pytest.approx(13.94281)
    # range spacing is c / (2 fs); azimuth time interval ~ 1 / 486.5 Hz
    assert s.range_pixel_spacing_m == pytest.approx(299792458.0 / (2 * s.range_sampling_rate_hz), rel=1e-6)
    assert s.azimuth_time_interval_s == pytest.approx(2.0555563e-3)
    assert s.slant_range_time_s == pytest.approx(5.647294809510131e-3)
    assert s.near_range_m == pytest.approx(846508.196, abs=1e-3)
    assert s.radar_frequency_hz == pytest.approx(5.405000454e9)
    assert s.wavelength_m == pytest.approx(0.0554658, abs=1e-7)
    assert s.first_line_time == np.datetime64("2022-10-16T01:50:44.577283")
    assert s.last_line_time == np.datetime64("2022-10-16T01:51:09.741403")
    assert s.first_line_time.dtype == np.dtype("datetime64[ns]")
    assert (s.number_of_lines, s.number_of_samples) == (13572, 25470)
    assert (s.lines_per_burst, s.samples_per_burst) == (1508, 25470)
    assert len(s.bursts) == 9
    b0, b8 = s.bursts[0], s.bursts[-1]
    assert b0.azimuth_time == np.datetime64("2022-10-16T01:50:44.577282")
    assert b8.azimuth_time == np.datetime64("2022-10-16T01:51:06.643679")
    assert (b0.byte_offset, b8.byte_offset) == (108891, 1229189211)
    assert b0.valid_lines == (25, 1483) and b0.burst_id == 135518
    assert (s.absolute_orbit, s.relative_orbit) == (45461, 64)
    assert s.measurement.endswith("-005.tiff") and not s.measurement_present


@pytest.mark.shared
def test_descending_product(shared_data):
    s = read_sentinel1(_zip(shared_data, DSC), swath="IW2", polarisation="vv")
    assert s.pass_direction == "DESCENDING"
    assert s.platform_heading_deg == pytest.approx(-167.10199, abs=1e-5)
    assert s.incidence_mid_deg == pytest.approx(39.35004, abs=1e-5)
    assert (s.incidence_near_deg, s.incidence_far_deg) == pytest.approx((36.27439, 41.99847), abs=1e-5)
    assert (s.range_pixel_spacing_m, s.azimuth_pixel_spacing_m) == pytest.approx((2.329562, 13.94412))
    assert s.first_line_time == np.datetime64("2023-01-08T13:52:51.383925")
    assert s.last_line_time == np.datetime64("2023-01-08T13:53:16.543934")
    assert (s.lines_per_burst, s.samples_per_burst, len(s.bursts)) == (1509, 25359, 9)
    assert (s.absolute_orbit, s.relative_orbit) == (46693, 71)
    assert s.bursts[0].burst_id == 151227
    # the product starts with the first burst; bursts follow each other by 2.75–2.77 s (IW cycle)
    assert s.bursts[0].azimuth_time == s.first_line_time
    step = np.diff([b.azimuth_time for b in s.bursts]) / np.timedelta64(1, "ms")
    assert np.all((step > 2750) & (step < 2770)), step


@pytest.mark.shared
def test_safe_folder_and_errors(shared_data, tmp_path):
    with zipfile.ZipFile(_zip(shared_data, ASC)) as z:
        z.extractall(tmp_path)
    safe = next(tmp_path.glob("*.SAFE"))
    assert read_sentinel1(safe).relative_orbit == 64            # unzipped folder reads the same
    assert len(find_annotations(safe)) == 1
    with pytest.raises(Sentinel1Error, match=r"no annotation XML for swath IW1.*found: annotation/s1a-iw2"):
        read_sentinel1(safe, swath="IW1")
    ann = next((safe / "annotation").glob("*.xml"))
    text = ann.read_text()
    ann.write_text(text.replace("<productFirstLineUtcTime>2022-10-16T01:50:44.577283",
                                "<productFirstLineUtcTime>16/10/2022 01:50:44", 1))
    with pytest.raises(Sentinel1Error, match="productFirstLineUtcTime must be a UTC time"):
        read_sentinel1(safe)
    ann.write_text(text.replace("<productFirstLineUtcTime>2022-10-16T01:50:44.577283",
                                "<productFirstLineUtcTime>2022-10-16T25:50:44.577283", 1))
    with pytest.raises(Sentinel1Error, match="not a valid time"):
        read_sentinel1(safe)
    ann.write_text(text.replace("<linesPerBurst>1508<", "<linesPerBurst>1507<", 1))
    with pytest.raises(Sentinel1Error, match="linesPerBurst = 1507"):
        read_sentinel1(safe)
    ann.write_text(text.replace("<pass>Ascending<", "<pass>Descending<", 1))
    with pytest.raises(Sentinel1Error, match="manifest.safe says pass ASCENDING"):
        read_sentinel1(safe)
    shutil.rmtree(safe / "annotation")
    with pytest.raises(Sentinel1Error, match="no annotation XML.*found: none"):
        read_sentinel1(safe)
    only_manifest = tmp_path / "manifest_only.zip"
    with zipfile.ZipFile(only_manifest, "w") as z:
        z.write(safe / "manifest.safe", f"{safe.name}/manifest.safe")
    with pytest.raises(Sentinel1Error, match="no annotation XML"):
        read_sentinel1(only_manifest)


def test_not_a_product(tmp_path):
    with pytest.raises(Sentinel1Error, match="not found"):
        read_sentinel1(tmp_path / "missing.zip")
    (tmp_path / "x.SAFE").mkdir()
    with pytest.raises(Sentinel1Error, match="no manifest.safe"):
        read_sentinel1(tmp_path / "x.SAFE")
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(Sentinel1Error, match="not a SAFE folder or a zip"):
        read_sentinel1(tmp_path / "junk.zip")
