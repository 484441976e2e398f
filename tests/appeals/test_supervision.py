"""Supervision (督办): automatic warning, overdue and escalated supervisions, once per level and deadline,
with notices to the right people; a supervisor's own 督办; the command and the task."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.enums import SupervisionLevel, TicketState
from huiqi.appeals.errors import AppealInputInvalidError
from huiqi.appeals.models import Supervision, TicketEvent
from huiqi.appeals.tasks import supervise_tickets
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent, Notification
from tests.appeals.factories import TicketFactory
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
L = SupervisionLevel
# Monday 12 October 2026, 10:00. Lateness counts the working days after the deadline's day up to
# today: a deadline of 8 October is late by 9, 10 (Saturday, a make-up day) and 12 October = 3 days,
# one of 9 October by 10 and 12 October = 2 days. Escalation comes at 3 (the default).
NOW = dt.datetime(2026, 10, 12, 10, 0, tzinfo=SH)


def ticket_due(deadline: dt.datetime, state: TicketState = TicketState.ACCEPTED, **extra):
    return TicketFactory(
        state=state, deadline_at=deadline, warning_at=deadline - dt.timedelta(hours=6), **extra
    )


def levels(ticket) -> list[str]:
    return sorted(Supervision.objects.filter(ticket=ticket).values_list("level", flat=True))


def test_a_ticket_past_80_percent_gets_a_warning_and_its_handlers_a_reminder(
    django_capture_on_commit_callbacks,
):
    ticket = ticket_due(NOW + dt.timedelta(hours=2))
    handler = UserFactory(role=Role.HANDLER, department=ticket.lead_department)
    head = UserFactory(role=Role.LEADER, department=ticket.lead_department)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.supervise_overdue_tickets(now=NOW)
    assert (report.count(L.WARNING), report.total) == (1, 1)
    assert levels(ticket) == [L.WARNING]
    assert set(Notification.objects.values_list("recipient_id", "channel")) == {(handler.pk, "inbox")}
    assert head.pk not in set(Notification.objects.values_list("recipient_id", flat=True))


def test_an_overdue_ticket_is_supervised_and_its_department_head_and_the_supervisors_are_told(
    supervisor, django_capture_on_commit_callbacks
):
    ticket = ticket_due(dt.datetime(2026, 10, 9, 17, 30, tzinfo=SH))  # 2 working days late
    head = UserFactory(role=Role.SUPERVISOR, department=ticket.lead_department)
    handler = UserFactory(role=Role.HANDLER, department=ticket.lead_department)
    other_head = UserFactory(role=Role.LEADER, department=DepartmentFactory())
    city_leader = UserFactory(role=Role.LEADER, department=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.supervise_overdue_tickets(now=NOW)
    assert levels(ticket) == [L.OVERDUE]
    supervision = Supervision.objects.get(ticket=ticket)
    assert supervision.department == ticket.lead_department
    assert supervision.is_automatic
    assert "超期" in supervision.reason
    sent = set(Notification.objects.values_list("recipient_id", "channel"))
    assert {(head.pk, "inbox"), (head.pk, "sms"), (handler.pk, "inbox"), (supervisor.pk, "inbox")} <= sent
    assert {r for r, _ in sent}.isdisjoint({other_head.pk, city_leader.pk})


def test_a_ticket_long_overdue_is_escalated_to_the_city_leaders(django_capture_on_commit_callbacks):
    city_leader = UserFactory(role=Role.LEADER, department=None)
    ticket = ticket_due(dt.datetime(2026, 10, 8, 17, 30, tzinfo=SH))  # late by 9, 10, 12 October
    with django_capture_on_commit_callbacks(execute=True):
        report = services.supervise_overdue_tickets(now=NOW)
    assert levels(ticket) == [L.ESCALATED, L.OVERDUE]
    assert report.count(L.ESCALATED) == 1
    escalated = Notification.objects.filter(recipient=city_leader)
    assert escalated.exists()
    assert all("升级督办" in n.subject for n in escalated)


def test_running_twice_creates_nothing_twice():
    ticket_due(NOW - dt.timedelta(days=1))
    first = services.supervise_overdue_tickets(now=NOW)
    second = services.supervise_overdue_tickets(now=NOW)
    assert first.total >= 1
    assert second.total == 0


@pytest.mark.parametrize(
    "state", [TicketState.PAUSED, TicketState.REPLY_REVIEW, TicketState.REPLIED, TicketState.CLOSED]
)
def test_tickets_whose_clock_is_stopped_are_not_supervised(state):
    ticket = ticket_due(NOW - dt.timedelta(days=3), state=state)
    services.supervise_overdue_tickets(now=NOW)
    assert levels(ticket) == []


def test_a_ticket_waiting_for_dispatch_tells_the_dispatchers(dispatcher, django_capture_on_commit_callbacks):
    ticket = ticket_due(dt.datetime(2026, 10, 9, 17, 30, tzinfo=SH), state=TicketState.AWAITING_DISPATCH)
    with django_capture_on_commit_callbacks(execute=True):
        services.supervise_overdue_tickets(now=NOW)
    assert levels(ticket) == [L.OVERDUE]
    assert Notification.objects.filter(recipient=dispatcher, subject__contains="待派单").exists()


def test_a_new_deadline_after_an_extension_may_be_supervised_again(dispatcher):
    ticket = ticket_due(NOW - dt.timedelta(hours=1), pending_extension=1)
    services.supervise_overdue_tickets(now=NOW)
    services.approve_extension(actor=dispatcher, ticket=ticket, expected_version=1)
    ticket.refresh_from_db()
    assert ticket.deadline_at > NOW - dt.timedelta(hours=1)
    services.supervise_overdue_tickets(now=ticket.deadline_at + dt.timedelta(minutes=1))
    assert Supervision.objects.filter(ticket=ticket, level=L.OVERDUE).count() == 2


def test_automatic_supervision_is_in_the_history_and_the_audit_log():
    ticket = ticket_due(NOW - dt.timedelta(days=1))
    services.supervise_overdue_tickets(now=NOW)
    event = TicketEvent.objects.get(ticket=ticket, action="supervise")
    assert (event.actor, event.from_state, event.to_state, event.data["level"]) == (
        None,
        "",
        "accepted",
        "overdue",
    )
    assert AuditEvent.objects.filter(action="ticket.supervised", object_id=str(ticket.pk)).exists()


# --- by hand ---------------------------------------------------------------------------------------------


def test_supervisor_supervises_an_open_ticket_by_hand(supervisor, django_capture_on_commit_callbacks):
    ticket = TicketFactory(state=TicketState.ACCEPTED)
    handler = UserFactory(role=Role.HANDLER, department=ticket.lead_department)
    with django_capture_on_commit_callbacks(execute=True):
        supervision = services.supervise_ticket(actor=supervisor, ticket=ticket, reason="企业多次来电催办")
    assert (supervision.level, supervision.is_automatic, supervision.created_by) == (
        L.MANUAL,
        False,
        supervisor,
    )
    assert Notification.objects.filter(recipient=handler, subject__contains="人工督办").exists()


def test_only_supervisors_and_leaders_supervise_by_hand_and_with_a_reason(handler, supervisor):
    ticket = TicketFactory(state=TicketState.ACCEPTED, lead_department=handler.department)
    with pytest.raises(PermissionDeniedError):
        services.supervise_ticket(actor=handler, ticket=ticket, reason="催办")
    with pytest.raises(AppealInputInvalidError):
        services.supervise_ticket(actor=supervisor, ticket=ticket, reason=" ")
    with pytest.raises(AppealInputInvalidError, match="已办结"):
        services.supervise_ticket(
            actor=supervisor, ticket=TicketFactory(state=TicketState.CLOSED), reason="催办"
        )


def test_a_district_leader_supervises_only_tickets_of_its_district(supervisor):
    district = DepartmentFactory(district=True)
    district_leader = UserFactory(role=Role.LEADER, department=district)
    with pytest.raises(PermissionDeniedError):
        services.supervise_ticket(
            actor=district_leader, ticket=TicketFactory(state=TicketState.ACCEPTED), reason="催"
        )
    own = TicketFactory(
        state=TicketState.ACCEPTED, lead_department=DepartmentFactory(town=True, parent=district)
    )
    assert services.supervise_ticket(actor=district_leader, ticket=own, reason="催办").pk


# --- entry points --------------------------------------------------------------------------------------------


def test_command_reports_what_it_created():
    ticket_due(NOW - dt.timedelta(days=1))
    ticket_due(NOW + dt.timedelta(hours=1))
    out = StringIO()
    call_command("supervise_tickets", "--now", "2026-10-12T10:00", stdout=out)
    assert "预警提醒 1 条" in out.getvalue()
    assert "超期督办 1 条" in out.getvalue()


def test_task_runs_the_service():
    ticket = ticket_due(timezone.now() - dt.timedelta(days=1))
    result = supervise_tickets.enqueue()
    assert result.return_value["overdue"] == 1
    assert L.OVERDUE in levels(ticket)
