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
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, Sum
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
    AppealFact,
    AppealMonthlyStats,
    AppealTermDaily,
    AppealTermMonthly,
)
from huiqi.appeals.metrics.sums import MEASURES
from huiqi.appeals.metrics.terms import split_terms
from huiqi.appeals.models import Category
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError

METRICS_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER})
NO_DEPARTMENT = "未派单"
NO_CATEGORY = "未分类"
_SUMS = {name: Sum(name) for name in MEASURES}


# --- the query -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsFilters:
    channel: str = ""
    kind: str = ""
    category_id: int | None = None
    department_id: int | None = None


@dataclass(frozen=True)
class MetricsQuery:
    period: periods.Period
    filters: MetricsFilters = MetricsFilters()
    granularity: str = periods.DAY

    def as_params(self) -> dict[str, str]:
        """The query string that asks for this query again (the export link, chart drill-downs)."""
        params = {"period": self.period.kind, "granularity": self.granularity}
        if self.period.kind == periods.CUSTOM:
            params |= {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}
        else:
            params["on"] = self.period.start.isoformat()
        f = self.filters
        params |= {"channel": f.channel, "kind": f.kind}
        params["category"] = str(f.category_id or "")
        params["department"] = str(f.department_id or "")
        return {k: v for k, v in params.items() if v}


def _date(params: Mapping[str, str], name: str, label: str) -> dt.date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        if len(value) == 4 and value.isdigit():
            return dt.date(int(value), 1, 1)
        if len(value) == 7:
            return dt.date.fromisoformat(f"{value}-01")
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"{label}“{value}”无效，应为 YYYY-MM-DD。", field=name) from None


def _id(params: Mapping[str, str], name: str, label: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailedError(f"{label}“{value}”无效。", field=name)
    return int(value)


def parse_metrics_query(params: Mapping[str, str], *, today: dt.date | None = None) -> MetricsQuery:
    """The query of a request's GET parameters: period (day/week/month/quarter/year/custom), on (a day
    of the period, default today), start and end (custom), granularity (day/week/month), channel,
    kind, category (id, first or second level), department (id). Defaults: this month."""
    today = today or timezone.localdate()
    kind = (params.get("period") or periods.MONTH).strip()
    if kind == periods.CUSTOM:
        start = _date(params, "start", "开始日期")
        end = _date(params, "end", "结束日期")
        if start is None or end is None:
            raise ValidationFailedError(
                "自定义区间需要开始日期和结束日期。", field="start" if not start else "end"
            )
        period = periods.custom_period(start, end)
    else:
        period = periods.period_for(kind, _date(params, "on", "日期") or today)
    granularity = (params.get("granularity") or "").strip() or periods.default_granularity(period)
    if granularity not in periods.GRANULARITIES:
        raise ValidationFailedError(
            f"趋势粒度“{granularity}”无效，可选：day、week、month。", field="granularity"
        )
    channel = (params.get("channel") or "").strip()
    if channel and channel not in Channel.values:
        raise ValidationFailedError(f"渠道“{channel}”无效。", field="channel")
    appeal_kind = (params.get("kind") or "").strip()
    if appeal_kind and appeal_kind not in Kind.values:
        raise ValidationFailedError(f"诉求类型“{appeal_kind}”无效。", field="kind")
    filters = MetricsFilters(
        channel=channel,
        kind=appeal_kind,
        category_id=_id(params, "category", "分类"),
        department_id=_id(params, "department", "部门"),
    )
    return MetricsQuery(period=period, filters=filters, granularity=granularity)


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
    """The cells of the query: its Q over the dimensions, the departments for the term counts."""

    cells: Q
    departments: frozenset[int] | None


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
    return _Selection(q, frozenset(departments) if departments is not None else None)


def _day_q(ranges: Iterable[tuple[dt.date, dt.date]], field_name: str = "day") -> Q:
    q = Q()
    for start, end in ranges:
        q |= Q(**{f"{field_name}__range": (start, end)})
    return q


def _rows(period: periods.Period, where: Q, group: tuple[str, ...]) -> Iterable[dict[str, Any]]:
    """Summed rows of the period grouped by `group`: monthly sums for its whole months, daily sums
    for the rest (the caller adds rows with the same group together)."""
    months, days = period.split()
    parts = []
    if months:
        parts.append(AppealMonthlyStats.objects.filter(where, month__range=months))
    if days:
        parts.append(AppealDailyStats.objects.filter(where, _day_q(days)))
    for queryset in parts:
        if group:
            yield from queryset.values(*group).annotate(**_SUMS).order_by()
        else:
            yield queryset.aggregate(**_SUMS)


def _grouped(period: periods.Period, where: Q, group: tuple[str, ...]) -> dict[tuple[Any, ...], Figures]:
    out: dict[tuple[Any, ...], Figures] = defaultdict(Figures)
    for row in _rows(period, where, group):
        out[tuple(row[g] for g in group)].add(row)
    return dict(out)


def _total(period: periods.Period, where: Q) -> Figures:
    return _grouped(period, where, ()).get((), Figures())


def _trend(period: periods.Period, where: Q, granularity: str) -> dict[dt.date, Figures]:
    out: dict[dt.date, Figures] = {bucket: Figures() for bucket in periods.buckets(period, granularity)}
    if granularity == periods.MONTH:
        months, days = period.split()
        if months:
            rows = AppealMonthlyStats.objects.filter(where, month__range=months)
            for row in rows.values("month").annotate(**_SUMS).order_by():
                out[row["month"]].add(row)
        ranges = days
    else:
        ranges = [(period.start, period.end)]
    if ranges:
        rows = AppealDailyStats.objects.filter(where, _day_q(ranges))
        for row in rows.values("day").annotate(**_SUMS).order_by():
            out[periods.bucket_of(row["day"], granularity)].add(row)
    return out


def _term_counts(period: periods.Period, departments: frozenset[int] | None) -> Counter[str]:
    """Appeals registered in the period per term, whole city or for the departments (docs: terms
    follow the period and the departments, not the channel, kind or category filters)."""
    counts: Counter[str] = Counter()
    months, days = period.split()
    if months:
        rows = AppealTermMonthly.objects.filter(month__range=months)
        rows = (
            rows.filter(department_id=WHOLE_CITY)
            if departments is None
            else rows.filter(department_id__in=sorted(departments))
        )
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
    period, where = query.period, selection.cells
    previous = period.previous()

    by_channel = _grouped(period, where, ("channel",))
    totals = Figures()
    for figures in by_channel.values():
        totals.add(figures)
    by_l2 = _grouped(period, where, ("category_id", "category_l1_id"))
    by_l1: dict[tuple[Any, ...], Figures] = defaultdict(Figures)
    for (_, l1), figures in by_l2.items():
        by_l1[(l1,)].add(figures)
    category_label = _category_label(categories)

    def department_label(pk: Any) -> str:
        return departments.get(pk, f"部门{pk}") if pk else NO_DEPARTMENT

    rules = HotTopicRules.from_settings()
    elapsed, previous_days = max(1, period.elapsed_days(today)), previous.days
    previous_categories = _grouped(previous, where, ("category_id",))
    hot_categories, rising_categories = rank_topics(
        {key: f.registered for (key, _), f in by_l2.items() if key},
        {key[0]: f.registered for key, f in previous_categories.items() if key[0]},
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
    trend = _trend(period, where, query.granularity)
    return MetricsReport(
        query=query,
        previous_period=previous,
        scope_label=_scope_label(scope, departments),
        totals=totals,
        previous_totals=_total(previous, where),
        trend=[
            TrendPoint(b, periods.bucket_label(b, query.granularity), f) for b, f in sorted(trend.items())
        ],
        by_channel=_rows_by(by_channel, _enum_label(Channel), _enum_order(Channel)),
        by_kind=_rows_by(_grouped(period, where, ("kind",)), _enum_label(Kind), _enum_order(Kind)),
        by_category_l1=_rows_by(by_l1, category_label),
        by_category_l2=_rows_by({(k[0],): f for k, f in by_l2.items()}, category_label),
        by_department=_rows_by(_grouped(period, where, ("department_id",)), department_label),
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
