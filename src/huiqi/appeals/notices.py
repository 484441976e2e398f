"""Who is told what about an appeal, sent through core.notifications after the transaction commits.

Recipients are chosen inside the transaction (the state they describe is the one being committed)
and the messages are sent by `notify` on commit, so a rolled-back action notifies nobody. Event keys
are unique per ticket version, so a notice is never sent twice for one action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.core.notifications.services import notify

if TYPE_CHECKING:
    from huiqi.accounts.models import User
    from huiqi.appeals.models import Appeal, Ticket

INBOX = ("inbox",)
INBOX_AND_SMS = ("inbox", "sms")


@dataclass(frozen=True)
class Notice:
    recipients: tuple[User, ...]
    event_key: str
    subject: str
    body: str
    link: str = ""
    channels: tuple[str, ...] = INBOX


def ticket_link(ticket: Ticket) -> str:
    """The page of a ticket (the pages decide by role what each viewer sees there)."""
    return f"/appeals/tickets/{ticket.pk}/"


def handlers_of(department_ids: Iterable[int | None]) -> tuple[User, ...]:
    ids = [pk for pk in department_ids if pk is not None]
    if not ids:
        return ()
    return tuple(account_selectors.active_staff(roles=[Role.HANDLER], department_ids=ids))


def dispatchers() -> tuple[User, ...]:
    return tuple(account_selectors.active_staff(roles=[Role.DISPATCHER]))


def supervisors() -> tuple[User, ...]:
    return tuple(account_selectors.active_staff(roles=[Role.SUPERVISOR]))


def city_leaders() -> tuple[User, ...]:
    return tuple(account_selectors.active_staff(roles=[Role.LEADER], without_department=True))


def department_heads(department_id: int | None) -> tuple[User, ...]:
    """The department's head for supervision notices: its leaders and supervisors."""
    if department_id is None:
        return ()
    return tuple(
        account_selectors.active_staff(roles=[Role.LEADER, Role.SUPERVISOR], department_ids=[department_id])
    )


def enterprise_users_of(appeal: Appeal) -> tuple[User, ...]:
    if appeal.enterprise_id is None:
        return ()
    return tuple(account_selectors.enterprise_users(enterprise_id=appeal.enterprise_id))


def unique(*groups: Sequence[User]) -> tuple[User, ...]:
    seen: dict[int, User] = {}
    for group in groups:
        for user in group:
            seen.setdefault(user.pk, user)
    return tuple(seen.values())


def _send(notice: Notice) -> None:
    notify(
        recipients=notice.recipients,
        event_key=notice.event_key[:120],
        subject=notice.subject[:200],
        body=notice.body,
        link=notice.link,
        channels=notice.channels,
    )


def schedule(notices: Iterable[Notice]) -> None:
    """Sends each notice after the surrounding transaction commits (a failure is logged, not raised:
    the action itself has succeeded)."""
    for notice in notices:
        if notice.recipients:
            transaction.on_commit(partial(_send, notice), robust=True)
