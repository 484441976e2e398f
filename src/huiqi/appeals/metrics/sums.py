"""The per-day and per-month sums of the facts (AppealDailyStats, AppealMonthlyStats,
AppealDepartmentDailyStats) and the term counts (AppealTermDaily, AppealTermMonthly): what each
fact contributes, and moving the sums when a fact changes (rebuild.py rebuilds them all).

Every sum is additive, so a changed fact moves the sums by (new contribution - old contribution).
The change is written with one INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x statement
per table (PostgreSQL and SQLite both have it): concurrent refreshes of different tickets that
touch the same cell add up instead of overwriting each other, and the rows are written in key
order so that two refreshes cannot deadlock on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection

from huiqi.appeals.enums import Satisfaction
from huiqi.appeals.metrics.models import (
    DAY_UNITS,
    WHOLE_CITY,
    AppealDailyStats,
    AppealDepartmentDailyStats,
    AppealFact,
    AppealMonthlyStats,
    AppealTermDaily,
    AppealTermMonthly,
)
from huiqi.appeals.metrics.terms import split_terms

if TYPE_CHECKING:
    from django.db.models import Model

DIMENSIONS = ("channel", "kind", "category_id", "category_l1_id", "department_id")
MEASURES = (
    "registered",
    "merged",
    "direct_replies",
    "closed",
    "handled_closed",
    "handling_days_x10000",
    "on_time",
    "reopened",
    "department_rounds",
    "department_days_x10000",
    "followed_up",
    "resolved",
    "satisfied",
    "fairly_satisfied",
)

#: (date, channel, kind, category_id, category_l1_id, department_id)
CellKey = tuple[dt.date, str, str, int, int, int]
Measures = dict[str, Any]


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def day_units(value: Any) -> int:
    """Working days (4 decimals) as whole ten-thousandths of a day."""
    return round(Decimal(value or 0) * DAY_UNITS)


# --- what one fact contributes ----------------------------------------------------------------------


def cell_contributions(fact: AppealFact | None) -> dict[CellKey, Measures]:
    """The measures the fact adds to each daily cell (docs/metrics.md says which date is whose)."""
    if fact is None:
        return {}
    dims = (fact.channel, fact.kind, fact.category_id, fact.category_l1_id, fact.department_id)
    out: dict[CellKey, Measures] = defaultdict(dict)
    registered = out[(fact.registered_on, *dims)]
    registered["registered"] = 1
    registered["merged"] = int(fact.is_merged)
    registered["direct_replies"] = int(fact.is_direct_reply and not fact.is_merged)
    registered["closed"] = int(fact.is_closed and not fact.is_merged)
    handled = fact.is_closed and not fact.is_merged and not fact.is_direct_reply
    if handled and fact.closed_on is not None:
        closed = out[(fact.closed_on, *dims)]
        closed["handled_closed"] = 1
        closed["handling_days_x10000"] = day_units(fact.handling_days)
        closed["on_time"] = int(bool(fact.is_on_time))
        closed["reopened"] = int(fact.reopen_count > 0)
        closed["department_rounds"] = fact.department_rounds
        closed["department_days_x10000"] = day_units(fact.department_days)
    if fact.followed_up_on is not None and not fact.is_merged:
        followed = out[(fact.followed_up_on, *dims)]
        followed["followed_up"] = 1
        followed["resolved"] = int(bool(fact.is_resolved))
        followed["satisfied"] = int(fact.satisfaction == Satisfaction.SATISFIED)
        followed["fairly_satisfied"] = int(fact.satisfaction == Satisfaction.FAIRLY_SATISFIED)
    return dict(out)


def term_contributions(
    fact: AppealFact | None,
) -> tuple[dict[tuple[dt.date, str], int], dict[tuple[int, dt.date, str], int]]:
    """(daily whole-city counts, monthly counts per department and for the whole city)."""
    daily: dict[tuple[dt.date, str], int] = {}
    monthly: dict[tuple[int, dt.date, str], int] = {}
    if fact is None:
        return daily, monthly
    month = month_of(fact.registered_on)
    for term in split_terms(fact.terms):
        daily[(fact.registered_on, term)] = 1
        monthly[(WHOLE_CITY, month, term)] = 1
        monthly[(fact.department_id, month, term)] = 1
    return daily, monthly


def _difference(new: dict[Any, Any], old: dict[Any, Any]) -> dict[Any, Any]:
    """new - old, per key (and per measure for dicts of measures); zeros left out."""
    out: dict[Any, Any] = {}
    for key in new.keys() | old.keys():
        a, b = new.get(key), old.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            a, b = a or {}, b or {}
            measures = {m: a.get(m, 0) - b.get(m, 0) for m in a.keys() | b.keys()}
            measures = {m: v for m, v in measures.items() if v}
            if measures:
                out[key] = measures
        elif (a or 0) - (b or 0):
            out[key] = (a or 0) - (b or 0)
    return out


def _regroup(daily: dict[CellKey, Measures], key: Any) -> dict[Any, Measures]:
    """The cells added together under a coarser key (a month, or a day and department)."""
    out: dict[Any, Measures] = defaultdict(dict)
    for cell_key, measures in daily.items():
        cell = out[key(cell_key)]
        for measure, value in measures.items():
            cell[measure] = cell.get(measure, 0) + value
    return dict(out)


def apply_change(*, old: AppealFact | None, new: AppealFact | None) -> None:
    """Moves every sum by what `new` contributes minus what `old` contributed."""
    cells = _difference(cell_contributions(new), cell_contributions(old))
    if cells:
        add_to_cells(AppealDailyStats, ("day", *DIMENSIONS), cells)
        add_to_cells(
            AppealMonthlyStats, ("month", *DIMENSIONS), _regroup(cells, lambda k: (month_of(k[0]), *k[1:]))
        )
        add_to_cells(
            AppealDepartmentDailyStats, ("day", "department_id"), _regroup(cells, lambda k: (k[0], k[5]))
        )
    new_daily, new_monthly = term_contributions(new)
    old_daily, old_monthly = term_contributions(old)
    daily_terms = _difference(new_daily, old_daily)
    monthly_terms = _difference(new_monthly, old_monthly)
    if daily_terms:
        _upsert_add(
            AppealTermDaily,
            keys=("day", "term"),
            measures=("count",),
            rows=[(*key, value) for key, value in sorted(daily_terms.items())],
        )
    if monthly_terms:
        _upsert_add(
            AppealTermMonthly,
            keys=("department_id", "month", "term"),
            measures=("count",),
            rows=[(*key, value) for key, value in sorted(monthly_terms.items())],
        )


def add_to_cells(model: type[Model], keys: Sequence[str], cells: dict[Any, Measures]) -> None:
    rows = [
        (*key, *(measures.get(m, 0) for m in MEASURES))
        for key, measures in sorted(cells.items(), key=lambda item: item[0])
    ]
    _upsert_add(model, keys=keys, measures=MEASURES, rows=rows)


def _upsert_add(
    model: type[Model], *, keys: Sequence[str], measures: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT the rows, or add their measures to the existing row with the same keys."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = [*keys, *measures]
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in measures)
    batch = max(1, 900 // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            sql = (
                f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) "
                f"VALUES {', '.join([one_row] * len(chunk))} "
                f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET {updates}"
            )
            cursor.execute(sql, [value for row in chunk for value in row])
