"""Evaluating a parsed formula with the exact arithmetic of :mod:`huiqi.rules.numbers`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from huiqi.rules import numbers
from huiqi.rules.formula.nodes import BinaryOp, Expression, FieldRef, Formula, Negate, Number


# ------------------------------------------------------------------------------------ evaluation
@dataclass(frozen=True, slots=True)
class FormulaOutcome:
    """The value of a formula as a fixed integer, or None with the reason."""

    value: int | None
    missing: tuple[str, ...] = ()  # unknown facts the formula needs
    problem: str = ""  # "division_by_zero" or "overflow" when the value is None for those reasons


class _UnknownValueError(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem


def evaluate_formula(formula: Formula, lookup: Callable[[str], int | None]) -> FormulaOutcome:
    """Evaluate with the arithmetic of :mod:`huiqi.rules.numbers`; ``lookup`` gives fixed facts."""
    missing = tuple(sorted(name for name in formula.fields if lookup(name) is None))
    if missing:
        return FormulaOutcome(None, missing)
    try:
        return FormulaOutcome(_evaluate(formula.root, lookup))
    except _UnknownValueError as unknown:
        return FormulaOutcome(None, (), unknown.problem)


def _checked(value: int | None, problem: str = "overflow") -> int:
    if value is None:
        raise _UnknownValueError(problem)
    return value


def _evaluate(node: Expression, lookup: Callable[[str], int | None]) -> int:
    if isinstance(node, Number):
        return node.fixed
    if isinstance(node, FieldRef):
        return _checked(lookup(node.name))
    if isinstance(node, Negate):
        return -_evaluate(node.operand, lookup)
    if isinstance(node, BinaryOp):
        left = _evaluate(node.left, lookup)
        right = _evaluate(node.right, lookup)
        if node.op == "+":
            return _checked(numbers.add(left, right))
        if node.op == "-":
            return _checked(numbers.sub(left, right))
        if node.op == "*":
            return _checked(numbers.mul(left, right))
        if right == 0:
            raise _UnknownValueError("division_by_zero")
        return _checked(numbers.div(left, right))
    values = [_evaluate(arg, lookup) for arg in node.args]
    if node.function == "min":
        return min(values)
    if node.function == "max":
        return max(values)
    return _checked(numbers.bounded(numbers.round_places(values[0], node.places)))
