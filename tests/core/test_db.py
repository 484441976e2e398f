"""core.db: plain SQL that PostgreSQL prepares once per connection, with Django's errors and query
logging (Django's ordinary cursor elsewhere); insert_new writes the row save() would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huiqi.appeals.models import AppealNumberCounter
from huiqi.core.db import insert_new, prepared_cursor
from huiqi.core.models import AuditEvent, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COUNTER = AppealNumberCounter._meta.db_table


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_reads_and_writes_with_parameters():
    AppealNumberCounter.objects.create(day=dt.date(2026, 11, 21), last_value=4)
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {COUNTER} SET last_value = last_value + 1 WHERE day = %s RETURNING last_value",
            [connection.ops.adapt_datefield_value(dt.date(2026, 11, 21))],
        )
        assert cursor.fetchone()[0] == 5
    assert AppealNumberCounter.objects.get(day=dt.date(2026, 11, 21)).last_value == 5


def test_statements_are_logged_like_djangos():
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {COUNTER} WHERE last_value > %s", [3])
        assert cursor.fetchone()[0] == 0
    assert len(queries.captured_queries) == 1
    assert f"FROM {COUNTER} WHERE last_value > 3" in queries.captured_queries[0]["sql"]


def test_errors_are_djangos_and_leave_the_transaction_usable():
    AppealNumberCounter.objects.create(day=dt.date(2026, 11, 21), last_value=1)
    with pytest.raises(IntegrityError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute(f"INSERT INTO {COUNTER} (day, last_value) VALUES (%s, %s)", [dt.date(2026, 11, 21), 2])
    assert AppealNumberCounter.objects.get().last_value == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_prepares_the_statement_once_and_reuses_it():
    sql = f"SELECT last_value FROM {COUNTER} WHERE day = %s"
    for day in (dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [day])
            assert cursor.fetchone() is None
    prepared = [s for s in _prepared_statements() if f"FROM {COUNTER} WHERE day = $1" in s]
    assert len(prepared) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_timestamps_are_read_in_the_connections_time_zone():
    moment = timezone.now().replace(microsecond=0)
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        read = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        expected = cursor.fetchone()[0]
    assert read == moment
    assert read.utcoffset() == expected.utcoffset()


# --- insert_new ---------------------------------------------------------------------------------------


def _stored(obj: models.Model) -> dict[str, object]:
    """Every column of a row as the ORM reads it back, but the id."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}


def _notification(recipient, **extra) -> Notification:
    fields = {"event_key": "appeal.registered:QY20261121-000001", "channel": Notification.Channel.INBOX,
              "subject": "您的诉求已受理", "body": "编号 QY20261121-000001"}  # fmt: skip
    return Notification(recipient=recipient, **{**fields, **extra})


def test_insert_new_stores_the_row_save_stores():
    """Defaults, auto_now_add, a foreign key, choices: the same row as save(), with the id set."""
    recipient = UserFactory()
    by_save, by_insert = _notification(recipient), _notification(recipient, event_key="other")
    by_save.save()
    insert_new(by_insert)
    assert by_insert.pk is not None
    assert by_insert.pk != by_save.pk
    assert not by_insert._state.adding
    stored_save, stored_insert = _stored(by_save), _stored(by_insert)
    assert stored_insert["created_at"] == by_insert.created_at  # auto_now_add filled in, as save() does
    assert stored_insert["status"] == Notification.Status.PENDING
    assert stored_insert["attempts"] == 0
    for row in (stored_save, stored_insert):
        row.pop("created_at"), row.pop("event_key")
    assert stored_insert == stored_save


def test_insert_new_writes_json_and_times_as_the_orm_does():
    event = AuditEvent(
        occurred_at=timezone.now(), actor_name="王五", actor_role="agent", action="test.inserted",
        object_type="appeals.appeal", object_id="7", object_repr="诉求 7",
        before={"状态": "待派单", "n": [1, 2.5, None]}, after={"ok": True}, prev_hash="0" * 64, hash="1" * 64,
    )  # fmt: skip
    insert_new(event)
    stored = _stored(event)
    assert stored["before"] == {"状态": "待派单", "n": [1, 2.5, None]}
    assert stored["after"] == {"ok": True}
    assert stored["occurred_at"] == event.occurred_at


def test_insert_new_takes_the_id_of_a_related_row_saved_after_it_was_assigned():
    recipient = UserFactory.build(department=None)
    notification = _notification(recipient)
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_new(notification)
    recipient.save()
    insert_new(notification)
    assert Notification.objects.get(pk=notification.pk).recipient_id == recipient.pk


def test_insert_new_refuses_a_saved_row_and_expressions_and_writes_nothing():
    recipient = UserFactory()
    saved = _notification(recipient)
    saved.save()
    with pytest.raises(ValueError, match="already saved"):
        insert_new(saved)
    with pytest.raises(TypeError, match="attempts"):
        insert_new(_notification(recipient, event_key="expr", attempts=F("attempts") + 1))
    assert Notification.objects.count() == 1


def test_insert_new_keeps_the_uniqueness_errors_of_the_database():
    recipient = UserFactory()
    _notification(recipient).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new(_notification(recipient))
    assert Notification.objects.count() == 1


def test_insert_new_refuses_a_model_with_save_signal_receivers():
    """django-tasks-db fills a task's run_after in a pre_save receiver: such a row needs save()."""
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult(args_kwargs={"args": [], "kwargs": {}}, task_path="x.y", backend_name="default")
    with pytest.raises(TypeError, match="pre_save or post_save receivers"):
        insert_new(row)
    assert not DBTaskResult.objects.exists()
