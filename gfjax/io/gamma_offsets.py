"""GAMMA offset maps: ``.offs`` (offsets), ``.ccp`` (correlation) and the ``.off`` parameter file.

As ``offset_pwr_tracking`` writes them (big-endian, rows = azimuth estimates, columns = range
estimates): ``.offs`` FCOMPLEX with real = range offset and imaginary = azimuth offset (px,
secondary minus reference); ``.ccp`` FLOAT (``>f4``) cross-correlation peak; the ISP offset
parameter file (title "Gamma Interferometric SAR Processor (ISP)" / "Interferogram and Image
Offset Parameter File") with::

    offset_estimation_range_samples:     number of estimates across (columns of .offs)
    offset_estimation_azimuth_samples:   number of estimates down (rows of .offs)
    offset_estimation_starting_range:    first range sample of the first window (px)
    offset_estimation_ending_range:      last range sample covered
    offset_estimation_range_spacing:     step between estimates in range (px)
    offset_estimation_starting_azimuth / _ending_azimuth / _azimuth_spacing: the same in azimuth
    offset_estimation_window_width / _window_height: window size, range / azimuth (px)
    offset_estimation_threshhold:        correlation threshold (GAMMA's spelling)
    range_offset_polynomial / azimuth_offset_polynomial: a0 + a1 r + a2 az + a3 r az + a4 r² + a5 az²

gfjax places estimate (i, j) at the centre of its window: azimuth ``starting_azimuth +
(window_height − 1)/2 + i · azimuth_spacing``, range likewise — the coordinates of
:func:`gfjax.offsets.track_offsets`. GAMMA marks rejected estimates by a correlation below the
threshold (their offsets set to 0); they become NaN here. The offsets are taken as they are
(total offsets); evaluate the polynomial with :func:`offset_polynomial` to subtract it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import xarray as xr

from .gamma import GammaFormatError, par_value, format_par, par_number, read_par, read_raw

OFFSET_TITLE = ["Gamma Interferometric SAR Processor (ISP)", "Interferogram and Image Offset Parameter File"]
# dataset variables of the per-pair offset layout (gfjax.offsets.track_offsets)
DATASET_VARS = ("azimuth_offset", "range_offset", "snr", "peak", "cov_azimuth", "cov_range", "cov_cross", "reason")
OK, LOW_QUALITY = 0, 4  # reason codes of gfjax.offsets.quality


@dataclass(frozen=True)
class OffsetParams:
    """The offset-estimation fields of an ISP offset parameter file (``extra``: the others)."""

    range_samples: int
    azimuth_samples: int
    starting_range: float
    starting_azimuth: float
    range_spacing: float
    azimuth_spacing: float
    window_width: int  # range
    window_height: int  # azimuth
    threshold: float = 0.0
    range_offset_polynomial: tuple[float, ...] = (0.0,) * 6
    azimuth_offset_polynomial: tuple[float, ...] = (0.0,) * 6
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.azimuth_samples, self.range_samples)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """(azimuth (na,), range (nr,)) window centres of the estimates, reference px."""
        ia, ir = np.arange(self.azimuth_samples), np.arange(self.range_samples)
        az = self.starting_azimuth + (self.window_height - 1) / 2.0 + ia * self.azimuth_spacing
        rg = self.starting_range + (self.window_width - 1) / 2.0 + ir * self.range_spacing
        return az.astype(np.float64), rg.astype(np.float64)


_KEYS = {"range_samples": "offset_estimation_range_samples", "azimuth_samples": "offset_estimation_azimuth_samples",
         "starting_range": "offset_estimation_starting_range", "starting_azimuth": "offset_estimation_starting_azimuth",
         "range_spacing": "offset_estimation_range_spacing", "azimuth_spacing": "offset_estimation_azimuth_spacing",
         "window_width": "offset_estimation_window_width", "window_height": "offset_estimation_window_height"}
_THRESHOLD_KEYS = ("offset_estimation_threshhold", "offset_estimation_threshold")


def read_offset_par(path: str | PathLike[str]) -> OffsetParams:
    """Parse an ISP offset parameter file (``.off``); errors name the file and the field."""
    path = Path(path)
    _, v = read_par(path)
    values: dict[str, Any] = {}
    for name, key in _KEYS.items():
        kind = int if name in ("range_samples", "azimuth_samples", "window_width", "window_height") else float
        values[name] = par_number(path, v, key, kind)
        if kind is int and values[name] < 1:
            raise GammaFormatError(f"{path}: field {key!r}: expected a count >= 1, got {values[name]}")
    for name in ("range_spacing", "azimuth_spacing"):
        if not values[name] > 0:
            raise GammaFormatError(f"{path}: field {_KEYS[name]!r}: expected a step > 0 px, got {values[name]}")
    thr_key = next((k for k in _THRESHOLD_KEYS if k in v), None)
    threshold = par_number(path, v, thr_key) if thr_key else 0.0
    polys: dict[str, Any] = {}
    for name in ("range_offset_polynomial", "azimuth_offset_polynomial"):
        n = len(v.get(name, "").split())
        polys[name] = par_number(path, v, name, count=n) if n else (0.0,) * 6
        if n == 1:
            polys[name] = (polys[name],)
    used = set(_KEYS.values()) | set(_THRESHOLD_KEYS) | {"title", *polys}
    return OffsetParams(threshold=threshold, title=v.get("title", ""),
                        extra={k: s for k, s in v.items() if k not in used}, **values, **polys)


def _int_or_float(x: float) -> str:
    return f"{int(x):>18d}" if float(x) == int(x) else par_value(x)


def write_offset_par(path: str | PathLike[str], p: OffsetParams) -> Path:
    """Write ``p`` as an ISP offset parameter file (GAMMA's titles and keys)."""
    end_rg = p.starting_range + (p.range_samples - 1) * p.range_spacing + p.window_width - 1
    end_az = p.starting_azimuth + (p.azimuth_samples - 1) * p.azimuth_spacing + p.window_height - 1
    items = [("title", p.title),
             ("offset_estimation_range_samples", f"{p.range_samples:>18d}"),
             ("offset_estimation_azimuth_samples", f"{p.azimuth_samples:>18d}"),
             ("offset_estimation_starting_range", _int_or_float(p.starting_range)),
             ("offset_estimation_ending_range", _int_or_float(end_rg)),
             ("offset_estimation_range_spacing", _int_or_float(p.range_spacing)),
             ("offset_estimation_starting_azimuth", _int_or_float(p.starting_azimuth)),
             ("offset_estimation_ending_azimuth", _int_or_float(end_az)),
             ("offset_estimation_azimuth_spacing", _int_or_float(p.azimuth_spacing)),
             ("offset_estimation_window_width", f"{p.window_width:>18d}"),
             ("offset_estimation_window_height", f"{p.window_height:>18d}"),
             ("offset_estimation_threshhold", par_value(p.threshold)),
             ("range_offset_polynomial", "   ".join(repr(float(c)) for c in p.range_offset_polynomial)),
             ("azimuth_offset_polynomial", "   ".join(repr(float(c)) for c in p.azimuth_offset_polynomial))]
    items += [(k, s) for k, s in p.extra.items() if k not in dict(items)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_par(OFFSET_TITLE, items))
    return path


def offset_polynomial(coefficients: Sequence[float], azimuth_px: ArrayLike, range_px: ArrayLike) -> np.ndarray:
    """GAMMA's offset model a0 + a1 r + a2 az + a3 r az + a4 r² + a5 az² (missing terms = 0)."""
    c = list(coefficients) + [0.0] * (6 - len(coefficients))
    r, a = np.asarray(range_px, np.float64), np.asarray(azimuth_px, np.float64)
    out: np.ndarray = c[0] + c[1] * r + c[2] * a + c[3] * r * a + c[4] * r * r + c[5] * a * a
    return out


def pair_paths(stem: str | PathLike[str]) -> tuple[Path, Path, Path]:
    """``(<stem>.offs, <stem>.ccp, <stem>.off)``."""
    text = str(stem)
    return Path(text + ".offs"), Path(text + ".ccp"), Path(text + ".off")


def read_offsets(stem: str | PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, OffsetParams]:
    """``(azimuth_offset, range_offset, ccp or None, params)`` float32 (na, nr) of
    ``<stem>.offs`` (+ ``<stem>.ccp`` when present) described by ``<stem>.off``; rejected
    estimates (correlation below the threshold or ≤ 0, or non-finite) are NaN."""
    offs, ccp_path, par_path = pair_paths(stem)
    p = read_offset_par(par_path)
    fields = (f"offset_estimation_range_samples={p.range_samples}, "
              f"offset_estimation_azimuth_samples={p.azimuth_samples}")
    raw = read_raw(offs, p.shape, ">f4", 2, par_path, fields + ", FCOMPLEX", "FCOMPLEX offsets")
    rg, az = raw[..., 0].astype(np.float32), raw[..., 1].astype(np.float32)
    bad = ~(np.isfinite(rg) & np.isfinite(az))
    ccp = None
    if ccp_path.is_file():
        ccp = read_raw(ccp_path, p.shape, ">f4", 1, par_path, fields + ", FLOAT", "FLOAT correlation")
        ccp = ccp.astype(np.float32)
        bad |= ~np.isfinite(ccp) | (ccp <= 0) | (ccp < p.threshold)
    else:
        bad |= (rg == 0) & (az == 0)  # GAMMA's mark of a rejected estimate
    rg[bad] = np.nan
    az[bad] = np.nan
    return az, rg, ccp, p


def write_offsets(stem: str | PathLike[str], azimuth_offset: ArrayLike, range_offset: ArrayLike,
                  ccp: ArrayLike | None, params: OffsetParams) -> tuple[Path, Path, Path]:
    """Write ``<stem>.offs``/``.ccp``/``.off``; NaN offsets become 0 with correlation 0."""
    az = np.asarray(azimuth_offset, np.float32)
    rg = np.asarray(range_offset, np.float32)
    if az.shape != params.shape or rg.shape != params.shape:
        raise ValueError(f"{stem}: offsets {az.shape}/{rg.shape} differ from the parameters' "
                         f"(azimuth_samples, range_samples) = {params.shape}")
    bad = ~(np.isfinite(az) & np.isfinite(rg))
    c = np.ones(az.shape, np.float32) if ccp is None else np.asarray(ccp, np.float32).copy()
    c[~np.isfinite(c) | (c <= 0)] = np.float32(1e-6)  # a kept estimate must read back as kept
    c[bad] = 0.0
    offs, ccp_path, par_path = pair_paths(stem)
    offs.parent.mkdir(parents=True, exist_ok=True)
    np.stack([np.where(bad, 0, rg), np.where(bad, 0, az)], axis=-1).astype(">f4").tofile(offs)
    c.astype(">f4").tofile(ccp_path)
    write_offset_par(par_path, params)
    return offs, ccp_path, par_path


# --- the per-pair dataset layout of the offsets stage ---------------------------------------
def offsets_dataset(stem: str | PathLike[str]) -> xr.Dataset:
    """GAMMA offsets as the offsets stage's per-pair ``xarray.Dataset`` (coords ``azimuth``,
    ``range`` = window centres, px): ``azimuth_offset``, ``range_offset``, ``peak`` (= ccp),
    ``reason`` (0 kept, 4 rejected); ``snr`` and the covariances are NaN (not in GAMMA files)."""
    import xarray as xr

    az, rg, ccp, p = read_offsets(stem)
    ca, cr = p.centres()
    dims = ("azimuth", "range")
    nan = np.full(p.shape, np.nan, np.float32)
    data = {"azimuth_offset": (dims, az, {"units": "px", "long_name": "azimuth offset, secondary - reference"}),
            "range_offset": (dims, rg, {"units": "px", "long_name": "range offset, secondary - reference"}),
            "snr": (dims, nan.copy()), "peak": (dims, nan.copy() if ccp is None else ccp),
            "cov_azimuth": (dims, nan.copy(), {"units": "px2"}), "cov_range": (dims, nan.copy(), {"units": "px2"}),
            "cov_cross": (dims, nan.copy(), {"units": "px2"}),
            "reason": (dims, np.where(np.isnan(az), LOW_QUALITY, OK).astype(np.int8))}
    ds = xr.Dataset(data, coords={"azimuth": ("azimuth", ca, {"units": "px"}), "range": ("range", cr, {"units": "px"})})
    ds.attrs.update(source=f"GAMMA offsets {Path(str(stem)).name}.offs", window=[p.window_height, p.window_width],
                    step=[p.azimuth_spacing, p.range_spacing])
    return ds


def write_offsets_dataset(ds: xr.Dataset, stem: str | PathLike[str], window: Sequence[int] | None = None,
                          title: str = "") -> tuple[Path, Path, Path]:
    """Write a per-pair offsets Dataset (``azimuth``/``range`` window centres on a regular grid)
    as GAMMA files; ``window`` (azimuth, range) px defaults to ``ds.attrs["window"]``."""
    window = window if window is not None else ds.attrs.get("window")
    if window is None or len(window) != 2:
        raise ValueError(f"{stem}: window (azimuth, range) size needed (not in the dataset's attrs)")
    ca, cr = ds["azimuth"].values, ds["range"].values
    steps = []
    for name, c in (("azimuth", ca), ("range", cr)):
        d = np.diff(c)
        if d.size and not np.allclose(d, d[0]):
            raise ValueError(f"{stem}: {name} coordinates are not evenly spaced; GAMMA offsets need a regular grid")
        steps.append(float(d[0]) if d.size else 1.0)
    wa, wr = int(window[0]), int(window[1])
    p = OffsetParams(range_samples=cr.size, azimuth_samples=ca.size, starting_range=float(cr[0] - (wr - 1) / 2.0),
                     starting_azimuth=float(ca[0] - (wa - 1) / 2.0), range_spacing=steps[1],
                     azimuth_spacing=steps[0], window_width=wr, window_height=wa, title=title)
    return write_offsets(stem, ds["azimuth_offset"].values, ds["range_offset"].values,
                         ds["peak"].values if "peak" in ds else None, p)
