"""Where holiday schedules come from before an administrator enters one: the `chinesecalendar` package.

The package transcribes each year's 国务院办公厅关于节假日安排的通知 (2004 onwards) into two dicts:
`holidays` (rest days, including weekend days inside a holiday period) and `workdays` (调休: weekend
days made working days). This module turns them into plain rows. It imports no Django models, so the
seeding data migration and the seeding service share it.
"""

import datetime
from dataclasses import dataclass

# chinese_calendar.constants.Holiday values (English) -> the names the State Council notices use.
CHINESE_HOLIDAY_NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    # 国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知 (2015)
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# GLOSSARY.md: 调休 = a weekend day that is a working day.
MAKEUP_SUFFIX = "调休"

SOURCE_CHINESECALENDAR = "chinesecalendar"


@dataclass(frozen=True)
class HolidayRow:
    date: datetime.date
    is_working_day: bool
    name: str


def chinese_name(english: str) -> str:
    return CHINESE_HOLIDAY_NAMES.get(english, english)


def chinesecalendar_years() -> list[int]:
    """The years the installed package knows."""
    import chinese_calendar

    return sorted(
        {day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays}
    )


def chinesecalendar_rows(*, first_year: int, last_year: int) -> tuple[list[HolidayRow], list[int]]:
    """Rows for the years first_year..last_year that the package covers, and those years.

    A holiday inside a year's rest period is a rest day (is_working_day False), also when it falls on a
    weekend (kept with its name for display). A make-up day is named after its holiday, e.g. 国庆节调休.
    """
    import chinese_calendar

    known = set(chinesecalendar_years())
    years = [year for year in range(first_year, last_year + 1) if year in known]
    wanted = set(years)
    rows = [
        HolidayRow(day, False, chinese_name(str(english)))
        for day, english in chinese_calendar.holidays.items()
        if day.year in wanted
    ]
    rows += [
        HolidayRow(day, True, chinese_name(str(english)) + MAKEUP_SUFFIX)
        for day, english in chinese_calendar.workdays.items()
        if day.year in wanted
    ]
    rows.sort(key=lambda row: row.date)
    return rows, years
