"""The calendar API: /api/v1/calendar/... (one test per endpoint and its refusals)."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from huiqi.core import workdays
from huiqi.core.models import AuditEvent, CalendarYear
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("holiday_calendar")


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def handler():
    return UserFactory(role="handler")


@pytest.fixture
def admin():
    return UserFactory(system_admin=True)


def test_add_answers_the_date_and_whether_it_is_provisional(handler):
    url = reverse("api-calendar-workdays-add")
    body = client_for(handler).get(url, {"date": "2026-09-30", "days": "3"}).json()
    assert body["result"] == "2026-10-10"
    assert body["deadline_at"] == "2026-10-10T17:30:00+08:00"
    assert body["is_provisional"] is False
    assert body["unscheduled_years"] == []
    body = client_for(handler).get(url, {"date": "2026-12-25", "days": "10"}).json()
    assert body["result"] == "2027-01-08"
    assert body["is_provisional"]
    assert body["unscheduled_years"] == [2027]
    body = client_for(handler).get(url, {"date": "2026-09-30", "days": "0.5"}).json()
    assert body["result"] == "2026-10-08T12:00:00+08:00"


def test_between_answers_the_count(handler):
    response = client_for(handler).get(
        reverse("api-calendar-workdays-between"), {"start": "2026-09-25", "end": "2026-10-12"}
    )
    assert response.status_code == 200
    assert response.json()["working_days"] == 7


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("api-calendar-workdays-add", {"date": "2026-02-30", "days": "1"}, "date"),
        ("api-calendar-workdays-add", {"date": "2026-09-30", "days": "0.3"}, "days"),
        ("api-calendar-workdays-add", {"date": "2026-09-30"}, "days"),
        ("api-calendar-workdays-between", {"start": "2026-09-25"}, "end"),
    ],
)
def test_bad_parameters_get_the_one_error_format(handler, name, params, field):
    response = client_for(handler).get(reverse(name), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"]


def test_the_calendar_api_needs_a_signed_in_user():
    response = client_for().get(reverse("api-calendar-workdays-add"), {"date": "2026-09-30", "days": "3"})
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_any_signed_in_user_reads_a_years_schedule(handler):
    body = client_for(handler).get(reverse("api-calendar-year", args=[2026])).json()
    assert body["is_scheduled"] is True
    assert body["source"] == "chinesecalendar"
    assert {"date": "2026-10-01", "name": "国庆节"} in body["holidays"]
    assert {"date": "2026-10-10", "name": "国庆节调休"} in body["makeup_days"]
    body = client_for(handler).get(reverse("api-calendar-year", args=[2027])).json()
    assert body["is_scheduled"] is False
    assert body["holidays"] == []


SCHEDULE = {
    "source": "国办发明电〔2026〕测试号",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-10-01", "name": "国庆节"}],
    "makeup_days": [{"date": "2027-10-09", "name": "国庆节调休"}],
}


def test_a_system_administrator_puts_a_years_schedule(admin):
    response = client_for(admin).put(reverse("api-calendar-year", args=[2027]), SCHEDULE, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_scheduled"] is True
    assert CalendarYear.objects.get(year=2027).entered_by == admin
    assert AuditEvent.objects.filter(action="calendar.year_entered").count() == 1
    assert workdays.is_working_day(dt.date(2027, 10, 9)) is True


def test_other_roles_cannot_put_a_schedule(handler):
    response = client_for(handler).put(reverse("api-calendar-year", args=[2027]), SCHEDULE, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_an_invalid_schedule_lists_every_problem(admin):
    body = dict(SCHEDULE, makeup_days=[{"date": "2027-10-08", "name": "国庆节调休"}])
    response = client_for(admin).put(reverse("api-calendar-year", args=[2027]), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["errors"][0]["kind"] == "makeup"
    assert "不是周末" in error["errors"][0]["message"]


def test_the_calendar_endpoints_are_in_the_openapi_schema(admin):
    response = client_for(admin).get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/calendar/workdays/add" in paths
    assert "/api/v1/calendar/workdays/between" in paths
    assert {"get", "put"} <= set(paths["/api/v1/calendar/years/{year}/"])
