"""The Polars evaluator: frame preparation, derived columns, exact arithmetic and the contract samples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.rules import numbers
from huiqi.rules.derived import age_years, rd_ratio
from huiqi.rules.evaluate import evaluate
from huiqi.rules.polars_eval import (
    STATUS_DTYPE,
    compile_item,
    evaluate_frame,
    evaluate_items,
    fixed_column,
    prepare_frame,
)
from huiqi.rules.schema import parse_item_rules

from .conftest import MONEY_FIELDS, SAMPLE_AS_OF


def _rules(eligibility: dict[str, Any], reward: dict[str, Any] | None = None) -> Any:
    item: dict[str, Any] = {"eligibility": eligibility}
    if reward is not None:
        item["reward"] = reward
    return parse_item_rules(item)


def _rows(frame: pl.DataFrame) -> list[tuple[str, str | None]]:
    return [
        (status, None if amount is None else str(amount))
        for status, amount in frame.select("status", "amount").iter_rows()
    ]


def test_results_have_an_enum_status_and_a_two_place_decimal_amount() -> None:
    frame = pl.DataFrame({"revenue": [Decimal("20000000.00"), None, Decimal(1)]})
    out = evaluate_frame(
        frame,
        _rules({"field": "revenue", "op": "ge", "value": 10}, {"formula": "revenue * 0.01", "cap": 150000}),
    )
    assert out.schema == {"status": STATUS_DTYPE, "amount": pl.Decimal(38, 2)}
    assert _rows(out) == [("eligible", "150000.00"), ("needs_info", None), ("ineligible", None)]


def test_absent_columns_are_unknown_and_absent_tags_are_empty() -> None:
    frame = pl.DataFrame({"uscc": ["a"]})
    out = evaluate_frame(
        frame,
        _rules(
            {
                "any": [
                    {"field": "revenue", "op": "ge", "value": 1},
                    {"field": "tags", "op": "contains", "value": "x"},
                ]
            }
        ),
    )
    assert _rows(out) == [("needs_info", None)]
    out = evaluate_frame(
        frame, _rules({"not": {"field": "tags", "op": "contains", "value": "x"}}, {"fixed": 5})
    )
    assert _rows(out) == [("eligible", "5.00")]


def test_text_tags_empty_text_and_text_booleans_are_read_like_the_python_evaluator() -> None:
    frame = pl.DataFrame(
        {
            "tags": ["高新技术企业; 首次认定", "", None],
            "region_code": ["370102", " ", None],
            "red_list": ["true", "false", None],
        }
    )
    tree = {
        "all": [
            {"field": "tags", "op": "contains_all", "value": ["高新技术企业", "首次认定"]},
            {"field": "region_code", "op": "starts_with", "value": "37"},
        ]
    }
    assert _rows(evaluate_frame(frame, _rules(tree))) == [
        ("eligible", None),
        ("ineligible", None),
        ("ineligible", None),
    ]
    assert _rows(evaluate_frame(frame, _rules({"field": "region_code", "op": "is_null"}))) == [
        ("ineligible", None),
        ("eligible", None),
        ("eligible", None),
    ]
    assert _rows(evaluate_frame(frame, _rules({"field": "red_list", "op": "eq", "value": True}))) == [
        ("eligible", None),
        ("ineligible", None),
        ("needs_info", None),
    ]


def test_float_columns_are_refused_because_they_are_not_exact() -> None:
    with pytest.raises(TypeError, match="floats are not exact"):
        evaluate_frame(pl.DataFrame({"revenue": [1.5]}), _rules({"field": "revenue", "op": "ge", "value": 1}))


def test_numbers_are_converted_to_fixed_point_exactly() -> None:
    frame = pl.DataFrame(
        {
            "revenue": [
                Decimal("-3.005"),
                Decimal("123456789012.34"),
                Decimal("1E+15"),
                Decimal("0.0000000000005"),
            ],
            "employees": [7, -2, None, 10**14],
        },
        schema={"revenue": pl.Decimal(38, 13), "employees": pl.Int64},
    )
    out = prepare_frame(frame).select(fixed_column("revenue"), fixed_column("employees")).collect()
    assert out.rows() == [
        (numbers.to_fixed(Decimal("-3.005")), 7 * numbers.ONE),
        (numbers.to_fixed(Decimal("123456789012.34")), -2 * numbers.ONE),
        (None, None),  # 10^15 is beyond the range: unknown
        (1, 10**14 * numbers.ONE),  # 13th place rounded half away from zero
    ]


def test_derived_columns_match_the_python_derivations() -> None:
    frame = pl.DataFrame(
        {
            "established_on": [date(2020, 2, 29), date(2024, 6, 30), None, date(2026, 7, 1)],
            "rd_expense": [Decimal(40000), Decimal(1), Decimal(5), Decimal(2)],
            "revenue": [Decimal(1000000), Decimal(3), Decimal(0), None],
        }
    )
    out = (
        prepare_frame(frame, as_of=SAMPLE_AS_OF)
        .select(fixed_column("age_years"), fixed_column("rd_ratio"))
        .collect()
    )
    expected = []
    for established_on, expense, revenue in frame.iter_rows():
        age = None if established_on is None else numbers.to_fixed(age_years(established_on, SAMPLE_AS_OF))
        ratio = rd_ratio(expense, revenue)
        expected.append((age, None if ratio is None else numbers.to_fixed(ratio)))
    assert out.rows() == expected


@settings(max_examples=60, deadline=None)
@given(
    founded=st.lists(
        st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)), min_size=1, max_size=40
    ),
    as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
def test_polars_age_years_equals_the_python_age_for_any_dates(founded: list[date], as_of: date) -> None:
    out = (
        prepare_frame(pl.DataFrame({"established_on": founded}), as_of=as_of)
        .select(fixed_column("age_years"))
        .collect()
    )
    assert out.to_series().to_list() == [numbers.to_fixed(age_years(day, as_of)) for day in founded]


def test_deeply_nested_formulas_compile_to_a_small_plan() -> None:
    formula = "round(((revenue / rd_expense) / (employees * 2)) / (revenue / 3) * 1000000, 2)"
    plan = compile_item(_rules({"field": "revenue", "op": "ge", "value": 0}, {"formula": formula}))
    assert len(plan.stages) == 6  # one per level of the formula, one for the amount and eligibility
    assert len(str(plan.amount)) < 2000
    frame = pl.DataFrame({"revenue": [Decimal(600)], "rd_expense": [Decimal(2)], "employees": [5]})
    # 600/2 = 300; 5*2 = 10; 300/10 = 30; 600/3 = 200; 30/200 = 0.15; * 10^6 = 150000
    assert _rows(
        evaluate_frame(
            frame,
            parse_item_rules(
                {"eligibility": {"field": "revenue", "op": "ge", "value": 0}, "reward": {"formula": formula}}
            ),
        )
    ) == [("eligible", "150000.00")]


@pytest.mark.parametrize(
    ("formula", "facts", "expected"),
    [
        (
            "revenue * employees",
            {"revenue": Decimal("999999.999999999999"), "employees": 999999},
            "999999000000.00",
        ),
        ("revenue / employees", {"revenue": Decimal(-2), "employees": 3}, "-0.67"),
        ("revenue / employees", {"revenue": Decimal(2), "employees": 0}, None),
        (
            "revenue * employees",
            {"revenue": Decimal("99999999999999"), "employees": 100},
            None,
        ),  # beyond 10^15
        ("revenue * 0.000000000001", {"revenue": Decimal("0.5")}, "0.00"),
        ("round(revenue, 1)", {"revenue": Decimal("-0.05")}, "-0.10"),
        ("min(revenue, employees)", {"revenue": Decimal(1), "employees": None}, None),
        ("max(revenue, employees) - 0.005", {"revenue": Decimal(1), "employees": 2}, "2.00"),
    ],
)
def test_formula_arithmetic_matches_the_python_definition(
    formula: str, facts: dict[str, Any], expected: str | None
) -> None:
    frame = pl.DataFrame([facts], schema={"revenue": pl.Decimal(38, 12), "employees": pl.Int64})
    rules = _rules({"field": "tags", "op": "is_not_null"}, {"formula": formula})
    single = evaluate(rules, facts)
    assert _rows(evaluate_frame(frame, rules)) == [
        (str(single.status), None if single.amount is None else str(single.amount))
    ]
    assert single.amount == (None if expected is None else Decimal(expected))


def _sample_frame(enterprises: list[dict[str, Any]]) -> pl.DataFrame:
    columns = [
        "uscc",
        "region_code",
        "industry_code",
        "established_on",
        "ownership",
        *MONEY_FIELDS,
        "employees",
        "tags",
        "red_list",
        "size_class",
    ]
    schema: dict[str, Any] = {name: pl.Decimal(20, 2) for name in MONEY_FIELDS}
    schema.update(
        {"established_on": pl.Date, "employees": pl.Int64, "tags": pl.List(pl.String), "red_list": pl.Boolean}
    )
    return pl.DataFrame(
        [{name: row[name] for name in columns} for row in enterprises], schema_overrides=schema
    )


def test_the_sample_registry_matches_the_expected_matches(contract_samples: dict[str, Any]) -> None:
    items = {item["code"]: parse_item_rules(item) for item in contract_samples["items"]}
    out = evaluate_items(
        _sample_frame(contract_samples["enterprises"]), items, as_of=SAMPLE_AS_OF, statuses=None
    )
    got = {
        (uscc, code): (status, "" if amount is None else str(amount))
        for uscc, code, status, amount in out.iter_rows()
    }
    assert got == contract_samples["expected"]


def test_evaluate_items_keeps_only_eligible_and_needs_info_by_default(
    contract_samples: dict[str, Any],
) -> None:
    items = {item["code"]: parse_item_rules(item) for item in contract_samples["items"]}
    out = evaluate_items(_sample_frame(contract_samples["enterprises"]), items, as_of=SAMPLE_AS_OF)
    expected = {
        key for key, (status, _amount) in contract_samples["expected"].items() if status != "ineligible"
    }
    assert {(uscc, code) for uscc, code, _status, _amount in out.iter_rows()} == expected
