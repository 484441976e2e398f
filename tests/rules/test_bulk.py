"""The bulk evaluator (evaluate_items) agrees with the Python evaluator on random libraries.

It re-encodes the frame (dictionary-encoded text, tag bit masks, integer comparisons at the column's
own scale, ages decided per founding date), so it is checked against the single-enterprise evaluator
on random trees, rewards and profiles with nulls and boundary values, with registry-like columns
(money as Decimal(20, 2), tags as text) and the harness's columns, with and without the dictionary.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.rules.polars_eval import encoding, evaluate_items
from huiqi.rules.schema import parse_item_rules

from .harness import FRAME_SCHEMA, python_results
from .strategies import AS_OF, enterprises, items

_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_CENT = Decimal("0.01")


def _registry_like(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as the registry stores them: money to the fen."""
    out = dict(facts)
    for name in ("revenue", "rd_expense"):
        if out[name] is not None:
            out[name] = out[name].quantize(_CENT, rounding=ROUND_HALF_UP)
    return out


def _frame(enterprises: list[dict[str, Any]], *, registry_like: bool) -> pl.DataFrame:
    rows = [{"uscc": str(index), **facts} for index, facts in enumerate(enterprises)]
    if not registry_like:
        return pl.DataFrame(rows, schema=FRAME_SCHEMA)
    schema = dict(FRAME_SCHEMA)
    schema.update({"revenue": pl.Decimal(20, 2), "rd_expense": pl.Decimal(20, 2), "tags": pl.String})
    for row in rows:
        row["tags"] = None if row["tags"] is None else ";".join(row["tags"])
    return pl.DataFrame(rows, schema=schema)


def _bulk(rules: dict[str, Any], facts: list[dict[str, Any]], *, registry_like: bool) -> dict[str, Any]:
    out = evaluate_items(_frame(facts, registry_like=registry_like), rules, as_of=AS_OF, statuses=None)
    return {
        (uscc, code): (status, None if amount is None else f"{amount:.2f}")
        for uscc, code, status, amount in out.iter_rows()
    }


def _expected(rules: dict[str, Any], facts: list[dict[str, Any]]) -> dict[str, Any]:
    expected = {}
    for code, item in rules.items():
        for index, outcome in enumerate(python_results(item, facts, AS_OF)):
            expected[(str(index), code)] = outcome
    return expected


@pytest.mark.parametrize("registry_like", [False, True])
@pytest.mark.parametrize("dictionary_limit", [encoding.DICTIONARY_LIMIT, 0])
@_SETTINGS
@given(
    library=st.lists(items(), min_size=1, max_size=4),
    facts=st.lists(enterprises(), min_size=1, max_size=8),
)
def test_bulk_evaluation_agrees_with_the_python_evaluator(
    library: list[dict[str, Any]],
    facts: list[dict[str, Any]],
    registry_like: bool,
    dictionary_limit: int,
) -> None:
    if registry_like:
        facts = [_registry_like(row) for row in facts]
    rules = {f"I{index}": parse_item_rules(item) for index, item in enumerate(library)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding, "DICTIONARY_LIMIT", dictionary_limit)
        assert _bulk(rules, facts, registry_like=registry_like) == _expected(rules, facts)


def test_statuses_keep_only_those_results_in_item_then_row_order() -> None:
    rules = {
        "B": parse_item_rules(
            {
                "eligibility": {"field": "revenue", "op": "ge", "value": 100},
                "reward": {"formula": "revenue * 0.1"},
            }
        ),
        "A": parse_item_rules(
            {"eligibility": {"field": "region_code", "op": "starts_with", "value": "3701"}}
        ),
    }
    frame = pl.DataFrame(
        {
            "uscc": ["x", "y", "z"],
            "revenue": [Decimal("150.05"), None, Decimal(50)],
            "region_code": ["370102", "440100", None],
        },
        schema={"uscc": pl.String, "revenue": pl.Decimal(20, 2), "region_code": pl.String},
    )
    out = evaluate_items(frame, rules, as_of=date(2026, 6, 30))
    assert [
        (uscc, code, status, None if amount is None else str(amount))
        for uscc, code, status, amount in out.iter_rows()
    ] == [
        ("x", "B", "eligible", "15.01"),
        ("y", "B", "needs_info", None),
        ("x", "A", "eligible", None),
        ("z", "A", "needs_info", None),
    ]
    only_ineligible = evaluate_items(frame, rules, statuses=["ineligible"])
    assert sorted(only_ineligible.select("uscc", "item_code").iter_rows()) == [("y", "A"), ("z", "B")]


def test_an_empty_library_gives_an_empty_typed_frame() -> None:
    out = evaluate_items(pl.DataFrame({"enterprise_id": [1, 2]}), {}, id_column="enterprise_id")
    assert out.height == 0
    assert out.schema["enterprise_id"] == pl.Int64


@pytest.mark.parametrize("field", ["revenue", "employees"])
def test_thresholds_finer_than_the_column_are_compared_exactly(field: str) -> None:
    """A threshold between two representable values (0.005 yuan on a fen column, 0.5 on a count)
    must be rounded the right way for each operator."""
    values: list[Any] = (
        [Decimal("-0.01"), Decimal("0.00"), Decimal("0.01"), Decimal("0.50"), Decimal("0.51"), None]
        if field == "revenue"
        else [-1, 0, 1, 2, None]
    )
    thresholds = ["0.005", "-0.005", "0.5", "0.505", "1"]
    library = {}
    for threshold in thresholds:
        for op in ("eq", "ne", "lt", "le", "gt", "ge"):
            library[f"{op}{threshold}"] = parse_item_rules(
                {"eligibility": {"field": field, "op": op, "value": Decimal(threshold)}}
            )
        library[f"between{threshold}"] = parse_item_rules(
            {"eligibility": {"field": field, "op": "between", "value": [Decimal(threshold), Decimal(2)]}}
        )
        library[f"in{threshold}"] = parse_item_rules(
            {"eligibility": {"field": field, "op": "in", "value": [Decimal(threshold), Decimal(1)]}}
        )
    dtype = pl.Decimal(20, 2) if field == "revenue" else pl.Int64
    frame = pl.DataFrame(
        {"uscc": [str(index) for index in range(len(values))], field: values},
        schema={"uscc": pl.String, field: dtype},
    )
    out = evaluate_items(frame, library, statuses=None)
    got = {(uscc, code): status for uscc, code, status, _amount in out.iter_rows()}
    facts = [{field: value} for value in values]
    expected = {key: status for key, (status, _amount) in _expected(library, facts).items()}
    assert got == expected


def _agree(library: dict[str, Any], facts: list[dict[str, Any]], schema: dict[str, Any]) -> None:
    frame = pl.DataFrame(
        [{"uscc": str(index), **row} for index, row in enumerate(facts)], schema={"uscc": pl.String, **schema}
    )
    out = evaluate_items(frame, library, as_of=AS_OF, statuses=None)
    got = {
        (uscc, code): (status, None if amount is None else f"{amount:.2f}")
        for uscc, code, status, amount in out.iter_rows()
    }
    assert got == _expected(library, facts)


_MONEY = [Decimal("0.01"), Decimal("0.05"), Decimal("1.25"), Decimal("12345678.91"), Decimal("-3.33")]
_MONEY += [Decimal("999999999999.99"), Decimal("999999999999999.99"), None]


@pytest.mark.parametrize(
    "formula",
    [
        "revenue * 0.05",
        "0.3 * revenue",
        "revenue * 0.000000000001",
        "revenue * 0.0000000001",
        "revenue * 100000000000",
        "revenue * 3",
        "round(revenue * 0.125, 1)",
        "revenue * -0.5",
        "rd_expense * 0.1 + revenue * 0.001",
        "revenue / 1000",
        "revenue / 3",
        "revenue / -7",
        "revenue / 0.000000000001",
        "round((revenue - 10000000) * 0.002, 2)",
        "(revenue + 0.005) * 0.5",
        "(revenue * 0.3) / 0.7",
        "employees * 500 + 10000",
        "min(revenue * 0.002, rd_expense * 0.5)",
    ],
)
@pytest.mark.parametrize("precise", [False, True])
def test_formulas_by_constants_agree_to_the_fen(formula: str, precise: bool) -> None:
    """Multiplying or dividing by a number is one rational step on the column's own scale; checked
    on fen columns (registry) and on 12-place columns with values that need rounding."""
    library = {
        "F": parse_item_rules(
            {"eligibility": {"field": "revenue", "op": "is_not_null"}, "reward": {"formula": formula}}
        )
    }
    money = _MONEY
    if precise:
        money = [
            *_MONEY[:-1],
            Decimal("0.000000000001"),
            Decimal("-2.500000000005"),
            Decimal("7.777777777777"),
            None,
        ]
    facts = [
        {"revenue": value, "rd_expense": money[(index + 3) % len(money)], "employees": index - 2}
        for index, value in enumerate(money)
    ]
    money_type = pl.Decimal(38, 12) if precise else pl.Decimal(20, 2)
    _agree(library, facts, {"revenue": money_type, "rd_expense": money_type, "employees": pl.Int64})


def test_rd_ratio_on_fen_columns_rounds_half_away_from_zero_like_the_python_evaluator() -> None:
    pairs = [
        (Decimal("0.01"), Decimal("20000000000.00")),  # 5e-13: rounds up to 1e-12
        (Decimal("-0.01"), Decimal("20000000000.00")),
        (Decimal("0.01"), Decimal("20000000000.01")),  # just below the half
        (Decimal("1.00"), Decimal("3.00")),
        (Decimal("2.00"), Decimal("-3.00")),
        (Decimal("5.00"), Decimal("0.00")),  # division by zero: unknown
        (Decimal("999999999999999.99"), Decimal("0.01")),  # beyond 10^15: unknown
        (None, Decimal("1.00")),
    ]
    library = {
        "GE": parse_item_rules({"eligibility": {"field": "rd_ratio", "op": "ge", "value": Decimal("1e-12")}}),
        "AMOUNT": parse_item_rules(
            {
                "eligibility": {"field": "rd_ratio", "op": "is_not_null"},
                "reward": {"formula": "rd_ratio * 1000000000000"},
            }
        ),
        "NULL": parse_item_rules({"eligibility": {"field": "rd_ratio", "op": "is_null"}}),
    }
    facts = [{"rd_expense": expense, "revenue": revenue} for expense, revenue in pairs]
    _agree(library, facts, {"rd_expense": pl.Decimal(20, 2), "revenue": pl.Decimal(20, 2)})
