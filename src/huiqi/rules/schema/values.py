"""Checking and converting the value of a leaf (numbers, dates, text, lists) for its field and operator."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from huiqi.rules import numbers
from huiqi.rules.fields import FieldSpec, FieldType, Op
from huiqi.rules.schema.nodes import LeafValue, ScalarValue


class _InvalidValueError(Exception):
    """A value is not acceptable; carries the sub-path and the messages."""

    def __init__(self, suffix: str, message: str, message_en: str) -> None:
        self.suffix = suffix
        self.message = message
        self.message_en = message_en


# ---------------------------------------------------------------------------------- leaf values
def _number(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _InvalidValueError("", f"须为数值，而不是 {raw!r}", f"a number is expected, not {raw!r}")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _InvalidValueError("", "须为有限数值", "a finite number is expected")
        value = Decimal(repr(raw))
    else:
        value = Decimal(raw)
    if not value.is_finite():
        raise _InvalidValueError("", "须为有限数值", "a finite number is expected")
    if numbers.decimal_places(value) > numbers.SCALE:
        raise _InvalidValueError(
            "", f"最多 {numbers.SCALE} 位小数", f"at most {numbers.SCALE} decimal places"
        )
    if abs(value) >= numbers.LIMIT:
        raise _InvalidValueError("", "须小于 10^15", "must be below 10^15 in size")
    return value


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        raise _InvalidValueError("", "须为日期（YYYY-MM-DD），不带时间", "a date without time is expected")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise _InvalidValueError(
        "", f"须为日期 YYYY-MM-DD，而不是 {raw!r}", f"a date YYYY-MM-DD is expected, not {raw!r}"
    )


def _text(raw: Any, *, non_empty: bool = False) -> str:
    if not isinstance(raw, str):
        hint = (
            '（代码请加引号，如 "370100"）'
            if isinstance(raw, int | float) and not isinstance(raw, bool)
            else ""
        )
        raise _InvalidValueError("", f"须为文本，而不是 {raw!r}{hint}", f"text is expected, not {raw!r}")
    if non_empty and not raw:
        raise _InvalidValueError("", "不能为空文本", "text must not be empty")
    return raw


def _scalar(spec: FieldSpec, raw: Any) -> ScalarValue:
    kind = spec.type
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        return _number(raw)
    if kind is FieldType.DATE:
        return _date(raw)
    if kind is FieldType.BOOL:
        if not isinstance(raw, bool):
            raise _InvalidValueError(
                "", f"须为 true 或 false，而不是 {raw!r}", f"true or false is expected, not {raw!r}"
            )
        return raw
    if kind is FieldType.ENUM:
        text = _text(raw)
        if text not in spec.allowed_values:
            choices = "、".join(f"{value}（{label}）" for value, label in spec.enum_values)
            raise _InvalidValueError(
                "",
                f"“{text}”不是{spec.label}的可选值：{choices}",
                f"{text!r} is not one of {spec.allowed_values}",
            )
        return text
    return _text(raw, non_empty=kind is FieldType.TAGS)


def _list(spec: FieldSpec, raw: Any, op: Op, *, non_empty_text: bool = False) -> tuple[Any, ...]:
    if not isinstance(raw, list | tuple):
        raise _InvalidValueError("", f"运算符 {op} 需要一个列表", f"{op} needs a list")
    if not raw:
        raise _InvalidValueError("", f"运算符 {op} 的列表不能为空", f"{op} needs at least one value")
    values: list[Any] = []
    for index, item in enumerate(raw):
        try:
            values.append(_text(item, non_empty=True) if non_empty_text else _scalar(spec, item))
        except _InvalidValueError as invalid:
            raise _InvalidValueError(f"[{index}]", invalid.message, invalid.message_en) from None
    return tuple(values)


def _leaf_value(spec: FieldSpec, op: Op, raw: Any) -> LeafValue:
    if op is Op.BETWEEN:
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            raise _InvalidValueError("", "between 需要 [下限, 上限] 两个值", "between needs [low, high]")
        low, high = _list(spec, raw, op)
        if low > high:
            raise _InvalidValueError("", f"between 的下限 {low} 大于上限 {high}", "between needs low <= high")
        return (low, high)
    if op in (Op.IN, Op.NOT_IN):
        return _list(spec, raw, op)
    if op is Op.STARTS_WITH:
        if isinstance(raw, list | tuple):
            return _list(spec, raw, op, non_empty_text=True)
        return _text(raw, non_empty=True)
    if op is Op.CONTAINS:
        return _text(raw, non_empty=True)
    if op in (Op.CONTAINS_ANY, Op.CONTAINS_ALL):
        return _list(spec, raw, op, non_empty_text=True)
    return _scalar(spec, raw)
