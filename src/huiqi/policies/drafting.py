"""Drafting policy items in the editor's pages: a new item, changes to a draft, a new version.

Why a module of its own: import (services.import_policy_items) reads whole files, whereas the editor
saves one item at a time from a form, and must tell the editor *where* each fault is so the page can
show it beside the right node of the condition builder. Both go through the same gate,
item_file.parse_item (and through it the rules engine's parse_item_rules), so an item saved here is
exactly what an import of its YAML would accept. Faults come back as ValidationFailedError with
extra={"errors": {path: [message, ...]}}, paths relative to the item (`code`,
`eligibility.all[1].any[0].value`, `examples[0].expect.amount`).

`data` is an item in the file format of DATA-CONTRACT.md section 2 (code, title, policy, level,
region_code, department, effective_from, ..., eligibility, reward, examples), with one extension for
the page: `document_id`, an existing PolicyDocument; when it is given, the document's title, 文号,
level, region and department replace those keys, so an item never disagrees with its document.

Only the policy editor drafts (issue 4: "A reviewer approves what an editor drafts"). A draft must
have valid rules and well-formed examples to be saved; that its examples *pass* is checked when it is
submitted and published (workflow.py), so an editor can save work whose examples still fail.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core.audit import record_event
from huiqi.core.errors import ConflictError, ValidationFailedError
from huiqi.policies.errors import PolicyVersionImmutableError
from huiqi.policies.examples import run_examples
from huiqi.policies.item_file import (
    ItemData,
    ItemFileError,
    RawItem,
    dump_item,
    item_mapping,
    jsonable,
    parse_item,
)
from huiqi.policies.models import PolicyDocument, PolicyItem, PolicyItemVersion, VersionTransition
from huiqi.policies.workflow import Step, VersionStatus
from huiqi.rules.errors import ProfileValueError, RuleValidationError
from huiqi.rules.evaluate import evaluate
from huiqi.rules.schema import parse_item_rules

_ROOT = "item"
#: Keys of `data` filled from the chosen document (item_file's names).
DOCUMENT_KEYS = ("policy", "document_number", "level", "region_code", "department")
#: Version fields compared for the audit event of an update (source_yaml follows from them).
_AUDITED_FIELDS = (
    "title",
    "document_id",
    "effective_from",
    "effective_to",
    "auto_entitlement",
    "budget_amount",
    "application_opens_on",
    "application_closes_on",
    "eligibility",
    "reward",
    "examples",
)

Errors = dict[str, list[str]]


# ---------------------------------------------------------------------------------- validation
def _relative(path: str) -> str:
    """`item.eligibility.all[0]` -> `eligibility.all[0]`; the item itself -> ``""``."""
    if path == _ROOT:
        return ""
    if path.startswith(_ROOT + "."):
        return path[len(_ROOT) + 1 :]
    return path


def _add(errors: Errors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _invalid(errors: Errors) -> ValidationFailedError:
    count = sum(len(messages) for messages in errors.values())
    first = next(iter(errors.items()))
    where = f"{first[0]}: " if first[0] else ""
    return ValidationFailedError(
        f"政策条目有 {count} 处错误，未保存。第一处：{where}{first[1][0]}", extra={"errors": errors}
    )


def _with_document(data: Mapping[str, Any], errors: Errors) -> tuple[dict[str, Any], PolicyDocument | None]:
    """`data` as plain JSON-like values, with the chosen document's keys filled in."""
    plain: dict[str, Any] = jsonable({key: value for key, value in data.items() if key != "document_id"})
    # The form leaves optional keys empty; the file format leaves them out.
    for key in list(plain):
        if plain[key] is None or plain[key] == "":
            del plain[key]
    document = None
    raw_id: Any = data.get("document_id")
    if raw_id not in (None, ""):
        try:
            document = PolicyDocument.objects.filter(pk=int(raw_id)).first()
        except (TypeError, ValueError):
            document = None
        if document is None:
            _add(errors, "document_id", f"所选政策文件（{raw_id}）不存在，请重新选择或填写新的政策文件。")
        else:
            plain.update(
                policy=document.title,
                level=document.level,
                region_code=document.region_code,
                department=document.issuing_department,
            )
            if document.document_number:
                plain["document_number"] = document.document_number
            else:
                plain.pop("document_number", None)
    return plain, document


def _parse(data: Mapping[str, Any]) -> tuple[ItemData, PolicyDocument | None]:
    """Validate an item as import does; raise ValidationFailedError with every fault by path."""
    errors: Errors = {}
    plain, document = _with_document(data, errors)
    parsed: ItemData | None = None
    try:
        parsed = parse_item(RawItem(_ROOT, plain, ""))
    except ItemFileError as error:
        for fault in error.faults:
            _add(errors, _relative(fault.path), fault.message)
    if errors:
        raise _invalid(errors)
    assert parsed is not None
    return parsed, document


@dataclass(frozen=True)
class ExampleCheck:
    """One example as the engine evaluates it now (for the editor's live check and the review page)."""

    index: int
    is_passing: bool
    status: str
    amount: Decimal | None
    explanation: str
    message: str


@dataclass(frozen=True)
class DraftCheck:
    errors: Errors
    examples: tuple[ExampleCheck, ...]

    @property
    def is_valid(self) -> bool:
        return not self.errors


def check_draft_data(*, data: Mapping[str, Any]) -> DraftCheck:
    """Every fault of `data` by path, and the result of each well-formed example under its rules.

    Writes nothing: the editor page calls it as the editor types, so faults show beside the node
    being edited before anything is saved.
    """
    errors: Errors = {}
    try:
        _parse(data)
    except ValidationFailedError as error:
        errors = dict(error.extra.get("errors") or {})
    plain = jsonable(dict(data))
    examples: list[ExampleCheck] = []
    try:
        rules = parse_item_rules(plain)
    except RuleValidationError:
        return DraftCheck(errors, ())
    raw_examples = plain.get("examples")
    if not isinstance(raw_examples, list):
        return DraftCheck(errors, ())
    for index, example in enumerate(raw_examples):
        prefix = f"examples[{index}]"
        if any(path == prefix or path.startswith(prefix + ".") for path in errors):
            continue  # malformed: its fault is already listed
        try:
            result = evaluate(rules, dict(example.get("profile") or {}))
        except ProfileValueError:
            continue
        failures = run_examples(rules, [example])
        examples.append(
            ExampleCheck(
                index=index,
                is_passing=not failures,
                status=result.status.value,
                amount=result.amount,
                explanation=result.explanation,
                message=dataclasses.replace(failures[0], index=index).describe() if failures else "",
            )
        )
    return DraftCheck(errors, tuple(examples))


# ------------------------------------------------------------------------------------ writing
def _document_for(parsed: ItemData, chosen: PolicyDocument | None) -> PolicyDocument:
    if chosen is not None:
        return chosen
    document = PolicyDocument.objects.filter(
        title=parsed.policy,
        issuing_department=parsed.department,
        level=parsed.level,
        region_code=parsed.region_code,
        document_number=parsed.document_number,
    ).first()
    if document is None:
        document = PolicyDocument.objects.create(
            title=parsed.policy,
            issuing_department=parsed.department,
            level=parsed.level,
            region_code=parsed.region_code,
            document_number=parsed.document_number,
        )
    return document


def _source_yaml(parsed: ItemData, document: PolicyDocument, *, code: str) -> str:
    return dump_item(
        item_mapping(
            code=code,
            title=parsed.title,
            policy=document.title,
            document_number=document.document_number,
            level=document.level,
            region_code=document.region_code,
            department=document.issuing_department,
            effective_from=parsed.effective_from,
            effective_to=parsed.effective_to,
            auto_entitlement=parsed.auto_entitlement,
            budget_amount=parsed.budget_amount,
            application_opens_on=parsed.application_opens_on,
            application_closes_on=parsed.application_closes_on,
            eligibility=parsed.eligibility,
            reward=parsed.reward,
            examples=parsed.examples,
        )
    )


def _content(parsed: ItemData, document: PolicyDocument, *, code: str) -> dict[str, Any]:
    """The content fields of a version (models.CONTENT_FIELDS) from a validated item."""
    return {
        "title": parsed.title,
        "document": document,
        "eligibility": parsed.eligibility,
        "reward": parsed.reward,
        "examples": parsed.examples,
        "auto_entitlement": parsed.auto_entitlement,
        "budget_amount": parsed.budget_amount,
        "application_opens_on": parsed.application_opens_on,
        "application_closes_on": parsed.application_closes_on,
        "effective_from": parsed.effective_from,
        "effective_to": parsed.effective_to,
        "source_yaml": _source_yaml(parsed, document, code=code),
    }


def _history(version: PolicyItemVersion, *, actor: Any, note: str = "") -> None:
    VersionTransition.objects.create(
        version=version,
        step=Step.CREATE,
        from_status="",
        to_status=VersionStatus.DRAFT,
        actor=actor,
        note=note,
        occurred_at=timezone.now(),
    )


def create_draft_item(*, actor: Any, data: Mapping[str, Any]) -> PolicyItemVersion:
    """A new item (a code not used before) with its first version, a draft."""
    require_role(actor, Role.POLICY_EDITOR)
    parsed, chosen = _parse(data)
    duplicate = ValidationFailedError(
        f"编码 {parsed.code} 已被使用：请换一个编码，或在该条目上新建版本。",
        field="code",
        extra={"errors": {"code": [f"编码 {parsed.code} 已被使用"]}},
    )
    if PolicyItem.objects.filter(code=parsed.code).exists():
        raise duplicate
    try:
        with transaction.atomic():
            document = _document_for(parsed, chosen)
            item = PolicyItem.objects.create(code=parsed.code, document=document)
            version = PolicyItemVersion.objects.create(
                item=item,
                number=1,
                status=VersionStatus.DRAFT,
                created_by=actor,
                **_content(parsed, document, code=parsed.code),
            )
            _history(version, actor=actor)
            record_event(
                actor=actor,
                action="policy_item.create_draft",
                obj=version,
                after={"code": item.code, "number": 1, "status": version.status, "title": version.title},
            )
    except IntegrityError:  # the same code created by someone else at the same moment
        raise duplicate from None
    return version


def update_draft_version(
    *, actor: Any, version: PolicyItemVersion, data: Mapping[str, Any]
) -> PolicyItemVersion:
    """Replace the content of a draft; its code (the item's identity) cannot change."""
    require_role(actor, Role.POLICY_EDITOR)
    parsed, chosen = _parse({**data, "code": data.get("code") or version.item.code})
    if parsed.code != version.item.code:
        raise ValidationFailedError(
            f"条目编码不能修改（{version.item.code}）：要换编码，请新建条目。",
            field="code",
            extra={"errors": {"code": [f"编码不能修改，应为 {version.item.code}"]}},
        )
    with transaction.atomic():
        locked = PolicyItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise PolicyVersionImmutableError(
                f"{locked} 当前为“{VersionStatus(locked.status).label}”，只有草稿可以修改。"
            )
        document = _document_for(parsed, chosen)
        content = _content(parsed, document, code=locked.item.code)
        before = {name: getattr(locked, name) for name in _AUDITED_FIELDS}
        for name, value in content.items():
            setattr(locked, name, value)
        after = {name: getattr(locked, name) for name in _AUDITED_FIELDS}
        changed = [name for name in _AUDITED_FIELDS if _comparable(before[name]) != _comparable(after[name])]
        locked.save()
        has_published = locked.item.versions.filter(status=VersionStatus.PUBLISHED).exists()
        if not has_published and locked.item.document_id != document.pk:
            # The item shows its newest published version's document; before there is one, its draft's.
            PolicyItem.objects.filter(pk=locked.item_id).update(document=document)
        if changed:
            record_event(
                actor=actor,
                action="policy_item.update_draft",
                obj=locked,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
    return locked


def _comparable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    return jsonable(value) if isinstance(value, dict | list) else value


def new_draft_from_published(*, actor: Any, item: PolicyItem) -> PolicyItemVersion:
    """A new draft version copied from the item's newest published (or retired) version.

    One open version per item: while a draft or a version in review exists, that one is worked on
    (two drafts of one item would be published over each other).
    """
    require_role(actor, Role.POLICY_EDITOR)
    with transaction.atomic():
        locked = PolicyItem.objects.select_for_update().get(pk=item.pk)
        versions = PolicyItemVersion.objects.filter(item=locked)
        open_version = versions.filter(status__in=(VersionStatus.DRAFT, VersionStatus.IN_REVIEW)).first()
        if open_version is not None:
            raise ConflictError(
                f"{locked.code} 已有未发布的第 {open_version.number} 版"
                f"（{VersionStatus(open_version.status).label}），请在该版本上修改。"
            )
        base = (
            versions.filter(status__in=(VersionStatus.PUBLISHED, VersionStatus.RETIRED))
            .order_by("-number")
            .first()
        )
        if base is None:
            raise ValidationFailedError(f"{locked.code} 还没有已发布的版本，无法复制。")
        number = (versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = PolicyItemVersion.objects.create(
            item=locked,
            number=number,
            status=VersionStatus.DRAFT,
            created_by=actor,
            title=base.title,
            document=base.document,
            eligibility=base.eligibility,
            reward=base.reward,
            examples=base.examples,
            auto_entitlement=base.auto_entitlement,
            budget_amount=base.budget_amount,
            application_opens_on=base.application_opens_on,
            application_closes_on=base.application_closes_on,
            effective_from=base.effective_from,
            effective_to=base.effective_to,
            source_yaml=base.source_yaml,
        )
        _history(version, actor=actor, note=f"复制自第 {base.number} 版")
        record_event(
            actor=actor,
            action="policy_item.new_draft",
            obj=version,
            after={"number": number, "copied_from": base.number, "status": version.status},
        )
    return version
