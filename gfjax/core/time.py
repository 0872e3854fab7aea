"""MSBAS decimal years (science.md §6) and their inverse: the only decimal-year code of gfjax.

``decimal_year = y + (DOY − 1 + seconds_of_day/86400) / days_in_year`` (UTC; 365 or 366 days),
exactly as MSBAS v10 writes epochs. Times are float64: a float32 year resolves only ~2 minutes.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import overload

import numpy as np
import numpy.typing as npt


@overload
def decimal_year(times: _dt.datetime) -> float: ...
@overload
def decimal_year(times: npt.ArrayLike) -> np.ndarray: ...
def decimal_year(times: _dt.datetime | npt.ArrayLike) -> float | np.ndarray:
    """MSBAS decimal year of ``datetime64`` times (any shape; float64 array) or of one
    ``datetime.datetime`` (float). Resolution: the microsecond."""
    if isinstance(times, _dt.datetime):
        return float(decimal_year(np.datetime64(times, "us")))
    t = np.asarray(times, dtype="datetime64[us]")
    year = t.astype("datetime64[Y]")
    y = year.astype(np.int64) + 1970
    day0 = year.astype("datetime64[D]")
    day = t.astype("datetime64[D]")
    days = (day - day0).astype(np.int64).astype(np.float64)
    us = (t - day).astype(np.int64)
    # whole seconds, then the microseconds: the same sum as seconds_of_day of a datetime
    sec = (us // 1_000_000).astype(np.float64) + (us % 1_000_000) * 1e-6
    ndays = ((year + 1).astype("datetime64[D]") - day0).astype(np.int64).astype(np.float64)
    return y + (days + sec / 86400.0) / ndays


def datetime_from_decimal_year(t: npt.ArrayLike) -> np.ndarray:
    """Inverse of :func:`decimal_year`, rounded to the second (``datetime64[s]``, the shape of
    ``t``; ``.item()`` of a scalar is a ``datetime.datetime``)."""
    t = np.asarray(t, dtype=np.float64)
    y = np.floor(t).astype(np.int64)
    start = (y - 1970).astype("datetime64[Y]").astype("datetime64[s]")
    ndays = ((y - 1969).astype("datetime64[Y]").astype("datetime64[s]") - start).astype(np.float64)
    return start + np.round((t - y) * ndays).astype("timedelta64[s]")


# YYYY-MM-DD or YYYYMMDD, then optionally T (or space, underscore) and hh:mm:ss or hhmmss with a
# fraction, then optionally Z (UTC)
TIME_PATTERN = re.compile(r"(\d{4})-?(\d\d)-?(\d\d)(?:[T _](\d\d):?(\d\d):?(\d\d)(\.\d*)?)?Z?")


def parse_time(text: str | bytes, unit: str = "s", strict: bool = False) -> np.datetime64:
    """UTC time text → ``datetime64[unit]``: ``YYYY-MM-DD`` or ``YYYYMMDD``, optionally followed
    by ``T``, a space or ``_`` and ``hh:mm:ss`` or ``hhmmss`` with an optional fraction (9 digits
    at most are kept), optionally ``Z``. Unless ``strict``, other ISO 8601 forms NumPy reads
    (``2020-01-01T12:00``, a UTC offset …) are read by NumPy. A coarser ``unit`` truncates.
    ``ValueError`` (the caller names the file and field) if the text is not such a time."""
    s = (text.decode() if isinstance(text, bytes) else str(text)).strip()
    m = TIME_PATTERN.fullmatch(s)
    if m is None:
        if strict:
            raise ValueError(f"not a time YYYY-MM-DD[Thh:mm:ss[.f]] or YYYYMMDD[Thhmmss[.f]]: {text!r}")
        return np.datetime64(s.rstrip("Z"), unit)  # type: ignore[call-overload]  # unit: any NumPy unit
    y, mo, d, hh, mm, ss, frac = m.groups()
    iso = f"{y}-{mo}-{d}"
    if hh is not None:
        iso += f"T{hh}:{mm}:{ss}{frac[:10] if frac and len(frac) > 1 else ''}"
    return np.datetime64(iso, unit)  # type: ignore[call-overload]
