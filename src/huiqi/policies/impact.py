"""Impact preview (影响评估) of an item version, before it is published (issue 4, item 5).

What the reviewer wants to know before approving a version: how many enterprises of the registry it
makes eligible or asks for information, where they are (district, GB/T 4754 section, size class of
国统字〔2017〕213号), how much it would pay in total against the item's budget, and, for a new version
of an item that already has a published one, which enterprises gain or lose eligibility and whose
amount changes.

Decisions (the issue is silent):
* The evaluation date: `as_of` if given, else today moved into the version's effective period (its
  effective_from if it starts later, its effective_to if it has ended), so ages are counted as they
  will be when the version applies. Both versions are evaluated on the same date and registry.
* The version compared with ("the current one"): the published version of the item in force today,
  unless that is the previewed version itself; else the newest published version numbered below it.
  None: no comparison.
* Gain: eligible under the new version and not under the current one (ineligible or needs_info);
  lose: the reverse. An amount change: eligible under both with different amounts.
* The total estimated amount is the sum of the eligible enterprises' amounts (needs_info ones are not
  counted: their amount is unknown); over budget means the total exceeds budget_amount.
* Every enterprise of the registry counts, whatever its status, as in matching.py.

Speed: the registry is read once per preview (only the columns the two versions and the breakdowns
need) and both versions are evaluated in one pass of the bulk Polars evaluator
(huiqi.rules.polars_eval.evaluate_items, the one `huiqi match_policies` uses). The frame is also
kept per process (the newest REGISTRY_CACHE_SIZE reads), keyed by the evaluation date and columns,
and reused only while a fingerprint of the registry (count, highest id, latest updated_at: one
aggregate query) is unchanged, so an edit is seen at once and "重新计算" on an unchanged registry
skips the read. Figures: benchmarks/README.md ("Impact preview").
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from django.apps import apps
from django.db.models import Count, Max
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core.reference.industries import section_label
from huiqi.core.reference.regions import region_label
from huiqi.enterprises.enums import SizeClass
from huiqi.policies import matching
from huiqi.policies.enums import MatchStatus
from huiqi.policies.errors import PolicyItemNotFoundError, PolicyRulesInvalidError
from huiqi.policies.item_file import stored_rules
from huiqi.policies.models import PolicyItemVersion
from huiqi.policies.selectors import effective_versions
from huiqi.policies.workflow import VersionStatus
from huiqi.rules import polars_eval
from huiqi.rules.errors import RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY

IMPACT_ROLES = (Role.POLICY_EDITOR, Role.POLICY_REVIEWER, Role.LEADER)
#: How many gaining / losing / changed enterprises are listed by name (the counts are exact).
SAMPLE_SIZE = 20
REGISTRY_CACHE_SIZE = 2
#: Columns of the breakdowns and the lists of names, read whatever the rules read.
ATTRIBUTE_COLUMNS = ("uscc", "name", "region_code", "industry_code", "size_class")
UNKNOWN_SIZE = "unknown"
UNKNOWN_LABEL = "未知"
SIZE_ORDER = (*SizeClass.values, UNKNOWN_SIZE)
SIZE_LABELS = {**dict(SizeClass.choices), UNKNOWN_SIZE: "未划型"}
ZERO = Decimal("0.00")
NEW, CURRENT = "new", "current"


def can_preview_impact(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in IMPACT_ROLES)


# ----------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class GroupCount:
    """One row of a breakdown: a region, an industry section or a size class."""

    key: str
    label: str
    eligible: int
    needs_info: int
    ineligible: int
    amount: Decimal

    @property
    def total(self) -> int:
        return self.eligible + self.needs_info + self.ineligible


@dataclass(frozen=True)
class ChangedEnterprise:
    """An enterprise whose result differs between the current version and the previewed one."""

    uscc: str
    name: str
    region_label: str
    before_status: str
    after_status: str
    before_amount: Decimal | None
    after_amount: Decimal | None

    @property
    def amount_change(self) -> Decimal:
        return (self.after_amount or ZERO) - (self.before_amount or ZERO)

    @property
    def before_label(self) -> str:
        return MatchStatus(self.before_status).label if self.before_status else "—"

    @property
    def after_label(self) -> str:
        return MatchStatus(self.after_status).label


@dataclass(frozen=True)
class VersionComparison:
    """The previewed version against the current one, over the same registry on the same date."""

    current: PolicyItemVersion
    current_eligible_count: int
    current_needs_info_count: int
    current_total_amount: Decimal
    gained_count: int
    lost_count: int
    amount_changed_count: int
    gained: tuple[ChangedEnterprise, ...]
    lost: tuple[ChangedEnterprise, ...]
    amount_changed: tuple[ChangedEnterprise, ...]


@dataclass(frozen=True)
class ImpactPreview:
    version: PolicyItemVersion
    as_of: date
    enterprise_count: int
    eligible_count: int
    needs_info_count: int
    ineligible_count: int
    total_amount: Decimal
    budget_amount: Decimal | None
    by_region: tuple[GroupCount, ...]
    by_industry: tuple[GroupCount, ...]
    by_size: tuple[GroupCount, ...]
    comparison: VersionComparison | None
    computed_at: datetime
    elapsed_ms: float
    is_registry_cached: bool

    @property
    def has_budget(self) -> bool:
        return self.budget_amount is not None

    @property
    def is_over_budget(self) -> bool:
        return self.budget_amount is not None and self.total_amount > self.budget_amount

    @property
    def budget_difference(self) -> Decimal | None:
        """Budget minus the estimated total: negative when over budget."""
        return None if self.budget_amount is None else self.budget_amount - self.total_amount

    @property
    def budget_overrun(self) -> Decimal | None:
        difference = self.budget_difference
        return None if difference is None else -difference

    @property
    def budget_percent(self) -> int | None:
        """The estimated total as a percentage of the budget (for the gauge), rounded down."""
        if not self.budget_amount:
            return None
        return int(self.total_amount * 100 / self.budget_amount)

    def chart_data(self) -> dict[str, Any]:
        """What the page's ECharts need, as JSON-ready values (amounts in yuan as floats: display only)."""

        def series(groups: Iterable[GroupCount]) -> dict[str, list[Any]]:
            rows = list(groups)
            return {
                "labels": [group.label for group in rows],
                "eligible": [group.eligible for group in rows],
                "needs_info": [group.needs_info for group in rows],
                "amount": [float(group.amount) for group in rows],
            }

        return {
            "region": series(self.by_region),
            "industry": series(self.by_industry),
            "size": [
                {"name": group.label, "value": group.eligible} for group in self.by_size if group.eligible
            ],
        }


# ------------------------------------------------------------------------------------ lookups
def get_item_version(*, code: str, number: int) -> PolicyItemVersion:
    version = (
        PolicyItemVersion.objects.select_related("item", "document")
        .filter(item__code=code.strip(), number=number)
        .first()
    )
    if version is None:
        raise PolicyItemNotFoundError(f"政策条目 {code} 没有第 {number} 版。", field="number")
    return version


def default_as_of(version: PolicyItemVersion, *, today: date | None = None) -> date:
    """Today, moved into the version's effective period (see the module docstring)."""
    day = today or timezone.localdate()
    if day < version.effective_from:
        return version.effective_from
    if version.effective_to is not None and day > version.effective_to:
        return version.effective_to
    return day


def current_version_for(version: PolicyItemVersion, *, today: date | None = None) -> PolicyItemVersion | None:
    """The published version the previewed one is compared with (see the module docstring)."""
    day = today or timezone.localdate()
    in_force = effective_versions(as_of=day, item_code=version.item.code)
    if in_force and in_force[0].pk != version.pk:
        return in_force[0]
    return (
        PolicyItemVersion.objects.select_related("item", "document")
        .filter(item_id=version.item_id, status=VersionStatus.PUBLISHED, number__lt=version.number)
        .order_by("-number")
        .first()
    )


# ------------------------------------------------------------------------------ registry cache
_cache_lock = threading.Lock()
_registry_cache: OrderedDict[tuple[date, tuple[str, ...]], tuple[tuple[Any, ...], pl.DataFrame]] = (
    OrderedDict()
)


def _registry_fingerprint() -> tuple[Any, ...]:
    model = apps.get_model("enterprises", "Enterprise")
    values = model.objects.aggregate(count=Count("id"), top=Max("id"), changed=Max("updated_at"))
    return (values["count"], values["top"], values["changed"])


def clear_registry_cache() -> None:
    with _cache_lock:
        _registry_cache.clear()


def _registry(*, as_of: date, fields: Iterable[str]) -> tuple[pl.DataFrame, bool]:
    """The registry frame with these fields as of `as_of`, from the cache if the registry is unchanged;
    and whether it came from the cache."""
    columns = tuple(sorted(set(fields)))
    key = (as_of, columns)
    fingerprint = _registry_fingerprint()
    with _cache_lock:
        cached = _registry_cache.get(key)
        if cached is not None and cached[0] == fingerprint:
            _registry_cache.move_to_end(key)
            return cached[1], True
    frame = matching.registry_frame(as_of=as_of, fields=columns)
    with _cache_lock:
        _registry_cache[key] = (fingerprint, frame)
        _registry_cache.move_to_end(key)
        while len(_registry_cache) > REGISTRY_CACHE_SIZE:
            _registry_cache.popitem(last=False)
    return frame, False


# ------------------------------------------------------------------------------------ preview
def preview_impact(
    *, actor: Any, version: PolicyItemVersion, as_of: date | None = None, sample_size: int = SAMPLE_SIZE
) -> ImpactPreview:
    """The impact of `version` on the registry (see the module docstring). PermissionDeniedError for
    roles other than policy_editor, policy_reviewer and leader; PolicyRulesInvalidError for a draft
    whose rules do not validate (nothing can be evaluated)."""
    require_role(actor, *IMPACT_ROLES)
    started = time.perf_counter()
    as_of = as_of or default_as_of(version)
    try:
        rules = stored_rules(version.eligibility, version.reward)
    except RuleValidationError as error:
        faults = [{"path": fault.path, "message": fault.message} for fault in error.errors]
        lines = "；".join(f"{fault['path']}: {fault['message']}" for fault in faults)
        raise PolicyRulesInvalidError(
            f"{version} 的条件或奖励有误，无法评估影响：{lines}", extra={"errors": faults}
        ) from error
    current = current_version_for(version)
    current_rules = matching.rules_of(current) if current is not None else None
    fields = set(rules.fields()) | set(ATTRIBUTE_COLUMNS)
    if current_rules is not None:
        fields |= set(current_rules.fields())
    frame, is_cached = _registry(as_of=as_of, fields=fields)
    # Both versions in one pass of the bulk evaluator (the one `huiqi match_policies` uses).
    items = {NEW: rules} if current_rules is None else {NEW: rules, CURRENT: current_rules}
    evaluated = polars_eval.evaluate_items(
        frame, items, id_column="enterprise_id", registry=DEFAULT_REGISTRY, as_of=as_of, statuses=None
    ).with_columns(pl.col("status").cast(pl.String), pl.col("amount").cast(pl.Decimal(38, 2)))
    attributes = frame.select("enterprise_id", *ATTRIBUTE_COLUMNS)
    results = _of(evaluated, NEW).join(attributes, on="enterprise_id", how="left")

    counts = _status_counts(results)
    total = _amount_sum(results.filter(pl.col("status") == "eligible"))
    comparison = None
    if current is not None and current_rules is not None:
        comparison = _compare(results, _of(evaluated, CURRENT), current=current, sample_size=sample_size)
    return ImpactPreview(
        version=version,
        as_of=as_of,
        enterprise_count=results.height,
        eligible_count=counts["eligible"],
        needs_info_count=counts["needs_info"],
        ineligible_count=counts["ineligible"],
        total_amount=total,
        budget_amount=version.budget_amount,
        by_region=_breakdown(
            results,
            pl.col("region_code").fill_null(""),
            lambda key: region_label(key) if key else UNKNOWN_LABEL,
        ),
        by_industry=_breakdown(
            results,
            pl.col("industry_code").fill_null("").str.slice(0, 1).str.to_uppercase(),
            lambda key: f"{key} {section_label(key)}" if key else UNKNOWN_LABEL,
        ),
        by_size=_size_breakdown(results),
        comparison=comparison,
        computed_at=timezone.now(),
        elapsed_ms=(time.perf_counter() - started) * 1000,
        is_registry_cached=is_cached,
    )


def _of(evaluated: pl.DataFrame, key: str) -> pl.DataFrame:
    return evaluated.filter(pl.col("item_code") == key).select("enterprise_id", "status", "amount")


def _status_counts(results: pl.DataFrame) -> dict[str, int]:
    counts = dict.fromkeys(("eligible", "needs_info", "ineligible"), 0)
    counts.update(dict(results.group_by("status").len().iter_rows()))
    return counts


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


def _amount_sum(results: pl.DataFrame) -> Decimal:
    return _money(results["amount"].sum()) if results.height else ZERO


def _grouped(results: pl.DataFrame, key: pl.Expr) -> list[tuple[Any, ...]]:
    status = pl.col("status")
    return (
        results.group_by(key.alias("key"))
        .agg(
            (status == "eligible").sum().alias("eligible"),
            (status == "needs_info").sum().alias("needs_info"),
            (status == "ineligible").sum().alias("ineligible"),
            pl.col("amount").filter(status == "eligible").sum().alias("amount"),
        )
        .sort(["eligible", "needs_info", "key"], descending=[True, True, False])
        .rows()
    )


def _breakdown(results: pl.DataFrame, key: pl.Expr, label: Callable[[str], str]) -> tuple[GroupCount, ...]:
    return tuple(
        GroupCount(str(code), label(str(code)), int(eligible), int(needs), int(ineligible), _money(amount))
        for code, eligible, needs, ineligible, amount in _grouped(results, key)
    )


def _size_breakdown(results: pl.DataFrame) -> tuple[GroupCount, ...]:
    groups = {
        group.key: group for group in _breakdown(results, pl.col("size_class").fill_null(UNKNOWN_SIZE), str)
    }
    return tuple(
        GroupCount(key, SIZE_LABELS[key], group.eligible, group.needs_info, group.ineligible, group.amount)
        for key in SIZE_ORDER
        if (group := groups.get(key)) is not None
    )


def _compare(
    new: pl.DataFrame, old: pl.DataFrame, *, current: PolicyItemVersion, sample_size: int
) -> VersionComparison:
    joined = new.join(
        old.select(
            "enterprise_id", pl.col("status").alias("before_status"), pl.col("amount").alias("before_amount")
        ),
        on="enterprise_id",
        how="left",
    )
    after_eligible = pl.col("status") == "eligible"
    before_eligible = pl.col("before_status") == "eligible"
    gained = joined.filter(after_eligible & ~before_eligible).sort(
        ["amount", "uscc"], descending=[True, False], nulls_last=True
    )
    lost = joined.filter(before_eligible & ~after_eligible).sort(
        ["before_amount", "uscc"], descending=[True, False], nulls_last=True
    )
    changed = joined.filter(
        after_eligible & before_eligible & pl.col("amount").ne_missing(pl.col("before_amount"))
    )
    changed = changed.with_columns(
        (pl.col("amount").fill_null(0) - pl.col("before_amount").fill_null(0)).abs().alias("size")
    ).sort(["size", "uscc"], descending=[True, False])
    old_counts = _status_counts(old)
    return VersionComparison(
        current=current,
        current_eligible_count=old_counts["eligible"],
        current_needs_info_count=old_counts["needs_info"],
        current_total_amount=_amount_sum(old.filter(pl.col("status") == "eligible")),
        gained_count=gained.height,
        lost_count=lost.height,
        amount_changed_count=changed.height,
        gained=_named(gained, sample_size),
        lost=_named(lost, sample_size),
        amount_changed=_named(changed, sample_size),
    )


def _named(rows: pl.DataFrame, limit: int) -> tuple[ChangedEnterprise, ...]:
    return tuple(
        ChangedEnterprise(
            uscc=row["uscc"],
            name=row["name"],
            region_label=region_label(row["region_code"]) if row["region_code"] else UNKNOWN_LABEL,
            before_status=row["before_status"],
            after_status=row["status"],
            before_amount=row["before_amount"],
            after_amount=row["amount"],
        )
        for row in rows.head(limit).iter_rows(named=True)
    )
