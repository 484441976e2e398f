"""One service per ticket action: thin, named wrappers over workflow.perform_transition.

Every one takes the `expected_version` the caller saw (ticket.version when its page or API response
was rendered): if someone acted on the ticket since, TicketVersionConflictError (a ConflictError)
says who did what, and nothing is changed. Each returns the updated ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from huiqi.appeals.enums import TicketAction
from huiqi.appeals.models import Appeal, Category, Ticket
from huiqi.appeals.workflow import perform_transition

if TYPE_CHECKING:
    from huiqi.accounts.models import Department, User

A = TicketAction


def record_leader_instruction(
    *, actor: User, appeal: Appeal, instruction: str, expected_version: int, priority: str | None = None
) -> Ticket:
    """A leader's instruction (批示) on an appeal: it goes with the ticket and raises its priority to at
    least `high` (or to `priority` if higher). On a mayor-line appeal it releases it for dispatch."""
    return perform_transition(
        ticket=appeal.ticket,
        action=A.INSTRUCT,
        actor=actor,
        expected_version=expected_version,
        instruction=instruction,
        priority=priority,
    )


def dispatch_ticket(
    *,
    actor: User | None,
    ticket: Ticket,
    expected_version: int,
    lead_department: Department | int,
    assisting_departments: Sequence[Department | int] = (),
    category: Category | str | int | None = None,
    reason: str = "",
) -> Ticket:
    """派单 to a lead department (主办) and any assisting ones (协办). `actor` None is automatic
    dispatch by the routing rules; a category given here replaces the appeal's and its time limit."""
    return perform_transition(
        ticket=ticket,
        action=A.DISPATCH,
        actor=actor,
        expected_version=expected_version,
        lead_department=lead_department,
        assisting_departments=list(assisting_departments),
        category=category,
        reason=reason,
    )


def redispatch_ticket(
    *,
    actor: User,
    ticket: Ticket,
    expected_version: int,
    lead_department: Department | int,
    reason: str,
    assisting_departments: Sequence[Department | int] = (),
    category: Category | str | int | None = None,
) -> Ticket:
    """转派 to another department, which must accept it again; a running pause ends."""
    return perform_transition(
        ticket=ticket,
        action=A.REDISPATCH,
        actor=actor,
        expected_version=expected_version,
        lead_department=lead_department,
        assisting_departments=list(assisting_departments),
        category=category,
        reason=reason,
    )


def accept_ticket(*, actor: User, ticket: Ticket, expected_version: int) -> Ticket:
    """签收: the lead department takes the ticket."""
    return perform_transition(ticket=ticket, action=A.ACCEPT, actor=actor, expected_version=expected_version)


def return_ticket(*, actor: User, ticket: Ticket, expected_version: int, reason: str) -> Ticket:
    """退单: the department sends the ticket back to the dispatchers, with a reason."""
    return perform_transition(
        ticket=ticket, action=A.RETURN, actor=actor, expected_version=expected_version, reason=reason
    )


def reclassify_ticket(
    *, actor: User, ticket: Ticket, expected_version: int, category: Category | str | int, reason: str = ""
) -> Ticket:
    """A dispatcher corrects the category; the time limit is chosen again and the deadline recomputed."""
    return perform_transition(
        ticket=ticket,
        action=A.RECLASSIFY,
        actor=actor,
        expected_version=expected_version,
        category=category,
        reason=reason,
    )


def request_extension(
    *, actor: User, ticket: Ticket, expected_version: int, days: Decimal | int | str, reason: str
) -> Ticket:
    """延期申请 by the handling department: `days` working days (half days allowed)."""
    return perform_transition(
        ticket=ticket,
        action=A.REQUEST_EXTENSION,
        actor=actor,
        expected_version=expected_version,
        days=days,
        reason=reason,
    )


def approve_extension(
    *,
    actor: User,
    ticket: Ticket,
    expected_version: int,
    granted_days: Decimal | int | str | None = None,
    reason: str = "",
) -> Ticket:
    """A dispatcher or supervisor grants the pending request (the days asked, or `granted_days`)."""
    return perform_transition(
        ticket=ticket,
        action=A.APPROVE_EXTENSION,
        actor=actor,
        expected_version=expected_version,
        granted_days=granted_days,
        reason=reason,
    )


def reject_extension(*, actor: User, ticket: Ticket, expected_version: int, reason: str) -> Ticket:
    return perform_transition(
        ticket=ticket,
        action=A.REJECT_EXTENSION,
        actor=actor,
        expected_version=expected_version,
        reason=reason,
    )


def pause_ticket(*, actor: User, ticket: Ticket, expected_version: int, reason: str) -> Ticket:
    """Stops the clock while the department waits for the enterprise (told by inbox and SMS)."""
    return perform_transition(
        ticket=ticket, action=A.PAUSE, actor=actor, expected_version=expected_version, reason=reason
    )


def resume_ticket(*, actor: User, ticket: Ticket, expected_version: int, reason: str = "") -> Ticket:
    """Restarts the clock; the deadline moves by the office time of the pause."""
    return perform_transition(
        ticket=ticket, action=A.RESUME, actor=actor, expected_version=expected_version, reason=reason
    )


def submit_reply(
    *, actor: User, ticket: Ticket, expected_version: int, text: str, attachments: Sequence[Any] = ()
) -> Ticket:
    """答复 by the handler, with attachments; it goes to the dispatcher for review."""
    return perform_transition(
        ticket=ticket,
        action=A.SUBMIT_REPLY,
        actor=actor,
        expected_version=expected_version,
        text=text,
        attachments=list(attachments),
    )


def approve_reply(*, actor: User, ticket: Ticket, expected_version: int, reason: str = "") -> Ticket:
    """The dispatcher approves the reply; the enterprise receives it (inbox and SMS)."""
    return perform_transition(
        ticket=ticket, action=A.APPROVE_REPLY, actor=actor, expected_version=expected_version, reason=reason
    )


def send_back_reply(*, actor: User, ticket: Ticket, expected_version: int, reason: str) -> Ticket:
    """The dispatcher sends the reply back to the department, with the reason."""
    return perform_transition(
        ticket=ticket, action=A.SEND_BACK_REPLY, actor=actor, expected_version=expected_version, reason=reason
    )


def record_follow_up(
    *,
    actor: User,
    ticket: Ticket,
    expected_version: int,
    method: str,
    is_resolved: bool,
    satisfaction: str,
    comment: str = "",
) -> Ticket:
    """回访 by an agent's call or the enterprise online. Satisfied or fairly satisfied closes the ticket;
    dissatisfied reopens it (重办) while reopenings are left (workflow.py)."""
    return perform_transition(
        ticket=ticket,
        action=A.RECORD_FOLLOW_UP,
        actor=actor,
        expected_version=expected_version,
        method=method,
        is_resolved=is_resolved,
        satisfaction=satisfaction,
        comment=comment,
    )


def reopen_ticket(*, actor: User, ticket: Ticket, expected_version: int, reason: str) -> Ticket:
    """重办 decided by a dispatcher or supervisor (a dissatisfied follow-up does it by itself)."""
    return perform_transition(
        ticket=ticket, action=A.REOPEN, actor=actor, expected_version=expected_version, reason=reason
    )


def close_ticket(*, actor: User, ticket: Ticket, expected_version: int, reason: str) -> Ticket:
    """办结 of a replied ticket without follow-up (e.g. the enterprise cannot be reached)."""
    return perform_transition(
        ticket=ticket, action=A.CLOSE, actor=actor, expected_version=expected_version, reason=reason
    )


def answer_directly(
    *, actor: User, ticket: Ticket, expected_version: int, text: str, attachments: Sequence[Any] = ()
) -> Ticket:
    """直接答复: the agent answers at intake; the ticket closes without dispatch."""
    return perform_transition(
        ticket=ticket,
        action=A.DIRECT_REPLY,
        actor=actor,
        expected_version=expected_version,
        text=text,
        attachments=list(attachments),
    )


def merge_appeal(
    *, actor: User, ticket: Ticket, expected_version: int, into: Appeal | str, reason: str = ""
) -> Ticket:
    """并单: the ticket closes, its appeal merged into another open appeal (by object or number)."""
    return perform_transition(
        ticket=ticket,
        action=A.MERGE,
        actor=actor,
        expected_version=expected_version,
        into=into,
        reason=reason,
    )
