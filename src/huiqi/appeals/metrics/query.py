"""The query of the metrics page: period, trend granularity and filters, from a request's GET
parameters (the filter bar, the export link) and back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from huiqi.appeals.enums import Channel, Kind
from huiqi.appeals.metrics import periods
from huiqi.core.errors import ValidationFailedError


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
