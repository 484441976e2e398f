"""Effects of the answering transitions: reply and its review, follow-up, reopening, closing, direct
reply and merging."""

from __future__ import annotations

from decimal import Decimal

from huiqi.accounts.enums import Role
from huiqi.appeals import attachments as attachment_files
from huiqi.appeals import notices
from huiqi.appeals.effects.step import (
    Step,
    close,
    local,
    pending_reply,
    record_follow_up,
    withdraw_pending_extension,
)
from huiqi.appeals.enums import (
    Closure,
    ReplyStatus,
    Satisfaction,
    TicketAction,
    TicketState,
)
from huiqi.appeals.models import Reply, Ticket
from huiqi.appeals.time_limits import apply_time_limit
from huiqi.appeals.transition_fields import invalid_field

A = TicketAction


def submit_reply(step: Step) -> None:
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


def review_reply(step: Step, status: ReplyStatus) -> Reply:
    reply = pending_reply(step)
    reply.status = status
    reply.reviewed_by = step.actor
    reply.reviewed_at = step.now
    reply.review_comment = step.reason
    reply.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    step.data["reply"] = {"id": reply.pk, "status": status}
    return reply


def approve_reply(step: Step) -> None:
    reply = review_reply(step, ReplyStatus.APPROVED)
    step.ticket.replied_at = step.now
    withdraw_pending_extension(step)
    step.notify(
        notices.enterprise_users_of(step.appeal),
        "approve_reply",
        f"您的诉求 {step.appeal.number} 已答复",
        reply.text,
        notices.INBOX_AND_SMS,
    )


def send_back_reply(step: Step) -> None:
    reply = review_reply(step, ReplyStatus.SENT_BACK)
    if reply.author is not None:
        step.notify(
            [reply.author], "send_back_reply", f"答复被退回：{step.appeal.number}", f"退回意见：{step.reason}"
        )


def record_follow_up_effect(step: Step) -> None:
    record_follow_up(step)
    if step.ticket.state == TicketState.REPLIED:
        if step.fields["satisfaction"] == Satisfaction.DISSATISFIED:
            step.data["reopen_limit_reached"] = True
        close(step, Closure.FOLLOWED_UP)


def reopen(step: Step) -> None:
    ticket, fields = step.ticket, step.fields
    given = [name for name in ("method", "is_resolved", "satisfaction") if name in fields]
    if given:
        if len(given) < 3:
            raise invalid_field("satisfaction", "回访需同时填写回访方式、是否解决和满意度。")
        if fields["satisfaction"] != Satisfaction.DISSATISFIED:
            raise invalid_field("satisfaction", "只有“不满意”的回访才会重办；满意或基本满意请直接回访办结。")
        record_follow_up(step)
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
        f"企业对答复不满意，工单重办。意见：{step.reason}\n新期限：{local(ticket.deadline_at)}",
    )


def close_effect(step: Step) -> None:
    close(step, Closure.WITHOUT_FOLLOW_UP)
    step.notify(
        notices.enterprise_users_of(step.appeal),
        "close",
        f"您的诉求 {step.appeal.number} 已办结",
        step.appeal.title,
    )


def direct_reply(step: Step) -> None:
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
    close(step, Closure.DIRECT_REPLY)
    step.data["reply"] = {"id": reply.pk}
    step.notify(
        notices.enterprise_users_of(appeal),
        "direct_reply",
        f"您的诉求 {appeal.number} 已答复",
        reply.text,
        notices.INBOX_AND_SMS,
    )


def merge(step: Step) -> None:
    appeal, into = step.appeal, step.fields["into"]
    if into.pk == appeal.pk:
        raise invalid_field("into", "不能并入自身。")
    target = Ticket.objects.select_related("appeal").filter(appeal=into).first()
    if into.merged_into_id is not None or target is None or target.state == TicketState.CLOSED:
        raise invalid_field("into", f"诉求 {into.number} 已办结或已并单，不能并入。")
    appeal.merged_into = into
    close(step, Closure.MERGED)
    step.data["merged_into"] = {"id": into.pk, "number": into.number}
    step.notify(
        notices.enterprise_users_of(appeal),
        "merge",
        f"您的诉求 {appeal.number} 已并入 {into.number} 一并办理",
        f"与您此前反映的事项相同，已合并办理，请关注诉求 {into.number} 的答复。",
    )
