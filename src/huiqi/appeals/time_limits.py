"""Time limits of tickets (办理时限): which limit applies, and the stored deadline and warning moment.

Why this module exists. The limit comes from a rule table (TimeLimitRule: kind, category, priority;
the first active rule by `order` wins) so that the hotline centre can change it without a release,
and a ticket keeps a snapshot of the limit it got, so that editing the table does not move existing
deadlines. Deadlines are computed once and stored (ARCHITECTURE.md, "Time limits"), by
huiqi.core.workdays only, and recomputed when something that defines them changes:

* working days count from the day after the clock starts (自受理次日起计算, core.workdays) and end at
  the close of office hours; working hours (urgent work) count office hours from the moment itself;
* the clock starts at registration (受理), so the enterprise's wait is what is measured, and starts
  again at a reopening (重办), which gets a full, fresh limit;
* an approved extension (延期) adds its working days to the limit (for a limit in hours, days of
  HUIQI_OFFICE_HOURS length);
* while the ticket is paused for the enterprise the clock stops: on resuming, the office time of the
  pause is added, and deadline and warning move by it;
* reclassification and a leader's instruction that raises the priority choose the rule again;
* the warning moment is when 80% of the office time from the start of counting to the deadline has
  passed;
* a deadline that counts a day of a year whose State Council schedule is not entered yet is
  provisional (weekends only); `recompute_provisional_deadlines` is registered with
  core.calendar_services and recomputes them when the schedule is entered.

When no rule of the table matches, DEFAULT_LIMITS applies by priority (documented defaults, so that
an empty table still gives sensible deadlines).

Every registration chooses a rule, so a process keeps the active rules it read for
RULES_CACHE_SECONDS: a change saved in the same process is seen at once (the model's save and delete
signals forget the copy, appeals.apps), in the other web processes within that time.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from huiqi.appeals.enums import Priority, TimeLimitUnit
from huiqi.appeals.models import Appeal, Category, Ticket, TimeLimitRule
from huiqi.core import workdays
from huiqi.core.audit import record_event

WARNING_SHARE = Decimal("0.8")
_HOURS_PLACES = Decimal("0.0001")

#: Fallback limits by priority when no rule matches (an urgent matter gets half a working day in
#: hours; a priority one 3 working days; the rest 5 working days, the common 12345 limit for handling).
DEFAULT_LIMITS: dict[str, tuple[Decimal, TimeLimitUnit]] = {
    Priority.URGENT: (Decimal(4), TimeLimitUnit.WORKING_HOURS),
    Priority.HIGH: (Decimal(3), TimeLimitUnit.WORKING_DAYS),
    Priority.NORMAL: (Decimal(5), TimeLimitUnit.WORKING_DAYS),
}


@dataclass(frozen=True)
class LimitSpec:
    value: Decimal
    unit: TimeLimitUnit
    rule: TimeLimitRule | None

    @property
    def label(self) -> str:
        return f"{self.value.normalize():f} 个{TimeLimitUnit(self.unit).label}"


@dataclass(frozen=True)
class Deadline:
    deadline_at: dt.datetime
    warning_at: dt.datetime
    is_provisional: bool


def rule_matches(rule: TimeLimitRule, *, kind: str, category: Category | None, priority: str) -> bool:
    if rule.kind and rule.kind != kind:
        return False
    if rule.priority and rule.priority != priority:
        return False
    if rule.category_id is not None:
        if category is None:
            return False
        return rule.category_id in (category.pk, category.parent_id)
    return True


#: How long a process trusts the active rules it read (module docstring).
RULES_CACHE_SECONDS = 30.0
_rules_cache: tuple[float, tuple[TimeLimitRule, ...]] | None = None


def active_rules() -> tuple[TimeLimitRule, ...]:
    """The active rules by `order`, as this process last read them (at most RULES_CACHE_SECONDS ago)."""
    global _rules_cache
    now = time.monotonic()
    cached = _rules_cache
    if cached is not None and now - cached[0] < RULES_CACHE_SECONDS:
        return cached[1]
    rules = tuple(TimeLimitRule.objects.filter(is_active=True).order_by("order", "id"))
    _rules_cache = (now, rules)
    return rules


def forget_rules(**_signal: Any) -> None:
    """Drops this process's copy of the rules (connected to TimeLimitRule's save and delete signals)."""
    global _rules_cache
    _rules_cache = None


def time_limit_for(*, kind: str, category: Category | None, priority: str) -> LimitSpec:
    """The first active rule (by `order`) matching kind, category (or its parent) and priority."""
    for rule in active_rules():
        if rule_matches(rule, kind=kind, category=category, priority=priority):
            return LimitSpec(rule.limit_value, TimeLimitUnit(rule.unit), rule)
    value, unit = DEFAULT_LIMITS[Priority(priority or Priority.NORMAL)]
    return LimitSpec(value, unit, None)


def _start_of_next_day(moment: dt.datetime) -> dt.datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    day = moment.astimezone(tz).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def compute_deadline(
    *,
    clock_started_at: dt.datetime,
    value: Decimal,
    unit: str,
    extension_days: Decimal = Decimal(0),
    paused_hours: Decimal = Decimal(0),
) -> Deadline:
    """Deadline and warning moment of a limit counted from `clock_started_at` (module docstring)."""
    value, extension_days, paused_hours = Decimal(value), Decimal(extension_days), Decimal(paused_hours)
    if unit == TimeLimitUnit.WORKING_DAYS:
        end_day = workdays.add_working_days(clock_started_at, value + extension_days)
        deadline = workdays.deadline_at(end_day.value)
        counting_from = _start_of_next_day(clock_started_at)
        provisional = end_day.is_provisional
    else:
        hours = value + extension_days * workdays.hours_per_working_day()
        end_moment = workdays.add_working_hours(clock_started_at, hours)
        deadline = end_moment.value
        counting_from = clock_started_at
        provisional = end_moment.is_provisional
    total = workdays.working_hours_between(counting_from, deadline).value
    share = (total * WARNING_SHARE).quantize(_HOURS_PLACES, ROUND_HALF_UP)
    warning = workdays.add_working_hours(counting_from, share).value
    if paused_hours > 0:
        shifted = workdays.add_working_hours(deadline, paused_hours)
        deadline, provisional = shifted.value, provisional or shifted.is_provisional
        warning = workdays.add_working_hours(warning, paused_hours).value
    return Deadline(deadline_at=deadline, warning_at=min(warning, deadline), is_provisional=provisional)


def refresh_deadline(ticket: Ticket) -> None:
    """Recomputes the ticket's deadline from its stored limit, extensions and pauses (not saved)."""
    result = compute_deadline(
        clock_started_at=ticket.clock_started_at,
        value=ticket.time_limit_value,
        unit=ticket.time_limit_unit,
        extension_days=ticket.extension_days,
        paused_hours=ticket.paused_hours,
    )
    ticket.deadline_at = result.deadline_at
    ticket.warning_at = result.warning_at
    ticket.deadline_is_provisional = result.is_provisional


def apply_time_limit(*, ticket: Ticket, appeal: Appeal) -> LimitSpec:
    """Chooses the rule again for the appeal's kind, category and priority, and recomputes (not saved)."""
    spec = time_limit_for(kind=appeal.kind, category=appeal.category, priority=appeal.priority)
    ticket.time_limit_rule = spec.rule
    ticket.time_limit_value = spec.value
    ticket.time_limit_unit = spec.unit
    refresh_deadline(ticket)
    return spec


def office_hours_between(start: dt.datetime, end: dt.datetime) -> Decimal:
    """Office hours between two moments (the length of a pause)."""
    return max(Decimal(0), workdays.working_hours_between(start, end).value)


def recompute_provisional_deadlines(*, years: tuple[int, ...], actor: Any) -> int:
    """Recomputes every provisional deadline (called by core.calendar_services when a year's schedule
    is entered, inside its transaction). Returns how many deadlines moved or became final."""
    changed: list[int] = []
    with transaction.atomic():
        tickets = Ticket.objects.select_for_update().filter(deadline_is_provisional=True).order_by("id")
        for ticket in tickets:
            before = (ticket.deadline_at, ticket.warning_at, ticket.deadline_is_provisional)
            refresh_deadline(ticket)
            if (ticket.deadline_at, ticket.warning_at, ticket.deadline_is_provisional) != before:
                ticket.save(update_fields=["deadline_at", "warning_at", "deadline_is_provisional"])
                changed.append(ticket.pk)
        if changed:
            record_event(
                actor=actor,
                action="ticket.deadlines_recomputed",
                object_type="appeals.ticket",
                object_repr="暂定办理期限",
                after={"years": list(years), "count": len(changed), "ticket_ids": changed[:200]},
            )
    return len(changed)
