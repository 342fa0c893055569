"""integrations.parsing: lenient readers answer None (or ()) for what they cannot read."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.parsing import (
    id_str,
    int_or_none,
    iso_datetime,
    str_or_none,
    str_tuple,
    unix_datetime,
)


@pytest.mark.parametrize(("value", "expected"), [("x", "x"), ("", None), (3, None), (None, None)])
def test_str_or_none_keeps_only_non_empty_strings(value, expected):
    assert str_or_none(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(7, 7), ("28800", 28800), (True, None), ("7.5", None), (None, None)]
)
def test_int_or_none_reads_ints_and_int_strings_but_not_booleans(value, expected):
    assert int_or_none(value) == expected


def test_str_tuple_keeps_the_strings_of_a_list_in_order():
    assert str_tuple(["a", 1, None, "b"]) == ("a", "b")
    assert str_tuple("a,b") == () and str_tuple(None) == ()


def test_id_str_accepts_numbers_but_not_booleans():
    assert (id_str(42), id_str("42"), id_str(True), id_str("")) == ("42", "42", None, None)


def test_iso_datetime_is_aware_and_none_when_unreadable():
    assert iso_datetime("2011-01-26T19:01:12Z") == datetime(2011, 1, 26, 19, 1, 12, tzinfo=UTC)
    assert iso_datetime("2011-01-26T19:01:12").tzinfo == UTC
    assert iso_datetime("2011-01-26T19:01:12+02:00").utcoffset() == timedelta(hours=2)
    assert iso_datetime("yesterday") is None and iso_datetime(None) is None


def test_unix_datetime_treats_zero_as_none():
    assert unix_datetime("1624244156") == datetime.fromtimestamp(1624244156, tz=UTC)
    assert unix_datetime(0) is None and unix_datetime(-5) is None and unix_datetime("x") is None
