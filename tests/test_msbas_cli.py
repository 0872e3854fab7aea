"""Drop-in CLI: header parsing, MSBAS v10 output names/contents, and bad input."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from gfjax.msbas import invert_maps
from gfjax.msbas.cli import main, run
from gfjax.io.msbas_header import HeaderError, parse_header
from gfjax.msbas.network import NetworkError, decimal_year, epoch_label
from gfjax.geometry.projection import projection_vectors
from gfjax.msbas.v10 import V10Error

ROWS, COLS = 4, 5


def _tif(path, data):
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                       count=1, dtype="float32", crs="EPSG:32605",
                       transform=from_origin(300000, 7000000, 100, 100)) as dst:
        dst.write(data.astype(np.float32), 1)


def make_case(root: Path, n_epochs=6, azimuth=True, r_flag="2, 0.1", extra="", seed=0):
    """Two tracks (asc 341°, desc 199°), 12-day pairs, maps from a constant NEU velocity."""
    rng = np.random.default_rng(seed)
    vel = np.array([30.0, -20.0, 5.0])                       # m/yr (N, E, U)
    sets = []
    for tr, (heading, first, hhmmss) in enumerate([(341.0, dt.datetime(2020, 1, 1, 3, 4, 5), "030405"),
                                                   (199.0, dt.datetime(2020, 1, 5, 16, 0, 0), "160000")]):
        dates = [first + dt.timedelta(days=12 * i) for i in range(n_epochs)]
        for kind in (("range", "azimuth") if azimuth else ("range",)):
            s = projection_vectors(heading, 39.0)[0 if kind == "range" else 1]
            lines = []
            for a in range(n_epochs - 1):
                dtyr = decimal_year(dates[a + 1]) - decimal_year(dates[a])
                val = np.full((ROWS, COLS), s @ vel * dtyr) + rng.normal(0, 1e-4, (ROWS, COLS))
                name = f"m_{tr}_{kind}_{a}.tif"
                _tif(root / name, val)
                lines.append(f"{name} 10.0 {dates[a]:%Y%m%d} {dates[a + 1]:%Y%m%d}")
            lst = f"list_{tr}_{kind}.txt"
            (root / lst).write_text("\n".join(lines) + "\n")
            sets.append(f"SET={0 if kind == 'range' else 1}, {hhmmss}, {heading}, 39.0, {lst}")
    header = root / "header.txt"
    header.write_text("\n".join(["FORMAT=2", f"FILE_SIZE={COLS}, {ROWS}",
                                 f"WINDOW_SIZE=0, {COLS - 1}, 0, {ROWS - 1}", "C_FLAG=0",
                                 f"R_FLAG={r_flag}", "MC_FLAG=0.5", *sets, extra]) + "\n")
    return header, vel


def test_decimal_year_convention():
    assert decimal_year(dt.datetime(2020, 1, 1)) == 2020.0
    assert decimal_year(dt.datetime(2021, 7, 2, 12)) == pytest.approx(2021 + 182.5 / 365)
    assert decimal_year(dt.datetime(2020, 12, 31, 6)) == pytest.approx(2020 + 365.25 / 366)
    assert epoch_label(decimal_year(dt.datetime(2019, 3, 4, 5, 6, 7))) == "20190304T050607"


def test_header_parsing(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4)
    h = parse_header(header)
    assert h.dim == 3 and h.order == 1 and h.lam == 0.1 and h.min_coverage == 0.5
    assert h.file_size == (COLS, ROWS) and len(h.sets) == 4 and h.sets[1].kind == 1
    assert h.sets[2].maps[0].master == dt.datetime(2020, 1, 5, 16)


def test_cli_writes_msbas_products(tmp_path, monkeypatch):
    header, vel = make_case(tmp_path, n_epochs=6)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    assert main([str(header)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert "MSBAS_20200113T030405_NS.tif" in files and "MSBAS_20200101T030405_NS.tif" not in files
    assert "MSBAS_20200113T030405_vEW.tif" in files
    for name in ("MSBAS_RANK.tif", "MSBAS_COND_NUM.tif", "MSBAS_NORM_X.tif", "MSBAS_NORM_AXY.tif",
                 "MSBAS_LINEAR_RATE_UD.tif", "MSBAS_LINEAR_RATE_STD_NS.tif",
                 "MSBAS_LINEAR_RATE_R2_EW.tif", "MSBAS_TSOUT.txt", "MSBAS_LOG.txt"):
        assert name in files, name
    assert not [f for f in files if f.startswith(".msbas_tmp")]
    # common window: asc starts first, desc ends last -> epochs from 2020-01-05 16:00 ...
    disp_files = sorted(f for f in files if f.endswith("_NS.tif") and "RATE" not in f)
    assert disp_files[0] == "MSBAS_20200105T160000_NS.tif"
    with rasterio.open(out / disp_files[0]) as src:
        assert np.all(src.read(1) == 0)                       # D(t_0) = 0
        assert src.crs.to_epsg() == 32605
    with rasterio.open(out / "MSBAS_LINEAR_RATE_NS.tif") as src:
        np.testing.assert_allclose(src.read(1), vel[0], rtol=0.02)
    with rasterio.open(out / "MSBAS_RANK.tif") as src:
        assert np.all(src.read(1) > 0)
    ts = (out / "MSBAS_TSOUT.txt").read_text().splitlines()
    assert ts[:3] == ["FORMAT=2,0", f"FILE_SIZE={COLS},{ROWS}", "C_FLAG=0"]
    assert ts[3].startswith("20200105T160000 2020.01") and ts[3].endswith("MSBAS_20200105T160000_UD.tif")


def test_boundary_scaling_matches_manual_clip():
    """A map straddling the common window start is scaled by the covered fraction."""
    from gfjax.msbas.network import build_network

    tm = np.array([2020.00, 2020.10, 2020.05, 2020.15])
    ts = np.array([2020.10, 2020.20, 2020.15, 2020.25])
    net = build_network(tm, ts, np.array([0, 0, 1, 1]), 2, common_window=True)
    assert net.epochs[0] == 2020.05 and net.epochs[-1] == 2020.20
    j = list(net.map_index).index(0)
    assert net.factor[j] == pytest.approx((2020.10 - 2020.05) / 0.10)
    j = list(net.map_index).index(3)
    assert net.factor[j] == pytest.approx((2020.20 - 2020.15) / 0.10)


def _expect_error(header, match, tmp_path, exc=ValueError):
    out = tmp_path / "out_err"
    out.mkdir(exist_ok=True)
    with pytest.raises(exc, match=match):
        run(header, out)
    assert list(out.iterdir()) == []                          # nothing half-written


def test_unknown_and_old_keys(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4, extra="R_FLGA=2, 0.1")
    _expect_error(header, r"header.txt:\d+: unknown header key 'R_FLGA'", tmp_path, HeaderError)
    header, _ = make_case(tmp_path, n_epochs=4, extra="T_FLAG=1")
    assert "T_FLAG=1 ignored: MSBAS v10 does not read T_FLAG" in parse_header(header).notes[0]
    header, _ = make_case(tmp_path, n_epochs=4, extra="r_flag=2, 0.1")
    _expect_error(header, r"unknown header key 'r_flag' \(MSBAS v10 keys are upper case\)", tmp_path,
                  HeaderError)


def test_missing_map_names_list_line(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4)
    (tmp_path / "m_1_azimuth_1.tif").unlink()
    _expect_error(header, r"list_1_azimuth.txt:2: file .*m_1_azimuth_1.tif not found", tmp_path)


def test_wrong_map_size(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4)
    _tif(tmp_path / "m_0_range_2.tif", np.ones((ROWS + 1, COLS)))
    _expect_error(header, r"list_0_range.txt:3: .*m_0_range_2.tif is 5x5 .*FILE_SIZE says 5x4", tmp_path)


def test_unreadable_map(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4)
    (tmp_path / "m_0_range_0.tif").write_text("not a tiff")
    _expect_error(header, r"list_0_range.txt:1: cannot read .*m_0_range_0.tif", tmp_path)


def test_master_after_slave_and_duplicates(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4)
    lst = tmp_path / "list_0_range.txt"
    lines = lst.read_text().splitlines()
    p, b, m, s = lines[1].split()
    lst.write_text("\n".join([lines[0], f"{p} {b} {s} {m}", lines[2]]) + "\n")
    _expect_error(header, r"list_0_range.txt:2: master date .* must be before slave", tmp_path,
                  NetworkError)
    lst.write_text("\n".join(lines + [lines[1]]) + "\n")
    _expect_error(header, r"list_0_range.txt:4: duplicate pair", tmp_path, NetworkError)
    lst.write_text("\n".join(lines + ["onlytwo fields"]) + "\n")
    _expect_error(header, r"list_0_range.txt:4: expected 'path Bperp master slave'", tmp_path)


def test_sets_not_overlapping(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4, azimuth=False)
    lst = tmp_path / "list_1_range.txt"
    lst.write_text(lst.read_text().replace("2020", "2022"))
    _expect_error(header, r"ascending and descending passes do not overlap in time", tmp_path, V10Error)


def test_lambda_must_be_positive_with_order(tmp_path):
    header, _ = make_case(tmp_path, n_epochs=4, r_flag="2, 0")
    _expect_error(header, r"header.txt:5: R_FLAG λ must be > 0", tmp_path, HeaderError)
    with pytest.raises(ValueError, match="lam must be > 0"):
        invert_maps(np.ones((2, 1, 1)), [0, 0], [2020.0, 2020.1], [2020.1, 2020.2],
                    np.ones((1, 3)), dim=1, order=1, lam=0.0)


def test_nan_inf_treated_as_no_data_and_logged(tmp_path, monkeypatch):
    header, _ = make_case(tmp_path, n_epochs=5)
    bad = np.full((ROWS, COLS), 0.01)
    bad[0, 0], bad[1, 1], bad[2, 2] = np.nan, np.inf, 0.0
    _tif(tmp_path / "m_0_range_1.tif", bad)
    out = tmp_path / "out"
    out.mkdir()
    run(header, out)
    log = (out / "MSBAS_LOG.txt").read_text()
    assert "list_0_range.txt:2: 2 NaN/Inf values" in log


@pytest.mark.slow
def test_lambda_from_lcurve_option(tmp_path, monkeypatch):
    """``--lambda-lcurve`` picks λ at the L-curve corner among the candidates and logs it."""
    header, _ = make_case(tmp_path, n_epochs=6)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    monkeypatch.setenv("GFJAX_JAX_CACHE", "0")
    assert main([str(header), "--lambda-lcurve", "0.001,0.01,0.1,1"]) == 0
    log = (out / "MSBAS_LOG.txt").read_text()
    lam = float(log.split("corner at λ = ")[1].split()[0])
    assert lam in (0.001, 0.01, 0.1, 1) and f"lambda {lam:g}" in log
    assert main([str(header), "--lambda-lcurve", "0.1,x"]) == 2
