"""gfjax.core.time: the MSBAS decimal year (science.md §6) of datetime64 arrays and datetimes."""
import datetime as dt

import numpy as np
import pytest

from gfjax.core.time import datetime_from_decimal_year, decimal_year


def test_decimal_year_is_the_msbas_definition():
    # 2020 is a leap year: 2 July 00:00 is day 184, (184 - 1) / 366
    assert decimal_year(dt.datetime(2020, 7, 2)) == 2020 + 183 / 366
    assert decimal_year(dt.datetime(2019, 1, 1, 12)) == 2019 + 0.5 / 365
    t = np.array(["2016-03-01T06:00:00", "2021-12-31T23:59:59"], "datetime64[s]")
    np.testing.assert_array_equal(decimal_year(t), [2016 + (60 + 0.25) / 366, 2021 + (364 + 86399 / 86400) / 365])


def test_scalar_and_array_forms_agree_to_the_bit_and_invert():
    rng = np.random.default_rng(3)
    t = (np.datetime64("2014-01-01T00:00:00") + rng.integers(0, 12 * 365 * 86400, 2000)).astype("datetime64[s]")
    years = decimal_year(t)
    assert years.dtype == np.float64
    assert [decimal_year(x.item()) for x in t] == years.tolist()
    np.testing.assert_array_equal(datetime_from_decimal_year(years), t)
    assert datetime_from_decimal_year(years[0]).item() == t[0].item()


def test_microseconds_are_kept():
    when = dt.datetime(2018, 5, 4, 3, 2, 1, 500000)
    assert decimal_year(when) == 2018 + (123 + (3 * 3600 + 2 * 60 + 1 + 0.5) / 86400) / 365
    assert decimal_year(np.datetime64(when)) == decimal_year(when)


def test_parse_time_reads_iso_and_compact_forms_alike():
    from gfjax.core.time import parse_time

    want = np.datetime64("2022-10-16T01:50:44", "s")
    for text in ("2022-10-16T01:50:44", "20221016T015044", "20221016T01:50:44.577283", "2022-10-16T01:50:44Z",
                 " 2022-10-16 01:50:44 ", b"2022-10-16T01:50:44"):
        assert parse_time(text) == want, text
    assert parse_time("20221016", "D") == np.datetime64("2022-10-16")  # not the year 20221016 NumPy reads
    assert parse_time("2022-10-16T01:50:44.577283", "ns") == np.datetime64("2022-10-16T01:50:44.577283", "ns")
    assert parse_time("2022-10-16T01:50") == np.datetime64("2022-10-16T01:50", "s")  # other ISO forms: NumPy
    for bad in ("2022-02-30", "20220230", "2022-10-16T25:00:00", "abc"):
        with pytest.raises(ValueError):
            parse_time(bad)
    with pytest.raises(ValueError, match="not a time"):
        parse_time("2022-10-16T01:50", strict=True)
