"""Reads of the policy library: items, their versions, and which version is in force on a date."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from huiqi.policies.errors import PolicyItemNotFoundError
from huiqi.policies.models import PolicyItem, PolicyItemVersion
from huiqi.policies.workflow import VersionStatus


def get_item(*, code: str) -> PolicyItem:
    item = PolicyItem.objects.select_related("document").filter(code=code.strip()).first()
    if item is None:
        raise PolicyItemNotFoundError(f"没有编码为 {code} 的政策条目。", field="code")
    return item


def item_versions(*, item: PolicyItem) -> QuerySet[PolicyItemVersion]:
    """Every version of an item, newest first."""
    return PolicyItemVersion.objects.filter(item=item).select_related("item", "document").order_by("-number")


def effective_versions(*, as_of: date, item_code: str | None = None) -> list[PolicyItemVersion]:
    """The version of each item that is in force on `as_of`, ordered by item code (workflow.py).

    Per item: the published version with the highest number among those with effective_from <= as_of
    is the candidate; it is in force when as_of <= effective_to (inclusive; no effective_to = open
    ended). An item whose candidate has ended, or that has none, yields nothing at all.
    """
    candidates = PolicyItemVersion.objects.filter(
        status=VersionStatus.PUBLISHED, effective_from__lte=as_of
    ).select_related("item", "document")
    if item_code is not None:
        candidates = candidates.filter(item__code=item_code.strip())
    newest: dict[int, PolicyItemVersion] = {}
    for version in candidates.order_by("item__code", "-number"):
        newest.setdefault(version.item_id, version)
    return [
        version
        for version in newest.values()
        if version.effective_to is None or as_of <= version.effective_to
    ]


def latest_published_versions() -> list[PolicyItemVersion]:
    """The newest published version of every item that has one (what `export_policies` writes)."""
    newest: dict[int, PolicyItemVersion] = {}
    versions = (
        PolicyItemVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("item", "document")
        .order_by("item__code", "-number")
    )
    for version in versions:
        newest.setdefault(version.item_id, version)
    return list(newest.values())


def versions_awaiting_review() -> QuerySet[PolicyItemVersion]:
    return (
        PolicyItemVersion.objects.filter(status=VersionStatus.IN_REVIEW)
        .select_related("item", "document", "created_by")
        .order_by("created_at", "id")
    )
