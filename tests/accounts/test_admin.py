import pytest
from django.urls import reverse

from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department, User
from huiqi.core.models import AuditEvent
from tests.factories import DepartmentFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.SYSTEM_ADMIN))
    return client


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.HANDLER, Role.LEADER])
def test_admin_site_is_closed_to_everyone_but_the_system_admin(client, role):
    client.force_login(UserFactory(role=role, is_staff=True))  # even if someone set is_staff by hand
    assert client.get(reverse("admin:accounts_user_changelist")).status_code in (302, 403)
    assert client.get(reverse("admin:accounts_department_changelist")).status_code in (302, 403)


def test_system_admin_lists_users_and_departments(admin_client):
    DepartmentFactory(name="济南市商务局")
    assert (
        "济南市商务局" in admin_client.get(reverse("admin:accounts_department_changelist")).content.decode()
    )
    assert admin_client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_adding_a_user_in_admin_goes_through_the_service(admin_client):
    department = DepartmentFactory()
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newhandler",
            "full_name": "吴敏",
            "role": Role.HANDLER,
            "department": department.pk,
            "phone": "",
            "email": "",
            "initial_password": "Spring#Lake2026",
            "enterprise_memberships-TOTAL_FORMS": "0",
            "enterprise_memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newhandler")
    assert user.check_password("Spring#Lake2026")
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_admin_refuses_weak_password_and_missing_department(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "weak",
            "full_name": "某人",
            "role": Role.HANDLER,
            "department": "",
            "initial_password": "abcdefghijk",
            "enterprise_memberships-TOTAL_FORMS": "0",
            "enterprise_memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "必须属于一个部门" in page
    assert not User.objects.filter(username="weak").exists()


def test_admin_refuses_a_town_without_district(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_department_add"),
        {
            "code": "X1",
            "name": "某街道",
            "level": DepartmentLevel.TOWN,
            "region_code": "",
            "sort_order": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "必须指定上级部门" in response.content.decode()
    assert not Department.objects.filter(code="X1").exists()


def test_admin_adds_department_through_the_service(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_department_add"),
        {
            "code": "370100-TEST",
            "name": "济南市测试局",
            "level": DepartmentLevel.CITY,
            "region_code": "370100",
            "sort_order": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    department = Department.objects.get(code="370100-TEST")
    assert AuditEvent.objects.filter(action="department.create", object_id=str(department.pk)).exists()


def test_enterprise_users_are_read_only_in_admin(admin_client):
    user = EnterpriseUserFactory()
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), {"full_name": "改名", "role": Role.HANDLER}
    )
    assert response.status_code in (302, 403)
    user.refresh_from_db()
    assert user.role == Role.ENTERPRISE
