"""The single-enterprise evaluator: contract semantics, rewards, explanations, and the contract samples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from huiqi.rules.derived import age_years, rd_ratio
from huiqi.rules.errors import ProfileValueError
from huiqi.rules.evaluate import Status, evaluate
from huiqi.rules.profile import Profile
from huiqi.rules.schema import parse_item_rules

from .conftest import SAMPLE_AS_OF

REVENUE_GE_10M = {"field": "revenue", "op": "ge", "value": 10000000}
HIGH_TECH = {"field": "tags", "op": "contains", "value": "高新技术企业"}
IN_JINAN = {"field": "region_code", "op": "starts_with", "value": "3701"}


def _status(tree: dict[str, Any], profile: dict[str, Any]) -> Status:
    return evaluate(parse_item_rules({"eligibility": tree}), profile).status


YES, NO, UNKNOWN = Status.ELIGIBLE, Status.INELIGIBLE, Status.NEEDS_INFO


@pytest.mark.parametrize(
    ("tree", "profile", "expected"),
    [
        # A leaf whose field is null is unknown.
        (REVENUE_GE_10M, {"revenue": 10000000}, YES),
        (REVENUE_GE_10M, {"revenue": Decimal("9999999.99")}, NO),
        (REVENUE_GE_10M, {}, UNKNOWN),
        (REVENUE_GE_10M, {"revenue": None}, UNKNOWN),
        (REVENUE_GE_10M, {"revenue": ""}, UNKNOWN),  # empty = unknown, never 0
        ({"field": "revenue", "op": "ne", "value": 0}, {}, UNKNOWN),
        ({"field": "revenue", "op": "not_in", "value": [1, 2]}, {}, UNKNOWN),
        # is_null / is_not_null are never unknown.
        ({"field": "revenue", "op": "is_null"}, {}, YES),
        ({"field": "revenue", "op": "is_null"}, {"revenue": 0}, NO),
        ({"field": "revenue", "op": "is_not_null"}, {}, NO),
        # tags are never null: absent or None is the empty set.
        (HIGH_TECH, {}, NO),
        (HIGH_TECH, {"tags": None}, NO),
        ({"not": HIGH_TECH}, {}, YES),
        ({"field": "tags", "op": "is_null"}, {}, NO),
        ({"field": "tags", "op": "is_not_null"}, {"tags": []}, YES),
        (HIGH_TECH, {"tags": "专精特新中小企业;高新技术企业"}, YES),
        # all: false if any child is false, else unknown if any is unknown.
        ({"all": [REVENUE_GE_10M, IN_JINAN]}, {"region_code": "510603"}, NO),
        ({"all": [REVENUE_GE_10M, IN_JINAN]}, {"region_code": "370102"}, UNKNOWN),
        ({"all": [REVENUE_GE_10M, IN_JINAN]}, {"region_code": "370102", "revenue": 10**7}, YES),
        # any: true if any child is true, else unknown if any is unknown.
        ({"any": [REVENUE_GE_10M, HIGH_TECH]}, {"tags": ["高新技术企业"]}, YES),
        ({"any": [REVENUE_GE_10M, HIGH_TECH]}, {}, UNKNOWN),
        ({"any": [REVENUE_GE_10M, HIGH_TECH]}, {"revenue": 1}, NO),
        # not swaps true and false, keeps unknown.
        ({"not": REVENUE_GE_10M}, {"revenue": 1}, YES),
        ({"not": REVENUE_GE_10M}, {}, UNKNOWN),
        ({"not": {"not": REVENUE_GE_10M}}, {"revenue": 10**8}, YES),
    ],
)
def test_three_valued_logic_follows_the_contract(
    tree: dict[str, Any], profile: dict[str, Any], expected: Status
) -> None:
    assert _status(tree, profile) == expected


@pytest.mark.parametrize(
    ("leaf", "value", "expected"),
    [
        ({"op": "eq", "value": 5}, Decimal("5.000"), True),
        ({"op": "lt", "value": 5}, 5, False),
        ({"op": "le", "value": 5}, 5, True),
        ({"op": "gt", "value": 5}, Decimal("5.000000000001"), True),
        ({"op": "between", "value": [1, 5]}, 1, True),
        ({"op": "between", "value": [1, 5]}, 5, True),
        ({"op": "between", "value": [1, 5]}, Decimal("5.01"), False),
        ({"op": "in", "value": [1, 2.5]}, Decimal("2.50"), True),
        ({"op": "not_in", "value": [1, 2.5]}, 3, True),
        ({"op": "ge", "value": 0.04}, 0.04, True),  # a float fact is read as its decimal text
    ],
)
def test_numeric_operators_compare_exact_decimals(leaf: dict[str, Any], value: Any, expected: bool) -> None:
    status = _status({"field": "revenue", **leaf}, {"revenue": value})
    assert status == (YES if expected else NO)


@pytest.mark.parametrize(
    ("leaf", "profile", "expected"),
    [
        (
            {"field": "region_code", "op": "starts_with", "value": ["3701", "4419"]},
            {"region_code": "441900"},
            YES,
        ),
        ({"field": "region_code", "op": "starts_with", "value": "3701"}, {"region_code": "37"}, NO),
        ({"field": "region_code", "op": "in", "value": ["370102", "370112"]}, {"region_code": "370112"}, YES),
        ({"field": "region_code", "op": "eq", "value": "370112"}, {"region_code": 370112}, YES),
        ({"field": "size_class", "op": "in", "value": ["small", "micro"]}, {"size_class": "medium"}, NO),
        ({"field": "size_class", "op": "ne", "value": "large"}, {"size_class": None}, UNKNOWN),
        (
            {"field": "established_on", "op": "ge", "value": date(2020, 1, 1)},
            {"established_on": "2020-01-01"},
            YES,
        ),
        (
            {"field": "established_on", "op": "between", "value": ["2020-01-01", "2020-12-31"]},
            {"established_on": date(2021, 1, 1)},
            NO,
        ),
        ({"field": "red_list", "op": "eq", "value": True}, {"red_list": "true"}, YES),
        ({"field": "red_list", "op": "ne", "value": True}, {"red_list": False}, YES),
        ({"field": "tags", "op": "contains_any", "value": ["a", "b"]}, {"tags": ["b"]}, YES),
        ({"field": "tags", "op": "contains_any", "value": ["a", "b"]}, {"tags": ["c"]}, NO),
        ({"field": "tags", "op": "contains_all", "value": ["a", "b"]}, {"tags": ["a", "b", "c"]}, YES),
        ({"field": "tags", "op": "contains_all", "value": ["a", "b"]}, {"tags": ["a"]}, NO),
        (
            {"field": "age_years", "op": "lt", "value": 2},
            {"age_years": age_years(date(2024, 6, 30), SAMPLE_AS_OF)},
            NO,
        ),
        (
            {"field": "age_years", "op": "lt", "value": 2},
            {"age_years": age_years(date(2024, 7, 1), SAMPLE_AS_OF)},
            YES,
        ),
    ],
)
def test_text_date_bool_tag_and_derived_operators(
    leaf: dict[str, Any], profile: dict[str, Any], expected: Status
) -> None:
    assert _status(leaf, profile) == expected


def _result(
    reward: dict[str, Any], profile: dict[str, Any], tree: dict[str, Any] | None = None
) -> tuple[str, str | None]:
    rules = parse_item_rules(
        {"eligibility": tree or {"field": "tags", "op": "is_not_null"}, "reward": reward}
    )
    result = evaluate(rules, profile)
    return str(result.status), None if result.amount is None else str(result.amount)


CONTRACT_TIERS = {
    "tiers": [
        {"when": {"field": "revenue", "op": "ge", "value": 50000000}, "fixed": 500000},
        {"when": {"field": "revenue", "op": "ge", "value": 10000000}, "formula": "revenue * 0.01"},
    ],
    "cap": 300000,
}


@pytest.mark.parametrize(
    ("reward", "profile", "expected"),
    [
        ({"fixed": 8000}, {}, ("eligible", "8000.00")),
        ({"fixed": 8000.555}, {}, ("eligible", "8000.56")),  # half-up to the fen
        ({"fixed": 8000, "cap": 5000}, {}, ("eligible", "5000.00")),
        ({"formula": "rd_expense * 0.08", "cap": 400000}, {"rd_expense": 1000000}, ("eligible", "80000.00")),
        ({"formula": "rd_expense * 0.08", "cap": 400000}, {"rd_expense": 10**8}, ("eligible", "400000.00")),
        ({"formula": "rd_expense * 0.08"}, {}, ("needs_info", None)),
        ({"formula": "rd_expense / revenue * 1000"}, {"rd_expense": 1, "revenue": 0}, ("needs_info", None)),
        ({"formula": "revenue * 0.000005"}, {"revenue": 1001}, ("eligible", "0.01")),  # 0.005005 -> 0.01
        ({"formula": "revenue * 0.000005"}, {"revenue": 1000}, ("eligible", "0.01")),  # 0.005 half-up
        ({"formula": "revenue * 0.000005"}, {"revenue": 999}, ("eligible", "0.00")),
        ({"formula": "revenue - 1000"}, {"revenue": 1}, ("eligible", "-999.00")),  # negative results are kept
        (
            {"formula": "revenue * 0.001", "cap": 0.004},
            {"revenue": 100},
            ("eligible", "0.00"),
        ),  # cap before rounding
        # Tiers: the first true wins; the cap applies to the tier's amount.
        (CONTRACT_TIERS, {"revenue": 20000000}, ("eligible", "200000.00")),
        (CONTRACT_TIERS, {"revenue": 60000000}, ("eligible", "300000.00")),
        (CONTRACT_TIERS, {"revenue": 1}, ("eligible", "0.00")),  # every when false: eligible 0.00
        (CONTRACT_TIERS, {}, ("needs_info", None)),  # first when unknown before any true
        (
            {"tiers": [{"when": HIGH_TECH, "fixed": 1}, {"when": REVENUE_GE_10M, "fixed": 2}]},
            {"tags": ["高新技术企业"]},
            ("eligible", "1.00"),  # a later unknown tier does not matter once one is true
        ),
        (
            {"tiers": [{"when": REVENUE_GE_10M, "fixed": 1}, {"when": HIGH_TECH, "fixed": 2}]},
            {"tags": ["高新技术企业"]},
            ("needs_info", None),  # unknown before the true one
        ),
        (
            {"tiers": [{"when": HIGH_TECH, "formula": "revenue * 2"}]},
            {"tags": ["高新技术企业"]},
            ("needs_info", None),  # the winning tier's formula needs an unknown fact
        ),
    ],
)
def test_rewards_follow_the_contract(
    reward: dict[str, Any], profile: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    assert _result(reward, profile) == expected


def test_ineligible_and_needs_info_results_have_no_amount() -> None:
    assert _result({"fixed": 1}, {}, REVENUE_GE_10M) == ("needs_info", None)
    assert _result({"fixed": 1}, {"revenue": 1}, REVENUE_GE_10M) == ("ineligible", None)


def test_an_item_without_reward_is_eligible_without_amount() -> None:
    result = evaluate(parse_item_rules({"eligibility": HIGH_TECH}), {"tags": ["高新技术企业"]})
    assert (result.status, result.amount) == (Status.ELIGIBLE, None)


def test_amounts_are_decimals_with_two_places() -> None:
    result = evaluate(
        parse_item_rules({"eligibility": HIGH_TECH, "reward": {"fixed": 200000}}), {"tags": ["高新技术企业"]}
    )
    assert isinstance(result.amount, Decimal)
    assert result.amount.as_tuple().exponent == -2


# ---------------------------------------------------------------------------------- explanations
KJ = {
    "all": [
        {"field": "region_code", "op": "starts_with", "value": "4419"},
        {"field": "size_class", "op": "in", "value": ["medium", "small", "micro"]},
        {"field": "rd_ratio", "op": "ge", "value": 0.03},
    ]
}


def test_the_trace_lists_every_leaf_with_expected_actual_and_outcome() -> None:
    result = evaluate(
        parse_item_rules({"eligibility": KJ}), {"region_code": "441900", "rd_ratio": Decimal("0.021")}
    )
    assert [
        (leaf.path, leaf.field, leaf.op, leaf.expected, leaf.actual, leaf.outcome)
        for leaf in result.trace.leaves
    ] == [
        ("eligibility.all[0]", "region_code", "starts_with", "4419", "441900", True),
        ("eligibility.all[1]", "size_class", "in", ("medium", "small", "micro"), None, None),
        ("eligibility.all[2]", "rd_ratio", "ge", Decimal("0.03"), Decimal("0.021"), False),
    ]
    assert result.trace.leaves[2].label == "研发费用占比"


def test_a_failed_item_explains_what_fails_and_what_is_missing_in_chinese() -> None:
    result = evaluate(
        parse_item_rules({"eligibility": KJ}), {"region_code": "441900", "rd_ratio": Decimal("0.021")}
    )
    assert result.status is Status.INELIGIBLE
    assert result.trace.reasons == ("研发费用占比需 ≥ 3%，当前 2.1%", "缺少: 企业规模")
    assert result.trace.missing == ("size_class",)


def test_a_needs_info_item_lists_only_what_is_missing() -> None:
    result = evaluate(
        parse_item_rules({"eligibility": {"all": [IN_JINAN, REVENUE_GE_10M]}}), {"region_code": "370102"}
    )
    assert result.status is Status.NEEDS_INFO
    assert result.trace.reasons == ("缺少: 上年营业收入",)
    assert result.explanation == "缺少: 上年营业收入"


def test_for_any_the_shortest_way_to_qualify_is_given() -> None:
    tree = {
        "any": [
            {
                "all": [
                    {"field": "employees", "op": "ge", "value": 100},
                    {"field": "revenue", "op": "ge", "value": 10**8},
                ]
            },
            HIGH_TECH,
        ]
    }
    result = evaluate(parse_item_rules({"eligibility": tree}), {"employees": 10, "revenue": 5})
    assert result.trace.reasons == ("企业标签需包含“高新技术企业”，当前 无",)


def test_a_negated_condition_is_explained_as_a_prohibition() -> None:
    tree = {"all": [IN_JINAN, {"not": {"field": "tags", "op": "contains", "value": "失信被执行人"}}]}
    result = evaluate(
        parse_item_rules({"eligibility": tree}), {"region_code": "370102", "tags": ["失信被执行人"]}
    )
    assert result.trace.reasons == ("企业标签不得包含“失信被执行人”，当前 失信被执行人",)


def test_explanations_show_units_and_enum_labels() -> None:
    tree = {
        "all": [
            REVENUE_GE_10M,
            {"field": "size_class", "op": "eq", "value": "small"},
            {"field": "age_years", "op": "lt", "value": 2},
        ]
    }
    profile = {
        "revenue": Decimal("6801962.17"),
        "size_class": "medium",
        "age_years": Decimal("3.642857142857"),
    }
    reasons = evaluate(parse_item_rules({"eligibility": tree}), profile).trace.reasons
    assert reasons == (
        "上年营业收入需 ≥ 10,000,000 元，当前 6,801,962.17 元",
        "企业规模需为 小型，当前 中型",
        "成立年限需 < 2 年，当前 3.64 年",
    )


def test_a_reward_needing_a_fact_names_it() -> None:
    rules = parse_item_rules({"eligibility": HIGH_TECH, "reward": {"formula": "rd_expense * 0.08"}})
    result = evaluate(rules, {"tags": ["高新技术企业"]})
    assert result.trace.reasons == ("缺少: 上年研发费用",)
    rules = parse_item_rules({"eligibility": HIGH_TECH, "reward": CONTRACT_TIERS})
    result = evaluate(rules, {"tags": ["高新技术企业"]})
    assert result.trace.reasons == ("无法确定适用的奖励档位（第 1 档）", "缺少: 上年营业收入")


def test_the_reward_trace_says_which_tier_and_whether_capped() -> None:
    rules = parse_item_rules(
        {"eligibility": {"field": "tags", "op": "is_not_null"}, "reward": CONTRACT_TIERS}
    )
    trace = evaluate(rules, {"revenue": 40000000}).trace.reward
    assert trace is not None
    assert (trace.tier, trace.value, trace.capped) == (1, Decimal(400000), True)


def test_explain_false_skips_the_trace_but_not_the_result() -> None:
    rules = parse_item_rules({"eligibility": KJ})
    result = evaluate(rules, {"region_code": "441900"}, explain_result=False)
    assert result.status is Status.NEEDS_INFO
    assert result.trace.leaves == ()


def test_a_profile_is_reused_across_items() -> None:
    profile = Profile({"revenue": "20000000", "tags": "高新技术企业"})
    for reward, amount in (({"fixed": 5}, "5.00"), ({"formula": "revenue * 0.01"}, "200000.00")):
        rules = parse_item_rules({"eligibility": HIGH_TECH, "reward": reward})
        assert str(evaluate(rules, profile).amount) == amount


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("revenue", "abc"),
        ("revenue", True),
        ("revenue", date(2020, 1, 1)),
        ("established_on", "2020/01/01"),
        ("red_list", "yes"),
        ("tags", [1]),
    ],
)
def test_an_unreadable_fact_is_refused_with_its_field(field: str, value: Any) -> None:
    rules = parse_item_rules({"eligibility": {"field": field, "op": "is_null"}})
    with pytest.raises(ProfileValueError) as caught:
        evaluate(rules, {field: value})
    assert caught.value.field == field


# ------------------------------------------------------------------------------- contract samples
def test_the_sample_items_pass_their_own_examples(contract_samples: dict[str, Any]) -> None:
    for item in contract_samples["items"]:
        rules = parse_item_rules(item)
        for example in item.get("examples", []):
            result = evaluate(rules, example["profile"])
            expect = example["expect"]
            assert result.status == expect["status"]
            if "amount" in expect:
                assert result.amount == Decimal(str(expect["amount"]))


def sample_profile(enterprise: dict[str, Any]) -> dict[str, Any]:
    """The sample enterprise with its derived facts as of 2026-06-30 (size_class from the sample)."""
    return {
        **enterprise,
        "age_years": age_years(enterprise["established_on"], SAMPLE_AS_OF),
        "rd_ratio": rd_ratio(enterprise["rd_expense"], enterprise["revenue"]),
    }


def test_the_sample_enterprises_match_the_expected_matches(contract_samples: dict[str, Any]) -> None:
    rules = {item["code"]: parse_item_rules(item) for item in contract_samples["items"]}
    got = {}
    for enterprise in contract_samples["enterprises"]:
        profile = Profile(sample_profile(enterprise))
        for code, item_rules in rules.items():
            result = evaluate(item_rules, profile)
            got[(enterprise["uscc"], code)] = (
                str(result.status),
                "" if result.amount is None else f"{result.amount:.2f}",
            )
    assert got == contract_samples["expected"]
