"""Value converters: the spellings exports use, and refusals that are ValueError, never silence."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importers.values import (
    _normalise_lowered,
    domain_from_url,
    normalise_email,
    optional,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_float,
    parse_int,
    phone_key,
    split_list,
)


def test_numbers() -> None:
    assert parse_float("1,234.50") == 1234.5
    assert parse_float("$ 1234") == 1234.0
    assert parse_int("1,200") == 1200
    assert parse_int("7.0") == 7
    for bad in ("abc", "nan", "inf", "1.2.3", "12,34"):
        with pytest.raises(ValueError):
            parse_float(bad)
    with pytest.raises(ValueError):
        parse_int("1.5")


def test_dates() -> None:
    assert parse_date("2024-03-01") == date(2024, 3, 1)
    assert parse_date("21 Nov 2026") == date(2026, 11, 21)
    assert parse_date("03/04/2024") == date(2024, 3, 4)
    assert parse_date("03/04/2024", dayfirst=True) == date(2024, 4, 3)
    assert parse_date("2024-03-01T23:30:00-05:00") == date(2024, 3, 2)  # the UTC date
    with pytest.raises(ValueError):
        parse_date("31 Feb 2023")


def test_timestamps_are_utc() -> None:
    assert parse_datetime("2024-01-10T09:00:00.000Z") == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert parse_datetime("2024-01-10 09:00") == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert parse_datetime("2024-01-10T10:00:00+01:00") == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert parse_datetime("1704877200000") == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert parse_datetime("01/10/2024 9:00 AM") == datetime(2024, 1, 10, 9, tzinfo=UTC)


def test_bools_domains_phones_lists() -> None:
    assert parse_bool("TRUE") and not parse_bool("0")
    with pytest.raises(ValueError):
        parse_bool("maybe")
    assert domain_from_url("https://www.Acme.com/about?x=1") == "acme.com"
    assert domain_from_url("acme.co.uk") == "acme.co.uk"
    with pytest.raises(ValueError):
        domain_from_url("not a url")
    assert phone_key("+1 (555) 123-4567") == phone_key("555.123.4567") == "5551234567"
    assert split_list("1; 2,3;;") == ["1", "2", "3"]


def test_email_normalisation_handles_enron_forms() -> None:
    assert normalise_email('"Skilling, Jeff" <Jeff.Skilling@ENRON.com>') == "jeff.skilling@enron.com"
    assert normalise_email("'lerea.pharr'@enron.com") == "lerea.pharr@enron.com"
    assert normalise_email("'williams@enron.com") == "williams@enron.com"
    assert normalise_email("mailto:ada@example.org") == "ada@example.org"
    assert normalise_email("paul.y'barbo@enron.com") == "paul.y'barbo@enron.com"
    for mangled in (".williams@enron.com", "e-mail <.bob@enron.com>", "'@enron.com", "no-at-sign", "a@b"):
        assert normalise_email(mangled) is None


@given(st.text(alphabet="aZ09.-_@<>\"'`:+ !~\n", max_size=24))
def test_plain_addresses_take_the_short_way_to_the_same_answer(value: str) -> None:
    assert normalise_email(value) == _normalise_lowered(value.strip().lower())


def test_optional_records_the_problem() -> None:
    problems: list[str] = []
    assert optional(parse_int, "lots", "employees", problems) is None
    assert problems == ["employees: not a number: 'lots'"]
    assert optional(parse_int, None, "employees", problems) is None


@given(st.text(max_size=80))
def test_converters_only_ever_raise_value_error(text: str) -> None:
    for convert in (parse_float, parse_int, parse_bool, parse_date, parse_datetime, domain_from_url):
        with contextlib.suppress(ValueError):
            convert(text)
    normalise_email(text)
