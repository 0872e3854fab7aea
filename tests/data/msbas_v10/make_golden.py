"""Build the MSBAS v10 golden cases: inputs (seeded, small) and, with a v10 binary, its outputs.

    python tests/data/msbas_v10/make_golden.py               # inputs only (deterministic)
    python tests/data/msbas_v10/make_golden.py --v10 /tmp/msbasv10/bin/msbasv10

Each case folder holds ``header.txt``, list files and GeoTIFF maps (20 rows × 30 columns);
``expected/`` holds every file MSBAS v10 wrote when run in the case folder
(docs/msbas_v10_build.md says how the binary was built). The cases cover the header forms of
issue 16: 1D, 2D, 3D, 4D, D_FLAG=0 with slopes (3D constrained, with and without azimuth sets),
each C_FLAG form (0, 10, boxes, 100 z-score), WINDOW_SIZE, MC_FLAG, 7-field SET with per-pixel
look angles, ``FORMAT=2, r`` hole filling, keys v10 does not read, holes and partial coverage.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
ROWS, COLS = 20, 30
ASC = dict(heading=349.5, incidence=38.7, time="051233", first=dt.datetime(2019, 1, 3, 5, 12, 33))
DSC = dict(heading=191.2, incidence=41.3, time="174010", first=dt.datetime(2019, 1, 9, 17, 40, 10))


def _tif(path: Path, data, nodata=None):
    import rasterio
    from rasterio.transform import from_origin

    prof = dict(driver="GTiff", height=ROWS, width=COLS, count=1, dtype="float32",
                crs="EPSG:32605", transform=from_origin(400000, 7000000, 100, 100))
    if nodata is not None:
        prof["nodata"] = nodata
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(np.asarray(data, np.float32), 1)


def _dyear(when: dt.datetime) -> float:
    start = dt.datetime(when.year, 1, 1)
    days = (dt.datetime(when.year + 1, 1, 1) - start).days
    return when.year + ((when - start).total_seconds() / 86400.0) / days


def _vector(kind, heading, incidence):
    h, i = np.deg2rad(heading), np.deg2rad(incidence)
    if kind == 0:
        return np.array([np.sin(h) * np.sin(i), -np.cos(h) * np.sin(i), np.cos(i)])
    return np.array([np.cos(h), np.sin(h), 0.0])


def _velocity(rng):
    """Smooth (N, E, U) velocity fields, m/yr, (3, rows, cols) and a seasonal term."""
    y, x = np.mgrid[0:ROWS, 0:COLS] / np.array([ROWS, COLS])[:, None, None]
    base = np.stack([0.8 * np.sin(3 * x) + 0.2 * y, -0.5 + 0.6 * x * y, 0.1 - 0.3 * (x - 0.5) ** 2])
    return base + rng.normal(0, 0.01, base.shape)


def _write_set(root, name, kind, geo, n_dates, rng, vel, holes=0.0, partial=None, nodata=None,
               skip=(), vectors=None):
    """Maps of one set: consecutive and skip-one pairs; returns the SET line's fields."""
    dates = [geo["first"] + dt.timedelta(days=12 * i) for i in range(n_dates)]
    s = _vector(kind, geo["heading"], geo["incidence"]) if vectors is None else vectors
    lines = []
    for a in range(n_dates - 1):
        for step in (1, 2):
            b = a + step
            if b >= n_dates or (a, b) in skip:
                continue
            t = _dyear(dates[b]) - _dyear(dates[a])
            season = 1 + 0.3 * np.sin(2 * np.pi * _dyear(dates[a]))
            proj = np.sum((s[:, None, None] if s.ndim == 1 else s) * vel, axis=0)
            val = proj * t * season + rng.normal(0, 2e-3, (ROWS, COLS))
            val[np.abs(val) < 1e-6] = 1e-6
            if holes:
                val[rng.random((ROWS, COLS)) < holes] = 0.0
            if partial is not None and (a + step) % 3 == 0:
                val[:, partial:] = 0.0
            fname = f"{name}_{dates[a]:%Y%m%d}_{dates[b]:%Y%m%d}.tif"
            _tif(root / fname, val, nodata)
            lines.append(f"{fname} {rng.normal(0, 50):.2f} {dates[a]:%Y%m%d} {dates[b]:%Y%m%d}")
    (root / f"{name}.txt").write_text("\n".join(lines) + "\n")
    return f"{kind}, {geo['time']}, {geo['heading']}, {geo['incidence']}, {name}.txt"


def _slopes(root, rng, zero_patch=True):
    y, x = np.mgrid[0:ROWS, 0:COLS]
    gn = 0.05 + 0.02 * np.sin(x / 5.0) + rng.normal(0, 1e-3, (ROWS, COLS))
    ge = -0.08 + 0.01 * y / ROWS + rng.normal(0, 1e-3, (ROWS, COLS))
    if zero_patch:
        gn[0:2, 0:3] = 0.0                      # v10 masks pixels with a zero slope
    _tif(root / "dd_ns.tif", gn)
    _tif(root / "dd_ew.tif", ge)
    return "DD_NSEW_FILES = dd_ns.tif, dd_ew.tif"


def _header(root, lines):
    (root / "header.txt").write_text("\n".join(lines) + "\n")


def make_cases(out: Path) -> list[Path]:
    cases = []

    def case(name):
        d = out / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        cases.append(d)
        return d, np.random.default_rng(len(cases) * 7919)

    # 1D: one ascending range set, no regularisation, full coverage
    d, rng = case("1d")
    vel = _velocity(rng)
    s1 = _write_set(d, "asc", 0, ASC, 7, rng, vel)
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", "C_FLAG=0", "R_FLAG=0", f"SET={s1}"])

    # 2D: asc + desc range, holes, partial coverage, passes of different spans (boundary factors),
    # spaces and comments, keys v10 does not read, DEM_FILE
    d, rng = case("2d")
    vel = _velocity(rng)
    s1 = _write_set(d, "asc", 0, ASC, 8, rng, vel, holes=0.05, partial=18)
    s2 = _write_set(d, "dsc", 0, dict(DSC, first=DSC["first"] + dt.timedelta(days=24)), 6, rng, vel,
                    holes=0.05)
    _header(d, ["# 2D case", "FORMAT = 2, 0", f"FILE_SIZE = {COLS}, {ROWS}",
                f"WINDOW_SIZE = 0, {COLS - 1}, 0, {ROWS - 1}", "R_FLAG = 2, 0.05   # order 1",
                "T_FLAG = 0", "C_FLAG = 0", "V_FLAG = 0", "I_FLAG = 0", "D_FLAG = 0",
                "MC_FLAG = 0", "DEM_FILE = dem.tif", f"SET = {s1}", f"SET = {s2}"])

    # 3D: range + azimuth of both passes, WINDOW_SIZE, one reference box (C_FLAG=1)
    d, rng = case("3d")
    vel = _velocity(rng)
    sets = [_write_set(d, f"{p}_{k}", k, g, 7, rng, vel, holes=0.03)
            for p, g in (("asc", ASC), ("dsc", DSC)) for k in (0, 1)]
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", f"WINDOW_SIZE=2,{COLS - 3},1,{ROWS - 2}",
                "R_FLAG=3,0.1", "C_FLAG=1, 10, 8, 2, 1", "MC_FLAG=0.5", *[f"SET={s}" for s in sets]])

    # 4D: + slopes, D_FLAG=1, C_FLAG=10
    d, rng = case("4d")
    vel = _velocity(rng)
    sets = [_write_set(d, f"{p}_{k}", k, g, 7, rng, vel, holes=0.03)
            for p, g in (("asc", ASC), ("dsc", DSC)) for k in (0, 1)]
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", "R_FLAG=2,0.1", "C_FLAG=10", "D_FLAG=1",
                _slopes(d, rng), *[f"SET={s}" for s in sets]])

    # 3D constrained: slopes with D_FLAG=0 (range + azimuth), two reference boxes
    d, rng = case("3d_slopes")
    vel = _velocity(rng)
    sets = [_write_set(d, f"{p}_{k}", k, g, 6, rng, vel, holes=0.03)
            for p, g in (("asc", ASC), ("dsc", DSC)) for k in (0, 1)]
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", "R_FLAG=1,0.05",
                "C_FLAG=2, 5, 5, 24, 14, 2, 2", "D_FLAG=0", _slopes(d, rng),
                *[f"SET={s}" for s in sets]])

    # 3D from range only + slopes (north from the surface-parallel rows)
    d, rng = case("3d_slopes_range")
    vel = _velocity(rng)
    sets = [_write_set(d, p, 0, g, 7, rng, vel, holes=0.03) for p, g in (("asc", ASC), ("dsc", DSC))]
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", "R_FLAG=2,0.05", "C_FLAG=0",
                _slopes(d, rng, zero_patch=False), *[f"SET={s}" for s in sets]])

    # automatic reference (C_FLAG=100) and MC_FLAG removing the partial maps
    d, rng = case("cflag100")
    vel = _velocity(rng)
    s1 = _write_set(d, "asc", 0, ASC, 7, rng, vel, holes=0.02, partial=10)
    s2 = _write_set(d, "dsc", 0, DSC, 7, rng, vel, holes=0.02)
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", "R_FLAG=2,0.1", "C_FLAG=100, 3, 2",
                "MC_FLAG=0.6", f"SET={s1}", f"SET={s2}"])

    # 7-field SET: per-pixel look angles (rad), a few pixels without angles
    d, rng = case("angles")
    vel = _velocity(rng)
    y, x = np.mgrid[0:ROWS, 0:COLS]
    lines = []
    for p, g in (("asc", ASC), ("dsc", DSC)):
        s = _vector(0, g["heading"], g["incidence"] + 0.1 * x)            # incidence varies
        theta = np.arcsin(s[2])
        phi = np.arctan2(s[0], s[1])
        theta[3, 4] = 0.0
        _tif(d / f"{p}_theta.tif", theta)
        _tif(d / f"{p}_phi.tif", phi)
        vec = np.stack([np.cos(theta) * np.sin(phi), np.cos(theta) * np.cos(phi), np.sin(theta)])
        lines.append(_write_set(d, p, 0, g, 7, rng, vel, holes=0.03, vectors=vec)
                     + f", {p}_theta.tif, {p}_phi.tif")
    _header(d, ["FORMAT=2", f"FILE_SIZE={COLS},{ROWS}", "R_FLAG=2,0.08", "C_FLAG=0",
                *[f"SET={s}" for s in lines]])

    # FORMAT=2, r: holes (no-data value 0 in the files) filled up to 2 pixels
    d, rng = case("interp")
    vel = _velocity(rng)
    s1 = _write_set(d, "asc", 0, ASC, 6, rng, vel, holes=0.15, nodata=0.0)
    s2 = _write_set(d, "dsc", 0, DSC, 6, rng, vel, holes=0.15, nodata=0.0)
    _header(d, ["FORMAT=2,2", f"FILE_SIZE={COLS},{ROWS}", "R_FLAG=2,0.05", "C_FLAG=10",
                f"SET={s1}", f"SET={s2}"])
    return cases


def run_v10(binary: str, case: Path) -> None:
    """Run v10 in a scratch copy of ``case`` and keep every file it wrote in ``case/expected``."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / case.name
        shutil.copytree(case, work, ignore=shutil.ignore_patterns("expected"))
        before = {p.name for p in work.iterdir()}
        proc = subprocess.run([binary, "header.txt"], cwd=work, capture_output=True, text=True,
                              env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
        if proc.returncode != 0:
            raise RuntimeError(f"{case.name}: v10 failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        exp = case / "expected"
        if exp.exists():
            shutil.rmtree(exp)
        exp.mkdir()
        for p in sorted(work.iterdir()):
            if p.name not in before and p.name != "msbas_par.txt":
                shutil.copy2(p, exp / p.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--v10", help="MSBAS v10 binary (msbasv10); without it only the inputs")
    ap.add_argument("--out", default=str(HERE))
    args = ap.parse_args()
    for case in make_cases(Path(args.out)):
        if args.v10:
            run_v10(args.v10, case)
        print(case)


if __name__ == "__main__":
    main()
