"""What an evaluation gives: the three-valued outcome, the status, a leaf's and the reward's trace."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from huiqi.rules.fields import Op
from huiqi.rules.schema import (
    LeafValue,
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
