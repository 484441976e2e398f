"""Reads behind the ticket pages (工单页面): the work queues of each role, and what a ticket page shows
in words (its deadline as a share of the limit, its history, the classifier's suggestion by name).

Why a module beside selectors.py: selectors.py holds the reads every part of the app shares (scope,
queues the services use); this one holds what only the pages need, so the engineers working on
intake, API and pages do not edit one file at once. Who sees which ticket is still decided by
selectors.tickets_visible_to; the queues add which roles the queue is for.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.appeals import selectors
from huiqi.appeals.enums import (
    ExtensionDecision,
    FollowUpMethod,
    ReplyStatus,
    Satisfaction,
    SupervisionLevel,
    TicketAction,
    TicketState,
    TimeLimitUnit,
)
from huiqi.appeals.models import Appeal, Attachment, Category, Reply, Supervision, Ticket, TicketEvent
from huiqi.appeals.time_limits import office_hours_between
from huiqi.appeals.workflow import CLOCK_RUNNING_STATES, check_scope
from huiqi.core.errors import PermissionDeniedError

A, S = TicketAction, TicketState

DISPATCH_ROLES = (Role.DISPATCHER,)
DEPARTMENT_ROLES = (Role.HANDLER, Role.LEADER, Role.DISPATCHER, Role.SUPERVISOR)
SUPERVISION_ROLES = (Role.SUPERVISOR, Role.LEADER)
FOLLOW_UP_ROLES = (Role.AGENT,)
#: The states a department works in, in the order of the page's tabs.
DEPARTMENT_STATES = (S.DISPATCHED, S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW, S.REPLIED)


# --- queues ------------------------------------------------------------------------------------------


def dispatcher_queue(*, user: Any) -> QuerySet[Ticket]:
    """派单: tickets awaiting dispatch, urgent and red-list (high) first, then the oldest."""
    require_role(user, *DISPATCH_ROLES)
    return selectors.dispatch_queue(user=user).select_related(
        "appeal__suggested_category__parent", "appeal__category__parent", "appeal__similar_to"
    )


def reply_review_queue(*, user: Any) -> QuerySet[Ticket]:
    """答复审核: replies waiting for the dispatcher, nearest deadline first."""
    require_role(user, *DISPATCH_ROLES)
    return (
        selectors.tickets_visible_to(user=user)
        .filter(state=S.REPLY_REVIEW)
        .annotate(priority_rank=selectors.PRIORITY_RANK)
        .order_by("priority_rank", "deadline_at", "id")
    )


def extension_review_queue(*, user: Any) -> QuerySet[Ticket]:
    """延期审批: tickets with a pending extension request (dispatchers and supervisors decide)."""
    require_role(user, Role.DISPATCHER, Role.SUPERVISOR)
    return (
        selectors.tickets_visible_to(user=user)
        .filter(extensions__decision=ExtensionDecision.PENDING)
        .order_by("deadline_at", "id")
    )


def follow_up_queue(*, user: Any) -> QuerySet[Ticket]:
    """回访: replied tickets waiting for the agent's call, the longest waiting first."""
    require_role(user, *FOLLOW_UP_ROLES)
    return selectors.tickets_visible_to(user=user).filter(state=S.REPLIED).order_by("replied_at", "id")


@dataclass
class DepartmentQueue:
    tickets: QuerySet[Ticket]
    counts: dict[str, int]
    state: str  # "" = every open state
    overdue: int
    warning: int


def department_work_queue(*, user: Any, state: str = "", now: dt.datetime | None = None) -> DepartmentQueue:
    """部门工单: the department's open tickets (led or assisted), nearest deadline first; `state`
    narrows it to one state of DEPARTMENT_STATES. Counts per state, overdue and in warning."""
    require_role(user, *DEPARTMENT_ROLES)
    now = now or timezone.now()
    base = selectors.department_queue(user=user)
    counts = {row["state"]: row["n"] for row in base.order_by().values("state").annotate(n=Count("id"))}
    running = base.filter(state__in=CLOCK_RUNNING_STATES)
    tickets = base.filter(state=state) if state in DEPARTMENT_STATES else base
    return DepartmentQueue(
        tickets=tickets.prefetch_related("assisting_departments"),
        counts={s.value: counts.get(s.value, 0) for s in DEPARTMENT_STATES},
        state=state if state in DEPARTMENT_STATES else "",
        overdue=running.filter(deadline_at__lt=now).count(),
        warning=running.filter(warning_at__lte=now, deadline_at__gte=now).count(),
    )


@dataclass
class SupervisionOverview:
    overdue: list[Ticket]
    warning: list[Ticket]
    supervisions: list[Supervision]


def supervision_overview(
    *, user: Any, now: dt.datetime | None = None, limit: int = 200
) -> SupervisionOverview:
    """督办: overdue tickets, tickets in warning, and the supervisions of open tickets (newest first)."""
    require_role(user, *SUPERVISION_ROLES)
    now = now or timezone.now()
    supervised = Prefetch(
        "supervisions",
        queryset=Supervision.objects.order_by("-created_at", "-id"),
        to_attr="supervision_list",
    )
    return SupervisionOverview(
        overdue=list(selectors.tickets_overdue(user=user, now=now).prefetch_related(supervised)[:limit]),
        warning=list(selectors.tickets_in_warning(user=user, now=now).prefetch_related(supervised)[:limit]),
        supervisions=list(selectors.supervision_queue(user=user).select_related("created_by")[:limit]),
    )


# --- one ticket --------------------------------------------------------------------------------------


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


@dataclass
class TicketRecords:
    replies: list[Reply]
    follow_ups: list[Any]
    extensions: list[Any]
    supervisions: list[Supervision]
    appeal_attachments: list[Attachment]


def ticket_records(*, ticket: Ticket) -> TicketRecords:
    """The rows a ticket page lists: replies (with their files), follow-ups, extensions, supervisions."""
    replies = list(
        ticket.replies.select_related("author", "department", "reviewed_by").prefetch_related("attachments")
    )
    return TicketRecords(
        replies=replies,
        follow_ups=list(ticket.follow_ups.select_related("recorded_by")),
        extensions=list(ticket.extensions.select_related("requested_by", "decided_by")),
        supervisions=list(ticket.supervisions.select_related("created_by", "department")),
        appeal_attachments=list(ticket.appeal.attachments.filter(reply__isnull=True)),
    )


def actions_on_page(*, user: Any, ticket: Ticket) -> list[TicketAction]:
    """The actions to offer as forms: selectors.allowed_actions_for (state and role), narrowed to what
    would not be refused at once: the user's department leads the ticket (an assisting department
    reads it only), and the extension guards (one pending request; a decision needs one pending).
    Agents and enterprises reopen by a dissatisfied follow-up, so their separate reopen form is left out."""
    actions = selectors.allowed_actions_for(user=user, ticket=ticket)
    if not actions:
        return []
    try:
        check_scope(ticket=ticket, actor=user)
    except PermissionDeniedError:
        return []
    has_pending = selectors.pending_extension(ticket=ticket) is not None
    role = getattr(user, "role", None)
    kept = []
    for action in actions:
        if action == A.REQUEST_EXTENSION and has_pending:
            continue
        if action in (A.APPROVE_EXTENSION, A.REJECT_EXTENSION) and not has_pending:
            continue
        if action == A.REOPEN and role in (Role.AGENT, Role.ENTERPRISE) and A.RECORD_FOLLOW_UP in actions:
            continue
        kept.append(action)
    return kept


def leads_ticket(*, user: Any, ticket: Ticket) -> bool:
    """Whether the user's department (subtree) leads the ticket (主办) rather than assists (协办)."""
    scope = account_selectors.work_department_ids_for(user)
    return scope is None or ticket.lead_department_id in scope


def can_supervise(*, user: Any, ticket: Ticket) -> bool:
    """Whether to offer 督办 (services.supervise_ticket decides again): supervisors and leaders, on
    an open ticket in their scope."""
    if getattr(user, "role", None) not in SUPERVISION_ROLES or ticket.state == S.CLOSED:
        return False
    try:
        check_scope(ticket=ticket, actor=user)
    except PermissionDeniedError:
        return False
    return True


def pending_replies(*, ticket_ids: list[int]) -> list[Reply]:
    """The reply under review of each ticket (the review queue shows its text)."""
    return list(
        Reply.objects.filter(ticket_id__in=ticket_ids, status=ReplyStatus.PENDING_REVIEW)
        .select_related("author", "department")
        .order_by("ticket_id", "-id")
    )


def latest_approved_replies(*, ticket_ids: list[int]) -> list[Reply]:
    """The latest approved reply of each ticket (what the agent asks the enterprise about)."""
    latest: dict[int, Reply] = {}
    for reply in Reply.objects.filter(ticket_id__in=ticket_ids, status=ReplyStatus.APPROVED).order_by("id"):
        latest[reply.ticket_id] = reply
    return list(latest.values())


def _routing() -> Any | None:
    if importlib.util.find_spec("huiqi.appeals.routing") is None:
        return None
    return importlib.import_module("huiqi.appeals.routing")


def routes_for(appeals: list[Appeal]) -> dict[int, Any]:
    """The routing rules' suggestion per appeal (appeals.routing: RouteSuggestion with lead_department,
    assisting_departments, rule; lead_department None when no rule matches), for the appeal's category
    or else the classifier's suggested one. Empty while routing is not installed. Routing stays apart
    from classification (issue 3): it only pre-fills the dispatch form; the dispatcher decides."""
    routing = _routing()
    if routing is None:
        return {}
    if hasattr(routing, "active_rules") and hasattr(routing, "first_match"):
        rules = routing.active_rules()  # once for the whole queue page
        return {
            a.pk: routing.first_match(
                rules, category=a.category or a.suggested_category, enterprise=a.enterprise
            )
            for a in appeals
        }
    return {a.pk: routing.suggest_route(appeal=a) for a in appeals}


def route_for(*, appeal: Appeal) -> Any | None:
    return routes_for([appeal]).get(appeal.pk)
