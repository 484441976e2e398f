"""Deciding condition trees for one profile: compiled closures (fast), and the full evaluation that
records every node's outcome for the trace."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from huiqi.rules import numbers
from huiqi.rules.evaluate.results import LeafTrace, Outcome
from huiqi.rules.fields import FieldSpec, Op
from huiqi.rules.profile import Profile
from huiqi.rules.schema import (
    AllOf,
    Condition,
    Leaf,
    NotOf,
)


def _condition(node: Condition, facts: Profile, outcomes: dict[int, Outcome] | None) -> Outcome:
    if isinstance(node, Leaf):
        outcome = _leaf(node, facts)
    elif isinstance(node, NotOf):
        inner = _condition(node.child, facts, outcomes)
        outcome = None if inner is None else not inner
    else:
        # Every child is evaluated (no short cut) so the trace records every leaf.
        results = [_condition(child, facts, outcomes) for child in node.children]
        if isinstance(node, AllOf):
            outcome = False if False in results else (None if None in results else True)
        else:
            outcome = True if True in results else (None if None in results else False)
    if outcomes is not None:
        outcomes[id(node)] = outcome
    return outcome


_Test = Callable[[Any], bool]
_TESTS: dict[int, tuple[Leaf, _Test]] = {}
_Compiled = Callable[[Profile], Outcome]
_COMPILED: dict[int, tuple[Condition, _Compiled]] = {}


def _compiled(node: Condition) -> _Compiled:
    """The tree as nested closures (built once per tree object and kept): the same three-valued
    logic as :func:`_condition`, without its per-node type tests, stopping at a decisive child."""
    cached = _COMPILED.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(_COMPILED) > 20_000:
        _COMPILED.clear()
    function = _compile(node)
    _COMPILED[id(node)] = (node, function)
    return function


def _compile(node: Condition) -> _Compiled:
    read = Profile.value
    if isinstance(node, Leaf):
        name = node.field
        if node.op is Op.IS_NULL:
            return lambda facts: read(facts, name) is None
        if node.op is Op.IS_NOT_NULL:
            return lambda facts: read(facts, name) is not None
        test = _test_for(node)

        def leaf(facts: Profile) -> Outcome:
            actual = read(facts, name)
            return None if actual is None else test(actual)

        return leaf
    if isinstance(node, NotOf):
        inner = _compile(node.child)

        def negated(facts: Profile) -> Outcome:
            outcome = inner(facts)
            return None if outcome is None else not outcome

        return negated
    children = tuple(_compile(child) for child in node.children)
    if isinstance(node, AllOf):

        def every(facts: Profile) -> Outcome:
            result: Outcome = True
            for child in children:
                outcome = child(facts)
                if outcome is False:
                    return False
                if outcome is None:
                    result = None
            return result

        return every

    def some(facts: Profile) -> Outcome:
        result: Outcome = False
        for child in children:
            outcome = child(facts)
            if outcome is True:
                return True
            if outcome is None:
                result = None
        return result

    return some


def _leaf(node: Leaf, facts: Profile) -> Outcome:
    actual = facts.value(node.field)
    if node.op is Op.IS_NULL:
        return actual is None
    if node.op is Op.IS_NOT_NULL:
        return actual is not None
    if actual is None:
        return None
    return _test_for(node)(actual)


def _leaf_trace(node: Leaf, spec: FieldSpec, actual: Any, outcome: Outcome) -> LeafTrace:
    return LeafTrace(node.path, node.field, spec.label, node.op, node.value, _shown(spec, actual), outcome)


def _shown(spec: FieldSpec, actual: Any) -> Any:
    if actual is not None and spec.is_numeric:
        return numbers.from_fixed(actual)
    return actual


def leaf_test(node: Leaf) -> _Test:
    """The leaf's test on a known, normalised value (:class:`~huiqi.rules.profile.Profile`'s
    representation: fixed ints, text, dates, booleans, frozensets of tags); is_null and is_not_null
    have none.  The bulk evaluator decides dictionary-encoded fields with it."""
    return _test_for(node)


def _test_for(node: Leaf) -> _Test:
    """The leaf's test on a known value, built once per leaf object and kept."""
    cached = _TESTS.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(_TESTS) > 100_000:
        _TESTS.clear()
    test = _build_test(node)
    _TESTS[id(node)] = (node, test)
    return test


def _expected(value: Any) -> Any:
    if isinstance(value, Decimal):
        fixed = numbers.to_fixed(value)
        assert fixed is not None  # validation keeps rule numbers inside the range
        return fixed
    if isinstance(value, tuple):
        return tuple(_expected(item) for item in value)
    return value


def _build_test(node: Leaf) -> _Test:
    op = node.op
    expected = _expected(node.value)
    if op is Op.EQ:
        return lambda actual: bool(actual == expected)
    if op is Op.NE:
        return lambda actual: bool(actual != expected)
    if op is Op.LT:
        return lambda actual: bool(actual < expected)
    if op is Op.LE:
        return lambda actual: bool(actual <= expected)
    if op is Op.GT:
        return lambda actual: bool(actual > expected)
    if op is Op.GE:
        return lambda actual: bool(actual >= expected)
    if op is Op.BETWEEN:
        low, high = expected
        return lambda actual: bool(low <= actual <= high)
    if op is Op.IN:
        members = frozenset(expected)
        return lambda actual: actual in members
    if op is Op.NOT_IN:
        excluded = frozenset(expected)
        return lambda actual: actual not in excluded
    if op is Op.STARTS_WITH:
        prefixes = expected if isinstance(expected, tuple) else (expected,)
        return lambda actual: bool(actual.startswith(prefixes))
    if op is Op.CONTAINS:
        return lambda actual: expected in actual
    if op is Op.CONTAINS_ANY:
        wanted = frozenset(expected)
        return lambda actual: not wanted.isdisjoint(actual)
    if op is Op.CONTAINS_ALL:
        required = frozenset(expected)
        return lambda actual: required <= actual
    raise AssertionError(f"no test for {op}")  # pragma: no cover - is_null handled by the caller
