"""Keeping the metrics' fact rows (AppealFact) and sums (sums.py) in step with the tickets.

Why a fact table. The metrics page must answer for a year of a large city (2,000,000 appeals) in
under a second; recomputing handling times in working days and scanning ticket histories at that
scale is out of the question. So each appeal's measures are computed once per change of its ticket,
here, and added to the per-day and per-month sums that the page reads.

When. `refresh_appeal_fact(ticket=...)` is meant to run after every committed transition of a
ticket and after registration (the appeals services call it on commit). It is idempotent: it
recomputes the whole fact from the ticket, its history, replies and follow-ups, and applies only
the difference to the sums, so running it twice, late, or for a ticket that did not change is
harmless. `refresh_appeal_facts` does the same for many tickets (all, or those updated since a
moment: Ticket.updated_at moves on every transition), for a scheduled catch-up and for back-fills;
`rebuild.rebuild_appeal_sums` rebuilds every sum from the facts.

The definitions (which date, which tickets count) are in docs/metrics.md; the code follows them:
* handling time: office time from registration to close, in working days (core.workdays), for
  handled tickets (closed, not merged, not a direct reply), pauses included;
* department handling time: for each round of the lead department, office time from its acceptance
  (签收) to the submission of the reply the dispatcher approved, minus the office time the ticket
  was paused waiting for the enterprise; only the rounds of the ticket's current lead department;
* on time: that approved reply was submitted by the deadline in force (extensions and pauses
  included; a reopened ticket is judged on its last round, which got a fresh limit);
* follow-up: the ticket's last follow-up decides resolved and satisfied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from huiqi.appeals.enums import Closure, ReplyStatus, TicketAction, TicketState
from huiqi.appeals.metrics import sums
from huiqi.appeals.metrics.models import AppealFact
from huiqi.appeals.metrics.terms import extract_terms, join_terms
from huiqi.appeals.models import FollowUp, Reply, Ticket, TicketEvent
from huiqi.core import workdays

A = TicketAction
ZERO = Decimal(0)

#: The fields of a fact that a refresh compares (everything but the refresh time).
FACT_FIELDS = (
    "registered_on",
    "closed_on",
    "followed_up_on",
    "channel",
    "kind",
    "category_id",
    "category_l1_id",
    "department_id",
    "is_merged",
    "is_direct_reply",
    "is_closed",
    "handling_days",
    "is_on_time",
    "reopen_count",
    "department_rounds",
    "department_days",
    "is_resolved",
    "satisfaction",
    "terms",
)


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def working_days(start: dt.datetime, end: dt.datetime) -> Decimal:
    """Office time between two moments in working days (never negative)."""
    if end <= start:
        return ZERO
    return workdays.working_time_between(start, end).value


def department_rounds(events: Iterable[TicketEvent]) -> list[tuple[int, Decimal]]:
    """(lead department id, working days) of each round that ended in an approved reply: from the
    acceptance (签收) to the submission of the reply the dispatcher approved, pauses taken out.

    A round is abandoned by a return (退单), a redispatch (转派) or a reopening before the
    department accepts again; a reply sent back (退回答复) keeps the round going until the next
    submission."""
    lead = 0
    started: dt.datetime | None = None
    submitted: dt.datetime | None = None
    paused_since: dt.datetime | None = None
    paused = ZERO
    rounds: list[tuple[int, Decimal]] = []
    for event in events:
        action = event.action
        if action in (A.DISPATCH, A.REDISPATCH):
            lead = int(((event.data or {}).get("lead_department") or {}).get("id") or 0)
            started = submitted = paused_since = None
        elif action == A.RETURN:
            lead = 0
            started = submitted = paused_since = None
        elif action == A.REOPEN:
            started = submitted = paused_since = None
        elif action == A.ACCEPT:
            started, submitted, paused_since, paused = event.at, None, None, ZERO
        elif action == A.PAUSE:
            paused_since = event.at
        elif action == A.RESUME and paused_since is not None:
            paused += working_days(paused_since, event.at)
            paused_since = None
        elif action == A.SUBMIT_REPLY:
            submitted = event.at
        elif action == A.SEND_BACK_REPLY:
            submitted = None
        elif action == A.APPROVE_REPLY:
            if started is not None and submitted is not None:
                rounds.append((lead, max(ZERO, working_days(started, submitted) - paused)))
            started = submitted = None
    return rounds


def compute_fact(
    *,
    ticket: Ticket,
    events: Sequence[TicketEvent],
    approved_reply: Reply | None,
    last_follow_up: FollowUp | None,
    terms: str,
    now: dt.datetime,
) -> AppealFact:
    """The fact of the ticket's appeal (not saved), by the definitions of the module docstring."""
    appeal = ticket.appeal
    category = appeal.category
    is_closed = ticket.state == TicketState.CLOSED and ticket.closed_at is not None
    is_merged = ticket.closure == Closure.MERGED or appeal.merged_into_id is not None
    is_direct = bool(appeal.is_direct_reply) or ticket.closure == Closure.DIRECT_REPLY
    handled = is_closed and not is_merged and not is_direct
    fact = AppealFact(
        appeal_id=appeal.pk,
        registered_on=local_date(appeal.registered_at),
        closed_on=local_date(ticket.closed_at) if is_closed and ticket.closed_at else None,
        followed_up_on=local_date(last_follow_up.recorded_at) if last_follow_up else None,
        channel=appeal.channel,
        kind=appeal.kind,
        category_id=category.pk if category else 0,
        category_l1_id=(category.parent_id or category.pk) if category else 0,
        department_id=ticket.lead_department_id or 0,
        is_merged=is_merged,
        is_direct_reply=is_direct and not is_merged,
        is_closed=is_closed,
        handling_days=None,
        is_on_time=None,
        reopen_count=ticket.reopen_count,
        department_rounds=0,
        department_days=ZERO,
        is_resolved=last_follow_up.is_resolved if last_follow_up else None,
        satisfaction=last_follow_up.satisfaction if last_follow_up else "",
        terms=terms,
        refreshed_at=now,
    )
    if handled and ticket.closed_at is not None:
        fact.handling_days = working_days(appeal.registered_at, ticket.closed_at)
        answered_at = approved_reply.submitted_at if approved_reply is not None else ticket.closed_at
        fact.is_on_time = answered_at <= ticket.deadline_at
        own = [days for department, days in department_rounds(events) if department == fact.department_id]
        fact.department_rounds = len(own)
        fact.department_days = sum(own, ZERO)
    return fact


def _same(old: AppealFact, new: AppealFact) -> bool:
    def norm(value: Any) -> Any:
        return Decimal(value).quantize(Decimal("0.0001")) if isinstance(value, Decimal | float) else value

    return all(norm(getattr(old, f)) == norm(getattr(new, f)) for f in FACT_FIELDS)


def _inputs(ticket: Ticket) -> tuple[list[TicketEvent], Reply | None, FollowUp | None]:
    events = list(ticket.events.order_by("id").only("action", "at", "data"))
    approved = ticket.replies.filter(status=ReplyStatus.APPROVED).order_by("-id").first()
    follow_up = ticket.follow_ups.order_by("-recorded_at", "-id").first()
    return events, approved, follow_up


def refresh_appeal_fact(*, ticket: Ticket | int) -> AppealFact:
    """Recomputes the fact of the ticket's appeal and moves the sums by the difference.

    Call it after a transition has committed (transaction.on_commit); it locks the ticket row, so a
    refresh waits for a transition in progress on the same ticket and then sees its result."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.pk
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _refresh(ticket_id)
        except IntegrityError:  # another refresh inserted the first fact of this appeal meanwhile
            if attempt:
                raise
    raise AssertionError("unreachable")


def _refresh(ticket_id: int) -> AppealFact:
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("appeal", "appeal__category")
        .get(pk=ticket_id)
    )
    appeal = locked.appeal
    old = AppealFact.objects.select_for_update().filter(appeal_id=appeal.pk).first()
    terms = old.terms if old is not None else join_terms(extract_terms(appeal.title, appeal.content))
    events, approved, follow_up = _inputs(locked)
    new = compute_fact(
        ticket=locked,
        events=events,
        approved_reply=approved,
        last_follow_up=follow_up,
        terms=terms,
        now=timezone.now(),
    )
    if old is not None and _same(old, new):
        return old
    sums.apply_change(old=old, new=new)
    new.save(force_insert=old is None, force_update=old is not None)
    return new


def refresh_appeal_fact_on_commit(*, ticket_id: int) -> None:
    """Schedules refresh_appeal_fact for when the current transaction commits: the one line the
    workflow adds after a transition (and intake after a registration). robust=True: a failure is
    logged and the transition stands; `huiqi rebuild_appeal_metrics --updated-since` catches up."""
    transaction.on_commit(lambda: refresh_appeal_fact(ticket=ticket_id), robust=True)


def refresh_appeal_facts(
    *,
    ticket_ids: Iterable[int] | None = None,
    updated_since: dt.datetime | None = None,
    progress: Any = None,
) -> int:
    """Refreshes the facts of the given tickets, of those updated since a moment, or of all (a
    catch-up after a missed refresh, or the first fill). Returns how many tickets were looked at."""
    queryset = Ticket.objects.order_by("id")
    if ticket_ids is not None:
        queryset = queryset.filter(pk__in=list(ticket_ids))
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    count = 0
    for ticket_id in list(queryset.values_list("pk", flat=True)):
        refresh_appeal_fact(ticket=ticket_id)
        count += 1
        if progress is not None:
            progress(count)
    return count


def rebuild_appeal_facts(*, chunk_size: int = 2000, progress: Any = None) -> int:
    """Recomputes every fact in bulk (a first fill or a change of definitions), without touching the
    sums: call rebuild.rebuild_appeal_sums() afterwards. Terms already extracted are kept. Returns the
    number of facts written."""
    from django.db.models import Prefetch

    ids = list(Ticket.objects.order_by("id").values_list("pk", flat=True))
    now = timezone.now()
    written = 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        tickets = (
            Ticket.objects.filter(pk__in=chunk)
            .select_related("appeal", "appeal__category")
            .prefetch_related(
                Prefetch(
                    "events",
                    queryset=TicketEvent.objects.order_by("id").only("ticket_id", "action", "at", "data"),
                ),
                Prefetch(
                    "replies", queryset=Reply.objects.filter(status=ReplyStatus.APPROVED).order_by("id")
                ),
                Prefetch("follow_ups", queryset=FollowUp.objects.order_by("recorded_at", "id")),
            )
        )
        old_terms = dict(
            AppealFact.objects.filter(appeal__ticket__in=chunk).values_list("appeal_id", "terms")
        )
        facts = []
        for ticket in tickets:
            appeal = ticket.appeal
            terms = old_terms.get(appeal.pk)
            if terms is None:
                terms = join_terms(extract_terms(appeal.title, appeal.content))
            replies = list(ticket.replies.all())
            follow_ups = list(ticket.follow_ups.all())
            facts.append(
                compute_fact(
                    ticket=ticket,
                    events=list(ticket.events.all()),
                    approved_reply=replies[-1] if replies else None,
                    last_follow_up=follow_ups[-1] if follow_ups else None,
                    terms=terms,
                    now=now,
                )
            )
        with transaction.atomic():
            AppealFact.objects.filter(appeal_id__in=[f.appeal_id for f in facts]).delete()
            AppealFact.objects.bulk_create(facts)
        written += len(facts)
        if progress is not None:
            progress(written)
    return written
