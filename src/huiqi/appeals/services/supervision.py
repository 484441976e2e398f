"""Supervision (督办) of slow and overdue tickets, automatic and by hand.

`supervise_overdue_tickets` runs every few minutes (the `supervise_tickets` task, or the command
`huiqi supervise_tickets` from cron). For every ticket whose clock runs (workflow.CLOCK_RUNNING_STATES:
a paused ticket or one whose reply awaits review is not late) it creates, once per level and
deadline:

* `warning` (预警) when 80% of the limit has passed: the handlers of the lead department are reminded;
* `overdue` (超期督办) after the deadline: the department's head (its leaders and supervisors, inbox
  and SMS), its handlers and the supervisors' queue (every supervisor, inbox) are told;
* `escalated` (升级督办) when it is still overdue HUIQI_APPEAL_ESCALATE_AFTER_DAYS working days
  (default 3) after the deadline: the city's leaders are told as well.

A ticket not yet dispatched has no department: its notices go to the dispatchers instead. A new
deadline (extension, reopening) can be supervised again; running twice creates nothing twice (a
unique constraint on automatic supervisions, so two concurrent runs cannot either).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.appeals import notices
from huiqi.appeals.enums import SupervisionLevel, TicketAction
from huiqi.appeals.errors import AppealInputInvalidError
from huiqi.appeals.models import Supervision, Ticket
from huiqi.appeals.workflow import CLOCK_RUNNING_STATES, OPEN_STATES, append_history, check_scope
from huiqi.core import workdays
from huiqi.core.audit import record_event

if TYPE_CHECKING:
    from huiqi.accounts.models import User

L = SupervisionLevel
_CHUNK = 500


def escalate_after_days() -> int:
    return int(getattr(settings, "HUIQI_APPEAL_ESCALATE_AFTER_DAYS", 3))


@dataclass
class SupervisionReport:
    """What one run created, by level (the ids of the new Supervision rows)."""

    created: dict[str, list[int]] = field(default_factory=lambda: {level.value: [] for level in L})

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.created.values())

    def count(self, level: str) -> int:
        return len(self.created[level])


def _levels_due(ticket: Ticket, now: dt.datetime) -> list[SupervisionLevel]:
    if now <= ticket.deadline_at:
        return [L.WARNING] if now >= ticket.warning_at else []
    levels = [L.OVERDUE]
    if workdays.working_days_between(ticket.deadline_at, now).value >= escalate_after_days():
        levels.append(L.ESCALATED)
    return levels


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _reason(level: SupervisionLevel, ticket: Ticket, now: dt.datetime) -> str:
    deadline = _local(ticket.deadline_at)
    if level == L.WARNING:
        return f"已用去办理时限的 80%，期限 {deadline}。"
    days = workdays.working_days_between(ticket.deadline_at, now).value
    late = f"已超期 {days} 个工作日" if days > 0 else "已超过办理期限"
    return f"{late}（期限 {deadline}），请尽快办理。"


def _notice(supervision: Supervision, ticket: Ticket) -> notices.Notice:
    department_id = ticket.lead_department_id
    level = SupervisionLevel(supervision.level)
    handlers = notices.handlers_of([department_id])
    no_department = notices.dispatchers() if department_id is None else ()
    channels: tuple[str, ...]
    if level == L.WARNING:
        recipients = notices.unique(handlers, no_department)
        channels = notices.INBOX
    else:
        recipients = notices.unique(
            notices.department_heads(department_id),
            handlers,
            no_department,
            notices.supervisors(),
            notices.city_leaders() if level == L.ESCALATED else (),
        )
        channels = notices.INBOX_AND_SMS if level != L.MANUAL else notices.INBOX
    appeal = ticket.appeal
    where = f"（{ticket.lead_department}）" if ticket.lead_department_id else "（待派单）"
    return notices.Notice(
        recipients=recipients,
        event_key=f"appeals.supervision.{supervision.pk}",
        subject=f"{level.label}：{appeal.number}{where}",
        body=f"{appeal.title}\n{supervision.reason}",
        link=notices.ticket_link(ticket),
        channels=channels,
    )


def _create(
    *, ticket: Ticket, level: SupervisionLevel, reason: str, now: dt.datetime, actor: User | None
) -> Supervision:
    supervision = Supervision.objects.create(
        ticket=ticket,
        level=level,
        reason=reason,
        department=ticket.lead_department,
        deadline_at=ticket.deadline_at,
        is_automatic=actor is None,
        created_by=actor,
        created_at=now,
        notified_at=now,
    )
    append_history(
        ticket=ticket,
        action=TicketAction.SUPERVISE,
        actor=actor,
        at=now,
        reason=reason,
        level=level,
        supervision_id=supervision.pk,
    )
    record_event(
        actor=actor,
        action="ticket.supervised",
        obj=ticket,
        after={
            "level": level,
            "reason": reason,
            "deadline_at": ticket.deadline_at,
            "supervision_id": supervision.pk,
        },
    )
    notices.schedule([_notice(supervision, ticket)])
    return supervision


def supervise_overdue_tickets(*, now: dt.datetime | None = None) -> SupervisionReport:
    """Creates the automatic supervisions that are due (module docstring) and sends their notices."""
    now = now or timezone.now()
    report = SupervisionReport()
    due = (
        Ticket.objects.filter(state__in=CLOCK_RUNNING_STATES, warning_at__lte=now)
        .select_related("appeal", "lead_department")
        .order_by("id")
    )
    last_id = 0
    while True:
        chunk = list(due.filter(id__gt=last_id)[:_CHUNK])
        if not chunk:
            break
        last_id = chunk[-1].pk
        done = set(
            Supervision.objects.filter(is_automatic=True, ticket_id__in=[t.pk for t in chunk]).values_list(
                "ticket_id", "level", "deadline_at"
            )
        )
        for ticket in chunk:
            for level in _levels_due(ticket, now):
                if (ticket.pk, level.value, ticket.deadline_at) in done:
                    continue
                try:
                    with transaction.atomic():
                        supervision = _create(
                            ticket=ticket,
                            level=level,
                            reason=_reason(level, ticket, now),
                            now=now,
                            actor=None,
                        )
                except IntegrityError:  # a concurrent run created it first
                    continue
                report.created[level.value].append(supervision.pk)
    return report


def supervise_ticket(*, actor: User, ticket: Ticket, reason: str) -> Supervision:
    """A supervisor's or leader's own 督办 of an open ticket, with the reason; told like `overdue`."""
    require_role(actor, Role.SUPERVISOR, Role.LEADER)
    reason = (reason or "").strip()
    if not reason:
        raise AppealInputInvalidError("请填写督办事由。", field="reason")
    if len(reason) > 2000:
        raise AppealInputInvalidError("督办事由不能超过 2000 个字。", field="reason")
    with transaction.atomic():
        locked = Ticket.objects.select_related("appeal", "lead_department").get(pk=ticket.pk)
        check_scope(ticket=locked, actor=actor)
        if locked.state not in OPEN_STATES:
            raise AppealInputInvalidError(f"工单 {locked.appeal.number} 已办结，无需督办。", field="ticket")
        return _create(ticket=locked, level=L.MANUAL, reason=reason, now=timezone.now(), actor=actor)
