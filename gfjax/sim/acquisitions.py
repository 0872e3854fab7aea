"""Sentinel-1 acquisition dates of the two Muldrow tracks (science.md Table 1) and decimal years.

The calendar is synthetic but plausible: one 12-day repeat per track from its first date (S1A;
S1B, 26 Sept 2016 – 23 Dec 2021, was programmed over Alaska only in part, so the 6-day S1B
midpoints are not used, except T065's published last date 2021-11-08 which lies 6 days off the
12-day grid, an S1B acquisition). Missing acquisitions (outages, conflicts with other modes,
sparse coverage before 2017 and in winter) are then removed by a fixed rule until each track
has exactly its published count: 135 dates for T065 (2014-10-22 → 2021-11-08) and 164 for T131
(2014-10-26 → 2021-11-18), no gap longer than ``max_gap_days``; first and last dates are always
kept. Times of day are fixed per track (UTC): ascending 04:10:27, descending 17:19:48.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gfjax.core.time import datetime_from_decimal_year, decimal_year  # noqa: F401  (re-exported)

@dataclass(frozen=True)
class TrackCalendar:
    """Published facts of one Sentinel-1 track over Muldrow (science.md Table 1)."""

    name: str
    direction: str
    heading_deg: float
    incidence_deg: float
    first: str
    last: str
    count: int
    time_of_day: str
    seed: int
    max_gap_days: int


CALENDARS = {
    "T065": TrackCalendar("T065", "ascending", 341.0, 39.0, "2014-10-22", "2021-11-08", 135,
                          "04:10:27", 65, 96),
    "T131": TrackCalendar("T131", "descending", 199.0, 39.0, "2014-10-26", "2021-11-18", 164,
                          "17:19:48", 131, 72),
}


def _candidates(cal: TrackCalendar) -> np.ndarray:
    first, last = np.datetime64(cal.first, "D"), np.datetime64(cal.last, "D")
    s1a = first + np.arange(0, int((last - first).astype(int)) + 1, 12)
    return np.union1d(s1a, [last])


def acquisition_dates(name: str) -> np.ndarray:
    """All acquisition dates of a track, ``datetime64[D]`` sorted, exactly ``count`` of them."""
    if name not in CALENDARS:
        raise ValueError(f"track: unknown name {name!r}; expected one of {sorted(CALENDARS)}")
    cal = CALENDARS[name]
    dates = _candidates(cal)
    n_drop = len(dates) - cal.count
    if n_drop < 0:
        raise RuntimeError(f"{name}: only {len(dates)} candidate dates for {cal.count}")
    # Drop preferentially in winter (Nov–Mar) and before 2017, where Alaska coverage was sparse;
    # a fixed per-track random order makes the gaps irregular but reproducible.
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    winter = (month >= 11) | (month <= 3)
    early = dates < np.datetime64("2017-01-01")
    priority = np.random.default_rng(cal.seed).random(len(dates)) + 0.4 * winter + 0.6 * early
    day = (dates - dates[0]).astype(int)
    keep = np.ones(len(dates), dtype=bool)
    for i in np.argsort(-priority, kind="stable"):
        if n_drop == 0:
            break
        if i in (0, len(dates) - 1):
            continue
        prev = np.flatnonzero(keep[:i])[-1]
        nxt = i + 1 + np.flatnonzero(keep[i + 1:])[0]
        if day[nxt] - day[prev] <= cal.max_gap_days:
            keep[i] = False
            n_drop -= 1
    out = dates[keep]
    assert len(out) == cal.count and out[0] == np.datetime64(cal.first) and out[-1] == np.datetime64(cal.last)
    return out


def acquisition_times(name: str) -> np.ndarray:
    """Acquisition times (date + the track's time of day), ``datetime64[s]``."""
    cal = CALENDARS[name]
    h, m, s = (int(v) for v in cal.time_of_day.split(":"))
    return acquisition_dates(name).astype("datetime64[s]") + np.timedelta64(3600 * h + 60 * m + s, "s")
