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

Modules: ``results`` (outcome, status, leaf and reward traces), ``conditions`` (compiled trees and
the full evaluation), ``explanation`` (what is missing, in Chinese), ``trace`` (the trace worked
out when read, and the result).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from huiqi.rules import numbers
from huiqi.rules.evaluate.conditions import _compiled, _condition, leaf_test
from huiqi.rules.evaluate.explanation import _explain, _formula_reasons
from huiqi.rules.evaluate.results import LeafTrace, Outcome, RewardTrace, Status
from huiqi.rules.evaluate.trace import Result, Trace, _Deferred
from huiqi.rules.formula import evaluate_formula
from huiqi.rules.profile import Profile
from huiqi.rules.schema import Amount, FixedAmount, ItemRules, Reward

__all__ = ["LeafTrace", "Outcome", "Result", "RewardTrace", "Status", "Trace", "evaluate", "leaf_test"]


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
