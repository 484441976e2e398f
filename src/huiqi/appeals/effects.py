"""What each transition of appeals/workflow.py does besides changing the state: the rows it writes
(replies, extensions, follow-ups), the deadlines it moves and the notices it sends.

Only `workflow.perform_transition` calls this module, inside its transaction and after its checks of
state, version, role and scope; the functions here change the locked ticket and its appeal in memory
(perform_transition saves them) and may write the ticket's own child rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import attachments as attachment_files
from huiqi.appeals import notices
from huiqi.appeals.enums import (
    Closure,
    ExtensionDecision,
    FollowUpMethod,
    Priority,
    ReplyStatus,
    Satisfaction,
    TicketAction,
    TicketState,
)
from huiqi.appeals.errors import TicketTransitionNotAllowedError
from huiqi.appeals.models import Appeal, Extension, FollowUp, Reply, Ticket
from huiqi.appeals.time_limits import apply_time_limit, office_hours_between, refresh_deadline
from huiqi.appeals.transition_fields import invalid_field
from huiqi.core.audit import to_jsonable

if TYPE_CHECKING:
    from huiqi.accounts.models import User

A = TicketAction


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


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _department_data(department: Any) -> dict[str, Any] | None:
    return {"id": department.pk, "name": department.name} if department is not None else None


def _set_departments(step: Step) -> None:
    ticket, lead = step.ticket, step.fields["lead_department"]
    assisting = [d for d in step.fields.get("assisting_departments", []) if d.pk != lead.pk]
    ticket.lead_department = lead
    ticket.assisting_departments.set(assisting)
    step.data["lead_department"] = _department_data(lead)
    step.data["assisting_departments"] = [_department_data(d) for d in assisting]


def _set_category(step: Step) -> None:
    category = step.fields.get("category")
    if category is None or category.pk == step.appeal.category_id:
        return
    step.data["category"] = {"from": step.appeal.category_id, "to": category.pk, "name": str(category)}
    step.appeal.category = category
    spec = apply_time_limit(ticket=step.ticket, appeal=step.appeal)
    step.data["time_limit"] = spec.label


def _finish_pause(step: Step) -> None:
    ticket = step.ticket
    if ticket.paused_at is None:
        return
    hours = office_hours_between(ticket.paused_at, step.now)
    ticket.paused_hours += hours
    ticket.paused_at = None
    refresh_deadline(ticket)
    step.data["paused_hours"] = hours


def _withdraw_pending_extension(step: Step) -> None:
    for extension in step.ticket.extensions.filter(decision=ExtensionDecision.PENDING):
        extension.decision = ExtensionDecision.WITHDRAWN
        extension.decided_at = step.now
        extension.decision_comment = f"工单已{step.requested_action.label}，延期申请自动撤销。"
        extension.save(update_fields=["decision", "decided_at", "decision_comment"])
        step.data["withdrawn_extension_id"] = extension.pk


def _pending_extension(step: Step) -> Extension:
    extension = step.ticket.extensions.filter(decision=ExtensionDecision.PENDING).first()
    if extension is None:  # the guard checked it; a concurrent change is impossible under the row lock
        raise TicketTransitionNotAllowedError("该工单没有待审批的延期申请。")
    return extension


def _pending_reply(step: Step) -> Reply:
    reply = step.ticket.replies.filter(status=ReplyStatus.PENDING_REVIEW).order_by("-id").first()
    if reply is None:
        raise TicketTransitionNotAllowedError("该工单没有待审核的答复。")
    return reply


def _close(step: Step, closure: Closure) -> None:
    ticket = step.ticket
    ticket.closed_at = step.now
    ticket.closure = closure
    step.appeal.closed_at = step.now
    _withdraw_pending_extension(step)


def _record_follow_up(step: Step) -> FollowUp:
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


# --- the effect of each action -----------------------------------------------------------------------


def _instruct(step: Step) -> None:
    appeal, ticket = step.appeal, step.ticket
    appeal.leader_instruction = step.fields["instruction"]
    appeal.instructed_by = step.actor
    appeal.instructed_at = step.now
    priority = Priority.highest(appeal.priority, step.fields.get("priority") or Priority.HIGH)
    step.data["instruction"] = appeal.leader_instruction
    if priority != appeal.priority:
        step.data["priority"] = {"from": appeal.priority, "to": priority}
        appeal.priority = priority
        step.data["time_limit"] = apply_time_limit(ticket=ticket, appeal=appeal).label
    recipients = notices.dispatchers() + notices.handlers_of([ticket.lead_department_id])
    step.notify(
        recipients,
        "instruct",
        f"领导批示：{appeal.number}",
        f"{appeal.title}\n批示：{appeal.leader_instruction}",
    )


def _dispatch(step: Step) -> None:
    _set_departments(step)
    _set_category(step)
    ticket = step.ticket
    ticket.dispatched_at = step.now
    ticket.accepted_at = None
    ids = [ticket.lead_department_id, *(d["id"] for d in step.data["assisting_departments"])]
    step.notify(
        notices.handlers_of(ids),
        "dispatch",
        f"新工单待签收：{step.appeal.number}",
        f"{step.appeal.title}\n办理期限：{_local(ticket.deadline_at)}",
    )


def _redispatch(step: Step) -> None:
    previous = step.ticket.lead_department
    step.data["previous_lead_department"] = _department_data(previous)
    _finish_pause(step)
    _withdraw_pending_extension(step)
    _dispatch(step)
    if previous is not None and previous.pk != step.ticket.lead_department_id:
        step.notify(
            notices.handlers_of([previous.pk]),
            "redispatched_away",
            f"工单已转派：{step.appeal.number}",
            f"工单已转派至{step.ticket.lead_department}。理由：{step.reason}",
        )


def _accept(step: Step) -> None:
    step.ticket.accepted_at = step.now


def _return(step: Step) -> None:
    ticket = step.ticket
    step.data["returned_by_department"] = _department_data(ticket.lead_department)
    _withdraw_pending_extension(step)
    ticket.lead_department = None
    ticket.assisting_departments.clear()
    ticket.accepted_at = None
    step.notify(
        notices.dispatchers(),
        "return",
        f"工单被退回：{step.appeal.number}",
        f"{step.data['returned_by_department']['name']}退单，理由：{step.reason}",
    )


def _reclassify(step: Step) -> None:
    if step.fields["category"].pk == step.appeal.category_id:
        raise invalid_field("category", "新分类与原分类相同。")
    _set_category(step)


def _request_extension(step: Step) -> None:
    extension = Extension.objects.create(
        ticket=step.ticket,
        requested_days=step.fields["days"],
        reason=step.reason,
        requested_by=step.actor,
        requested_at=step.now,
    )
    step.data["extension"] = {"id": extension.pk, "requested_days": extension.requested_days}
    step.notify(
        notices.dispatchers(),
        "request_extension",
        f"延期申请待审批：{step.appeal.number}",
        f"申请延期 {extension.requested_days} 个工作日。理由：{step.reason}",
    )


def _decide_extension(step: Step, decision: ExtensionDecision) -> Extension:
    extension = _pending_extension(step)
    extension.decision = decision
    extension.decided_by = step.actor
    extension.decided_at = step.now
    extension.decision_comment = step.reason
    if decision == ExtensionDecision.APPROVED:
        extension.granted_days = step.fields.get("granted_days") or extension.requested_days
        step.ticket.extension_days += extension.granted_days
        refresh_deadline(step.ticket)
    extension.save()
    step.data["extension"] = {
        "id": extension.pk,
        "decision": decision,
        "granted_days": extension.granted_days,
    }
    if extension.requested_by is not None:
        outcome = (
            f"已批准延期 {extension.granted_days} 个工作日，新期限 {_local(step.ticket.deadline_at)}。"
            if decision == ExtensionDecision.APPROVED
            else f"延期申请被驳回：{step.reason}"
        )
        step.notify(
            [extension.requested_by], decision, f"延期申请{decision.label}：{step.appeal.number}", outcome
        )
    return extension


def _pause(step: Step) -> None:
    step.ticket.paused_at = step.now
    step.notify(
        notices.enterprise_users_of(step.appeal),
        "pause",
        f"诉求 {step.appeal.number} 需要您补充情况",
        f"承办单位需要您补充：{step.reason}\n补充后恢复计时办理。",
        notices.INBOX_AND_SMS,
    )


def _resume(step: Step) -> None:
    _finish_pause(step)


def _submit_reply(step: Step) -> None:
    reply = Reply.objects.create(
        ticket=step.ticket,
        text=step.fields["text"],
        status=ReplyStatus.PENDING_REVIEW,
        author=step.actor,
        department=step.ticket.lead_department,
        submitted_at=step.now,
    )
    files = attachment_files.save_attachments(
        appeal=step.appeal,
        files=step.fields.get("attachments", []),
        actor=step.actor,
        now=step.now,
        reply=reply,
    )
    step.data["reply"] = {"id": reply.pk, "attachment_ids": [f.pk for f in files]}
    step.notify(notices.dispatchers(), "submit_reply", f"答复待审核：{step.appeal.number}", step.appeal.title)


def _review_reply(step: Step, status: ReplyStatus) -> Reply:
    reply = _pending_reply(step)
    reply.status = status
    reply.reviewed_by = step.actor
    reply.reviewed_at = step.now
    reply.review_comment = step.reason
    reply.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    step.data["reply"] = {"id": reply.pk, "status": status}
    return reply


def _approve_reply(step: Step) -> None:
    reply = _review_reply(step, ReplyStatus.APPROVED)
    step.ticket.replied_at = step.now
    _withdraw_pending_extension(step)
    step.notify(
        notices.enterprise_users_of(step.appeal),
        "approve_reply",
        f"您的诉求 {step.appeal.number} 已答复",
        reply.text,
        notices.INBOX_AND_SMS,
    )


def _send_back_reply(step: Step) -> None:
    reply = _review_reply(step, ReplyStatus.SENT_BACK)
    if reply.author is not None:
        step.notify(
            [reply.author], "send_back_reply", f"答复被退回：{step.appeal.number}", f"退回意见：{step.reason}"
        )


def _record_follow_up_effect(step: Step) -> None:
    _record_follow_up(step)
    if step.ticket.state == TicketState.REPLIED:
        if step.fields["satisfaction"] == Satisfaction.DISSATISFIED:
            step.data["reopen_limit_reached"] = True
        _close(step, Closure.FOLLOWED_UP)


def _reopen(step: Step) -> None:
    ticket, fields = step.ticket, step.fields
    given = [name for name in ("method", "is_resolved", "satisfaction") if name in fields]
    if given:
        if len(given) < 3:
            raise invalid_field("satisfaction", "回访需同时填写回访方式、是否解决和满意度。")
        if fields["satisfaction"] != Satisfaction.DISSATISFIED:
            raise invalid_field("satisfaction", "只有“不满意”的回访才会重办；满意或基本满意请直接回访办结。")
        _record_follow_up(step)
    elif getattr(step.actor, "role", None) in (Role.AGENT, Role.ENTERPRISE):
        raise invalid_field("satisfaction", "坐席和企业通过“不满意”的回访发起重办，请填写回访结果。")
    step.data["automatic"] = step.requested_action == A.RECORD_FOLLOW_UP
    ticket.reopen_count += 1
    ticket.clock_started_at = step.now
    ticket.extension_days = Decimal(0)
    ticket.paused_hours = Decimal(0)
    ticket.paused_at = None
    ticket.accepted_at = None
    ticket.dispatched_at = step.now
    step.data["time_limit"] = apply_time_limit(ticket=ticket, appeal=step.appeal).label
    step.data["reopen_count"] = ticket.reopen_count
    step.notify(
        notices.handlers_of([ticket.lead_department_id]),
        "reopen",
        f"重办工单待签收：{step.appeal.number}",
        f"企业对答复不满意，工单重办。意见：{step.reason}\n新期限：{_local(ticket.deadline_at)}",
    )


def _close_effect(step: Step) -> None:
    _close(step, Closure.WITHOUT_FOLLOW_UP)
    step.notify(
        notices.enterprise_users_of(step.appeal),
        "close",
        f"您的诉求 {step.appeal.number} 已办结",
        step.appeal.title,
    )


def _direct_reply(step: Step) -> None:
    appeal, ticket = step.appeal, step.ticket
    reply = Reply.objects.create(
        ticket=ticket,
        text=step.fields["text"],
        status=ReplyStatus.DIRECT,
        author=step.actor,
        department=getattr(step.actor, "department", None),
        submitted_at=step.now,
    )
    attachment_files.save_attachments(
        appeal=appeal, files=step.fields.get("attachments", []), actor=step.actor, now=step.now, reply=reply
    )
    appeal.is_direct_reply = True
    ticket.replied_at = step.now
    _close(step, Closure.DIRECT_REPLY)
    step.data["reply"] = {"id": reply.pk}
    step.notify(
        notices.enterprise_users_of(appeal),
        "direct_reply",
        f"您的诉求 {appeal.number} 已答复",
        reply.text,
        notices.INBOX_AND_SMS,
    )


def _merge(step: Step) -> None:
    appeal, into = step.appeal, step.fields["into"]
    if into.pk == appeal.pk:
        raise invalid_field("into", "不能并入自身。")
    target = Ticket.objects.select_related("appeal").filter(appeal=into).first()
    if into.merged_into_id is not None or target is None or target.state == TicketState.CLOSED:
        raise invalid_field("into", f"诉求 {into.number} 已办结或已并单，不能并入。")
    appeal.merged_into = into
    _close(step, Closure.MERGED)
    step.data["merged_into"] = {"id": into.pk, "number": into.number}
    step.notify(
        notices.enterprise_users_of(appeal),
        "merge",
        f"您的诉求 {appeal.number} 已并入 {into.number} 一并办理",
        f"与您此前反映的事项相同，已合并办理，请关注诉求 {into.number} 的答复。",
    )


EFFECTS: dict[TicketAction, Callable[[Step], Any]] = {
    A.INSTRUCT: _instruct,
    A.DISPATCH: _dispatch,
    A.REDISPATCH: _redispatch,
    A.ACCEPT: _accept,
    A.RETURN: _return,
    A.RECLASSIFY: _reclassify,
    A.REQUEST_EXTENSION: _request_extension,
    A.APPROVE_EXTENSION: lambda step: _decide_extension(step, ExtensionDecision.APPROVED),
    A.REJECT_EXTENSION: lambda step: _decide_extension(step, ExtensionDecision.REJECTED),
    A.PAUSE: _pause,
    A.RESUME: _resume,
    A.SUBMIT_REPLY: _submit_reply,
    A.APPROVE_REPLY: _approve_reply,
    A.SEND_BACK_REPLY: _send_back_reply,
    A.RECORD_FOLLOW_UP: _record_follow_up_effect,
    A.REOPEN: _reopen,
    A.CLOSE: _close_effect,
    A.DIRECT_REPLY: _direct_reply,
    A.MERGE: _merge,
}


def apply(action: TicketAction, step: Step) -> None:
    EFFECTS[action](step)
