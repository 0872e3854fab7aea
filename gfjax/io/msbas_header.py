"""MSBAS v10 ``header.txt`` and its list files, read with MSBAS v10's meaning (ring 2).

The authority is MSBAS v10's parser (AMSTer_Distribution ``MSBAS_sources/msbasv10``, version
20230601 V1.2, ``Param.cpp``): spaces and tabs are removed from every line, ``#`` starts a
comment, lines are ``KEY=v1,v2,…``. Keys and forms (docs/msbas_v10_build.md has the table):

- ``FORMAT=2`` GeoTIFF; ``FORMAT=2, r`` also fills no-data holes of every map up to ``r`` pixels
  (0 ≤ r ≤ 16, GDAL FillNodata) before use; ``FORMAT=0|1`` raw float32 little|big-endian of
  FILE_SIZE (v10 parses it but stops reading with "binary format is no longer supported":
  refused, see :data:`REFUSED_FORMAT`);
- ``FILE_SIZE=cols, rows``; ``WINDOW_SIZE=c0, c1, r0, r1`` (inclusive, full-image coordinates;
  c1 = 0 or r1 = 0 means the whole image, as in v10);
- ``C_FLAG``: ``0`` none; ``10`` subtract each map's mean; ``n, c1, r1, …, cn, rn, a, b``
  (1 ≤ n ≤ 9) subtract the mean over boxes centred on (c_i, r_i), half-sizes a (columns),
  b (rows), full-image coordinates; ``100, a, b`` automatic reference at the minimum of the
  z-score sum (search half-sizes a, b, shrinking until found);
- ``R_FLAG``: ``0`` or ``k, λ`` (k = 1|2|3: Tikhonov order k − 1);
- ``D_FLAG=0|1``; ``DD_NSEW_FILES=north, east`` surface slopes: whenever given, v10 adds one
  surface-parallel constraint row per interval and masks pixels whose slope is 0; with azimuth
  sets and D_FLAG=1 the inversion is 4D, else 3D;
- ``DEM_FILE=path``: read by v10's parser but used nowhere (logged, no effect);
- ``MC_FLAG=f``: maps with a valid fraction of the window below f are removed;
- ``SET=type, hhmmss, heading, incidence, list`` (+ ``, theta.tif, phi.tif`` per-pixel look
  angles in radians: 7 fields).

Keys of older MSBAS versions that v10's parser does not read (:data:`NOT_READ_BY_V10`) are
accepted with no effect and a note, as v10 does. Any other key is an error: v10 would ignore it
silently, which hides typos. List lines are ``path Bperp master slave`` (YYYYMMDD).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

NOT_READ_BY_V10 = {
    "T_FLAG": "topographic-residual removal of older MSBAS versions",
    "V_FLAG": "velocity time series (linear rate = acceleration) of MSBAS v4",
    "I_FLAG": "time series of chosen pixels of older MSBAS versions",
    "O_FLAG": "older MSBAS output option", "L_FLAG": "older MSBAS option",
    "TS_FLAG": "older MSBAS option", "TAV_FLAG": "temporal Gaussian filter of older versions",
}
KNOWN = {"FORMAT", "FILE_SIZE", "WINDOW_SIZE", "C_FLAG", "R_FLAG", "D_FLAG", "DEM_FILE",
         "DD_NSEW_FILES", "MC_FLAG", "SET"}
REFUSED_FORMAT = ("MSBAS v10 accepts FORMAT={f} in the header but stops when it reads the maps "
                  "(\"binary format is no longer supported\", Buffer.cpp); gfjax reads GeoTIFF maps "
                  "only: convert the maps to GeoTIFF (gdal_translate) and use FORMAT=2")


_N = TypeVar("_N", int, float)


class HeaderError(ValueError):
    """Invalid header or list file; the message names the file, the line and the field."""


@dataclass
class MapEntry:
    path: Path
    bperp: float
    master: _dt.datetime
    slave: _dt.datetime
    where: str            # "list.txt:12" for messages
    master_text: str = ""  # YYYYMMDD as written
    slave_text: str = ""


@dataclass
class SetSpec:
    kind: int             # 0 range, 1 azimuth
    hhmmss: str
    heading: float
    incidence: float
    list_file: Path
    maps: list[MapEntry] = field(default_factory=list)
    theta_file: Path | None = None   # per-pixel look elevation angle (rad), 7-field SET
    phi_file: Path | None = None     # per-pixel look azimuth angle (rad)
    where: str = ""


@dataclass
class Header:
    path: Path
    file_size: tuple[int, int]              # (cols, rows)
    window: tuple[int, int, int, int]       # (col0, col1, row0, row1) inclusive
    calibration: str                        # none | boxes | mean | zscore
    boxes: list[tuple[int, int, int, int]]  # [(col, row, half_cols, half_rows), …] full-image centres
    order: int                              # 0, 1, 2
    lam: float                              # 0 = no regularisation
    gradient_files: list[Path]              # [north, east] or []
    min_coverage: float
    sets: list[SetSpec]
    format: int = 2
    interp_radius: int = 0
    d_flag: int = 0
    dem_file: str | None = None
    zscore_half: tuple[int, int] = (0, 0)   # C_FLAG=100 search half-sizes (cols, rows)
    r_flag: int = 0                         # as written (order + 1, 0 = none)
    notes: list[str] = field(default_factory=list)  # keys accepted with no effect, for the log

    @property
    def dim(self) -> int:
        """MSBAS v10's dimension for constant geometry (see :func:`v10_dimension`)."""
        from gfjax.msbas.v10 import set_pass, v10_dimension

        passes = [set_pass(s.kind, s.heading, s.incidence) for s in self.sets]
        return v10_dimension([s.kind for s in self.sets], passes, bool(self.gradient_files),
                             self.d_flag, where=str(self.path))


@overload
def _numbers(values: Sequence[str], where: str, key: str, n: int | None = None) -> list[float]: ...
@overload
def _numbers(values: Sequence[str], where: str, key: str, n: int | None = None, *,
             cast: Callable[[str], _N]) -> list[_N]: ...


def _numbers(values: Sequence[str], where: str, key: str, n: int | None = None,
             cast: Callable[[str], float] = float) -> list[Any]:
    try:
        out = [cast(v) for v in values]
    except ValueError:
        raise HeaderError(f"{where}: {key} expects numbers, got {', '.join(values)}") from None
    if n is not None and len(out) != n:
        raise HeaderError(f"{where}: {key} expects {n} values, got {len(out)} ({', '.join(values)})")
    return out


def _path(text: str, base: Path) -> Path:
    """v10 opens paths relative to its working directory; gfjax relative to the header's folder
    first (the usual case, where both coincide), then to the working directory."""
    p = Path(text)
    if p.is_absolute() or (base / p).exists() or not p.exists():
        return p if p.is_absolute() else base / p
    return p.resolve()


def _date(text: str, hhmmss: str, where: str) -> _dt.datetime:
    if len(text) != 8 or not text.isdigit():
        raise HeaderError(f"{where}: date {text!r} must be YYYYMMDD (8 digits, as MSBAS v10 requires)")
    try:
        when = _dt.datetime.strptime(text + hhmmss, "%Y%m%d%H%M%S")
    except ValueError:
        raise HeaderError(f"{where}: bad date {text!r} (expected YYYYMMDD)") from None
    if not 1990 <= when.year <= 2050:
        raise HeaderError(f"{where}: year {when.year} outside 1990-2050 (MSBAS v10 refuses it)")
    return when


def read_list(path: Path, hhmmss: str, base: Path, where_set: str) -> list[MapEntry]:
    """Entries of one list file; every malformed line is an error naming file and line (v10 would
    stop reading the list there silently)."""
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
        out.append(MapEntry(_path(parts[0], base), bperp, _date(parts[2], hhmmss, where),
                            _date(parts[3], hhmmss, where), where, parts[2], parts[3]))
    if not out:
        raise HeaderError(f"{where_set}: list file {path} has no maps")
    return out


def _lines(path: Path) -> Iterator[tuple[int, str, list[str], str]]:
    """(line number, KEY, [values], where) of every KEY=VALUE line, v10's way (no blanks)."""
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text = "".join(line.split("#", 1)[0].split())
        if not text:
            continue
        where = f"{path}:{i}"
        if "=" not in text:
            raise HeaderError(f"{where}: expected KEY=value, got {text!r}")
        key, value = text.split("=", 1)
        if not value:
            raise HeaderError(f"{where}: {key} has no value (MSBAS v10 would skip the line)")
        yield i, key, value.split(","), where


def _set(values: list[str], where: str, base: Path) -> SetSpec:
    if len(values) not in (5, 7):
        raise HeaderError(f"{where}: SET expects 'type, hhmmss, heading, incidence, list' "
                          f"(+ ', theta_file, phi_file'), got {len(values)} fields")
    kind = _numbers(values[:1], where, "SET type", cast=int)[0]
    if kind not in (0, 1):
        raise HeaderError(f"{where}: SET type must be 0 (range/LOS) or 1 (azimuth), got {kind}")
    hhmmss = values[1]
    if not (hhmmss.isdigit() and len(hhmmss) == 6):
        raise HeaderError(f"{where}: SET time must be hhmmss (6 digits, as MSBAS v10 requires), "
                          f"got {values[1]!r}")
    heading, inc = _numbers(values[2:4], where, "SET heading/incidence")
    s = SetSpec(kind, hhmmss, heading, inc, _path(values[4], base), where=where)
    if len(values) == 7:
        s.theta_file, s.phi_file = _path(values[5], base), _path(values[6], base)
    s.maps = read_list(s.list_file, hhmmss, base, where)
    return s


def _c_flag(vals: list[str], where: str, window: tuple[int, int, int, int]
            ) -> tuple[str, list[tuple[int, int, int, int]], tuple[int, int]]:
    """(calibration, boxes, zscore half-sizes) of a C_FLAG value (see module doc)."""
    nums = _numbers(vals, where, "C_FLAG", cast=int)
    n = nums[0]
    if len(nums) == 1:
        if n in (0, 10):
            return ("none" if n == 0 else "mean"), [], (0, 0)
        raise HeaderError(f"{where}: C_FLAG={n} needs more values (MSBAS v10 stops with 'expecting "
                          "additional parameters in C_FLAG'): use 'n, c1, r1, …, a, b' for n "
                          "reference boxes, '100, a, b' for the automatic reference, 0 or 10")
    if 1 <= n <= 9:
        if len(nums) != 3 + 2 * n:
            raise HeaderError(f"{where}: C_FLAG={n} expects {2 + 2 * n} more values (column, row "
                              f"of each of the {n} box centres, then the half-sizes a, b), got "
                              f"{len(nums) - 1}")
        a, b = nums[-2:]
        boxes = [(nums[1 + 2 * k], nums[2 + 2 * k], a, b) for k in range(n)]
        c0, c1, r0, r1 = window
        for k, (c, r, _, _) in enumerate(boxes):
            if not (c0 <= c <= c1 and r0 <= r <= r1):
                raise HeaderError(f"{where}: C_FLAG box {k + 1} centre (column {c}, row {r}) is "
                                  f"outside WINDOW_SIZE {window} (full-image coordinates)")
        if a < 0 or b < 0:
            raise HeaderError(f"{where}: C_FLAG half-sizes must be >= 0, got {a}, {b}")
        return "boxes", boxes, (0, 0)
    if n == 100:
        if len(nums) != 3:
            raise HeaderError(f"{where}: C_FLAG=100 expects '100, a, b' (search half-sizes), got "
                              f"{len(nums) - 1} values after 100")
        if nums[1] <= 0 or nums[2] <= 0:
            raise HeaderError(f"{where}: C_FLAG=100 half-sizes must be > 0 (MSBAS v10 would fall "
                              f"back to C_FLAG=10 without searching), got {nums[1]}, {nums[2]}")
        return "zscore", [], (nums[1], nums[2])
    raise HeaderError(f"{where}: C_FLAG={', '.join(vals)} is not a form MSBAS v10 calibrates with "
                      "(it would subtract nothing, or ignore the values after 0/10): use 0, 10, "
                      "'n, c1, r1, …, a, b' (1 <= n <= 9) or '100, a, b'")


def parse_header(path: str | PathLike[str]) -> Header:
    """Parse and validate an MSBAS v10 header and its list files."""
    path = Path(path)
    if not path.is_file():
        raise HeaderError(f"header {path} not found")
    base = path.parent
    seen: dict[str, tuple[int, list[str], str]] = {}
    sets: list[SetSpec] = []
    notes: list[str] = []
    for i, key, values, where in _lines(path):
        if key in NOT_READ_BY_V10:
            notes.append(f"{where}: {key}={','.join(values)} ignored: MSBAS v10 does not read "
                         f"{key} ({NOT_READ_BY_V10[key]}), so it has no effect there either")
            continue
        if key not in KNOWN:
            hint = " (MSBAS v10 keys are upper case)" if key.upper() in KNOWN else ""
            raise HeaderError(f"{where}: unknown header key {key!r}{hint}: MSBAS v10 would ignore "
                              f"it silently; gfjax stops so that a typo cannot change results "
                              f"unnoticed (known: {', '.join(sorted(KNOWN))})")
        if key == "SET":
            sets.append(_set(values, where, base))
            continue
        if key in seen:
            raise HeaderError(f"{where}: {key} given twice (first at line {seen[key][0]}; MSBAS v10 "
                              "would use the last one)")
        seen[key] = (i, values, where)
    for required in ("FORMAT", "FILE_SIZE"):
        if required not in seen:
            raise HeaderError(f"{path}: missing {required}")
    if not sets:
        raise HeaderError(f"{path}: no SET lines")

    def get(key: str) -> tuple[list[str], str]:
        return seen[key][1], seen[key][2]

    vals, where = get("FORMAT")
    fmt = _numbers(vals, where, "FORMAT", cast=int)
    if len(fmt) > 2:
        raise HeaderError(f"{where}: FORMAT expects '2' or '2, r', got {', '.join(vals)}")
    if fmt[0] in (0, 1) and len(fmt) == 1:
        raise HeaderError(f"{where}: " + REFUSED_FORMAT.format(f=fmt[0]))
    if fmt[0] != 2:
        raise HeaderError(f"{where}: FORMAT={', '.join(vals)} is refused by MSBAS v10 too "
                          "(FORMAT is 0, 1, 2 or '2, r')")
    radius = fmt[1] if len(fmt) == 2 else 0
    if not 0 <= radius <= 16:
        raise HeaderError(f"{where}: FORMAT interpolation radius must be in 0..16 (MSBAS v10), "
                          f"got {radius}")
    vals, where = get("FILE_SIZE")
    cols, rows = _numbers(vals, where, "FILE_SIZE", 2, cast=int)
    if cols <= 0 or rows <= 0:
        raise HeaderError(f"{where}: FILE_SIZE must be positive, got {cols}, {rows}")
    window = (0, cols - 1, 0, rows - 1)
    if "WINDOW_SIZE" in seen:
        vals, where = get("WINDOW_SIZE")
        c0, c1, r0, r1 = _numbers(vals, where, "WINDOW_SIZE", 4, cast=int)
        if c0 < 0 or c1 < c0 or r0 < 0 or r1 < r0 or c1 >= cols or r1 >= rows:
            raise HeaderError(f"{where}: WINDOW_SIZE {c0},{c1},{r0},{r1} must satisfy 0 <= c0 <= c1 "
                              f"< {cols} and 0 <= r0 <= r1 < {rows} (FILE_SIZE)")
        if c1 == 0 or r1 == 0:
            notes.append(f"{where}: WINDOW_SIZE with a last column or row of 0 means the whole image "
                         "in MSBAS v10")
        else:
            window = (c0, c1, r0, r1)
    boxes: list[tuple[int, int, int, int]] = []
    calibration, zhalf = "none", (0, 0)
    if "C_FLAG" in seen:
        vals, where = get("C_FLAG")
        calibration, boxes, zhalf = _c_flag(vals, where, window)
    order, lam, r_flag = 0, 0.0, 0
    if "R_FLAG" in seen:
        vals, where = get("R_FLAG")
        nums = _numbers(vals, where, "R_FLAG")
        if len(nums) == 1 and nums[0] == 0:
            pass
        elif len(nums) == 2 and nums[0] in (1, 2, 3):
            r_flag, order, lam = int(nums[0]), int(nums[0]) - 1, nums[1]
            if lam <= 0:
                raise HeaderError(f"{where}: R_FLAG λ must be > 0, got {lam}")
        else:
            raise HeaderError(f"{where}: R_FLAG must be 0 or 'k, λ' with k = 1|2|3 (Tikhonov order "
                              f"k - 1), got {', '.join(vals)}")
    d_flag = 0
    if "D_FLAG" in seen:
        vals, where = get("D_FLAG")
        d_flag = _numbers(vals, where, "D_FLAG", 1, cast=int)[0]
        if d_flag not in (0, 1):
            raise HeaderError(f"{where}: D_FLAG must be 0 or 1, got {d_flag}")
    gradient_files: list[Path] = []
    if "DD_NSEW_FILES" in seen:
        vals, where = get("DD_NSEW_FILES")
        if len(vals) != 2:
            raise HeaderError(f"{where}: DD_NSEW_FILES expects 2 files (north slope, east slope), "
                              f"got {len(vals)}")
        gradient_files = [_path(v, base) for v in vals]
    elif d_flag == 1:
        notes.append(f"{get('D_FLAG')[1]}: D_FLAG=1 without DD_NSEW_FILES: MSBAS v10 then runs "
                     "3D (no surface-parallel constraint)")
    dem_file: str | None = None
    if "DEM_FILE" in seen:
        vals, where = get("DEM_FILE")
        if len(vals) != 1:
            raise HeaderError(f"{where}: DEM_FILE expects one path (MSBAS v10 ignores the key "
                              "otherwise)")
        dem_file = vals[0]
        notes.append(f"{where}: DEM_FILE={dem_file} read but not used (MSBAS v10 does not use it "
                     "either; slopes come from DD_NSEW_FILES)")
    min_cov = 0.0
    if "MC_FLAG" in seen:
        vals, where = get("MC_FLAG")
        min_cov = _numbers(vals, where, "MC_FLAG", 1)[0]
        if not 0 <= min_cov <= 1:
            raise HeaderError(f"{where}: MC_FLAG must be a fraction in [0, 1], got {min_cov}")
    return Header(path, (cols, rows), window, calibration, boxes, order, lam, gradient_files,
                  min_cov, sets, format=2, interp_radius=radius, d_flag=d_flag, dem_file=dem_file,
                  zscore_half=zhalf, r_flag=r_flag, notes=notes)


def map_times(header: Header) -> tuple[list[MapEntry], ArrayLike, ArrayLike, ArrayLike]:
    """Per map (flattened over sets): entries, set index, master/slave decimal years.

    The last three are lists (typed as array-likes: callers turn them into arrays in place)."""
    from gfjax.msbas.network import decimal_year

    entries: list[MapEntry] = []
    set_index: list[int] = []
    tm: list[float] = []
    ts: list[float] = []
    for s, spec in enumerate(header.sets):
        for e in spec.maps:
            entries.append(e)
            set_index.append(s)
            tm.append(decimal_year(e.master))
            ts.append(decimal_year(e.slave))
    return entries, set_index, tm, ts
