import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.core.models import AuditEvent
from tests.factories import (
    DEFAULT_PASSWORD,
    DepartmentFactory,
    EnterpriseFactory,
    EnterpriseUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"
DEPARTMENTS = "/api/v1/departments/"


@pytest.fixture
def api():
    return APIClient()


def test_urls_are_under_api_v1():
    assert reverse("api-auth-token") == TOKEN
    assert reverse("api-me") == ME
    assert reverse("api-departments") == DEPARTMENTS


def test_token_for_right_password_authenticates_later_requests(api):
    user = UserFactory(username="dispatcher1", role=Role.DISPATCHER)
    response = api.post(TOKEN, {"username": "dispatcher1", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = fresh.get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk
    assert AuditEvent.objects.get(action="user.sign_in", actor=user).after == {"method": "api_token"}


def test_wrong_password_gets_the_one_error_format(api):
    UserFactory(username="dispatcher1")
    response = api.post(TOKEN, {"username": "dispatcher1", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "sign_in_failed"
    assert "用户名或密码错误" in response.json()["error"]["message"]


def test_missing_fields_are_validation_errors(api):
    response = api.post(TOKEN, {"username": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    assert "password" in body["fields"]


def test_token_endpoint_respects_lock_out(api, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="dispatcher1")
    assert api.post(TOKEN, {"username": "dispatcher1", "password": "wrong"}, format="json").status_code == 400
    locked = api.post(TOKEN, {"username": "dispatcher1", "password": "wrong"}, format="json")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    still = api.post(TOKEN, {"username": "dispatcher1", "password": DEFAULT_PASSWORD}, format="json")
    assert still.status_code == 429
    assert "token" not in still.json()


def test_token_sign_in_clears_earlier_failures(api, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="dispatcher1")
    for _ in range(2):
        api.post(TOKEN, {"username": "dispatcher1", "password": "wrong"}, format="json")
    assert (
        api.post(TOKEN, {"username": "dispatcher1", "password": DEFAULT_PASSWORD}, format="json").status_code
        == 200
    )
    for _ in range(2):
        api.post(TOKEN, {"username": "dispatcher1", "password": "wrong"}, format="json")
    assert (
        api.post(TOKEN, {"username": "dispatcher1", "password": DEFAULT_PASSWORD}, format="json").status_code
        == 200
    )


def test_inactive_user_gets_no_token(api):
    UserFactory(username="gone", is_active=False)
    response = api.post(TOKEN, {"username": "gone", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 400


def test_me_shows_role_and_department(api):
    department = DepartmentFactory(code="370100-FGW", name="济南市发展和改革委员会")
    user = UserFactory(role=Role.HANDLER, department=department, full_name="陈静")
    api.force_authenticate(user)
    body = api.get(ME).json()
    assert body["role"] == "handler"
    assert body["role_label"] == "承办人"
    assert body["full_name"] == "陈静"
    assert body["department"]["code"] == "370100-FGW"
    assert body["enterprises"] == []


def test_me_lists_an_enterprise_users_enterprises(api):
    a, b = EnterpriseFactory(name="甲公司"), EnterpriseFactory(name="乙公司")
    user = EnterpriseUserFactory(enterprises=[a, b])
    api.force_authenticate(user)
    body = api.get(ME).json()
    assert body["department"] is None
    assert [e["uscc"] for e in body["enterprises"]] == [e.uscc for e in sorted([a, b], key=lambda e: e.name)]


def test_me_requires_authentication(api):
    response = api.get(ME)
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_department_list_filters_by_level_and_parent(api):
    district = DepartmentFactory(code="370102", level=DepartmentLevel.DISTRICT)
    town = DepartmentFactory(code="370102001", level=DepartmentLevel.TOWN, parent=district)
    DepartmentFactory(code="370100-FGW")
    DepartmentFactory(code="370100-OLD", is_active=False)
    api.force_authenticate(UserFactory(role=Role.LEADER))
    everything = api.get(DEPARTMENTS).json()
    codes = [d["code"] for d in everything["results"]]
    assert "370100-OLD" not in codes
    assert {"370102", "370102001", "370100-FGW"} <= set(codes)
    towns = api.get(DEPARTMENTS, {"level": "town"}).json()["results"]
    assert [d["code"] for d in towns] == ["370102001"]
    children = api.get(DEPARTMENTS, {"parent": district.pk}).json()["results"]
    assert [(d["code"], d["parent_code"]) for d in children] == [("370102001", "370102")]
    assert town.pk == children[0]["id"]


def test_department_list_rejects_bad_filters(api):
    api.force_authenticate(UserFactory(role=Role.LEADER))
    response = api.get(DEPARTMENTS, {"level": "province"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "level": ["层级“province”无效，应为 city、district 或 town。"]
    }


def test_enterprise_user_cannot_list_departments(api):
    api.force_authenticate(EnterpriseUserFactory())
    response = api.get(DEPARTMENTS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_schema_documents_the_accounts_endpoints(api):
    api.force_authenticate(UserFactory(role=Role.SYSTEM_ADMIN))
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {TOKEN, ME, DEPARTMENTS} <= set(paths)
    assert "429" in paths[TOKEN]["post"]["responses"]


def test_token_user_is_read_whole_and_as_the_orm_reads_it(api):
    """The token check reads the user in plain SQL (accounts.authentication): every field must come back
    with the value and type the ORM gives, so nothing downstream sees a raw database value."""
    from huiqi.accounts.authentication import user_of_token
    from huiqi.accounts.services import issue_api_token

    department = DepartmentFactory()
    user = UserFactory(role=Role.HANDLER, department=department, phone="13912345678")
    user.last_login = timezone.now()
    user.save()
    token = issue_api_token(user=user).key
    read = user_of_token(token)
    expected = type(user).objects.get(pk=user.pk)
    for field in type(user)._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
        assert type(getattr(read, field.attname)) is type(getattr(expected, field.attname)), field.name
    assert user_of_token("0" * 40) is None
