"""The metrics report (docs/metrics.md): figures of a period with their breakdowns, trend and hot
topics, read from the per-month and per-day sums (sums.py), never from the tickets themselves.

A period is answered by the monthly sums for its whole months and the daily sums for the days
around them, so a year costs a few thousand rows per breakdown whatever the number of appeals.

Who sees what: leaders, supervisors and dispatchers the whole city; a handler (or a leader of a
district) the departments of accounts.selectors.work_department_ids_for, that is their department
and the units below it, as lead department (主办). Other roles are refused.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals.enums import Channel, Kind
from huiqi.appeals.metrics import periods
from huiqi.appeals.metrics.figures import Figures
from huiqi.appeals.metrics.hot_topics import HotTopic, HotTopicRules, rank_topics
from huiqi.appeals.metrics.models import (
    WHOLE_CITY,
    AppealDailyStats,
    AppealDepartmentDailyStats,
    AppealFact,
    AppealMonthlyStats,
    AppealTermDaily,
    AppealTermMonthly,
)
from huiqi.appeals.metrics.query import MetricsFilters, MetricsQuery
from huiqi.appeals.metrics.sums import DIMENSIONS, MEASURES
from huiqi.appeals.metrics.terms import split_terms
from huiqi.appeals.models import Category
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError

METRICS_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER})
NO_DEPARTMENT = "未派单"
NO_CATEGORY = "未分类"
_SUMS = {name: Cast(Sum(name), BigIntegerField()) for name in MEASURES}


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


# --- reading the sums ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Selection:
    """The cells of the query: a Q over the cube's dimensions, and the departments (None: all)."""

    cells: Q
    departments: frozenset[int] | None
    by_department_only: bool  # no channel, kind or category filter


def _selection(query: MetricsQuery, scope: set[int] | None, categories: dict[int, Category]) -> _Selection:
    f = query.filters
    q = Q()
    if f.channel:
        q &= Q(channel=f.channel)
    if f.kind:
        q &= Q(kind=f.kind)
    if f.category_id is not None:
        category = categories.get(f.category_id)
        if category is None:
            raise ValidationFailedError(f"分类 {f.category_id} 不存在。", field="category")
        q &= Q(category_id=category.pk) if category.parent_id else Q(category_l1_id=category.pk)
    departments = scope
    if f.department_id is not None:
        subtree = account_selectors.department_subtree_ids(f.department_id)
        departments = subtree if scope is None else subtree & scope
        if not departments:
            raise PermissionDeniedError("无权查看该部门的统计。")
    if departments is not None:
        q &= Q(department_id__in=sorted(departments))
    return _Selection(
        cells=q,
        departments=frozenset(departments) if departments is not None else None,
        by_department_only=not (f.channel or f.kind or f.category_id),
    )


def _day_q(ranges: Iterable[tuple[dt.date, dt.date]], field_name: str = "day") -> Q:
    q = Q()
    for start, end in ranges:
        q |= Q(**{f"{field_name}__range": (start, end)})
    return q


def _summed(queryset: Any, group: Sequence[str]) -> list[tuple[Any, ...]]:
    """(group values..., measure sums...) rows; the sums cast to integers (PostgreSQL's SUM of a
    bigint is a numeric)."""
    return list(queryset.values_list(*group).annotate(**_SUMS).order_by())


def _frame(rows: list[tuple[Any, ...]], group: Sequence[str], schema: dict[str, Any]) -> Any:
    import polars as pl

    columns = {name: schema[name] for name in group} | dict.fromkeys(MEASURES, pl.Int64)
    return pl.DataFrame(rows, schema=columns, orient="row")


def _cube(period: periods.Period, where: Q) -> Any:
    """The period's cells added up over time: one row per channel, kind, category and department
    (a few thousand rows for a year of a large city), from the monthly sums for the whole months
    and the daily sums for the other days. Every breakdown is a group-by of this frame."""
    import polars as pl

    months, days = period.split()
    parts = []
    if months:
        parts.append(AppealMonthlyStats.objects.filter(where, month__range=months))
    if days:
        parts.append(AppealDailyStats.objects.filter(where, _day_q(days)))
    schema = {"channel": pl.Utf8, "kind": pl.Utf8} | dict.fromkeys(DIMENSIONS[2:], pl.Int64)
    frames = [_frame(_summed(qs, DIMENSIONS), DIMENSIONS, schema) for qs in parts]
    frame = pl.concat(frames) if frames else _frame([], DIMENSIONS, schema)
    return frame.group_by(list(DIMENSIONS)).agg(pl.col(list(MEASURES)).sum())


def _figures_by(cube: Any, group: Sequence[str]) -> dict[tuple[Any, ...], Figures]:
    import polars as pl

    if not group:
        totals = cube.select(pl.col(list(MEASURES)).sum()).row(0, named=True) if cube.height else {}
        return {(): Figures.from_row(totals)}
    rows = cube.group_by(list(group)).agg(pl.col(list(MEASURES)).sum()).iter_rows(named=True)
    return {tuple(row[g] for g in group): Figures.from_row(row) for row in rows}


def _trend(period: periods.Period, selection: _Selection, granularity: str) -> dict[dt.date, Figures]:
    """The figures per bucket. Without channel, kind or category filters from the sums per day and
    department (365 x departments rows a year); otherwise from the cube's monthly and daily sums."""
    out: dict[dt.date, Figures] = {bucket: Figures() for bucket in periods.buckets(period, granularity)}

    def add(rows: list[tuple[Any, ...]]) -> None:
        for day, *sums in rows:
            out[periods.bucket_of(day, granularity)].add(dict(zip(MEASURES, sums, strict=True)))

    whole = [(period.start, period.end)]
    if selection.by_department_only:
        queryset = AppealDepartmentDailyStats.objects.filter(_day_q(whole))
        if selection.departments is not None:
            queryset = queryset.filter(department_id__in=sorted(selection.departments))
        add(_summed(queryset, ("day",)))
        return out
    ranges = whole
    if granularity == periods.MONTH:
        months, ranges = period.split()
        if months:
            monthly = AppealMonthlyStats.objects.filter(selection.cells, month__range=months)
            add(_summed(monthly, ("month",)))
    if ranges:
        add(_summed(AppealDailyStats.objects.filter(selection.cells, _day_q(ranges)), ("day",)))
    return out


def _term_counts(period: periods.Period, departments: frozenset[int] | None) -> Counter[str]:
    """Appeals registered in the period per term, whole city or for the departments (docs: terms
    follow the period and the departments, not the channel, kind or category filters)."""
    counts: Counter[str] = Counter()
    months, days = period.split()
    if months:
        rows = AppealTermMonthly.objects.filter(month__range=months)
        if departments is None:
            rows = rows.filter(department_id=WHOLE_CITY)
        else:
            rows = rows.filter(department_id__in=sorted(departments))
        for term, n in rows.values_list("term").annotate(n=Sum("count")).order_by():
            counts[term] += n
    if days:
        if departments is None:
            rows = AppealTermDaily.objects.filter(_day_q(days))
            for term, n in rows.values_list("term").annotate(n=Sum("count")).order_by():
                counts[term] += n
        else:
            facts = AppealFact.objects.filter(
                _day_q(days, "registered_on"), department_id__in=sorted(departments)
            ).exclude(terms="")
            for value in facts.values_list("terms", flat=True).iterator(chunk_size=5000):
                counts.update(split_terms(value))
    return counts


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


def appeal_metrics(*, user: Any, query: MetricsQuery, today: dt.date | None = None) -> MetricsReport:
    """The metrics report of `query` as `user` may see it (module docstring)."""
    scope = metrics_scope(user=user)
    today = today or timezone.localdate()
    categories = {c.pk: c for c in Category.objects.all()}
    departments = _department_names()
    selection = _selection(query, scope, categories)
    period, previous = query.period, query.period.previous()

    cube, previous_cube = _cube(period, selection.cells), _cube(previous, selection.cells)
    by_l2 = _figures_by(cube, ("category_id", "category_l1_id"))
    category_label = _category_label(categories)

    def department_label(pk: Any) -> str:
        return departments.get(pk, f"部门{pk}") if pk else NO_DEPARTMENT

    rules = HotTopicRules.from_settings()
    elapsed, previous_days = max(1, period.elapsed_days(today)), previous.days
    hot_categories, rising_categories = rank_topics(
        {key: f.registered for (key, _), f in by_l2.items() if key},
        {key[0]: f.registered for key, f in _figures_by(previous_cube, ("category_id",)).items() if key[0]},
        elapsed_days=elapsed,
        previous_days=previous_days,
        label=category_label,
        rules=rules,
    )
    hot_terms, rising_terms = rank_topics(
        _term_counts(period, selection.departments),
        _term_counts(previous, selection.departments),
        elapsed_days=elapsed,
        previous_days=previous_days,
        rules=rules,
    )
    trend = _trend(period, selection, query.granularity)
    return MetricsReport(
        query=query,
        previous_period=previous,
        scope_label=_scope_label(scope, departments),
        totals=_figures_by(cube, ())[()],
        previous_totals=_figures_by(previous_cube, ())[()],
        trend=[
            TrendPoint(b, periods.bucket_label(b, query.granularity), f) for b, f in sorted(trend.items())
        ],
        by_channel=_rows_by(_figures_by(cube, ("channel",)), _enum_label(Channel), _enum_order(Channel)),
        by_kind=_rows_by(_figures_by(cube, ("kind",)), _enum_label(Kind), _enum_order(Kind)),
        by_category_l1=_rows_by(_figures_by(cube, ("category_l1_id",)), category_label),
        by_category_l2=_rows_by({(k[0],): f for k, f in by_l2.items()}, category_label),
        by_department=_rows_by(_figures_by(cube, ("department_id",)), department_label),
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
    children: dict[int, list[Category]] = defaultdict(list)
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
