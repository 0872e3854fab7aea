"""MSBAS v10 header forms on hand-made headers: each accepted with v10's meaning or refused with
a message naming the file, line and what v10 would do (gfjax/io/msbas_header.py)."""
from __future__ import annotations

import numpy as np
import pytest

from gfjax.io.msbas_header import HeaderError, parse_header
from gfjax.msbas import v10

LIST = "m1.tif 0 20200101 20200113\nm2.tif 0 20200113 20200125\n"


def _header(tmp_path, *lines, sets=("0, 051233, 349.5, 38.7, a.txt", "0, 174010, 191.2, 41.3, a.txt")):
    (tmp_path / "a.txt").write_text(LIST)
    text = "\n".join([*lines, *[f"SET={s}" for s in sets]]) + "\n"
    path = tmp_path / "header.txt"
    path.write_text(text)
    return path


BASE = ("FORMAT=2", "FILE_SIZE=30, 20")


@pytest.mark.parametrize("lines, match", [
    (("FORMAT=0", "FILE_SIZE=30,20"), r"header.txt:1: MSBAS v10 accepts FORMAT=0 .* stops when it reads"),
    (("FORMAT=1", "FILE_SIZE=30,20"), r"FORMAT=1 .*binary format is no longer supported"),
    (("FORMAT=2,17", "FILE_SIZE=30,20"), r"interpolation radius must be in 0..16"),
    (("FORMAT=3", "FILE_SIZE=30,20"), r"FORMAT=3 is refused by MSBAS v10 too"),
    ((*BASE, "C_FLAG=100"), r"header.txt:3: C_FLAG=100 needs more values .*expecting additional"),
    ((*BASE, "C_FLAG=5"), r"C_FLAG=5 needs more values"),
    ((*BASE, "C_FLAG=50, 1, 2"), r"not a form MSBAS v10 calibrates with"),
    ((*BASE, "C_FLAG=10, 3"), r"not a form MSBAS v10 calibrates with .*ignore the values after"),
    ((*BASE, "C_FLAG=1, 3, 4, 2"), r"C_FLAG=1 expects 4 more values"),
    ((*BASE, "C_FLAG=1, 40, 4, 2, 2"), r"C_FLAG box 1 centre \(column 40, row 4\) is outside"),
    ((*BASE, "C_FLAG=100, 0, 3"), r"C_FLAG=100 half-sizes must be > 0"),
    ((*BASE, "R_FLAG=1"), r"R_FLAG must be 0 or 'k, λ'"),
    ((*BASE, "R_FLAG=4, 0.1"), r"R_FLAG must be 0 or 'k, λ'"),
    ((*BASE, "D_FLAG=1, 2"), r"D_FLAG expects 1 values"),
    ((*BASE, "MC_FLAG=1.5"), r"MC_FLAG must be a fraction"),
    ((*BASE, "DD_NSEW_FILES=a.tif"), r"DD_NSEW_FILES expects 2 files"),
    ((*BASE, "DEM_FILE=a.tif, b.tif"), r"DEM_FILE expects one path"),
    ((*BASE, "WINDOW_SIZE=0, 30, 0, 19"), r"WINDOW_SIZE 0,30,0,19 must satisfy"),
    ((*BASE, "R_FLG=2, 0.1"), r"header.txt:3: unknown header key 'R_FLG': MSBAS v10 would ignore it"),
    ((*BASE, "format=2"), r"unknown header key 'format' \(MSBAS v10 keys are upper case\)"),
    ((*BASE, "R_FLAG=2, 0.1", "R_FLAG=2, 0.2"), r"header.txt:4: R_FLAG given twice .*would use the last"),
    ((*BASE, "MC_FLAG="), r"MC_FLAG has no value"),
])
def test_refused_forms(tmp_path, lines, match):
    with pytest.raises(HeaderError, match=match):
        parse_header(_header(tmp_path, *lines))


@pytest.mark.parametrize("sets, match", [
    (("0, 051233, 349.5, 38.7, a.txt, t.tif",), r"SET expects .* got 6 fields"),
    (("2, 051233, 349.5, 38.7, a.txt",), r"SET type must be 0 \(range/LOS\) or 1 \(azimuth\)"),
    (("0, 51233, 349.5, 38.7, a.txt",), r"SET time must be hhmmss \(6 digits"),
    (("0, 051233, north, 38.7, a.txt",), r"SET heading/incidence expects numbers"),
    (("0, 051233, 349.5, 38.7, missing.txt",), r"list file .*missing.txt not found"),
])
def test_refused_sets(tmp_path, sets, match):
    with pytest.raises(HeaderError, match=match):
        parse_header(_header(tmp_path, *BASE, sets=sets))


def test_list_lines_checked(tmp_path):
    h = _header(tmp_path, *BASE)
    (tmp_path / "a.txt").write_text(LIST + "m3.tif 0 2020011 20200125\n")
    with pytest.raises(HeaderError, match=r"a.txt:3: date '2020011' must be YYYYMMDD"):
        parse_header(h)
    (tmp_path / "a.txt").write_text(LIST + "m3.tif 0 20550101 20550113\n")
    with pytest.raises(HeaderError, match=r"a.txt:3: year 2055 outside 1990-2050"):
        parse_header(h)


def test_accepted_forms_and_notes(tmp_path):
    h = parse_header(_header(tmp_path, "FORMAT = 2, 3   # fill", "FILE_SIZE = 30 , 20",
                             "WINDOW_SIZE=0, 0, 1, 5", "C_FLAG=2, 3, 4, 10, 12, 2, 1",
                             "R_FLAG=3, 0.25", "D_FLAG=0", "MC_FLAG=0.4", "DEM_FILE=dem.tif",
                             "T_FLAG=1", "V_FLAG = 0", "I_FLAG=2, pixels.txt"))
    assert h.interp_radius == 3 and h.file_size == (30, 20)
    assert h.window == (0, 29, 0, 19)                           # last column 0: whole image
    assert h.calibration == "boxes" and h.boxes == [(3, 4, 2, 1), (10, 12, 2, 1)]
    assert (h.order, h.lam, h.r_flag, h.min_coverage, h.dem_file) == (2, 0.25, 3, 0.4, "dem.tif")
    notes = "\n".join(h.notes)
    for key in ("T_FLAG=1 ignored: MSBAS v10 does not read T_FLAG", "V_FLAG=0 ignored",
                "I_FLAG=2,pixels.txt ignored", "DEM_FILE=dem.tif read but not used",
                "WINDOW_SIZE with a last column or row of 0 means the whole image"):
        assert key in notes, key
    h = parse_header(_header(tmp_path, *BASE, "C_FLAG=100, 4, 3",
                             sets=("0, 051233, 349.5, 38.7, a.txt, th.tif, ph.tif",)))
    assert h.calibration == "zscore" and h.zscore_half == (4, 3)
    assert h.sets[0].theta_file.name == "th.tif" and h.sets[0].phi_file.name == "ph.tif"


def test_dimension_rules():
    """v10's dimension from the kinds and passes of the sets (carea::preprocess)."""
    assert v10.v10_dimension([0], ["A"], False, 0) == 1
    assert v10.v10_dimension([0, 0], ["A", "A"], False, 0) == 1       # one kind of set only
    assert v10.v10_dimension([0, 0], ["A", "D"], False, 0) == 2
    assert v10.v10_dimension([0, 0], ["A", "D"], True, 1) == 3        # slopes, no azimuth: 3D
    assert v10.v10_dimension([0, 1, 0, 1], list("AADD"), False, 1) == 3
    assert v10.v10_dimension([0, 1, 0, 1], list("AADD"), True, 0) == 3
    assert v10.v10_dimension([0, 1, 0, 1], list("AADD"), True, 1) == 4
    assert v10.v10_dimension([0, 1], list("AA"), True, 1) == 3         # one pass + slopes
    with pytest.raises(v10.V10Error, match="cannot determine the problem dimension"):
        v10.v10_dimension([0, 1], list("AA"), False, 0)
    with pytest.raises(v10.V10Error, match="single kind of set: MSBAS v10 runs 1D"):
        v10.v10_dimension([0], ["A"], True, 0)
    assert v10.set_pass(0, 349.5, 38.7) == "A" and v10.set_pass(0, 191.2, 41.3) == "D"
    assert v10.set_pass(1, 349.5, 0) == "A" and v10.set_pass(1, 191.2, 0) == "D"
    with pytest.raises(v10.V10Error, match="cannot compute the orbit direction"):
        v10.set_pass(0, 0.0, 38.0)


def test_zscore_reference_oracle():
    """C_FLAG=100 search against a brute-force NumPy loop in v10's scan order."""
    rng = np.random.default_rng(3)
    mask = rng.random((9, 11)).astype(np.float32) + 0.1
    mask[rng.random(mask.shape) < 0.2] = -1
    (c, r), half = v10.zscore_reference(mask, 2, 1)
    best, where = np.inf, None
    for ii in range(11):
        for jj in range(9):
            if mask[jj, ii] <= 0:
                continue
            box = mask[max(jj - 1, 0):jj + 2, max(ii - 2, 0):ii + 3]
            n = (box > 0).sum()
            if n > 0.68 * 15 and box[box > 0].sum() / n < best:
                best, where = box[box > 0].sum() / n, (ii, jj)
    assert (c, r) == where and half == (1, 0)
