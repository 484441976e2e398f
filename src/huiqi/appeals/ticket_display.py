"""What a ticket page shows in words (工单展示): its deadline as a share of the limit, its history with
Chinese labels, and the classifier's suggestion by category name.

Reads only, apart from selectors_tickets.py (the queues) to keep both modules short. The share of
the limit counts office hours as appeals.time_limits does, so the bar and the warning agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import selectors
from huiqi.appeals.enums import (
    ExtensionDecision,
    FollowUpMethod,
    Satisfaction,
    SupervisionLevel,
    TicketAction,
    TicketState,
    TimeLimitUnit,
)
from huiqi.appeals.models import Appeal, Category, Ticket, TicketEvent
from huiqi.appeals.time_limits import office_hours_between
from huiqi.appeals.workflow import CLOCK_RUNNING_STATES

A, S = TicketAction, TicketState


@dataclass(frozen=True)
class DeadlineStatus:
    """The deadline as a page shows it: level normal / warning / overdue while the clock runs,
    `stopped` when it does not (paused, reply under review, replied, closed)."""

    deadline_at: dt.datetime
    is_provisional: bool
    level: str
    percent: int  # share of the limit used, 0..100
    note: str

    @property
    def badge(self) -> str:
        return {"warning": "预警", "overdue": "超期"}.get(self.level, "")


def deadline_status(
    ticket: Ticket, *, now: dt.datetime | None = None, with_percent: bool = True
) -> DeadlineStatus:
    """How far the ticket is into its limit. The share counts office hours as time_limits does: working
    days from the day after the clock starts (自受理次日起), hours from the moment; pauses excluded."""
    now = now or timezone.now()
    running = ticket.state in CLOCK_RUNNING_STATES
    if running:
        level = "overdue" if ticket.deadline_at < now else "warning" if ticket.warning_at <= now else "normal"
    else:
        level = "stopped"
    note = ""
    if ticket.state == S.PAUSED:
        note = "暂停计时中"
    elif ticket.state in (S.REPLY_REVIEW, S.REPLIED, S.CLOSED):
        replied = ticket.replied_at or ticket.closed_at
        if replied is not None:
            note = "按时答复" if replied <= ticket.deadline_at else "超期答复"
    percent = _percent_used(ticket, now) if with_percent else 0
    return DeadlineStatus(ticket.deadline_at, ticket.deadline_is_provisional, level, percent, note)


def _percent_used(ticket: Ticket, now: dt.datetime) -> int:
    start = ticket.clock_started_at
    if ticket.time_limit_unit == TimeLimitUnit.WORKING_DAYS:
        tz = ZoneInfo(settings.TIME_ZONE)
        day = start.astimezone(tz).date() + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    if ticket.state == S.PAUSED and ticket.paused_at is not None:
        until = ticket.paused_at
    elif ticket.state in CLOCK_RUNNING_STATES:
        until = now
    else:
        until = ticket.replied_at or ticket.closed_at or now
    paused = Decimal(ticket.paused_hours or 0)
    total = office_hours_between(start, ticket.deadline_at) - paused
    if total <= 0:
        return 100
    used = office_hours_between(start, min(until, ticket.deadline_at)) - paused
    if until > ticket.deadline_at:
        return 100
    return max(0, min(100, int(used * 100 / total)))


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    action: str
    label: str
    actor: str
    role: str
    department: str
    reason: str
    details: list[str]
    from_state: str
    to_state: str
    is_automatic: bool


def _names(departments: Any) -> str:
    return "、".join(d["name"] for d in departments or [] if d)


def _event_details(event: TicketEvent) -> list[str]:
    """The facts of one history row in words (from the `data` the effects recorded)."""
    data = event.data or {}
    out: list[str] = []
    if lead := data.get("lead_department"):
        out.append(f"主办：{lead['name']}")
    if assisting := _names(data.get("assisting_departments")):
        out.append(f"协办：{assisting}")
    if previous := data.get("previous_lead_department"):
        out.append(f"原主办：{previous['name']}")
    if returned := data.get("returned_by_department"):
        out.append(f"退单单位：{returned['name']}")
    if (category := data.get("category")) and isinstance(category, dict) and category.get("name"):
        out.append(f"分类：{category['name']}")
    if instruction := data.get("instruction"):
        out.append(f"批示：{instruction}")
    if extension := data.get("extension"):
        if extension.get("requested_days") is not None:
            out.append(f"申请延期 {_days(extension['requested_days'])} 个工作日")
        if (
            extension.get("granted_days") is not None
            and extension.get("decision") == ExtensionDecision.APPROVED
        ):
            out.append(f"批准延期 {_days(extension['granted_days'])} 个工作日")
    if follow_up := data.get("follow_up"):
        out.append(
            f"{_label(FollowUpMethod, follow_up.get('method'))}："
            f"{'已解决' if follow_up.get('is_resolved') else '未解决'}，"
            f"{_label(Satisfaction, follow_up.get('satisfaction'))}"
        )
    if data.get("automatic") and event.action == A.REOPEN:
        out.append("回访不满意，自动重办")
    if data.get("reopen_limit_reached"):
        out.append("已达重办次数上限，不满意仍办结")
    if data.get("reopen_count"):
        out.append(f"第 {data['reopen_count']} 次重办")
    if time_limit := data.get("time_limit"):
        out.append(f"时限：{time_limit}")
    if data.get("paused_hours") not in (None, "", 0, "0"):
        out.append(f"暂停 {_days(data['paused_hours'])} 个工作小时")
    if (reply := data.get("reply")) and (attachments := reply.get("attachment_ids")):
        out.append(f"附件 {len(attachments)} 个")
    if merged := data.get("merged_into"):
        out.append(f"并入 {merged['number']}")
    if event.action == A.SUPERVISE and data.get("level"):
        out.append(_label(SupervisionLevel, data["level"]))
    if data.get("withdrawn_extension_id"):
        out.append("待审批的延期申请已自动撤销")
    return out


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _days(value: Any) -> str:
    number = Decimal(str(value))
    return f"{number.normalize():f}" if number == number.to_integral() else f"{number:f}".rstrip("0")


def _state_label(value: str) -> str:
    return _label(TicketState, value) if value else ""


def timeline(*, ticket: Ticket) -> list[TimelineEntry]:
    """The ticket's history (selectors.ticket_history) with Chinese labels for action, role and states."""
    entries = []
    for event in selectors.ticket_history(ticket=ticket):
        entries.append(
            TimelineEntry(
                at=event.at,
                action=event.action,
                label=_label(TicketAction, event.action),
                actor=str(event.actor) if event.actor_id else "系统",
                role=_label(Role, event.role) if event.role else ("" if event.actor_id else "自动"),
                department=event.department.name if event.department_id and event.department else "",
                reason=event.reason,
                details=_event_details(event),
                from_state=_state_label(event.from_state),
                to_state=_state_label(event.to_state),
                is_automatic=not event.actor_id,
            )
        )
    return entries


@dataclass
class Suggestion:
    """The classifier's suggestion for an appeal, with category names (top3 stores codes)."""

    category: Category | None
    confidence: Decimal | None
    top3: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, percent)
    version: str = ""

    @property
    def percent(self) -> int | None:
        return None if self.confidence is None else round(self.confidence * 100)


def suggestions_for(appeals: list[Appeal]) -> dict[int, Suggestion]:
    """One Suggestion per appeal that has one (one query for the names of every top-3 code)."""
    codes = {str(item.get("category")) for a in appeals for item in (a.top3 or []) if isinstance(item, dict)}
    names = {c.code: str(c) for c in Category.objects.filter(code__in=codes).select_related("parent")}
    found: dict[int, Suggestion] = {}
    for appeal in appeals:
        if appeal.suggested_category_id is None and not appeal.top3:
            continue
        top3 = []
        for item in appeal.top3 or []:
            if not isinstance(item, dict):
                continue
            code = str(item.get("category"))
            try:
                percent = round(float(item.get("confidence") or 0) * 100)
            except (TypeError, ValueError):
                percent = 0
            top3.append((code, names.get(code, code), percent))
        found[appeal.pk] = Suggestion(
            category=appeal.suggested_category,
            confidence=appeal.confidence,
            top3=top3,
            version=appeal.classifier_version,
        )
    return found
