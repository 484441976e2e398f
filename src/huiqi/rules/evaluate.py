"""Evaluate one enterprise against one item, with an explanation (DATA-CONTRACT.md section 2).

Three-valued logic: a leaf whose field is unknown (null) is *unknown* (``None``), except
``is_null``/``is_not_null``, which are always decided, and ``tags``, which is never null (no tags is
the empty set).  ``all`` is false if any child is false, else unknown if any is unknown, else true;
``any`` is true if any child is true, else unknown if any is unknown, else false; ``not`` swaps true
and false and keeps unknown.  The item is ``eligible`` (true), ``ineligible`` (false) or
``needs_info`` (unknown).

An eligible item's amount: the first tier whose ``when`` is true wins; a tier whose ``when`` is unknown
before any true one makes the item ``needs_info``; if every ``when`` is false the amount is 0.00.  A
formula that needs an unknown fact, divides by zero or leaves the range of
:mod:`huiqi.rules.numbers` has no value and makes the item ``needs_info`` (division by zero is treated
like the contract's ``rd_ratio`` with revenue 0: a fact is missing, not a zero award).  The cap is
applied, then the amount is rounded half away from zero to the fen.  An ineligible or needs-info
result has no amount; an eligible item without a reward has none either.

The trace records every leaf (field, operator, expected, actual, outcome) and, for an item that is not
eligible, the shortest list of what would have to change: for ``all`` every child that is not true,
for ``any`` the child with the shortest list, through ``not`` with the goal reversed, and unknown facts
merged into one "缺少: ..." line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from huiqi.rules import explain, numbers
from huiqi.rules.fields import FieldSpec, Op
from huiqi.rules.formula import Formula, evaluate_formula
from huiqi.rules.profile import Profile
from huiqi.rules.schema import (
    AllOf,
    Amount,
    Condition,
    FixedAmount,
    ItemRules,
    Leaf,
    LeafValue,
    NotOf,
    Reward,
    iter_leaves,
)

Outcome = bool | None


class Status(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    NEEDS_INFO = "needs_info"


@dataclass(frozen=True, slots=True)
class LeafTrace:
    """One leaf as evaluated: ``actual`` is the enterprise's value (numbers as Decimal)."""

    path: str
    field: str
    label: str
    op: Op
    expected: LeafValue
    actual: Any
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class RewardTrace:
    """How the amount was found: the tier used (0-based), the formula value before the cap."""

    tier: int | None
    value: Decimal | None
    capped: bool
    note: str


class Trace:
    """How a result was reached: the eligibility outcome, every leaf, the reasons, what is missing.

    ``leaves``, ``reasons`` and ``missing`` of an item that is not eligible are worked out on first
    use, from the outcomes recorded during evaluation (the profile's facts are read once and kept,
    so the result is the same as working them out at once).  Wording the reasons is most of the cost
    of an explained evaluation, and a page shows them for a few of the hundreds of items it
    evaluates (an enterprise against every item in force: issue 4's 5 ms target).
    """

    __slots__ = ("_deferred", "_leaves", "_missing", "_reasons", "eligibility", "reward")

    def __init__(
        self,
        eligibility: Outcome,
        leaves: tuple[LeafTrace, ...],
        reasons: tuple[str, ...],
        missing: tuple[str, ...],
        reward: RewardTrace | None,
        *,
        deferred: _Deferred | None = None,
    ) -> None:
        self.eligibility = eligibility
        self.reward = reward
        self._leaves = leaves
        self._reasons = reasons
        self._missing = missing
        self._deferred = deferred

    @property
    def leaves(self) -> tuple[LeafTrace, ...]:
        """Every leaf of the eligibility tree as evaluated, left to right."""
        return self._leaves if self._deferred is None else self._deferred.leaf_traces()

    @property
    def reasons(self) -> tuple[str, ...]:
        return self._reasons if self._deferred is None else self._deferred.explained()[0]

    @property
    def missing(self) -> tuple[str, ...]:
        return self._missing if self._deferred is None else self._deferred.explained()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return (self.eligibility, self.leaves, self.reasons, self.missing, self.reward) == (
            other.eligibility,
            other.leaves,
            other.reasons,
            other.missing,
            other.reward,
        )

    def __hash__(self) -> int:
        return hash((self.eligibility, self.leaves, self.reasons, self.missing, self.reward))

    def __repr__(self) -> str:
        return (
            f"Trace(eligibility={self.eligibility!r}, leaves={self.leaves!r}, reasons={self.reasons!r}, "
            f"missing={self.missing!r}, reward={self.reward!r})"
        )


class _Deferred:
    """What :class:`Trace` needs to work out its leaves and reasons later (each once, when read)."""

    __slots__ = ("_explained", "_leaves", "_outcomes", "eligibility", "facts", "reward_reasons")

    def __init__(
        self, eligibility: Condition, facts: Profile, reward_reasons: tuple[list[str], list[str]] | None
    ) -> None:
        self.eligibility = eligibility
        self.facts = facts
        self.reward_reasons = reward_reasons  # reasons and missing found while computing the reward
        self._outcomes: dict[int, Outcome] | None = None
        self._leaves: tuple[LeafTrace, ...] | None = None
        self._explained: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def outcomes(self) -> dict[int, Outcome]:
        """Every node's outcome (the full evaluation, no short cut)."""
        if self._outcomes is None:
            self._outcomes = {}
            _condition(self.eligibility, self.facts, self._outcomes)
        return self._outcomes

    def leaf_traces(self) -> tuple[LeafTrace, ...]:
        if self._leaves is None:
            registry, outcomes = self.facts.registry, self.outcomes()
            self._leaves = tuple(
                _leaf_trace(leaf, registry[leaf.field], self.facts.value(leaf.field), outcomes.get(id(leaf)))
                for leaf in iter_leaves(self.eligibility)
            )
        return self._leaves

    def explained(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The reasons and the missing facts."""
        if self._explained is None:
            if self.reward_reasons is not None:
                reasons, missing = list(self.reward_reasons[0]), list(self.reward_reasons[1])
            else:
                reasons, missing = [], []
                _explain(self.eligibility, True, self.facts, self.outcomes(), reasons, missing)
            if missing:
                registry = self.facts.registry
                reasons.append(explain.missing_line([registry[name].label for name in missing]))
            self._explained = (tuple(reasons), tuple(missing))
        return self._explained


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    amount: Decimal | None
    trace: Trace

    @property
    def explanation(self) -> str:
        """The reasons as one line, for lists and exports."""
        return "；".join(self.trace.reasons)


def evaluate(
    item_rules: ItemRules, profile: Mapping[str, Any] | Profile, *, explain_result: bool = True
) -> Result:
    """Evaluate one enterprise's profile against one item's rules.

    ``profile`` is a plain mapping or a :class:`~huiqi.rules.profile.Profile` (reuse one Profile for
    many items).  With ``explain_result=False`` the leaves and reasons are not collected (faster).
    """
    facts = profile if isinstance(profile, Profile) else Profile(profile)
    # The compiled tree stops at the first decisive child; the trace re-evaluates every node
    # when it is read (_Deferred), with the same facts.
    eligible = _compiled(item_rules.eligibility)(facts)
    amount: Decimal | None = None
    reward_trace: RewardTrace | None = None
    reward_reasons: tuple[list[str], list[str]] | None = None
    if eligible is True:
        reasons: list[str] = []
        missing: list[str] = []
        status, amount, reward_trace = _reward(item_rules.reward, facts, explain_result, reasons, missing)
        reward_reasons = (reasons, missing)
    else:
        status = Status.NEEDS_INFO if eligible is None else Status.INELIGIBLE
    if not explain_result:
        return Result(status, amount, Trace(eligible, (), (), (), reward_trace))
    deferred = _Deferred(item_rules.eligibility, facts, reward_reasons)
    return Result(status, amount, Trace(eligible, (), (), (), reward_trace, deferred=deferred))


# ----------------------------------------------------------------------------------- conditions
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


# --------------------------------------------------------------------------------------- reward
def _reward(
    reward: Reward | None, facts: Profile, explain_result: bool, reasons: list[str], missing: list[str]
) -> tuple[Status, Decimal | None, RewardTrace | None]:
    if reward is None:
        return Status.ELIGIBLE, None, None
    tier_index: int | None = None
    amount: Amount | None = reward.amount
    if reward.tiers:
        amount = None
        for index, tier in enumerate(reward.tiers):
            outcomes: dict[int, Outcome] = {}
            when = _condition(tier.when, facts, outcomes)
            if when is None:
                if explain_result:
                    reasons.append(f"无法确定适用的奖励档位（第 {index + 1} 档）")
                    _explain(tier.when, True, facts, outcomes, reasons, missing)
                return Status.NEEDS_INFO, None, RewardTrace(index, None, False, "档位条件未知")
            if when:
                tier_index, amount = index, tier.amount
                break
        if amount is None:
            note = "不符合任何奖励档位，金额为 0"
            return Status.ELIGIBLE, numbers.fen_to_decimal(0), RewardTrace(None, Decimal(0), False, note)
    assert amount is not None
    if isinstance(amount, FixedAmount):
        fixed = numbers.to_fixed(amount.amount)
        assert fixed is not None
        source = "固定金额"
    else:
        outcome = evaluate_formula(amount.formula, facts.value)
        source = f"公式 {amount.formula.source}"
        if outcome.value is None:
            if explain_result:
                _formula_reasons(amount.formula, outcome.missing, outcome.problem, reasons, missing)
            return Status.NEEDS_INFO, None, RewardTrace(tier_index, None, False, f"{source} 无法计算")
        fixed = outcome.value
    capped = False
    before_cap = fixed
    if reward.cap is not None:
        cap = numbers.to_fixed(reward.cap)
        assert cap is not None
        if fixed > cap:
            fixed, capped = cap, True
    result = numbers.fen_to_decimal(numbers.to_fen(fixed))
    note = source if tier_index is None else f"第 {tier_index + 1} 档，{source}"
    if capped:
        note += f"，封顶 {result} 元"
    return Status.ELIGIBLE, result, RewardTrace(tier_index, numbers.from_fixed(before_cap), capped, note)


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
