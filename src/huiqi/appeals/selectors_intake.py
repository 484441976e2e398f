"""Reads of the intake pages: the enterprise card a hotline agent or a leader sees, an enterprise's own
appeals with their history told in plain Chinese, and the mayor line's entry conditions.

Who sees what is decided where it always is (appeals.selectors for appeals and tickets,
enterprises.selectors for the registry and phone masking); these functions only shape the rows.

Decisions where the issue is silent:
* The enterprise sees the history of its appeal without the internal steps (reclassification,
  extension requests, replies under review or sent back, supervision): what it is told is when the
  appeal was taken in, who handles it, when it waits for the enterprise itself, the reply, and the
  outcome. A leader's instruction is shown as the fact that a city leader gave one, not its text
  (an instruction is an internal direction to departments).
* The registered contacts on the card are the registry's contact phone and the platform accounts of
  the enterprise (法定代表人, 经办人) with their phones, masked for roles that do not call back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals import selectors
from huiqi.appeals.enums import (
    Channel,
    Closure,
    FollowUpMethod,
    Priority,
    ReplyStatus,
    Satisfaction,
    TicketAction,
    TicketState,
)
from huiqi.appeals.models import Appeal, Attachment, FollowUp, Reply, Ticket
from huiqi.appeals.workflow import TRANSITIONS_BY_KEY
from huiqi.enterprises import selectors as enterprise_selectors

S = TicketState
A = TicketAction

#: The ticket's state as the enterprise reads it (its own words, not the back office's).
ENTERPRISE_STATE_LABELS: dict[str, str] = {
    S.AWAITING_INSTRUCTION: "待市领导批示",
    S.AWAITING_DISPATCH: "已受理，正在分派",
    S.DISPATCHED: "已交承办单位",
    S.ACCEPTED: "办理中",
    S.PAUSED: "等待您补充情况",
    S.REPLY_REVIEW: "办理中",
    S.REPLIED: "已答复，待您评价",
    S.CLOSED: "已办结",
}
STATE_TONES: dict[str, str] = {
    S.AWAITING_INSTRUCTION: "danger",
    S.AWAITING_DISPATCH: "secondary",
    S.DISPATCHED: "info",
    S.ACCEPTED: "primary",
    S.PAUSED: "warning",
    S.REPLY_REVIEW: "primary",
    S.REPLIED: "warning",
    S.CLOSED: "success",
}
ANSWERED = (ReplyStatus.APPROVED, ReplyStatus.DIRECT)


def state_label_for_enterprise(state: str) -> str:
    return ENTERPRISE_STATE_LABELS.get(state, S(state).label if state in S.values else state)


# --- the enterprise card -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class RecentAppeal:
    appeal: Appeal
    state: str
    state_label: str
    tone: str


@dataclass
class EnterpriseCard:
    enterprise: Any
    region_label: str
    industry_label: str
    size_label: str
    contact_phone: str
    is_phone_masked: bool
    contacts: list[Contact] = field(default_factory=list)
    recent: list[RecentAppeal] = field(default_factory=list)
    open_count: int = 0


def enterprise_card(
    *, user: Any, enterprise: Any, recent: int = 5, exclude_appeal_id: int | None = None
) -> EnterpriseCard:
    """The card of one enterprise for `user` (phones masked per role), with its `recent` latest appeals
    that `user` may see (selectors.recent_appeals_of), leaving out the one on screen (`exclude_appeal_id`)."""
    can_see = enterprise_selectors.can_see_full_phone(user)
    contacts = [
        Contact(
            name=str(person),
            phone=enterprise_selectors.phone_for(user, person.phone),
        )
        for person in account_selectors.enterprise_users(enterprise_id=enterprise.pk)[:5]
    ]
    rows: list[RecentAppeal] = []
    if recent:
        for appeal in selectors.recent_appeals_of(user=user, enterprise_id=enterprise.pk, limit=recent + 1):
            if appeal.pk == exclude_appeal_id or len(rows) == recent:
                continue
            state = appeal.ticket.state
            rows.append(RecentAppeal(appeal, state, S(state).label, STATE_TONES.get(state, "secondary")))
    return EnterpriseCard(
        enterprise=enterprise,
        region_label=enterprise_selectors.region_label(enterprise.region_code),
        industry_label=enterprise_selectors.industry_label(enterprise.industry_code),
        size_label=enterprise.get_size_class_display() if enterprise.size_class else "无法判定",
        contact_phone=enterprise_selectors.phone_for(user, enterprise.contact_phone),
        is_phone_masked=not can_see and bool(enterprise.contact_phone),
        contacts=contacts,
        recent=rows,
        open_count=sum(1 for r in rows if r.state != S.CLOSED),
    )


def enterprise_by_uscc(*, user: Any, uscc: str) -> Any:
    """One enterprise `user` may read (NotFoundError / PermissionDeniedError otherwise)."""
    return enterprise_selectors.get_enterprise(user=user, uscc=uscc)


def search_registry(*, user: Any, q: str, limit: int = 8) -> list[Any]:
    """Enterprises by name or USCC, for an agent whose caller was not recognised by phone."""
    text = (q or "").strip()
    if len(text) < 2:
        return []
    return list(enterprise_selectors.search_enterprises(user=user, q=text)[:limit])


# --- an enterprise's own appeals -----------------------------------------------------------------------


def enterprises_of(*, user: Any) -> list[Any]:
    """The enterprises an enterprise user acts for (none for staff)."""
    if getattr(user, "role", None) != Role.ENTERPRISE:
        return []
    return list(enterprise_selectors.enterprises_visible_to(user=user).order_by("name"))


def red_list_enterprises_of(*, user: Any) -> list[Any]:
    """Those of them on the red list: who may use the mayor line (企业市长直通车)."""
    return [e for e in enterprises_of(user=user) if e.red_list]


def my_appeals(*, user: Any) -> QuerySet[Appeal]:
    """The appeals of the user's enterprises, newest first (appeals_visible_to: an enterprise sees its own)."""
    return selectors.appeals_visible_to(user=user).order_by("-registered_at", "-id")


def answered_replies(*, ticket: Ticket) -> list[Reply]:
    """The replies that reached the enterprise (approved, or given at intake), oldest first."""
    return list(
        ticket.replies.filter(status__in=ANSWERED)
        .select_related("department")
        .prefetch_related("attachments")
    )


def follow_ups(*, ticket: Ticket) -> list[FollowUp]:
    return list(ticket.follow_ups.order_by("id"))


def appeal_attachments(*, appeal: Appeal) -> list[Attachment]:
    """The files sent with the appeal itself (not those of replies)."""
    return list(appeal.attachments.filter(reply__isnull=True).order_by("id"))


def awaits_follow_up(*, ticket: Ticket) -> bool:
    """Whether the enterprise may evaluate now: a replied ticket, or one closed without a follow-up
    (a direct reply, or closed unreachable) whose last reply has not been evaluated (workflow.py)."""
    transition = TRANSITIONS_BY_KEY.get((A.RECORD_FOLLOW_UP, S(ticket.state)))
    if transition is None or Role.ENTERPRISE not in transition.roles:
        return False
    return transition.guard is None or transition.guard(ticket) is None


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    title: str
    detail: str = ""
    icon: str = "circle"
    tone: str = "secondary"


def _name(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value.get("name") or "") if isinstance(value, dict) else ""


def _follow_up_words(data: dict[str, Any]) -> str:
    follow_up = data.get("follow_up") or {}
    satisfaction = follow_up.get("satisfaction")
    label = Satisfaction(satisfaction).label if satisfaction in Satisfaction.values else ""
    method = follow_up.get("method")
    how = "您在网上评价" if method == FollowUpMethod.ONLINE else "电话回访"
    resolved = "已解决" if follow_up.get("is_resolved") else "未解决"
    return f"{how}：{resolved}，{label}" if label else how


def enterprise_timeline(*, ticket: Ticket) -> list[TimelineEntry]:
    """The appeal's history for the enterprise, oldest first (module docstring: internal steps left out)."""
    entries: list[TimelineEntry] = []
    appeal = ticket.appeal
    for event in selectors.ticket_history(ticket=ticket):
        data = event.data or {}
        department = event.department.name if event.department_id and event.department else "承办单位"
        action = event.action
        entry: TimelineEntry | None = None
        if action == A.REGISTER:
            channel = Channel(appeal.channel).label if appeal.channel in Channel.values else appeal.channel
            entry = TimelineEntry(
                event.at, "诉求已受理", f"编号 {appeal.number}，受理渠道：{channel}。", "inbox", "primary"
            )
        elif action == A.INSTRUCT:
            priority = (data.get("priority") or {}).get("to")
            words = f"，列为“{Priority(priority).label}”办理" if priority in Priority.values else ""
            entry = TimelineEntry(
                event.at, "市领导已批示", f"市领导已对您的诉求作出批示{words}。", "pen", "danger"
            )
        elif action == A.DISPATCH:
            lead = _name(data, "lead_department") or "承办单位"
            helpers = "、".join(d.get("name", "") for d in data.get("assisting_departments") or [] if d)
            detail = f"由{lead}主办" + (f"，{helpers}协办。" if helpers else "。")
            entry = TimelineEntry(event.at, f"已交{lead}办理", detail, "send", "info")
        elif action == A.REDISPATCH:
            lead = _name(data, "lead_department") or "承办单位"
            entry = TimelineEntry(event.at, f"已转交{lead}办理", "", "arrow-left-right", "info")
        elif action == A.ACCEPT:
            entry = TimelineEntry(event.at, f"{department}已签收", "开始办理。", "check2-square", "primary")
        elif action == A.RETURN:
            entry = TimelineEntry(event.at, "正在重新确定承办单位", "", "arrow-repeat", "secondary")
        elif action == A.APPROVE_EXTENSION:
            days = (data.get("extension") or {}).get("granted_days")
            entry = TimelineEntry(
                event.at,
                "办理期限已延长",
                f"延长 {days} 个工作日。" if days else "",
                "hourglass-split",
                "warning",
            )
        elif action == A.PAUSE:
            entry = TimelineEntry(
                event.at, "需要您补充情况", f"承办单位需要您补充：{event.reason}", "pause-circle", "warning"
            )
        elif action == A.RESUME:
            entry = TimelineEntry(event.at, "已恢复办理", "", "play-circle", "primary")
        elif action == A.APPROVE_REPLY:
            entry = TimelineEntry(
                event.at, "已答复", "承办单位的答复已审核送达。", "chat-left-text", "success"
            )
        elif action == A.DIRECT_REPLY:
            entry = TimelineEntry(
                event.at, "已当场答复", "受理时即作答复，诉求办结。", "chat-left-text", "success"
            )
        elif action == A.RECORD_FOLLOW_UP:
            closed = event.to_state == S.CLOSED and event.from_state != S.CLOSED
            entry = TimelineEntry(
                event.at,
                "回访" + ("，诉求办结" if closed else ""),
                _follow_up_words(data) + "。",
                "star",
                "success",
            )
        elif action == A.REOPEN:
            detail = _follow_up_words(data) + "。" if data.get("follow_up") else ""
            entry = TimelineEntry(
                event.at, "重新办理", detail + "已退回承办单位重新办理。", "arrow-counterclockwise", "danger"
            )
        elif action == A.CLOSE:
            entry = TimelineEntry(event.at, "诉求已办结", "", "check-circle", "success")
        elif action == A.MERGE:
            number = (data.get("merged_into") or {}).get("number", "")
            entry = TimelineEntry(
                event.at, "已合并办理", f"与诉求 {number} 为同一事项，合并办理。", "union", "secondary"
            )
        if entry is not None:
            entries.append(entry)
    return entries


def closure_words(ticket: Ticket) -> str:
    return Closure(ticket.closure).label if ticket.closure in Closure.values else ""


# --- the leaders' queue --------------------------------------------------------------------------------


def mayor_line_pending(*, user: Any) -> list[Ticket]:
    """Mayor-line appeals waiting for a leader's instruction, oldest first (selectors.mayor_line_queue)."""
    return list(selectors.mayor_line_queue(user=user))


def recently_instructed(*, user: Any, limit: int = 8) -> list[Appeal]:
    """The mayor-line appeals instructed most recently (what the leader's instruction set going)."""
    return list(
        selectors.appeals_visible_to(user=user)
        .filter(channel=Channel.MAYOR_LINE, instructed_at__isnull=False)
        .select_related("instructed_by")
        .order_by("-instructed_at")[:limit]
    )
