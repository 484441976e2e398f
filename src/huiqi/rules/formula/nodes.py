"""The nodes of a parsed formula (immutable) and the grammar's limits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_LENGTH = 500
MAX_DEPTH = 30
FUNCTIONS = ("min", "max", "round")


# ---------------------------------------------------------------------------------------- nodes
@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal
    fixed: int


@dataclass(frozen=True, slots=True)
class FieldRef:
    name: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expression


@dataclass(frozen=True, slots=True)
class BinaryOp:
    op: str  # one of + - * /
    left: Expression
    right: Expression


@dataclass(frozen=True, slots=True)
class Call:
    function: str  # min, max or round
    args: tuple[Expression, ...]
    places: int = 0  # for round: decimal places


Expression = Number | FieldRef | Negate | BinaryOp | Call


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula; ``source`` is kept verbatim for display and export."""

    source: str
    root: Expression
    fields: frozenset[str]

    def __str__(self) -> str:
        return self.source
