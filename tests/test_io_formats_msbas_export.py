"""MSBAS v10 export: the folder written parses with gfjax.msbas.header and reads back the maps."""
import datetime as dt
import warnings

import numpy as np
import pytest

from gfjax.geometry import MapGrid
from gfjax.io.msbas_export import MsbasSet, export_msbas, msbas_time, read_msbas_inputs
from gfjax.msbas.header import parse_header
from gfjax.msbas.synthetic import projection

GRID = MapGrid(32605, 390000.0, 7030000.0, 100.0, 7, 5)


def _map(seed):
    m = np.random.default_rng(seed).normal(size=GRID.shape).astype(np.float32)
    m[seed % 5, seed % 7] = np.nan
    return m


def _sets():
    asc = ["2022-10-04", "2022-10-16", "2022-10-28"]
    dsc = [dt.date(2022, 10, 8), dt.date(2022, 10, 20), dt.date(2022, 11, 1)]
    return [
        MsbasSet("range", -12.979174, 39.357139, [(asc[0], asc[1], _map(1)), (asc[1], asc[2], _map(2)),
                                                 (asc[0], asc[2], _map(3))], hhmmss="015044", name="asc_range"),
        MsbasSet("azimuth", -12.979174, 39.357139, [("20221004", "20221016", _map(4))], hhmmss="015044",
                 name="asc_azimuth"),
        MsbasSet("range", -167.101991, 39.350044, [(dsc[0], dsc[1], _map(5)), (dsc[1], dsc[2], _map(6))],
                 hhmmss=msbas_time(np.datetime64("2022-10-08T13:52:51")), name="dsc_range"),
    ]


def test_export_parses_and_round_trips(tmp_path):
    sets = _sets()
    header = export_msbas(tmp_path / "msbas", sets, GRID, window=(1, 5, 0, 3), calibration="mean",
                          order=1, lam=0.05, min_coverage=0.3)
    text = header.read_text()
    assert "FORMAT=2" in text and "FILE_SIZE=7, 5" in text and "R_FLAG=2, 0.05" in text
    assert "SET=1, 015044, -12.979174, 39.357139, asc_azimuth.txt" in text
    assert (tmp_path / "msbas" / "asc_range.txt").read_text().splitlines()[0] == \
        "maps/asc_range_20221004_20221016.tif 0 20221004 20221016"
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # no old/ignored keys written
        hdr = parse_header(header)
    assert hdr.file_size == (7, 5) and hdr.window == (1, 5, 0, 3)
    assert (hdr.calibration, hdr.order, hdr.lam, hdr.min_coverage) == ("mean", 1, 0.05, 0.3)
    assert [s.kind for s in hdr.sets] == [0, 1, 0] and hdr.dim == 3
    assert [s.hhmmss for s in hdr.sets] == ["015044", "015044", "135251"]
    assert hdr.sets[2].heading == pytest.approx(-167.101991) and hdr.sets[2].incidence == pytest.approx(39.350044)
    assert hdr.sets[0].maps[2].master == dt.datetime(2022, 10, 4, 1, 50, 44)
    assert hdr.sets[0].maps[2].slave == dt.datetime(2022, 10, 28, 1, 50, 44)
    inputs = read_msbas_inputs(header)
    expect = [p[2][0:4, 1:6] for s in sets for p in s.pairs]
    assert inputs.maps.shape == (6, 4, 5)
    for got, want in zip(inputs.maps, expect):
        np.testing.assert_array_equal(got, want)              # NaN -> 0 on disk -> NaN again
    np.testing.assert_array_equal(inputs.set_index, [0, 0, 0, 1, 2, 2])
    assert inputs.master[-1] == np.datetime64("2022-10-20T13:52:51")
    assert inputs.grid == MapGrid(32605, 390100.0, 7030000.0, 100.0, 5, 4)
    np.testing.assert_allclose(inputs.set_vectors[1], projection(-12.979174, 39.357139, "azimuth"))
    assert inputs.t_slave[0] > inputs.t_master[0] and inputs.names[0].endswith("asc_range.txt:1")


def test_export_checks(tmp_path):
    sets = _sets()
    with pytest.raises(ValueError, match=r"set 0 \(asc_range\) pair 0 \(20221004_20221016\): map shape \(4, 7\)"):
        export_msbas(tmp_path, [MsbasSet("range", 0, 30, [("2022-10-04", "2022-10-16", np.zeros((4, 7)))],
                                         name="asc_range")], GRID)
    with pytest.raises(ValueError, match="dates must increase and not repeat, got 20221016 20221004"):
        export_msbas(tmp_path, [MsbasSet("range", 0, 30, [("2022-10-16", "2022-10-04", _map(0))])], GRID)
    with pytest.raises(ValueError, match="date '2022-13-01' is not a date"):
        export_msbas(tmp_path, [MsbasSet("range", 0, 30, [("2022-13-01", "2022-10-04", _map(0))])], GRID)
    with pytest.raises(ValueError, match="kind must be 'range' or 'azimuth'"):
        export_msbas(tmp_path, [MsbasSet("los", 0, 30, sets[0].pairs)], GRID)
    with pytest.raises(ValueError, match="window .* outside the 7 × 5 grid"):
        export_msbas(tmp_path, sets, GRID, window=(0, 7, 0, 4))
    with pytest.raises(ValueError, match="set names must be unique"):
        export_msbas(tmp_path, [sets[0], sets[0]], GRID)


def test_reader_names_bad_map(tmp_path):
    header = export_msbas(tmp_path, _sets()[:1], GRID, calibration=[(0, 0, 2, 2)], order=0, lam=0)
    assert "C_FLAG=1, 0, 0, 2, 2" in header.read_text() and "R_FLAG=0\n" in header.read_text()
    from gfjax.io import write_geotiff
    write_geotiff(tmp_path / "maps" / "asc_range_20221016_20221028.tif", np.zeros((4, 7)),
                  MapGrid(32605, 390000.0, 7030000.0, 100.0, 7, 4))
    with pytest.raises(ValueError, match=r"asc_range.txt:2: map .* is 7x4 \(cols x rows\), FILE_SIZE says 7x5"):
        read_msbas_inputs(header)
    write_geotiff(tmp_path / "maps" / "asc_range_20221016_20221028.tif", np.ones(GRID.shape),
                  MapGrid(32605, 390000.0, 7030100.0, 100.0, 7, 5))
    with pytest.raises(ValueError, match=r"asc_range.txt:2: map .* has transform/CRS"):
        read_msbas_inputs(header)


def test_exported_folder_runs_through_gfjax_msbas(tmp_path):
    """The drop-in MSBAS CLI inverts the exported folder (3D: two range sets + one azimuth set)."""
    from gfjax.msbas.cli import run

    header = export_msbas(tmp_path, _sets(), GRID, order=1, lam=0.05)
    names = run(header, tmp_path)
    assert "MSBAS_LINEAR_RATE_NS.tif" in names and "MSBAS_LOG.txt" in names
    assert "inverted 6 of 6 maps" in (tmp_path / "MSBAS_LOG.txt").read_text()
