"""Reads of the policy library as everyone sees it: documents, items and their versions.

Policies are public information (惠企政策 are published to be found), so every signed-in user, an
enterprise user included, reads documents and the published and retired versions of items. Drafts
and versions in review are work in progress: only the two roles of the version workflow (policy
editor and policy reviewer, selectors_editor.READERS) see them, and an item that has never been
published does not exist for anyone else. The search page, the document page and the API read
through these functions, so the rule lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from huiqi.accounts.permissions import has_role
from huiqi.core.errors import NotFoundError, PermissionDeniedError
from huiqi.enterprises.selectors import region_prefix
from huiqi.policies.errors import PolicyItemNotFoundError
from huiqi.policies.models import PolicyDocument, PolicyItem, PolicyItemVersion
from huiqi.policies.selectors_editor import READERS
from huiqi.policies.workflow import VersionStatus

PUBLIC_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
#: Left out when versions are listed (the rules are read from one version's own page).
_HEAVY_FIELDS = ("eligibility", "reward", "examples", "source_yaml")


class PolicyDocumentNotFoundError(NotFoundError):
    """No policy document with that id."""


def require_signed_in(user: Any) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDeniedError("请先登录后再查阅政策。")


def can_see_unpublished(user: Any) -> bool:
    """Drafts and versions in review: the editor and the reviewer only."""
    return has_role(user, *READERS)


# ----------------------------------------------------------------------------------- documents
def documents_for(
    *, user: Any, q: str = "", level: str = "", department: str = "", region_code: str = ""
) -> QuerySet[PolicyDocument]:
    """Documents, newest first; `q` in the title or 文号, `region_code` as a GB/T 2260 prefix."""
    require_signed_in(user)
    documents = PolicyDocument.objects.defer("full_text")
    if q.strip():
        documents = documents.filter(Q(title__icontains=q.strip()) | Q(document_number__icontains=q.strip()))
    if level:
        documents = documents.filter(level=level)
    if department:
        documents = documents.filter(issuing_department=department)
    if region_code:
        documents = documents.filter(region_code__startswith=region_prefix(region_code))
    return documents.order_by("-published_on", "title", "id")


def get_document(*, user: Any, document_id: int) -> PolicyDocument:
    require_signed_in(user)
    document = PolicyDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise PolicyDocumentNotFoundError(f"没有编号为 {document_id} 的政策文件。", field="id")
    return document


def public_versions(*, as_of: date, document: PolicyDocument | None = None) -> list[PolicyItemVersion]:
    """Per item, the version the public sees: the published one in force on `as_of` (workflow.py),
    else its newest published one (expired, or not yet in force). Ordered by item code."""
    versions = PolicyItemVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "item", "document"
    )
    if document is not None:
        versions = versions.filter(document=document)
    by_item: dict[int, list[PolicyItemVersion]] = {}
    for version in versions.order_by("item__code", "-number"):
        by_item.setdefault(version.item_id, []).append(version)
    chosen = []
    for candidates in by_item.values():
        started = [v for v in candidates if v.effective_from <= as_of]
        current = started[0] if started else None
        if current is not None and (current.effective_to is None or as_of <= current.effective_to):
            chosen.append(current)
        else:
            chosen.append(candidates[0])
    return chosen


@dataclass(frozen=True)
class ItemOnDocument:
    version: PolicyItemVersion
    is_effective: bool
    is_open: bool


def is_in_force(version: PolicyItemVersion, *, as_of: date) -> bool:
    return version.effective_from <= as_of and (version.effective_to is None or as_of <= version.effective_to)


def is_open_for_application(version: PolicyItemVersion, *, as_of: date) -> bool:
    """In force, not 免申即享, and `as_of` within its application window (a missing bound is open)."""
    return (
        is_in_force(version, as_of=as_of)
        and not version.auto_entitlement
        and (version.application_opens_on is None or version.application_opens_on <= as_of)
        and (version.application_closes_on is None or as_of <= version.application_closes_on)
    )


@dataclass(frozen=True)
class DocumentDetail:
    document: PolicyDocument
    items: list[ItemOnDocument]
    is_effective: bool
    as_of: date


def document_detail(*, user: Any, document_id: int, as_of: date | None = None) -> DocumentDetail:
    """A document with the items that come from it (each in the version the public sees)."""
    document = get_document(user=user, document_id=document_id)
    as_of = as_of or timezone.localdate()
    items = [
        ItemOnDocument(v, is_in_force(v, as_of=as_of), is_open_for_application(v, as_of=as_of))
        for v in public_versions(as_of=as_of, document=document)
    ]
    effective = (document.valid_from is None or document.valid_from <= as_of) and (
        document.valid_to is None or as_of <= document.valid_to
    )
    return DocumentDetail(document, items, effective, as_of)


# --------------------------------------------------------------------------------------- items
def _visible(user: Any, versions: QuerySet[PolicyItemVersion]) -> QuerySet[PolicyItemVersion]:
    return versions if can_see_unpublished(user) else versions.filter(status__in=PUBLIC_STATUSES)


def items_for(*, user: Any, q: str = "", level: str = "", status: str = "") -> QuerySet[PolicyItem]:
    """Items the user may see, by code, each with `visible_versions` (newest first, rules deferred);
    `status` keeps items having a version in that status."""
    require_signed_in(user)
    items = PolicyItem.objects.select_related("document")
    visible = PolicyItemVersion.objects.filter(item=OuterRef("pk"))
    if not can_see_unpublished(user):
        items = items.filter(Exists(visible.filter(status__in=PUBLIC_STATUSES)))
        if status and status not in PUBLIC_STATUSES:
            return items.none()
    if status:
        items = items.filter(Exists(visible.filter(status=status)))
    if q.strip():
        text = q.strip()
        items = items.filter(
            Q(code__icontains=text)
            | Exists(visible.filter(title__icontains=text))
            | Q(document__title__icontains=text)
        )
    if level:
        items = items.filter(document__level=level)
    versions = _visible(user, PolicyItemVersion.objects.defer(*_HEAVY_FIELDS).order_by("-number"))
    return items.order_by("code").prefetch_related(
        Prefetch("versions", queryset=versions, to_attr="visible_versions")
    )


def visible_versions(*, user: Any, item: PolicyItem) -> QuerySet[PolicyItemVersion]:
    """The item's versions the user may see, newest first."""
    return _visible(
        user,
        PolicyItemVersion.objects.filter(item=item).select_related("item", "document").order_by("-number"),
    )


def get_item(*, user: Any, code: str) -> PolicyItem:
    """An item the user may see, with `visible_versions` (newest first, rules deferred)."""
    require_signed_in(user)
    item = items_for(user=user).filter(code=code.strip()).first()
    if item is None:
        raise PolicyItemNotFoundError(f"没有编码为 {code} 的政策条目。", field="code")
    return item


def get_item_version(*, user: Any, code: str, number: int) -> PolicyItemVersion:
    item = get_item(user=user, code=code)
    version = (
        visible_versions(user=user, item=item)
        .select_related("created_by", "reviewed_by")
        .prefetch_related("transitions__actor")
        .filter(number=number)
        .first()
    )
    if version is None:
        raise PolicyItemNotFoundError(f"没有政策条目 {code} 的第 {number} 版。", field="number")
    return version


def newest_published_version(*, user: Any, code: str) -> PolicyItemVersion:
    """The item's newest published version (what `export_policies` writes for it)."""
    item = get_item(user=user, code=code)
    version = (
        PolicyItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED)
        .select_related("item", "document")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise PolicyItemNotFoundError(f"政策条目 {code} 没有已发布的版本。", field="code")
    return version
