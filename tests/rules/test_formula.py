"""Reward formulas: our own grammar, refusals with positions, and exact decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from huiqi.rules import numbers
from huiqi.rules.errors import RuleValidationError
from huiqi.rules.formula import BinaryOp, Call, FieldRef, Negate, Number, evaluate_formula, parse_formula


def _value(text: str, **facts: Decimal | int | None) -> Decimal | None:
    formula = parse_formula(text)
    fixed = {name: None if value is None else numbers.to_fixed(value) for name, value in facts.items()}
    outcome = evaluate_formula(formula, lambda name: fixed.get(name))
    return None if outcome.value is None else numbers.from_fixed(outcome.value)


def test_precedence_and_associativity_follow_arithmetic() -> None:
    formula = parse_formula("1 - 2 - 3 * -revenue / 4")
    assert formula.root == BinaryOp(
        "-",
        BinaryOp("-", Number(Decimal(1), numbers.ONE), Number(Decimal(2), 2 * numbers.ONE)),
        BinaryOp(
            "/",
            BinaryOp("*", Number(Decimal(3), 3 * numbers.ONE), Negate(FieldRef("revenue"))),
            Number(Decimal(4), 4 * numbers.ONE),
        ),
    )
    assert formula.fields == {"revenue"}
    assert formula.source == "1 - 2 - 3 * -revenue / 4"


def test_functions_parse_with_their_places() -> None:
    assert parse_formula("round(revenue, 2)").root == Call("round", (FieldRef("revenue"),), 2)
    assert parse_formula("max(revenue, tax_paid, 1)").root.args[2] == Number(Decimal(1), numbers.ONE)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("revenue * 0.01", {"revenue": Decimal(20000000)}, Decimal(200000)),
        ("round(revenue * 0.0005)", {"revenue": Decimal("131815575.88")}, Decimal(65908)),  # 65907.78794
        ("round(2.5)", {}, Decimal(3)),  # half away from zero, not to even
        ("round(-2.5)", {}, Decimal(-3)),
        ("round(1.005, 2)", {}, Decimal("1.01")),
        ("round(1.0049, 2)", {}, Decimal("1.00")),
        ("(revenue - 1000000) * 0.2", {"revenue": Decimal(1500000)}, Decimal(100000)),
        ("min(rd_expense * 0.1, 500000)", {"rd_expense": Decimal(7000000)}, Decimal(500000)),
        ("max(employees * 2000, 10000)", {"employees": 3}, Decimal(10000)),
        ("1 / 3", {}, Decimal("0.333333333333")),
        ("2 / 3", {}, Decimal("0.666666666667")),
        ("-2 / 3", {}, Decimal("-0.666666666667")),
        ("1 / 3 * 3", {}, Decimal("0.999999999999")),  # each / and * rounds to 12 places
        ("0.000001 * 0.0000005", {}, Decimal("0.000000000001")),  # 5e-13 rounds away from zero
        ("--5", {}, Decimal(5)),
        ("rd_ratio * 100", {"rd_ratio": Decimal("0.052956645597")}, Decimal("5.2956645597")),
    ],
)
def test_formulas_compute_exact_decimals(
    text: str, facts: dict[str, Decimal | int], expected: Decimal
) -> None:
    assert _value(text, **facts) == expected


def test_a_formula_needing_an_unknown_fact_has_no_value_and_names_it() -> None:
    formula = parse_formula("revenue * 0.01 + tax_paid * 0 + revenue")
    outcome = evaluate_formula(formula, lambda name: numbers.ONE if name == "revenue" else None)
    assert outcome.value is None
    assert outcome.missing == ("tax_paid",)


def test_division_by_zero_has_no_value() -> None:
    outcome = evaluate_formula(
        parse_formula("rd_expense / revenue"), lambda name: 0 if name == "revenue" else 5
    )
    assert (outcome.value, outcome.problem) == (None, "division_by_zero")


def test_a_result_beyond_the_range_has_no_value() -> None:
    huge = numbers.to_fixed(Decimal("999999999999999"))
    outcome = evaluate_formula(parse_formula("revenue * 2"), lambda name: huge)
    assert (outcome.value, outcome.problem) == (None, "overflow")
    assert _value("round(999999999999999.6)") is None
    assert _value("999999999999999 + 1") is None
    assert _value("999999999999999 + 0") == Decimal(999999999999999)


@pytest.mark.parametrize(
    ("text", "position", "said"),
    [
        ("__import__('os')", 1, "不允许的函数“__import__”"),
        ("revenue.__class__", 8, "属性访问"),
        ("1 if 1 else 2", 3, "多余的内容“if”"),
        ("'abc'", 1, "字符串"),
        ('"abc" * 2', 1, "字符串"),
        ("revenue ** 2", 9, "乘方"),
        ("turnover * 2", 1, "未知的名称“turnover”"),
        ("region_code * 2", 1, "不是数值"),
        ("tags", 1, "不是数值"),
        ("exec(1)", 1, "不允许的函数“exec”"),
        ("abs(revenue)", 1, "不允许的函数“abs”"),
        ("min", 1, "后需要括号"),
        ("min(revenue)", 1, "至少需要两个参数"),
        ("round(revenue, 2, 3)", 1, "最多两个参数"),
        ("round(revenue, 1.5)", 16, "0 到 12 的整数"),
        ("round(revenue, 13)", 16, "0 到 12 的整数"),
        ("round(revenue, employees)", 16, "0 到 12 的整数"),
        ("revenue +", 10, "公式不完整"),
        ("(revenue", 9, "需要“）”"),
        ("revenue)", 8, "多余的符号“)”"),
        ("1e6", 2, "科学计数法"),
        ("1.", 1, "小数点后需要数字"),
        (".5", 1, "小数点"),
        ("revenue > 1", 9, "不允许的字符“>”"),
        ("revenue; 1", 8, "不允许的字符“;”"),
        ("lambda: 1", 7, "不允许的字符“:”"),
        ("[1][0]", 1, "不允许的字符“[”"),
        ("营业收入 * 2", 1, "不允许的字符“营”"),
        ("1.0000000000001", 1, "12 位小数"),
        ("1000000000000000", 1, "数字过大"),
        ("revenue\n+1", 8, "不允许的字符"),
    ],
)
def test_anything_outside_the_grammar_is_refused_with_its_position(
    text: str, position: int, said: str
) -> None:
    with pytest.raises(RuleValidationError) as caught:
        parse_formula(text, path="reward.formula")
    error = caught.value.errors[0]
    assert (error.path, error.code, error.position) == ("reward.formula", "invalid_formula", position)
    assert said in error.message
    assert f"第 {position} 个字符" in error.message


@pytest.mark.parametrize(
    ("text", "said"), [("", "不能为空"), ("   ", "不能为空"), ("x" * 501, "过长"), (42, "须为文本")]
)
def test_empty_long_or_non_text_formulas_are_refused(text: object, said: str) -> None:
    with pytest.raises(RuleValidationError) as caught:
        parse_formula(text)
    assert said in caught.value.errors[0].message


def test_deep_nesting_is_refused_before_it_exhausts_the_parser() -> None:
    with pytest.raises(RuleValidationError) as caught:
        parse_formula("(" * 40 + "1" + ")" * 40)
    assert "嵌套超过" in caught.value.errors[0].message
    with pytest.raises(RuleValidationError):
        parse_formula("-" * 100 + "1")


def test_parsing_never_evaluates_python(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec/compile must not be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    assert _value("round(revenue * 0.0005)", revenue=Decimal(1000)) == Decimal(1)
