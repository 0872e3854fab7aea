"""MSBAS decimal years (science.md §6) and their inverse: the only decimal-year code of gfjax.

``decimal_year = y + (DOY − 1 + seconds_of_day/86400) / days_in_year`` (UTC; 365 or 366 days),
exactly as MSBAS v10 writes epochs. Times are float64: a float32 year resolves only ~2 minutes.
"""
from __future__ import annotations

import datetime as _dt
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
