"""Delivery backends, one per channel, chosen by settings (Open Forms-style plugin registry).

A backend sends one Notification and raises on failure; the delivery service counts attempts and
retries. `address_problem` says, before any attempt, why a notification cannot be delivered at all
(no phone number for SMS, no address for email): those are skipped with the reason, never retried.

Defaults need no outside service: email through Django's EMAIL_BACKEND (the console by default),
SMS appended to a file in settings.HUIQI_SMS_FILE_DIR. Swap a channel with
settings.HUIQI_SMS_BACKEND (dotted path) or settings.HUIQI_NOTIFICATION_BACKENDS = {"email": "..."}.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from huiqi.core.models import Notification

SMS_SIGNATURE = "【惠企】"  # SMS in China carry the sender's signature in 【】 (工信部 短信签名 rules)


class NotificationBackend:
    """Sends one notification on one channel. Subclasses set `channel` and implement `send`."""

    channel: str = ""

    def address_problem(self, notification: Notification) -> str:
        """Why this notification can never be delivered (empty when it can)."""
        return ""

    def send(self, notification: Notification) -> None:
        raise NotImplementedError


class InboxBackend(NotificationBackend):
    """The in-app inbox: the row is the message, so delivering it is only marking it sent."""

    channel = "inbox"

    def send(self, notification: Notification) -> None:
        return None


def absolute_link(link: str) -> str:
    if not link or "://" in link:
        return link
    base = getattr(settings, "HUIQI_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/{link.lstrip('/')}"


class EmailBackend(NotificationBackend):
    channel = "email"

    def address_problem(self, notification: Notification) -> str:
        return "" if notification.recipient.email else "收件人没有登记电子邮箱，未发送邮件。"

    def send(self, notification: Notification) -> None:
        body = notification.body
        if notification.link:
            body = f"{body}\n\n详情：{absolute_link(notification.link)}"
        send_mail(
            subject=notification.subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
            fail_silently=False,
        )


def sms_text(notification: Notification) -> str:
    text = f"{SMS_SIGNATURE}{notification.subject}：{notification.body}"
    if notification.link:
        text += f" {absolute_link(notification.link)}"
    return " ".join(text.split())  # one line per message


class _SmsBackend(NotificationBackend):
    channel = "sms"

    def address_problem(self, notification: Notification) -> str:
        return "" if notification.recipient.phone else "收件人没有登记手机号，未发送短信。"


class FileSmsBackend(_SmsBackend):
    """Appends one tab-separated line per SMS (time, phone, notification id, text) to
    HUIQI_SMS_FILE_DIR/sms-YYYY-MM-DD.log: the demo's stand-in for an SMS gateway."""

    _lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        directory = Path(settings.HUIQI_SMS_FILE_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        now = timezone.localtime()
        line = f"{now.isoformat(timespec='seconds')}\t{notification.recipient.phone}\t{notification.pk}\t"
        line += sms_text(notification) + "\n"
        with self._lock, open(directory / f"sms-{now.date().isoformat()}.log", "a", encoding="utf-8") as fh:
            fh.write(line)


class ConsoleSmsBackend(_SmsBackend):
    """Prints each SMS on the worker's standard output."""

    def send(self, notification: Notification) -> None:
        sys.stdout.write(f"[短信] {notification.recipient.phone} {sms_text(notification)}\n")
        sys.stdout.flush()


DEFAULT_BACKENDS = {
    "inbox": "huiqi.core.notifications.backends.InboxBackend",
    "email": "huiqi.core.notifications.backends.EmailBackend",
}


def backend_for(channel: str) -> NotificationBackend:
    """The backend of `channel`: settings.HUIQI_NOTIFICATION_BACKENDS[channel] if set, else the
    default (SMS: settings.HUIQI_SMS_BACKEND)."""
    overrides: dict[str, str] = getattr(settings, "HUIQI_NOTIFICATION_BACKENDS", {}) or {}
    defaults = {**DEFAULT_BACKENDS, "sms": settings.HUIQI_SMS_BACKEND}
    path = overrides.get(channel) or defaults.get(channel)
    if not path:
        raise LookupError(f"no notification backend for channel {channel!r}")
    backend = import_string(path)()
    if not isinstance(backend, NotificationBackend):
        raise TypeError(f"{path} is not a NotificationBackend")
    return backend
