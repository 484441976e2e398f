"""Rebuilding every sum and term count from the facts, in bulk (`huiqi rebuild_appeal_metrics`).

The sums are computed by the database in one INSERT ... SELECT per table: the facts are unfolded
into one row per date that decides a measure (registration, close, last follow-up, as
sums.cell_contributions does for one fact) and grouped by day or month and the dimensions. The
term counts are counted with Polars (splitting millions of term lists is what it is good at) and
written with COPY on PostgreSQL. Two million facts take about a minute (benchmarks/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

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
from huiqi.appeals.metrics.sums import DIMENSIONS, MEASURES

if TYPE_CHECKING:
    from django.db.models import Model


def _month(expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {expression}) AS date)"
    return f"date({expression}, 'start of month')"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _units(column: str) -> str:
    return f"CAST(ROUND(COALESCE({column}, 0) * {DAY_UNITS}) AS BIGINT)"


def _unfolded(date_of: Any) -> str:
    """The facts as (date, dimensions, measures) rows: one per date that decides some measure."""
    qn = connection.ops.quote_name
    facts = qn(AppealFact._meta.db_table)
    dims = ", ".join(qn(d) for d in DIMENSIONS)
    zero = dict.fromkeys(MEASURES, "0")

    def branch(date_column: str, where: str, values: dict[str, str]) -> str:
        measures = ", ".join(f"{({**zero, **values})[m]} AS {qn(m)}" for m in MEASURES)
        return f"SELECT {date_of(qn(date_column))} AS d, {dims}, {measures} FROM {facts} WHERE {where}"

    registered = branch(
        "registered_on",
        "1 = 1",
        {
            "registered": "1",
            "merged": _flag("is_merged"),
            "direct_replies": _flag("is_direct_reply AND NOT is_merged"),
            "closed": _flag("is_closed AND NOT is_merged"),
        },
    )
    closed = branch(
        "closed_on",
        "is_closed AND NOT is_merged AND NOT is_direct_reply AND closed_on IS NOT NULL",
        {
            "handled_closed": "1",
            "handling_days_x10000": _units("handling_days"),
            "on_time": _flag("is_on_time"),
            "reopened": _flag("reopen_count > 0"),
            "department_rounds": "department_rounds",
            "department_days_x10000": _units("department_days"),
        },
    )
    followed = branch(
        "followed_up_on",
        "followed_up_on IS NOT NULL AND NOT is_merged",
        {
            "followed_up": "1",
            "resolved": _flag("is_resolved"),
            "satisfied": _flag(f"satisfaction = '{Satisfaction.SATISFIED.value}'"),
            "fairly_satisfied": _flag(f"satisfaction = '{Satisfaction.FAIRLY_SATISFIED.value}'"),
        },
    )
    return f"{registered} UNION ALL {closed} UNION ALL {followed}"


def _fill_cells(
    model: type[Model], date_field: str, date_of: Any, dimensions: Sequence[str] = DIMENSIONS
) -> int:
    qn = connection.ops.quote_name
    dims = ", ".join(qn(d) for d in dimensions)
    sums = ", ".join(f"SUM({qn(m)})" for m in MEASURES)
    columns = ", ".join([qn(date_field), dims, *(qn(m) for m in MEASURES)])
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "
        f"SELECT d, {dims}, {sums} FROM ({_unfolded(date_of)}) AS unfolded GROUP BY d, {dims} "
        f"ORDER BY d, {dims}"  # rows of a date together on disk: a period reads few pages
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Plain rows into a table: COPY on PostgreSQL, executemany elsewhere."""
    qn = connection.ops.quote_name
    table, names = qn(model._meta.db_table), ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        batch: list[Sequence[Any]] = []
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for row in rows:
            batch.append(row)
            if len(batch) == 10000:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _term_frames() -> tuple[Any, Any]:
    """(daily whole-city counts, monthly counts per department and for the whole city) as Polars
    frames of (day, term, count) and (department_id, month, term, count)."""
    import polars as pl

    days: list[dt.date] = []
    departments: list[int] = []
    terms: list[str] = []
    rows = AppealFact.objects.exclude(terms="").values_list("registered_on", "department_id", "terms")
    for day, department, value in rows.iterator(chunk_size=50000):
        days.append(day)
        departments.append(department)
        terms.append(value)
    frame = (
        pl.DataFrame(
            {"day": days, "department_id": departments, "term": terms},
            schema={"day": pl.Date, "department_id": pl.Int64, "term": pl.Utf8},
        )
        .with_columns(pl.col("term").str.split(" "))
        .explode("term")
        .filter(pl.col("term") != "")
        .with_columns(pl.col("day").dt.truncate("1mo").alias("month"))
    )
    daily = frame.group_by("day", "term").agg(pl.len().alias("count")).sort("day", "term")
    per_department = frame.group_by("department_id", "month", "term").agg(pl.len().alias("count"))
    whole_city = (
        frame.group_by("month", "term")
        .agg(pl.len().alias("count"))
        .with_columns(pl.lit(WHOLE_CITY, dtype=pl.Int64).alias("department_id"))
    )
    monthly = pl.concat([per_department, whole_city.select(per_department.columns)])
    return daily, monthly.sort("department_id", "month", "term")


def rebuild_appeal_sums() -> dict[str, int]:
    """Deletes and rebuilds every sum and term count from the facts (after a change of definitions,
    a restore, a bulk fill, or to repair). Returns the rows written per table."""
    daily_terms, monthly_terms = _term_frames()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the GROUP BY of millions of facts sorts in memory
                cursor.execute("SET LOCAL work_mem = '256MB'")
        tables = (
            AppealDailyStats,
            AppealMonthlyStats,
            AppealDepartmentDailyStats,
            AppealTermDaily,
            AppealTermMonthly,
        )
        for model in tables:
            model.objects.all().delete()
        return {
            "daily": _fill_cells(AppealDailyStats, "day", lambda column: column),
            "monthly": _fill_cells(AppealMonthlyStats, "month", _month),
            "department_daily": _fill_cells(
                AppealDepartmentDailyStats, "day", lambda column: column, ("department_id",)
            ),
            "daily_terms": insert_rows(
                AppealTermDaily,
                ("day", "term", "count"),
                daily_terms.select("day", "term", "count").iter_rows(),
            ),
            "monthly_terms": insert_rows(
                AppealTermMonthly,
                ("department_id", "month", "term", "count"),
                monthly_terms.select("department_id", "month", "term", "count").iter_rows(),
            ),
        }
