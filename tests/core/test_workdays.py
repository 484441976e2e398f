"""Working-day arithmetic (huiqi.core.workdays): table-driven cases from the State Council schedules,
property-based checks, and the database-backed snapshot (cache) used by the rest of the platform.

Expected dates come from the 国务院办公厅关于节假日安排的通知 of each year, e.g. for 2026: 国庆节、中秋节
10月1日至7日放假，9月20日（周日）、10月10日（周六）上班; 春节 2月15日至23日放假，2月14日（周六）、
2月28日（周六）上班; 元旦 1月1日至3日放假，1月4日（周日）上班.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.core import workdays
from huiqi.core.errors import ValidationFailedError
from huiqi.core.holiday_sources import chinesecalendar_rows
from huiqi.core.models import CalendarYear, Holiday
from huiqi.core.workdays import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_HOURS = [(dt.time(9), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))]


def _package_calendar() -> WorkCalendar:
    rows, years = chinesecalendar_rows(first_year=2004, last_year=2026)
    return WorkCalendar(
        overrides={row.date: row.is_working_day for row in rows},
        scheduled_years=years,
        office_hours=OFFICE_HOURS,
        tz=SHANGHAI,
    )


CAL = _package_calendar()
D = dt.date


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


# --- add_working_days ----------------------------------------------------------------------------------

ADD_CASES = [
    # start, days, expected, why
    (D(2026, 9, 30), 3, D(2026, 10, 10), "国庆节: 10月1-7日放假, 8日、9日上班, 10日(周六)调休上班"),
    (D(2026, 9, 25), 1, D(2026, 9, 28), "中秋节 9月25日(周五)放假, 周末也在假期内"),
    (D(2026, 9, 18), 1, D(2026, 9, 20), "9月20日(周日)调休上班"),
    (D(2026, 2, 13), 1, D(2026, 2, 14), "春节前 2月14日(周六)调休上班"),
    (D(2026, 2, 14), 1, D(2026, 2, 24), "春节 2月15-23日放假"),
    (D(2026, 2, 24), 4, D(2026, 2, 28), "春节后 2月28日(周六)调休上班"),
    (D(2024, 2, 9), 1, D(2024, 2, 18), "2024春节 2月10-17日放假, 18日(周日)上班"),
    (D(2025, 12, 31), 1, D(2026, 1, 4), "跨年: 2026年元旦1-3日放假, 1月4日(周日)上班"),
    (D(2025, 12, 30), 2, D(2026, 1, 4), "跨年, 12月31日是第1个工作日"),
    (D(2026, 11, 20), 1, D(2026, 11, 23), "周五受理, 下周一为第1个工作日"),
    (D(2026, 11, 21), 1, D(2026, 11, 23), "周六受理, 次日起算"),
    (D(2026, 11, 18), 5, D(2026, 11, 25), "普通一周"),
    (D(2026, 11, 22), 0, D(2026, 11, 22), "0 个工作日: 原日期, 不顺延"),
    (D(2026, 10, 8), -1, D(2026, 9, 30), "倒数: 国庆前最后一个工作日"),
    (D(2026, 2, 24), -1, D(2026, 2, 14), "倒数: 春节前的周六调休上班"),
    (D(2026, 11, 23), -1, D(2026, 11, 20), "倒数跨周末"),
    (D(2026, 11, 21), -1, D(2026, 11, 20), "周六往前1个工作日是周五"),
    (D(2003, 12, 31), 1, D(2004, 1, 2), "2004年元旦; 2003年不在表内(仅周末)"),
]


@pytest.mark.parametrize(("start", "days", "expected", "why"), ADD_CASES, ids=[c[3] for c in ADD_CASES])
def test_add_working_days_follows_the_state_council_schedule(start, days, expected, why):
    assert CAL.add_working_days(start, days).value == expected


HALF_DAY_CASES = [
    (D(2026, 9, 30), "0.5", local(2026, 10, 8, 12, 0)),
    (D(2026, 9, 30), Decimal("2.5"), local(2026, 10, 10, 12, 0)),
    (D(2026, 11, 20), 1.5, local(2026, 11, 24, 12, 0)),
    (D(2026, 11, 18), "0.5", local(2026, 11, 19, 12, 0)),
]


@pytest.mark.parametrize(("start", "days", "expected"), HALF_DAY_CASES)
def test_half_day_ends_at_the_close_of_the_morning_session(start, days, expected):
    result = CAL.add_working_days(start, days).value
    assert isinstance(result, dt.datetime)
    assert result == expected


@pytest.mark.parametrize("days", ["0.3", "1.25", "-0.5", "abc", "", "nan", True])
def test_add_working_days_rejects_what_is_not_a_whole_or_half_day(days):
    with pytest.raises(ValidationFailedError) as caught:
        CAL.add_working_days(D(2026, 11, 18), days)
    assert caught.value.field == "days"


def test_acceptance_time_of_day_does_not_matter_but_the_local_date_does():
    # 2026-11-19 17:00 UTC is 2026-11-20 01:00 in Shanghai: a Friday acceptance.
    late_utc = dt.datetime(2026, 11, 19, 17, 0, tzinfo=dt.UTC)
    assert CAL.add_working_days(late_utc, 1).value == D(2026, 11, 23)
    assert CAL.add_working_days(local(2026, 11, 20, 23, 59), 1).value == D(2026, 11, 23)


# --- working_days_between ------------------------------------------------------------------------------

BETWEEN_CASES = [
    (D(2026, 9, 25), D(2026, 10, 12), 7),
    (D(2026, 10, 12), D(2026, 9, 25), -7),
    (D(2026, 11, 18), D(2026, 11, 18), 0),
    (D(2026, 11, 20), D(2026, 11, 22), 0),
    (D(2025, 12, 31), D(2026, 1, 5), 2),
    (D(2026, 2, 13), D(2026, 2, 28), 6),
    # 2026: 261 weekdays - 19 holidays on weekdays + 6 make-up weekend days
    (D(2025, 12, 31), D(2026, 12, 31), 248),
]


@pytest.mark.parametrize(("start", "end", "expected"), BETWEEN_CASES)
def test_working_days_between_counts_after_start_up_to_and_including_end(start, end, expected):
    assert CAL.working_days_between(start, end).value == expected


def test_working_days_between_uses_local_dates_of_datetimes():
    assert (
        CAL.working_days_between(dt.datetime(2026, 11, 19, 17, 0, tzinfo=dt.UTC), D(2026, 11, 23)).value == 1
    )


# --- add_working_hours ---------------------------------------------------------------------------------

HOURS_CASES = [
    (local(2026, 11, 18, 10, 0), 1, local(2026, 11, 18, 11, 0), "within the morning"),
    (local(2026, 11, 18, 11, 0), 2, local(2026, 11, 18, 14, 30), "over the lunch break"),
    (local(2026, 11, 18, 9, 0), 3, local(2026, 11, 18, 12, 0), "ends at the closing time, not 13:30"),
    (local(2026, 11, 18, 12, 30), 1, local(2026, 11, 18, 14, 30), "start in the lunch break"),
    (local(2026, 11, 18, 7, 0), 7, local(2026, 11, 18, 17, 30), "start before opening: a full day"),
    (local(2026, 11, 18, 18, 0), 1, local(2026, 11, 19, 10, 0), "start after closing"),
    (local(2026, 11, 20, 17, 0), 1, local(2026, 11, 23, 9, 30), "over the weekend"),
    (local(2026, 11, 21, 10, 0), 1, local(2026, 11, 23, 10, 0), "start on a Saturday"),
    (local(2026, 9, 30, 16, 0), 2, local(2026, 10, 8, 9, 30), "over the National Day holiday"),
    (local(2026, 10, 9, 17, 0), 1, local(2026, 10, 10, 9, 30), "into the make-up Saturday"),
    (local(2026, 11, 18, 9, 0), 14, local(2026, 11, 19, 17, 30), "two full days"),
    (local(2026, 9, 30, 9, 0), 70, local(2026, 10, 19, 17, 30), "ten days over a holiday"),
    (local(2026, 11, 18, 10, 0), Decimal("0.5"), local(2026, 11, 18, 10, 30), "half an hour"),
    (
        dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC),
        1,
        local(2026, 11, 18, 11, 0),
        "UTC input, local answer",
    ),
    (dt.datetime(2026, 11, 18, 10, 0), 1, local(2026, 11, 18, 11, 0), "naive input is local time"),  # noqa: DTZ001
]


@pytest.mark.parametrize(("start", "hours", "expected", "why"), HOURS_CASES, ids=[c[3] for c in HOURS_CASES])
def test_add_working_hours_counts_office_hours_only(start, hours, expected, why):
    result = CAL.add_working_hours(start, hours).value
    assert result == expected
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_zero_hours_returns_the_start_and_negative_hours_are_refused():
    start = local(2026, 11, 21, 10, 0)
    assert CAL.add_working_hours(start, 0).value == start
    with pytest.raises(ValidationFailedError):
        CAL.add_working_hours(start, -1)


def test_working_hours_need_a_datetime():
    with pytest.raises(ValidationFailedError):
        CAL.add_working_hours(D(2026, 11, 18), 1)  # type: ignore[arg-type]


# --- working time between two moments ------------------------------------------------------------------

TIME_CASES = [
    (local(2026, 11, 16, 9, 0), local(2026, 11, 16, 17, 30), Decimal("7.0000"), Decimal("1.0000")),
    (local(2026, 11, 16, 11, 0), local(2026, 11, 16, 14, 30), Decimal("2.0000"), Decimal("0.2857")),
    (local(2026, 9, 30, 9, 0), local(2026, 10, 9, 12, 0), Decimal("17.0000"), Decimal("2.4286")),
    (local(2026, 11, 20, 17, 0), local(2026, 11, 23, 9, 30), Decimal("1.0000"), Decimal("0.1429")),
    (local(2026, 11, 21, 9, 0), local(2026, 11, 22, 18, 0), Decimal("0.0000"), Decimal("0.0000")),
    (local(2026, 10, 9, 12, 0), local(2026, 9, 30, 9, 0), Decimal("-17.0000"), Decimal("-2.4286")),
]


@pytest.mark.parametrize(("start", "end", "hours", "days"), TIME_CASES)
def test_working_time_between_measures_elapsed_office_time(start, end, hours, days):
    assert CAL.working_hours_between(start, end).value == hours
    assert CAL.working_time_between(start, end).value == days


# --- provisional years ---------------------------------------------------------------------------------


def test_a_result_that_counts_an_unscheduled_year_is_provisional():
    result = CAL.add_working_days(D(2026, 12, 25), 10)
    # 2027 has no schedule: 1 January 2027 (a Friday) counts as a working day, weekends only.
    assert result.value == D(2027, 1, 8)
    assert result.is_provisional
    assert result.unscheduled_years == (2027,)


def test_a_result_inside_scheduled_years_is_not_provisional():
    for result in (
        CAL.add_working_days(D(2026, 9, 30), 3),
        CAL.working_days_between(D(2026, 1, 1), D(2026, 12, 31)),
        CAL.add_working_hours(local(2026, 12, 31, 9), 7),
    ):
        assert not result.is_provisional
        assert result.unscheduled_years == ()


def test_between_and_hours_report_every_unscheduled_year_touched():
    assert CAL.working_days_between(D(2026, 12, 30), D(2028, 1, 4)).unscheduled_years == (2027, 2028)
    assert CAL.add_working_hours(local(2026, 12, 31, 17), 1).unscheduled_years == (2027,)
    assert CAL.working_days_between(D(2003, 12, 1), D(2004, 1, 5)).unscheduled_years == (2003,)


def test_a_day_only_looks_at_its_own_year_for_provisional():
    # 31 December 2026 -> the first working day after is in 2027, provisional.
    assert CAL.add_working_days(D(2026, 12, 30), 1).is_provisional is False
    assert CAL.add_working_days(D(2026, 12, 31), 1).is_provisional is True


def test_deadline_at_is_the_close_of_office_hours_for_a_date():
    assert CAL.deadline_at(D(2026, 10, 10)) == local(2026, 10, 10, 17, 30)
    moment = local(2026, 10, 10, 12, 0)
    assert CAL.deadline_at(moment) == moment


def test_office_hours_must_be_ordered_spans():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        WorkCalendar(overrides={}, scheduled_years=[], office_hours=[(dt.time(13), dt.time(12))], tz=SHANGHAI)
    with pytest.raises(ImproperlyConfigured):
        WorkCalendar(
            overrides={},
            scheduled_years=[],
            office_hours=[(dt.time(9), dt.time(12)), (dt.time(11), dt.time(17))],
            tz=SHANGHAI,
        )


# --- properties ----------------------------------------------------------------------------------------

dates = st.dates(min_value=D(2002, 6, 1), max_value=D(2029, 6, 30))
moments = st.builds(
    lambda day, minutes: (
        dt.datetime.combine(day, dt.time()).replace(tzinfo=SHANGHAI) + dt.timedelta(minutes=minutes)
    ),
    dates,
    st.integers(min_value=0, max_value=24 * 60 - 1),
)
quarter_hours = st.integers(min_value=1, max_value=400).map(lambda q: Decimal(q) / 4)


@given(start=dates, n=st.integers(min_value=1, max_value=600))
def test_between_start_and_add_start_n_is_n(start, n):
    end = CAL.add_working_days(start, n).value
    assert CAL.working_days_between(start, end).value == n
    assert CAL.is_working_day(end)
    assert CAL.add_working_days(start, n + 1).value > end


@given(start=dates, n=st.integers(min_value=1, max_value=600))
def test_counting_backwards_lands_on_the_nth_working_day_before(start, n):
    day = CAL.add_working_days(start, -n).value
    assert day < start
    assert CAL.is_working_day(day)
    # working days in [day, start): between counts (day - 1, start - 1]
    assert CAL.working_days_between(day - dt.timedelta(days=1), start - dt.timedelta(days=1)).value == n


@given(start=dates, span=st.integers(min_value=0, max_value=900))
def test_fast_count_agrees_with_counting_day_by_day(start, span):
    end = start + dt.timedelta(days=span)
    brute = sum(CAL.is_working_day(start + dt.timedelta(days=i)) for i in range(1, span + 1))
    assert CAL.working_days_between(start, end).value == brute


@given(start=dates, n=st.integers(min_value=0, max_value=100))
def test_half_day_is_between_the_whole_days(start, n):
    half = CAL.add_working_days(start, Decimal(n) + Decimal("0.5")).value
    assert half.date() == CAL.add_working_days(start, n + 1).value
    assert half.time() == dt.time(12, 0)


@given(start=moments, h1=quarter_hours, h2=quarter_hours)
def test_adding_hours_in_two_steps_equals_adding_them_at_once(start, h1, h2):
    once = CAL.add_working_hours(start, h1 + h2).value
    twice = CAL.add_working_hours(CAL.add_working_hours(start, h1).value, h2).value
    assert once == twice


@given(start=moments, hours=quarter_hours)
def test_office_hours_between_start_and_the_result_are_the_hours_added(start, hours):
    end = CAL.add_working_hours(start, hours).value
    assert CAL.working_hours_between(start, end).value == hours
    assert CAL.is_working_day(end)
    clock = end.timetz().replace(tzinfo=None)
    assert any(begin < clock <= finish for begin, finish in OFFICE_HOURS)


# --- the database-backed snapshot ----------------------------------------------------------------------


@pytest.mark.django_db
def test_seeded_table_agrees_with_the_package_on_every_day(holiday_calendar):
    snapshot = workdays.current_calendar()
    day = D(2004, 1, 1)
    while day <= D(2026, 12, 31):
        assert snapshot.is_working_day(day) == CAL.is_working_day(day), day
        day += dt.timedelta(days=1)
    assert set(range(2004, 2027)) <= snapshot.scheduled_years


@pytest.mark.django_db
def test_module_functions_answer_the_contract_examples(holiday_calendar):
    assert workdays.add_working_days(D(2026, 9, 30), 3).value == D(2026, 10, 10)
    assert workdays.working_days_between(D(2026, 9, 25), D(2026, 10, 12)).value == 7
    assert workdays.is_working_day(D(2026, 10, 10)) is True
    assert workdays.is_working_day(D(2026, 10, 5)) is False
    assert workdays.is_year_scheduled(2026)
    assert not workdays.is_year_scheduled(2027)
    assert workdays.hours_per_working_day() == 7


@pytest.mark.django_db
def test_snapshot_is_reused_until_invalidated(holiday_calendar, django_assert_num_queries):
    workdays.current_calendar()
    with django_assert_num_queries(0):
        for offset in range(2000):
            workdays.add_working_days(D(2026, 1, 1) + dt.timedelta(days=offset % 365), 15)
    Holiday.objects.create(date=D(2026, 11, 18), is_working_day=False, name="测试")
    assert workdays.is_working_day(D(2026, 11, 18)) is True  # still the cached snapshot
    workdays.invalidate_cache()
    assert workdays.is_working_day(D(2026, 11, 18)) is False


@pytest.mark.django_db
def test_snapshot_expires_after_its_time_to_live(holiday_calendar, settings):
    settings.HUIQI_CALENDAR_CACHE_SECONDS = 0
    assert workdays.is_working_day(D(2026, 11, 18)) is True
    Holiday.objects.create(date=D(2026, 11, 18), is_working_day=False, name="测试")
    assert workdays.is_working_day(D(2026, 11, 18)) is False


@pytest.mark.django_db
def test_office_hours_come_from_settings(holiday_calendar, settings):
    assert workdays.add_working_hours(local(2026, 11, 18, 11), 2).value == local(2026, 11, 18, 14, 30)
    settings.HUIQI_OFFICE_HOURS = [(dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(18))]
    assert workdays.add_working_hours(local(2026, 11, 18, 11), 2).value == local(2026, 11, 18, 15, 0)
    assert workdays.add_working_days(D(2026, 11, 18), "0.5").value == local(2026, 11, 19, 12, 0)
    assert workdays.hours_per_working_day() == Decimal("7.5")


@pytest.mark.django_db
def test_an_empty_table_counts_weekends_only_and_everything_is_provisional():
    Holiday.objects.all().delete()
    CalendarYear.objects.all().delete()
    result = workdays.add_working_days(D(2026, 9, 30), 3)
    assert result.value == D(2026, 10, 5)
    assert result.is_provisional
    assert result.unscheduled_years == (2026,)
