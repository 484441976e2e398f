"""Concurrent writers never fork the audit chain (PostgreSQL: real parallel transactions).

On SQLite the database itself admits one writer at a time, so the test runs on PostgreSQL only."""

import threading
import time

import pytest
from django.db import connection, transaction

from huiqi.core import audit
from huiqi.core.models import AuditEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL"),
]

WRITERS = 6
EVENTS_EACH = 5


def _writer(barrier: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        barrier.wait()
        for i in range(EVENTS_EACH):
            with transaction.atomic():
                audit.record_event(actor=None, action="thing.changed", after={"i": i})
                time.sleep(0.005)  # the rest of the service's transaction: others queue behind the lock
    except BaseException as exc:  # pragma: no cover - reported below
        errors.append(exc)
    finally:
        from django.db import connection as thread_connection

        thread_connection.close()


def test_parallel_writers_append_one_unforked_chain():
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(barrier, errors)) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    prev_hashes = list(AuditEvent.objects.order_by("id").values_list("prev_hash", flat=True))
    assert len(prev_hashes) == WRITERS * EVENTS_EACH
    assert len(set(prev_hashes)) == len(prev_hashes), "two events chained onto the same predecessor"
    report = audit.verify_audit_chain()
    assert report.is_intact, report.problem
    assert report.event_count == WRITERS * EVENTS_EACH
