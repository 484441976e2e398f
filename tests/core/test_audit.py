"""The audit log: hash chain, tamper detection, append-only guards, retention purge, commands."""

import datetime as dt
import uuid
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from huiqi.core import audit, request_context
from huiqi.core.errors import AuditEventImmutableError, PermissionDeniedError, ValidationFailedError
from huiqi.core.models import AuditAnchor, AuditEvent
from huiqi.core.selectors import audit_events_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IS_PG = connection.vendor == "postgresql"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def raw_sql(sql: str, params: list | None = None) -> None:
    """What an intruder with database access would do; on PostgreSQL it first disables the
    append-only triggers (inside the test's transaction, so they come back afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
            cursor.execute("ALTER TABLE core_auditanchor DISABLE TRIGGER core_auditanchor_append_only")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")
            cursor.execute("ALTER TABLE core_auditanchor ENABLE TRIGGER core_auditanchor_append_only")


def record_some(n: int, actor=None) -> list[AuditEvent]:
    return [
        audit.record_event(
            actor=actor,
            action="thing.changed",
            object_type="test.thing",
            object_id=str(i),
            before={"n": i},
            after={"n": i + 1},
        )
        for i in range(n)
    ]


def verify(**kwargs) -> audit.ChainReport:
    return audit.verify_audit_chain(**kwargs)


# --- the chain --------------------------------------------------------------------------------


def test_each_event_chains_onto_the_previous_one_from_the_genesis_hash():
    events = record_some(3)
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert len({e.hash for e in events}) == 3


def test_intact_chain_verifies_and_counts_every_event_even_across_chunks():
    events = record_some(7)
    report = verify(chunk_size=2)
    assert report.is_intact
    assert report.event_count == 7
    assert report.head_id == events[-1].pk
    assert report.head_hash == events[-1].hash


def test_empty_log_verifies():
    report = verify()
    assert report.is_intact
    assert report.event_count == 0


def test_stored_event_hashes_the_same_after_the_database_round_trip():
    """Decimal, dates, datetimes, UUIDs, sets and awkward floats survive SQLite and jsonb alike."""
    when = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    event = audit.record_event(
        actor=None,
        action="thing.changed",
        before={"amount": Decimal("12.50"), "on": dt.date(2026, 1, 2), "at": when, "id": ident},
        after={
            "tags": {"b", "a"},
            "big": 1e20,
            "ratio": 0.1,
            "tiny": 1e-7,
            "whole": 2.0,
            "nan": float("nan"),
            "nested": {"z": [1, 2.5, None, True]},
            "text": "中文\x00",
        },
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {"amount": "12.50", "on": "2026-01-02", "at": when.isoformat(), "id": str(ident)}
    assert stored.after["tags"] == ["a", "b"]
    assert stored.after["nan"] == "nan"
    assert stored.after["text"] == "中文\ufffd"
    assert audit.compute_hash(stored) == stored.hash
    assert verify().is_intact


def test_event_records_actor_role_source_ip_and_channel():
    admin = UserFactory(system_admin=True)
    token = request_context.set_current(
        request_context.RequestContext(source_ip="::ffff:10.1.2.3", source="web")
    )
    try:
        event = audit.record_event(actor=admin, action="thing.changed", obj=admin)
    finally:
        request_context.reset(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_role, stored.source, stored.source_ip) == (
        admin.pk,
        "system_admin",
        "web",
        "10.1.2.3",
    )
    assert stored.object_type == "accounts.user"
    assert stored.object_id == str(admin.pk)
    assert verify().is_intact


def test_a_nonsense_client_address_is_dropped_rather_than_failing_the_write():
    token = request_context.set_current(request_context.RequestContext(source_ip="unknown", source="web"))
    try:
        event = audit.record_event(actor=None, action="thing.changed")
    finally:
        request_context.reset(token)
    assert AuditEvent.objects.get(pk=event.pk).source_ip is None


def test_deleting_a_user_keeps_the_actor_id_of_their_events_and_the_chain():
    user = UserFactory()
    event = audit.record_event(actor=user, action="thing.changed")
    user.delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_id == event.actor_id
    assert verify().is_intact


# --- tampering --------------------------------------------------------------------------------


def test_editing_an_event_with_raw_sql_is_reported_at_that_event():
    events = record_some(5)
    raw_sql("UPDATE core_auditevent SET after = %s WHERE id = %s", ['{"n": 999}', events[2].pk])
    report = verify()
    assert not report.is_intact
    assert report.broken_id == events[2].pk
    assert "内容与其哈希不符" in report.problem
    assert report.event_count == 2


def test_editing_an_event_and_recomputing_its_hash_breaks_the_next_link():
    events = record_some(4)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.actor_name = "别人"
    new_hash = audit.compute_hash(forged)
    raw_sql(
        "UPDATE core_auditevent SET actor_name = %s, hash = %s WHERE id = %s",
        ["别人", new_hash, events[1].pk],
    )
    report = verify()
    assert report.broken_id == events[2].pk
    assert f"#{events[1].pk}" in report.problem


def test_deleting_an_event_is_reported_at_the_event_after_the_gap():
    events = record_some(5)
    raw_sql("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    report = verify()
    assert not report.is_intact
    assert report.broken_id == events[3].pk
    assert f"#{events[1].pk}" in report.problem
    assert "删除" in report.problem


def test_deleting_the_oldest_event_without_a_purge_is_detected():
    events = record_some(3)
    raw_sql("DELETE FROM core_auditevent WHERE id = %s", [events[0].pk])
    report = verify()
    assert report.broken_id == events[1].pk
    assert "创世" in report.problem


# --- append-only guards -----------------------------------------------------------------------


def test_saving_an_existing_event_is_refused():
    event = record_some(1)[0]
    event.action = "thing.forged"
    with pytest.raises(AuditEventImmutableError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "thing.changed"


def test_deleting_an_event_through_the_orm_is_refused():
    event = record_some(1)[0]
    with pytest.raises(AuditEventImmutableError):
        event.delete()
    with pytest.raises(AuditEventImmutableError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditEventImmutableError):
        AuditEvent.objects.all().update(action="thing.forged")
    with pytest.raises(AuditEventImmutableError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.filter(pk=event.pk, action="thing.changed").exists()


def test_bulk_create_is_refused_because_events_chain_one_by_one():
    with pytest.raises(AuditEventImmutableError):
        AuditEvent.objects.bulk_create([AuditEvent(action="x", occurred_at=timezone.now())])


@pytest.mark.skipif(not IS_PG, reason="the append-only trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "statement", ["UPDATE core_auditevent SET action = 'x'", "DELETE FROM core_auditevent"]
)
def test_postgresql_trigger_refuses_raw_update_and_delete(statement):
    record_some(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="thing.changed").count() == 1


# --- retention --------------------------------------------------------------------------------


def test_purge_refuses_a_date_within_184_days(settings):
    settings.HUIQI_AUDIT_RETENTION_DAYS = 184
    record_some(1)
    too_recent = timezone.localdate() - dt.timedelta(days=183)
    with pytest.raises(ValidationFailedError, match="184"):
        audit.purge_audit_events(before=too_recent)
    assert AuditEvent.objects.count() == 1


def test_retention_setting_below_184_days_still_keeps_184(settings):
    settings.HUIQI_AUDIT_RETENTION_DAYS = 30
    assert audit.retention_days() == 184


def test_purge_removes_old_events_and_the_chain_still_verifies():
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        old = record_some(3)
    recent = record_some(2)
    result = audit.purge_audit_events(before=timezone.localdate() - dt.timedelta(days=200))
    assert result.purged_count == 3
    assert result.last_purged_id == old[-1].pk
    assert list(AuditEvent.objects.filter(action="thing.changed").values_list("pk", flat=True)) == [
        e.pk for e in recent
    ]
    anchor = AuditAnchor.objects.get()
    assert (anchor.last_purged_id, anchor.last_purged_hash) == (old[-1].pk, old[-1].hash)
    purge_event = AuditEvent.objects.get(action="audit.purged")
    assert purge_event.after["purged_count"] == 3
    report = verify()
    assert report.is_intact
    assert report.event_count == 3  # two recent events and the purge itself


def test_purge_of_everything_leaves_a_chain_that_continues_from_the_anchor():
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        old = record_some(2)
        audit.purge_audit_events(before=timezone.localdate() - dt.timedelta(days=190))
        assert AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()  # nothing old enough yet
    audit.purge_audit_events(before=timezone.localdate() - dt.timedelta(days=200))
    assert not AuditEvent.objects.filter(action="thing.changed").exists()
    record_some(1)
    assert verify().is_intact


def test_removing_the_purge_anchor_is_detected():
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        record_some(2)
    record_some(1)
    audit.purge_audit_events(before=timezone.localdate() - dt.timedelta(days=200))
    first_kept = AuditEvent.objects.order_by("id").first()
    raw_sql("DELETE FROM core_auditanchor")
    report = verify()
    assert report.broken_id == first_kept.pk


def test_a_forged_anchor_without_a_purge_event_is_detected():
    events = record_some(3)
    raw_sql("DELETE FROM core_auditevent WHERE id = %s", [events[0].pk])
    AuditAnchor(
        created_at=timezone.now(),
        purged_before=timezone.now(),
        last_purged_id=events[0].pk,
        last_purged_hash=events[0].hash,
        purged_count=1,
    ).save()
    report = verify()
    assert not report.is_intact
    assert "清理记录可能被伪造" in report.problem


def test_only_the_audit_administrator_may_purge_from_the_platform():
    with pytest.raises(PermissionDeniedError):
        audit.purge_audit_events(before=dt.date(2000, 1, 1), actor=UserFactory(security_admin=True))


# --- commands ---------------------------------------------------------------------------------


def test_audit_verify_command_reports_an_intact_chain_and_records_the_check():
    record_some(4)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "审计链完整：4 条事件" in out.getvalue()
    check = AuditEvent.objects.order_by("-id").first()
    assert check.action == "audit.verified"
    assert check.source == "command"
    assert check.after["is_intact"] is True


def test_audit_verify_command_exits_non_zero_with_the_broken_event_id():
    events = record_some(3)
    raw_sql("UPDATE core_auditevent SET object_id = 'x' WHERE id = %s", [events[1].pk])
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit_verify", stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert f"#{events[1].pk}" in err.getvalue()


def test_audit_purge_command_refuses_a_recent_date():
    recent = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    with pytest.raises(CommandError, match="至少保留 184 天"):
        call_command("audit_purge", "--before", recent)


def test_audit_purge_command_purges_old_events():
    with time_machine.travel(timezone.now() - dt.timedelta(days=300), tick=False):
        record_some(2)
    out = StringIO()
    call_command(
        "audit_purge", "--before", (timezone.localdate() - dt.timedelta(days=250)).isoformat(), stdout=out
    )
    assert "已清理 2 条" in out.getvalue()
    assert verify().is_intact


# --- who reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "leader", "handler", "enterprise"])
def test_only_the_audit_administrator_reads_the_log(role):
    record_some(1)
    with pytest.raises(PermissionDeniedError):
        audit_events_for(user=UserFactory(role=role))


def test_audit_selector_filters_by_actor_action_object_and_dates():
    alice = UserFactory(username="alice", full_name="张三")
    bob = UserFactory(username="bob", full_name="李四")
    with time_machine.travel(dt.datetime(2026, 5, 1, 10, tzinfo=SHANGHAI), tick=False):
        audit.record_event(
            actor=alice, action="enterprise.updated", object_type="enterprises.enterprise", object_id="1"
        )
    with time_machine.travel(dt.datetime(2026, 5, 3, 10, tzinfo=SHANGHAI), tick=False):
        audit.record_event(
            actor=bob, action="enterprise.imported", object_type="enterprises.importbatch", object_id="7"
        )
        audit.record_event(actor=bob, action="calendar.year_entered")
    reader = UserFactory(audit_admin=True)

    def actions(**filters):
        return list(audit_events_for(user=reader, **filters).values_list("action", flat=True))

    assert actions(actor="张") == ["enterprise.updated"]
    assert actions(actor="bob") == ["calendar.year_entered", "enterprise.imported"]
    assert actions(action="enterprise.") == ["enterprise.imported", "enterprise.updated"]
    assert actions(object_type="enterprises.importbatch", object_id="7") == ["enterprise.imported"]
    assert actions(occurred_from=dt.date(2026, 5, 2)) == ["calendar.year_entered", "enterprise.imported"]
    assert actions(occurred_to=dt.date(2026, 5, 1)) == ["enterprise.updated"]
