"""One item compiled to Polars expressions: its eligibility, reward stages, status and amount."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from huiqi.rules import numbers
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry
from huiqi.rules.polars_eval.arithmetic import I128, Stages, int_literal, sign_applied
from huiqi.rules.polars_eval.conditions import condition_expression
from huiqi.rules.polars_eval.frame import prepare_frame
from huiqi.rules.schema import Amount, Condition, FixedAmount, ItemRules, Reward

STATUS_DTYPE = pl.Enum(["eligible", "ineligible", "needs_info"])
AMOUNT_DTYPE = pl.Decimal(38, 2)
_ELIGIBLE = pl.lit("eligible", dtype=STATUS_DTYPE)
_INELIGIBLE = pl.lit("ineligible", dtype=STATUS_DTYPE)
_NEEDS_INFO = pl.lit("needs_info", dtype=STATUS_DTYPE)

ConditionCompiler = Callable[[Condition], pl.Expr]


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """One compiled item: stages of temporary columns, then the ``status`` and ``amount`` expressions."""

    stages: tuple[tuple[pl.Expr, ...], ...]
    status: pl.Expr
    amount: pl.Expr
    temporary: tuple[str, ...]

    def apply(self, prepared: pl.LazyFrame, keep: Sequence[str] = ()) -> pl.LazyFrame:
        """``keep`` columns, ``status`` and ``amount`` for every row of a :func:`prepare_frame` frame."""
        frame = prepared
        for stage in self.stages:
            frame = frame.with_columns(stage)
        return frame.select(
            [*(pl.col(name) for name in keep), self.status.alias("status"), self.amount.alias("amount")]
        )


def _amount(stages: Stages, amount: Amount) -> tuple[pl.Expr, int]:
    if isinstance(amount, FixedAmount):
        fixed = numbers.to_fixed(amount.amount)
        assert fixed is not None
        return int_literal(fixed), 0
    return stages.formula(amount.formula.root)


def _reward(stages: Stages, reward: Reward, condition: ConditionCompiler) -> tuple[pl.Expr, int]:
    """The amount before the cap as a fixed expression; null means needs_info."""
    if not reward.tiers:
        assert reward.amount is not None
        return _amount(stages, reward.amount)
    amounts = [_amount(stages, tier.amount) for tier in reward.tiers]
    result: pl.Expr = int_literal(0)  # every tier false: eligible with 0.00
    for tier, (amount, _stage) in zip(reversed(reward.tiers), reversed(amounts), strict=True):
        when = condition(tier.when)
        result = (
            pl.when(when.is_null()).then(pl.lit(None, dtype=I128)).when(when).then(amount).otherwise(result)
        )
    return result, max(stage for _amount_expr, stage in amounts)


def _constant_amount(reward: Reward, condition: ConditionCompiler) -> pl.Expr | None:
    """The amount as Decimal literals when no formula is involved (fixed amounts and tiers of fixed
    amounts, after the cap): no per-row arithmetic or conversion.  None when a formula is involved."""
    amounts = [reward.amount] if not reward.tiers else [tier.amount for tier in reward.tiers]
    if not all(isinstance(amount, FixedAmount) for amount in amounts):
        return None

    def shown(amount: Decimal) -> pl.Expr:
        fixed = numbers.to_fixed(amount)
        assert fixed is not None
        if reward.cap is not None:
            cap = numbers.to_fixed(reward.cap)
            assert cap is not None
            fixed = min(fixed, cap)
        return pl.lit(numbers.fen_to_decimal(numbers.to_fen(fixed)), dtype=AMOUNT_DTYPE)

    if not reward.tiers:
        assert isinstance(reward.amount, FixedAmount)
        return shown(reward.amount.amount)
    result: pl.Expr = shown(Decimal(0))
    for tier in reversed(reward.tiers):
        assert isinstance(tier.amount, FixedAmount)
        result = pl.when(condition(tier.when)).then(shown(tier.amount.amount)).otherwise(result)
    return result


def item_plan(
    item_rules: ItemRules,
    condition: ConditionCompiler,
    *,
    eligible: pl.Expr | None = None,
    prefix: str = "",
    scaled: Mapping[str, tuple[str, int]] | None = None,
) -> ItemPlan:
    """The stages, status and amount of one item, its conditions compiled by ``condition``.

    ``eligible`` is the eligibility when it is already a column (the bulk evaluator computes it
    before filtering rows); otherwise it is compiled here.  ``scaled`` names integer columns that
    formulas read fields from (see :class:`~huiqi.rules.polars_eval.arithmetic.Stages`).
    """
    stages = Stages(prefix, scaled)
    reward = item_rules.reward
    if reward is None:
        if eligible is None:
            eligible, _stage = stages.column(condition(item_rules.eligibility), 0)
        decided = pl.when(eligible.is_null()).then(_NEEDS_INFO).when(~eligible).then(_INELIGIBLE)
        return ItemPlan(
            tuple(tuple(stage) for stage in stages.stages),
            decided.otherwise(_ELIGIBLE),
            pl.lit(None, dtype=AMOUNT_DTYPE),
            tuple(stages.names),
        )
    raw_expression, stage = _reward(stages, reward, condition)
    raw, stage = stages.column(raw_expression, stage)
    if eligible is None:
        eligible, _ = stages.column(condition(item_rules.eligibility), stage - 1)
    status = (
        pl.when(eligible.is_null())
        .then(_NEEDS_INFO)
        .when(~eligible)
        .then(_INELIGIBLE)
        .when(raw.is_null())
        .then(_NEEDS_INFO)
        .otherwise(_ELIGIBLE)
    )
    amount = _constant_amount(reward, condition)
    if amount is None:
        capped = raw
        if reward.cap is not None:
            cap = numbers.to_fixed(reward.cap)
            assert cap is not None
            capped = pl.when(raw > int_literal(cap)).then(int_literal(cap)).otherwise(raw)
        fen_magnitude = (capped.abs() + int_literal(numbers.FEN_STEP // 2)) // int_literal(numbers.FEN_STEP)
        fen = sign_applied(fen_magnitude, capped < int_literal(0))
        amount = (fen.cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"))).cast(AMOUNT_DTYPE)
    is_eligible = eligible & raw.is_not_null()  # null (unknown) is not eligible: when() skips it
    return ItemPlan(
        tuple(tuple(stage) for stage in stages.stages),
        status,
        pl.when(is_eligible).then(amount),
        tuple(stages.names),
    )


def compile_item(
    item_rules: ItemRules, registry: FieldRegistry = DEFAULT_REGISTRY, *, prefix: str = ""
) -> ItemPlan:
    """Compile one item for :meth:`ItemPlan.apply` (``prefix`` keeps temporary names apart)."""
    return item_plan(item_rules, lambda node: condition_expression(node, registry), prefix=prefix)


def evaluate_frame(
    frame: pl.DataFrame | pl.LazyFrame,
    item_rules: ItemRules,
    *,
    registry: FieldRegistry = DEFAULT_REGISTRY,
    as_of: date | None = None,
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Evaluate one item for every row: the ``keep`` columns, then ``status`` and ``amount``."""
    prepared = prepare_frame(frame, registry=registry, as_of=as_of)
    return compile_item(item_rules, registry).apply(prepared, keep).collect()
