"""Statistical periods (统计周期) of the metrics page: a day, an ISO week, a calendar month, quarter or
year, or a custom range of dates; the period before it, for comparisons; and the trend buckets.

The previous period of a calendar period is the previous calendar unit (October -> September); of a
custom range, the same number of days just before it. Dates are local dates (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from huiqi.core.errors import ValidationFailedError

DAY, WEEK, MONTH, QUARTER, YEAR, CUSTOM = "day", "week", "month", "quarter", "year", "custom"
PERIOD_KINDS = {DAY: "日", WEEK: "周", MONTH: "月", QUARTER: "季度", YEAR: "年", CUSTOM: "自定义"}
GRANULARITIES = {DAY: "按日", WEEK: "按周", MONTH: "按月"}
#: The longest custom range (a little over two years: a year and the one before it for comparison).
MAX_RANGE_DAYS = 800


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return next_month(day) - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    kind: str = CUSTOM

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed_days(self, today: dt.date) -> int:
        """Days of the period up to today (a period still running counts its days so far)."""
        if today < self.start:
            return 0
        return (min(self.end, today) - self.start).days + 1

    @property
    def label(self) -> str:
        s, e = self.start, self.end
        if self.kind == DAY:
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == WEEK:
            year, week, _ = s.isocalendar()
            return f"{year}年第{week}周（{s.month}月{s.day}日—{e.month}月{e.day}日）"
        if self.kind == MONTH:
            return f"{s.year}年{s.month}月"
        if self.kind == QUARTER:
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        if self.kind == YEAR:
            return f"{s.year}年"
        return f"{s.isoformat()} 至 {e.isoformat()}"

    def previous(self) -> Period:
        if self.kind == DAY:
            day = self.start - dt.timedelta(days=1)
            return Period(day, day, DAY)
        if self.kind == WEEK:
            return Period(self.start - dt.timedelta(days=7), self.start - dt.timedelta(days=1), WEEK)
        if self.kind in (MONTH, QUARTER, YEAR):
            months = {MONTH: 1, QUARTER: 3, YEAR: 12}[self.kind]
            start = _add_months(self.start, -months)
            return Period(start, self.start - dt.timedelta(days=1), self.kind)
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end, CUSTOM)

    def split(self) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
        """The whole months inside the period (first and last month's first day), and the ranges of
        days outside them: the monthly sums answer the first, the daily sums the second."""
        first = self.start if self.start.day == 1 else next_month(self.start)
        last = month_start(self.end) if self.end == month_end(self.end) else None
        if last is None:
            last = _add_months(month_start(self.end), -1)
        if first > last:
            return None, [(self.start, self.end)]
        days = []
        if self.start < first:
            days.append((self.start, first - dt.timedelta(days=1)))
        if month_end(last) < self.end:
            days.append((next_month(last), self.end))
        return (first, last), days


def period_for(kind: str, on: dt.date) -> Period:
    """The calendar period of `kind` that contains the day `on`."""
    if kind == DAY:
        return Period(on, on, DAY)
    if kind == WEEK:
        start = on - dt.timedelta(days=on.weekday())
        return Period(start, start + dt.timedelta(days=6), WEEK)
    if kind == MONTH:
        return Period(month_start(on), month_end(on), MONTH)
    if kind == QUARTER:
        start = dt.date(on.year, (on.month - 1) // 3 * 3 + 1, 1)
        return Period(start, _add_months(start, 3) - dt.timedelta(days=1), QUARTER)
    if kind == YEAR:
        return Period(dt.date(on.year, 1, 1), dt.date(on.year, 12, 31), YEAR)
    raise ValidationFailedError(f"统计周期“{kind}”无效，可选：{'、'.join(PERIOD_KINDS)}。", field="period")


def custom_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise ValidationFailedError(
            f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}。", field="end"
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailedError(f"自定义区间最长 {MAX_RANGE_DAYS} 天。", field="end")
    return Period(start, end, CUSTOM)


def default_granularity(period: Period) -> str:
    if period.days <= 31:
        return DAY
    if period.days <= 120:
        return WEEK
    return MONTH


def bucket_of(day: dt.date, granularity: str) -> dt.date:
    """The first day of the trend bucket (day, ISO week from Monday, month) holding `day`."""
    if granularity == WEEK:
        return day - dt.timedelta(days=day.weekday())
    if granularity == MONTH:
        return month_start(day)
    return day


def buckets(period: Period, granularity: str) -> list[dt.date]:
    """Every bucket of the period in order (empty ones too, so a trend line has no gaps)."""
    out: list[dt.date] = []
    current = bucket_of(period.start, granularity)
    while current <= period.end:
        out.append(current)
        if granularity == DAY:
            current += dt.timedelta(days=1)
        elif granularity == WEEK:
            current += dt.timedelta(days=7)
        else:
            current = next_month(current)
    return out


def bucket_label(start: dt.date, granularity: str) -> str:
    if granularity == MONTH:
        return f"{start.year}-{start.month:02d}"
    if granularity == WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()
