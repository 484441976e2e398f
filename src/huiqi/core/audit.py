"""The audit log: append-only events written by services, chained by hash so that tampering shows.

Why a hash chain: 等保 level 3 (GB/T 22239-2019 8.1.4.3 c) asks that audit records be protected from
unexpected deletion, modification or overwriting. Each event's hash covers its own content and the
previous event's hash, so changing or removing any event breaks the link to the next one;
`huiqi audit_verify` walks the chain. Three layers keep the log append-only: the model and its
QuerySet refuse update and delete (core.models.AuditEventQuerySet), a PostgreSQL trigger refuses
UPDATE/DELETE (migration core 0002), and the chain detects whatever got past both (raw SQL by a
database superuser). The chain cannot show events removed from its newest end; operators who want
that record the head hash that `audit_verify` prints somewhere else (e.g. the daily report).

Concurrency: writers are serialised so the chain never forks. On PostgreSQL a transaction-scoped
advisory lock is taken before the newest event is read; `SELECT ... FOR UPDATE` on the newest row is
not enough (a writer that waited on the lock would still see the row it waited for, not the one just
committed after it, and an empty table has no row to lock). The lock is held until the surrounding
transaction commits, so services call `record_event` last in their transaction. On SQLite the
database has one writer at a time; a writer whose snapshot went stale gets "database is locked"
instead of forking the chain.

Retention: events are kept at least settings.HUIQI_AUDIT_RETENTION_DAYS (184 days minimum,
网络安全法 第二十一条: network logs kept no less than six months). `purge_audit_events` deletes the
oldest events as one prefix of the chain and records an AuditAnchor (id and hash of the last purged
event); the verifier starts from the newest anchor instead of the genesis hash, and checks that the
anchor is confirmed by the "audit.purged" event written, inside the chain, by the same purge.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import ipaddress
import json
import math
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core import request_context
from huiqi.core.db import insert_new, prepared_cursor
from huiqi.core.errors import ValidationFailedError
from huiqi.core.models import AuditAnchor, AuditEvent

GENESIS_HASH = "0" * 64
HASH_VERSION = "huiqi-audit-1"
MINIMUM_RETENTION_DAYS = 184  # 网络安全法 第二十一条（三）: 不少于六个月
# pg_advisory_xact_lock key: the bytes of "huiqiAud" as a signed 64-bit integer.
_CHAIN_LOCK_KEY = int.from_bytes(b"huiqiAud", "big")
_FIELD_LENGTHS = {"actor_name": 150, "object_type": 60, "object_id": 64, "object_repr": 255, "source": 10}


# --- canonical JSON ---------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """The JSON form of a before/after value, stored as is and covered by the hash.

    Decimal becomes its exact text ("12.50"), dates and times ISO 8601, UUIDs text, enums their value,
    sets sorted lists, model instances their primary key. NaN and infinities become text (PostgreSQL's
    jsonb refuses them) and NUL characters U+FFFD (jsonb refuses those too)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return to_jsonable(value.pk)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _hashable(value: Any) -> Any:
    """Numbers in one form whatever the database did to them: jsonb returns 1e20 as the integer
    100000000000000000000 and 2.0 as 2.0; an integral float hashes as the integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _hashable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hashable(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(_hashable(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _canonical_ip(value: str | None) -> str | None:
    # PostgreSQL's inet and Python print some IPv6 forms differently; the address itself is what counts.
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).exploded
    except ValueError:
        return value


def _canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash_of(values: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an event's content and the previous event's hash.

    `values` holds the model's field names (actor as `actor_id`), as a row from `.values()`."""
    payload = _canonical(
        {
            "v": HASH_VERSION,
            "occurred_at": _canonical_time(values["occurred_at"]),
            "actor_id": values["actor_id"],
            "actor_name": values["actor_name"],
            "actor_role": values["actor_role"],
            "action": values["action"],
            "object_type": values["object_type"],
            "object_id": values["object_id"],
            "object_repr": values["object_repr"],
            "before": values["before"],
            "after": values["after"],
            "source_ip": _canonical_ip(values["source_ip"]),
            "source": values["source"],
            "prev_hash": values["prev_hash"],
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


HASHED_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "source_ip",
    "source",
    "prev_hash",
    "hash",
)


def compute_hash(event: AuditEvent) -> str:
    return compute_hash_of(
        {name: getattr(event, name) for name in HASHED_FIELDS if name not in ("id", "hash")}
    )


# --- writing ----------------------------------------------------------------------------------


def _lock_chain() -> None:
    """Serialises chain writers until the transaction ends (see the module docstring)."""
    if connection.vendor == "postgresql":
        with prepared_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _chain_head() -> str:
    # Plain SQL, prepared (core.db): every audited change runs this inside the chain's critical section.
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT hash FROM {connection.ops.quote_name(AuditEvent._meta.db_table)} ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is not None:
        return str(row[0])
    anchor = AuditAnchor.objects.order_by("-id").values_list("last_purged_hash", flat=True).first()
    return anchor or GENESIS_HASH


def _clean_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None  # not an address (a misconfigured proxy header): better none than a failed write
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def record_event(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Appends one event. `action` is dotted and verb-last, e.g. "enterprise.import", "calendar.year_entered".

    `before` and `after` hold only what changed; any value `to_jsonable` knows is accepted (Decimal,
    date, datetime, UUID, enums, sets). Call it last in the service's transaction: on PostgreSQL it
    holds the chain lock until that transaction ends.
    """
    if not action or len(action) > 60:
        raise ValueError(f"audit action must be 1-60 characters: {action!r}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    context = request_context.current()
    fields = {
        "actor_name": str(actor) if actor is not None else "系统",
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "source": context.source,
    }
    fields = {name: value[: _FIELD_LENGTHS[name]] for name, value in fields.items()}
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=getattr(actor, "role", "") or "",
        action=action,
        before=to_jsonable(before) if before is not None else None,
        after=to_jsonable(after) if after is not None else None,
        source_ip=_clean_ip(context.source_ip),
        **fields,
    )
    # The chain's critical section (the lock is held until the surrounding transaction commits) holds
    # only what needs the head: everything else is prepared above. savepoint=False: inside the
    # caller's transaction a savepoint would add two round trips to it; called outside one, this block
    # is the transaction.
    with transaction.atomic(savepoint=False):
        _lock_chain()
        event.occurred_at = timezone.now()
        event.prev_hash = _chain_head()
        event.hash = compute_hash(event)
        insert_new(event)  # append-only; the statement composed once (core.db)
    return event


# --- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: `is_intact`, how many events were checked, and for a broken
    chain the id of the first event whose link fails and what failed (Chinese, for the operator)."""

    is_intact: bool
    event_count: int
    head_id: int | None = None
    head_hash: str = ""
    broken_id: int | None = None
    problem: str = ""


def _rows(chunk_size: int) -> Iterator[dict[str, Any]]:
    """Events in id order, `chunk_size` at a time (keyset pagination: memory stays bounded)."""
    last_id = 0
    while True:
        chunk = list(
            AuditEvent.objects.filter(id__gt=last_id).order_by("id").values(*HASHED_FIELDS)[:chunk_size]
        )
        if not chunk:
            return
        yield from chunk
        last_id = chunk[-1]["id"]


def verify_audit_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Recomputes every event's hash and checks each link, oldest first; stops at the first break."""
    anchor = AuditAnchor.objects.order_by("-id").first()
    expected_prev = anchor.last_purged_hash if anchor else GENESIS_HASH
    prev_id: int | None = anchor.last_purged_id if anchor else None
    count = 0
    last_purge: dict[str, Any] | None = None
    head_hash = ""

    def broken(event_id: int, problem: str) -> ChainReport:
        return ChainReport(is_intact=False, event_count=count, broken_id=event_id, problem=problem)

    for row in _rows(chunk_size):
        event_id = row["id"]
        if row["prev_hash"] != expected_prev:
            if count == 0 and anchor is None:
                problem = (
                    f"事件 #{event_id} 记录的前序哈希不是创世值，也没有清理记录："
                    f"更早的事件被删除，或该事件被改动。"
                )
            elif count == 0:
                problem = (
                    f"事件 #{event_id} 记录的前序哈希与清理记录中最后清理的事件 #{prev_id} 的哈希不符："
                    f"#{prev_id} 与 #{event_id} 之间的事件被删除，或清理记录被改动。"
                )
            else:
                problem = (
                    f"事件 #{event_id} 记录的前序哈希与上一条事件 #{prev_id} 的哈希不符："
                    f"#{prev_id} 与 #{event_id} 之间的事件被删除，或 #{prev_id} 被改动。"
                )
            return broken(event_id, problem)
        if compute_hash_of(row) != row["hash"]:
            return broken(event_id, f"事件 #{event_id} 的内容与其哈希不符：该事件被改动。")
        if row["action"] == "audit.purged" and isinstance(row["after"], dict):
            last_purge = row["after"]
        expected_prev = row["hash"]
        prev_id = event_id
        head_hash = row["hash"]
        count += 1

    if anchor is not None:
        confirmed = (
            last_purge is not None
            and last_purge.get("last_purged_id") == anchor.last_purged_id
            and last_purge.get("last_purged_hash") == anchor.last_purged_hash
        )
        if not confirmed:
            return broken(
                anchor.last_purged_id,
                f"审计链起点（清理记录 #{anchor.pk}）没有对应的“审计日志清理”事件：清理记录可能被伪造。",
            )
    return ChainReport(
        is_intact=True, event_count=count, head_id=prev_id if count else None, head_hash=head_hash
    )


# --- retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    purged_count: int
    last_purged_id: int | None
    cutoff: dt.datetime


def retention_days() -> int:
    return max(
        MINIMUM_RETENTION_DAYS, int(getattr(settings, "HUIQI_AUDIT_RETENTION_DAYS", MINIMUM_RETENTION_DAYS))
    )


def earliest_purge_date(*, today: dt.date | None = None) -> dt.date:
    """The latest `before` date a purge accepts: events younger than the retention period stay."""
    return (today or timezone.localdate()) - dt.timedelta(days=retention_days())


def purge_audit_events(*, before: dt.date, actor: Any | None = None) -> PurgeResult:
    """Deletes the events that occurred before `before` (00:00 local time), keeping the chain verifiable.

    Refuses a date within the retention period. Deletes only a prefix of the chain (every event with an
    id below the first one to keep), records an AuditAnchor, then an "audit.purged" event."""
    if actor is not None:
        require_role(actor, Role.AUDIT_ADMIN)
    latest = earliest_purge_date()
    if before > latest:
        raise ValidationFailedError(
            f"不能清理 {before.isoformat()} 之前的审计事件：审计日志至少保留 {retention_days()} 天"
            f"（网络安全法第二十一条，不少于六个月），最晚只能清理到 {latest.isoformat()} 之前。",
            field="before",
        )
    cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    with transaction.atomic():
        _lock_chain()
        first_kept = (
            AuditEvent.objects.filter(occurred_at__gte=cutoff)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        doomed = (
            AuditEvent.objects.filter(id__lt=first_kept)
            if first_kept is not None
            else AuditEvent.objects.all()
        )
        last = doomed.order_by("-id").values("id", "hash").first()
        count = doomed.count() if last is not None else 0
        if last is not None:
            table = connection.ops.quote_name(AuditEvent._meta.db_table)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL huiqi.audit_purge = 'on'")
                cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last["id"]])
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL huiqi.audit_purge = 'off'")
            AuditAnchor(
                created_at=timezone.now(),
                purged_before=cutoff,
                last_purged_id=last["id"],
                last_purged_hash=last["hash"],
                purged_count=count,
                actor_name=str(actor) if actor is not None else "系统",
            ).save(force_insert=True)
        record_event(
            actor=actor,
            action="audit.purged",
            object_type="core.auditevent",
            object_repr="审计日志",
            after={
                "before": before,
                "purged_count": count,
                "last_purged_id": last["id"] if last else None,
                "last_purged_hash": last["hash"] if last else None,
                "retention_days": retention_days(),
            },
        )
    return PurgeResult(purged_count=count, last_purged_id=last["id"] if last else None, cutoff=cutoff)


# --- the audit administrator's own actions ----------------------------------------------------


def record_audit_log_access(*, user: Any, action: str, details: dict[str, Any]) -> AuditEvent:
    """Records that the audit administrator searched, exported or verified the log.

    GB/T 22239-2019 8.1.5.2 a): the audit administrator works only through dedicated screens or
    commands, and those operations are themselves audited. `action` is one of "audit.searched",
    "audit.exported", "audit.verified"."""
    if action not in {"audit.searched", "audit.exported", "audit.verified"}:
        raise ValueError(f"not an audit-log access action: {action}")
    if user is not None:
        require_role(user, Role.AUDIT_ADMIN)
    return record_event(
        actor=user, action=action, object_type="core.auditevent", object_repr="审计日志", after=details
    )
