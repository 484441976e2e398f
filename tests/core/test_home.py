"""The 工作台 (core.home, core.views.home): each role gets figures and links of its own work, nobody
gets another role's figures."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from huiqi.core import home
from huiqi.core.audit import record_event
from huiqi.core.notifications import services as notification_services
from huiqi.enterprises.models import ImportBatch
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory

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
