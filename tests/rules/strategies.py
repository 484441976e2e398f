"""Hypothesis strategies for the agreement tests: random condition trees, rewards and profiles with
nulls and boundary values (thresholds and facts are drawn from one pool, so ties are common)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

_NUMBER_POOL = [
    Decimal(0),
    Decimal(1),
    Decimal(-1),
    Decimal("0.5"),
    Decimal(2),
    Decimal(5),
    Decimal("0.04"),
    Decimal("0.035"),
    Decimal("0.005"),
    Decimal("1000000"),
    Decimal("10000000"),
    Decimal("12345678.91"),
    Decimal("0.000000000001"),
    Decimal("999999999999999"),
    Decimal("-999999999999999.5"),
]

decimals = st.one_of(
    st.sampled_from(_NUMBER_POOL),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-10, max_value=10, places=6, allow_nan=False, allow_infinity=False),
)
# Facts may also lie beyond the range (read as unknown by every evaluator).
fact_decimals = st.one_of(decimals, st.sampled_from([Decimal(10**15), Decimal(-(10**16))]))

REGIONS = ["370102", "370112", "441900", "510603", "3701", "44"]
TAGS = ["高新技术企业", "首次认定", "专精特新中小企业", "失信被执行人"]
DATES = [date(2020, 2, 29), date(2021, 3, 1), date(2024, 6, 30), date(2025, 12, 31), date(2026, 6, 30)]
AS_OF = date(2026, 6, 30)

NUMERIC_FIELDS = ["revenue", "rd_expense", "employees", "age_years", "rd_ratio"]


def _numbers(field: str) -> st.SearchStrategy[Any]:
    if field == "employees":
        return st.integers(min_value=-3, max_value=1000)
    if field == "age_years":
        return st.sampled_from([0, 1, 2, Decimal("2.5"), Decimal("1.997260273973"), -1])
    if field == "rd_ratio":
        return st.sampled_from([Decimal("0.04"), Decimal("0.035"), Decimal("0.333333333333"), 0, 1, -1])
    return decimals


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["number", "region", "size", "date", "bool", "tags", "null"]))
    if kind == "number":
        field = draw(st.sampled_from(NUMERIC_FIELDS))
        op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"]))
        if op == "between":
            low, high = sorted([draw(_numbers(field)), draw(_numbers(field))])
            return {"field": field, "op": op, "value": [low, high]}
        if op in ("in", "not_in"):
            return {
                "field": field,
                "op": op,
                "value": draw(st.lists(_numbers(field), min_size=1, max_size=3)),
            }
        return {"field": field, "op": op, "value": draw(_numbers(field))}
    if kind == "region":
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "starts_with"]))
        if op in ("in", "not_in"):
            return {
                "field": "region_code",
                "op": op,
                "value": draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3)),
            }
        if op == "starts_with" and draw(st.booleans()):
            return {
                "field": "region_code",
                "op": op,
                "value": draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2)),
            }
        return {"field": "region_code", "op": op, "value": draw(st.sampled_from(REGIONS))}
    if kind == "size":
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
        sizes = ["large", "medium", "small", "micro"]
        if op in ("in", "not_in"):
            return {
                "field": "size_class",
                "op": op,
                "value": draw(st.lists(st.sampled_from(sizes), min_size=1, max_size=3)),
            }
        return {"field": "size_class", "op": op, "value": draw(st.sampled_from(sizes))}
    if kind == "date":
        op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "between", "in"]))
        if op == "between":
            return {
                "field": "established_on",
                "op": op,
                "value": sorted(draw(st.lists(st.sampled_from(DATES), min_size=2, max_size=2))),
            }
        if op == "in":
            return {
                "field": "established_on",
                "op": op,
                "value": draw(st.lists(st.sampled_from(DATES), min_size=1, max_size=2)),
            }
        return {"field": "established_on", "op": op, "value": draw(st.sampled_from(DATES))}
    if kind == "bool":
        return {"field": "red_list", "op": draw(st.sampled_from(["eq", "ne"])), "value": draw(st.booleans())}
    if kind == "tags":
        op = draw(st.sampled_from(["contains", "contains_any", "contains_all", "is_null", "is_not_null"]))
        if op == "contains":
            return {"field": "tags", "op": op, "value": draw(st.sampled_from(TAGS))}
        if op in ("is_null", "is_not_null"):
            return {"field": "tags", "op": op}
        return {
            "field": "tags",
            "op": op,
            "value": draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=3)),
        }
    field = draw(
        st.sampled_from([*NUMERIC_FIELDS, "region_code", "size_class", "established_on", "red_list"])
    )
    return {"field": field, "op": draw(st.sampled_from(["is_null", "is_not_null"]))}


def _groups(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"all": items}),
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"any": items}),
        children.map(lambda item: {"not": item}),
    )


def trees(max_leaves: int = 6) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(leaves(), _groups, max_leaves=max_leaves)


def _literal(value: Decimal) -> str:
    text = format(value, "f")
    return f"({text})" if text.startswith("-") else text


@st.composite
def formulas(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return draw(st.sampled_from(NUMERIC_FIELDS))
        return _literal(draw(decimals))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "*", "min", "max", "round", "neg"]))
    left = draw(formulas(depth - 1))
    if kind == "neg":
        return f"-({left})"
    if kind == "round":
        places = draw(st.sampled_from([None, 0, 2, 5]))
        return f"round({left})" if places is None else f"round({left}, {places})"
    right = draw(formulas(depth - 1))
    if kind in ("min", "max"):
        return f"{kind}({left}, {right})"
    return f"({left}) {kind} ({right})"


@st.composite
def amounts(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"fixed": abs(draw(decimals))}
    return {"formula": draw(formulas())}


@st.composite
def rewards(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(st.sampled_from(["none", "amount", "tiers"]))
    if kind == "none":
        return None
    if kind == "amount":
        reward = draw(amounts())
    else:
        tiers = draw(st.lists(st.tuples(trees(max_leaves=2), amounts()), min_size=1, max_size=3))
        reward = {"tiers": [{"when": when, **amount} for when, amount in tiers]}
    if draw(st.booleans()):
        reward["cap"] = abs(draw(decimals))
    return reward


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"eligibility": draw(trees())}
    reward = draw(rewards())
    if reward is not None:
        item["reward"] = reward
    return item


@st.composite
def enterprises(draw: st.DrawFn) -> dict[str, Any]:
    """Raw facts (derived ones are computed by each evaluator as of AS_OF)."""

    def optional(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.none(), strategy))

    return {
        "revenue": optional(fact_decimals),
        "rd_expense": optional(fact_decimals),
        "employees": optional(st.integers(min_value=-3, max_value=1000)),
        "region_code": optional(st.sampled_from([*REGIONS, ""])),
        "size_class": optional(st.sampled_from(["large", "medium", "small", "micro"])),
        "established_on": optional(
            st.one_of(
                st.sampled_from(DATES), st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
            )
        ),
        "red_list": optional(st.booleans()),
        "tags": draw(st.one_of(st.none(), st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
    }
