"""The 工作台 (core.home, core.views.home): each role gets figures and links of its own work, nobody
gets another role's figures."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from huiqi.appeals import selectors_tickets
from huiqi.appeals.enums import Channel, SupervisionLevel
from huiqi.appeals.enums import TicketState as S
from huiqi.appeals.metrics.models import AppealMonthlyStats
from huiqi.appeals.models import Supervision
from huiqi.core import home
from huiqi.core.audit import record_event
from huiqi.core.notifications import services as notification_services
from huiqi.enterprises.models import ImportBatch
from tests.appeals.factories import AppealFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def stat(page: home.Home, label: str) -> home.Stat:
    return next(s for s in page.stats if s.label == label)


def panel_titles(page: home.Home) -> list[str]:
    return [p.title for p in page.panels]


def test_staff_home_counts_the_registry_and_its_red_list():
    EnterpriseFactory.create_batch(3)
    EnterpriseFactory(red=True)
    page = home.home_for(UserFactory(role="handler"))
    assert stat(page, "市场主体").value == "4"
    assert stat(page, "红名单企业").value == "1"
    assert stat(page, "红名单企业").url == reverse("enterprises:list") + "?red_list=1"
    assert page.show_registry_search


def test_registry_figures_follow_a_finished_web_import_at_once():
    admin = UserFactory(role="system_admin")
    EnterpriseFactory()
    assert stat(home.home_for(admin), "市场主体").value == "1"
    EnterpriseFactory()
    ImportBatch.objects.create(
        file_name="a.csv", status="done", finished_at=datetime.datetime.now(datetime.UTC)
    )
    assert stat(home.home_for(admin), "市场主体").value == "2"


@pytest.mark.parametrize("role", ["security_admin", "audit_admin"])
def test_security_and_audit_administrators_get_no_registry_figures(role):
    EnterpriseFactory()
    page = home.home_for(UserFactory(role=role))
    assert "市场主体" not in [s.label for s in page.stats]
    assert not page.show_registry_search


def test_system_admin_home_lists_latest_imports_and_the_missing_holiday_schedule():
    admin = UserFactory(role="system_admin")
    ImportBatch.objects.create(file_name="企业名单.csv", status="done", rejected_count=2, started_by=admin)
    page = home.home_for(admin, today=datetime.date(2026, 11, 21))
    imports = next(p for p in page.panels if p.title == "最近的企业导入")
    assert [r.text for r in imports.rows] == ["企业名单.csv"]
    assert imports.rows[0].tone == "warning"  # done, with rejected rows
    schedule_2027 = stat(page, "2027 年节假日安排")
    assert schedule_2027.value == "未录入"
    assert schedule_2027.url.endswith("?year=2027")


def test_security_admin_home_counts_accounts_and_lists_who_is_locked_out(settings):
    from axes.models import AccessAttempt

    secadmin = UserFactory(role="security_admin")
    UserFactory(username="zhang", is_active=False)
    AccessAttempt.objects.create(
        username="locked_one",
        ip_address="10.0.0.1",
        user_agent="t",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    page = home.home_for(secadmin)
    assert stat(page, "停用的账号").value == "1"
    assert stat(page, "当前锁定").value == "1"
    assert stat(page, "当前锁定").tone == "danger"
    locked = next(p for p in page.panels if p.title == "当前锁定的账号")
    assert [r.text for r in locked.rows] == ["locked_one"]


def test_audit_admin_home_counts_failed_sign_ins_of_the_last_day():
    record_event(actor=None, action="user.sign_in_fail", object_type="accounts.user", after={"username": "x"})
    record_event(actor=None, action="user.sign_in_fail", object_type="accounts.user", after={"username": "y"})
    page = home.home_for(UserFactory(role="audit_admin"))
    assert stat(page, "登录失败").value == "2"
    assert "常用查询" in panel_titles(page)


def test_enterprise_user_home_lists_only_its_own_enterprises():
    own = EnterpriseFactory(name="本企业有限公司")
    EnterpriseFactory(name="别家企业有限公司")
    page = home.home_for(EnterpriseUserFactory(enterprises=[own]))
    mine = next(p for p in page.panels if p.title == "我的企业")
    assert [r.text for r in mine.rows] == ["本企业有限公司"]
    assert "市场主体" not in [s.label for s in page.stats]


def test_unread_messages_are_counted_and_listed():
    user = UserFactory(role="agent")
    notification_services.notify(recipients=[user], event_key="k1", subject="请回访企业", body="b")
    page = home.home_for(user)
    assert stat(page, "未读消息").value == "1"
    messages = next(p for p in page.panels if p.title == "未读消息")
    assert [r.text for r in messages.rows] == ["请回访企业"]


def test_working_day_look_up_counts_from_the_next_day(holiday_calendar):
    # Friday 2026-09-25 is 中秋节; 2026-09-21 is a Monday: 5 working days later skips the holiday.
    page = home.home_for(UserFactory(role="handler"), today=datetime.date(2026, 9, 21))
    lookup = next(p for p in page.panels if p.title == "工作日速查")
    five = next(r for r in lookup.rows if r.text == "5 个工作日后")
    assert five.meta == "2026年9月29日（周二）"


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "audit_admin", "handler", "leader"])
def test_home_page_renders_for_every_role(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert "工作台" in response.content.decode()


def test_home_page_renders_for_an_enterprise_user(client):
    client.force_login(EnterpriseUserFactory(enterprises=[EnterpriseFactory(name="本企业有限公司")]))
    html = client.get(reverse("core:home")).content.decode()
    assert "本企业有限公司" in html


# --- the appeals' figures (appeals.selectors_home.workbench_counts) ---------------------------------------


def work(page: home.Home) -> dict[str, home.Stat]:
    return {s.label: s for s in page.work}


def test_agent_sees_own_registrations_of_today_and_replies_awaiting_follow_up():
    agent, colleague = UserFactory(role="agent"), UserFactory(role="agent")
    now = timezone.now()
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    AppealFactory.create_batch(2, registered_by=agent, registered_at=now)
    AppealFactory(registered_by=agent, registered_at=midnight - datetime.timedelta(minutes=1))  # yesterday
    AppealFactory(registered_by=colleague, registered_at=now)
    TicketFactory.create_batch(3, state=S.REPLIED)
    TicketFactory(state=S.CLOSED)
    figures = work(home.home_for(agent))
    assert figures["今日登记"].value == "2"
    assert figures["待回访"].value == "3"
    assert figures["待回访"].url == reverse("appeals:follow_up_queue")
    assert figures["待回访"].tone == "warning"


def test_dispatcher_sees_dispatch_review_and_extension_queues():
    TicketFactory.create_batch(3, state=S.AWAITING_DISPATCH)
    TicketFactory(state=S.REPLY_REVIEW)
    TicketFactory(state=S.ACCEPTED, pending_extension=2)
    TicketFactory(state=S.ACCEPTED)
    figures = work(home.home_for(UserFactory(role="dispatcher")))
    assert figures["待派单"].value == "3"
    assert figures["待派单"].tone == "danger"
    assert figures["待派单"].url == reverse("appeals:dispatch_queue")
    assert figures["答复待审"].value == "1"
    assert figures["延期待批"].value == "1"
    assert figures["延期待批"].url == reverse("appeals:review_queue") + "?tab=extensions"


def test_handler_counts_only_its_department_and_match_the_department_queue():
    mine, other = DepartmentFactory(), DepartmentFactory()
    handler = UserFactory(role="handler", department=mine)
    TicketFactory.create_batch(2, state=S.DISPATCHED, lead_department=mine)
    TicketFactory(state=S.DISPATCHED, lead_department=other).assisting_departments.add(mine)  # assisted
    TicketFactory(state=S.ACCEPTED, lead_department=mine)
    TicketFactory(warned=True, lead_department=mine)
    TicketFactory(overdue=True, lead_department=mine)
    # Another department's work, in every state counted: none of it shows.
    TicketFactory(state=S.DISPATCHED, lead_department=other)
    TicketFactory(state=S.ACCEPTED, lead_department=other)
    TicketFactory(warned=True, lead_department=other)
    TicketFactory.create_batch(2, overdue=True, lead_department=other)

    figures = work(home.home_for(handler))
    assert figures["待签收"].value == "3"
    assert figures["待签收"].url == reverse("appeals:department_queue") + "?state=dispatched"
    assert figures["办理中"].value == "3"  # accepted: the plain one, the warned one, the overdue one
    assert figures["临期预警"].value == "1"
    assert figures["已超期"].value == "1"
    assert figures["已超期"].tone == "danger"
    queue = selectors_tickets.department_work_queue(user=handler)
    assert figures["待签收"].value == str(queue.counts["dispatched"])
    assert figures["办理中"].value == str(queue.counts["accepted"])
    assert (figures["临期预警"].value, figures["已超期"].value) == (str(queue.warning), str(queue.overdue))


def test_supervisor_sees_overdue_warning_and_supervisions_of_open_tickets():
    late = TicketFactory.create_batch(2, overdue=True)
    TicketFactory(warned=True)
    closed = TicketFactory(state=S.CLOSED)
    for ticket in (late[0], closed):
        Supervision.objects.create(
            ticket=ticket,
            level=SupervisionLevel.OVERDUE,
            reason="超过办理时限",
            deadline_at=ticket.deadline_at,
            created_at=timezone.now(),
        )
    figures = work(home.home_for(UserFactory(role="supervisor")))
    assert figures["超期工单"].value == "2"
    assert figures["超期工单"].url == reverse("appeals:supervision_queue") + "#overdue-tickets"
    assert figures["预警工单"].value == "1"
    assert figures["督办中"].value == "1"  # the closed ticket's supervision is done with


def test_leader_sees_mayor_line_queue_and_this_months_volume_and_on_time_rate():
    TicketFactory.create_batch(2, state=S.AWAITING_INSTRUCTION, appeal__channel=Channel.MAYOR_LINE)
    month = timezone.localdate().replace(day=1)
    cell = {"channel": "hotline", "category_id": 0, "category_l1_id": 0, "department_id": 0}
    AppealMonthlyStats.objects.create(
        month=month, kind="help", registered=30, handled_closed=8, on_time=7, **cell
    )
    AppealMonthlyStats.objects.create(
        month=month, kind="complaint", registered=12, handled_closed=2, on_time=1, **cell
    )
    last_month = (month - datetime.timedelta(days=1)).replace(day=1)
    AppealMonthlyStats.objects.create(
        month=last_month, kind="help", registered=500, handled_closed=90, **cell
    )

    figures = work(home.home_for(UserFactory(role="leader", department=None)))
    assert figures["直通车待批示"].value == "2"
    assert figures["直通车待批示"].url == reverse("appeals:mayor_line")
    assert figures["本月受理"].value == "42"
    assert figures["本月按时办结率"].value == "80.0%"  # (7 + 1) / (8 + 2)
    assert figures["本月按时办结率"].note == "办结 10 件"


def test_leader_with_nothing_closed_this_month_sees_a_dash_not_a_rate():
    figures = work(home.home_for(UserFactory(role="leader", department=None)))
    assert figures["本月按时办结率"].value == "—"
    assert figures["本月受理"].value == "0"


def test_enterprise_sees_only_its_own_open_appeals_and_those_to_evaluate():
    own, other = EnterpriseFactory(), EnterpriseFactory()
    TicketFactory(state=S.ACCEPTED, appeal__enterprise=own)
    TicketFactory(state=S.REPLIED, appeal__enterprise=own)
    TicketFactory(state=S.CLOSED, appeal__enterprise=own)
    TicketFactory.create_batch(3, state=S.ACCEPTED, appeal__enterprise=other)
    figures = work(home.home_for(EnterpriseUserFactory(enterprises=[own])))
    assert figures["办理中的诉求"].value == "2"
    assert figures["待评价"].value == "1"
    assert figures["待评价"].url == reverse("appeals:my_appeals")


@pytest.mark.parametrize("role", ["system_admin", "security_admin", "audit_admin", "specialist"])
def test_roles_without_appeals_work_get_no_appeals_figures(role):
    assert home.home_for(UserFactory(role=role)).work == []


def test_dispatcher_home_page_shows_the_appeals_row_with_links(client):
    TicketFactory(state=S.AWAITING_DISPATCH)
    client.force_login(UserFactory(role="dispatcher"))
    html = client.get(reverse("core:home")).content.decode()
    row = html[html.index('id="home-work"') : html.index('id="home-stats"')]
    assert "待派单" in row
    assert f'href="{reverse("appeals:dispatch_queue")}"' in row
