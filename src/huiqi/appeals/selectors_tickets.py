"""Reads behind the ticket pages (工单页面): the work queues of each role, the rows a ticket page lists,
the actions it offers, and the routing rules' suggestion (what it shows in words: ticket_display.py).

Why a module beside selectors.py: selectors.py holds the reads every part of the app shares (scope,
queues the services use); this one holds what only the pages need, so the engineers working on
intake, API and pages do not edit one file at once. Who sees which ticket is still decided by
selectors.tickets_visible_to; the queues add which roles the queue is for.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.appeals import selectors
from huiqi.appeals.enums import (
    ExtensionDecision,
    ReplyStatus,
    TicketAction,
    TicketState,
)
from huiqi.appeals.models import Appeal, Attachment, Reply, Supervision, Ticket
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
