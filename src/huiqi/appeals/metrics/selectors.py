"""The metrics report (docs/metrics.md): figures of a period with their breakdowns, trend and hot
topics, read from the per-month and per-day sums (reading.py), never from the tickets themselves.

Who sees what: leaders, supervisors and dispatchers the whole city; a handler (or a leader of a
district) the departments of accounts.selectors.work_department_ids_for, that is their department
and the units below it, as lead department (主办). Other roles are refused.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals.enums import Channel, Kind
from huiqi.appeals.metrics import periods, reading
from huiqi.appeals.metrics.figures import Figures
from huiqi.appeals.metrics.hot_topics import HotTopic, HotTopicRules, rank_topics
from huiqi.appeals.metrics.query import MetricsFilters, MetricsQuery, parse_metrics_query
from huiqi.appeals.models import Category
from huiqi.core.errors import PermissionDeniedError

__all__ = [
    "MetricsFilters",
    "MetricsQuery",
    "MetricsReport",
    "appeal_metrics",
    "can_view_metrics",
    "metrics_filter_choices",
    "metrics_scope",
    "parse_metrics_query",
]

METRICS_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER})
NO_DEPARTMENT = "未派单"
NO_CATEGORY = "未分类"


# --- scope -----------------------------------------------------------------------------------------------


def metrics_scope(*, user: Any) -> set[int] | None:
    """The lead departments whose figures `user` sees (None: the whole city); refuses other roles."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if user.role not in METRICS_ROLES:
        raise PermissionDeniedError("诉求统计仅向领导、督办员、派单员和承办单位开放。")
    scope = account_selectors.work_department_ids_for(user)
    if scope is not None and not scope:
        raise PermissionDeniedError("您的账号未关联部门，无法查看部门统计。")
    return scope


def can_view_metrics(user: Any) -> bool:
    try:
        metrics_scope(user=user)
    except PermissionDeniedError:
        return False
    return True


# --- the report ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakdownRow:
    key: Hashable
    label: str
    figures: Figures


@dataclass(frozen=True)
class TrendPoint:
    start: dt.date
    label: str
    figures: Figures


@dataclass
class MetricsReport:
    query: MetricsQuery
    previous_period: periods.Period
    scope_label: str
    totals: Figures
    previous_totals: Figures
    trend: list[TrendPoint]
    by_channel: list[BreakdownRow]
    by_kind: list[BreakdownRow]
    by_category_l1: list[BreakdownRow]
    by_category_l2: list[BreakdownRow]
    by_department: list[BreakdownRow]
    hot_terms: list[HotTopic]
    rising_terms: list[HotTopic]
    hot_categories: list[HotTopic]
    rising_categories: list[HotTopic]
    generated_at: dt.datetime
    filter_labels: dict[str, str] = field(default_factory=dict)

    @property
    def period(self) -> periods.Period:
        return self.query.period

    @property
    def breakdowns(self) -> list[tuple[str, str, list[BreakdownRow]]]:
        return [
            ("channel", "按渠道", self.by_channel),
            ("kind", "按诉求类型", self.by_kind),
            ("category_l1", "按一级分类", self.by_category_l1),
            ("category_l2", "按二级分类", self.by_category_l2),
            ("department", "按主办单位", self.by_department),
        ]


def _rows_by(
    grouped: Mapping[tuple[Any, ...], Figures],
    label: Callable[[Any], str],
    order: Callable[[BreakdownRow], Any] | None = None,
) -> list[BreakdownRow]:
    rows = [BreakdownRow(key[0], label(key[0]), figures) for key, figures in grouped.items()]
    return sorted(rows, key=order or (lambda r: (-r.figures.volume, r.label)))


def _enum_order(enum: Any) -> Callable[[BreakdownRow], Any]:
    values = list(enum.values)
    return lambda r: values.index(r.key) if r.key in values else len(values)


def _enum_label(enum: Any) -> Callable[[Any], str]:
    return lambda value: enum(value).label if value in enum.values else str(value)


def _department_names() -> dict[int, str]:
    nodes = account_selectors.departments_flat(include_inactive=True)
    return {n.department.pk: n.department.short_name or n.department.name for n in nodes}


def _category_label(categories: dict[int, Category]) -> Callable[[Any], str]:
    def label(pk: Any) -> str:
        category = categories.get(pk)
        if category is None:
            return NO_CATEGORY if not pk else f"分类{pk}"
        parent = categories.get(category.parent_id) if category.parent_id else None
        return f"{parent.name} / {category.name}" if parent else category.name

    return label


def work_mem_mb() -> int:
    return max(4, int(getattr(settings, "HUIQI_METRICS_WORK_MEM_MB", 64)))


def appeal_metrics(*, user: Any, query: MetricsQuery, today: dt.date | None = None) -> MetricsReport:
    """The metrics report of `query` as `user` may see it (module docstring).

    On PostgreSQL the reads run in one transaction with work_mem raised for it (SET LOCAL,
    HUIQI_METRICS_WORK_MEM_MB, 64 MB): grouping a year's cells in memory instead of sorting them
    on disk is what keeps the page under a second (benchmarks/README.md, "Appeal metrics")."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{work_mem_mb()}MB'")
        return _report(user=user, query=query, today=today)


def _report(*, user: Any, query: MetricsQuery, today: dt.date | None) -> MetricsReport:
    scope = metrics_scope(user=user)
    today = today or timezone.localdate()
    categories = {c.pk: c for c in Category.objects.all()}
    departments = _department_names()
    selection = reading.selection_for(query, scope, categories)
    period, previous = query.period, query.period.previous()

    cube = reading.cube(period, selection.cells)
    previous_cube = reading.cube(previous, selection.cells)
    by_l2 = reading.figures_by(cube, ("category_id", "category_l1_id"))
    category_label = _category_label(categories)

    def department_label(pk: Any) -> str:
        return departments.get(pk, f"部门{pk}") if pk else NO_DEPARTMENT

    rules = HotTopicRules.from_settings()
    elapsed, previous_days = max(1, period.elapsed_days(today)), previous.days
    hot_categories, rising_categories = rank_topics(
        {key: f.registered for (key, _), f in by_l2.items() if key},
        {k[0]: f.registered for k, f in reading.figures_by(previous_cube, ("category_id",)).items() if k[0]},
        elapsed_days=elapsed,
        previous_days=previous_days,
        label=category_label,
        rules=rules,
    )
    hot_terms, rising_terms = rank_topics(
        reading.term_counts(period, selection.departments),
        reading.term_counts(previous, selection.departments),
        elapsed_days=elapsed,
        previous_days=previous_days,
        rules=rules,
    )
    trend = reading.trend(period, selection, query.granularity)
    return MetricsReport(
        query=query,
        previous_period=previous,
        scope_label=_scope_label(scope, departments),
        totals=reading.figures_by(cube, ())[()],
        previous_totals=reading.figures_by(previous_cube, ())[()],
        trend=[
            TrendPoint(b, periods.bucket_label(b, query.granularity), f) for b, f in sorted(trend.items())
        ],
        by_channel=_rows_by(
            reading.figures_by(cube, ("channel",)), _enum_label(Channel), _enum_order(Channel)
        ),
        by_kind=_rows_by(reading.figures_by(cube, ("kind",)), _enum_label(Kind), _enum_order(Kind)),
        by_category_l1=_rows_by(reading.figures_by(cube, ("category_l1_id",)), category_label),
        by_category_l2=_rows_by({(k[0],): f for k, f in by_l2.items()}, category_label),
        by_department=_rows_by(reading.figures_by(cube, ("department_id",)), department_label),
        hot_terms=hot_terms,
        rising_terms=rising_terms,
        hot_categories=hot_categories,
        rising_categories=rising_categories,
        generated_at=timezone.now(),
        filter_labels=_filter_labels(query.filters, category_label, department_label),
    )


def _scope_label(scope: set[int] | None, names: dict[int, str]) -> str:
    if scope is None:
        return "全市"
    shown = sorted(names.get(pk, str(pk)) for pk in scope)
    return "、".join(shown[:3]) + (f" 等 {len(shown)} 个单位" if len(shown) > 3 else "")


def _filter_labels(
    f: MetricsFilters, category_label: Callable[[Any], str], department_label: Callable[[Any], str]
) -> dict[str, str]:
    labels = {}
    if f.channel:
        labels["渠道"] = Channel(f.channel).label
    if f.kind:
        labels["诉求类型"] = Kind(f.kind).label
    if f.category_id:
        labels["分类"] = category_label(f.category_id)
    if f.department_id:
        labels["主办单位"] = department_label(f.department_id)
    return labels


# --- the filter bar's choices ------------------------------------------------------------------------------


def metrics_filter_choices(*, user: Any) -> dict[str, list[tuple[str, str]]]:
    """The options of the filter bar: channels, kinds, categories (two levels), departments in scope."""
    scope = metrics_scope(user=user)
    categories = []
    tops = Category.objects.filter(parent__isnull=True).order_by("sort_order", "code")
    children: dict[int | None, list[Category]] = defaultdict(list)
    for c in Category.objects.filter(parent__isnull=False).order_by("sort_order", "code"):
        children[c.parent_id].append(c)
    for top in tops:
        categories.append((str(top.pk), top.name))
        categories += [(str(c.pk), f"　{top.name} / {c.name}") for c in children[top.pk]]
    departments = [
        (str(n.department.pk), "　" * n.depth + (n.department.short_name or n.department.name))
        for n in account_selectors.departments_flat()
        if scope is None or n.department.pk in scope
    ]
    return {
        "periods": list(periods.PERIOD_KINDS.items()),
        "granularities": list(periods.GRANULARITIES.items()),
        "channels": list(Channel.choices),
        "kinds": list(Kind.choices),
        "categories": categories,
        "departments": departments,
    }
