"""The trace of a result, worked out when it is read, and the result itself."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from huiqi.rules import explain
from huiqi.rules.evaluate.conditions import _condition, _leaf_trace
from huiqi.rules.evaluate.explanation import _explain
from huiqi.rules.evaluate.results import LeafTrace, Outcome, RewardTrace, Status
from huiqi.rules.profile import Profile
from huiqi.rules.schema import (
    Condition,
    iter_leaves,
)


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
