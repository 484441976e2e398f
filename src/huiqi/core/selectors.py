"""Reads of core: the audit log (audit administrator only) and each user's inbox.

Other engineers may append selectors of their own below; keep sections grouped by topic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core.models import AuditEvent, Notification

# --- audit log --------------------------------------------------------------------------------


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_for(
    *,
    user: Any,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    occurred_from: dt.date | None = None,
    occurred_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events matching the filters, newest first. Only the audit administrator reads the log
    (等保 三权分立: GB/T 22239-2019 8.1.5.2); anyone else gets PermissionDeniedError.

    `actor` matches the recorded name (contains) or the exact username; `action` matches a prefix
    ("enterprise." finds every enterprise action); dates are local, both ends included."""
    require_role(user, Role.AUDIT_ADMIN)
    events = AuditEvent.objects.all()
    if actor := actor.strip():
        events = events.filter(Q(actor_name__icontains=actor) | Q(actor__username=actor))
    if action := action.strip():
        events = events.filter(action__startswith=action)
    if object_type := object_type.strip():
        events = events.filter(object_type=object_type)
    if object_id := object_id.strip():
        events = events.filter(object_id=object_id)
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=_start_of(occurred_from))
    if occurred_to is not None:
        events = events.filter(occurred_at__lt=_start_of(occurred_to + dt.timedelta(days=1)))
    return events.order_by("-id")


def audit_actions(*, user: Any) -> list[str]:
    """The distinct actions recorded so far, for the filter's suggestions."""
    require_role(user, Role.AUDIT_ADMIN)
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


@dataclass(frozen=True)
class AuditSummary:
    """The audit administrator's 工作台 figures for the last 24 hours."""

    since: dt.datetime
    events: int
    sign_in_failures: int
    lock_outs: int
    latest_at: dt.datetime | None


def audit_summary(*, user: Any, now: dt.datetime | None = None) -> AuditSummary:
    """Events of the last 24 hours, failed sign-ins and lock-outs among them (GB/T 22239-2019 8.1.4.3
    安全审计: the reviewer looks at these first). Audit administrator only; indexed counts."""
    require_role(user, Role.AUDIT_ADMIN)
    since = (now or timezone.now()) - dt.timedelta(hours=24)
    recent = AuditEvent.objects.filter(occurred_at__gte=since)
    latest = AuditEvent.objects.order_by("-id").values_list("occurred_at", flat=True).first()
    return AuditSummary(
        since=since,
        events=recent.count(),
        sign_in_failures=recent.filter(action="user.sign_in_fail").count(),
        lock_outs=recent.filter(action="user.lock_out").count(),
        latest_at=latest,
    )


# --- inbox ------------------------------------------------------------------------------------


def inbox_for(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own in-app messages, newest first (whatever their delivery status: the row is the
    message). Nobody reads another person's inbox, administrators included."""
    messages = Notification.objects.filter(
        recipient_id=getattr(user, "pk", None), channel=Notification.Channel.INBOX
    )
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-id")


def unread_count_for(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox_for(user=user, unread_only=True).count()
