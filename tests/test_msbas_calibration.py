"""C_FLAG calibration (calibration.py for the pipeline; v10 forms in the header) and MC_FLAG in the CLI."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio

from gfjax.msbas.calibration import auto_reference, calibrate
from gfjax.msbas.cli import run
from gfjax.io.msbas_header import HeaderError, parse_header
from test_msbas_cli import _tif, make_case


def test_calibration_methods():
    rng = np.random.default_rng(0)
    maps = rng.normal(0, 0.01, (3, 20, 20)) + np.array([1.0, -2.0, 0.5])[:, None, None]
    maps[:, 10:, 10:] += np.array([5.0, 0.0, 9.0])[:, None, None]   # a "moving" quadrant
    maps[1, 0, 0] = np.nan
    out, off, kept = calibrate(maps, "boxes", [(0, 0, 5, 5), (0, 5, 5, 5)])
    np.testing.assert_allclose(off, [1.0, -2.0, 0.5], atol=0.005)
    assert kept.all()
    _, off, _ = calibrate(maps, "mean")
    np.testing.assert_allclose(off, np.array([1.0, -2.0, 0.5]) + np.array([5, 0, 9]) / 4,
                               atol=0.01)
    ref = auto_reference(maps)
    assert ref.any() and not ref[10:, 10:].all()
    _, off, _ = calibrate(maps, "auto")
    np.testing.assert_allclose(off, [1.0, -2.0, 0.5], atol=0.01)
    out, off, kept = calibrate(maps, "none")
    assert out is maps and kept.all()
    maps[2, :5, :5] = np.nan
    _, _, kept = calibrate(maps, "boxes", [(0, 0, 5, 5)])
    assert kept.tolist() == [True, True, False]               # no valid reference pixel


def test_cflag_boxes_parsed_and_checked(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4)
    """MSBAS v10 form: n, then (column, row) of each box centre (full image), then half-sizes."""
    text = header.read_text().replace("\nC_FLAG=0\n", "\nC_FLAG=2, 0, 0, 3, 2, 2, 1\n")
    header.write_text(text)
    h = parse_header(header)
    assert h.calibration == "boxes" and h.boxes == [(0, 0, 2, 1), (3, 2, 2, 1)]
    header.write_text(text.replace("C_FLAG=2, 0, 0, 3, 2, 2, 1", "C_FLAG=1, 5, 3, 2, 2"))
    with pytest.raises(HeaderError, match=r"header.txt:4: C_FLAG box 1 centre \(column 5, row 3\) is outside"):
        parse_header(header)
    header.write_text(text.replace("C_FLAG=2, 0, 0, 3, 2, 2, 1", "C_FLAG=2, 0, 0, 2, 2"))
    with pytest.raises(HeaderError, match=r"C_FLAG=2 expects 6 more values"):
        parse_header(header)
    header.write_text(text.replace("C_FLAG=2, 0, 0, 3, 2, 2, 1", "C_FLAG=100"))
    with pytest.raises(HeaderError, match=r"C_FLAG=100 needs more values .*MSBAS v10 stops"):
        parse_header(header)
    header.write_text(text.replace("C_FLAG=2, 0, 0, 3, 2, 2, 1", "C_FLAG=100, 2, 1"))
    assert parse_header(header).calibration == "zscore" and parse_header(header).zscore_half == (2, 1)


def test_mc_flag_drops_poorly_covered_map(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=5)
    sparse = np.zeros((4, 5))                                 # 0 = no data
    sparse[0, :2] = 0.01
    _tif(tmp_path / "m_0_range_1.tif", sparse)                # coverage 0.1 < MC_FLAG 0.5
    out = tmp_path / "out"
    out.mkdir()
    run(header, out)
    log = (out / "MSBAS_LOG.txt").read_text()
    assert "list_0_range.txt:2" in log and "coverage 0.100000 < MC_FLAG 0.5" in log
    with rasterio.open(out / "MSBAS_RANK.tif") as src:
        assert src.read(1).min() > 0
