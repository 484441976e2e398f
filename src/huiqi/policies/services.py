"""Writes of the policy library: importing and exporting item files, the version workflow, match results.

Import (DATA-CONTRACT.md section 3, `huiqi import_policies`): every item of every file is validated
on its own; an invalid item, or one whose examples fail, is rejected with the path of each fault and
the others are imported, each in its own transaction. An accepted item becomes a new version of the
item with its code (version 1 for a new code). Without `as_draft` the version is published at once:
the administrator's bulk load, step `bulk_publish` of workflow.py, audited as
"policy_item.bulk_publish"; with `as_draft` it waits for an editor to submit it for review.

Export writes one YAML file per item, `<code>.yaml`, holding the item's newest published version, in
the contract's format and key order, such that importing the files again gives the same data.

Workflow steps (submit, return to the editor, publish, retire) go through one function, `_take_step`,
which locks the version (`select_for_update`), checks the step against workflow.TRANSITIONS (status
and role), appends a VersionTransition row and writes the audit event.

Search: a publication (one step, or one import) queues the warming of policy search's token cache
after commit (tasks.warm_policy_search), so the newly searchable text is segmented by the background
worker rather than by the next search; `warm_policy_search` is that warming (search_index.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core.audit import record_event
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from huiqi.policies import match_runs, matching, result_copy
from huiqi.policies.errors import (
    PolicyExampleFailedError,
    PolicyRulesInvalidError,
    PolicyTransitionNotAllowedError,
)
from huiqi.policies.examples import run_examples
from huiqi.policies.item_file import (
    Fault,
    ItemData,
    ItemFileError,
    dump_item,
    item_mapping,
    join_path,
    parse_item,
    policy_files,
    read_items,
    stored_rules,
)
from huiqi.policies.models import (
    MatchResult,
    PolicyDocument,
    PolicyItem,
    PolicyItemVersion,
    VersionTransition,
)
from huiqi.policies.selectors import effective_versions, latest_published_versions
from huiqi.policies.workflow import Step, Transition, VersionStatus, transition_for
from huiqi.rules.errors import RuleValidationError

if TYPE_CHECKING:
    from huiqi.policies.search_index import TokenCacheReport

# ------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportedVersion:
    location: str
    code: str
    number: int
    status: str
    is_new_item: bool


@dataclass(frozen=True)
class RejectedItem:
    """An item (or a whole file, when `code` is empty) that was not imported, and every reason."""

    location: str
    code: str
    faults: tuple[Fault, ...]


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    imported: list[ImportedVersion] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)

    @property
    def published_count(self) -> int:
        return sum(1 for item in self.imported if item.status == VersionStatus.PUBLISHED)

    @property
    def draft_count(self) -> int:
        return sum(1 for item in self.imported if item.status == VersionStatus.DRAFT)

    @property
    def has_rejections(self) -> bool:
        return bool(self.rejected)

    def summary(self) -> str:
        return (
            f"读取 {len(self.files)} 个文件：发布 {self.published_count} 条，草稿 {self.draft_count} 条，"
            f"拒绝 {len(self.rejected)} 条"
        )


def _check_import_actor(actor: Any, *, as_draft: bool) -> None:
    # No actor: the operator at the command line (the administrator's bulk load of the contract).
    if actor is None:
        return
    if as_draft:
        require_role(actor, Role.POLICY_EDITOR, Role.SYSTEM_ADMIN)
    else:
        require_role(actor, *transition_for(Step.BULK_PUBLISH).roles)


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _document_for(data: ItemData) -> PolicyDocument:
    document = PolicyDocument.objects.filter(
        title=data.policy,
        issuing_department=data.department,
        level=data.level,
        region_code=data.region_code,
        document_number=data.document_number,
    ).first()
    if document is None:
        document = PolicyDocument.objects.create(
            title=data.policy,
            issuing_department=data.department,
            level=data.level,
            region_code=data.region_code,
            document_number=data.document_number,
        )
    return document


def _locked_item(code: str, document: PolicyDocument) -> tuple[PolicyItem, bool]:
    item = PolicyItem.objects.select_for_update().filter(code=code).first()
    if item is not None:
        return item, False
    try:
        with transaction.atomic():
            return PolicyItem.objects.create(code=code, document=document), True
    except IntegrityError:  # created by someone else at the same moment
        return PolicyItem.objects.select_for_update().get(code=code), False


def _create_version(data: ItemData, *, text: str, actor: Any) -> tuple[PolicyItemVersion, bool]:
    document = _document_for(data)
    item, is_new = _locked_item(data.code, document)
    number = (item.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = PolicyItemVersion.objects.create(
        item=item,
        number=number,
        title=data.title,
        document=document,
        eligibility=data.eligibility,
        reward=data.reward,
        examples=data.examples,
        auto_entitlement=data.auto_entitlement,
        budget_amount=data.budget_amount,
        application_opens_on=data.application_opens_on,
        application_closes_on=data.application_closes_on,
        effective_from=data.effective_from,
        effective_to=data.effective_to,
        status=VersionStatus.DRAFT,
        source_yaml=text,
        created_by=_actor_or_none(actor),
    )
    VersionTransition.objects.create(
        version=version,
        step=Step.CREATE,
        from_status="",
        to_status=VersionStatus.DRAFT,
        actor=_actor_or_none(actor),
        occurred_at=timezone.now(),
    )
    return version, is_new


def import_policy_items(*, paths: Sequence[Path], actor: Any = None, as_draft: bool = False) -> ImportReport:
    """Import policy item files (DATA-CONTRACT.md section 2 and 3); see the module docstring.

    `paths` are files or folders (every *.yaml / *.yml below, recursively). `actor` None is the
    command line; a signed-in actor needs system_admin to publish, policy_editor (or system_admin)
    for drafts. Returns what was imported and what was rejected with each fault's path.
    """
    _check_import_actor(actor, as_draft=as_draft)
    report = ImportReport()
    seen: dict[str, str] = {}
    for path in paths:
        files = policy_files(Path(path))
        if not files:
            report.rejected.append(
                RejectedItem(str(path), "", (Fault(str(path), "文件夹中没有 .yaml / .yml 文件"),))
            )
        for file in files:
            report.files.append(str(file))
            try:
                raw_items = read_items(file)
            except ItemFileError as error:
                report.rejected.append(RejectedItem(str(file), "", tuple(error.faults)))
                continue
            for raw in raw_items:
                _import_one(raw, actor=actor, as_draft=as_draft, seen=seen, report=report)
    # One re-match of every published item (match_runs.py), not one per item: one pass over the registry.
    match_runs.schedule_item_rematch(
        item_codes=[item.code for item in report.imported if item.status == VersionStatus.PUBLISHED]
    )
    if report.published_count:
        schedule_search_warming()
    return report


def _import_one(raw: Any, *, actor: Any, as_draft: bool, seen: dict[str, str], report: ImportReport) -> None:
    try:
        data = parse_item(raw)
    except ItemFileError as error:
        code = raw.data.get("code") if isinstance(raw.data, dict) else None
        report.rejected.append(RejectedItem(raw.location, str(code or ""), tuple(error.faults)))
        return
    if data.code in seen:
        fault = Fault(
            join_path(raw.location, "code"), f"编码 {data.code} 在本次导入中已出现（{seen[data.code]}）"
        )
        report.rejected.append(RejectedItem(raw.location, data.code, (fault,)))
        return
    seen[data.code] = raw.location
    failures = run_examples(data.rules, data.examples)
    if failures:
        faults = tuple(
            Fault(join_path(raw.location, failure.path), failure.describe()) for failure in failures
        )
        report.rejected.append(RejectedItem(raw.location, data.code, faults))
        return
    with transaction.atomic():
        version, is_new = _create_version(data, text=raw.text, actor=actor)
        if as_draft:
            record_event(
                actor=actor,
                action="policy_item.import_draft",
                obj=version,
                after={"status": version.status, "number": version.number, "source": raw.location},
            )
        else:
            version = _take_step(
                actor=actor, version=version, step=Step.BULK_PUBLISH, note=f"批量导入：{raw.location}"
            )
    report.imported.append(ImportedVersion(raw.location, data.code, version.number, version.status, is_new))


# --------------------------------------------------------------------------------- workflow


def version_faults(version: PolicyItemVersion) -> list[dict[str, str]]:
    """What keeps a version from being submitted or published: invalid rules or failing examples."""
    try:
        rules = stored_rules(version.eligibility, version.reward)
    except RuleValidationError as error:
        return [{"path": item.path, "message": item.message} for item in error.errors]
    return [
        {"path": failure.path, "message": failure.describe()}
        for failure in run_examples(rules, version.examples)
    ]


def _check_actor(actor: Any, transition: Transition) -> None:
    if actor is None:
        if not transition.allows_system:
            raise PermissionDeniedError(f"“{transition.step.label}”须由已登录的用户操作。")
        return
    require_role(actor, *transition.roles)


def _take_step(*, actor: Any, version: PolicyItemVersion, step: Step, note: str = "") -> PolicyItemVersion:
    """Perform one step of workflow.py on `version` (locked), with its history row and audit event."""
    transition = transition_for(step)
    _check_actor(actor, transition)
    if transition.needs_reason and not note.strip():
        raise ValidationFailedError(f"“{transition.step.label}”须说明理由。", field="reason")
    with transaction.atomic():
        locked = PolicyItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
        if locked.status != transition.source:
            raise PolicyTransitionNotAllowedError(
                f"{locked} 当前为“{VersionStatus(locked.status).label}”，不能“{transition.step.label}”"
                f"（只能从“{transition.source.label}”进行）。"
            )
        if transition.runs_examples:
            faults = version_faults(locked)
            if faults:
                lines = "；".join(f"{fault['path']}: {fault['message']}" for fault in faults)
                error_class = (
                    PolicyExampleFailedError
                    if all(fault["path"].startswith("examples[") for fault in faults)
                    else PolicyRulesInvalidError
                )
                raise error_class(
                    f"{locked} 未通过校验，不能“{transition.step.label}”：{lines}", extra={"errors": faults}
                )
        before = locked.status
        now = timezone.now()
        locked.status = transition.target
        changed = ["status"]
        if transition.target == VersionStatus.PUBLISHED:
            locked.published_at = now
            locked.reviewed_by = _actor_or_none(actor)
            changed += ["published_at", "reviewed_by"]
        elif transition.step == Step.RETURN_TO_EDITOR:
            locked.reviewed_by = _actor_or_none(actor)
            changed.append("reviewed_by")
        elif transition.target == VersionStatus.RETIRED:
            locked.retired_at = now
            changed.append("retired_at")
        locked.save(update_fields=changed)
        if transition.target == VersionStatus.PUBLISHED or before == VersionStatus.PUBLISHED:
            _refresh_item_document(locked.item)
        VersionTransition.objects.create(
            version=locked,
            step=step,
            from_status=before,
            to_status=transition.target,
            actor=_actor_or_none(actor),
            note=note,
            occurred_at=now,
        )
        record_event(
            actor=actor,
            action=transition.audit_action,
            obj=locked,
            before={"status": before},
            after={"status": locked.status, **({"note": note} if note else {})},
        )
        if step in (Step.PUBLISH, Step.RETIRE):
            # Stored match results follow the library: re-match this item after commit (match_runs.py).
            match_runs.schedule_item_rematch(item_codes=[locked.item.code])
        if step == Step.PUBLISH:
            schedule_search_warming()  # a bulk publish (import) queues it once, in import_policy_items
    return locked


def _refresh_item_document(item: PolicyItem) -> None:
    """The item shows the document of its newest published version."""
    newest = (
        PolicyItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .values_list("document_id", flat=True)
        .first()
    )
    if newest is not None and newest != item.document_id:
        PolicyItem.objects.filter(pk=item.pk).update(document_id=newest)


def submit_for_review(*, actor: Any, version: PolicyItemVersion) -> PolicyItemVersion:
    """The editor submits a draft (its rules must validate and its examples pass)."""
    return _take_step(actor=actor, version=version, step=Step.SUBMIT)


def return_to_editor(*, actor: Any, version: PolicyItemVersion, reason: str) -> PolicyItemVersion:
    """The reviewer sends a version in review back to draft, saying why."""
    return _take_step(actor=actor, version=version, step=Step.RETURN_TO_EDITOR, note=reason)


def publish_item_version(*, actor: Any, version: PolicyItemVersion) -> PolicyItemVersion:
    """The reviewer publishes a version in review; refused if its rules or any example fail."""
    return _take_step(actor=actor, version=version, step=Step.PUBLISH)


def retire_item_version(*, actor: Any, version: PolicyItemVersion, reason: str = "") -> PolicyItemVersion:
    """The reviewer withdraws a published version: from then on it is never in force."""
    return _take_step(actor=actor, version=version, step=Step.RETIRE, note=reason)


# ------------------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportReport:
    written: tuple[Path, ...]


def version_as_mapping(version: PolicyItemVersion) -> dict[str, Any]:
    """A version as an item of the contract's file format (key order of the contract)."""
    document = version.document
    return item_mapping(
        code=version.item.code,
        title=version.title,
        policy=document.title,
        document_number=document.document_number,
        level=document.level,
        region_code=document.region_code,
        department=document.issuing_department,
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        auto_entitlement=version.auto_entitlement,
        budget_amount=version.budget_amount,
        application_opens_on=version.application_opens_on,
        application_closes_on=version.application_closes_on,
        eligibility=version.eligibility,
        reward=version.reward,
        examples=list(version.examples or []),
    )


def export_policy_items(*, directory: Path) -> ExportReport:
    """Write `<code>.yaml` for each item's newest published version into `directory` (created if missing)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for version in latest_published_versions():
        text = dump_item(
            version_as_mapping(version), header=f"{version.item.code} 第 {version.number} 版（已发布）"
        )
        target = directory / f"{version.item.code}.yaml"
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return ExportReport(tuple(written))


# ------------------------------------------------------------------------------------ matches


@dataclass(frozen=True)
class MatchRun:
    as_of: date
    item_count: int
    stored_count: int


def record_match_results(*, as_of: date, item_code: str | None = None, batch_size: int = 5000) -> MatchRun:
    """Evaluate the registry against the items in force on `as_of` (or one item) and store the
    eligible and needs_info results in MatchResult, replacing the earlier results of those items.

    The background job of issue 4 (progress, re-match on publish) builds on this; later work (push,
    免申即享) reads MatchResult.
    """
    versions = effective_versions(as_of=as_of, item_code=item_code)
    frame = matching.evaluate_versions(
        versions=versions, as_of=as_of, statuses=("eligible", "needs_info"), id_column="enterprise_id"
    )
    by_code = {version.item.code: version for version in versions}
    now = timezone.now()
    with transaction.atomic():
        # PostgreSQL: COPY, and for a whole run a bulk load (result_copy.py); elsewhere bulk_create.
        replace_all = item_code is None and result_copy.supports_copy()
        if not replace_all:
            stale = MatchResult.objects.all()
            if item_code is not None:
                stale = stale.filter(item__code=item_code)
            stale.delete()
        if result_copy.supports_copy():
            stored = result_copy.copy_match_results(
                frame, by_code, as_of=as_of, evaluated_at=now, replace_all=replace_all
            )
        else:
            stored = result_copy.bulk_create_match_results(
                frame, by_code, as_of=as_of, evaluated_at=now, batch_size=batch_size
            )
        record_event(
            actor=None,
            action="policy_match.recorded",
            object_type="policies.matchresult",
            object_repr=item_code or "全部条目",
            after={"as_of": as_of, "items": len(versions), "stored": stored},
        )
    return MatchRun(as_of=as_of, item_count=len(versions), stored_count=stored)


# ------------------------------------------------------------------------------------- search


def warm_policy_search(*, today: date | None = None) -> TokenCacheReport:
    """Fill policy search's on-disk token cache with every searchable text it lacks (`huiqi
    warm_policy_search`, load_demo, the task queued after a publication); see search_index.py."""
    # Imported here: jieba and bm25s are loaded only by processes that search or warm.
    from huiqi.policies.search_index import warm_token_cache

    return warm_token_cache(today=today)


def schedule_search_warming() -> None:
    """Queue warm_policy_search for the background worker once the current transaction commits."""
    # robust: a queue that refuses the task must not turn a committed publication into an error.
    transaction.on_commit(_enqueue_search_warming, robust=True)


def _enqueue_search_warming() -> None:
    from huiqi.policies.tasks import warm_policy_search as warm_task  # the task module imports this one

    warm_task.enqueue()
