"""Reads of the working-day calendar (工作日历): a year's schedule, the administrator's year view with
month grids, and the banners that remind administrators to enter a missing year."""

from __future__ import annotations

import calendar as month_calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import has_role, require_role
from huiqi.core import workdays
from huiqi.core.models import CalendarYear, Holiday

MONTH_NAMES = [
    "一月",
    "二月",
    "三月",
    "四月",
    "五月",
    "六月",
    "七月",
    "八月",
    "九月",
    "十月",
    "十一月",
    "十二月",
]
WEEKDAY_HEADERS = ["一", "二", "三", "四", "五", "六", "日"]


@dataclass(frozen=True)
class ScheduleDay:
    day: datetime.date
    name: str


@dataclass(frozen=True)
class YearSchedule:
    """One year's entries. `holidays` are rest days (weekend ones included when entered, for their
    names); `makeup_days` are weekend days made working days (调休)."""

    year: int
    is_scheduled: bool
    source: str = ""
    entered_by: str = ""
    entered_at: datetime.datetime | None = None
    holidays: list[ScheduleDay] = field(default_factory=list)
    makeup_days: list[ScheduleDay] = field(default_factory=list)
    # Rows of a provisional year edited one by one (set_day) are here too: they count already.


@dataclass(frozen=True)
class DayCell:
    day: datetime.date
    kind: str  # work | rest | holiday | makeup
    name: str
    is_working_day: bool
    is_today: bool
    show_name: bool = False  # the first day of a run of days with the same name

    @property
    def title(self) -> str:
        labels = {"work": "工作日", "rest": "休息日", "holiday": "节假日", "makeup": "调休上班"}
        text = f"{self.day.isoformat()} {labels[self.kind]}"
        return f"{text}：{self.name}" if self.name else text


@dataclass(frozen=True)
class MonthGrid:
    month: int
    title: str
    weeks: list[list[DayCell | None]]
    working_days: int


@dataclass(frozen=True)
class YearView:
    schedule: YearSchedule
    months: list[MonthGrid]
    working_days: int
    holidays_on_weekdays: int
    makeup_count: int
    scheduled_years: list[int]
    weekday_headers: list[str] = field(default_factory=lambda: list(WEEKDAY_HEADERS))


def _rows_of(year: int) -> list[Holiday]:
    return list(
        Holiday.objects.filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        ).order_by("date")
    )


def year_schedule(*, year: int) -> YearSchedule:
    """The entered schedule of `year` (public information: any signed-in user may read it)."""
    entry = CalendarYear.objects.select_related("entered_by").filter(year=year).first()
    rows = _rows_of(year)
    return YearSchedule(
        year=year,
        is_scheduled=entry is not None,
        source=entry.source if entry else "",
        entered_by=str(entry.entered_by) if entry and entry.entered_by else "",
        entered_at=entry.entered_at if entry else None,
        holidays=[ScheduleDay(r.date, r.name) for r in rows if not r.is_working_day],
        makeup_days=[ScheduleDay(r.date, r.name) for r in rows if r.is_working_day],
    )


def calendar_year_view(*, actor: Any, year: int) -> YearView:
    """The administrator's page: the year's schedule and its twelve month grids (Monday first)."""
    require_role(actor, Role.SYSTEM_ADMIN)
    schedule = year_schedule(year=year)
    rows = {r.date: r for r in _rows_of(year)}
    today = timezone.localdate()
    grid = month_calendar.Calendar(firstweekday=0)
    months: list[MonthGrid] = []
    total_working = holidays_on_weekdays = makeups = 0
    previous_name = ""
    for month in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        month_working = 0
        for week in grid.monthdatescalendar(year, month):
            cells: list[DayCell | None] = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                row = rows.get(day)
                weekend = day.weekday() >= 5
                is_working = row.is_working_day if row else not weekend
                if row is not None and not row.is_working_day:
                    kind = "holiday"
                    holidays_on_weekdays += not weekend
                elif row is not None and is_working and weekend:
                    kind = "makeup"
                    makeups += 1
                else:
                    kind = "work" if is_working else "rest"
                month_working += is_working
                name = row.name if row else ""
                show = bool(name) and (name != previous_name or day.day == 1)
                previous_name = name
                cells.append(DayCell(day, kind, name, is_working, day == today, show))
            weeks.append(cells)
        total_working += month_working
        months.append(MonthGrid(month, MONTH_NAMES[month - 1], weeks, month_working))
    years = list(CalendarYear.objects.order_by("year").values_list("year", flat=True))
    return YearView(schedule, months, total_working, holidays_on_weekdays, makeups, years)


def missing_schedule_years(*, today: datetime.date | None = None) -> list[int]:
    """This year and next year, where their schedule is not entered."""
    today = today or timezone.localdate()
    return [year for year in (today.year, today.year + 1) if not workdays.is_year_scheduled(year)]


def calendar_banners(user: Any) -> list[str]:
    """Reminders for system administrators when this year's or next year's schedule is missing."""
    if not has_role(user, Role.SYSTEM_ADMIN):
        return []
    return [
        f"{year} 年的节假日安排尚未录入：涉及 {year} 年的工作日期限暂时只扣除周末，为临时结果。"
        f"国务院办公厅通知发布后，请到“工作日历”录入，临时期限将自动重算。"
        for year in missing_schedule_years()
    ]
