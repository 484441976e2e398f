"""Enqueueing background work together with the change that causes it.

With django-tasks-db (the platform's default backend, `huiqi db_worker`) a task is a row in our own
database. Enqueued inside the caller's transaction it commits or rolls back with the change: a
committed change never lacks its follow-up work (no window between the commit and the enqueue where
a crash loses it), a rolled-back one never runs it, and no second commit is spent on the task row.
The worker cannot see the row before the commit. Any other backend (the immediate backend of the
tests, an external queue) is enqueued after the commit, as django-tasks advises.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, router, transaction
from django_tasks_db.backend import DatabaseBackend


def enqueue_in_transaction(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` (a django-tasks Task) as part of the current transaction when its backend keeps
    tasks in this database, else once the transaction commits (robust: a failure is logged)."""
    backend = task.get_backend()
    if isinstance(backend, DatabaseBackend) and connection.in_atomic_block and _same_database():
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)


def _same_database() -> bool:
    from django_tasks_db.models import DBTaskResult

    return (router.db_for_write(DBTaskResult) or DEFAULT_DB_ALIAS) == connection.alias
