"""Chinese wording of explanations: what a condition requires and what the enterprise has.

Used by :mod:`huiqi.rules.evaluate` to turn a failed or unknown leaf into one line an enterprise can
act on, e.g. "研发费用占比需 ≥ 3%，当前 2.1%" or "缺少: 上年营业收入".  Values are shown with the
field's unit from the registry; ratios marked ``is_percent`` are shown as percentages; measured values
are shown to two decimal places (thresholds exactly as written).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from huiqi.rules.fields import FieldSpec, FieldType, Op

_SYMBOLS = {Op.EQ: "=", Op.NE: "≠", Op.LT: "<", Op.LE: "≤", Op.GT: ">", Op.GE: "≥"}
_NEGATED = {
    Op.EQ: Op.NE,
    Op.NE: Op.EQ,
    Op.LT: Op.GE,
    Op.LE: Op.GT,
    Op.GT: Op.LE,
    Op.GE: Op.LT,
    Op.IN: Op.NOT_IN,
    Op.NOT_IN: Op.IN,
    Op.IS_NULL: Op.IS_NOT_NULL,
    Op.IS_NOT_NULL: Op.IS_NULL,
}


def _plain(value: Decimal, places: int | None) -> str:
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def format_number(spec: FieldSpec, value: Decimal, *, measured: bool) -> str:
    """A number with its unit; ``measured`` values (the enterprise's own) are shown to 2 places."""
    if spec.is_percent:
        return f"{_plain(value * 100, 2 if measured else None)}%"
    text = _plain(value, 2 if measured else None)
    return f"{text} {spec.unit}" if spec.unit else text


def format_value(spec: FieldSpec, value: Any, *, measured: bool = False) -> str:
    """Any single value of a field, for display."""
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format_number(spec, value, measured=measured)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return "、".join(sorted(value)) if value else "无"
    if isinstance(value, tuple):
        return "、".join(format_value(spec, item, measured=measured) for item in value)
    if spec.type is FieldType.ENUM and isinstance(value, str):
        return spec.value_label(value)
    return str(value)


def requirement(spec: FieldSpec, op: Op, expected: Any, *, negated: bool) -> str:
    """What the leaf asks for (or, negated, forbids): "研发费用占比需 ≥ 3%"."""
    if negated and op in _NEGATED:
        op, negated = _NEGATED[op], False
    label = spec.label
    if op in _SYMBOLS and spec.type in (FieldType.NUMBER, FieldType.INTEGER, FieldType.DATE):
        return f"{label}需 {_SYMBOLS[op]} {format_value(spec, expected)}"
    shown = format_value(spec, expected)
    quoted = "、".join(f"“{item}”" for item in shown.split("、")) if spec.type is FieldType.TAGS else shown
    verb = "不得" if negated else "需"
    if op is Op.EQ:
        return f"{label}需为 {shown}"
    if op is Op.NE:
        return f"{label}不得为 {shown}"
    if op is Op.IN:
        return f"{label}需为 {shown} 之一"
    if op is Op.NOT_IN:
        return f"{label}不得为 {shown} 中的任何一项"
    if op is Op.BETWEEN:
        low, high = expected
        between = f"在 {format_value(spec, low)} 至 {format_value(spec, high)} 之间"
        return f"{label}{verb}{between}"
    if op is Op.STARTS_WITH:
        prefixes = " 或 ".join(expected) if isinstance(expected, tuple) else expected
        return f"{label}{verb}以 {prefixes} 开头"
    if op is Op.CONTAINS:
        return f"{label}{verb}包含{quoted}"
    if op is Op.CONTAINS_ANY:
        return f"{label}{verb}包含{quoted}中{'的任何一项' if negated else '至少一项'}"
    if op is Op.CONTAINS_ALL:
        return f"{label}{'不得同时包含' if negated else '需同时包含'}{quoted}"
    if op is Op.IS_NULL:
        return f"{label}需为空"
    return f"{label}需填写"


def failing_line(spec: FieldSpec, op: Op, expected: Any, actual: Any, *, negated: bool) -> str:
    """One line for a leaf that fails: "研发费用占比需 ≥ 3%，当前 2.1%"."""
    return f"{_requirement(spec, op, expected, negated)}，当前 {format_value(spec, actual, measured=True)}"


_REQUIREMENTS: dict[tuple[Any, ...], str] = {}


def _requirement(spec: FieldSpec, op: Op, expected: Any, negated: bool) -> str:
    """:func:`requirement`, kept: it depends on the rule only, and one enterprise's explanations
    repeat the same few hundred requirements."""
    try:
        key = (spec, op, expected, negated)
        cached = _REQUIREMENTS.get(key)
    except TypeError:  # an unhashable value: worded each time
        return requirement(spec, op, expected, negated=negated)
    if cached is None:
        if len(_REQUIREMENTS) > 50_000:
            _REQUIREMENTS.clear()
        cached = _REQUIREMENTS[key] = requirement(spec, op, expected, negated=negated)
    return cached


def missing_line(labels: list[str]) -> str:
    """One line for unknown facts: "缺少: 上年营业收入、上年研发费用"."""
    return "缺少: " + "、".join(labels)
