"""MSBAS v10 ``header.txt`` and list files (ring 2: parsing and validation only).

Header lines are ``KEY=v1, v2, …`` (blank lines and ``#`` comments ignored). Keys:

- ``FORMAT=2`` — GeoTIFF maps (the only format gfjax reads);
- ``FILE_SIZE=cols, rows`` of every input map;
- ``WINDOW_SIZE=col0, col1, row0, row1`` — processed window, inclusive, 0-based (optional,
  default the whole map);
- ``C_FLAG`` — calibration: ``0`` none; ``n, c, r, w, h, …`` n reference boxes (column, row of
  the upper-left pixel, width, height; 0-based, in window coordinates); ``10`` subtract each map's
  mean; ``100`` automatic reference (see calibration.py);
- ``R_FLAG`` — ``0`` no regularisation, or ``k, λ`` with k = order + 1 (1|2|3 → order 0|1|2);
- ``D_FLAG=0|1`` and ``DD_NSEW_FILES=north.tif, east.tif`` — surface gradients (dh/dN, dh/dE),
  D_FLAG=1 makes the inversion 4D;
- ``MC_FLAG=f`` — minimum fraction (0–1) of valid pixels in the window for a map to be used;
- ``SET=type, hhmmss, heading, incidence, list.txt`` — one per set; type 0 range (LOS),
  1 azimuth; heading/incidence in degrees.

Old keys (``T_FLAG``, ``V_FLAG``, ``I_FLAG``, ``O_FLAG``, ``L_FLAG``, ``TS_FLAG``) are accepted
and ignored with a warning; any other key is an error naming it and its line.

Dimension: D_FLAG=1 → 4D; else any azimuth set → 3D; else two or more distinct headings → 2D;
else 1D. List lines: ``path Bperp master slave`` with dates ``YYYYMMDD``; relative paths are
relative to the header's directory.
"""
from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from gfjax.msbas.network import decimal_year

KNOWN = {"FORMAT", "FILE_SIZE", "WINDOW_SIZE", "C_FLAG", "R_FLAG", "D_FLAG", "DD_NSEW_FILES",
         "MC_FLAG", "SET"}
OLD = {"T_FLAG", "V_FLAG", "I_FLAG", "O_FLAG", "L_FLAG", "TS_FLAG"}


class HeaderError(ValueError):
    """Invalid header or list file; the message names the file, the line and the field."""


@dataclass
class MapEntry:
    path: Path
    bperp: float
    master: _dt.datetime
    slave: _dt.datetime
    where: str            # "list.txt:12" for messages


@dataclass
class SetSpec:
    kind: int             # 0 range, 1 azimuth
    hhmmss: str
    heading: float
    incidence: float
    list_file: Path
    maps: list = field(default_factory=list)


@dataclass
class Header:
    path: Path
    file_size: tuple      # (cols, rows)
    window: tuple         # (col0, col1, row0, row1) inclusive
    calibration: str      # none | boxes | mean | auto
    boxes: list           # [(col, row, width, height), …]
    order: int            # 0, 1, 2
    lam: float            # 0 = no regularisation
    gradient_files: list  # [north, east] or []
    min_coverage: float
    sets: list

    @property
    def dim(self) -> int:
        if self.gradient_files:
            return 4
        if any(s.kind == 1 for s in self.sets):
            return 3
        return 2 if len({round(s.heading, 3) for s in self.sets}) > 1 else 1


def _numbers(values, where, key, n=None, cast=float):
    try:
        out = [cast(v) for v in values]
    except ValueError:
        raise HeaderError(f"{where}: {key} expects numbers, got {', '.join(values)}") from None
    if n is not None and len(out) != n:
        raise HeaderError(f"{where}: {key} expects {n} values, got {len(out)}")
    return out


def _date(text: str, hhmmss: str, where: str) -> _dt.datetime:
    try:
        return _dt.datetime.strptime(text[:8] + hhmmss, "%Y%m%d%H%M%S")
    except ValueError:
        raise HeaderError(f"{where}: bad date {text!r} (expected YYYYMMDD)") from None


def read_list(path: Path, hhmmss: str, base: Path, where_set: str) -> list:
    """Entries of one list file; every malformed line is an error naming file and line."""
    if not path.is_file():
        raise HeaderError(f"{where_set}: list file {path} not found")
    out = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{path}:{i}"
        parts = text.split()
        if len(parts) != 4:
            raise HeaderError(f"{where}: expected 'path Bperp master slave', got {text!r}")
        bperp = _numbers(parts[1:2], where, "Bperp")[0]
        p = Path(parts[0])
        out.append(MapEntry(p if p.is_absolute() else base / p, bperp,
                            _date(parts[2], hhmmss, where), _date(parts[3], hhmmss, where), where))
    if not out:
        raise HeaderError(f"{where_set}: list file {path} has no maps")
    return out


def parse_header(path) -> Header:
    """Parse and validate an MSBAS v10 header and its list files."""
    path = Path(path)
    if not path.is_file():
        raise HeaderError(f"header {path} not found")
    base = path.parent
    seen: dict = {}
    sets = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{path}:{i}"
        if "=" not in text:
            raise HeaderError(f"{where}: expected KEY=value, got {text!r}")
        key, value = (t.strip() for t in text.split("=", 1))
        key = key.upper()
        values = [v.strip() for v in value.split(",") if v.strip()]
        if key in OLD:
            warnings.warn(f"{where}: old MSBAS key {key} ignored (not used by MSBAS v10)")
            continue
        if key not in KNOWN:
            raise HeaderError(f"{where}: unknown header key {key!r} (known: "
                              f"{', '.join(sorted(KNOWN))})")
        if key == "SET":
            if len(values) != 5:
                raise HeaderError(f"{where}: SET expects 'type, hhmmss, heading, incidence, "
                                  f"list', got {value!r}")
            kind = _numbers(values[:1], where, "SET type", cast=int)[0]
            if kind not in (0, 1):
                raise HeaderError(f"{where}: SET type must be 0 (range) or 1 (azimuth), got {kind}")
            hhmmss = values[1].zfill(6)
            if not (hhmmss.isdigit() and len(hhmmss) == 6):
                raise HeaderError(f"{where}: SET time must be hhmmss, got {values[1]!r}")
            heading, inc = _numbers(values[2:4], where, "SET heading/incidence")
            lst = Path(values[4])
            lst = lst if lst.is_absolute() else base / lst
            s = SetSpec(kind, hhmmss, heading, inc, lst)
            s.maps = read_list(lst, hhmmss, base, where)
            sets.append(s)
            continue
        if key in seen:
            raise HeaderError(f"{where}: {key} given twice (first at line {seen[key][0]})")
        seen[key] = (i, values, where)
    for required in ("FORMAT", "FILE_SIZE"):
        if required not in seen:
            raise HeaderError(f"{path}: missing {required}")
    if not sets:
        raise HeaderError(f"{path}: no SET lines")

    def get(key):
        return seen[key][1], seen[key][2]

    fmt, where = get("FORMAT")
    if _numbers(fmt, where, "FORMAT", 1, int)[0] != 2:
        raise HeaderError(f"{where}: FORMAT={fmt[0]} not supported (gfjax reads FORMAT=2, GeoTIFF)")
    cols, rows = _numbers(get("FILE_SIZE")[0], get("FILE_SIZE")[1], "FILE_SIZE", 2, int)
    window = (0, cols - 1, 0, rows - 1)
    if "WINDOW_SIZE" in seen:
        vals, where = get("WINDOW_SIZE")
        c0, c1, r0, r1 = _numbers(vals, where, "WINDOW_SIZE", 4, int)
        if not (0 <= c0 <= c1 < cols and 0 <= r0 <= r1 < rows):
            raise HeaderError(f"{where}: WINDOW_SIZE {c0},{c1},{r0},{r1} outside FILE_SIZE "
                              f"{cols}x{rows}")
        window = (c0, c1, r0, r1)
    calibration, boxes = "none", []
    if "C_FLAG" in seen:
        vals, where = get("C_FLAG")
        nums = _numbers(vals, where, "C_FLAG", cast=int)
        n = nums[0] if nums else 0
        if n == 0 and len(nums) == 1:
            calibration = "none"
        elif n in (10, 100) and len(nums) == 1:
            calibration = "mean" if n == 10 else "auto"
        elif n > 0 and len(nums) == 1 + 4 * n:
            calibration = "boxes"
            boxes = [tuple(nums[1 + 4 * b:5 + 4 * b]) for b in range(n)]
            wc, wr = window[1] - window[0] + 1, window[3] - window[2] + 1
            for b, (c, r, w, h) in enumerate(boxes):
                if w < 1 or h < 1 or c < 0 or r < 0 or c + w > wc or r + h > wr:
                    raise HeaderError(f"{where}: C_FLAG box {b + 1} ({c},{r},{w},{h}) outside the "
                                      f"{wc}x{wr} window")
        else:
            raise HeaderError(f"{where}: C_FLAG must be 0, 10, 100 or 'n, then 4 numbers per box', "
                              f"got {', '.join(vals)}")
    order, lam = 0, 0.0
    if "R_FLAG" in seen:
        vals, where = get("R_FLAG")
        nums = _numbers(vals, where, "R_FLAG")
        if nums == [0] or nums == [0.0]:
            order, lam = 0, 0.0
        elif len(nums) == 2 and nums[0] in (1, 2, 3):
            order, lam = int(nums[0]) - 1, nums[1]
            if lam <= 0:
                raise HeaderError(f"{where}: R_FLAG λ must be > 0 with regularisation order "
                                  f"{order}, got {lam}")
        else:
            raise HeaderError(f"{where}: R_FLAG must be 0 or 'k, λ' with k = 1|2|3, got "
                              f"{', '.join(vals)!r}")
    gradient_files: list = []
    d_flag = 0
    if "D_FLAG" in seen:
        d_flag = _numbers(get("D_FLAG")[0], get("D_FLAG")[1], "D_FLAG", 1, int)[0]
        if d_flag not in (0, 1):
            raise HeaderError(f"{get('D_FLAG')[1]}: D_FLAG must be 0 or 1, got {d_flag}")
    if d_flag == 1:
        if "DD_NSEW_FILES" not in seen:
            raise HeaderError(f"{get('D_FLAG')[1]}: D_FLAG=1 needs DD_NSEW_FILES=north, east")
        vals, where = get("DD_NSEW_FILES")
        if len(vals) != 2:
            raise HeaderError(f"{where}: DD_NSEW_FILES expects 2 files (north, east)")
        gradient_files = [Path(v) if Path(v).is_absolute() else base / v for v in vals]
    min_cov = 0.0
    if "MC_FLAG" in seen:
        vals, where = get("MC_FLAG")
        min_cov = _numbers(vals, where, "MC_FLAG", 1)[0]
        if not 0 <= min_cov <= 1:
            raise HeaderError(f"{where}: MC_FLAG must be a fraction in [0, 1], got {min_cov}")
    return Header(path, (cols, rows), window, calibration, boxes, order, lam, gradient_files,
                  min_cov, sets)


def map_times(header: Header):
    """Per map (flattened over sets): entries, set index, master/slave decimal years."""
    entries, set_index, tm, ts = [], [], [], []
    for s, spec in enumerate(header.sets):
        for e in spec.maps:
            entries.append(e)
            set_index.append(s)
            tm.append(decimal_year(e.master))
            ts.append(decimal_year(e.slave))
    return entries, set_index, tm, ts
