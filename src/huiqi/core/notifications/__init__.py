"""The notifications outbox: in-app inbox, email and SMS behind one small backend interface.

Services call `huiqi.core.notifications.services.notify(...)`; it stores one Notification per
recipient and channel (never twice for the same event) and, after commit, enqueues a background task
(core.tasks.deliver_notification, run by `huiqi db_worker`) that sends it through the channel's
backend, retrying with backoff.
"""
