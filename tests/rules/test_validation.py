"""Validation of condition trees and rewards: every fault is refused with its path and what was expected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from huiqi.rules.errors import RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldSpec, FieldType, Op
from huiqi.rules.schema import (
    AllOf,
    AnyOf,
    FixedAmount,
    FormulaAmount,
    ItemRules,
    Leaf,
    NotOf,
    parse_condition,
    parse_item_rules,
    parse_reward,
)


def _errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(RuleValidationError) as caught:
        parse_item_rules(data)
    return [(error.path, error.code) for error in caught.value.errors]


def _only_error(data: dict[str, Any]) -> tuple[str, str, str]:
    with pytest.raises(RuleValidationError) as caught:
        parse_item_rules(data)
    assert len(caught.value.errors) == 1, caught.value.errors
    error = caught.value.errors[0]
    return error.path, error.code, error.message


def _leaf(**leaf: Any) -> dict[str, Any]:
    return {"eligibility": {"all": [{"field": "revenue", "op": "ge", "value": 1}, {"any": [leaf]}]}}


def test_the_contract_example_parses_into_typed_nodes() -> None:
    rules = parse_item_rules(
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
                    {"not": {"field": "red_list", "op": "eq", "value": True}},
                ]
            },
            "reward": {
                "tiers": [
                    {"when": {"field": "revenue", "op": "ge", "value": 50000000}, "fixed": 500000},
                    {
                        "when": {"field": "revenue", "op": "ge", "value": 10000000},
                        "formula": "revenue * 0.01",
                    },
                ],
                "cap": 300000,
            },
        }
    )
    tree = rules.eligibility
    assert isinstance(tree, AllOf)
    assert tree.children[0] == Leaf("region_code", Op.STARTS_WITH, "3701")
    assert tree.children[1] == Leaf("age_years", Op.LE, Decimal(5))
    assert isinstance(tree.children[2], AnyOf)
    assert isinstance(tree.children[3], NotOf)
    assert tree.children[2].children[0].path == "eligibility.all[2].any[0]"  # type: ignore[union-attr]
    assert rules.reward is not None
    assert rules.reward.cap == Decimal(300000)
    assert rules.reward.tiers[0].amount == FixedAmount(Decimal(500000))
    assert isinstance(rules.reward.tiers[1].amount, FormulaAmount)
    assert rules.fields() == {"region_code", "age_years", "revenue", "tags", "red_list"}


def test_nodes_are_immutable() -> None:
    leaf = parse_condition({"field": "revenue", "op": "ge", "value": 1})
    with pytest.raises(AttributeError):
        leaf.op = Op.LT  # type: ignore[misc]


def test_to_data_round_trips() -> None:
    data = {
        "eligibility": {
            "any": [
                {"field": "rd_ratio", "op": "ge", "value": 0.035},
                {"field": "established_on", "op": "between", "value": [date(2020, 1, 1), date(2021, 12, 31)]},
                {"not": {"field": "size_class", "op": "in", "value": ["large"]}},
                {"field": "employees", "op": "is_null"},
            ]
        },
        "reward": {"formula": "round(revenue * 0.0005, 2)", "cap": 250000.5},
    }
    rules = parse_item_rules(data)
    assert rules.to_data() == data
    assert parse_item_rules(rules.to_data()) == rules


def test_every_fault_of_an_item_is_reported_not_only_the_first() -> None:
    errors = _errors(
        {
            "eligibility": {
                "all": [
                    {"field": "turnover", "op": "ge", "value": 1},
                    {"field": "revenue", "op": "starts_with", "value": "1"},
                ]
            },
            "reward": {"fixed": -5},
        }
    )
    assert errors == [
        ("eligibility.all[0].field", "unknown_field"),
        ("eligibility.all[1].op", "invalid_operator"),
        ("reward.fixed", "invalid_reward"),
    ]


@pytest.mark.parametrize(
    ("leaf", "path", "code", "said"),
    [
        ({"field": "turnover", "op": "ge", "value": 1}, ".field", "unknown_field", "未知字段“turnover”"),
        ({"op": "ge", "value": 1}, ".field", "missing_key", "缺少 field"),
        ({"field": "revenue", "value": 1}, ".op", "missing_key", "缺少 op"),
        ({"field": "revenue", "op": "gte", "value": 1}, ".op", "unknown_operator", "未知运算符“gte”"),
        (
            {"field": "revenue", "op": "contains", "value": 1},
            ".op",
            "invalid_operator",
            "不能使用运算符 contains",
        ),
        ({"field": "region_code", "op": "lt", "value": "1"}, ".op", "invalid_operator", "文本"),
        ({"field": "tags", "op": "eq", "value": "a"}, ".op", "invalid_operator", "contains"),
        ({"field": "red_list", "op": "in", "value": [True]}, ".op", "invalid_operator", "布尔值"),
        ({"field": "revenue", "op": "ge"}, ".value", "missing_key", "需要 value"),
        ({"field": "revenue", "op": "ge", "value": "1000"}, ".value", "invalid_value", "须为数值"),
        ({"field": "revenue", "op": "ge", "value": True}, ".value", "invalid_value", "须为数值"),
        ({"field": "revenue", "op": "ge", "value": float("nan")}, ".value", "invalid_value", "有限数值"),
        (
            {"field": "revenue", "op": "ge", "value": Decimal("0.1234567890123")},
            ".value",
            "invalid_value",
            "12 位小数",
        ),
        ({"field": "revenue", "op": "ge", "value": 10**15}, ".value", "invalid_value", "10^15"),
        ({"field": "revenue", "op": "between", "value": [5]}, ".value", "invalid_value", "[下限, 上限]"),
        ({"field": "revenue", "op": "between", "value": 5}, ".value", "invalid_value", "[下限, 上限]"),
        (
            {"field": "revenue", "op": "between", "value": [9, 5]},
            ".value",
            "invalid_value",
            "下限 9 大于上限 5",
        ),
        ({"field": "revenue", "op": "between", "value": [1, "x"]}, ".value[1]", "invalid_value", "须为数值"),
        ({"field": "revenue", "op": "in", "value": []}, ".value", "invalid_value", "不能为空"),
        ({"field": "revenue", "op": "in", "value": 5}, ".value", "invalid_value", "需要一个列表"),
        ({"field": "region_code", "op": "eq", "value": 370100}, ".value", "invalid_value", "请加引号"),
        (
            {"field": "region_code", "op": "starts_with", "value": ["37", ""]},
            ".value[1]",
            "invalid_value",
            "不能为空",
        ),
        ({"field": "size_class", "op": "eq", "value": "tiny"}, ".value", "invalid_value", "可选值"),
        (
            {"field": "size_class", "op": "in", "value": ["small", "huge"]},
            ".value[1]",
            "invalid_value",
            "可选值",
        ),
        ({"field": "ownership", "op": "ne", "value": 1}, ".value", "invalid_value", "须为文本"),
        (
            {"field": "established_on", "op": "ge", "value": "2020-13-01"},
            ".value",
            "invalid_value",
            "YYYY-MM-DD",
        ),
        ({"field": "red_list", "op": "eq", "value": "true"}, ".value", "invalid_value", "true 或 false"),
        ({"field": "tags", "op": "contains", "value": ""}, ".value", "invalid_value", "不能为空"),
        ({"field": "tags", "op": "contains_all", "value": "高新技术企业"}, ".value", "invalid_value", "列表"),
        (
            {"field": "tags", "op": "contains_any", "value": ["a", 3]},
            ".value[1]",
            "invalid_value",
            "须为文本",
        ),
        ({"field": "revenue", "op": "is_null", "value": 1}, ".value", "invalid_value", "不需要 value"),
        ({"field": "revenue", "op": "ge", "value": 1, "unit": "元"}, "", "malformed_node", "unit"),
    ],
)
def test_a_faulty_leaf_is_refused_with_its_path(
    leaf: dict[str, Any], path: str, code: str, said: str
) -> None:
    error_path, error_code, message = _only_error(_leaf(**leaf))
    assert error_path == "eligibility.all[1].any[0]" + path
    assert error_code == code
    assert said in message


@pytest.mark.parametrize(
    ("tree", "path", "said"),
    [
        ({"all": [], "any": []}, "eligibility", "同时有 all、any"),
        ({"all": []}, "eligibility.all", "不能为空"),
        ({"any": {"field": "revenue", "op": "ge", "value": 1}}, "eligibility.any", "条件列表"),
        ({"not": [{"field": "revenue", "op": "ge", "value": 1}]}, "eligibility.not", "须为映射"),
        (
            {"all": [{"field": "revenue", "op": "ge", "value": 1}], "field": "x"},
            "eligibility",
            "不能有其他键",
        ),
        ({"all": ["revenue >= 1"]}, "eligibility.all[0]", "须为映射"),
        ("revenue >= 1", "eligibility", "须为映射"),
    ],
)
def test_a_malformed_tree_is_refused_with_its_path(tree: Any, path: str, said: str) -> None:
    error_path, error_code, message = _only_error({"eligibility": tree})
    assert (error_path, error_code) == (path, "malformed_node")
    assert said in message


def test_a_tree_nested_too_deeply_is_refused() -> None:
    tree: dict[str, Any] = {"field": "revenue", "op": "ge", "value": 1}
    for _ in range(40):
        tree = {"not": tree}
    path, code, message = _only_error({"eligibility": tree})
    assert code == "malformed_node"
    assert "32" in message
    assert path.startswith("eligibility" + ".not" * 33)


def test_an_item_without_eligibility_is_refused() -> None:
    assert _only_error({"reward": {"fixed": 1}})[:2] == ("eligibility", "missing_key")


_ELIGIBLE = {"field": "revenue", "op": "ge", "value": 1}


@pytest.mark.parametrize(
    ("reward", "path", "said"),
    [
        ({"fixed": 1, "formula": "revenue"}, "reward", "只能有 fixed、formula、tiers 之一"),
        ({"cap": 5}, "reward", "只能有 fixed、formula、tiers 之一"),
        ({"fixed": 1, "bonus": 2}, "reward", "bonus"),
        ({"fixed": "8000"}, "reward.fixed", "须为数值"),
        ({"fixed": -1}, "reward.fixed", "不能为负数"),
        ({"fixed": 1, "cap": -1}, "reward.cap", "不能为负数"),
        ({"fixed": 1, "cap": "none"}, "reward.cap", "须为数值"),
        ({"tiers": []}, "reward.tiers", "非空列表"),
        ({"tiers": [{"fixed": 1}]}, "reward.tiers[0].when", "缺少 when"),
        ({"tiers": [{"when": _ELIGIBLE}]}, "reward.tiers[0]", "fixed、formula 之一"),
        (
            {"tiers": [{"when": _ELIGIBLE, "fixed": 1, "formula": "1"}]},
            "reward.tiers[0]",
            "fixed、formula 之一",
        ),
        ({"tiers": [{"when": _ELIGIBLE, "fixed": 1, "cap": 2}]}, "reward.tiers[0]", "未知的键"),
        (
            {"tiers": [{"when": {"field": "x", "op": "eq", "value": 1}, "fixed": 1}]},
            "reward.tiers[0].when.field",
            "未知字段",
        ),
        (
            {"tiers": [_ELIGIBLE, {"when": _ELIGIBLE, "formula": "revenue ** 2"}]},
            "reward.tiers[0]",
            "未知的键",
        ),
        ({"formula": "revenue +"}, "reward.formula", "公式不完整"),
        ({"tiers": [{"when": _ELIGIBLE, "formula": "os.system"}]}, "reward.tiers[0].formula", "第 3 个字符"),
        ("8000", "reward", "须为映射"),
    ],
)
def test_a_faulty_reward_is_refused_with_its_path(reward: Any, path: str, said: str) -> None:
    with pytest.raises(RuleValidationError) as caught:
        parse_item_rules({"eligibility": _ELIGIBLE, "reward": reward})
    error = caught.value.errors[0]
    assert error.path == path
    assert said in error.message
    assert error.message_en


def test_errors_print_their_paths() -> None:
    with pytest.raises(RuleValidationError) as caught:
        parse_reward({"formula": "revenue.__class__"})
    assert str(caught.value).startswith("reward.formula: 公式第 8 个字符处")
    assert caught.value.errors[0].position == 8


def test_a_float_from_yaml_is_read_as_its_decimal_text() -> None:
    leaf = parse_condition({"field": "rd_ratio", "op": "ge", "value": 0.035})
    assert isinstance(leaf, Leaf)
    assert leaf.value == Decimal("0.035")


def test_a_registry_can_be_extended_with_new_fields() -> None:
    registry = DEFAULT_REGISTRY.extended(
        FieldSpec("credit_grade", FieldType.ENUM, "纳税信用等级", enum_values=(("A", "A级"),))
    )
    leaf = parse_condition({"field": "credit_grade", "op": "eq", "value": "A"}, registry=registry)
    assert isinstance(leaf, Leaf)
    with pytest.raises(RuleValidationError):
        parse_condition({"field": "credit_grade", "op": "eq", "value": "A"})


def test_a_non_monetary_item_may_have_no_reward() -> None:
    assert parse_item_rules({"eligibility": _ELIGIBLE}) == ItemRules(parse_condition(_ELIGIBLE), None)
