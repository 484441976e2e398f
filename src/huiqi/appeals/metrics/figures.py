"""The metrics of a set of sums (docs/metrics.md, "Definitions"): each rate keeps its numerator and
denominator, so a table, a test and an export show exactly what was divided by what."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from huiqi.appeals.metrics.models import DAY_UNITS
from huiqi.appeals.metrics.sums import MEASURES

FOUR_PLACES = Decimal("0.0001")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        """The rate as a fraction rounded half-up to 4 places (None when there is nothing to divide)."""
        if not self.denominator:
            return None
        return (Decimal(self.numerator) / Decimal(self.denominator)).quantize(FOUR_PLACES, ROUND_HALF_UP)

    @property
    def percent(self) -> str:
        """ "95.8%" (one decimal), or "—" when the denominator is 0."""
        if not self.denominator:
            return "—"
        value = (Decimal(100 * self.numerator) / Decimal(self.denominator)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        return f"{value}%"


def _average_days(units: int, count: int) -> Decimal | None:
    """The mean of `count` durations that add up to `units` ten-thousandths of a working day."""
    if not count:
        return None
    return (Decimal(units) / Decimal(DAY_UNITS * count)).quantize(TWO_PLACES, ROUND_HALF_UP)


@dataclass
class Figures:
    """The sums of some cells and the metrics computed from them."""

    registered: int = 0
    merged: int = 0
    direct_replies: int = 0
    closed: int = 0
    handled_closed: int = 0
    handling_days_x10000: int = 0
    on_time: int = 0
    reopened: int = 0
    department_rounds: int = 0
    department_days_x10000: int = 0
    followed_up: int = 0
    resolved: int = 0
    satisfied: int = 0
    fairly_satisfied: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Figures:
        figures = cls()
        figures.add(row)
        return figures

    def add(self, row: dict[str, Any] | Figures) -> None:
        values = row if isinstance(row, dict) else row.as_dict()
        for name in MEASURES:
            setattr(self, name, getattr(self, name) + int(values.get(name) or 0))

    def __add__(self, other: Figures) -> Figures:
        total = Figures()
        total.add(self)
        total.add(other)
        return total

    # --- the metrics -------------------------------------------------------------------------------

    @property
    def volume(self) -> int:
        """受理量: appeals registered in the period, merged ones included."""
        return self.registered

    @property
    def counted(self) -> int:
        """Registered in the period and not merged: the base of the closure and direct-reply rates."""
        return self.registered - self.merged

    @property
    def closure_rate(self) -> Rate:
        return Rate(self.closed, self.counted)

    @property
    def direct_reply_rate(self) -> Rate:
        return Rate(self.direct_replies, self.counted)

    @property
    def average_handling_days(self) -> Decimal | None:
        return _average_days(self.handling_days_x10000, self.handled_closed)

    @property
    def average_department_days(self) -> Decimal | None:
        return _average_days(self.department_days_x10000, self.department_rounds)

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.on_time, self.handled_closed)

    @property
    def reopen_rate(self) -> Rate:
        return Rate(self.reopened, self.handled_closed)

    @property
    def resolution_rate(self) -> Rate:
        return Rate(self.resolved, self.followed_up)

    @property
    def satisfaction_rate(self) -> Rate:
        """满意率 = (满意 + 基本满意) / 回访件 (the Dongguan and Zhongshan convention)."""
        return Rate(self.satisfied + self.fairly_satisfied, self.followed_up)

    @property
    def strict_satisfaction_rate(self) -> Rate:
        """满意 only / 回访件, shown beside it for cities that count 满意 alone."""
        return Rate(self.satisfied, self.followed_up)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def days_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}"
