"""Writes of the notifications outbox: notify, deliver (with retries), mark read.

Nothing is sent twice for the same event: (event_key, recipient, channel) is unique in the table,
`notify` creates only the missing rows, and delivery locks the row and sends only while it is still
pending. Delivery is at-least-once only in one case: the process dies after the backend accepted the
message and before the row is committed as sent.

Notifications are messages about domain events, not domain state changes, so they are not audited
(the event that caused them is).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from huiqi.core.errors import NotFoundError, ValidationFailedError
from huiqi.core.models import Notification
from huiqi.core.notifications.backends import backend_for

if TYPE_CHECKING:
    from huiqi.accounts.models import User

logger = logging.getLogger(__name__)

CHANNELS = frozenset(Notification.Channel.values)
_CHUNK = 500  # keeps IN (...) lists under SQLite's parameter limit


def max_attempts() -> int:
    return max(1, int(getattr(settings, "HUIQI_NOTIFICATION_MAX_ATTEMPTS", 5)))


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the `attempts`-th failure: 1, 2, 4, 8 ... minutes, at most 1 hour."""
    base = float(getattr(settings, "HUIQI_NOTIFICATION_RETRY_SECONDS", 60))
    return dt.timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 3600.0))


def _enqueue_deliveries(notification_ids: Sequence[int], run_after: dt.datetime | None = None) -> None:
    from huiqi.core import tasks

    task = tasks.deliver_notification
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    for notification_id in notification_ids:
        task.enqueue(notification_id=notification_id)


def notify(
    *,
    recipients: Iterable[User],
    event_key: str,
    subject: str,
    body: str,
    link: str = "",
    channels: Sequence[str] = ("inbox",),
) -> list[Notification]:
    """Stores one notification per recipient and channel and delivers it in the background.

    Idempotent: calling it again for the same `event_key` creates and sends nothing for the
    (recipient, channel) pairs that exist already. Inactive users are skipped. Returns the rows of
    this event for these recipients and channels, old and new. Delivery is enqueued after commit.
    """
    channels = list(dict.fromkeys(channels))
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValidationFailedError(f"未知的通知渠道：{'、'.join(unknown)}。", field="channels")
    if not channels:
        raise ValidationFailedError("至少选择一个通知渠道。", field="channels")
    if not event_key or len(event_key) > 120:
        raise ValidationFailedError("事件标识不能为空，且不超过 120 个字符。", field="event_key")
    if not subject.strip() or len(subject) > 200:
        raise ValidationFailedError("通知标题不能为空，且不超过 200 个字符。", field="subject")
    if len(link) > 300:
        raise ValidationFailedError("通知链接不超过 300 个字符。", field="link")
    users = {user.pk: user for user in recipients if user.pk is not None and user.is_active}
    if not users:
        return []
    ids = list(users)
    with transaction.atomic():
        existing: set[tuple[int, str]] = set()
        for start in range(0, len(ids), _CHUNK):
            existing.update(
                Notification.objects.filter(
                    event_key=event_key, recipient_id__in=ids[start : start + _CHUNK], channel__in=channels
                ).values_list("recipient_id", "channel")
            )
        new = [
            Notification(
                event_key=event_key,
                recipient_id=user_id,
                channel=channel,
                subject=subject,
                body=body,
                link=link,
            )
            for user_id in ids
            for channel in channels
            if (user_id, channel) not in existing
        ]
        # A concurrent call for the same event may insert the same pair first: the unique
        # constraint (notification_sent_once) keeps one row, and delivery sends it once.
        Notification.objects.bulk_create(new, batch_size=_CHUNK, ignore_conflicts=True)
        rows: list[Notification] = []
        for start in range(0, len(ids), _CHUNK):
            rows.extend(
                Notification.objects.filter(
                    event_key=event_key, recipient_id__in=ids[start : start + _CHUNK], channel__in=channels
                ).order_by("id")
            )
        fresh = [n.pk for n in rows if (n.recipient_id, n.channel) not in existing]
        if fresh:
            transaction.on_commit(partial(_enqueue_deliveries, fresh), robust=True)
    return rows


def deliver_notification(*, notification_id: int) -> str:
    """Sends one notification through its channel's backend; returns its status afterwards.

    A notification that is not pending (sent, failed, or being sent by another worker, which holds
    the row lock) is left alone. A failure counts an attempt, keeps the error and retries later with
    backoff; after max_attempts() it is marked failed. A recipient without the address the channel
    needs (phone for SMS, email for email) is marked failed with the reason, without retries.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return "missing"
        if notification.status != Notification.Status.PENDING:
            return notification.status
        backend = backend_for(notification.channel)
        problem = backend.address_problem(notification)
        if problem:
            notification.status = Notification.Status.FAILED
            notification.last_error = problem
            notification.save(update_fields=["status", "last_error"])
            return notification.status
        notification.attempts += 1
        try:
            backend.send(notification)
        except Exception as exc:
            logger.warning(
                "notification %s attempt %s failed: %r", notification.pk, notification.attempts, exc
            )
            notification.last_error = f"第 {notification.attempts} 次发送失败：{type(exc).__name__}: {exc}"[
                :2000
            ]
            if notification.attempts >= max_attempts():
                notification.status = Notification.Status.FAILED
            else:
                run_after = timezone.now() + retry_delay(notification.attempts)
                transaction.on_commit(partial(_enqueue_deliveries, [notification.pk], run_after), robust=True)
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        return notification.status


def requeue_pending_notifications(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Enqueues delivery again for notifications still pending after `older_than`: the safety net for
    an enqueue lost between commit and queue (a crash, a queue outage). Sending stays once-only."""
    threshold = timezone.now() - older_than
    ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=threshold).values_list(
            "id", flat=True
        )
    )
    _enqueue_deliveries(ids)
    return len(ids)


def _own_inbox_notification(*, user: Any, notification_id: int) -> Notification:
    notification = (
        Notification.objects.select_for_update()
        .filter(
            pk=notification_id, recipient_id=getattr(user, "pk", None), channel=Notification.Channel.INBOX
        )
        .first()
    )
    if notification is None:
        # Someone else's message is "not found", not "forbidden": its existence is not disclosed.
        raise NotFoundError(f"没有找到编号为 {notification_id} 的消息。")
    return notification


def mark_read(*, user: Any, notification_id: int) -> Notification:
    """Marks one of the user's own inbox messages read (idempotent: the first read time stays)."""
    with transaction.atomic():
        notification = _own_inbox_notification(user=user, notification_id=notification_id)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return notification


def mark_all_read(*, user: Any) -> int:
    """Marks all of the user's unread inbox messages read; returns how many."""
    with transaction.atomic():
        return Notification.objects.filter(
            recipient_id=getattr(user, "pk", None), channel=Notification.Channel.INBOX, read_at__isnull=True
        ).update(read_at=timezone.now())
