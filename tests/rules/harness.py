"""Run one item over many enterprises with each evaluator, for the agreement tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from huiqi.rules.derived import age_years, rd_ratio
from huiqi.rules.evaluate import evaluate
from huiqi.rules.polars_eval import evaluate_frame
from huiqi.rules.schema import ItemRules

Outcome = tuple[str, str | None]

FRAME_SCHEMA = {
    "uscc": pl.String,
    "revenue": pl.Decimal(38, 12),
    "rd_expense": pl.Decimal(38, 12),
    "employees": pl.Int64,
    "region_code": pl.String,
    "size_class": pl.String,
    "established_on": pl.Date,
    "red_list": pl.Boolean,
    "tags": pl.List(pl.String),
}


def _shown(status: Any, amount: Decimal | None) -> Outcome:
    return str(status), None if amount is None else f"{amount:.2f}"


def python_results(item: ItemRules, enterprises: list[dict[str, Any]], as_of: date) -> list[Outcome]:
    results = []
    for facts in enterprises:
        profile = dict(facts)
        established_on = facts.get("established_on")
        profile["age_years"] = None if established_on is None else age_years(established_on, as_of)
        profile["rd_ratio"] = rd_ratio(facts.get("rd_expense"), facts.get("revenue"))
        result = evaluate(item, profile)
        results.append(_shown(result.status, result.amount))
    return results


def frame(enterprises: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [{"uscc": str(index), **facts} for index, facts in enumerate(enterprises)]
    return pl.DataFrame(rows, schema=FRAME_SCHEMA)


def polars_results(item: ItemRules, enterprises: list[dict[str, Any]], as_of: date) -> list[Outcome]:
    out = evaluate_frame(frame(enterprises), item, as_of=as_of)
    return [_shown(status, amount) for status, amount in out.iter_rows()]


CREATE_TABLE = """
CREATE TEMPORARY TABLE enterprise_snapshot (
    uscc text, revenue numeric, rd_expense numeric, employees integer, region_code text,
    size_class text, established_on date, red_list boolean, tags text[]
) ON COMMIT DROP
"""


def sql_results(
    connection: Any, item: ItemRules, enterprises: list[dict[str, Any]], as_of: date
) -> list[Outcome]:
    from huiqi.rules.sql import select_sql

    with connection.transaction(force_rollback=True):
        connection.execute(CREATE_TABLE)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO enterprise_snapshot VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        str(index),
                        facts.get("revenue"),
                        facts.get("rd_expense"),
                        facts.get("employees"),
                        facts.get("region_code"),
                        facts.get("size_class"),
                        facts.get("established_on"),
                        facts.get("red_list"),
                        facts.get("tags"),
                    )
                    for index, facts in enumerate(enterprises)
                ],
            )
        sql = select_sql({"ITEM": item}, table="enterprise_snapshot", as_of=as_of, statuses=None)
        rows = connection.execute(f"SELECT * FROM ({sql}) AS x ORDER BY uscc::int").fetchall()
    return [_shown(status, amount) for _uscc, _code, status, amount in rows]
