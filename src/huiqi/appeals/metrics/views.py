"""The metrics page (/appeals/metrics/) and its XLSX export: parse the filter bar, call the selector
(which checks who may see what), render. The charts draw from a JSON island of the same report."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from huiqi.appeals.metrics import selectors
from huiqi.appeals.metrics.export import metrics_workbook, workbook_filename
from huiqi.appeals.metrics.figures import Figures, Rate
from huiqi.appeals.metrics.query import parse_metrics_query
from huiqi.appeals.metrics.selectors import MetricsReport
from huiqi.core.errors import ApplicationError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shows_application_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return render(request, "enterprises/error.html", {"error": error}, status=error.status_code)

    return wrapper


def _rate(rate: Rate) -> float | None:
    return float(rate.value) if rate.value is not None else None


def _days(value: Any) -> float | None:
    return float(value) if value is not None else None


def kpi_cards(totals: Figures, previous: Figures) -> list[dict[str, Any]]:
    """The eight cards: value, what was divided by what, and the previous period's value."""

    def rate_card(label: str, rate: Rate, before: Rate, icon: str) -> dict[str, Any]:
        return {
            "label": label,
            "value": rate.percent,
            "detail": f"{rate.numerator:,} / {rate.denominator:,}",
            "previous": before.percent,
            "icon": icon,
        }

    average, before = totals.average_handling_days, previous.average_handling_days
    return [
        {
            "label": "受理量",
            "value": f"{totals.volume:,}",
            "detail": f"其中并单 {totals.merged:,}",
            "previous": f"{previous.volume:,}",
            "icon": "inbox",
        },
        {
            "label": "平均办理时长(工作日)",
            "value": "—" if average is None else f"{average}",
            "detail": f"{totals.handled_closed:,} 件办结；部门 "
            + ("—" if totals.average_department_days is None else f"{totals.average_department_days}"),
            "previous": "—" if before is None else f"{before}",
            "icon": "hourglass-split",
        },
        rate_card("按时办结率", totals.on_time_rate, previous.on_time_rate, "alarm"),
        rate_card("办结率", totals.closure_rate, previous.closure_rate, "check2-circle"),
        rate_card("解决率", totals.resolution_rate, previous.resolution_rate, "patch-check"),
        rate_card("满意率", totals.satisfaction_rate, previous.satisfaction_rate, "emoji-smile"),
        rate_card("直接答复率", totals.direct_reply_rate, previous.direct_reply_rate, "telephone-inbound"),
        rate_card("重办率", totals.reopen_rate, previous.reopen_rate, "arrow-repeat"),
    ]


def chart_data(report: MetricsReport) -> dict[str, Any]:
    """What the ECharts of the page draw (all from the report, nothing computed in the browser)."""
    return {
        "trend": {
            "labels": [p.label for p in report.trend],
            "registered": [p.figures.volume for p in report.trend],
            "closed": [p.figures.handled_closed + p.figures.direct_replies for p in report.trend],
            "satisfaction": [_rate(p.figures.satisfaction_rate) for p in report.trend],
            "on_time": [_rate(p.figures.on_time_rate) for p in report.trend],
        },
        "departments": {
            "labels": [r.label for r in report.by_department[:20]],
            "registered": [r.figures.volume for r in report.by_department[:20]],
            "on_time": [_rate(r.figures.on_time_rate) for r in report.by_department[:20]],
            "average_days": [_days(r.figures.average_handling_days) for r in report.by_department[:20]],
        },
        "channels": [{"name": r.label, "value": r.figures.volume} for r in report.by_channel],
        "kinds": [{"name": r.label, "value": r.figures.volume} for r in report.by_kind],
        "categories": [{"name": r.label, "value": r.figures.volume} for r in report.by_category_l1],
    }


@require_GET
@login_required
@shows_application_errors
def metrics_page(request: HttpRequest) -> HttpResponse:
    query = parse_metrics_query(request.GET)
    report = selectors.appeal_metrics(user=request.user, query=query)
    context = {
        "report": report,
        "query": query,
        "cards": kpi_cards(report.totals, report.previous_totals),
        "charts": chart_data(report),
        "choices": selectors.metrics_filter_choices(user=request.user),
        "export_query": urlencode(query.as_params()),
    }
    return render(request, "appeals/metrics.html", context)


@require_GET
@login_required
@shows_application_errors
def metrics_export(request: HttpRequest) -> HttpResponse:
    query = parse_metrics_query(request.GET)
    report = selectors.appeal_metrics(user=request.user, query=query)
    response = HttpResponse(metrics_workbook(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{workbook_filename(report)}"'
    return response
