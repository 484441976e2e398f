"""Working-day arithmetic (工作日计算): the one place where time limits are counted.

Why this module exists. Government time limits (办理时限, 承诺时限, 法定时限) are counted in working
days, and in China the working days are not simply Monday to Friday: each autumn the General Office
of the State Council publishes the next year's public holidays and the weekend days that become
working days (国务院办公厅关于节假日安排的通知). A time limit counts from the day after the day of
acceptance (自受理次日起计算), so "3 working days from Wednesday 30 September 2026" ends on Saturday
10 October 2026, a make-up working day after the National Day holiday. ARCHITECTURE.md requires every
app to compute time limits here and nowhere else, so that one rule is applied everywhere.

Rules, as decided for Huiqi:

* Days. A row of the Holiday table overrides the weekday rule for its date: a public holiday on a
  weekday is a rest day, a make-up day (调休) on a weekend is a working day; rows for holidays on a
  weekend only carry a name for display. Days without a row are working days Monday to Friday.
* Scheduled years. A year is *scheduled* when a CalendarYear row exists (its State Council schedule
  has been entered). For any other year only weekends are known: results that count a day of such a
  year are still computed (weekends only) but carry ``is_provisional=True`` and the years concerned,
  so callers can show a warning and recompute once the schedule is entered
  (see ``huiqi.core.calendar_services.register_provisional_recomputer``).
* ``add_working_days(start, n)``: the n-th working day after ``start``, counting from the day after
  (自受理次日起计算); the time of day of ``start`` is irrelevant. ``n = 0`` returns ``start``'s date
  unchanged (no day is counted). A negative ``n`` counts backwards from the day before: ``-1`` is the
  last working day before ``start``. Half days are allowed (multiples of 0.5, ``n >= 0`` only): a
  working day has a morning and an afternoon half, so ``n + 0.5`` ends at the close of the morning
  session (the end of the first office-hours span, 12:00 by default) of the working day after the
  n-th one, and the result is then a timezone-aware datetime; a whole number gives a date, meaning
  the close of office hours of that day (``deadline_at`` turns either into a timestamp).
* ``add_working_hours(start, h)``: counts office hours (settings.HUIQI_OFFICE_HOURS, default
  09:00-12:00 and 13:30-17:30, in settings.TIME_ZONE, Asia/Shanghai) from ``start``; a start outside
  office hours begins at the next opening; a limit that runs out exactly at a closing time ends then
  (12:00, not 13:30).
* ``working_days_between(start, end)``: the number of working days after ``start`` up to and
  including ``end`` (the inverse of ``add_working_days``); negative when ``end`` is before ``start``.
  ``working_time_between`` measures elapsed office time instead, in working days of
  HUIQI_OFFICE_HOURS length (7 hours by default), for averages such as "mean handling time".

The table is small (about 800 rows for 2004-2026), so it is read once into an in-process snapshot
(``current_calendar()``) that answers in microseconds without touching the database. The calendar
services invalidate it whenever they change the table; it also expires after
HUIQI_CALENDAR_CACHE_SECONDS (default 300) so that other processes pick up a change.
"""

from __future__ import annotations

import threading
import time as monotonic_clock
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from huiqi.core.errors import ValidationFailedError

T = TypeVar("T")
Number = int | float | Decimal | str

_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_SECOND
_US_PER_DAY = 24 * _US_PER_HOUR
_RESULT_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class WorkdayResult(Generic[T]):
    """A computed value and whether it rests on a year whose schedule is not entered yet."""

    value: T
    is_provisional: bool = False
    unscheduled_years: tuple[int, ...] = ()

    def __str__(self) -> str:
        return str(self.value)


# --- weekday arithmetic on proleptic ordinals (date.toordinal(); ordinal 1 is a Monday) ---------------


def _weekdays_before(x: int) -> int:
    """Number of Monday-to-Friday ordinals in [1, x)."""
    q, r = divmod(x - 1, 7)
    return q * 5 + min(r, 5)


def _weekdays_inverse(target: int) -> int:
    """Smallest x with _weekdays_before(x) >= target."""
    if target <= 0:
        return 1
    q = (target - 1) // 5
    return 7 * q + (target - 5 * q) + 1


def _is_weekday(ordinal: int) -> bool:
    return (ordinal - 1) % 7 < 5


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US_PER_SECOND + value.microsecond


def _us_time(us: int) -> time:
    seconds, micro = divmod(us, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return time(hour, minute, second, micro)


class WorkCalendar:
    """An immutable snapshot of the holiday table with the arithmetic on it.

    Working days are counted with a prefix sum over the years that have rows (a window); outside the
    window only the weekday rule applies, which has a closed form. So every query is O(log n)
    whatever the distance, and thousands of deadlines take milliseconds.
    """

    def __init__(
        self,
        *,
        overrides: Mapping[date, bool],
        scheduled_years: Iterable[int],
        office_hours: Sequence[tuple[time, time]],
        tz: tzinfo,
    ) -> None:
        self.scheduled_years = frozenset(scheduled_years)
        self.tz = tz
        self._spans = self._check_office_hours(office_hours)
        self.office_hours = tuple(office_hours)
        self.day_us = sum(end - start for start, end in self._spans)
        self.hours_per_day = Decimal(self.day_us) / _US_PER_HOUR
        self.half_day_end = _us_time(self._spans[0][1])
        self.close_of_office = _us_time(self._spans[-1][1])
        self._overrides = {day.toordinal(): bool(value) for day, value in overrides.items()}
        years = {day.year for day in overrides} | set(self.scheduled_years)
        first, last = (min(years), max(years)) if years else (2000, 1999)
        self._w0 = date(first, 1, 1).toordinal()
        self._w1 = date(last + 1, 1, 1).toordinal() if years else self._w0
        cum = array("q", [0])
        total = 0
        for ordinal in range(self._w0, self._w1):
            total += self._overrides.get(ordinal, _is_weekday(ordinal))
            cum.append(total)
        self._cum = cum
        self._f_w0 = _weekdays_before(self._w0)
        self._f_w1 = _weekdays_before(self._w1)
        self._F_w1 = self._f_w0 + cum[-1]

    @staticmethod
    def _check_office_hours(office_hours: Sequence[tuple[time, time]]) -> list[tuple[int, int]]:
        spans = [(_time_us(start), _time_us(end)) for start, end in office_hours]
        if not spans:
            raise ImproperlyConfigured("HUIQI_OFFICE_HOURS 至少需要一个办公时段。")
        previous_end = -1
        for start, end in spans:
            if not previous_end <= start < end:
                raise ImproperlyConfigured(
                    "HUIQI_OFFICE_HOURS 的办公时段必须按时间先后排列、互不重叠，且开始早于结束。"
                )
            previous_end = end
        return spans

    # -- primitives ------------------------------------------------------------------------------------

    def _working(self, ordinal: int) -> bool:
        return self._overrides.get(ordinal, _is_weekday(ordinal))

    def _F(self, x: int) -> int:  # noqa: N802 - a mathematical function name
        """Number of working days before ordinal x (from a fixed origin); nondecreasing."""
        if x <= self._w0:
            return _weekdays_before(x)
        if x <= self._w1:
            return self._f_w0 + self._cum[x - self._w0]
        return self._F_w1 + _weekdays_before(x) - self._f_w1

    def _F_inverse(self, target: int) -> int:  # noqa: N802
        """Smallest ordinal x with _F(x) >= target."""
        if target <= self._f_w0:
            return _weekdays_inverse(target)
        if target <= self._F_w1:
            return self._w0 + bisect_left(self._cum, target - self._f_w0)
        return _weekdays_inverse(target - self._F_w1 + self._f_w1)

    def _nth_after(self, ordinal: int, n: int) -> int:
        """The n-th (n >= 1) working day strictly after `ordinal`."""
        return self._F_inverse(self._F(ordinal + 1) + n) - 1

    def _nth_before(self, ordinal: int, n: int) -> int:
        """The n-th (n >= 1) working day strictly before `ordinal`, counting backwards."""
        return self._F_inverse(self._F(ordinal) - n + 1) - 1

    def _count(self, first: int, last: int) -> int:
        """Working days in [first, last] (0 when last < first)."""
        return max(0, self._F(last + 1) - self._F(first))

    def _result(self, value: T, first: int | None = None, last: int | None = None) -> WorkdayResult[T]:
        if first is None or last is None or last < first:
            return WorkdayResult(value)
        years = tuple(
            year
            for year in range(date.fromordinal(first).year, date.fromordinal(last).year + 1)
            if year not in self.scheduled_years
        )
        return WorkdayResult(value, bool(years), years)

    def _local_date(self, value: date | datetime) -> date:
        if isinstance(value, datetime):
            return self._local_naive(value).date()
        if isinstance(value, date):
            return value
        raise ValidationFailedError(f"需要日期，收到 {value!r}。")

    def _local_naive(self, value: datetime) -> datetime:
        """Wall-clock time in the platform's time zone (naive datetimes are taken as local already).

        Asia/Shanghai has had no daylight saving time since 1991, so wall-clock arithmetic is exact."""
        if value.tzinfo is not None and value.utcoffset() is not None:
            return value.astimezone(self.tz).replace(tzinfo=None)
        return value

    def _aware(self, value: datetime) -> datetime:
        return value.replace(tzinfo=self.tz)

    def _overlap_us(self, ordinal: int, t1: int, t2: int) -> int:
        """Office time of day `ordinal` between times of day t1 and t2 (microseconds)."""
        if t2 <= t1 or not self._working(ordinal):
            return 0
        return sum(max(0, min(t2, end) - max(t1, start)) for start, end in self._spans)

    # -- public queries --------------------------------------------------------------------------------

    def is_working_day(self, day: date | datetime) -> bool:
        return self._working(self._local_date(day).toordinal())

    def is_scheduled(self, year: int) -> bool:
        return year in self.scheduled_years

    def deadline_at(self, value: date | datetime) -> datetime:
        """A result of add_working_days/add_working_hours as a timestamp: a date means the close of
        office hours of that day (17:30 by default); a datetime is returned in the local time zone."""
        if isinstance(value, datetime):
            return self._aware(self._local_naive(value))
        return datetime.combine(value, self.close_of_office, tzinfo=self.tz)

    def add_working_days(self, start: date | datetime, days: Number) -> WorkdayResult[date | datetime]:
        whole, has_half = parse_days(days)
        origin = self._local_date(start).toordinal()
        try:
            if whole == 0 and not has_half:
                return WorkdayResult(date.fromordinal(origin))
            if whole > 0 or has_half:
                found = self._nth_after(origin, whole + (1 if has_half else 0))
                span = (origin + 1, found)
            else:
                found = self._nth_before(origin, -whole)
                span = (found, origin - 1)
            day = date.fromordinal(found)
        except (OverflowError, ValueError) as exc:
            raise ValidationFailedError(
                f"工作日计算超出可表示的日期范围：{start} 加 {days} 个工作日。"
            ) from exc
        if has_half:
            return self._result(datetime.combine(day, self.half_day_end, tzinfo=self.tz), *span)
        return self._result(day, *span)

    def working_days_between(self, start: date | datetime, end: date | datetime) -> WorkdayResult[int]:
        a = self._local_date(start).toordinal()
        b = self._local_date(end).toordinal()
        if b >= a:
            return self._result(self._count(a + 1, b), a + 1, b)
        return self._result(-self._count(b + 1, a), b + 1, a)

    def add_working_hours(self, start: datetime, hours: Number) -> WorkdayResult[datetime]:
        remaining = parse_hours(hours)
        if not isinstance(start, datetime):
            raise ValidationFailedError(f"按工作小时计算需要具体时间（日期和时刻），收到 {start!r}。")
        local = self._local_naive(start)
        if remaining == 0:
            return WorkdayResult(self._aware(local))
        ordinal = first = local.date().toordinal()
        t = _time_us(local.time())
        opening = self._spans[0][0]
        while True:
            if t <= opening and remaining > self.day_us:
                # Skip whole working days at once, leaving 0 < remaining <= one day.
                full_days = (remaining - 1) // self.day_us
                ordinal = self._nth_after(ordinal - 1, full_days) + 1
                remaining -= full_days * self.day_us
                t = 0
                continue
            if self._working(ordinal):
                for span_start, span_end in self._spans:
                    if t >= span_end:
                        continue
                    begin = max(t, span_start)
                    available = span_end - begin
                    if remaining <= available:
                        moment = datetime.combine(date.fromordinal(ordinal), _us_time(begin + remaining))
                        return self._result(self._aware(moment), first, ordinal)
                    remaining -= available
                    t = span_end
            ordinal += 1
            t = 0

    def working_us_between(self, start: datetime, end: datetime) -> WorkdayResult[int]:
        """Office time between two moments, in microseconds (negative when end is before start)."""
        a, b = self._local_naive(start), self._local_naive(end)
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        da, db = a.date().toordinal(), b.date().toordinal()
        ta, tb = _time_us(a.time()), _time_us(b.time())
        if da == db:
            us = self._overlap_us(da, ta, tb)
        else:
            us = (
                self._overlap_us(da, ta, _US_PER_DAY)
                + self._count(da + 1, db - 1) * self.day_us
                + self._overlap_us(db, 0, tb)
            )
        return self._result(sign * us, da, db)

    def working_hours_between(self, start: datetime, end: datetime) -> WorkdayResult[Decimal]:
        """Office hours elapsed between two moments (4 decimals)."""
        elapsed = self.working_us_between(start, end)
        hours = (Decimal(elapsed.value) / _US_PER_HOUR).quantize(_RESULT_PLACES, ROUND_HALF_UP)
        return WorkdayResult(hours, elapsed.is_provisional, elapsed.unscheduled_years)

    def working_time_between(self, start: datetime, end: datetime) -> WorkdayResult[Decimal]:
        """Office time elapsed between two moments in working days (office hours / hours per working
        day, 4 decimals): the measure for "average handling time in working days"."""
        elapsed = self.working_us_between(start, end)
        days = (Decimal(elapsed.value) / self.day_us).quantize(_RESULT_PLACES, ROUND_HALF_UP)
        return WorkdayResult(days, elapsed.is_provisional, elapsed.unscheduled_years)


def parse_days(days: Number) -> tuple[int, bool]:
    """(whole days, has a half day) from an int, Decimal, float or string; only multiples of 0.5."""
    if type(days) is int:  # the common case, without going through Decimal
        return days, False
    if isinstance(days, bool):
        raise ValidationFailedError("工作日数必须是数字。", field="days")
    try:
        value = Decimal(str(days).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailedError(f"工作日数必须是数字，收到“{days}”。", field="days") from exc
    if not value.is_finite():
        raise ValidationFailedError(f"工作日数必须是有限的数字，收到“{days}”。", field="days")
    twice = value * 2
    if twice != twice.to_integral_value():
        raise ValidationFailedError(f"工作日数只能是整数或半天（0.5 的倍数），收到“{days}”。", field="days")
    has_half = int(twice) % 2 != 0
    if has_half and value < 0:
        raise ValidationFailedError(f"向前倒数工作日只支持整数天，收到“{days}”。", field="days")
    return int(value.to_integral_value(rounding=ROUND_FLOOR)), has_half


def parse_hours(hours: Number) -> int:
    """Hours as whole microseconds (rounded half-up); must be zero or more."""
    if isinstance(hours, bool):
        raise ValidationFailedError("工作小时数必须是数字。", field="hours")
    try:
        value = Decimal(str(hours).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailedError(f"工作小时数必须是数字，收到“{hours}”。", field="hours") from exc
    if not value.is_finite() or value < 0:
        raise ValidationFailedError(f"工作小时数必须是不小于 0 的数字，收到“{hours}”。", field="hours")
    return int((value * _US_PER_HOUR).to_integral_value(rounding=ROUND_HALF_UP))


# --- the process-wide snapshot of the database table ----------------------------------------------------

_lock = threading.Lock()
_cached: WorkCalendar | None = None
_cached_key: tuple[object, ...] | None = None
_cached_at = 0.0


def load_calendar() -> WorkCalendar:
    """Reads the Holiday and CalendarYear tables (two queries) into a new snapshot."""
    from huiqi.core.models import CalendarYear, Holiday

    overrides = dict(Holiday.objects.values_list("date", "is_working_day"))
    years = CalendarYear.objects.values_list("year", flat=True)
    return WorkCalendar(
        overrides=overrides,
        scheduled_years=list(years),
        office_hours=settings.HUIQI_OFFICE_HOURS,
        tz=ZoneInfo(settings.TIME_ZONE),
    )


def current_calendar() -> WorkCalendar:
    """The cached snapshot, rebuilt after invalidate_cache(), a settings change or the time to live."""
    global _cached, _cached_key, _cached_at
    key = (tuple(settings.HUIQI_OFFICE_HOURS), settings.TIME_ZONE)
    ttl = getattr(settings, "HUIQI_CALENDAR_CACHE_SECONDS", 300)
    calendar = _cached
    if calendar is not None and _cached_key == key and monotonic_clock.monotonic() - _cached_at < ttl:
        return calendar
    with _lock:
        calendar = load_calendar()
        _cached, _cached_key, _cached_at = calendar, key, monotonic_clock.monotonic()
    return calendar


def invalidate_cache() -> None:
    """Drops the snapshot; the next query reads the table again. Called by the calendar services."""
    global _cached
    with _lock:
        _cached = None


# --- the functions other apps call ---------------------------------------------------------------------


def is_working_day(day: date | datetime) -> bool:
    return current_calendar().is_working_day(day)


def is_year_scheduled(year: int) -> bool:
    return current_calendar().is_scheduled(year)


def add_working_days(start: date | datetime, days: Number) -> WorkdayResult[date | datetime]:
    """The date `days` working days after `start`, counting from the day after (自受理次日起计算).

    A whole number gives a date; a half day (n + 0.5) gives the datetime of the close of the morning
    session of the next working day. 0 returns start's date; a negative whole number counts backwards."""
    return current_calendar().add_working_days(start, days)


def add_working_hours(start: datetime, hours: Number) -> WorkdayResult[datetime]:
    """The moment after `hours` office hours counted from `start` (next opening if outside hours)."""
    return current_calendar().add_working_hours(start, hours)


def working_days_between(start: date | datetime, end: date | datetime) -> WorkdayResult[int]:
    """Working days after `start` up to and including `end` (negative if end is before start)."""
    return current_calendar().working_days_between(start, end)


def working_hours_between(start: datetime, end: datetime) -> WorkdayResult[Decimal]:
    return current_calendar().working_hours_between(start, end)


def working_time_between(start: datetime, end: datetime) -> WorkdayResult[Decimal]:
    """Elapsed office time in working days (hours / hours per working day), e.g. for averages."""
    return current_calendar().working_time_between(start, end)


def deadline_at(value: date | datetime) -> datetime:
    """A computed limit as a timestamp to store (a date means the close of office hours that day)."""
    return current_calendar().deadline_at(value)


def hours_per_working_day() -> Decimal:
    return current_calendar().hours_per_day


__all__ = [
    "WorkCalendar",
    "WorkdayResult",
    "add_working_days",
    "add_working_hours",
    "current_calendar",
    "deadline_at",
    "hours_per_working_day",
    "invalidate_cache",
    "is_working_day",
    "is_year_scheduled",
    "working_days_between",
    "working_hours_between",
    "working_time_between",
]
