"""Calendar services: entering a year's schedule, editing one day, seeding; permissions, validation,
audit events, cache invalidation and the provisional-deadline recomputers."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps

from huiqi.core import calendar_selectors, calendar_services, workdays
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from huiqi.core.models import AuditEvent, CalendarYear, Holiday
from tests.factories import UserFactory

D = dt.date

# 2027: an illustrative schedule in the form of the State Council notice (not the real one).
HOLIDAYS_2027 = [
    (D(2027, 1, 1), "元旦"),
    (D(2027, 1, 2), "元旦"),
    (D(2027, 1, 3), "元旦"),
    *[(D(2027, 2, day), "春节") for day in range(6, 13)],
    (D(2027, 10, 1), "国庆节"),
]
MAKEUP_2027 = [(D(2027, 2, 20), "春节调休"), (D(2027, 1, 30), "春节调休")]


@pytest.fixture
def admin(db):
    return UserFactory(system_admin=True)


@pytest.fixture
def recomputer_calls():
    calls = []

    def recompute(*, years, actor):
        # It runs after the table changed: what it computes already uses the new schedule.
        calls.append((years, actor, workdays.add_working_days(D(2026, 12, 31), 1)))
        return 0

    calendar_services.register_provisional_recomputer(recompute)
    yield calls
    calendar_services.unregister_provisional_recomputer(recompute)


def enter_2027(actor, **overrides):
    arguments = {
        "actor": actor,
        "year": 2027,
        "holidays": HOLIDAYS_2027,
        "makeup_days": MAKEUP_2027,
        "source": "国办发明电〔2026〕测试号",
    }
    arguments.update(overrides)
    return calendar_services.enter_year_schedule(**arguments)


def test_entering_a_year_replaces_its_rows_and_marks_it_scheduled(holiday_calendar, admin):
    Holiday.objects.create(date=D(2027, 5, 3), is_working_day=False, name="旧的单日修改")
    entry = enter_2027(admin)
    assert entry.year == 2027
    assert entry.source == "国办发明电〔2026〕测试号"
    assert entry.entered_by == admin
    rows = {(r.date, r.is_working_day, r.name) for r in Holiday.objects.filter(date__year=2027)}
    assert rows == {(day, False, name) for day, name in HOLIDAYS_2027} | {
        (day, True, n) for day, n in MAKEUP_2027
    }
    assert Holiday.objects.filter(date__year=2026).count() > 0  # other years untouched


def test_entering_a_year_again_replaces_the_first_entry(holiday_calendar, admin):
    enter_2027(admin)
    enter_2027(admin, holidays=[(D(2027, 1, 1), "元旦")], makeup_days=[], source="更正")
    assert list(Holiday.objects.filter(date__year=2027).values_list("date", "name")) == [
        (D(2027, 1, 1), "元旦")
    ]
    assert CalendarYear.objects.get(year=2027).source == "更正"


def test_results_stop_being_provisional_without_clearing_the_cache_by_hand(holiday_calendar, admin):
    before = workdays.add_working_days(D(2026, 12, 31), 1)
    assert before.value == D(2027, 1, 1)
    assert before.is_provisional
    assert workdays.is_working_day(D(2027, 2, 20)) is False  # a Saturday, weekends only
    enter_2027(admin)
    after = workdays.add_working_days(D(2026, 12, 31), 1)
    assert after.value == D(2027, 1, 4)
    assert not after.is_provisional
    assert workdays.is_working_day(D(2027, 2, 20)) is True
    assert workdays.is_working_day(D(2027, 2, 8)) is False


def test_entering_a_year_is_audited_with_before_and_after(holiday_calendar, admin):
    enter_2027(admin)
    event = AuditEvent.objects.get(action="calendar.year_entered")
    assert event.actor_id == admin.pk
    assert event.before["is_scheduled"] is False
    assert event.before["holidays"] == []
    assert event.after["is_scheduled"] is True
    assert ["2027-10-01", "国庆节"] in event.after["holidays"]
    assert ["2027-02-20", "春节调休"] in event.after["makeup_days"]


def test_registered_recomputers_are_called_with_the_new_year_and_see_the_new_table(
    holiday_calendar, admin, recomputer_calls
):
    enter_2027(admin)
    assert len(recomputer_calls) == 1
    years, actor, result = recomputer_calls[0]
    assert years == (2027,)
    assert actor == admin
    assert result.value == D(2027, 1, 4)
    assert not result.is_provisional


def test_a_failing_recomputer_rolls_the_schedule_back(holiday_calendar, admin):
    def broken(*, years, actor):
        raise RuntimeError("recompute failed")

    calendar_services.register_provisional_recomputer(broken)
    try:
        with pytest.raises(RuntimeError):
            enter_2027(admin)
    finally:
        calendar_services.unregister_provisional_recomputer(broken)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not Holiday.objects.filter(date__year=2027).exists()
    assert workdays.add_working_days(D(2026, 12, 31), 1).is_provisional


def test_registering_a_recomputer_twice_calls_it_once(holiday_calendar, admin, recomputer_calls):
    (registered,) = [
        r
        for r in calendar_services.registered_provisional_recomputers()
        if r.__name__ == "recompute" and r.__module__ == __name__  # other apps register their own
    ]
    calendar_services.register_provisional_recomputer(registered)
    enter_2027(admin)
    assert len(recomputer_calls) == 1


@pytest.mark.parametrize("role", ["handler", "security_admin", "audit_admin", "leader", "enterprise"])
def test_only_a_system_administrator_enters_a_schedule(holiday_calendar, role, recomputer_calls):
    with pytest.raises(PermissionDeniedError):
        enter_2027(UserFactory(role=role))
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert recomputer_calls == []


def test_an_anonymous_actor_is_refused(holiday_calendar):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDeniedError):
        enter_2027(AnonymousUser())


INVALID_SCHEDULES = [
    ({"holidays": [(D(2028, 1, 1), "元旦")]}, "holiday", 0, "不在 2027 年内"),
    ({"makeup_days": [(D(2027, 2, 8), "春节调休")]}, "makeup", 0, "不是周末"),
    ({"makeup_days": [(D(2027, 1, 2), "元旦调休")]}, "makeup", 0, "同时被填为节假日和调休上班日"),
    ({"holidays": [(D(2027, 1, 1), "元旦"), (D(2027, 1, 1), "元旦")]}, "holiday", 1, "重复"),
    ({"holidays": [(D(2027, 1, 1), "")]}, "holiday", 0, "缺少名称"),
    ({"holidays": [("2027-02-30", "春节")]}, "holiday", 0, "无效"),
    ({"holidays": [(D(2027, 1, 1), "节" * 51)]}, "holiday", 0, "超过 50 个字"),
    ({"holidays": []}, None, None, "没有填写任何节假日"),
    ({"source": "  "}, None, None, "请填写来源"),
]


@pytest.mark.parametrize(("change", "kind", "index", "message"), INVALID_SCHEDULES)
def test_an_invalid_schedule_is_refused_with_a_specific_reason_and_changes_nothing(
    holiday_calendar, admin, change, kind, index, message
):
    with pytest.raises(ValidationFailedError) as caught:
        enter_2027(admin, **change)
    items = caught.value.extra["errors"]
    assert any(
        message in item["message"] and item["kind"] == kind and item["index"] == index for item in items
    )
    assert message in caught.value.message
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not Holiday.objects.filter(date__year=2027).exists()
    assert not AuditEvent.objects.filter(action="calendar.year_entered").exists()


def test_every_problem_is_listed_at_once(holiday_calendar, admin):
    with pytest.raises(ValidationFailedError) as caught:
        enter_2027(
            admin,
            holidays=[(D(2028, 1, 1), "元旦"), (D(2027, 3, 1), "")],
            makeup_days=[(D(2027, 3, 2), "调休")],
        )
    assert [(e["kind"], e["index"]) for e in caught.value.extra["errors"]] == [
        ("holiday", 0),
        ("holiday", 1),
        ("makeup", 0),
    ]


def test_a_year_out_of_range_is_refused(admin):
    with pytest.raises(ValidationFailedError) as caught:
        enter_2027(admin, year=1999)
    assert caught.value.field == "year"


def test_a_holiday_on_a_weekend_is_accepted_and_a_makeup_day_without_name_is_called_tiaoxiu(
    holiday_calendar, admin
):
    enter_2027(admin, holidays=[(D(2027, 1, 2), "元旦")], makeup_days=[(D(2027, 1, 9), "")])
    assert Holiday.objects.get(date=D(2027, 1, 2)).name == "元旦"
    assert Holiday.objects.get(date=D(2027, 1, 9)).name == "调休"


# --- set_day ---------------------------------------------------------------------------------------------


def test_setting_a_weekday_as_a_holiday_is_counted_and_audited(holiday_calendar, admin):
    assert workdays.is_working_day(D(2026, 11, 18)) is True
    row = calendar_services.set_day(actor=admin, day=D(2026, 11, 18), is_working_day=False, name="临时放假")
    assert row is not None
    assert row.name == "临时放假"
    assert workdays.is_working_day(D(2026, 11, 18)) is False
    event = AuditEvent.objects.get(action="calendar.day_set")
    assert event.before == {"date": "2026-11-18", "is_working_day": True, "name": ""}
    assert event.after == {"date": "2026-11-18", "is_working_day": False, "name": "临时放假"}


def test_setting_a_day_back_to_its_weekday_rule_removes_the_row(holiday_calendar, admin):
    assert workdays.is_working_day(D(2026, 10, 10)) is True  # a make-up Saturday
    assert calendar_services.set_day(actor=admin, day=D(2026, 10, 10), is_working_day=False, name="") is None
    assert not Holiday.objects.filter(date=D(2026, 10, 10)).exists()
    assert workdays.is_working_day(D(2026, 10, 10)) is False


def test_setting_a_day_to_what_it_is_changes_nothing(holiday_calendar, admin):
    calendar_services.set_day(actor=admin, day=D(2026, 11, 18), is_working_day=True, name="")
    assert not AuditEvent.objects.filter(action="calendar.day_set").exists()


def test_only_a_system_administrator_sets_a_day(holiday_calendar):
    with pytest.raises(PermissionDeniedError):
        calendar_services.set_day(
            actor=UserFactory(role="handler"), day=D(2026, 11, 18), is_working_day=False, name="x"
        )
    assert workdays.is_working_day(D(2026, 11, 18)) is True


def test_set_day_refuses_a_long_name(holiday_calendar, admin):
    with pytest.raises(ValidationFailedError) as caught:
        calendar_services.set_day(actor=admin, day=D(2026, 11, 18), is_working_day=False, name="节" * 51)
    assert caught.value.field == "name"


# --- seeding ----------------------------------------------------------------------------------------------


def test_seeding_restores_missing_years_and_is_idempotent(holiday_calendar, recomputer_calls):
    Holiday.objects.filter(date__year=2010).delete()
    CalendarYear.objects.filter(year=2010).delete()
    assert calendar_services.seed_holidays_from_chinesecalendar(first_year=2004, last_year=2026) == [2010]
    # 2010 Spring Festival: 2月13日至19日放假, 20日(周六)、21日(周日)上班.
    assert Holiday.objects.get(date=D(2010, 2, 15)).name == "春节"
    assert Holiday.objects.get(date=D(2010, 2, 20)).is_working_day is True
    assert CalendarYear.objects.get(year=2010).source == "chinesecalendar"
    assert recomputer_calls[0][0] == (2010,)
    assert calendar_services.seed_holidays_from_chinesecalendar() == []
    assert AuditEvent.objects.filter(action="calendar.seeded").count() == 1


def test_seeding_leaves_an_administrators_year_alone_unless_told_to_overwrite(holiday_calendar, admin):
    calendar_services.set_day(actor=admin, day=D(2026, 11, 18), is_working_day=False, name="临时放假")
    assert calendar_services.seed_holidays_from_chinesecalendar(first_year=2026, last_year=2026) == []
    assert Holiday.objects.filter(date=D(2026, 11, 18)).exists()
    assert calendar_services.seed_holidays_from_chinesecalendar(
        first_year=2026, last_year=2026, actor=admin, overwrite=True
    ) == [2026]
    assert not Holiday.objects.filter(date=D(2026, 11, 18)).exists()


def test_a_person_who_seeds_must_be_a_system_administrator(holiday_calendar):
    with pytest.raises(PermissionDeniedError):
        calendar_services.seed_holidays_from_chinesecalendar(
            actor=UserFactory(role="handler"), overwrite=True
        )


@pytest.mark.django_db
def test_the_seed_migration_fills_an_empty_table():
    migration = importlib.import_module("huiqi.core.migrations.0003_seed_holidays")
    Holiday.objects.all().delete()
    CalendarYear.objects.all().delete()
    migration.seed(django_apps, None)
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2004, 2027))
    assert Holiday.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert Holiday.objects.get(date=D(2026, 10, 10)).name == "国庆节调休"
    assert Holiday.objects.get(date=D(2015, 9, 3)).name.startswith("中国人民抗日战争")
    count = Holiday.objects.count()
    migration.seed(django_apps, None)  # again: nothing added
    assert Holiday.objects.count() == count
    migration.unseed(django_apps, None)
    assert not CalendarYear.objects.exists()
    assert not Holiday.objects.exists()


# --- banners ----------------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC), tick=False)
def test_administrators_are_reminded_of_next_years_missing_schedule(holiday_calendar, admin):
    banners = calendar_selectors.calendar_banners(admin)
    assert len(banners) == 1
    assert "2027 年的节假日安排尚未录入" in banners[0]
    assert calendar_selectors.calendar_banners(UserFactory(role="handler")) == []
    enter_2027(admin)
    assert calendar_selectors.calendar_banners(admin) == []


@time_machine.travel(dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_missing_current_year_is_reminded_too(holiday_calendar, admin):
    banners = calendar_selectors.calendar_banners(admin)
    assert [b[:4] for b in banners] == ["2027", "2028"]
