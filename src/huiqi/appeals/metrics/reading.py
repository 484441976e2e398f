"""Reading the sums for a query (selectors.py builds the report from these).

A period is read as the monthly sums of its whole months plus the daily sums of the days around
them, added up once into a frame with one row per channel x kind x category x department (a few
thousand rows for a year of a large city, however many appeals); every breakdown is then a
group-by of that frame in memory (Polars), instead of one scan of the sums per breakdown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Cast

from huiqi.accounts import selectors as account_selectors
from huiqi.appeals.metrics import periods
from huiqi.appeals.metrics.figures import Figures
from huiqi.appeals.metrics.models import (
    WHOLE_CITY,
    AppealDailyStats,
    AppealDepartmentDailyStats,
    AppealFact,
    AppealMonthlyStats,
    AppealTermDaily,
    AppealTermMonthly,
)
from huiqi.appeals.metrics.query import MetricsQuery
from huiqi.appeals.metrics.sums import DIMENSIONS, MEASURES
from huiqi.appeals.metrics.terms import split_terms
from huiqi.appeals.models import Category
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError

_SUMS = {name: Cast(Sum(name), BigIntegerField()) for name in MEASURES}


@dataclass(frozen=True)
class Selection:
    """The cells of the query: a Q over the cube's dimensions, and the departments (None: all)."""

    cells: Q
    departments: frozenset[int] | None
    by_department_only: bool  # no channel, kind or category filter


def selection_for(query: MetricsQuery, scope: set[int] | None, categories: dict[int, Category]) -> Selection:
    f = query.filters
    q = Q()
    if f.channel:
        q &= Q(channel=f.channel)
    if f.kind:
        q &= Q(kind=f.kind)
    if f.category_id is not None:
        category = categories.get(f.category_id)
        if category is None:
            raise ValidationFailedError(f"分类 {f.category_id} 不存在。", field="category")
        q &= Q(category_id=category.pk) if category.parent_id else Q(category_l1_id=category.pk)
    departments = scope
    if f.department_id is not None:
        subtree = account_selectors.department_subtree_ids(f.department_id)
        departments = subtree if scope is None else subtree & scope
        if not departments:
            raise PermissionDeniedError("无权查看该部门的统计。")
    if departments is not None:
        q &= Q(department_id__in=sorted(departments))
    return Selection(
        cells=q,
        departments=frozenset(departments) if departments is not None else None,
        by_department_only=not (f.channel or f.kind or f.category_id),
    )


def _day_q(ranges: Iterable[tuple[dt.date, dt.date]], field_name: str = "day") -> Q:
    q = Q()
    for start, end in ranges:
        q |= Q(**{f"{field_name}__range": (start, end)})
    return q


def _summed(queryset: Any, group: Sequence[str]) -> list[tuple[Any, ...]]:
    """(group values..., measure sums...) rows, straight from the cursor: tens of thousands of rows
    of plain integers need none of the ORM's per-value converters (dates come back as text from
    SQLite and are parsed here)."""
    sql, params = queryset.values_list(*group).annotate(**_SUMS).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and group and group[0] in ("day", "month") and isinstance(rows[0][0], str):
        rows = [(dt.date.fromisoformat(row[0][:10]), *row[1:]) for row in rows]
    return rows


def _frame(rows: list[tuple[Any, ...]], group: Sequence[str], schema: dict[str, Any]) -> Any:
    import polars as pl

    columns = {name: schema[name] for name in group} | dict.fromkeys(MEASURES, pl.Int64)
    return pl.DataFrame(rows, schema=columns, orient="row")


def cube(period: periods.Period, where: Q) -> Any:
    """The period's cells added up over time: one row per channel, kind, category and department
    (a few thousand rows for a year of a large city), from the monthly sums for the whole months
    and the daily sums for the other days. Every breakdown is a group-by of this frame."""
    import polars as pl

    months, days = period.split()
    parts: list[Any] = [AppealDailyStats.objects.filter(where, day__range=r) for r in days]
    if months:
        parts.append(AppealMonthlyStats.objects.filter(where, month__range=months))
    schema = {"channel": pl.Utf8, "kind": pl.Utf8} | dict.fromkeys(DIMENSIONS[2:], pl.Int64)
    frames = [_frame(_summed(qs, DIMENSIONS), DIMENSIONS, schema) for qs in parts]
    frame = pl.concat(frames) if frames else _frame([], DIMENSIONS, schema)
    return frame.group_by(list(DIMENSIONS)).agg(pl.col(list(MEASURES)).sum())


def figures_by(cube: Any, group: Sequence[str]) -> dict[tuple[Any, ...], Figures]:
    import polars as pl

    if not group:
        totals = cube.select(pl.col(list(MEASURES)).sum()).row(0, named=True) if cube.height else {}
        return {(): Figures.from_row(totals)}
    rows = cube.group_by(list(group)).agg(pl.col(list(MEASURES)).sum()).iter_rows(named=True)
    return {tuple(row[g] for g in group): Figures.from_row(row) for row in rows}


def trend(period: periods.Period, selection: Selection, granularity: str) -> dict[dt.date, Figures]:
    """The figures per bucket. Without channel, kind or category filters from the sums per day and
    department (365 x departments rows a year); otherwise from the cube's monthly and daily sums."""
    out: dict[dt.date, Figures] = {bucket: Figures() for bucket in periods.buckets(period, granularity)}

    def add(rows: list[tuple[Any, ...]]) -> None:
        for day, *sums in rows:
            out[periods.bucket_of(day, granularity)].add(dict(zip(MEASURES, sums, strict=True)))

    whole = [(period.start, period.end)]
    if selection.by_department_only:
        queryset = AppealDepartmentDailyStats.objects.filter(_day_q(whole))
        if selection.departments is not None:
            queryset = queryset.filter(department_id__in=sorted(selection.departments))
        add(_summed(queryset, ("day",)))
        return out
    ranges = whole
    if granularity == periods.MONTH:
        months, ranges = period.split()
        if months:
            monthly = AppealMonthlyStats.objects.filter(selection.cells, month__range=months)
            add(_summed(monthly, ("month",)))
    for days in ranges:
        add(_summed(AppealDailyStats.objects.filter(selection.cells, day__range=days), ("day",)))
    return out


def term_counts(period: periods.Period, departments: frozenset[int] | None) -> Counter[str]:
    """Appeals registered in the period per term, whole city or for the departments (docs: terms
    follow the period and the departments, not the channel, kind or category filters)."""
    counts: Counter[str] = Counter()
    months, days = period.split()
    if months:
        monthly = AppealTermMonthly.objects.filter(month__range=months)
        if departments is None:
            monthly = monthly.filter(department_id=WHOLE_CITY)
        else:
            monthly = monthly.filter(department_id__in=sorted(departments))
        for term, n in monthly.values_list("term").annotate(n=Sum("count")).order_by():
            counts[term] += n
    if days and departments is None:
        for days_range in days:
            daily = AppealTermDaily.objects.filter(day__range=days_range)
            for term, n in daily.values_list("term").annotate(n=Sum("count")).order_by():
                counts[term] += n
    elif days:
        facts = AppealFact.objects.filter(
            _day_q(days, "registered_on"), department_id__in=sorted(departments or ())
        ).exclude(terms="")
        for value in facts.values_list("terms", flat=True).iterator(chunk_size=5000):
            counts.update(split_terms(value))
    return counts
