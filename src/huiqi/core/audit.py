"""The audit log: append-only events written by services, chained by hash so that tampering shows.

Every state change in Huiqi calls `record_event` inside the service's transaction. Each event's
hash covers its own content and the previous event's hash; `huiqi audit_verify` walks the chain.
"""

import hashlib
import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from huiqi.core import request_context
from huiqi.core.models import AuditEvent

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def compute_hash(event: AuditEvent) -> str:
    payload = _canonical(
        {
            "occurred_at": event.occurred_at.isoformat(),
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "actor_role": event.actor_role,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_repr": event.object_repr,
            "before": event.before,
            "after": event.after,
            "source_ip": event.source_ip,
            "prev_hash": event.prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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

    `before` and `after` hold only what changed (JSON-serialisable; Decimals and dates become strings).
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    context = request_context.current()
    with transaction.atomic():
        # Serialise writers: the last event is read under a row lock, so two concurrent writers
        # cannot both chain onto the same predecessor.
        last = AuditEvent.objects.select_for_update().order_by("-id").only("hash").first()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=str(actor)[:150] if actor is not None else "系统",
            actor_role=getattr(actor, "role", "") or "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:255],
            before=json.loads(_canonical(before)) if before is not None else None,
            after=json.loads(_canonical(after)) if after is not None else None,
            source_ip=context.source_ip,
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
    return event
