"""Reads for the policy editor's and reviewer's pages: the item list, one version shown for review
(its rules in Chinese, its examples evaluated, its difference from the version in force), the review
queue, and the documents an item may belong to.

Who may read: the policy editor and the policy reviewer (the two roles of the version workflow,
workflow.py). Every function that takes `user` checks it, so the pages stay thin.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import has_role, require_role
from huiqi.policies.drafting import ExampleCheck, check_draft_data
from huiqi.policies.errors import PolicyItemNotFoundError
from huiqi.policies.item_file import dump_item, stored_rules
from huiqi.policies.models import PolicyDocument, PolicyItem, PolicyItemVersion, VersionTransition
from huiqi.policies.services import version_as_mapping, version_faults
from huiqi.policies.workflow import Step, VersionStatus, allowed_steps
from huiqi.rules import explain
from huiqi.rules.errors import RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry
from huiqi.rules.schema import AllOf, AnyOf, Condition, FixedAmount, FormulaAmount, Leaf, NotOf, Reward

READERS = (Role.POLICY_EDITOR, Role.POLICY_REVIEWER)
#: Version fields left out of list queries (the rules are only needed on a version's own page).
_HEAVY_FIELDS = ("eligibility", "reward", "examples", "source_yaml")
STATUS_FILTERS = {
    "published": "有已发布版本",
    "draft": "有草稿",
    "in_review": "待审核",
    "retired": "有已废止版本",
    "unpublished": "从未发布",
}


def require_policy_reader(user: Any) -> None:
    require_role(user, *READERS)


def can_edit_policies(user: Any) -> bool:
    return has_role(user, Role.POLICY_EDITOR)


# ----------------------------------------------------------------------------------- item list
def editor_items(*, user: Any, q: str = "", status: str = "", level: str = "") -> QuerySet[PolicyItem]:
    """Items for the list page, filtered; each with its versions (newest first, rules deferred)."""
    require_policy_reader(user)
    items = PolicyItem.objects.select_related("document")
    q = q.strip()
    if q:
        items = items.filter(
            Q(code__icontains=q) | Q(versions__title__icontains=q) | Q(document__title__icontains=q)
        )
    if status == "unpublished":
        items = items.exclude(versions__status__in=(VersionStatus.PUBLISHED, VersionStatus.RETIRED))
    elif status in VersionStatus.values:
        items = items.filter(versions__status=status)
    if level:
        items = items.filter(document__level=level)
    versions = (
        PolicyItemVersion.objects.defer(*_HEAVY_FIELDS).select_related("created_by").order_by("-number")
    )
    return items.distinct().order_by("code").prefetch_related(Prefetch("versions", queryset=versions))


@dataclass
class ItemRow:
    item: PolicyItem
    title: str
    newest: PolicyItemVersion
    published: PolicyItemVersion | None
    open_versions: list[PolicyItemVersion]
    statuses: list[str]


def item_row(item: PolicyItem) -> ItemRow:
    """One line of the list: the newest title, the published version, the drafts and in-review ones."""
    versions = list(item.versions.all())  # prefetched, newest first
    published = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
    open_versions = [v for v in versions if v.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)]
    statuses = sorted({v.status for v in versions}, key=list(VersionStatus.values).index)
    return ItemRow(
        item=item,
        title=versions[0].title if versions else item.code,
        newest=versions[0],
        published=published,
        open_versions=open_versions,
        statuses=statuses,
    )


def review_queue(*, user: Any) -> QuerySet[PolicyItemVersion]:
    """Versions waiting for a reviewer, oldest first."""
    require_policy_reader(user)
    return (
        PolicyItemVersion.objects.filter(status=VersionStatus.IN_REVIEW)
        .select_related("item", "document", "created_by")
        .defer("source_yaml")
        .order_by("created_at", "id")
    )


def submitted_at(version: PolicyItemVersion) -> Any:
    transition = (
        VersionTransition.objects.filter(version=version, step=Step.SUBMIT).order_by("-occurred_at").first()
    )
    return transition.occurred_at if transition else None


# ------------------------------------------------------------------------------------ versions
def get_version(*, user: Any, code: str, number: int) -> PolicyItemVersion:
    require_policy_reader(user)
    version = (
        PolicyItemVersion.objects.select_related("item", "document", "created_by", "reviewed_by")
        .filter(item__code=code, number=number)
        .first()
    )
    if version is None:
        raise PolicyItemNotFoundError(f"没有政策条目 {code} 的第 {number} 版。", field="code")
    return version


def newest_version(*, user: Any, code: str) -> PolicyItemVersion:
    require_policy_reader(user)
    version = (
        PolicyItemVersion.objects.filter(item__code=code).select_related("item").order_by("-number").first()
    )
    if version is None:
        raise PolicyItemNotFoundError(f"没有编码为 {code} 的政策条目。", field="code")
    return version


def current_published(
    *, item: PolicyItem, other_than: PolicyItemVersion | None = None
) -> PolicyItemVersion | None:
    """The item's newest published version (the one a new version would replace)."""
    versions = PolicyItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).select_related(
        "item", "document"
    )
    if other_than is not None:
        versions = versions.exclude(pk=other_than.pk)
    return versions.order_by("-number").first()


def latest_return(version: PolicyItemVersion) -> VersionTransition | None:
    """The reviewer's reason when the version's last step sent it back to the editor (else None)."""
    last = (
        VersionTransition.objects.filter(version=version)
        .select_related("actor")
        .order_by("-occurred_at", "-id")
        .first()
    )
    return last if last is not None and last.step == Step.RETURN_TO_EDITOR else None


def version_yaml(version: PolicyItemVersion) -> str:
    """The version in the contract's file format (what export writes), or its stored text if its
    rules no longer validate."""
    try:
        return dump_item(version_as_mapping(version))
    except RuleValidationError:
        return version.source_yaml


@dataclass
class DisplayNode:
    """A node of a condition tree worded in Chinese, for the review page."""

    kind: str  # all | any | not | leaf
    text: str
    path: str
    children: list[DisplayNode] = field(default_factory=list)


_GROUP_TEXT = {"all": "同时满足以下全部条件", "any": "满足以下任一条件", "not": "不满足以下条件"}


def display_condition(node: Condition, registry: FieldRegistry = DEFAULT_REGISTRY) -> DisplayNode:
    if isinstance(node, Leaf):
        spec = registry[node.field]
        return DisplayNode("leaf", explain.requirement(spec, node.op, node.value, negated=False), node.path)
    if isinstance(node, NotOf):
        return DisplayNode("not", _GROUP_TEXT["not"], node.path, [display_condition(node.child, registry)])
    kind = "all" if isinstance(node, AllOf) else "any"
    assert isinstance(node, AllOf | AnyOf)
    return DisplayNode(
        kind, _GROUP_TEXT[kind], node.path, [display_condition(c, registry) for c in node.children]
    )


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def formula_in_words(source: str, registry: FieldRegistry = DEFAULT_REGISTRY) -> str:
    """`revenue * 0.01` -> `上年营业收入 × 0.01` (the formula itself is shown beside it)."""

    def label(match: re.Match[str]) -> str:
        spec = registry.get(match.group(0))
        return spec.label if spec is not None else match.group(0)

    return _NAME.sub(label, source).replace("*", "×").replace("/", "÷")


def _yuan(value: Decimal) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 元"


def _amount_text(amount: FixedAmount | FormulaAmount) -> dict[str, str]:
    if isinstance(amount, FixedAmount):
        return {"kind": "fixed", "text": f"固定 {_yuan(amount.amount)}", "formula": ""}
    return {
        "kind": "formula",
        "text": formula_in_words(amount.formula.source),
        "formula": amount.formula.source,
    }


def display_reward(reward: Reward | None) -> dict[str, Any] | None:
    if reward is None:
        return None
    tiers = [
        {"when": display_condition(tier.when), **_amount_text(tier.amount), "number": index + 1}
        for index, tier in enumerate(reward.tiers)
    ]
    return {
        "amount": _amount_text(reward.amount) if reward.amount is not None else None,
        "tiers": tiers,
        "cap": _yuan(reward.cap) if reward.cap is not None else "",
    }


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


_COMPARED = (
    ("title", "条目名称"),
    ("document", "政策文件"),
    ("effective_from", "生效日期"),
    ("effective_to", "失效日期"),
    ("auto_entitlement", "免申即享"),
    ("budget_amount", "预算(元)"),
    ("application_opens_on", "申报开始"),
    ("application_closes_on", "申报截止"),
)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def version_diff(version: PolicyItemVersion, base: PolicyItemVersion) -> dict[str, Any]:
    """What changes against `base`: the item's fields, the rules, and a line diff of the YAML."""
    changes = [
        FieldChange(label, _shown(getattr(base, name)), _shown(getattr(version, name)))
        for name, label in _COMPARED
        if getattr(base, name) != getattr(version, name)
    ]
    lines = list(
        difflib.unified_diff(
            version_yaml(base).splitlines(),
            version_yaml(version).splitlines(),
            fromfile=f"第 {base.number} 版",
            tofile=f"第 {version.number} 版",
            lineterm="",
        )
    )
    diff = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "same"
        diff.append({"kind": kind, "text": line})
    return {
        "base": base,
        "changes": changes,
        "rules_changed": base.eligibility != version.eligibility or base.reward != version.reward,
        "examples_changed": base.examples != version.examples,
        "lines": diff,
    }


@dataclass
class VersionView:
    version: PolicyItemVersion
    tree: DisplayNode | None
    reward: dict[str, Any] | None
    rules_error: str
    examples: list[dict[str, Any]]
    faults: list[dict[str, str]]
    yaml: str
    diff: dict[str, Any] | None
    published: PolicyItemVersion | None
    transitions: list[VersionTransition]
    steps: list[str]
    can_edit: bool
    can_copy: bool
    other_versions: list[PolicyItemVersion]


def _examples_for_page(version: PolicyItemVersion, checks: tuple[ExampleCheck, ...]) -> list[dict[str, Any]]:
    by_index = {check.index: check for check in checks}
    rows = []
    for index, example in enumerate(version.examples or []):
        profile = example.get("profile") or {}
        shown = []
        for name, value in profile.items():
            spec = DEFAULT_REGISTRY.get(name)
            label = spec.label if spec else name
            if spec is not None and isinstance(value, int | float) and not isinstance(value, bool):
                text = explain.format_number(spec, Decimal(repr(value)), measured=False)
            elif isinstance(value, list):
                text = "、".join(str(item) for item in value) or "无"
            elif isinstance(value, bool):
                text = "是" if value else "否"
            elif spec is not None and spec.enum_values and isinstance(value, str):
                text = spec.value_label(value)
            else:
                text = str(value)
            shown.append({"label": label, "value": text})
        expect = example.get("expect") or {}
        rows.append(
            {
                "number": index + 1,
                "profile": shown,
                "expect_status": expect.get("status"),
                "expect_amount": expect.get("amount") if "amount" in expect else None,
                "checks_amount": "amount" in expect,
                "check": by_index.get(index),
            }
        )
    return rows


def version_view(*, user: Any, version: PolicyItemVersion) -> VersionView:
    """Everything the version's page shows (review page for the reviewer, overview for the editor)."""
    require_policy_reader(user)
    tree = None
    reward = None
    rules_error = ""
    try:
        rules = stored_rules(version.eligibility, version.reward)
    except RuleValidationError as error:
        rules_error = str(error)
    else:
        tree = display_condition(rules.eligibility)
        reward = display_reward(rules.reward)
    data = version_as_mapping(version) if not rules_error else {}
    checks = check_draft_data(data=data).examples if data else ()
    published = current_published(item=version.item, other_than=version)
    versions = list(
        PolicyItemVersion.objects.filter(item=version.item).defer(*_HEAVY_FIELDS).order_by("-number")
    )
    has_open = any(v.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW) for v in versions)
    has_base = any(v.status in (VersionStatus.PUBLISHED, VersionStatus.RETIRED) for v in versions)
    is_editor = can_edit_policies(user)
    return VersionView(
        version=version,
        tree=tree,
        reward=reward,
        rules_error=rules_error,
        examples=_examples_for_page(version, checks),
        faults=version_faults(version)
        if version.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
        else [],
        yaml=version_yaml(version),
        diff=version_diff(version, published) if published is not None and published != version else None,
        published=published,
        transitions=list(
            VersionTransition.objects.filter(version=version)
            .select_related("actor")
            .order_by("occurred_at", "id")
        ),
        steps=[str(step) for step in allowed_steps(status=version.status, role=getattr(user, "role", None))],
        can_edit=is_editor and version.status == VersionStatus.DRAFT,
        can_copy=is_editor and has_base and not has_open,
        other_versions=versions,
    )


# ----------------------------------------------------------------------------------- documents
def find_documents(*, user: Any, q: str, limit: int = 20) -> list[PolicyDocument]:
    """Documents whose title or 文号 contains `q` (for choosing an item's document)."""
    require_policy_reader(user)
    documents = PolicyDocument.objects.all()
    q = q.strip()
    if q:
        documents = documents.filter(Q(title__icontains=q) | Q(document_number__icontains=q))
    return list(documents.order_by("-published_on", "title")[:limit])


def get_document(*, user: Any, document_id: int) -> PolicyDocument | None:
    require_policy_reader(user)
    return PolicyDocument.objects.filter(pk=document_id).first()
