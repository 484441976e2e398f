"""Reads of appeals and tickets, with who sees what (issue 3, "Permissions and privacy").

* Staff who work city-wide (agent, dispatcher, supervisor, a city leader, the system administrator)
  see every ticket; department staff (handler, a district leader) the tickets their department
  subtree leads or assists (accounts.selectors.work_department_ids_for); an enterprise user the
  appeals of its own enterprises; the security and audit administrators none.
* The caller's phone is shown in full only to the roles that call back (enterprises.selectors
  .can_see_full_phone: agent, specialist, system administrator, and the enterprise itself).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals.enums import Priority, TicketAction, TicketState
from huiqi.appeals.models import Appeal, Category, Extension, Supervision, Ticket, TicketEvent
from huiqi.appeals.workflow import CLOCK_RUNNING_STATES, allowed_actions
from huiqi.core.errors import NotFoundError, PermissionDeniedError
from huiqi.enterprises import selectors as enterprise_selectors

PRIORITY_RANK = Case(
    When(appeal__priority=Priority.URGENT, then=Value(0)),
    When(appeal__priority=Priority.HIGH, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _ticket_scope(user: Any) -> Q | None:
    """None: every ticket; a Q: those tickets; raises for users who see none."""
    if not _signed_in(user):
        raise PermissionDeniedError("请先登录。")
    if user.role == Role.ENTERPRISE:
        return Q(appeal__enterprise_id__in=account_selectors.enterprise_ids_for(user))
    scope = account_selectors.work_department_ids_for(user)
    if scope is None:
        return None
    if not scope:
        raise PermissionDeniedError("您的角色不查阅企业诉求工单。")
    return Q(lead_department_id__in=scope) | Q(assisting_departments__in=scope)


def tickets_visible_to(*, user: Any) -> QuerySet[Ticket]:
    scope = _ticket_scope(user)
    queryset = Ticket.objects.select_related(
        "appeal", "appeal__enterprise", "appeal__category", "lead_department"
    )
    if scope is None:
        return queryset
    return queryset.filter(pk__in=Ticket.objects.filter(scope).values("pk"))


def appeals_visible_to(*, user: Any) -> QuerySet[Appeal]:
    return Appeal.objects.filter(ticket__in=tickets_visible_to(user=user).values("pk")).select_related(
        "enterprise", "category", "ticket"
    )


def get_ticket(*, user: Any, ticket_id: int) -> Ticket:
    ticket = tickets_visible_to(user=user).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFoundError(f"工单 {ticket_id} 不存在或无权查看。")
    return ticket


def get_appeal(*, user: Any, number: str) -> Appeal:
    appeal = appeals_visible_to(user=user).filter(number=number.strip()).first()
    if appeal is None:
        raise NotFoundError(f"诉求 {number} 不存在或无权查看。")
    return appeal


def find_appeal_by_external_id(*, source_system: str, external_id: str) -> Appeal | None:
    """For the push API: whether this external id was registered already (no user scope: system)."""
    return Appeal.objects.filter(source_system=source_system, external_id=external_id).first()


def ticket_history(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor", "department").order_by("id")


def allowed_actions_for(*, user: Any, ticket: Ticket) -> list[TicketAction]:
    """The buttons to show (the service checks again, with scope and guards)."""
    return allowed_actions(state=ticket.state, role=getattr(user, "role", None))


def pending_extension(*, ticket: Ticket) -> Extension | None:
    return ticket.extensions.filter(decision="pending").first()


def dispatch_queue(*, user: Any) -> QuerySet[Ticket]:
    """Tickets waiting for a dispatcher: urgent, then high priority, then oldest first."""
    return (
        tickets_visible_to(user=user)
        .filter(state=TicketState.AWAITING_DISPATCH)
        .annotate(priority_rank=PRIORITY_RANK)
        .order_by("priority_rank", "appeal__registered_at", "id")
    )


def mayor_line_queue(*, user: Any) -> QuerySet[Ticket]:
    """The leaders' queue: mayor-line appeals waiting for an instruction (批示), oldest first."""
    return (
        tickets_visible_to(user=user)
        .filter(state=TicketState.AWAITING_INSTRUCTION)
        .order_by("appeal__registered_at", "id")
    )


def department_queue(*, user: Any) -> QuerySet[Ticket]:
    """A department's open tickets, nearest deadline first."""
    return (
        tickets_visible_to(user=user)
        .exclude(
            state__in=[TicketState.CLOSED, TicketState.AWAITING_DISPATCH, TicketState.AWAITING_INSTRUCTION]
        )
        .order_by("deadline_at", "id")
    )


def tickets_overdue(*, user: Any | None = None, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Tickets whose clock runs and whose deadline has passed (no user: all, for the system)."""
    now = now or timezone.now()
    queryset = tickets_visible_to(user=user) if user is not None else Ticket.objects.all()
    return queryset.filter(state__in=CLOCK_RUNNING_STATES, deadline_at__lt=now).order_by("deadline_at", "id")


def tickets_in_warning(*, user: Any | None = None, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Tickets past 80% of their limit and not yet overdue."""
    now = now or timezone.now()
    queryset = tickets_visible_to(user=user) if user is not None else Ticket.objects.all()
    return queryset.filter(
        state__in=CLOCK_RUNNING_STATES, warning_at__lte=now, deadline_at__gte=now
    ).order_by("deadline_at", "id")


def supervision_queue(*, user: Any) -> QuerySet[Supervision]:
    """Supervisions of tickets still open, newest first (the supervisors' queue)."""
    tickets = tickets_visible_to(user=user).exclude(state=TicketState.CLOSED).values("pk")
    return Supervision.objects.filter(ticket__in=tickets).select_related(
        "ticket", "ticket__appeal", "department"
    )


def recent_appeals_of(*, user: Any, enterprise_id: int, limit: int = 5) -> list[Appeal]:
    """The enterprise's latest appeals (the hotline page shows them while the caller waits)."""
    return list(
        appeals_visible_to(user=user).filter(enterprise_id=enterprise_id).order_by("-registered_at")[:limit]
    )


def enterprises_for_caller(*, user: Any, phone: str) -> list[Any]:
    """Enterprises whose registered contact phone is the caller's number (the agent picks if several)."""
    if not enterprise_selectors.can_read_registry(user):
        raise PermissionDeniedError("您的角色不查阅市场主体库。")
    return enterprise_selectors.enterprises_with_contact_phone(phone=phone)


def caller_phone_for(*, user: Any, appeal: Appeal) -> str:
    """The caller's phone as this user may see it (masked for roles that do not call back)."""
    return enterprise_selectors.phone_for(user, appeal.caller_phone)


def categories(*, include_inactive: bool = False) -> QuerySet[Category]:
    """Every category, first-level ones before their children (parent order, then own order)."""
    queryset = Category.objects.select_related("parent")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("parent__sort_order", "parent__code", "sort_order", "code")


def category_tree(*, include_inactive: bool = False) -> list[tuple[Category, list[Category]]]:
    """The two-level tree: (first-level category, its children), in display order."""
    rows = list(categories(include_inactive=include_inactive))
    tops = [c for c in rows if c.parent_id is None]
    children: dict[int, list[Category]] = {c.pk: [] for c in tops}
    for c in rows:
        if c.parent_id in children:
            children[c.parent_id].append(c)
    tops.sort(key=lambda c: (c.sort_order, c.code))
    return [(top, sorted(children[top.pk], key=lambda c: (c.sort_order, c.code))) for top in tops]
