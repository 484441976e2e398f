"""The step a transition is performing, and the pieces several effects share (departments, category,
pauses, pending extensions and replies, closing, recording a follow-up)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import notices
from huiqi.appeals.enums import (
    Closure,
    ExtensionDecision,
    FollowUpMethod,
    ReplyStatus,
    TicketAction,
)
from huiqi.appeals.errors import TicketTransitionNotAllowedError
from huiqi.appeals.models import Appeal, Extension, FollowUp, Reply, Ticket
from huiqi.appeals.time_limits import apply_time_limit, office_hours_between, refresh_deadline
from huiqi.appeals.transition_fields import invalid_field
from huiqi.core.audit import to_jsonable

if TYPE_CHECKING:
    from huiqi.accounts.models import User


# --- the step --------------------------------------------------------------------------------------


@dataclass
class Step:
    """One transition being performed: the locked ticket, who, the clean fields, and what it produced."""

    ticket: Ticket
    actor: User | None
    fields: dict[str, Any]
    now: dt.datetime
    requested_action: TicketAction
    data: dict[str, Any] = field(default_factory=dict)
    outbox: list[notices.Notice] = field(default_factory=list)

    @property
    def appeal(self) -> Appeal:
        return self.ticket.appeal

    @property
    def reason(self) -> str:
        return str(self.fields.get("reason", ""))

    def notify(
        self,
        recipients: Iterable[User],
        key: str,
        subject: str,
        body: str,
        channels: tuple[str, ...] = notices.INBOX,
    ) -> None:
        number = self.appeal.number
        self.outbox.append(
            notices.Notice(
                recipients=notices.unique(tuple(recipients)),
                event_key=f"appeals.ticket.{self.ticket.pk}.v{self.ticket.version}.{key}",
                subject=subject,
                body=body or number,
                link=notices.ticket_link(self.ticket),
                channels=channels,
            )
        )


def jsonable(value: Any) -> Any:
    return to_jsonable(value)


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The fields a transition may change, for the audit event's before and after."""
    appeal = ticket.appeal
    return {
        "state": ticket.state,
        "lead_department_id": ticket.lead_department_id,
        "assisting_department_ids": sorted(ticket.assisting_departments.values_list("id", flat=True)),
        "time_limit": f"{ticket.time_limit_value} {ticket.time_limit_unit}",
        "deadline_at": ticket.deadline_at,
        "deadline_is_provisional": ticket.deadline_is_provisional,
        "warning_at": ticket.warning_at,
        "paused_at": ticket.paused_at,
        "paused_hours": ticket.paused_hours,
        "extension_days": ticket.extension_days,
        "dispatched_at": ticket.dispatched_at,
        "accepted_at": ticket.accepted_at,
        "replied_at": ticket.replied_at,
        "closed_at": ticket.closed_at,
        "closure": ticket.closure,
        "reopen_count": ticket.reopen_count,
        "version": ticket.version,
        "category_id": appeal.category_id,
        "priority": appeal.priority,
        "leader_instruction": appeal.leader_instruction,
        "merged_into_id": appeal.merged_into_id,
        "is_direct_reply": appeal.is_direct_reply,
    }


def schedule_notices(step: Step) -> None:
    notices.schedule(step.outbox)


# --- shared pieces -----------------------------------------------------------------------------------


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def department_data(department: Any) -> dict[str, Any] | None:
    return {"id": department.pk, "name": department.name} if department is not None else None


def set_departments(step: Step) -> None:
    ticket, lead = step.ticket, step.fields["lead_department"]
    assisting = [d for d in step.fields.get("assisting_departments", []) if d.pk != lead.pk]
    ticket.lead_department = lead
    ticket.assisting_departments.set(assisting)
    step.data["lead_department"] = department_data(lead)
    step.data["assisting_departments"] = [department_data(d) for d in assisting]


def set_category(step: Step) -> None:
    category = step.fields.get("category")
    if category is None or category.pk == step.appeal.category_id:
        return
    step.data["category"] = {"from": step.appeal.category_id, "to": category.pk, "name": str(category)}
    step.appeal.category = category
    spec = apply_time_limit(ticket=step.ticket, appeal=step.appeal)
    step.data["time_limit"] = spec.label


def finish_pause(step: Step) -> None:
    ticket = step.ticket
    if ticket.paused_at is None:
        return
    hours = office_hours_between(ticket.paused_at, step.now)
    ticket.paused_hours += hours
    ticket.paused_at = None
    refresh_deadline(ticket)
    step.data["paused_hours"] = hours


def withdraw_pending_extension(step: Step) -> None:
    for extension in step.ticket.extensions.filter(decision=ExtensionDecision.PENDING):
        extension.decision = ExtensionDecision.WITHDRAWN
        extension.decided_at = step.now
        extension.decision_comment = f"工单已{step.requested_action.label}，延期申请自动撤销。"
        extension.save(update_fields=["decision", "decided_at", "decision_comment"])
        step.data["withdrawn_extension_id"] = extension.pk


def pending_extension(step: Step) -> Extension:
    extension = step.ticket.extensions.filter(decision=ExtensionDecision.PENDING).first()
    if extension is None:  # the guard checked it; a concurrent change is impossible under the row lock
        raise TicketTransitionNotAllowedError("该工单没有待审批的延期申请。")
    return extension


def pending_reply(step: Step) -> Reply:
    reply = step.ticket.replies.filter(status=ReplyStatus.PENDING_REVIEW).order_by("-id").first()
    if reply is None:
        raise TicketTransitionNotAllowedError("该工单没有待审核的答复。")
    return reply


def close(step: Step, closure: Closure) -> None:
    ticket = step.ticket
    ticket.closed_at = step.now
    ticket.closure = closure
    step.appeal.closed_at = step.now
    withdraw_pending_extension(step)


def record_follow_up(step: Step) -> FollowUp:
    fields, actor = step.fields, step.actor
    method = fields["method"]
    if getattr(actor, "role", None) == Role.ENTERPRISE and method != FollowUpMethod.ONLINE:
        raise invalid_field("method", "企业用户的评价只能是“网上评价”。")
    if getattr(actor, "role", None) == Role.AGENT and method != FollowUpMethod.CALL:
        raise invalid_field("method", "坐席回访只能是“电话回访”。")
    last_reply = step.ticket.replies.exclude(status=ReplyStatus.SENT_BACK).order_by("-id").first()
    follow_up = FollowUp.objects.create(
        ticket=step.ticket,
        reply=last_reply,
        method=method,
        is_resolved=fields["is_resolved"],
        satisfaction=fields["satisfaction"],
        comment=fields.get("comment", ""),
        recorded_by=actor if getattr(actor, "pk", None) else None,
        recorded_at=step.now,
    )
    step.data["follow_up"] = {
        "id": follow_up.pk,
        "method": method,
        "is_resolved": follow_up.is_resolved,
        "satisfaction": follow_up.satisfaction,
    }
    return follow_up
