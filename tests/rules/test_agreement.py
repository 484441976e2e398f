"""The three evaluators agree on every status and on every amount to the fen (hypothesis).

Random condition trees, rewards (fixed, formulas with + - * / min max round, tiers, caps) and profiles
with nulls, out-of-range numbers and values on the thresholds are evaluated by the single-enterprise
evaluator, by the Polars evaluator and, when HUIQI_TEST_PG_URL names a PostgreSQL server, by the
compiled SQL.  Derived facts (age_years, rd_ratio) are computed by each evaluator itself.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.rules.schema import parse_item_rules

from .harness import polars_results, python_results, sql_results
from .strategies import AS_OF, enterprises, items

_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(item=items(), facts=st.lists(enterprises(), min_size=1, max_size=8))
def test_python_and_polars_agree_on_every_status_and_amount(
    item: dict[str, Any], facts: list[dict[str, Any]]
) -> None:
    rules = parse_item_rules(item)
    assert polars_results(rules, facts, AS_OF) == python_results(rules, facts, AS_OF)


_connection: Any = None


def _pg() -> Any:
    global _connection
    if _connection is None:
        import psycopg

        _connection = psycopg.connect(os.environ["HUIQI_TEST_PG_URL"])
    return _connection


@pytest.mark.skipif(not os.environ.get("HUIQI_TEST_PG_URL"), reason="HUIQI_TEST_PG_URL is not set")
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items(), facts=st.lists(enterprises(), min_size=1, max_size=8))
def test_compiled_sql_agrees_with_python_on_postgresql(
    item: dict[str, Any], facts: list[dict[str, Any]]
) -> None:
    pytest.importorskip("sqlglot")
    rules = parse_item_rules(item)
    assert sql_results(_pg(), rules, facts, AS_OF) == python_results(rules, facts, AS_OF)
