"""The metrics report as an XLSX workbook (openpyxl): the same figures and breakdowns as the page,
rates as numbers formatted as percentages (so a spreadsheet can compute with them), and the
definitions on the last sheet. No personal data is in the report."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from huiqi.appeals.metrics.figures import Figures, Rate
from huiqi.appeals.metrics.hot_topics import HotTopic
from huiqi.appeals.metrics.selectors import MetricsReport

PERCENT = "0.0%"
DAYS = "0.00"

#: (header, value of a Figures, number format or None) for every column of a breakdown sheet.
COLUMNS: list[tuple[str, Callable[[Figures], Any], str | None]] = [
    ("受理量", lambda f: f.volume, None),
    ("其中并单", lambda f: f.merged, None),
    ("已办结", lambda f: f.closed, None),
    ("办结率", lambda f: f.closure_rate, PERCENT),
    ("直接答复", lambda f: f.direct_replies, None),
    ("直接答复率", lambda f: f.direct_reply_rate, PERCENT),
    ("办结办理件", lambda f: f.handled_closed, None),
    ("平均办理时长(工作日)", lambda f: f.average_handling_days, DAYS),
    ("部门平均办理时长(工作日)", lambda f: f.average_department_days, DAYS),
    ("按时办结", lambda f: f.on_time, None),
    ("按时办结率", lambda f: f.on_time_rate, PERCENT),
    ("重办件", lambda f: f.reopened, None),
    ("重办率", lambda f: f.reopen_rate, PERCENT),
    ("回访件", lambda f: f.followed_up, None),
    ("解决率", lambda f: f.resolution_rate, PERCENT),
    ("满意率(满意+基本满意)", lambda f: f.satisfaction_rate, PERCENT),
    ("满意率(仅满意)", lambda f: f.strict_satisfaction_rate, PERCENT),
]

DEFINITIONS = [
    ("受理量", "统计期内登记的诉求件数（按登记日期），含并单件。"),
    ("办结率", "统计期内登记、不含并单的诉求中，截至统计时已办结的比例（按登记日期）。"),
    ("直接答复率", "统计期内登记、不含并单的诉求中，受理时直接答复的比例（按登记日期）。"),
    ("平均办理时长", "统计期内办结的办理件（不含直接答复、并单）从登记到办结的办公时间，按工作日折算后平均（按办结日期；含暂停计时）。"),
    ("部门平均办理时长", "同上办理件中，现主办单位每轮从签收到提交（经审核通过的）答复的办公时间，扣除暂停计时，按轮次平均。"),
    ("按时办结率", "统计期内办结的办理件中，通过审核的答复在办理期限（含延期、暂停顺延）内提交的比例；重办件按最后一轮期限。"),
    ("重办率", "统计期内办结的办理件中，曾经重办的比例（按办结日期）。"),
    ("解决率", "最后一次回访在统计期内的诉求（不含并单）中，回访结果为已解决的比例（按最后回访日期）。"),
    ("满意率", "同上回访件中，满意 + 基本满意的比例（东莞、中山口径）；另列仅满意的比例。"),
    ("热词", "统计期内登记诉求的关键词（jieba TF-IDF，每件最多 5 个）出现件数；与上期按天数折算后比较，平滑系数 5，比值≥1.5 且件数≥5 为上升。热词只随周期和部门筛选。"),
]  # fmt: skip


def _cell_value(value: Any) -> Any:
    if isinstance(value, Rate):
        return float(value.value) if value.value is not None else None
    if isinstance(value, Decimal):
        return float(value)
    return value


def _write_table(
    sheet: Any, headers: list[str], rows: Iterable[list[Any]], formats: list[str | None]
) -> None:
    from openpyxl.styles import Font

    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell_value(v) for v in row])
        for cell, number_format in zip(sheet[sheet.max_row], formats, strict=False):
            if number_format:
                cell.number_format = number_format
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            10, len(header) * 2 + 2
        )


def _figures_row(figures: Figures) -> list[Any]:
    return [value(figures) for _, value, _ in COLUMNS]


def _hot_rows(topics: list[HotTopic]) -> list[list[Any]]:
    return [[t.label, t.count, t.previous, float(t.expected), float(t.ratio), t.arrow] for t in topics]


def metrics_workbook(report: MetricsReport) -> bytes:
    """The workbook of the report: 总体, 趋势, one sheet per breakdown, 热点, 口径说明."""
    from openpyxl import Workbook

    workbook = Workbook()
    summary = workbook.active
    summary.title = "总体"
    period, previous = report.period, report.previous_period
    summary.append(["统计周期", period.label, f"{period.start.isoformat()} 至 {period.end.isoformat()}"])
    summary.append(["上期", previous.label, f"{previous.start.isoformat()} 至 {previous.end.isoformat()}"])
    summary.append(["统计范围", report.scope_label])
    for name, value in report.filter_labels.items():
        summary.append([f"筛选：{name}", value])
    summary.append(["生成时间", timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")])
    summary.append([])
    formats = [None, *(f for _, _, f in COLUMNS)]
    _write_table(
        summary,
        ["", *(h for h, _, _ in COLUMNS)],
        [["本期", *_figures_row(report.totals)], ["上期", *_figures_row(report.previous_totals)]],
        formats,
    )

    trend = workbook.create_sheet("趋势")
    _write_table(
        trend,
        ["时间", *(h for h, _, _ in COLUMNS)],
        [[p.label, *_figures_row(p.figures)] for p in report.trend],
        formats,
    )
    sheet_names = {
        "channel": "按渠道",
        "kind": "按类型",
        "category_l1": "按一级分类",
        "category_l2": "按二级分类",
        "department": "按主办单位",
    }
    for key, _, rows in report.breakdowns:
        sheet = workbook.create_sheet(sheet_names[key])
        _write_table(
            sheet,
            [sheet_names[key][1:], *(h for h, _, _ in COLUMNS)],
            [[r.label, *_figures_row(r.figures)] for r in rows],
            formats,
        )

    hot = workbook.create_sheet("热点")
    hot_headers = ["", "本期件数", "上期件数", "上期折算", "平滑比值", "趋势"]
    for title, topics in (
        ("热词", report.hot_terms),
        ("上升热词", report.rising_terms),
        ("热点分类", report.hot_categories),
        ("上升分类", report.rising_categories),
    ):
        _write_table(hot, [title, *hot_headers[1:]], _hot_rows(topics), [None] * 6)
        hot.append([])

    notes = workbook.create_sheet("口径说明")
    _write_table(notes, ["指标", "口径"], [list(d) for d in DEFINITIONS], [None, None])
    notes.column_dimensions["B"].width = 120

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_filename(report: MetricsReport) -> str:
    period = report.period
    return f"appeal-metrics-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
