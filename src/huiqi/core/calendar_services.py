"""Writes to the working-day calendar (工作日历): entering a year's State Council schedule, editing one
day, seeding from the `chinesecalendar` package; and the registry of provisional-deadline recomputers.

Why the registry: a deadline that counts days of a year whose schedule is not entered yet is
provisional (weekends only, see huiqi.core.workdays). When the schedule is entered (each autumn, after
the 国务院办公厅关于节假日安排的通知 is published), every app that stores such deadlines must recompute
them. STYLE.md forbids signals for this, so apps register a plain function at start-up (in their
AppConfig.ready) and `enter_year_schedule` calls each one, inside its transaction, after the table
has changed:

    def recompute_provisional_deadlines(*, years: tuple[int, ...], actor) -> int: ...
    register_provisional_recomputer(recompute_provisional_deadlines)
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.accounts.permissions import require_role
from huiqi.core import workdays
from huiqi.core.audit import record_event
from huiqi.core.errors import ValidationFailedError
from huiqi.core.holiday_sources import SOURCE_CHINESECALENDAR, chinesecalendar_rows
from huiqi.core.models import CalendarYear, Holiday

FIRST_YEAR = 2000
LAST_YEAR = 2100
NAME_MAX_LENGTH = Holiday._meta.get_field("name").max_length or 50
SOURCE_MAX_LENGTH = CalendarYear._meta.get_field("source").max_length or 100
DEFAULT_MAKEUP_NAME = "调休"  # GLOSSARY.md: a weekend day that is a working day
WEEKDAY_NAMES = "一二三四五六日"


class ProvisionalRecomputer(Protocol):
    def __call__(self, *, years: tuple[int, ...], actor: Any) -> Any: ...


_recomputers: list[ProvisionalRecomputer] = []


def register_provisional_recomputer(recomputer: ProvisionalRecomputer) -> ProvisionalRecomputer:
    """Registers a function called with the newly scheduled `years` and the `actor` after a year's
    schedule is entered; it recomputes that app's provisional deadlines. Registering twice is a no-op.
    Usable as a decorator."""
    if recomputer not in _recomputers:
        _recomputers.append(recomputer)
    return recomputer


def unregister_provisional_recomputer(recomputer: ProvisionalRecomputer) -> None:
    if recomputer in _recomputers:
        _recomputers.remove(recomputer)


def registered_provisional_recomputers() -> tuple[ProvisionalRecomputer, ...]:
    return tuple(_recomputers)


def _run_recomputers(*, years: Sequence[int], actor: Any) -> None:
    for recomputer in list(_recomputers):
        recomputer(years=tuple(years), actor=actor)


def _invalidate_now_and_after_commit() -> None:
    # Now, so that recomputers in this transaction see the new table; after commit, so that a
    # snapshot built by another thread meanwhile from the old committed rows is dropped too.
    workdays.invalidate_cache()
    transaction.on_commit(workdays.invalidate_cache)


def _day_label(day: datetime.date) -> str:
    return f"{day.isoformat()}（星期{WEEKDAY_NAMES[day.weekday()]}）"


def _coerce_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _year_rows(year: int) -> list[Holiday]:
    return list(
        Holiday.objects.filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        ).order_by("date")
    )


def _schedule_snapshot(year: int) -> dict[str, Any]:
    rows = _year_rows(year)
    entry = CalendarYear.objects.filter(year=year).first()
    return {
        "year": year,
        "is_scheduled": entry is not None,
        "source": entry.source if entry else "",
        "holidays": [[row.date.isoformat(), row.name] for row in rows if not row.is_working_day],
        "makeup_days": [[row.date.isoformat(), row.name] for row in rows if row.is_working_day],
    }


def _validate_schedule(
    *,
    year: int,
    holidays: Sequence[tuple[Any, str]],
    makeup_days: Sequence[tuple[Any, str]],
    source: str,
) -> tuple[list[tuple[datetime.date, str]], list[tuple[datetime.date, str]]]:
    """Returns the cleaned lists or raises ValidationFailedError listing every problem.

    Each entry of extra["errors"] is {"kind": "holiday"|"makeup"|None, "index": i|None, "date", "message"}
    so that a form can show the error beside the line it came from."""
    errors: list[dict[str, Any]] = []

    def fail(message: str, kind: str | None = None, index: int | None = None, day: Any = None) -> None:
        errors.append(
            {"kind": kind, "index": index, "date": str(day) if day is not None else None, "message": message}
        )

    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailedError(
            f"年份 {year} 无效：须在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。", field="year"
        )
    if not source.strip():
        fail("请填写来源，例如“国办发明电〔2026〕X号”。")
    elif len(source.strip()) > SOURCE_MAX_LENGTH:
        fail(f"来源不能超过 {SOURCE_MAX_LENGTH} 个字。")
    if not holidays:
        fail(f"{year} 年没有填写任何节假日：请按国务院办公厅通知逐日填写放假日期。")

    cleaned: dict[str, list[tuple[datetime.date, str]]] = {"holiday": [], "makeup": []}
    first_seen: dict[datetime.date, str] = {}
    kind_label = {"holiday": "节假日", "makeup": "调休上班日"}
    for kind, entries in (("holiday", holidays), ("makeup", makeup_days)):
        for index, entry in enumerate(entries):
            raw_day, raw_name = entry
            name = (raw_name or "").strip()
            day = _coerce_date(raw_day)
            label = kind_label[kind]
            if day is None:
                fail(f"{label}日期“{raw_day}”无效：应为 YYYY-MM-DD 格式。", kind, index, raw_day)
                continue
            if day.year != year:
                fail(f"{label} {day.isoformat()} 不在 {year} 年内。", kind, index, day)
                continue
            if kind == "holiday" and not name:
                fail(f"节假日 {day.isoformat()} 缺少名称（如 元旦、春节）。", kind, index, day)
                continue
            if kind == "makeup" and day.weekday() < 5:
                fail(
                    f"调休上班日 {_day_label(day)}不是周末：调休上班日必须是星期六或星期日，"
                    "工作日本来就要上班。",
                    kind,
                    index,
                    day,
                )
                continue
            if len(name) > NAME_MAX_LENGTH:
                fail(f"{label} {day.isoformat()} 的名称超过 {NAME_MAX_LENGTH} 个字。", kind, index, day)
                continue
            if day in first_seen:
                if first_seen[day] == kind:
                    fail(f"{label} {day.isoformat()} 重复填写。", kind, index, day)
                else:
                    fail(
                        f"{day.isoformat()} 同时被填为节假日和调休上班日，只能是其中一种。", kind, index, day
                    )
                continue
            first_seen[day] = kind
            cleaned[kind].append((day, name or DEFAULT_MAKEUP_NAME))
    if errors:
        summary = f"{year} 年节假日安排有 {len(errors)} 处错误：" + "；".join(
            e["message"] for e in errors[:5]
        )
        if len(errors) > 5:
            summary += "……"
        raise ValidationFailedError(summary, extra={"errors": errors})
    return sorted(cleaned["holiday"]), sorted(cleaned["makeup"])


def enter_year_schedule(
    *,
    actor: Any,
    year: int,
    holidays: Sequence[tuple[Any, str]],
    makeup_days: Sequence[tuple[Any, str]],
    source: str,
) -> CalendarYear:
    """Enters (or replaces) one year's State Council holiday schedule and recomputes provisional
    deadlines. `holidays` are the rest days with their names (a weekend day inside a holiday period may
    be listed, for display); `makeup_days` are the weekend days that become working days (调休)."""
    require_role(actor, Role.SYSTEM_ADMIN)
    clean_holidays, clean_makeup = _validate_schedule(
        year=year, holidays=holidays, makeup_days=makeup_days, source=source
    )
    with transaction.atomic():
        before = _schedule_snapshot(year)
        Holiday.objects.filter(
            date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
        ).delete()
        Holiday.objects.bulk_create(
            [Holiday(date=day, is_working_day=False, name=name) for day, name in clean_holidays]
            + [Holiday(date=day, is_working_day=True, name=name) for day, name in clean_makeup]
        )
        entry, _ = CalendarYear.objects.update_or_create(
            year=year,
            defaults={"source": source.strip(), "entered_by": actor, "entered_at": timezone.now()},
        )
        after = _schedule_snapshot(year)
        record_event(
            actor=actor,
            action="calendar.year_entered",
            obj=entry,
            object_repr=f"{year} 年节假日安排",
            before=before,
            after=after,
        )
        _invalidate_now_and_after_commit()
        try:
            _run_recomputers(years=[year], actor=actor)
        except Exception:
            workdays.invalidate_cache()  # the transaction rolls back: forget the uncommitted table
            raise
    return entry


def set_day(*, actor: Any, day: datetime.date, is_working_day: bool, name: str = "") -> Holiday | None:
    """Sets one day as a working day or a rest day, with an optional name. A day set back to its
    weekday rule without a name loses its row. Returns the row, or None when the day has none."""
    require_role(actor, Role.SYSTEM_ADMIN)
    clean_day = _coerce_date(day)
    if clean_day is None:
        raise ValidationFailedError(f"日期“{day}”无效：应为 YYYY-MM-DD 格式。", field="day")
    name = (name or "").strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailedError(f"名称不能超过 {NAME_MAX_LENGTH} 个字。", field="name")
    by_weekday = clean_day.weekday() < 5
    with transaction.atomic():
        row = Holiday.objects.select_for_update().filter(date=clean_day).first()
        before = {
            "date": clean_day.isoformat(),
            "is_working_day": row.is_working_day if row else by_weekday,
            "name": row.name if row else "",
        }
        after = {"date": clean_day.isoformat(), "is_working_day": bool(is_working_day), "name": name}
        if before == after:
            return row
        if bool(is_working_day) == by_weekday and not name:
            if row is not None:
                row.delete()
            row = None
        elif row is None:
            row = Holiday.objects.create(date=clean_day, is_working_day=bool(is_working_day), name=name)
        else:
            row.is_working_day = bool(is_working_day)
            row.name = name
            row.save(update_fields=["is_working_day", "name"])
        record_event(
            actor=actor,
            action="calendar.day_set",
            object_type="core.holiday",
            object_id=clean_day.isoformat(),
            object_repr=f"{_day_label(clean_day)} {name}".strip(),
            before=before,
            after=after,
        )
        _invalidate_now_and_after_commit()
    return row


def seed_holidays_from_chinesecalendar(
    *,
    first_year: int = 2004,
    last_year: int = 2026,
    actor: Any = None,
    overwrite: bool = False,
) -> list[int]:
    """Loads the schedules the installed `chinesecalendar` package knows for first_year..last_year.

    Years already scheduled are left alone (an administrator's entry wins) unless `overwrite`.
    Returns the years seeded. `actor` None means the system itself (set-up); a person must be a
    system administrator."""
    if actor is not None:
        require_role(actor, Role.SYSTEM_ADMIN)
    rows, years = chinesecalendar_rows(first_year=first_year, last_year=last_year)
    with transaction.atomic():
        existing = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
        targets = [year for year in years if overwrite or year not in existing]
        if not targets:
            return []
        target_set = set(targets)
        for year in targets:
            Holiday.objects.filter(
                date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31)
            ).delete()
        Holiday.objects.bulk_create(
            [
                Holiday(date=r.date, is_working_day=r.is_working_day, name=r.name)
                for r in rows
                if r.date.year in target_set
            ]
        )
        now = timezone.now()
        for year in targets:
            CalendarYear.objects.update_or_create(
                year=year,
                defaults={
                    "source": SOURCE_CHINESECALENDAR,
                    "entered_by": actor if getattr(actor, "pk", None) else None,
                    "entered_at": now,
                },
            )
        record_event(
            actor=actor,
            action="calendar.seeded",
            object_type="core.calendaryear",
            object_repr=f"{targets[0]}-{targets[-1]} 年节假日安排（{SOURCE_CHINESECALENDAR}）",
            before={"scheduled_years": sorted(existing & target_set)},
            after={"years": targets, "rows": sum(1 for r in rows if r.date.year in target_set)},
        )
        _invalidate_now_and_after_commit()
        newly = [year for year in targets if year not in existing]
        if newly:
            try:
                _run_recomputers(years=newly, actor=actor)
            except Exception:
                workdays.invalidate_cache()
                raise
    return targets
