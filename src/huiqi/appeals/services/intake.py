"""Intake (受理): an appeal comes in on one of the channels and becomes a ticket waiting for dispatch.

Decisions where the issue is silent:
* Numbers are "QY" + the registration date (Asia/Shanghai) + "-" + a six-digit sequence of that day
  (QY20261121-000123). The day's counter row is taken at the end of the transaction, just before the
  audit event (which serialises writers on PostgreSQL anyway), so the lock is held for the shortest time.
* A hotline caller is recognised when exactly one enterprise has the caller's number as its
  registered contact phone; with several, none is chosen (the agent picks one on the page,
  selectors.enterprises_for_caller).
* Priority: red-list enterprises and the mayor line are at least `high`; staff may ask for more
  (`urgent`); enterprise users cannot set it.
* Similar open appeals (并单): the most recent open appeal of the same enterprise with the same
  category, or whose text shares at least HUIQI_APPEAL_SIMILARITY_THRESHOLD (0.5) of its character
  bigrams (Jaccard), is stored in `similar_to` for the dispatcher to merge or not.
* A push from another system (the city's 12345 platform) is idempotent by (source_system,
  external_id): the same push again returns the appeal already registered, also when two arrive at once.
  The unique constraint decides (no look-up before the insert: a repeat is the rare case).
* What does not have to happen before the answer runs in one background task, `after_registration`,
  enqueued in the registration's own transaction (core.task_queue): telling the enterprise its
  number, classification and automatic dispatch, and the metrics' fact of the new ticket. Registration
  is the hot path of the 12345 push (benchmarks/README.md, "Appeal intake throughput").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals import attachments as attachment_files
from huiqi.appeals import classification, notices
from huiqi.appeals.enums import Channel, Kind, Priority, TicketAction, TicketState
from huiqi.appeals.errors import AppealInputInvalidError
from huiqi.appeals.metrics import facts as metric_facts
from huiqi.appeals.models import Appeal, AppealNumberCounter, Category, Ticket
from huiqi.appeals.time_limits import apply_time_limit
from huiqi.appeals.transition_fields import clean_category
from huiqi.appeals.workflow import OPEN_STATES, append_history
from huiqi.core.audit import record_event
from huiqi.core.db import insert_new, prepared_cursor
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.task_queue import enqueue_in_transaction
from huiqi.enterprises import selectors as enterprise_selectors

if TYPE_CHECKING:
    import datetime as dt

    from huiqi.accounts.models import User
    from huiqi.enterprises.models import Enterprise

#: Who registers on which channel. The system (actor None: another platform pushing through the API)
#: may use any channel; the mayor line is for red-list enterprises (submit_mayor_line_appeal) and
#: for leaders entering what reached them directly.
CHANNELS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset({Channel.HOTLINE, Channel.WEB, Channel.APP, Channel.VISIT}),
    Role.DISPATCHER: frozenset({Channel.HOTLINE, Channel.WEB, Channel.APP, Channel.VISIT}),
    Role.SPECIALIST: frozenset({Channel.VISIT}),
    Role.LEADER: frozenset({Channel.MAYOR_LINE}),
    Role.ENTERPRISE: frozenset({Channel.WEB, Channel.APP, Channel.MAYOR_LINE}),
}
STAFF_PRIORITY_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.LEADER})
CONTENT_MAX = 10000
TITLE_MAX = 200
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def similarity_threshold() -> float:
    return float(getattr(settings, "HUIQI_APPEAL_SIMILARITY_THRESHOLD", 0.5))


def _invalid(field: str, message: str) -> AppealInputInvalidError:
    return AppealInputInvalidError(message, field=field)


def _text(value: Any, *, field: str, label: str, limit: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise _invalid(field, f"请填写{label}。")
    if len(text) > limit:
        raise _invalid(field, f"{label}不能超过 {limit} 个字（现有 {len(text)} 个）。")
    return text


def _choice(value: Any, choices: Any, *, field: str, label: str) -> Any:
    try:
        return choices(value)
    except ValueError:
        options = "、".join(f"{c.value}（{c.label}）" for c in choices)
        raise _invalid(field, f"{label}“{value}”无效，可选：{options}。") from None


def _check_channel(actor: User | None, channel: Channel) -> None:
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDeniedError("请先登录。")
    allowed = CHANNELS_BY_ROLE.get(actor.role, frozenset())
    if channel not in allowed:
        role = Role(actor.role).label if actor.role in Role.values else actor.role
        raise PermissionDeniedError(f"{role}不能登记“{channel.label}”渠道的诉求。")


def _resolve_enterprise(
    *, actor: User | None, channel: Channel, enterprise: Enterprise | None, caller_phone: str
) -> tuple[Enterprise | None, str]:
    """The appeal's enterprise and how it was found ("given", "membership", "caller_phone", "")."""
    if actor is not None and actor.role == Role.ENTERPRISE:
        ids = account_selectors.enterprise_ids_for(actor)
        if enterprise is not None:
            if enterprise.pk not in ids:
                raise PermissionDeniedError("只能代表本人关联的企业提交诉求。")
            return enterprise, "given"
        if len(ids) != 1:
            raise _invalid(
                "enterprise", "您关联了多家企业，请选择代表哪家企业提交。" if ids else "您的账号未关联企业。"
            )
        return enterprise_selectors.enterprises_visible_to(user=actor).get(pk=ids[0]), "membership"
    if enterprise is not None:
        return enterprise, "given"
    if channel == Channel.HOTLINE and caller_phone:
        found = enterprise_selectors.enterprises_with_contact_phone(phone=caller_phone)
        if len(found) == 1:
            return found[0], "caller_phone"
    return None, ""


def _take_number(day: dt.date, appeal_id: int) -> str | None:
    """Increments the day's counter and stores the appeal's number; None if the day has no counter row.

    The counter row stays locked until the commit: registrations take numbers one at a time. On
    PostgreSQL one statement does both (a data-modifying WITH: one round trip inside the critical
    section instead of two); elsewhere (SQLite 3.35+) UPDATE ... RETURNING, then the appeal's UPDATE."""
    quote = connection.ops.quote_name
    counter, appeals = quote(AppealNumberCounter._meta.db_table), quote(Appeal._meta.db_table)
    prefix = f"QY{day:%Y%m%d}-"
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH taken AS (UPDATE {counter} SET last_value = last_value + 1 WHERE day = %s"
                " RETURNING last_value::text AS value)"
                f" UPDATE {appeals} SET number = %s || lpad(taken.value, greatest(6, length(taken.value)), '0')"
                f" FROM taken WHERE {appeals}.id = %s RETURNING {appeals}.number",
                [day, prefix, appeal_id],
            )
            row = cursor.fetchone()
            return str(row[0]) if row is not None else None
        cursor.execute(
            f"UPDATE {counter} SET last_value = last_value + 1 WHERE day = %s RETURNING last_value",
            [connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        number = f"{prefix}{int(row[0]):06d}"
        cursor.execute(f"UPDATE {appeals} SET number = %s WHERE id = %s", [number, appeal_id])
        return number


def _give_number(appeal: Appeal, moment: dt.datetime) -> None:
    """The next number of the registration day (Asia/Shanghai), stored on the appeal (module docstring)."""
    day = timezone.localtime(moment).date()
    number = _take_number(day, appeal.pk)
    if number is None:  # the day's first registration
        try:
            with transaction.atomic():
                AppealNumberCounter.objects.create(day=day, last_value=0)
        except IntegrityError:  # another registration created the day's row first
            pass
        number = _take_number(day, appeal.pk)
    if number is None:
        raise RuntimeError(f"appeal number counter of {day} is missing")
    appeal.number = number


def _bigrams(text: str) -> set[str]:
    clean = _NOT_TEXT.sub("", text)
    return {clean[i : i + 2] for i in range(len(clean) - 1)} or ({clean} if clean else set())


def _jaccard(x: set[str], y: set[str]) -> float:
    """Jaccard similarity of two texts' character bigrams (punctuation and spaces ignored)."""
    return len(x & y) / len(x | y) if x and y else 0.0


def _similar_candidates_sql() -> str:
    quote = connection.ops.quote_name
    states = ", ".join(["%s"] * len(OPEN_STATES))  # the parameters: sorted(OPEN_STATES)
    return (
        f"SELECT a.id, a.number, a.category_id, a.title, a.content FROM {quote(Appeal._meta.db_table)} a"
        f" JOIN {quote(Ticket._meta.db_table)} t ON t.appeal_id = a.id"
        f" WHERE a.enterprise_id = %s AND a.merged_into_id IS NULL AND t.state IN ({states})"
        " ORDER BY a.registered_at DESC, a.id DESC LIMIT 50"
    )


def find_similar_open_appeal(
    *, enterprise_id: int | None, category_id: int | None, text: str
) -> tuple[int | None, str, float]:
    """The open appeal of the same enterprise most like a new one (module docstring): its id, number
    and score, or (None, "", 0.0). Among the enterprise's 50 latest open appeals, not merged. Plain
    SQL: composing this query through the ORM cost more than running it, on every registration."""
    if enterprise_id is None:
        return None, "", 0.0
    with prepared_cursor() as cursor:
        cursor.execute(_similar_candidates_sql(), [enterprise_id, *(str(s) for s in sorted(OPEN_STATES))])
        rows = cursor.fetchall()
    threshold = similarity_threshold()
    own = _bigrams(text)
    best: tuple[int | None, str, float] = (None, "", 0.0)
    for pk, number, candidate_category_id, title, content in rows:
        if category_id is not None and candidate_category_id == category_id:
            score = 1.0
        else:
            score = _jaccard(own, _bigrams(f"{title} {content}"))
        if score >= threshold and score > best[2]:
            best = (pk, number, score)
    return best


def register_appeal(
    *,
    actor: User | None,
    channel: str,
    kind: str,
    content: str,
    title: str = "",
    enterprise: Enterprise | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    category: Category | str | int | None = None,
    priority: str | None = None,
    external_id: str | None = None,
    source_system: str | None = None,
    attachments: Sequence[Any] = (),
) -> Appeal:
    """Registers an appeal and its ticket (module docstring); returns the appeal (`appeal.ticket`).

    `actor` None is another system pushing through the API: it must name `source_system`. Raises
    PermissionDeniedError for a role or channel not allowed, AppealInputInvalidError for bad fields
    (nothing is stored then)."""
    clean_channel: Channel = _choice(channel, Channel, field="channel", label="渠道")
    clean_kind: Kind = _choice(kind, Kind, field="kind", label="诉求类型")
    _check_channel(actor, clean_channel)
    content = _text(content, field="content", label="诉求内容", limit=CONTENT_MAX, required=True)
    title = _text(title, field="title", label="标题", limit=TITLE_MAX) or content[:30]
    caller_name = _text(caller_name, field="caller_name", label="联系人", limit=50)
    caller_phone = _text(caller_phone, field="caller_phone", label="联系电话", limit=40)
    source_system = _text(source_system, field="source_system", label="来源系统", limit=40)
    external_id = _text(external_id, field="external_id", label="外部编号", limit=64) or None
    if external_id and not source_system:
        raise _invalid("source_system", "提供外部编号时必须注明来源系统。")
    if actor is None and not source_system:
        raise _invalid("source_system", "系统推送的诉求必须注明来源系统。")
    is_enterprise_user = actor is not None and actor.role == Role.ENTERPRISE
    if priority and actor is not None and actor.role not in STAFF_PRIORITY_ROLES:
        raise _invalid("priority", "只有坐席、派单员和领导可以指定优先级。")
    requested = _choice(priority, Priority, field="priority", label="优先级") if priority else None
    clean_cat = clean_category(category) if category not in (None, "") else None
    files = list(attachments)
    attachment_files.validate_attachments(files)
    found, recognised_by = _resolve_enterprise(
        actor=actor, channel=clean_channel, enterprise=enterprise, caller_phone=caller_phone
    )
    if is_enterprise_user and actor is not None:
        caller_name = caller_name or actor.full_name or actor.username
        caller_phone = caller_phone or actor.phone
    if clean_channel == Channel.MAYOR_LINE and (found is None or not found.red_list):
        raise _invalid("channel", "企业市长直通车只受理红名单企业的诉求。")
    is_red_list = bool(found is not None and found.red_list)
    floor = Priority.HIGH if is_red_list or clean_channel == Channel.MAYOR_LINE else Priority.NORMAL
    final_priority = Priority.highest(floor, requested)
    similar = find_similar_open_appeal(
        enterprise_id=found.pk if found is not None else None,
        category_id=clean_cat.pk if clean_cat is not None else None,
        text=f"{title} {content}",
    )
    try:
        with transaction.atomic():
            return _create(
                actor=actor,
                channel=clean_channel,
                kind=clean_kind,
                title=title,
                content=content,
                enterprise=found,
                recognised_by=recognised_by,
                caller_name=caller_name,
                caller_phone=caller_phone,
                category=clean_cat,
                priority=final_priority,
                is_red_list=is_red_list,
                source_system=source_system,
                external_id=external_id,
                files=files,
                similar=similar,
            )
    except IntegrityError:
        if external_id:  # the same push registered by a concurrent request: idempotent
            existing = Appeal.objects.filter(source_system=source_system, external_id=external_id).first()
            if existing is not None:
                return existing
        raise


def _create(
    *,
    actor: User | None,
    channel: Channel,
    kind: Kind,
    title: str,
    content: str,
    enterprise: Enterprise | None,
    recognised_by: str,
    caller_name: str,
    caller_phone: str,
    category: Category | None,
    priority: Priority,
    is_red_list: bool,
    source_system: str,
    external_id: str | None,
    files: list[Any],
    similar: tuple[int | None, str, float],
) -> Appeal:
    now = timezone.now()
    similar_id, similar_number, score = similar
    user = actor if getattr(actor, "pk", None) else None
    # insert_new (core.db): the rows of a registration are written with statements composed once.
    appeal = Appeal(
        number=f"~{uuid.uuid4().hex[:19]}",  # the real number is taken last (module docstring)
        channel=channel,
        kind=kind,
        title=title,
        content=content,
        enterprise=enterprise,
        caller_name=caller_name,
        caller_phone=caller_phone,
        source_system=source_system,
        external_id=external_id,
        priority=priority,
        is_red_list=is_red_list,
        category=category,
        similar_to_id=similar_id,
        registered_at=now,
        registered_by=user,
    )
    insert_new(appeal)
    attachment_files.save_attachments(appeal=appeal, files=files, actor=user, now=now)
    state = (
        TicketState.AWAITING_INSTRUCTION if channel == Channel.MAYOR_LINE else TicketState.AWAITING_DISPATCH
    )
    ticket = Ticket(appeal=appeal, state=state, clock_started_at=now)
    spec = apply_time_limit(ticket=ticket, appeal=appeal)
    insert_new(ticket)
    # Everything that does not need the number comes before it: the day's number counter (a row lock)
    # and then the audit chain (an advisory lock) serialise all registrations until the commit, so
    # only the number, the appeal's update and the audit event are inside that critical section
    # (benchmarks/README.md, "Appeal intake throughput").
    append_history(
        ticket=ticket,
        action=TicketAction.REGISTER,
        actor=user,
        at=now,
        refresh_metrics=False,  # after_registration does it
        channel=channel,
        kind=kind,
        priority=priority,
        enterprise_id=appeal.enterprise_id,
        recognised_by=recognised_by,
        similar_to=similar_number or None,
        similarity=round(score, 3) if similar_id else None,
        time_limit=spec.label,
        attachments=len(files),
    )
    from huiqi.appeals.tasks import after_registration  # the tasks module imports the services

    enqueue_in_transaction(after_registration, appeal.pk)
    _give_number(appeal, now)
    record_event(
        actor=user,
        action="appeal.registered",
        obj=appeal,
        after={
            "number": appeal.number,
            "channel": channel,
            "kind": kind,
            "enterprise_id": appeal.enterprise_id,
            "priority": priority,
            "state": state,
            "deadline_at": ticket.deadline_at,
            "source_system": source_system,
            "external_id": external_id,
        },
    )
    return appeal


def complete_registration(*, appeal_id: int) -> dict[str, Any]:
    """What follows a registration's commit, run by the `after_registration` task (module docstring):
    the enterprise's users (and for the mayor line the city's leaders) are told the number; the
    metrics' fact of the new ticket is written; and while a classifier is active the appeal is
    classified and, when confident enough, dispatched. Each step commits on its own, so a failure of
    the classifier leaves the notices and the fact in place (and `huiqi rebuild_appeal_metrics
    --updated-since` catches up a fact that was missed)."""
    appeal = Appeal.objects.select_related("enterprise", "ticket").filter(pk=appeal_id).first()
    if appeal is None:
        return {"appeal": None}
    _notify_registered(appeal, appeal.ticket)
    metric_facts.refresh_appeal_fact(ticket=appeal.ticket.pk)
    if not classification.has_active_classifier():
        return {
            "appeal": appeal.number,
            "classified": False,
            "dispatched": False,
            "reason": "没有启用的分类模型",
        }
    outcome = classification.classify_and_route_appeal(appeal_id=appeal_id)
    return {
        "appeal": appeal.number,
        "classified": outcome.classified,
        "dispatched": outcome.dispatched,
        "reason": outcome.reason,
    }


def _notify_registered(appeal: Appeal, ticket: Ticket) -> None:
    link = notices.ticket_link(ticket)
    batch = [
        notices.Notice(
            recipients=notices.enterprise_users_of(appeal),
            event_key=f"appeals.appeal.{appeal.pk}.registered",
            subject=f"您的诉求已受理，编号 {appeal.number}",
            body=f"“{appeal.title}”已受理，编号 {appeal.number}，可凭编号查询办理进度。",
            link=link,
            channels=notices.INBOX_AND_SMS,
        )
    ]
    if appeal.channel == Channel.MAYOR_LINE:
        batch.append(
            notices.Notice(
                recipients=notices.city_leaders(),
                event_key=f"appeals.appeal.{appeal.pk}.mayor_line",
                subject=f"直通车诉求待批示：{appeal.number}",
                body=f"{appeal.enterprise.name if appeal.enterprise else ''}：{appeal.title}",
                link=link,
            )
        )
    notices.schedule(batch)


def submit_mayor_line_appeal(
    *,
    actor: User,
    title: str,
    content: str,
    kind: str = Kind.HELP,
    enterprise: Enterprise | None = None,
    attachments: Sequence[Any] = (),
) -> Appeal:
    """企业市长直通车: a red-list enterprise's user submits to the leaders' queue (awaiting instruction)."""
    if getattr(actor, "role", None) != Role.ENTERPRISE:
        raise PermissionDeniedError("企业市长直通车由红名单企业提交。")
    return register_appeal(
        actor=actor,
        channel=Channel.MAYOR_LINE,
        kind=kind,
        title=title,
        content=content,
        enterprise=enterprise,
        attachments=attachments,
    )


def record_classification(
    *,
    appeal: Appeal,
    suggested_category: Category | str | None,
    confidence: float | Decimal | None,
    top3: Sequence[dict[str, Any]] = (),
    classifier_version: str = "",
) -> Appeal:
    """Stores a classifier's suggestion on an appeal (the seam for the classification service).

    `top3` is a list of {"category": code, "confidence": number}, best first. Suggestions never set
    the category itself: a dispatcher, or automatic dispatch above the confidence threshold, does."""
    category = clean_category(suggested_category, "suggested_category") if suggested_category else None
    value: Decimal | None = None
    if confidence is not None:
        value = Decimal(str(confidence)).quantize(Decimal("0.0001"))
        if not Decimal(0) <= value <= Decimal(1):
            raise _invalid("confidence", f"置信度须在 0 到 1 之间，收到 {confidence}。")
    candidates = []
    for entry in list(top3)[:3]:
        if not isinstance(entry, dict) or "category" not in entry:
            raise _invalid("top3", "候选分类应为 {category, confidence} 的列表。")
        candidates.append(
            {"category": str(entry["category"]), "confidence": float(entry.get("confidence", 0))}
        )
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        before = {
            "suggested_category_id": locked.suggested_category_id,
            "confidence": locked.confidence,
            "top3": locked.top3,
            "classifier_version": locked.classifier_version,
        }
        locked.suggested_category = category
        locked.confidence = value
        locked.top3 = candidates
        locked.classifier_version = classifier_version[:40]
        locked.save(update_fields=["suggested_category", "confidence", "top3", "classifier_version"])
        record_event(
            actor=None,
            action="appeal.classified",
            obj=locked,
            before=before,
            after={
                "suggested_category_id": locked.suggested_category_id,
                "confidence": value,
                "top3": candidates,
                "classifier_version": locked.classifier_version,
            },
        )
    return locked
