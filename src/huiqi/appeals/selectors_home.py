"""The appeals' figures on each role's 工作台 (core.home): how much work waits in each queue.

core.home may import this module (a selectors module) but never the appeals' models; it owns the
labels, links and tones, this module only counts. Everyone lands on the 工作台 after signing in,
so every figure is one indexed count:

* each count filters on the ticket state first (the state indexes of Ticket), and open tickets are
  a small share of a year's two million, whatever the department scope adds;
* a department's scope is written as "lead department in the subtree, or an assisting row of it"
  (the same rule as selectors.tickets_visible_to, without its subquery over every ticket);
* the leader's month figures come from the metrics' monthly sums (a few hundred rows), never from
  the tickets.

The counts match the queue pages they link to (department_work_queue tabs, dispatcher tabs,
supervision_overview), so the number on the 工作台 is the number the page shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals.enums import ExtensionDecision, TicketState
from huiqi.appeals.metrics.figures import Rate
from huiqi.appeals.metrics.models import AppealMonthlyStats
from huiqi.appeals.models import Appeal, Extension, Supervision, Ticket
from huiqi.appeals.workflow import CLOCK_RUNNING_STATES, OPEN_STATES

S = TicketState
Counts = dict[str, int | str]
#: A department's running clocks, as its queue counts them (tickets awaiting dispatch or an
#: instruction are the centre's and the leaders', not the department's, even after a return).
DEPARTMENT_RUNNING_STATES = CLOCK_RUNNING_STATES - {S.AWAITING_DISPATCH, S.AWAITING_INSTRUCTION}


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _department_q(scope: set[int] | None, prefix: str = "") -> Q:
    """Tickets led or assisted by the departments of `scope` (None: every ticket)."""
    if scope is None:
        return Q()
    assisted = Ticket.assisting_departments.through.objects.filter(department_id__in=scope).values(
        "ticket_id"
    )
    ids = sorted(scope)
    return Q(**{f"{prefix}lead_department_id__in": ids}) | Q(**{f"{prefix}pk__in": assisted})


def _tickets(scope: set[int] | None, *states: str) -> Any:
    return Ticket.objects.filter(_department_q(scope), state__in=states)


def _overdue_and_warning(scope: set[int] | None, now: dt.datetime, states: frozenset[str]) -> Counts:
    running = _tickets(scope, *states)
    return {
        "overdue": running.filter(deadline_at__lt=now).count(),
        "warning": running.filter(warning_at__lte=now, deadline_at__gte=now).count(),
    }


def _start_of_day(now: dt.datetime) -> dt.datetime:
    day = timezone.localtime(now).date()
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _month_figures(scope: set[int] | None, now: dt.datetime) -> Counts:
    """This month so far, from the monthly sums: appeals registered (受理量) and the on-time rate
    of the handled tickets closed this month (docs/metrics.md, 按时办结率)."""
    month = timezone.localtime(now).date().replace(day=1)
    cells = AppealMonthlyStats.objects.filter(month=month)
    if scope is not None:
        cells = cells.filter(department_id__in=sorted(scope))
    sums = cells.aggregate(registered=Sum("registered"), on_time=Sum("on_time"), closed=Sum("handled_closed"))
    on_time, closed = sums["on_time"] or 0, sums["closed"] or 0
    return {
        "month_registered": sums["registered"] or 0,
        "month_handled_closed": closed,
        "month_on_time_rate": Rate(on_time, closed).percent,
    }


def workbench_counts(*, user: Any, now: dt.datetime | None = None) -> Counts:
    """The counts of `user`'s role, by key (an empty dict for roles without appeals work):

    agent       registered_today (by this agent), awaiting_follow_up
    dispatcher  awaiting_dispatch, replies_to_review, extensions_to_approve
    handler     to_accept, in_handling, warning, overdue (their department subtree, led or assisted)
    supervisor  overdue, warning, open_supervisions
    leader      mayor_line_pending, month_registered, month_handled_closed, month_on_time_rate
                (a "95.8%" string, "—" when nothing was closed); a district leader's are scoped
    enterprise  open_appeals, awaiting_evaluation (the appeals of its own enterprises)
    """
    if not _signed_in(user):
        return {}
    now = now or timezone.now()
    role = user.role
    if role == Role.ENTERPRISE:
        enterprises = account_selectors.enterprise_ids_for(user)
        own = Ticket.objects.filter(appeal__enterprise_id__in=enterprises)
        return {
            "open_appeals": own.filter(state__in=OPEN_STATES).count(),
            "awaiting_evaluation": own.filter(state=S.REPLIED).count(),
        }
    scope = account_selectors.work_department_ids_for(user)
    if scope is not None and not scope:
        return {}
    if role == Role.AGENT:
        return {
            "registered_today": Appeal.objects.filter(
                registered_by=user, registered_at__gte=_start_of_day(now)
            ).count(),
            "awaiting_follow_up": _tickets(scope, S.REPLIED).count(),
        }
    if role == Role.DISPATCHER:
        return {
            "awaiting_dispatch": _tickets(scope, S.AWAITING_DISPATCH).count(),
            "replies_to_review": _tickets(scope, S.REPLY_REVIEW).count(),
            "extensions_to_approve": Extension.objects.filter(
                _department_q(scope, "ticket__"), decision=ExtensionDecision.PENDING
            ).count(),
        }
    if role == Role.HANDLER:
        return {
            "to_accept": _tickets(scope, S.DISPATCHED).count(),
            "in_handling": _tickets(scope, S.ACCEPTED).count(),
            **_overdue_and_warning(scope, now, DEPARTMENT_RUNNING_STATES),
        }
    if role == Role.SUPERVISOR:
        return {
            **_overdue_and_warning(scope, now, CLOCK_RUNNING_STATES),
            "open_supervisions": Supervision.objects.filter(
                _department_q(scope, "ticket__"), ticket__state__in=OPEN_STATES
            ).count(),
        }
    if role == Role.LEADER:
        return {
            "mayor_line_pending": _tickets(scope, S.AWAITING_INSTRUCTION).count(),
            **_month_figures(scope, now),
        }
    return {}
