"""Keeping the stored match results (MatchResult) up to date: the all-against-all job and re-matching.

MatchResult holds, for every enterprise and item in force, the eligible and needs_info results
(services.record_match_results explains why only those); push and 免申即享 (later work) read it, so
it must follow the registry and the library:

* the all-against-all job, a MatchRun with progress: started from the match-runs page (policy
  reviewer, system administrator), after a bulk change of the registry, or after items are published
  or retired (then limited to those items). The registry is read once per run (only the columns
  the items read) and evaluated by the Polars engine ITEMS_PER_STEP items at a time; each step
  replaces the rows of its items in one transaction and advances `processed_items`, so the page
  shows progress and a failure leaves every finished item consistent. At the end, rows of items no
  longer in force are deleted.
* re-matching enterprises after their profiles change: enterprises.services calls the listener
  registered in PoliciesConfig.ready (`on_profiles_changed`); after commit, a task evaluates those
  enterprises against every item in force with the single-enterprise evaluator and replaces their
  rows. More than ENTERPRISE_REMATCH_LIMIT enterprises (a large import) start the whole job instead:
  one pass of the bulk engine is cheaper than thousands of single evaluations.

No loops: re-matching writes MatchResult only; it never changes a profile or a version, so it calls
no listener and schedules nothing.

Rows are written with an upsert on (enterprise, item): a job and a re-match of one enterprise may
run at the same time, and on PostgreSQL the second writer of a row would otherwise fail on the
primary key (the (enterprise, item) pair) after the first commits.

Automatic re-matches write no audit event (they change derived data only, and happen on every
profile edit); a job started by a person and its outcome are audited.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.accounts.selectors import can_view_enterprise
from huiqi.core.audit import record_event
from huiqi.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from huiqi.policies import matching
from huiqi.policies.models import MatchResult, MatchRun, MatchRunStatus, MatchRunTrigger, PolicyItemVersion
from huiqi.policies.selectors import effective_versions
from huiqi.rules import polars_eval
from huiqi.rules.evaluate import evaluate
from huiqi.rules.fields import DEFAULT_REGISTRY
from huiqi.rules.schema import ItemRules

#: Who may start the all-against-all job from the page (system: actor None).
RUN_ROLES = (Role.POLICY_REVIEWER, Role.SYSTEM_ADMIN)
ITEMS_PER_STEP = 10
WRITE_BATCH = 5000
#: Above this many changed enterprises, the whole job runs instead of single re-matches.
ENTERPRISE_REMATCH_LIMIT = 2000
STORED_STATUSES = ("eligible", "needs_info")
_WRITTEN_FIELDS = ("enterprise", "item", "item_version", "status", "amount", "as_of", "evaluated_at")


def _enterprise_model() -> Any:
    # As in matching.py: the enterprises app offers no bulk read by ids, and its models are its own.
    return apps.get_model("enterprises", "Enterprise")


def can_start_match_run(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in RUN_ROLES)


# ------------------------------------------------------------------------------------- reads
def match_runs_for(*, user: Any, limit: int = 30) -> QuerySet[MatchRun]:
    """The newest runs, for the match-runs page (same roles as starting one)."""
    require_role(user, *RUN_ROLES)
    return MatchRun.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]


def get_match_run(*, user: Any, run_id: int) -> MatchRun:
    require_role(user, *RUN_ROLES)
    run = MatchRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None:
        raise NotFoundError(f"没有编号为 {run_id} 的匹配任务。", field="run_id")
    return run


def stored_result_counts() -> dict[str, int]:
    """How many stored results there are by status (the page's summary)."""
    counts = dict.fromkeys(STORED_STATUSES, 0)
    for row in MatchResult.objects.values("status").order_by("status").annotate(count=Count("*")):
        counts[row["status"]] = row["count"]
    return counts


# ---------------------------------------------------------------------------------- the job
def start_match_run(
    *,
    actor: Any,
    as_of: date | None = None,
    item_codes: Sequence[str] | None = None,
    trigger: str = MatchRunTrigger.MANUAL,
    enqueue: bool = True,
) -> MatchRun:
    """Creates a MatchRun and queues it (after commit). `item_codes` limits it to those items;
    `enqueue` False leaves it for the caller to run (process_match_run; the command line does).

    A person needs policy_reviewer or system_admin; actor None is the system (publishing, a bulk
    import of the registry, the command line). A second full run while one is queued or running is
    refused (ConflictError) for a person, and for the system returns the queued one.
    """
    if actor is not None:
        require_role(actor, *RUN_ROLES)
    codes = sorted({code.strip() for code in item_codes or () if code and code.strip()})
    if item_codes is not None and not codes:
        raise ValidationFailedError("没有指定要匹配的条目。", field="item_codes")
    with transaction.atomic():
        if not codes:
            active = (
                MatchRun.objects.select_for_update()
                .filter(status__in=(MatchRunStatus.PENDING, MatchRunStatus.RUNNING), item_codes=[])
                .order_by("created_at")
                .first()
            )
            if active is not None:
                if actor is not None:
                    raise ConflictError(
                        f"全量匹配任务 {active.pk} 正在{MatchRunStatus(active.status).label.rstrip('中')}，"
                        "请等它完成后再发起。"
                    )
                if active.status == MatchRunStatus.PENDING:
                    return active
        run = MatchRun.objects.create(
            as_of=as_of or timezone.localdate(),
            item_codes=codes,
            trigger=trigger,
            started_by=actor if getattr(actor, "pk", None) else None,
        )
        if actor is not None:
            record_event(
                actor=actor,
                action="policy_match_run.start",
                obj=run,
                after={"as_of": run.as_of, "item_codes": codes or "全部条目", "trigger": trigger},
            )
        if enqueue:
            run_id = run.pk
            transaction.on_commit(lambda: _enqueue_run(run_id))
    return run


def _enqueue_run(run_id: int) -> None:
    from huiqi.policies.tasks import match_all_items  # the task module imports this one

    match_all_items.enqueue(run_id)


def _update_run(run: MatchRun, **values: Any) -> None:
    for name, value in values.items():
        setattr(run, name, value)
    MatchRun.objects.filter(pk=run.pk).update(**values)


def process_match_run(*, run: MatchRun) -> MatchRun:
    """Runs a queued MatchRun (the background task): see the module docstring. A run that is not
    pending (done, failed, or taken by another worker) is left alone."""
    taken = MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.PENDING).update(
        status=MatchRunStatus.RUNNING, started_at=timezone.now()
    )
    run.refresh_from_db()
    if not taken:
        return run
    try:
        _run_steps(run)
    except Exception as error:
        _update_run(
            run,
            status=MatchRunStatus.FAILED,
            failure_message=f"匹配中断：{error}",
            finished_at=timezone.now(),
        )
        raise
    _update_run(run, status=MatchRunStatus.DONE, finished_at=timezone.now())
    record_event(
        actor=None,
        action="policy_match_run.finish",
        obj=run,
        after={
            "as_of": run.as_of,
            "items": run.total_items,
            "enterprises": run.enterprise_count,
            "eligible": run.eligible_count,
            "needs_info": run.needs_info_count,
        },
    )
    return run


def _run_steps(run: MatchRun) -> None:
    versions = effective_versions(as_of=run.as_of)
    if run.item_codes:
        wanted = set(run.item_codes)
        versions = [version for version in versions if version.item.code in wanted]
    _update_run(run, total_items=len(versions), processed_items=0)
    rules = {version.item.code: matching.rules_of(version) for version in versions}
    needed: set[str] = set()
    for item_rules in rules.values():
        needed.update(item_rules.fields())
    frame: pl.DataFrame | None = None
    if not versions:
        _update_run(run, enterprise_count=_enterprise_model().objects.count())
    else:
        # The registry is read once for the whole run (the columns every item reads).
        frame = matching.registry_frame(as_of=run.as_of, fields=needed)
        _update_run(run, enterprise_count=frame.height)
    eligible = needs_info = 0
    for start in range(0, len(versions), ITEMS_PER_STEP):
        group = versions[start : start + ITEMS_PER_STEP]
        assert frame is not None
        result = _evaluate_group(
            frame, {version.item.code: rules[version.item.code] for version in group}, as_of=run.as_of
        )
        counts = dict(result.group_by("status").len().iter_rows())
        eligible += counts.get("eligible", 0)
        needs_info += counts.get("needs_info", 0)
        with transaction.atomic():
            MatchResult.objects.filter(item_id__in=[version.item_id for version in group]).delete()
            _write_results(result, {version.item.code: version for version in group}, as_of=run.as_of)
        _update_run(
            run,
            processed_items=start + len(group),
            eligible_count=eligible,
            needs_info_count=needs_info,
        )
    # Items no longer in force (ended, retired, or never published) keep no results.
    stale = MatchResult.objects.exclude(item_id__in=[version.item_id for version in versions])
    if run.item_codes:
        stale = stale.filter(item__code__in=run.item_codes)
    stale.delete()


def _evaluate_group(frame: pl.DataFrame, items: dict[str, ItemRules], *, as_of: date) -> pl.DataFrame:
    """`enterprise_id, item_code, status, amount` of the stored statuses, for these items: the bulk
    evaluator that `huiqi match_policies` uses (matching.evaluate_versions), so both agree."""
    return polars_eval.evaluate_items(
        frame,
        items,
        id_column="enterprise_id",
        registry=DEFAULT_REGISTRY,
        as_of=as_of,
        statuses=STORED_STATUSES,
    )


def _write_results(result: pl.DataFrame, versions: dict[str, PolicyItemVersion], *, as_of: date) -> int:
    """Upserts the rows of `result` (enterprise_id, item_code, status, amount); returns how many."""
    codes = list(versions)
    frame = result.select(
        "enterprise_id",
        pl.col("item_code")
        .replace_strict(codes, [versions[code].item_id for code in codes])
        .alias("item_id"),
        pl.col("item_code").replace_strict(codes, [versions[code].pk for code in codes]).alias("version_id"),
        pl.col("status").cast(pl.String),
        "amount",
    )
    rows = frame.iter_rows()
    written = 0
    while batch := list(itertools.islice(rows, WRITE_BATCH)):
        written += _upsert(batch, as_of=as_of)
    return written


def _upsert(rows: Sequence[tuple[Any, ...]], *, as_of: date, evaluated_at: datetime | None = None) -> int:
    """INSERT ... ON CONFLICT (enterprise, item) DO UPDATE, with a raw cursor (SQLite 3.24+ and
    PostgreSQL). The ORM's bulk_create spends most of a large job preparing each value in Python;
    this writes the same rows about five times faster. `rows` are (enterprise_id, item_id,
    item_version_id, status, amount)."""
    if not rows:
        return 0
    ops = connection.ops
    day = ops.adapt_datefield_value(as_of)
    stamp = ops.adapt_datetimefield_value(evaluated_at or timezone.now())
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(), [(*row, day, stamp) for row in rows])
    return len(rows)


def _upsert_sql() -> str:
    meta = MatchResult._meta
    quote = connection.ops.quote_name
    concrete = {field.name: field.column for field in meta.concrete_fields}
    columns = [concrete[name] for name in _WRITTEN_FIELDS]
    key = [concrete[name] for name in ("enterprise", "item")]
    updates = ", ".join(
        f"{quote(column)} = EXCLUDED.{quote(column)}" for column in columns if column not in key
    )
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(column) for column in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(column) for column in key)}) DO UPDATE SET {updates}"
    )


# ------------------------------------------------------------------------- re-matching
def refresh_enterprise_matches(*, enterprise_ids: Iterable[int], as_of: date | None = None) -> int:
    """Evaluates these enterprises against every item in force on `as_of` (today) and replaces their
    stored results; returns how many rows were stored. Unknown ids are skipped."""
    as_of = as_of or timezone.localdate()
    ids = sorted(set(enterprise_ids))
    versions = effective_versions(as_of=as_of)
    rules = [(version, matching.rules_of(version)) for version in versions]
    now = timezone.now()
    rows: list[tuple[Any, ...]] = []
    enterprises = list(_enterprise_model().objects.filter(pk__in=ids).order_by("pk"))
    for enterprise in enterprises:
        profile = matching.enterprise_profile(enterprise, as_of=as_of)
        for version, item_rules in rules:
            result = evaluate(item_rules, profile, explain_result=False)
            if result.status.value in STORED_STATUSES:
                rows.append((enterprise.pk, version.item_id, version.pk, result.status.value, result.amount))
    with transaction.atomic():
        MatchResult.objects.filter(enterprise_id__in=[enterprise.pk for enterprise in enterprises]).delete()
        for start in range(0, len(rows), WRITE_BATCH):
            _upsert(rows[start : start + WRITE_BATCH], as_of=as_of, evaluated_at=now)
    return len(rows)


def recompute_enterprise_matches(*, actor: Any, enterprise: Any, as_of: date | None = None) -> int:
    """The "重新计算" button: refreshes one enterprise's stored results now, for a user who may see it
    (the enterprise's own users, staff who read the registry)."""
    if not can_view_enterprise(actor, enterprise):
        raise PermissionDeniedError("您只能为本企业重新计算匹配结果。")
    with transaction.atomic():
        stored = refresh_enterprise_matches(enterprise_ids=[enterprise.pk], as_of=as_of)
        record_event(
            actor=actor,
            action="policy_match.recompute",
            obj=enterprise,
            after={"as_of": as_of or timezone.localdate(), "stored": stored},
        )
    return stored


def on_profiles_changed(*, enterprise_ids: tuple[int, ...] | None, actor: Any) -> None:
    """The enterprises app's profile-changed listener (registered in PoliciesConfig.ready): queues
    the re-match after commit; see the module docstring."""
    if enterprise_ids is None or len(enterprise_ids) > ENTERPRISE_REMATCH_LIMIT:
        start_match_run(actor=None, trigger=MatchRunTrigger.REGISTRY)
        return
    ids = sorted(set(enterprise_ids))
    transaction.on_commit(lambda: _enqueue_enterprise_rematch(ids))


def _enqueue_enterprise_rematch(ids: list[int]) -> None:
    from huiqi.policies.tasks import rematch_enterprises

    rematch_enterprises.enqueue(ids)


def schedule_item_rematch(*, item_codes: Sequence[str]) -> MatchRun | None:
    """After items are published or retired: a MatchRun of those items (queued after commit)."""
    codes = [code for code in item_codes if code]
    if not codes:
        return None
    return start_match_run(actor=None, item_codes=codes, trigger=MatchRunTrigger.PUBLISH)
