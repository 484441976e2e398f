"""The shortest list of what must change for an item to become eligible, worded in Chinese."""

from __future__ import annotations

from huiqi.rules import explain
from huiqi.rules.evaluate.conditions import _shown
from huiqi.rules.evaluate.results import Outcome
from huiqi.rules.fields import Op
from huiqi.rules.formula import Formula
from huiqi.rules.profile import Profile
from huiqi.rules.schema import (
    AllOf,
    Condition,
    Leaf,
    NotOf,
)


def _formula_reasons(
    formula: Formula, unknown: tuple[str, ...], problem: str, reasons: list[str], missing: list[str]
) -> None:
    for name in unknown:
        if name not in missing:
            missing.append(name)
    if problem == "division_by_zero":
        reasons.append(f"奖励公式 {formula.source} 除数为零，无法计算金额")
    elif problem == "overflow":
        reasons.append(f"奖励公式 {formula.source} 的计算结果超出范围，无法计算金额")


# ---------------------------------------------------------------------------------- explanation
def _explain(
    node: Condition,
    goal: bool,
    facts: Profile,
    outcomes: dict[int, Outcome],
    reasons: list[str],
    missing: list[str],
) -> None:
    """Append the shortest list of what must change for ``node`` to become ``goal``."""
    for item in _needs(node, goal, outcomes):
        if isinstance(item, str):
            if item not in missing:
                missing.append(item)
            continue
        leaf, negated = item
        spec = facts.registry[leaf.field]
        actual = _shown(spec, facts.value(leaf.field))
        line = explain.failing_line(spec, leaf.op, leaf.value, actual, negated=negated)
        if line not in reasons:
            reasons.append(line)


_Need = str | tuple[Leaf, bool]  # a missing field name, or a failing leaf and whether it is negated


def _needs(node: Condition, goal: bool, outcomes: dict[int, Outcome]) -> list[_Need]:
    outcome = outcomes.get(id(node))
    if outcome is goal:
        return []
    if isinstance(node, Leaf):
        if outcome is None and node.op not in (Op.IS_NULL, Op.IS_NOT_NULL):
            return [node.field]
        return [(node, not goal)]
    if isinstance(node, NotOf):
        return _needs(node.child, not goal, outcomes)
    # To make all true (or any false) every child must change; otherwise one child suffices.
    every = isinstance(node, AllOf) == goal
    lists = [_needs(child, goal, outcomes) for child in node.children if outcomes.get(id(child)) is not goal]
    if every:
        return [need for needs in lists for need in needs]
    return min(lists, key=len) if lists else []
