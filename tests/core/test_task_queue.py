"""core.task_queue: a task kept in our own database is enqueued in the caller's transaction (it
commits or rolls back with the change); any other backend is enqueued after the commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from huiqi.core.task_queue import enqueue_in_transaction
from huiqi.core.tasks import deliver_notification

pytestmark = pytest.mark.django_db


def test_a_database_task_is_written_in_the_transaction_and_needs_no_commit_hook(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks() as hooks, transaction.atomic():
        enqueue_in_transaction(deliver_notification, notification_id=7)
        assert DBTaskResult.objects.filter(args_kwargs__kwargs={"notification_id": 7}).count() == 1
    assert hooks == []


def test_a_database_task_rolls_back_with_the_change(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def failing_change() -> None:
        with transaction.atomic():
            enqueue_in_transaction(deliver_notification, notification_id=7)
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not DBTaskResult.objects.exists()


def test_another_backend_is_enqueued_only_after_the_commit(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True) as hooks, transaction.atomic():
        enqueue_in_transaction(deliver_notification, notification_id=7)
        assert default_task_backend.results == []  # type: ignore[attr-defined]
    assert len(hooks) == 1
    assert [result.args for result in default_task_backend.results] == [[]]  # type: ignore[attr-defined]
    assert [result.kwargs for result in default_task_backend.results] == [{"notification_id": 7}]  # type: ignore[attr-defined]
