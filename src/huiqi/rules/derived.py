"""Derived profile facts: ``age_years`` and ``rd_ratio`` (DATA-CONTRACT.md section 1).

Both are returned as ``Decimal`` values with 12 decimal places, produced by the integer arithmetic of
:mod:`huiqi.rules.numbers`, so the Polars and SQL evaluators can compute bit-identical values:

* ``age_years`` is a whole number on an anniversary (``Decimal('3.000000000000')`` on the third);
  between anniversaries it is the whole years plus days-since-last-anniversary / days-between-last-
  and-next-anniversary, rounded half away from zero to 12 places.  The fraction is at least 1/366 and
  at most 365/366, so the rounding can never reach a whole number: comparisons with whole numbers
  (``age_years lt 2``) are exact, and so are comparisons with values of up to 9 decimal places
  (12 places leave 3 digits of margin below the smallest possible gap, 1 / (366 * 10^9)).
  A company founded on 29 February has its anniversary on 1 March in years that are not leap years.
  Before the founding date the same rule gives a negative age (-1 + 364/365 the day before).
* ``rd_ratio`` is ``rd_expense / revenue`` with the division of :func:`huiqi.rules.numbers.div`
  (half away from zero to 12 places; exact whenever the quotient terminates within 12 places, as
  0.04 = 40000 / 1000000 does); null when either fact is unknown or revenue is 0.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from huiqi.rules import numbers


def anniversary(established_on: date, year: int) -> date:
    """The founding anniversary in ``year``; a 29 February founding falls on 1 March in common years."""
    if established_on.month == 2 and established_on.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, established_on.month, established_on.day)


def age_years_fixed(established_on: date, on: date) -> int:
    """``age_years`` as a fixed integer (scaled by 10^12); see the module docstring."""
    whole = on.year - established_on.year
    if anniversary(established_on, established_on.year + whole) > on:
        whole -= 1
    last = anniversary(established_on, established_on.year + whole)
    following = anniversary(established_on, established_on.year + whole + 1)
    days = (on - last).days
    span = (following - last).days
    return whole * numbers.ONE + numbers.div_half_away(days * numbers.ONE, span)


def age_years(established_on: date, on: date) -> Decimal:
    """Calendar years from ``established_on`` to ``on`` (the evaluation date), 12 decimal places."""
    return numbers.from_fixed(age_years_fixed(established_on, on))


def rd_ratio(rd_expense: Decimal | int | None, revenue: Decimal | int | None) -> Decimal | None:
    """R&D expense over revenue, 12 decimal places; None if either is unknown or revenue is 0."""
    if rd_expense is None or revenue is None:
        return None
    expense_fixed = numbers.to_fixed(rd_expense)
    revenue_fixed = numbers.to_fixed(revenue)
    if expense_fixed is None or revenue_fixed is None:
        return None
    ratio = numbers.div(expense_fixed, revenue_fixed)
    return None if ratio is None else numbers.from_fixed(ratio)
