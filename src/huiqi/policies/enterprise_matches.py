"""What one enterprise can get (我能享受哪些政策): the items it qualifies for and the ones it nearly does.

Built on matching.match_enterprise (every item in force, evaluated with the engine's explanation
trace), for the page of an enterprise user and the same page for staff.

* Qualified: eligible items, largest amount first, each with why: the conditions that make it
  eligible (for `all` every child, for `any` the first child that holds, through `not` reversed),
  each as "要求，当前 值", and how the amount was found (the tier and formula, the cap).
* Nearly qualified (decided here; the issue says "nearly"): every needs_info item (only facts are
  missing: the enterprise can supply them), and every ineligible item whose shortest list of what
  must change (the engine's explanation) has at most NEARLY_MAX_FAILING conditions, none of them
  about a fact the enterprise cannot change by acting (FIXED_FACTS: where it is registered, its
  industry, its ownership, when it was founded). Without that exclusion every item of another
  district would be "nearly" qualified by one condition. Ordered by the number of conditions.
* Who may see it: the enterprise's own users and staff who read the registry
  (accounts.selectors.can_view_enterprise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from huiqi.accounts.selectors import can_view_enterprise
from huiqi.core.errors import PermissionDeniedError
from huiqi.policies import matching
from huiqi.policies.models import MatchResult, PolicyItemVersion
from huiqi.rules import explain
from huiqi.rules.evaluate import LeafTrace, Outcome
from huiqi.rules.fields import DEFAULT_REGISTRY, Op
from huiqi.rules.schema import AllOf, Condition, Leaf, NotOf

NEARLY_MAX_FAILING = 2
#: Facts an enterprise cannot change by acting: an item failing on one of them is not "nearly" met.
FIXED_FACTS = frozenset({"region_code", "industry_code", "ownership", "established_on", "age_years"})


@dataclass(frozen=True)
class MatchCard:
    """One item as the enterprise's page shows it."""

    version: PolicyItemVersion
    status: str
    amount: Decimal | None
    reasons_met: tuple[str, ...]
    reward_note: str
    missing: tuple[str, ...]
    failing_count: int
    fails_fixed_fact: bool = False

    @property
    def item_code(self) -> str:
        return self.version.item.code

    @property
    def title(self) -> str:
        return self.version.title

    @property
    def document(self) -> Any:
        return self.version.document

    @property
    def auto_entitlement(self) -> bool:
        return self.version.auto_entitlement

    @property
    def is_open_for_application(self) -> bool:
        opens, closes = self.version.application_opens_on, self.version.application_closes_on
        today = timezone.localdate()
        return (opens is None or opens <= today) and (closes is None or today <= closes)


@dataclass(frozen=True)
class EnterpriseMatches:
    enterprise: Any
    as_of: date
    qualified: tuple[MatchCard, ...]
    nearly: tuple[MatchCard, ...]
    other_count: int
    stored_at: datetime | None

    @property
    def total_amount(self) -> Decimal:
        return sum((card.amount or Decimal(0) for card in self.qualified), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        return len(self.qualified) + len(self.nearly) + self.other_count


def matched_items_for(*, user: Any, enterprise: Any, as_of: date | None = None) -> EnterpriseMatches:
    """The items `enterprise` qualifies for and nearly qualifies for on `as_of` (today), explained."""
    if not can_view_enterprise(user, enterprise):
        raise PermissionDeniedError("您只能查看本企业可享受的政策。")
    as_of = as_of or timezone.localdate()
    qualified: list[MatchCard] = []
    nearly: list[MatchCard] = []
    other = 0
    for match in matching.match_enterprise(enterprise=enterprise, as_of=as_of, explain=True):
        card = _card(match)
        if card.status == "eligible":
            qualified.append(card)
        elif card.status == "needs_info" or (
            card.failing_count <= NEARLY_MAX_FAILING and not card.fails_fixed_fact
        ):
            nearly.append(card)
        else:
            other += 1
    nearly.sort(key=lambda card: (card.failing_count, card.status != "needs_info", card.item_code))
    stored_at = MatchResult.objects.filter(enterprise_id=enterprise.pk).aggregate(at=Max("evaluated_at"))[
        "at"
    ]
    return EnterpriseMatches(enterprise, as_of, tuple(qualified), tuple(nearly), other, stored_at)


def _card(match: matching.ItemMatch) -> MatchCard:
    result = match.result
    trace = result.trace
    rules = matching.rules_of(match.version)
    outcomes = _outcomes(trace.leaves)
    met: tuple[str, ...] = ()
    needs: list[Any] = []
    if match.status == "eligible":
        supporting = _support(rules.eligibility, True, outcomes, trace.leaves)
        met = tuple(dict.fromkeys(_met_line(leaf, negated) for leaf, negated in supporting))
    else:
        needs = _needs(rules.eligibility, True, outcomes)
    needed_fields = {need if isinstance(need, str) else need[0].field for need in needs}
    return MatchCard(
        version=match.version,
        status=match.status,
        amount=result.amount,
        reasons_met=met,
        reward_note=trace.reward.note if trace.reward is not None else "",
        missing=trace.reasons,
        # A needs_info from the reward (a tier or formula lacks a fact) has no eligibility needs.
        failing_count=len(needs) if needs else len(trace.reasons),
        fails_fixed_fact=bool(needed_fields & FIXED_FACTS),
    )


# --------------------------------------------------------------------------- the condition tree
def _outcomes(leaves: Sequence[LeafTrace]) -> dict[str, Outcome]:
    return {leaf.path: leaf.outcome for leaf in leaves}


def _outcome(node: Condition, leaves: dict[str, Outcome]) -> Outcome:
    """A node's three-valued outcome from its leaves' (evaluate.py's logic)."""
    if isinstance(node, Leaf):
        return leaves.get(node.path)
    if isinstance(node, NotOf):
        inner = _outcome(node.child, leaves)
        return None if inner is None else not inner
    results = [_outcome(child, leaves) for child in node.children]
    if isinstance(node, AllOf):
        return False if False in results else (None if None in results else True)
    return True if True in results else (None if None in results else False)


def _support(
    node: Condition, goal: bool, leaves: dict[str, Outcome], traces: Sequence[LeafTrace]
) -> list[tuple[LeafTrace, bool]]:
    """The leaves that make `node` equal `goal` (it does): each with whether it is read negated."""
    if isinstance(node, Leaf):
        trace = next(leaf for leaf in traces if leaf.path == node.path)
        return [(trace, not goal)]
    if isinstance(node, NotOf):
        return _support(node.child, not goal, leaves, traces)
    # To make all true (or any false) every child counts; otherwise the first child that decides.
    every = isinstance(node, AllOf) == goal
    deciding = [child for child in node.children if _outcome(child, leaves) is goal]
    if every:
        return [pair for child in deciding for pair in _support(child, goal, leaves, traces)]
    return _support(deciding[0], goal, leaves, traces) if deciding else []


def _needs(node: Condition, goal: bool, leaves: dict[str, Outcome]) -> list[Any]:
    """The shortest list of what must change for `node` to become `goal`, as the engine explains it
    (huiqi.rules.evaluate): a missing field's name, or a failing (leaf, negated)."""
    outcome = _outcome(node, leaves)
    if outcome is goal:
        return []
    if isinstance(node, Leaf):
        if outcome is None and node.op not in (Op.IS_NULL, Op.IS_NOT_NULL):
            return [node.field]
        return [(node, not goal)]
    if isinstance(node, NotOf):
        return _needs(node.child, not goal, leaves)
    every = isinstance(node, AllOf) == goal
    lists = [_needs(child, goal, leaves) for child in node.children if _outcome(child, leaves) is not goal]
    if every:
        merged: list[Any] = []
        for needs in lists:
            merged.extend(need for need in needs if need not in merged)
        return merged
    return min(lists, key=len) if lists else []


def _met_line(leaf: LeafTrace, negated: bool) -> str:
    """A condition the enterprise meets: "研发费用占比需 ≥ 3%，当前 4.2%"."""
    spec = DEFAULT_REGISTRY[leaf.field]
    requirement = explain.requirement(spec, leaf.op, leaf.expected, negated=negated)
    return f"{requirement}，当前 {explain.format_value(spec, leaf.actual, measured=True)}"
