"""Compilation to SQL with sqlglot: PostgreSQL (executed when HUIQI_TEST_PG_URL is set) and Spark/Hive
(parsed back by sqlglot; no Spark here)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from huiqi.rules.schema import parse_item_rules

from .conftest import SAMPLE_AS_OF
from .strategies import items

sqlglot = pytest.importorskip("sqlglot")

from huiqi.rules.sql import DIALECTS, compile_item, select_sql  # noqa: E402

CONTRACT_ITEM = parse_item_rules(
    {
        "eligibility": {
            "all": [
                {"field": "region_code", "op": "starts_with", "value": "3701"},
                {"field": "age_years", "op": "le", "value": 5},
                {
                    "any": [
                        {"field": "revenue", "op": "ge", "value": 10000000},
                        {"field": "tags", "op": "contains", "value": "高新技术企业"},
                    ]
                },
            ]
        },
        "reward": {
            "tiers": [
                {"when": {"field": "revenue", "op": "ge", "value": 50000000}, "fixed": 500000},
                {
                    "when": {"field": "revenue", "op": "ge", "value": 10000000},
                    "formula": "round(revenue / 3 * 0.01, 1)",
                },
            ],
            "cap": 300000,
        },
    }
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_expressions_parse_back_in_their_dialect(dialect: str) -> None:
    compiled = compile_item(CONTRACT_ITEM, dialect=dialect, as_of=date(2026, 6, 30))
    for text in (compiled.status, compiled.amount):
        assert sqlglot.parse_one(text, read=dialect) is not None
    query = select_sql({"JN-2021-CXQY-01": CONTRACT_ITEM}, table="enterprise_snapshot", dialect=dialect)
    assert sqlglot.parse_one(query, read=dialect).find(sqlglot.exp.Union) is None  # one item, no UNION


def test_tags_are_an_array_in_both_dialects() -> None:
    tags = parse_item_rules({"eligibility": {"field": "tags", "op": "contains_all", "value": ["a", "b"]}})
    postgres = compile_item(tags, dialect="postgres").status
    spark = compile_item(tags, dialect="spark").status
    assert "'a' = ANY(tags)" in postgres
    assert "ARRAY_CONTAINS(tags, 'a')" in spark
    assert "ARRAY_CONTAINS(tags, 'b')" in spark


def test_spark_sql_has_no_postgresql_only_syntax() -> None:
    query = select_sql(
        {"A": CONTRACT_ITEM}, table="db.enterprise_snapshot", dialect="spark", as_of=SAMPLE_AS_OF
    )
    for postgres_only in ("::", "@>", "ANY(", "FROM 1 FOR"):
        assert postgres_only not in query
    assert "MAKE_DATE(" in query
    assert "DATEDIFF(" in query


def test_columns_can_be_renamed_and_qualified() -> None:
    compiled = compile_item(CONTRACT_ITEM, column_names={"revenue": "yysr"}, table="e")
    assert "e.yysr" in compiled.status
    assert "revenue" not in compiled.status


def test_several_items_are_one_union_filtered_by_status() -> None:
    query = select_sql({"A": CONTRACT_ITEM, "B": CONTRACT_ITEM}, table="t")
    tree = sqlglot.parse_one(query, read="postgres")
    assert tree.find(sqlglot.exp.Union) is not None
    assert "status IN ('eligible', 'needs_info')" in query
    assert "WHERE" not in select_sql({"A": CONTRACT_ITEM}, table="t", statuses=None).split("AS r")[-1]


def test_nested_formulas_stay_small_in_a_staged_query() -> None:
    formula = "round(((revenue / rd_expense) / (employees * 2)) / (revenue / 3) * 1000000, 2)"
    rules = parse_item_rules(
        {"eligibility": {"field": "revenue", "op": "ge", "value": 0}, "reward": {"formula": formula}}
    )
    assert len(select_sql({"A": rules}, table="t")) < 5000


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items())
def test_every_generated_item_compiles_to_sql_each_dialect_can_parse(item: dict[str, Any]) -> None:
    rules = parse_item_rules(item)
    for dialect in DIALECTS:
        query = select_sql({"X": rules}, table="t", dialect=dialect, as_of=date(2026, 6, 30))
        sqlglot.parse_one(query, read=dialect)


# ------------------------------------------------------------------------------------ PostgreSQL
SNAPSHOT = """
CREATE TEMPORARY TABLE enterprise_snapshot (
    uscc text, name text, region_code text, industry_code text, established_on date, ownership text,
    registered_capital numeric(18, 2), employees integer, revenue numeric(18, 2), total_assets numeric(18, 2),
    tax_paid numeric(18, 2), rd_expense numeric(18, 2), tags text[], red_list boolean, contact_phone text,
    size_class text
)
"""
COLUMNS = [
    "uscc", "name", "region_code", "industry_code", "established_on", "ownership", "registered_capital",
    "employees", "revenue", "total_assets", "tax_paid", "rd_expense", "tags", "red_list", "contact_phone",
    "size_class",
]  # fmt: skip


def _load(connection: Any, enterprises: list[dict[str, Any]]) -> None:
    connection.execute(SNAPSHOT)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO enterprise_snapshot VALUES ({', '.join(['%s'] * len(COLUMNS))})",
            [[row[name] for name in COLUMNS] for row in enterprises],
        )


def test_postgresql_matches_the_expected_matches(
    pg_connection: Any, contract_samples: dict[str, Any]
) -> None:
    _load(pg_connection, contract_samples["enterprises"])
    rules = {item["code"]: parse_item_rules(item) for item in contract_samples["items"]}
    query = select_sql(rules, table="enterprise_snapshot", as_of=SAMPLE_AS_OF, statuses=None)
    got = {
        (uscc, code): (status, "" if amount is None else str(amount))
        for uscc, code, status, amount in pg_connection.execute(query)
    }
    assert got == contract_samples["expected"]


def test_postgresql_single_expressions_with_inline_derivations_agree(
    pg_connection: Any, contract_samples: dict[str, Any]
) -> None:
    _load(pg_connection, contract_samples["enterprises"])
    for item in contract_samples["items"]:
        compiled = compile_item(parse_item_rules(item), as_of=SAMPLE_AS_OF)
        rows = pg_connection.execute(
            f"SELECT uscc, {compiled.status}, {compiled.amount} FROM enterprise_snapshot"
        ).fetchall()
        for uscc, status, amount in rows:
            assert (status, "" if amount is None else str(amount)) == contract_samples["expected"][
                (uscc, item["code"])
            ]


def test_postgresql_amounts_are_numeric_with_two_places(pg_connection: Any) -> None:
    rules = parse_item_rules(
        {"eligibility": {"field": "tags", "op": "is_not_null"}, "reward": {"formula": "revenue * 0.000005"}}
    )
    compiled = compile_item(rules)
    amount = pg_connection.execute(
        f"SELECT {compiled.amount} FROM (SELECT 1000::numeric AS revenue, NULL::text[] AS tags) AS e"
    ).fetchone()[0]
    assert str(amount) == "0.01"


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("999999999999999 * 999999999999999", (None, "needs_info")),  # beyond 10^15: NULL, not a bigint error
        ("(10000000) / (0)", (None, "needs_info")),
        ("employees * 9999999999999", (None, "needs_info")),
        ("employees / 3", ("333.00", "eligible")),
    ],
)
def test_postgresql_computes_in_numeric_never_bigint(
    pg_connection: Any, formula: str, expected: tuple[str | None, str]
) -> None:
    rules = parse_item_rules(
        {"eligibility": {"field": "tags", "op": "is_not_null"}, "reward": {"formula": formula}}
    )
    compiled = compile_item(rules)
    row = pg_connection.execute(
        f"SELECT {compiled.amount}, {compiled.status} FROM (SELECT 999::integer AS employees, NULL::text[] AS tags) AS e"
    ).fetchone()
    assert (None if row[0] is None else str(row[0]), row[1]) == expected
