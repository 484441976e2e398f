"""Exact fixed-point arithmetic on Polars columns: 128-bit integers scaled by 10^12.

The arithmetic of :mod:`huiqi.rules.numbers`, column-wise: ``*`` and ``/`` are split into parts that
cannot overflow 128 bits, rounded half away from zero, and a result outside ±10^15 yuan becomes null,
like the Python evaluator's ``None``.  Amounts are therefore identical to the fen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

import polars as pl

from huiqi.rules import numbers
from huiqi.rules.formula import BinaryOp, Call, Expression, FieldRef, Negate, Number

I128 = pl.Int128
ONE = numbers.ONE
_HALF = 10**6
_FIXED_PREFIX = "__fixed__"


def fixed_column(name: str) -> str:
    """Name of the hidden fixed-point column of a numeric field."""
    return f"{_FIXED_PREFIX}{name}"


@lru_cache(maxsize=8192)
def int_literal(value: int) -> pl.Expr:
    """An Int128 literal; kept, since building one costs about 0.1 ms and plans use thousands."""
    return pl.lit(value, dtype=I128)


def bounded(value: pl.Expr) -> pl.Expr:
    """The value where it lies strictly inside ±10^15 yuan, else null."""
    return pl.when(value.abs() < int_literal(numbers.LIMIT_FIXED)).then(value)


def sign_applied(magnitude: pl.Expr, negative: pl.Expr) -> pl.Expr:
    return pl.when(negative).then(int_literal(0) - magnitude).otherwise(magnitude)


def _times(value: pl.Expr, factor: int) -> pl.Expr:
    return value if factor == 1 else value * int_literal(factor)


def fixed_multiply(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """``left * right`` on fixed columns, rounded half away from zero; null outside the range."""
    a, b = left.abs(), right.abs()
    high_a, low_a = a // int_literal(ONE), a % int_literal(ONE)
    high_b, low_b = b // int_literal(ONE), b % int_literal(ONE)
    highs = high_a * high_b  # below 10^30: each high part is below 10^15
    magnitude = (
        highs * int_literal(ONE)
        + high_a * low_b
        + low_a * high_b
        + (low_a * low_b + int_literal(ONE // 2)) // int_literal(ONE)
    )
    result = sign_applied(magnitude, (left < int_literal(0)) != (right < int_literal(0)))
    ok = (highs < int_literal(numbers.LIMIT)) & (magnitude < int_literal(numbers.LIMIT_FIXED))
    return pl.when(ok).then(result)


def fixed_divide(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """``left / right`` on fixed columns: long division in two 6-digit steps, no 128-bit overflow."""
    a = left.abs()
    b = pl.when(right == int_literal(0)).then(int_literal(1)).otherwise(right.abs())
    whole = a // b
    step = (a % b) * int_literal(_HALF)
    first = step // b
    step = (step % b) * int_literal(_HALF)
    second = step // b
    carry = pl.when((step % b) * int_literal(2) >= b).then(int_literal(1)).otherwise(int_literal(0))
    magnitude = whole * int_literal(ONE) + first * int_literal(_HALF) + second + carry
    result = sign_applied(magnitude, (left < int_literal(0)) != (right < int_literal(0)))
    ok = (
        (right != int_literal(0))
        & (whole < int_literal(numbers.LIMIT))
        & (magnitude < int_literal(numbers.LIMIT_FIXED))
    )
    return pl.when(ok).then(result)


def round_places(value: pl.Expr, places: int) -> pl.Expr:
    step = 10 ** (numbers.SCALE - places)
    if step == 1:
        return value
    magnitude = (value.abs() + int_literal(step // 2)) // int_literal(step) * int_literal(step)
    return bounded(sign_applied(magnitude, value < int_literal(0)))


class Stages:
    """Intermediate formula values as temporary columns, added stage by stage.

    ``fixed_multiply`` and ``fixed_divide`` read their operands several times; nesting them as plain
    expressions would grow the expression exponentially with the depth of the formula.  Each operation
    is therefore computed into a temporary column in the stage after its operands, and the next
    operation reads that column.  A field is read from its hidden fixed column (:func:`fixed_column`),
    or, for a field in ``scaled``, from an integer column holding value * 10^scale (the bulk
    evaluator's comparison columns); then ``field * number`` is one exact multiplication when the
    number has at most 12 - scale decimal places (``revenue * 0.05`` on a column of fen).
    """

    def __init__(self, prefix: str, scaled: Mapping[str, tuple[str, int]] | None = None) -> None:
        self.prefix = prefix
        self.scaled = scaled or {}
        self.stages: list[list[pl.Expr]] = []
        self.names: list[str] = []

    def column(self, expression: pl.Expr, stage: int) -> tuple[pl.Expr, int]:
        name = f"__{self.prefix}t{len(self.names)}"
        while len(self.stages) <= stage:
            self.stages.append([])
        self.stages[stage].append(expression.alias(name))
        self.names.append(name)
        return pl.col(name), stage + 1

    def formula(self, node: Expression) -> tuple[pl.Expr, int]:
        """The formula as an Int128 fixed expression and the first stage at which it can be read."""
        if isinstance(node, Number):
            return int_literal(node.fixed), 0
        if isinstance(node, FieldRef):
            if node.name in self.scaled:
                column, scale = self.scaled[node.name]
                return _times(pl.col(column).cast(I128), 10 ** (numbers.SCALE - scale)), 0
            return pl.col(fixed_column(node.name)), 0
        if isinstance(node, Negate):
            operand, stage = self.formula(node.operand)
            return int_literal(0) - operand, stage
        if isinstance(node, BinaryOp):
            constant = self._by_constant(node)
            if constant is not None:
                return constant
            (left, left_stage), (right, right_stage) = self.formula(node.left), self.formula(node.right)
            stage = max(left_stage, right_stage)
            if node.op == "+":
                return self.column(bounded(left + right), stage)
            if node.op == "-":
                return self.column(bounded(left - right), stage)
            if node.op == "*":
                return self.column(fixed_multiply(left, right), stage)
            return self.column(fixed_divide(left, right), stage)
        assert isinstance(node, Call)
        parts = [self.formula(arg) for arg in node.args]
        args = [arg for arg, _stage in parts]
        stage = max(arg_stage for _arg, arg_stage in parts)
        if node.function == "round":
            return self.column(round_places(args[0], node.places), stage)
        any_null = pl.any_horizontal([arg.is_null() for arg in args])
        chosen = pl.min_horizontal(args) if node.function == "min" else pl.max_horizontal(args)
        return self.column(pl.when(~any_null).then(chosen), stage)

    def _by_constant(self, node: BinaryOp) -> tuple[pl.Expr, int] | None:
        """``x * number`` and ``x / number`` as one multiplication and at most one division.

        With x read as an integer n = value * 10^s (a scaled column, or any fixed value: s = 12), the
        fixed product is ``round(n * N / 10^s)`` and the fixed quotient ``round(n * 10^(24-s) / N)``
        (N the number's fixed value): a rational constant P / Q, reduced, applied with one
        multiplication and one division rounded half away from zero, exactly as
        :func:`huiqi.rules.numbers.mul` and :func:`~huiqi.rules.numbers.div` round.  Used when
        |n| * |P| stays below 2^126 (n < 10^(15+s) by the range rule); otherwise None.
        """
        if node.op not in ("*", "/") or not isinstance(node.right, Number):
            if node.op == "*" and isinstance(node.left, Number) and not isinstance(node.right, Number):
                node = BinaryOp("*", node.right, node.left)
            else:
                return None
        assert isinstance(node.right, Number)
        if isinstance(node.left, Number):
            return None
        number = node.right.fixed
        if node.op == "/" and number == 0:
            return None  # division by zero: the general path gives null
        field = node.left
        scaled = self.scaled.get(field.name) if isinstance(field, FieldRef) else None
        scale = numbers.SCALE if scaled is None else scaled[1]
        numerator, denominator = (
            (number, 10**scale) if node.op == "*" else (10 ** (2 * numbers.SCALE - scale), number)
        )
        if denominator < 0:
            numerator, denominator = -numerator, -denominator
        common = math.gcd(numerator, denominator)
        numerator, denominator = numerator // common, denominator // common
        if abs(numerator) * 10 ** (15 + scale) >= 2**126:
            return None
        if scaled is not None:
            value, stage = pl.col(scaled[0]).cast(I128), 0
        else:
            value, stage = self.formula(node.left)
        product = value * int_literal(numerator) if numerator != 1 else value
        if denominator == 1:
            return self.column(bounded(product), stage)
        magnitude = (product.abs() + int_literal(denominator // 2)) // int_literal(denominator)
        return self.column(bounded(sign_applied(magnitude, product < int_literal(0))), stage)
