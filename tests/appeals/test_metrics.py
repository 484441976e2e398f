"""Metrics (appeals/metrics, docs/metrics.md) on six appeals whose every figure was computed by hand.

The six appeals walk through the services at fixed moments around the 2026 National Day holiday
(1-7 October off; Saturday 10 October a make-up working day). Office hours 09:00-12:00 and
13:30-17:30: a working day is 7 office hours. Time limits: the default 5 working days.

A1 hotline/help/E1, D1: registered Mon 28 Sep 10:00, accepted 28 Sep 11:00, reply submitted 29 Sep
   11:00, approved 29 Sep 14:00, follow-up 30 Sep 10:00 resolved + satisfied (closed).
   handling 28 Sep 10:00 -> 30 Sep 10:00 = 6 + 7 + 1 = 14 h = 2.0000 days; department round
   28 Sep 11:00 -> 29 Sep 11:00 = 5 + 2 = 7 h = 1.0000; deadline Sat 10 Oct 17:30: on time.
A2 web/complaint/E1, D1: registered Wed 30 Sep 16:30, accepted 30 Sep 17:00, submitted Thu 8 Oct
   10:00 (across the holiday), approved 8 Oct 11:00, follow-up 8 Oct 15:00 dissatisfied -> reopened;
   accepted 9 Oct 09:30, submitted 9 Oct 15:00, approved 16:00, follow-up Sat 10 Oct 10:00 resolved +
   fairly satisfied (closed). handling 1 + 7 + 7 + 1 = 16 h = 2.2857 days; rounds 0.5 + 1 = 1.5 h =
   0.2143 and 2.5 + 1.5 = 4 h = 0.5714 (0.7857 in 2 rounds); the new deadline after reopening is
   14 Oct 17:30: on time; reopened.
A3 hotline/consultation/P1: registered Fri 9 Oct 09:00, answered directly 09:10 (closed, no
   department); follow-up Mon 12 Oct 10:00 not resolved + fairly satisfied.
A4 hotline/help/E2: registered Thu 8 Oct 09:00, merged into A5 at 09:30.
A5 hotline/help/P1, D2: registered Mon 28 Sep 09:00, accepted 10:00, 2-day extension approved
   29 Sep, paused Wed 30 Sep 09:00 -> resumed Thu 8 Oct 09:00 (7 office hours), submitted Thu 15 Oct
   10:00, approved 11:00, closed without follow-up 14:00. Deadline 10 Oct + 2 days = 13 Oct, + 7 h
   = 14 Oct 17:30: late. handling 7 + 8 x 7 + 3.5 = 66.5 h = 9.5 days; round 63 h - 7 h paused =
   8.0000 days.
A6 app/suggestion/P1, D2: registered Mon 12 Oct 10:00, accepted 11:00, still open.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.metrics import facts, rebuild, sums
from huiqi.appeals.metrics.figures import Rate
from huiqi.appeals.metrics.hot_topics import DOWN, FLAT, NEW, UP, HotTopicRules, rank_topics
from huiqi.appeals.metrics.models import (
    AppealDailyStats,
    AppealDepartmentDailyStats,
    AppealFact,
    AppealMonthlyStats,
    AppealTermDaily,
    AppealTermMonthly,
)
from huiqi.appeals.metrics.periods import Period, period_for
from huiqi.appeals.metrics.query import MetricsFilters, MetricsQuery, parse_metrics_query
from huiqi.appeals.metrics.selectors import appeal_metrics
from huiqi.appeals.metrics.terms import extract_terms
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from tests.appeals.factories import CategoryFactory
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


class Walk:
    """Performs service calls at given moments and refreshes the fact after each (as the on-commit
    hook will), so the incremental path is what the figures come from."""

    def __init__(self) -> None:
        self.tickets: dict[str, int] = {}

    def register(self, name: str, when: dt.datetime, **kwargs) -> None:
        with time_machine.travel(when, tick=False):
            appeal = services.register_appeal(**kwargs)
        self.tickets[name] = appeal.ticket.pk
        facts.refresh_appeal_fact(ticket=appeal.ticket)

    def do(self, name: str, when: dt.datetime, service, **kwargs) -> None:
        from huiqi.appeals.models import Ticket

        ticket = Ticket.objects.get(pk=self.tickets[name])
        with time_machine.travel(when, tick=False):
            service(ticket=ticket, expected_version=ticket.version, **kwargs)
        facts.refresh_appeal_fact(ticket=ticket.pk)

    def appeal(self, name: str):
        from huiqi.appeals.models import Ticket

        return Ticket.objects.select_related("appeal").get(pk=self.tickets[name]).appeal


@pytest.fixture
def city(holiday_calendar, department, other_department, handler, dispatcher, agent, enterprise):
    e = CategoryFactory(code="E", name="要素保障")
    p = CategoryFactory(code="P", name="政策兑现")
    cats = {
        "E1": CategoryFactory(code="E1", name="用电", parent=e),
        "E2": CategoryFactory(code="E2", name="用地", parent=e),
        "P1": CategoryFactory(code="P1", name="奖补资金", parent=p),
        "E": e,
        "P": p,
    }
    handler2 = UserFactory(role=Role.HANDLER, department=other_department, full_name="周承办")
    w = Walk()
    s = services

    def reg(name, when, channel, kind, category, text):
        w.register(
            name, when, actor=agent, channel=channel, kind=kind, content=text, title=text[:12],
            enterprise=enterprise, category=cats[category],
        )  # fmt: skip

    def reply_cycle(name, h, accepted, submitted, approved):
        w.do(name, accepted, s.accept_ticket, actor=h)
        w.do(name, submitted, s.submit_reply, actor=h, text="已协调办理。")
        w.do(name, approved, s.approve_reply, actor=dispatcher)

    def follow(name, when, resolved, satisfaction):
        w.do(
            name, when, s.record_follow_up, actor=agent, method="call", is_resolved=resolved,
            satisfaction=satisfaction,
        )  # fmt: skip

    reg("A5", at(9, 28, 9), "hotline", "help", "P1", "高新技术企业奖补资金迟迟没有拨付，请协调财政局。")
    w.do("A5", at(9, 28, 9, 30), s.dispatch_ticket, actor=dispatcher, lead_department=other_department)
    w.do("A5", at(9, 28, 10), s.accept_ticket, actor=handler2)
    reg("A1", at(9, 28, 10), "hotline", "help", "E1", "新建厂房用电增容申请一个月没有进展，影响投产。")
    w.do("A1", at(9, 28, 10, 30), s.dispatch_ticket, actor=dispatcher, lead_department=department)
    w.do("A5", at(9, 29, 10), s.request_extension, actor=handler2, days=2, reason="需财政局复核")
    w.do("A5", at(9, 29, 11), s.approve_extension, actor=dispatcher)
    reply_cycle("A1", handler, at(9, 28, 11), at(9, 29, 11), at(9, 29, 14))
    w.do("A5", at(9, 30, 9), s.pause_ticket, actor=handler2, reason="请企业补充认定证书")
    follow("A1", at(9, 30, 10), True, "satisfied")
    reg("A2", at(9, 30, 16, 30), "web", "complaint", "E1", "工业园区频繁停电，用电增容后仍然跳闸。")
    w.do("A2", at(9, 30, 16, 40), s.dispatch_ticket, actor=dispatcher, lead_department=department)
    w.do("A2", at(9, 30, 17), s.accept_ticket, actor=handler)
    w.do("A5", at(10, 8, 9), s.resume_ticket, actor=handler2)
    reg("A4", at(10, 8, 9), "hotline", "help", "E2", "奖补资金还没到账，再次反映。")
    w.do("A4", at(10, 8, 9, 30), s.merge_appeal, actor=dispatcher, into=w.appeal("A5"))
    w.do("A2", at(10, 8, 10), s.submit_reply, actor=handler, text="已安排检修。")
    w.do("A2", at(10, 8, 11), s.approve_reply, actor=dispatcher)
    follow("A2", at(10, 8, 15), False, "dissatisfied")
    reg("A3", at(10, 9, 9), "hotline", "consultation", "P1", "专精特新企业奖补资金申报时间是什么时候？")
    w.do("A3", at(10, 9, 9, 10), s.answer_directly, actor=agent, text="申报时间为每年三月。")
    reply_cycle("A2", handler, at(10, 9, 9, 30), at(10, 9, 15), at(10, 9, 16))
    follow("A2", at(10, 10, 10), True, "fairly_satisfied")
    reg("A6", at(10, 12, 10), "app", "suggestion", "P1", "建议奖补资金申报材料精简，减少重复提交。")
    w.do("A6", at(10, 12, 10, 30), s.dispatch_ticket, actor=dispatcher, lead_department=other_department)
    w.do("A6", at(10, 12, 11), s.accept_ticket, actor=handler2)
    follow("A3", at(10, 12, 10), False, "fairly_satisfied")
    w.do("A5", at(10, 15, 10), s.submit_reply, actor=handler2, text="资金已拨付。")
    w.do("A5", at(10, 15, 11), s.approve_reply, actor=dispatcher)
    w.do("A5", at(10, 15, 14), s.close_ticket, actor=dispatcher, reason="企业电话确认已到账")
    return {"walk": w, "categories": cats, "handler2": handler2}


def report_for(user, period: Period, **filters):
    query = MetricsQuery(period=period, filters=MetricsFilters(**filters), granularity="day")
    return appeal_metrics(user=user, query=query, today=day(10, 20))


CUSTOM = Period(day(9, 28), day(10, 15))


def fact_of(city, name: str) -> AppealFact:
    return AppealFact.objects.get(appeal_id=city["walk"].appeal(name).pk)


# --- the facts --------------------------------------------------------------------------------------


def test_handling_times_count_office_hours_across_the_holiday(city):
    a1, a2, a5 = fact_of(city, "A1"), fact_of(city, "A2"), fact_of(city, "A5")
    assert (a1.handling_days, a1.department_rounds, a1.department_days) == (D("2"), 1, D("1"))
    assert a2.handling_days == D("2.2857")
    assert (a2.department_rounds, a2.department_days) == (2, D("0.7857"))
    assert a5.handling_days == D("9.5")
    assert (a5.department_rounds, a5.department_days) == (1, D("8"))  # 9 days minus the 1-day pause


def test_fact_records_on_time_reopening_follow_up_and_closure_kind(city):
    a1, a2, a3, a4, a5, a6 = (fact_of(city, n) for n in ("A1", "A2", "A3", "A4", "A5", "A6"))
    assert (a1.is_on_time, a2.is_on_time, a5.is_on_time) == (True, True, False)
    assert (a2.reopen_count, a2.satisfaction, a2.is_resolved, a2.closed_on) == (
        1, "fairly_satisfied", True, day(10, 10),
    )  # fmt: skip
    assert a3.is_direct_reply
    assert a3.handling_days is None
    assert a3.followed_up_on == day(10, 12)
    assert a4.is_merged
    assert a4.is_closed
    assert not a4.is_direct_reply
    assert a5.satisfaction == ""
    assert a5.closed_on == day(10, 15)
    assert not a6.is_closed
    assert a6.department_id == city["handler2"].department_id
    assert a1.category_l1_id == city["categories"]["E"].pk


# --- the rates, by hand -------------------------------------------------------------------------------


def test_custom_range_rates_match_the_hand_computation(city, dispatcher):
    t = report_for(dispatcher, CUSTOM).totals
    assert (t.volume, t.merged, t.counted) == (6, 1, 5)
    assert t.closure_rate == Rate(4, 5)  # A1 A2 A3 A5 closed, A6 open, A4 merged
    assert t.direct_reply_rate == Rate(1, 5)
    assert t.handled_closed == 3  # A1 A2 A5
    assert t.average_handling_days == D("4.60")  # (2 + 2.2857 + 9.5) / 3 = 4.5952
    assert t.on_time_rate == Rate(2, 3)
    assert t.reopen_rate == Rate(1, 3)
    assert t.average_department_days == D("2.45")  # (1 + 0.7857 + 8) / 4 rounds
    assert t.resolution_rate == Rate(2, 3)  # A1 A2 resolved, A3 not
    assert t.satisfaction_rate == Rate(3, 3)  # satisfied + fairly satisfied
    assert t.strict_satisfaction_rate == Rate(1, 3)
    assert t.on_time_rate.percent == "66.7%"
    assert t.on_time_rate.value == D("0.6667")


def test_each_rate_takes_its_own_date_in_calendar_months(city, dispatcher):
    september = report_for(dispatcher, period_for("month", day(9, 1))).totals
    assert september.volume == 3
    assert september.closure_rate == Rate(3, 3)
    assert september.handled_closed == 1
    assert september.average_handling_days == D("2.00")
    assert (september.on_time_rate, september.satisfaction_rate) == (Rate(1, 1), Rate(1, 1))
    october = report_for(dispatcher, period_for("month", day(10, 1))).totals
    assert (october.volume, october.merged) == (3, 1)  # A3 A4 A6
    assert october.closure_rate == Rate(1, 2)
    assert october.direct_reply_rate == Rate(1, 2)
    assert october.handled_closed == 2  # A2 closed 10 Oct, A5 closed 15 Oct
    assert october.average_handling_days == D("5.89")  # (2.2857 + 9.5) / 2
    assert october.on_time_rate == Rate(1, 2)
    assert october.reopen_rate == Rate(1, 2)
    assert october.average_department_days == D("2.93")  # (0.7857 + 8) / 3
    assert october.resolution_rate == Rate(1, 2)
    assert october.satisfaction_rate == Rate(2, 2)


def test_range_of_a_whole_month_and_loose_days_adds_both_tables(city, dispatcher):
    mixed = report_for(dispatcher, Period(day(9, 28), day(10, 31))).totals
    whole = report_for(dispatcher, CUSTOM).totals
    assert mixed.as_dict() == whole.as_dict()
    year = report_for(dispatcher, period_for("year", day(1, 1))).totals
    assert year.as_dict() == whole.as_dict()


def test_breakdowns_by_channel_kind_category_and_department(city, dispatcher, department, other_department):
    r = report_for(dispatcher, CUSTOM)
    channels = {row.key: row.figures for row in r.by_channel}
    assert [row.key for row in r.by_channel] == ["hotline", "web", "app"]
    assert (channels["hotline"].volume, channels["hotline"].closure_rate) == (4, Rate(3, 3))
    assert channels["hotline"].on_time_rate == Rate(1, 2)  # A1 on time, A5 late
    assert channels["hotline"].average_handling_days == D("5.75")
    assert channels["web"].reopen_rate == Rate(1, 1)
    assert channels["web"].average_handling_days == D("2.29")
    assert channels["app"].closure_rate == Rate(0, 1)
    assert {row.key: row.figures.volume for row in r.by_kind} == {
        "consultation": 1, "help": 3, "complaint": 1, "suggestion": 1,
    }  # fmt: skip
    cats = city["categories"]
    assert {row.label: row.figures.volume for row in r.by_category_l1} == {"要素保障": 3, "政策兑现": 3}
    level2 = {row.key: row.figures.volume for row in r.by_category_l2}
    assert level2 == {cats["E1"].pk: 2, cats["E2"].pk: 1, cats["P1"].pk: 3}
    departments = {row.key: row.figures for row in r.by_department}
    assert {k: f.volume for k, f in departments.items()} == {department.pk: 2, other_department.pk: 2, 0: 2}
    d1, d2 = departments[department.pk], departments[other_department.pk]
    assert (d1.on_time_rate, d1.average_handling_days, d1.average_department_days) == (
        Rate(2, 2), D("2.14"), D("0.60"),
    )  # fmt: skip
    assert (d2.on_time_rate, d2.average_handling_days, d2.average_department_days) == (
        Rate(0, 1), D("9.50"), D("8.00"),
    )  # fmt: skip


def test_filters_narrow_every_figure(city, dispatcher, department):
    cats = city["categories"]
    web = report_for(dispatcher, CUSTOM, channel="web").totals
    assert (web.volume, web.reopen_rate) == (1, Rate(1, 1))
    first_level = report_for(dispatcher, CUSTOM, category_id=cats["E"].pk).totals
    assert (first_level.volume, first_level.merged, first_level.handled_closed) == (3, 1, 2)
    second_level = report_for(dispatcher, CUSTOM, category_id=cats["P1"].pk, kind="help").totals
    assert (second_level.volume, second_level.on_time_rate) == (1, Rate(0, 1))  # A5
    d1 = report_for(dispatcher, CUSTOM, department_id=department.pk).totals
    assert (d1.volume, d1.satisfaction_rate) == (2, Rate(2, 2))


def test_trend_by_day_and_by_week(city, dispatcher):
    r = report_for(dispatcher, CUSTOM)
    assert len(r.trend) == 18
    registered = {p.start: p.figures.volume for p in r.trend if p.figures.volume}
    assert registered == {day(9, 28): 2, day(9, 30): 1, day(10, 8): 1, day(10, 9): 1, day(10, 12): 1}
    weekly = appeal_metrics(
        user=dispatcher, query=MetricsQuery(period=CUSTOM, granularity="week"), today=day(10, 20)
    )
    assert [(p.label, p.figures.volume, p.figures.handled_closed) for p in weekly.trend] == [
        ("2026-W40", 3, 1), ("2026-W41", 2, 1), ("2026-W42", 1, 1),
    ]  # fmt: skip


def test_incremental_sums_equal_a_rebuild_from_the_facts(city):
    def snapshot():
        def rows(model, keys, measures=sums.MEASURES):
            values = model.objects.values_list(*keys, *measures)
            return {row for row in values if any(row[len(keys) :])}  # cells moved back to zero left out

        return (
            rows(AppealDailyStats, ["day", *sums.DIMENSIONS]),
            rows(AppealMonthlyStats, ["month", *sums.DIMENSIONS]),
            rows(AppealDepartmentDailyStats, ["day", "department_id"]),
            rows(AppealTermDaily, ["day", "term"], ["count"]),
            rows(AppealTermMonthly, ["department_id", "month", "term"], ["count"]),
        )

    incremental = snapshot()
    assert all(incremental)
    facts.rebuild_appeal_facts()
    rebuild.rebuild_appeal_sums()
    assert snapshot() == incremental


def test_refreshing_an_unchanged_ticket_changes_nothing(city, dispatcher):
    before = report_for(dispatcher, CUSTOM).totals.as_dict()
    facts.refresh_appeal_facts()
    assert report_for(dispatcher, CUSTOM).totals.as_dict() == before


def test_refresh_on_commit_runs_after_the_transition_commits(
    holiday_calendar, agent, dispatcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appeal = services.register_appeal(
            actor=agent, channel="hotline", kind="help", content="厂房用电增容申请没有进展。"
        )
        facts.refresh_appeal_fact_on_commit(ticket_id=appeal.ticket.pk)
        assert not AppealFact.objects.filter(appeal_id=appeal.pk).exists()
    for callback in callbacks:
        callback()
    fact = AppealFact.objects.get(appeal_id=appeal.pk)
    assert fact.registered_on == appeal.registered_at.astimezone(SH).date()
    assert "用电增容" in fact.terms
    assert report_for(dispatcher, Period(fact.registered_on, fact.registered_on)).totals.volume == 1


def test_catch_up_command_and_task_refresh_changed_tickets(city, dispatcher):
    from django.core.management import call_command

    from huiqi.appeals.metrics.tasks import catch_up_appeal_facts

    AppealFact.objects.all().delete()
    call_command("rebuild_appeal_metrics", "--updated-since", "100000000", stdout=io.StringIO())
    assert AppealFact.objects.count() == 6
    assert catch_up_appeal_facts.call(minutes=100000000) == 6
    out = io.StringIO()
    call_command("rebuild_appeal_metrics", stdout=out)
    assert "已重算 6 件" in out.getvalue()
    assert report_for(dispatcher, CUSTOM).totals.on_time_rate == Rate(2, 3)


# --- who sees what --------------------------------------------------------------------------------------


def test_handler_sees_only_the_figures_of_their_department(city, handler, department, other_department):
    r = report_for(handler, CUSTOM)
    assert (r.totals.volume, r.totals.on_time_rate) == (2, Rate(2, 2))  # A1 A2
    assert [row.key for row in r.by_department] == [department.pk]
    assert r.scope_label == department.name
    with pytest.raises(PermissionDeniedError):
        report_for(handler, CUSTOM, department_id=other_department.pk)


def test_district_leader_sees_the_district_and_its_towns(city):
    town = DepartmentFactory(town=True)
    _fact(900_000, day(10, 1), "用电增容", town.pk)  # an appeal led by a town of the district
    district_leader = UserFactory(role=Role.LEADER, department=town.parent)
    r = report_for(district_leader, CUSTOM)
    assert (r.totals.volume, [row.key for row in r.by_department]) == (1, [town.pk])
    city_leader = UserFactory(role=Role.LEADER, department=None)
    assert report_for(city_leader, CUSTOM).totals.volume == 7


@pytest.mark.parametrize("role", [Role.AGENT, Role.POLICY_EDITOR, Role.AUDIT_ADMIN, Role.ENTERPRISE])
def test_other_roles_are_refused(role, db):
    user = UserFactory(role=role, department=None if role == Role.ENTERPRISE else DepartmentFactory())
    with pytest.raises(PermissionDeniedError):
        report_for(user, CUSTOM)


# --- the query string ---------------------------------------------------------------------------------


def test_query_string_is_parsed_with_calendar_and_custom_periods():
    q = parse_metrics_query({"period": "week", "on": "2026-10-14"}, today=day(10, 20))
    assert (q.period.start, q.period.end, q.granularity) == (day(10, 12), day(10, 18), "day")
    assert q.period.previous() == Period(day(10, 5), day(10, 11), "week")
    q = parse_metrics_query({}, today=day(10, 20))
    assert (q.period.start, q.period.end, q.period.previous().start) == (day(10, 1), day(10, 31), day(9, 1))
    q = parse_metrics_query({"period": "year", "on": "2026"}, today=day(10, 20))
    assert (q.period.label, q.granularity, q.period.previous().label) == ("2026年", "month", "2025年")
    q = parse_metrics_query(
        {"period": "custom", "start": "2026-09-28", "end": "2026-10-15", "channel": "web"}
    )
    assert q.period.previous() == Period(day(9, 10), day(9, 27))
    assert q.filters.channel == "web"
    assert q.period.split() == (None, [(day(9, 28), day(10, 15))])
    assert Period(day(9, 28), day(12, 3)).split() == (
        (day(10, 1), day(11, 1)), [(day(9, 28), day(9, 30)), (day(12, 1), day(12, 3))],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "custom", "start": "2026-10-15", "end": "2026-10-01"}, "end"),
        ({"period": "fortnight"}, "period"),
        ({"on": "2026-13-01"}, "on"),
        ({"channel": "fax"}, "channel"),
        ({"category": "abc"}, "category"),
    ],
)
def test_bad_query_is_refused_naming_the_field(params, field):
    with pytest.raises(ValidationFailedError) as caught:
        parse_metrics_query(params, today=day(10, 20))
    assert caught.value.field == field


# --- hot topics ----------------------------------------------------------------------------------------


def test_rising_topics_use_a_smoothed_ratio_and_a_minimum_count():
    rules = HotTopicRules(min_count=5, smoothing=D(5), rise_ratio=D("1.5"), limit=10)
    top, rising = rank_topics(
        {"用电增容": 12, "留抵退税": 6, "社保缴费": 5, "消防验收": 3, "拖欠账款": 2},
        {"用电增容": 4, "留抵退税": 6, "消防验收": 0, "拖欠账款": 20},
        elapsed_days=7,
        previous_days=7,
        rules=rules,
    )
    trend = {t.key: (t.ratio, t.trend) for t in top}
    assert trend["用电增容"] == (D("1.89"), UP)  # (12 + 5) / (4 + 5)
    assert trend["留抵退税"] == (D("1.00"), FLAT)
    assert trend["社保缴费"] == (D("2.00"), NEW)  # (5 + 5) / (0 + 5), nothing before
    assert trend["消防验收"] == (D("1.60"), FLAT)  # would rise, but 3 is under the minimum count
    assert trend["拖欠账款"] == (D("0.28"), DOWN)  # (2 + 5) / (20 + 5)
    assert [t.key for t in top][:2] == ["用电增容", "留抵退税"]
    assert [t.key for t in rising] == ["社保缴费", "用电增容"]


def test_a_period_still_running_is_compared_per_day():
    rules = HotTopicRules()
    # 15 days of this month against a whole previous month of 30: 10 before is 5 expected so far.
    _, rising = rank_topics({"用电增容": 5}, {"用电增容": 10}, elapsed_days=15, previous_days=30, rules=rules)
    top, _ = rank_topics({"用电增容": 5}, {"用电增容": 10}, elapsed_days=15, previous_days=30, rules=rules)
    assert rising == []
    assert top[0].expected == D("5.00")
    assert top[0].trend == FLAT


def _fact(pk: int, registered_on: dt.date, terms: str, department_id: int, category_id: int = 0) -> None:
    fact = AppealFact(
        appeal_id=pk, registered_on=registered_on, channel="hotline", kind="help", category_id=category_id,
        category_l1_id=category_id, department_id=department_id, terms=terms, refreshed_at=at(10, 20, 9),
    )  # fmt: skip
    sums.apply_change(old=None, new=fact)
    fact.save()


def test_hot_terms_and_categories_rise_against_the_previous_week(dispatcher, department):
    # previous week (5-11 Oct): 用电增容 x2, 留抵退税 x6; this week (12-18 Oct): 用电增容 x8, 留抵退税 x6
    pk = iter(range(1, 100))
    for i in range(2):
        _fact(next(pk), day(10, 5 + i), "用电增容 厂房", department.pk, category_id=7)
    for i in range(6):
        _fact(next(pk), day(10, 5 + i), "留抵退税", 0, category_id=8)
        _fact(next(pk), day(10, 12 + i), "留抵退税", 0, category_id=8)
    for i in range(8):
        _fact(next(pk), day(10, 12 + i % 5), "用电增容 厂房", department.pk, category_id=7)
    week = period_for("week", day(10, 14))
    r = appeal_metrics(user=dispatcher, query=MetricsQuery(period=week), today=day(10, 18))
    assert [(t.label, t.count, t.previous, t.trend) for t in r.hot_terms] == [
        ("厂房", 8, 2, UP), ("用电增容", 8, 2, UP), ("留抵退税", 6, 6, FLAT),
    ]  # fmt: skip
    assert [t.label for t in r.rising_terms] == ["厂房", "用电增容"]  # (8 + 5) / (2 + 5) = 1.86
    assert [(t.key, t.count, t.trend) for t in r.hot_categories] == [(7, 8, UP), (8, 6, FLAT)]
    scoped = appeal_metrics(
        user=dispatcher,
        query=MetricsQuery(period=week, filters=MetricsFilters(department_id=department.pk)),
        today=day(10, 18),
    )
    assert [(t.label, t.count, t.previous) for t in scoped.hot_terms] == [("厂房", 8, 2), ("用电增容", 8, 2)]


def test_hot_terms_of_whole_months_come_from_the_monthly_counts(dispatcher, department):
    pk = iter(range(1, 100))
    for i in range(3):
        _fact(next(pk), day(9, 3 + i), "拖欠账款", department.pk)
    for i in range(9):
        _fact(next(pk), day(10, 3 + i), "拖欠账款", department.pk)
    october = period_for("month", day(10, 1))
    for filters in (MetricsFilters(), MetricsFilters(department_id=department.pk)):
        r = appeal_metrics(
            user=dispatcher, query=MetricsQuery(period=october, filters=filters), today=day(11, 5)
        )
        assert [(t.label, t.count, t.previous, t.trend) for t in r.hot_terms] == [("拖欠账款", 9, 3, UP)]


def test_terms_are_the_distinctive_words_of_an_appeal():
    terms = extract_terms(
        "关于厂房用电增容的求助", "企业新上生产线，需要将厂房用电增容，申请已提交一个月未有答复。"
    )
    assert "用电增容" in terms
    assert "厂房" in terms
    assert not {"企业", "求助", "申请"} & set(terms)
    assert len(terms) <= 5


# --- the page and the export --------------------------------------------------------------------------


CUSTOM_PARAMS = {"period": "custom", "start": "2026-09-28", "end": "2026-10-15"}


def test_page_shows_the_kpis_and_the_chart_data(city, client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("appeals:metrics"), CUSTOM_PARAMS)
    assert response.status_code == 200
    page = response.content.decode()
    cards = {c["label"]: c["value"] for c in response.context["cards"]}
    assert cards == {
        "受理量": "6", "平均办理时长(工作日)": "4.60", "按时办结率": "66.7%", "办结率": "80.0%",
        "解决率": "66.7%", "满意率": "100.0%", "直接答复率": "20.0%", "重办率": "33.3%",
    }  # fmt: skip
    assert "vendor/echarts/echarts.min.js" in page
    assert 'id="metrics-data"' in page
    assert response.context["charts"]["channels"] == [
        {"name": "热线", "value": 4}, {"name": "网站", "value": 1}, {"name": "小程序", "value": 1},
    ]  # fmt: skip


def test_page_refuses_an_agent_and_shows_a_bad_date(client, agent, dispatcher):
    client.force_login(agent)
    assert client.get(reverse("appeals:metrics")).status_code == 403
    client.force_login(dispatcher)
    response = client.get(reverse("appeals:metrics"), {"period": "custom", "start": "2026-10-15", "end": "x"})
    assert response.status_code == 400
    assert "结束日期" in response.content.decode()


def test_export_has_the_same_figures_and_breakdowns(city, client, handler, department):
    from openpyxl import load_workbook

    client.force_login(handler)
    response = client.get(reverse("appeals:metrics_export"), CUSTOM_PARAMS)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('appeal-metrics-2026-09-28-2026-10-15.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "总体", "趋势", "按渠道", "按类型", "按一级分类", "按二级分类", "按主办单位", "热点", "口径说明",
    ]  # fmt: skip
    summary = [list(row) for row in book["总体"].iter_rows(values_only=True)]
    header = next(row for row in summary if row and row[1] == "受理量")
    current = dict(zip(header, next(row for row in summary if row and row[0] == "本期"), strict=True))
    assert current["受理量"] == 2
    assert current["按时办结率"] == 1.0
    assert current["平均办理时长(工作日)"] == pytest.approx(2.14)
    assert current["满意率(满意+基本满意)"] == 1.0
    assert current["重办件"] == 1
    assert ["统计范围", department.name] in [row[:2] for row in summary]
    departments = list(book["按主办单位"].iter_rows(values_only=True))
    assert [row[0] for row in departments[1:]] == [department.name]
    rate_cell = book["总体"].cell(row=summary.index(header) + 2, column=header.index("按时办结率") + 1)
    assert rate_cell.number_format == "0.0%"
    assert [row[0] for row in book["口径说明"].iter_rows(values_only=True)][1] == "受理量"
