"""Effects of the handling transitions: instruction, dispatch and redispatch, acceptance and return,
reclassification, extensions, pause and resume."""

from __future__ import annotations

from huiqi.appeals import notices
from huiqi.appeals.effects.step import (
    Step,
    department_data,
    finish_pause,
    local,
    pending_extension,
    set_category,
    set_departments,
    withdraw_pending_extension,
)
from huiqi.appeals.enums import (
    ExtensionDecision,
    Priority,
)
from huiqi.appeals.models import Extension
from huiqi.appeals.time_limits import apply_time_limit, refresh_deadline
from huiqi.appeals.transition_fields import invalid_field


def instruct(step: Step) -> None:
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


def dispatch(step: Step) -> None:
    set_departments(step)
    set_category(step)
    ticket = step.ticket
    ticket.dispatched_at = step.now
    ticket.accepted_at = None
    ids = [ticket.lead_department_id, *(d["id"] for d in step.data["assisting_departments"])]
    step.notify(
        notices.handlers_of(ids),
        "dispatch",
        f"新工单待签收：{step.appeal.number}",
        f"{step.appeal.title}\n办理期限：{local(ticket.deadline_at)}",
    )


def redispatch(step: Step) -> None:
    previous = step.ticket.lead_department
    step.data["previous_lead_department"] = department_data(previous)
    finish_pause(step)
    withdraw_pending_extension(step)
    dispatch(step)
    if previous is not None and previous.pk != step.ticket.lead_department_id:
        step.notify(
            notices.handlers_of([previous.pk]),
            "redispatched_away",
            f"工单已转派：{step.appeal.number}",
            f"工单已转派至{step.ticket.lead_department}。理由：{step.reason}",
        )


def accept(step: Step) -> None:
    step.ticket.accepted_at = step.now


def return_to_dispatchers(step: Step) -> None:
    ticket = step.ticket
    step.data["returned_by_department"] = department_data(ticket.lead_department)
    withdraw_pending_extension(step)
    ticket.lead_department = None
    ticket.assisting_departments.clear()
    ticket.accepted_at = None
    step.notify(
        notices.dispatchers(),
        "return",
        f"工单被退回：{step.appeal.number}",
        f"{step.data['returned_by_department']['name']}退单，理由：{step.reason}",
    )


def reclassify(step: Step) -> None:
    if step.fields["category"].pk == step.appeal.category_id:
        raise invalid_field("category", "新分类与原分类相同。")
    set_category(step)


def request_extension(step: Step) -> None:
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


def decide_extension(step: Step, decision: ExtensionDecision) -> Extension:
    extension = pending_extension(step)
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
            f"已批准延期 {extension.granted_days} 个工作日，新期限 {local(step.ticket.deadline_at)}。"
            if decision == ExtensionDecision.APPROVED
            else f"延期申请被驳回：{step.reason}"
        )
        step.notify(
            [extension.requested_by], decision, f"延期申请{decision.label}：{step.appeal.number}", outcome
        )
    return extension


def pause(step: Step) -> None:
    step.ticket.paused_at = step.now
    step.notify(
        notices.enterprise_users_of(step.appeal),
        "pause",
        f"诉求 {step.appeal.number} 需要您补充情况",
        f"承办单位需要您补充：{step.reason}\n补充后恢复计时办理。",
        notices.INBOX_AND_SMS,
    )


def resume(step: Step) -> None:
    finish_pause(step)
