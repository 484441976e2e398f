"""The working-day calendar page /calendar/ (system administrators) and the banner reminding them."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from huiqi.core import workdays
from huiqi.core.models import CalendarYear, Holiday
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("holiday_calendar")

NOW = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(system_admin=True))
    return client


def test_an_administrator_sees_the_year_with_holidays_and_makeup_days(admin_client):
    response = admin_client.get(reverse("core:calendar"), {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert "十月" in html
    assert "国庆节" in html
    assert "国庆节调休" in html
    assert "已录入国务院安排" in html
    view = response.context["view"]
    assert view.working_days == 248
    october = view.months[9]
    cells = {cell.day: cell for week in october.weeks for cell in week if cell}
    assert cells[dt.date(2026, 10, 1)].kind == "holiday"
    assert cells[dt.date(2026, 10, 10)].kind == "makeup"
    assert cells[dt.date(2026, 10, 11)].kind == "rest"
    assert cells[dt.date(2026, 10, 12)].kind == "work"
    # the form is pre-filled with the year's entries, ranges folded
    assert "2026-10-01~2026-10-07 国庆节" in html


def test_an_unscheduled_year_is_marked_provisional(admin_client):
    html = admin_client.get(reverse("core:calendar"), {"year": 2027}).content.decode()
    assert "临时：尚未录入" in html
    assert "2027 年为临时日历" in html


@pytest.mark.parametrize("role", ["handler", "security_admin", "audit_admin", "enterprise"])
def test_other_roles_are_refused(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("core:calendar")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("core:calendar"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_entering_a_schedule_from_the_page_saves_it(admin_client):
    response = admin_client.post(
        reverse("core:calendar") + "?year=2027",
        {
            "action": "enter_year",
            "year": "2027",
            "source": "国办发明电〔2026〕测试号",
            "holidays": "2027-01-01 元旦\n2027-02-06~2027-02-12 春节\n\n# 注释行\n2027-10-01 至 2027-10-07 国庆节",
            "makeup_days": "2027-02-20 春节调休\n2027-10-09，国庆节调休",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2027")
    assert CalendarYear.objects.filter(year=2027).exists()
    assert Holiday.objects.filter(date__year=2027, is_working_day=False).count() == 1 + 7 + 7
    assert Holiday.objects.get(date=dt.date(2027, 10, 9)).name == "国庆节调休"
    assert not workdays.add_working_days(dt.date(2027, 1, 4), 1).is_provisional


def test_errors_are_shown_beside_their_lines_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        reverse("core:calendar") + "?year=2027",
        {
            "action": "enter_year",
            "year": "2027",
            "source": "测试",
            "holidays": "2027-01-01 元旦\n2028-01-01 元旦\n2027-02-31 春节",
            "makeup_days": "2027-02-08 春节调休",
        },
    )
    assert response.status_code == 200
    form = response.context["schedule_form"]
    assert any(e.startswith("第 3 行") and "无效" in e for e in form.errors["holidays"])
    assert not CalendarYear.objects.filter(year=2027).exists()
    # line errors of the service are mapped back to their lines too
    response = admin_client.post(
        reverse("core:calendar") + "?year=2027",
        {
            "action": "enter_year",
            "year": "2027",
            "source": "测试",
            "holidays": "2027-01-01 元旦\n2028-01-01 元旦",
            "makeup_days": "\n2027-02-08 春节调休",
        },
    )
    form = response.context["schedule_form"]
    assert form.errors["holidays"] == ["第 2 行：节假日 2028-01-01 不在 2027 年内。"]
    assert form.errors["makeup_days"][0].startswith("第 2 行：调休上班日 2027-02-08（星期一）不是周末")
    assert "第 2 行" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_one_day_is_changed_from_the_page(admin_client):
    response = admin_client.post(
        reverse("core:calendar"),
        {"action": "set_day", "day-day": "2026-11-18", "day-is_working_day": "0", "day-name": "临时放假"},
    )
    assert response.status_code == 302
    assert workdays.is_working_day(dt.date(2026, 11, 18)) is False


def test_the_banner_reminds_administrators_on_every_page(client):
    with time_machine.travel(NOW, tick=False):
        client.force_login(UserFactory(system_admin=True))
        html = client.get(reverse("core:home")).content.decode()
    assert "2027 年的节假日安排尚未录入" in html


def test_other_staff_see_no_calendar_banner(client):
    with time_machine.travel(NOW, tick=False):
        client.force_login(UserFactory(role="handler"))
        html = client.get(reverse("core:home")).content.decode()
    assert "工作台" in html
    assert "节假日安排尚未录入" not in html
