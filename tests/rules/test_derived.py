"""age_years and rd_ratio exactly as DATA-CONTRACT.md section 1 defines them."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.rules.derived import age_years, rd_ratio


@pytest.mark.parametrize(
    ("established_on", "on", "expected"),
    [
        # A whole number on an anniversary: 3.0 on the third.
        (date(2020, 3, 15), date(2023, 3, 15), Decimal(3)),
        (date(2024, 6, 30), date(2026, 6, 30), Decimal(2)),
        (date(2020, 3, 15), date(2020, 3, 15), Decimal(0)),
        # Between anniversaries: days since the last over days between last and next (366: 2024-02-29).
        (date(2020, 3, 15), date(2023, 3, 16), Decimal("3.002732240437")),
        (date(2021, 1, 1), date(2021, 3, 15), Decimal("0.2")),  # 73 / 365 terminates
        (date(2023, 1, 1), date(2023, 7, 2), Decimal("0.498630136986")),  # 182 / 365 rounded to 12 places
        (date(2024, 6, 30), date(2026, 6, 29), Decimal("1.997260273973")),  # 364 / 365
        # A 29 February founding: anniversary on 1 March in common years, on 29 February in leap years.
        (date(2020, 2, 29), date(2021, 2, 28), Decimal("0.997267759563")),  # 365 / 366
        (date(2020, 2, 29), date(2021, 3, 1), Decimal(1)),
        (date(2020, 2, 29), date(2023, 3, 1), Decimal(3)),
        (date(2020, 2, 29), date(2024, 2, 28), Decimal("3.997260273973")),  # 364 / 365
        (date(2020, 2, 29), date(2024, 2, 29), Decimal(4)),
        (date(2020, 2, 29), date(2024, 3, 1), Decimal("4.002732240437")),  # 1 / 366 (to 2025-03-01)
        # Founded on 1 March: unaffected by leap days except in the span.
        (date(2019, 3, 1), date(2020, 2, 29), Decimal("0.997267759563")),  # 365 / 366
        # Before the founding date the same rule gives a negative age.
        (date(2024, 6, 30), date(2024, 6, 29), Decimal("-0.002732240437")),  # -1 + 365 / 366
    ],
)
def test_age_years_follows_the_contract(established_on: date, on: date, expected: Decimal) -> None:
    assert age_years(established_on, on) == expected


def test_age_years_is_a_decimal_with_twelve_places() -> None:
    value = age_years(date(2020, 3, 15), date(2023, 3, 15))
    assert isinstance(value, Decimal)
    assert value.as_tuple().exponent == -12


def test_age_under_two_is_decided_exactly_on_the_day_before_and_the_anniversary() -> None:
    assert age_years(date(2024, 6, 30), date(2026, 6, 29)) < 2
    assert not age_years(date(2024, 6, 30), date(2026, 6, 30)) < 2


def _exact_age(established_on: date, on: date) -> Fraction:
    """An independent rational implementation of the contract's definition, for comparison."""

    def anniversary(year: int) -> date:
        if (established_on.month, established_on.day) == (2, 29) and not calendar.isleap(year):
            return date(year, 3, 1)
        return established_on.replace(year=year)

    whole = on.year - established_on.year
    while anniversary(established_on.year + whole) > on:
        whole -= 1
    last, following = anniversary(established_on.year + whole), anniversary(established_on.year + whole + 1)
    return whole + Fraction((on - last).days, (following - last).days)


_dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=300, deadline=None)
@given(established_on=_dates, on=_dates)
def test_age_years_is_the_exact_fraction_rounded_to_twelve_places(established_on: date, on: date) -> None:
    exact = _exact_age(established_on, on)
    value = age_years(established_on, on)
    assert abs(Fraction(value) - exact) <= Fraction(1, 2 * 10**12)
    assert (Fraction(value) == int(value)) == (exact.denominator == 1)


@settings(max_examples=200, deadline=None)
@given(established_on=_dates, on=_dates)
def test_age_years_never_decreases_from_one_day_to_the_next(established_on: date, on: date) -> None:
    assert age_years(established_on, on + timedelta(days=1)) > age_years(established_on, on)


@pytest.mark.parametrize(
    ("rd_expense", "revenue", "expected"),
    [
        (Decimal(40000), Decimal(1000000), Decimal("0.04")),
        (Decimal("360209.10"), Decimal("6801962.17"), Decimal("0.052956645597")),
        (1, 3, Decimal("0.333333333333")),
        (2, 3, Decimal("0.666666666667")),  # half away from zero at the 12th place
        (-2, 3, Decimal("-0.666666666667")),
        (0, 5, Decimal(0)),
        (None, Decimal(100), None),
        (Decimal(100), None, None),
        (Decimal(100), Decimal(0), None),  # revenue 0: null, not a division error
        (Decimal(100), Decimal("0.00"), None),
    ],
)
def test_rd_ratio_follows_the_contract(
    rd_expense: Decimal | int | None, revenue: Decimal | int | None, expected: Decimal | None
) -> None:
    assert rd_ratio(rd_expense, revenue) == expected


def test_rd_ratio_of_a_fact_beyond_the_range_is_unknown() -> None:
    assert rd_ratio(Decimal(10) ** 16, Decimal(1)) is None
