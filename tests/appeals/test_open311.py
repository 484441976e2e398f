"""The Open311 GeoReport v2 surface (/open311/v2/): the field names and shapes of the standard."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from huiqi.accounts.enums import Role
from huiqi.accounts.services import issue_api_token
from huiqi.appeals.enums import TicketState
from huiqi.appeals.models import Appeal
from tests.appeals.factories import AppealFactory, CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

SERVICE_KEYS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_KEYS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


@pytest.fixture
def categories(db):
    top = CategoryFactory(code="SDQ", name="水电气")
    return top, CategoryFactory(code="SDQ-YD", name="用电报装", parent=top)


@pytest.fixture
def key(db):
    return issue_api_token(user=UserFactory(role=Role.AGENT, username="12345-platform")).key


def test_services_are_the_active_categories_with_the_standards_fields(categories):
    CategoryFactory(code="OLD", name="停用分类", is_active=False)
    response = APIClient().get("/open311/v2/services.json")  # public: no api_key

    assert response.status_code == 200
    services = {s["service_code"]: s for s in response.json()}
    assert set(services) == {"SDQ", "SDQ-YD"}
    leaf = services["SDQ-YD"]
    assert set(leaf) == SERVICE_KEYS
    assert leaf == {
        "service_code": "SDQ-YD",
        "service_name": "用电报装",
        "description": "水电气 / 用电报装",
        "metadata": False,
        "type": "realtime",
        "keywords": "用电报装,水电气",
        "group": "水电气",
    }


def test_xml_is_not_offered_and_says_so_in_the_open311_error_shape():
    response = APIClient().get("/open311/v2/services.xml")
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert "JSON" in response.json()[0]["description"]


def test_requests_need_an_api_key(categories):
    response = APIClient().get("/open311/v2/requests.json")
    assert response.status_code == 401
    assert response.json() == [{"code": 401, "description": response.json()[0]["description"]}]


def test_a_request_shows_an_appeal_with_status_agency_and_w3c_times(categories, key):
    _, leaf = categories
    lead = DepartmentFactory(name="济南市发展和改革委员会")
    ticket = TicketFactory(state=TicketState.ACCEPTED, appeal__category=leaf, lead_department=lead)
    number = ticket.appeal.number

    response = APIClient().get(f"/open311/v2/requests/{number}.json", {"api_key": key})

    assert response.status_code == 200
    [request] = response.json()
    assert set(request) == REQUEST_KEYS
    assert request["service_request_id"] == number
    assert request["status"] == "open"
    assert request["status_notes"] == "办理中"
    assert request["service_code"] == "SDQ-YD"
    assert request["agency_responsible"] == "济南市发展和改革委员会"
    assert dt.datetime.fromisoformat(request["requested_datetime"]) == ticket.appeal.registered_at.replace(
        microsecond=0
    )
    assert request["requested_datetime"].endswith("+08:00")
    assert request["expected_datetime"] is not None


def test_the_list_filters_by_status_service_code_and_dates(categories, key):
    _top, leaf = categories
    open_one = TicketFactory(appeal__category=leaf).appeal
    closed = TicketFactory(state=TicketState.CLOSED, appeal__category=leaf).appeal
    other = TicketFactory(appeal__category=CategoryFactory(code="SF", name="税费")).appeal
    old = TicketFactory(
        appeal=AppealFactory(registered_at=timezone.now() - dt.timedelta(days=200), category=leaf)
    ).appeal
    client = APIClient()

    def ids(**params):
        response = client.get("/open311/v2/requests.json", {"api_key": key, **params})
        assert response.status_code == 200, response.json()
        return {r["service_request_id"] for r in response.json()}

    assert ids() == {open_one.number, closed.number, other.number}  # the last 90 days by default
    assert ids(status="open", service_code="SDQ-YD") == {open_one.number}
    assert ids(status="closed") == {closed.number}
    assert ids(service_code="SDQ") == {open_one.number, closed.number}  # a group covers its services
    start = (timezone.now() - dt.timedelta(days=365)).date().isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == {old.number}
    assert ids(service_request_id=f"{old.number},{other.number}") == {old.number, other.number}
    bad = client.get("/open311/v2/requests.json", {"api_key": key, "status": "pending"})
    assert bad.status_code == 400


def test_posting_a_request_registers_an_appeal_and_returns_its_number_and_notice(categories, key):
    response = APIClient().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "SDQ-YD",
            "description": "厂区申请用电增容，报装一个月没有现场勘查。",
            "first_name": "经理",
            "last_name": "王",
            "phone": "13912345678",
            "address_string": "济南市历城区工业北路 100 号",
            "lat": "36.70",
            "long": "117.10",
            "attribute[kind]": "complaint",
            "attribute[external_id]": "OS-1",
        },
    )

    assert response.status_code == 201, response.json()
    [created] = response.json()
    appeal = Appeal.objects.get(number=created["service_request_id"])
    assert created["service_notice"].startswith(f"诉求已受理，编号 {appeal.number}")
    assert appeal.category.code == "SDQ-YD"
    assert appeal.kind == "complaint"
    assert appeal.caller_name == "王经理"
    assert "位置：济南市历城区工业北路 100 号（36.70, 117.10）" in appeal.content
    assert (appeal.source_system, appeal.external_id) == ("12345-platform", "OS-1")

    again = APIClient().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "SDQ-YD",
            "description": "重复推送",
            "attribute[external_id]": "OS-1",
        },
    )
    assert again.status_code == 200
    assert again.json()[0]["service_request_id"] == appeal.number
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"description": "没有分类"}, "service_code"),
        ({"service_code": "NOPE", "description": "未知分类"}, "诉求分类不存在"),
        ({"service_code": "SDQ-YD"}, "诉求内容"),
        ({"service_code": "SDQ-YD", "description": "坐标错误", "lat": "north", "long": "1"}, "lat"),
    ],
)
def test_a_bad_post_is_refused_in_the_open311_error_shape(categories, key, fields, problem):
    response = APIClient().post("/open311/v2/requests.json", {"api_key": key, **fields})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert problem in response.json()[0]["description"]
    assert not Appeal.objects.exists()


def test_an_enterprise_key_sees_only_that_enterprises_requests(categories):
    user = EnterpriseUserFactory()
    mine = TicketFactory(appeal__enterprise=user.enterprise_memberships.get().enterprise).appeal
    TicketFactory()
    key = issue_api_token(user=user).key
    response = APIClient().get("/open311/v2/requests.json", {"api_key": key})
    assert [r["service_request_id"] for r in response.json()] == [mine.number]
    hidden = APIClient().get(f"/open311/v2/requests/{TicketFactory().appeal.number}.json", {"api_key": key})
    assert hidden.status_code == 404
