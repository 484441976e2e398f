"""Time limits (appeals/time_limits.py): the rule table, and deadlines computed by hand across the 2026
Mid-Autumn and National Day holidays (the State Council's 2026 schedule, seeded from chinesecalendar:
1-7 October off; Sunday 20 September and Saturday 10 October are make-up working days), with extensions, pauses, reclassification, reopening
and a provisional 2027 deadline recomputed once that year's schedule is entered.

Office hours are the default 09:00-12:00 and 13:30-17:30 (7 hours a working day)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.enums import Priority, TicketState, TimeLimitUnit
from huiqi.appeals.models import Ticket
from huiqi.appeals.time_limits import DEFAULT_LIMITS, compute_deadline, time_limit_for
from huiqi.core.calendar_services import enter_year_schedule
from huiqi.core.models import AuditEvent
from tests.appeals.factories import CategoryFactory, TicketFactory, TimeLimitRuleFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


def register(agent, **extra) -> Ticket:
    appeal = services.register_appeal(
        actor=agent,
        channel="hotline",
        kind=extra.pop("kind", "help"),
        content="厂房用电增容迟迟未办理。",
        **extra,
    )
    return appeal.ticket


# --- the rule table ------------------------------------------------------------------------------------


def test_first_matching_rule_by_order_wins():
    TimeLimitRuleFactory(order=20, kind="consultation", limit_value=Decimal(2))
    TimeLimitRuleFactory(order=10, kind="consultation", priority="high", limit_value=Decimal(1))
    assert time_limit_for(kind="consultation", category=None, priority="high").value == Decimal(1)
    assert time_limit_for(kind="consultation", category=None, priority="normal").value == Decimal(2)


def test_rule_on_a_first_level_category_covers_its_children_but_not_other_categories():
    child = CategoryFactory(child=True)
    TimeLimitRuleFactory(order=1, category=child.parent, limit_value=Decimal(10))
    assert time_limit_for(kind="help", category=child, priority="normal").value == Decimal(10)
    assert time_limit_for(kind="help", category=CategoryFactory(), priority="normal").rule is None
    assert time_limit_for(kind="help", category=None, priority="normal").rule is None


def test_inactive_rules_are_skipped_and_the_default_applies_by_priority():
    TimeLimitRuleFactory(order=1, is_active=False, limit_value=Decimal(1))
    for priority in Priority:
        spec = time_limit_for(kind="help", category=None, priority=priority)
        assert (spec.value, spec.unit, spec.rule) == (*DEFAULT_LIMITS[priority], None)


def test_a_rule_saved_or_switched_off_counts_for_the_next_registration_at_once(agent):
    assert register(agent).time_limit_rule is None  # the process now keeps the (empty) rule table
    rule = TimeLimitRuleFactory(kind="help", limit_value=Decimal(2))
    assert (register(agent).time_limit_rule, register(agent).time_limit_value) == (rule, Decimal(2))
    rule.is_active = False
    rule.save()
    assert register(agent).time_limit_rule is None


def test_a_process_keeps_the_rules_it_read_for_a_while(monkeypatch):
    from huiqi.appeals import time_limits
    from huiqi.appeals.models import TimeLimitRule

    clock = [1000.0]
    monkeypatch.setattr(time_limits.time, "monotonic", lambda: clock[0])
    assert time_limits.active_rules() == ()
    # Written without signals (as another process's change looks from here): not seen yet ...
    TimeLimitRule.objects.bulk_create(
        [TimeLimitRule(name="批量", limit_value=Decimal(1), unit="working_days")]
    )
    clock[0] += time_limits.RULES_CACHE_SECONDS - 1
    assert time_limits.active_rules() == ()
    # ... until the process's copy is older than RULES_CACHE_SECONDS.
    clock[0] += 2
    assert [rule.name for rule in time_limits.active_rules()] == ["批量"]


# --- deadlines computed by hand --------------------------------------------------------------------------


def test_five_working_days_from_30_september_2026_end_on_13_october_at_close_of_office():
    # Counted from 1 October: 8, 9, 10 (Saturday, make-up day), 12, 13 October.
    result = compute_deadline(
        clock_started_at=at(9, 30, 10), value=Decimal(5), unit=TimeLimitUnit.WORKING_DAYS
    )
    assert result.deadline_at == at(10, 13, 17, 30)
    # 80% of 35 office hours = 28 hours = four whole working days from 1 October: 12 October 17:30.
    assert result.warning_at == at(10, 12, 17, 30)
    assert result.is_provisional is False


def test_four_working_hours_from_30_september_16_00_end_on_8_october_11_30():
    # 16:00-17:30 on 30 September (1.5 h), then 09:00-11:30 on 8 October (2.5 h).
    result = compute_deadline(
        clock_started_at=at(9, 30, 16), value=Decimal(4), unit=TimeLimitUnit.WORKING_HOURS
    )
    assert result.deadline_at == at(10, 8, 11, 30)
    # 80% of 4 h = 3 h 12 min: 1.5 h on 30 September, 1 h 42 min on 8 October.
    assert result.warning_at == at(10, 8, 10, 42)


def test_half_a_working_day_ends_at_noon_of_the_next_working_day():
    result = compute_deadline(
        clock_started_at=at(10, 9, 15), value=Decimal("0.5"), unit=TimeLimitUnit.WORKING_DAYS
    )
    assert result.deadline_at == at(10, 10, 12)  # Saturday 10 October is a working day


def test_registration_stores_the_deadline_of_the_matching_rule(agent):
    TimeLimitRuleFactory(kind="help", limit_value=Decimal(5))
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
    assert (ticket.deadline_at, ticket.warning_at) == (at(10, 13, 17, 30), at(10, 12, 17, 30))
    assert ticket.time_limit_value == Decimal(5)
    assert ticket.deadline_is_provisional is False


def test_urgent_appeal_counts_working_hours(agent):
    TimeLimitRuleFactory(priority="urgent", limit_value=Decimal(4), unit=TimeLimitUnit.WORKING_HOURS)
    with time_machine.travel(at(9, 30, 16), tick=False):
        ticket = register(agent, priority="urgent")
    assert ticket.deadline_at == at(10, 8, 11, 30)


def test_approved_extension_adds_its_working_days(agent, dispatcher, handler, department):
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)  # default: 5 working days -> 13 October
        ticket = services.dispatch_ticket(
            actor=dispatcher, ticket=ticket, expected_version=ticket.version, lead_department=department
        )
        ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
        ticket = services.request_extension(
            actor=handler, ticket=ticket, expected_version=ticket.version, days=2, reason="待供电公司勘查"
        )
        assert ticket.deadline_at == at(10, 13, 17, 30)  # a request alone moves nothing
        ticket = services.approve_extension(actor=dispatcher, ticket=ticket, expected_version=ticket.version)
    # 7 working days: 8, 9, 10, 12, 13, 14, 15 October.
    assert ticket.deadline_at == at(10, 15, 17, 30)
    assert ticket.extension_days == Decimal(2)


def test_a_smaller_grant_than_requested_counts_what_was_granted(agent, dispatcher, handler, department):
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
        ticket = services.dispatch_ticket(
            actor=dispatcher, ticket=ticket, expected_version=ticket.version, lead_department=department
        )
        ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
        ticket = services.request_extension(
            actor=handler, ticket=ticket, expected_version=ticket.version, days=3, reason="待勘查"
        )
        ticket = services.approve_extension(
            actor=dispatcher, ticket=ticket, expected_version=ticket.version, granted_days="0.5"
        )
    assert ticket.deadline_at == at(10, 14, 12)  # 5.5 working days


def test_the_clock_stops_while_paused(agent, dispatcher, handler, department):
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
        ticket = services.dispatch_ticket(
            actor=dispatcher, ticket=ticket, expected_version=ticket.version, lead_department=department
        )
        ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
    with time_machine.travel(at(10, 9, 10), tick=False):
        ticket = services.pause_ticket(
            actor=handler, ticket=ticket, expected_version=ticket.version, reason="请企业补充负荷清单"
        )
    assert ticket.state == TicketState.PAUSED
    with time_machine.travel(at(10, 12, 15), tick=False):
        ticket = services.resume_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
    # Paused office time: 9 Oct 10:00-17:30 (6 h) + Saturday 10 Oct, a working day (7 h) + 12 Oct
    # 09:00-15:00 (4.5 h) = 17.5 h. 13 Oct 17:30 + 17.5 h = 14 Oct (7 h), 15 Oct (7 h), 16 Oct 09:00-14:00.
    assert ticket.paused_hours == Decimal("17.5")
    assert ticket.deadline_at == at(10, 16, 14)
    assert ticket.warning_at == at(10, 15, 14)  # 12 Oct 17:30 moved by the same 17.5 h


def test_redispatch_of_a_paused_ticket_ends_the_pause(
    agent, dispatcher, handler, department, other_department
):
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
        ticket = services.dispatch_ticket(
            actor=dispatcher, ticket=ticket, expected_version=ticket.version, lead_department=department
        )
        ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
    with time_machine.travel(at(10, 8, 9), tick=False):
        ticket = services.pause_ticket(
            actor=handler, ticket=ticket, expected_version=ticket.version, reason="补材料"
        )
    with time_machine.travel(at(10, 8, 16), tick=False):
        ticket = services.redispatch_ticket(
            actor=dispatcher,
            ticket=ticket,
            expected_version=ticket.version,
            lead_department=other_department,
            reason="属人社局职责",
        )
    assert (ticket.paused_at, ticket.paused_hours) == (None, Decimal("5.5"))
    assert ticket.deadline_at == at(10, 14, 16)  # 13 Oct 17:30 + 5.5 office hours: 14 Oct 09-12, 13:30-16:00


def test_reclassification_chooses_the_rule_again(agent, dispatcher):
    tax = CategoryFactory(name="税费减免")
    TimeLimitRuleFactory(category=tax, limit_value=Decimal(2))
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
        assert ticket.deadline_at == at(10, 13, 17, 30)
        ticket = services.reclassify_ticket(
            actor=dispatcher, ticket=ticket, expected_version=ticket.version, category=tax
        )
    assert ticket.deadline_at == at(10, 9, 17, 30)  # 2 working days: 8, 9 October
    assert ticket.time_limit_value == Decimal(2)


def test_leader_instruction_raises_priority_and_its_time_limit(leader, agent):
    TimeLimitRuleFactory(priority="high", limit_value=Decimal(3))
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
        ticket = services.record_leader_instruction(
            actor=leader, appeal=ticket.appeal, instruction="请从速办理", expected_version=ticket.version
        )
    assert ticket.appeal.priority == Priority.HIGH
    assert ticket.deadline_at == at(10, 10, 17, 30)  # 3 working days: 8, 9, 10 October


def test_reopening_starts_a_fresh_limit_from_the_reopening(agent):
    ticket = TicketFactory(state=TicketState.REPLIED, appeal__registered_at=at(9, 1, 9))
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = services.record_follow_up(
            actor=agent,
            ticket=ticket,
            expected_version=ticket.version,
            method="call",
            is_resolved=False,
            satisfaction="dissatisfied",
        )
    assert ticket.clock_started_at == at(9, 30, 10)
    assert ticket.deadline_at == at(10, 13, 17, 30)


# --- provisional deadlines -------------------------------------------------------------------------------


def test_provisional_2027_deadline_is_recomputed_when_the_2027_schedule_is_entered(agent):
    with time_machine.travel(at(12, 30, 10), tick=False):
        ticket = register(agent)
    # 2027 has no schedule yet: weekends only. 31 Dec, 1 Jan (Friday), 4, 5, 6 Jan.
    assert ticket.deadline_is_provisional is True
    assert ticket.deadline_at == at(1, 6, 17, 30, year=2027)
    admin = UserFactory(role=Role.SYSTEM_ADMIN)
    enter_year_schedule(
        actor=admin, year=2027, holidays=[("2027-01-01", "元旦")], makeup_days=[], source="测试：2027 年安排"
    )
    ticket.refresh_from_db()
    # New Year's Day off: 31 Dec, 4, 5, 6, 7 Jan.
    assert ticket.deadline_at == at(1, 7, 17, 30, year=2027)
    assert ticket.deadline_is_provisional is False
    event = AuditEvent.objects.get(action="ticket.deadlines_recomputed")
    assert event.after["years"] == [2027]
    assert event.after["ticket_ids"] == [ticket.pk]


def test_a_deadline_within_scheduled_years_is_left_alone_by_the_recomputer(agent):
    with time_machine.travel(at(9, 30, 10), tick=False):
        ticket = register(agent)
    admin = UserFactory(role=Role.SYSTEM_ADMIN)
    enter_year_schedule(
        actor=admin, year=2027, holidays=[("2027-01-01", "元旦")], makeup_days=[], source="测试"
    )
    assert not AuditEvent.objects.filter(action="ticket.deadlines_recomputed").exists()
    ticket.refresh_from_db()
    assert ticket.deadline_at == at(10, 13, 17, 30)
