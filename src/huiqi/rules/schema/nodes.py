"""The typed, immutable nodes of a condition tree and a reward, and their canonical data form."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from huiqi.rules.fields import Op
from huiqi.rules.formula import Formula

MAX_DEPTH = 32

ScalarValue = Decimal | str | date | bool
LeafValue = ScalarValue | tuple[Decimal, ...] | tuple[str, ...] | tuple[date, ...] | None


# ---------------------------------------------------------------------------------------- nodes
@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    op: Op
    value: LeafValue
    path: str = dataclasses.field(default="", compare=False)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "op": str(self.op)}
        if self.op not in (Op.IS_NULL, Op.IS_NOT_NULL):
            data["value"] = _value_to_data(self.value)
        return data


@dataclass(frozen=True, slots=True)
class AllOf:
    children: tuple[Condition, ...]
    path: str = dataclasses.field(default="", compare=False)

    def to_data(self) -> dict[str, Any]:
        return {"all": [child.to_data() for child in self.children]}


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Condition, ...]
    path: str = dataclasses.field(default="", compare=False)

    def to_data(self) -> dict[str, Any]:
        return {"any": [child.to_data() for child in self.children]}


@dataclass(frozen=True, slots=True)
class NotOf:
    child: Condition
    path: str = dataclasses.field(default="", compare=False)

    def to_data(self) -> dict[str, Any]:
        return {"not": self.child.to_data()}


Condition = Leaf | AllOf | AnyOf | NotOf


@dataclass(frozen=True, slots=True)
class FixedAmount:
    amount: Decimal

    def to_data(self) -> dict[str, Any]:
        return {"fixed": _number_to_data(self.amount)}


@dataclass(frozen=True, slots=True)
class FormulaAmount:
    formula: Formula

    def to_data(self) -> dict[str, Any]:
        return {"formula": self.formula.source}


Amount = FixedAmount | FormulaAmount


@dataclass(frozen=True, slots=True)
class Tier:
    when: Condition
    amount: Amount
    path: str = dataclasses.field(default="", compare=False)

    def to_data(self) -> dict[str, Any]:
        return {"when": self.when.to_data(), **self.amount.to_data()}


@dataclass(frozen=True, slots=True)
class Reward:
    """Exactly one of ``amount`` (fixed or formula) and ``tiers`` is set; ``cap`` is optional."""

    amount: Amount | None = None
    tiers: tuple[Tier, ...] = ()
    cap: Decimal | None = None
    path: str = dataclasses.field(default="reward", compare=False)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = (
            {"tiers": [tier.to_data() for tier in self.tiers]} if self.tiers else dict(self.amount.to_data())  # type: ignore[union-attr]
        )
        if self.cap is not None:
            data["cap"] = _number_to_data(self.cap)
        return data


@dataclass(frozen=True, slots=True)
class ItemRules:
    """What the engine evaluates for one policy item: its eligibility tree and its reward."""

    eligibility: Condition
    reward: Reward | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"eligibility": self.eligibility.to_data()}
        if self.reward is not None:
            data["reward"] = self.reward.to_data()
        return data

    def fields(self) -> frozenset[str]:
        """Every profile field the item reads (conditions, tier conditions and formulas)."""
        names = {leaf.field for leaf in iter_leaves(self.eligibility)}
        if self.reward is not None:
            for tier in self.reward.tiers:
                names.update(leaf.field for leaf in iter_leaves(tier.when))
            for amount in [self.reward.amount, *(tier.amount for tier in self.reward.tiers)]:
                if isinstance(amount, FormulaAmount):
                    names.update(amount.formula.fields)
        return frozenset(names)


def iter_leaves(node: Condition) -> Iterator[Leaf]:
    """Every leaf of a tree, left to right."""
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, NotOf):
        yield from iter_leaves(node.child)
    else:
        for child in node.children:
            yield from iter_leaves(child)


def _number_to_data(value: Decimal) -> int | float | Decimal:
    """A number as YAML/JSON writes it: int when whole, float when the float round-trips exactly."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else value


def _value_to_data(value: LeafValue) -> Any:
    if isinstance(value, tuple):
        return [_value_to_data(item) for item in value]
    if isinstance(value, Decimal):
        return _number_to_data(value)
    return value
