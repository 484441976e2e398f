"""Hot topics (热点): which terms and categories are frequent in the period, and which are rising
against the previous period (docs/metrics.md, "Hot topics").

Rising is judged on a smoothed ratio of the period's count to the count expected from the previous
period, scaled to the same number of days (so a month still running is compared fairly with a whole
previous month):

    expected = previous x elapsed days of the period / days of the previous period
    ratio    = (count + k) / (expected + k)                 k = HUIQI_HOT_TOPIC_SMOOTHING (5)

A topic rises when ratio >= HUIQI_HOT_TOPIC_RISE_RATIO (1.5) and count >= HUIQI_HOT_TOPIC_MIN_COUNT
(5); it falls when ratio <= 1 / that ratio. The smoothing keeps 1 -> 3 appeals from reading as
"tripled" while 40 -> 120 does; the minimum count keeps rare words out of a leader's list.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

UP, DOWN, FLAT, NEW = "up", "down", "flat", "new"


@dataclass(frozen=True)
class HotTopicRules:
    min_count: int = 5
    smoothing: Decimal = Decimal(5)
    rise_ratio: Decimal = Decimal("1.5")
    limit: int = 10

    @classmethod
    def from_settings(cls) -> HotTopicRules:
        return cls(
            min_count=int(getattr(settings, "HUIQI_HOT_TOPIC_MIN_COUNT", 5)),
            smoothing=Decimal(str(getattr(settings, "HUIQI_HOT_TOPIC_SMOOTHING", 5))),
            rise_ratio=Decimal(str(getattr(settings, "HUIQI_HOT_TOPIC_RISE_RATIO", "1.5"))),
            limit=int(getattr(settings, "HUIQI_HOT_TOPIC_LIMIT", 10)),
        )


@dataclass(frozen=True)
class HotTopic:
    key: Hashable
    label: str
    count: int
    previous: int
    expected: Decimal
    ratio: Decimal
    trend: str  # up / down / flat / new (none before, rising now)

    @property
    def is_rising(self) -> bool:
        return self.trend in (UP, NEW)

    @property
    def arrow(self) -> str:
        return {UP: "↑", NEW: "↑", DOWN: "↓"}.get(self.trend, "→")

    @property
    def change_text(self) -> str:
        if self.trend == NEW:
            return "新出现"
        return f"{self.previous} → {self.count}"


def judge(
    count: int, previous: int, *, elapsed_days: int, previous_days: int, rules: HotTopicRules
) -> tuple[Decimal, Decimal, str]:
    """(expected count, smoothed ratio, trend) of one topic."""
    scale = Decimal(elapsed_days) / Decimal(previous_days) if previous_days else Decimal(1)
    expected = (Decimal(previous) * scale).quantize(Decimal("0.01"), ROUND_HALF_UP)
    ratio = ((Decimal(count) + rules.smoothing) / (expected + rules.smoothing)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    if count >= rules.min_count and ratio >= rules.rise_ratio:
        trend = NEW if previous == 0 else UP
    elif ratio * rules.rise_ratio <= 1:
        trend = DOWN
    else:
        trend = FLAT
    return expected, ratio, trend


def rank_topics(
    current: Mapping[Any, int],
    previous: Mapping[Any, int],
    *,
    elapsed_days: int,
    previous_days: int,
    label: Callable[[Hashable], str] = str,
    rules: HotTopicRules | None = None,
) -> tuple[list[HotTopic], list[HotTopic]]:
    """(the most frequent topics of the period with their trend, the rising ones fastest first)."""
    rules = rules or HotTopicRules.from_settings()
    topics = []
    for key, count in current.items():
        if count <= 0:
            continue
        before = int(previous.get(key, 0))
        expected, ratio, trend = judge(
            count, before, elapsed_days=elapsed_days, previous_days=previous_days, rules=rules
        )
        topics.append(HotTopic(key, label(key), int(count), before, expected, ratio, trend))
    top = sorted(topics, key=lambda t: (-t.count, t.label))[: rules.limit]
    rising = sorted((t for t in topics if t.is_rising), key=lambda t: (-t.ratio, -t.count, t.label))
    return top, rising[: rules.limit]
