"""Background entry points of core (django-tasks). Each calls a service.

Run by `huiqi db_worker` (django-tasks-db) in production and the demo; tests use the immediate backend.
"""

from django_tasks import task

from huiqi.core.notifications import services as notification_services


@task()
def deliver_notification(*, notification_id: int) -> str:
    """Sends one notification; on failure the service re-enqueues it with backoff."""
    return notification_services.deliver_notification(notification_id=notification_id)
