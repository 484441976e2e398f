import pytest
from django.contrib.auth.models import AnonymousUser

from huiqi.accounts import selectors
from huiqi.accounts.enums import DepartmentLevel, Role
from tests.factories import DepartmentFactory, EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """A city bureau, and a district with two bureaus and two towns."""
    bureau = DepartmentFactory(code="370100-FGW", name="市发改委")
    district = DepartmentFactory(code="370102", name="历下区", level=DepartmentLevel.DISTRICT)
    d_bureau = DepartmentFactory(
        code="370102-SCJGJ", name="历下区市场监管局", level=DepartmentLevel.DISTRICT, parent=district
    )
    d_bureau2 = DepartmentFactory(
        code="370102-RSJ", name="历下区人社局", level=DepartmentLevel.DISTRICT, parent=district
    )
    town = DepartmentFactory(code="370102001", name="解放路街道", level=DepartmentLevel.TOWN, parent=district)
    town2 = DepartmentFactory(
        code="370102002", name="千佛山街道", level=DepartmentLevel.TOWN, parent=district
    )
    other = DepartmentFactory(code="370103", name="市中区", level=DepartmentLevel.DISTRICT)
    return {
        "bureau": bureau,
        "district": district,
        "d_bureau": d_bureau,
        "d_bureau2": d_bureau2,
        "town": town,
        "town2": town2,
        "other": other,
    }


def test_district_subtree_holds_its_bureaus_and_towns(org):
    assert selectors.department_subtree_ids(org["district"]) == {
        org[k].pk for k in ("district", "d_bureau", "d_bureau2", "town", "town2")
    }


def test_city_bureau_and_town_see_only_themselves(org):
    assert selectors.department_subtree_ids(org["bureau"]) == {org["bureau"].pk}
    assert selectors.department_subtree_ids(org["town"].pk) == {org["town"].pk}


def test_subtree_goes_down_more_than_one_level(org):
    village = DepartmentFactory(code="370102001-1", level=DepartmentLevel.TOWN, parent=org["town"])
    assert village.pk in selectors.department_subtree_ids(org["district"])


@pytest.mark.parametrize("role", [Role.HANDLER, Role.SPECIALIST, Role.POLICY_EDITOR, Role.POLICY_REVIEWER])
def test_department_bound_roles_see_their_subtree_only(org, role):
    user = UserFactory(role=role, department=org["district"])
    assert selectors.can_view_department_work(user, org["town"])
    assert selectors.can_view_department_work(user, org["district"])
    assert not selectors.can_view_department_work(user, org["other"])
    assert not selectors.can_view_department_work(user, org["bureau"])


def test_town_handler_does_not_see_its_district(org):
    user = UserFactory(role=Role.HANDLER, department=org["town"])
    assert selectors.work_department_ids_for(user) == {org["town"].pk}
    assert not selectors.can_view_department_work(user, org["district"])
    assert not selectors.can_view_department_work(user, org["town2"])


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM_ADMIN])
def test_hotline_roles_see_every_department(org, role):
    user = UserFactory(role=role, department=org["bureau"])
    assert selectors.work_department_ids_for(user) is None
    assert selectors.can_view_department_work(user, org["other"])


def test_city_leader_sees_all_and_district_leader_sees_the_district(org):
    city_leader = UserFactory(role=Role.LEADER, department=None)
    district_leader = UserFactory(role=Role.LEADER, department=org["district"])
    assert selectors.work_department_ids_for(city_leader) is None
    assert selectors.can_view_department_work(district_leader, org["town"])
    assert not selectors.can_view_department_work(district_leader, org["other"])


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.ENTERPRISE])
def test_security_audit_and_enterprise_users_see_no_department_work(org, role):
    user = UserFactory(role=role)
    assert selectors.work_department_ids_for(user) == set()
    assert not selectors.can_view_department_work(user, org["bureau"])


def test_anonymous_and_inactive_users_see_nothing(org):
    assert selectors.work_department_ids_for(AnonymousUser()) == set()
    inactive = UserFactory(role=Role.DISPATCHER, is_active=False)
    assert selectors.work_department_ids_for(inactive) == set()
    assert not selectors.can_view_registry(inactive)


@pytest.mark.parametrize("role", list(Role))
def test_registry_is_for_staff_except_security_and_audit_admins(role):
    user = UserFactory(role=role)
    enterprise = EnterpriseFactory()
    expected = role not in {Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.ENTERPRISE}
    assert selectors.can_view_registry(user) is expected
    assert selectors.can_view_enterprise(user, enterprise) is expected


def test_enterprise_user_sees_only_linked_enterprises():
    mine, also_mine, theirs = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory()
    user = EnterpriseUserFactory(enterprises=[mine, also_mine])
    assert selectors.enterprise_ids_for(user) == sorted([mine.pk, also_mine.pk])
    assert selectors.can_view_enterprise(user, mine)
    assert selectors.can_view_enterprise(user, also_mine.pk)
    assert not selectors.can_view_enterprise(user, theirs)


def test_staff_have_no_enterprise_list_of_their_own():
    assert selectors.enterprise_ids_for(UserFactory(role=Role.DISPATCHER)) == []


def test_departments_tree_nests_children_in_order(org):
    DepartmentFactory(code="370104", level=DepartmentLevel.DISTRICT, is_active=False)
    tree = selectors.departments_tree()
    roots = [node.department.code for node in tree]
    assert roots == ["370100-FGW", "370102", "370103"]  # inactive 370104 left out
    district = tree[1]
    assert [c.department.code for c in district.children] == [
        "370102-RSJ",
        "370102-SCJGJ",
        "370102001",
        "370102002",
    ]
    assert all(c.depth == 1 for c in district.children)
    flat = [n.department.code for n in selectors.departments_flat()]
    assert flat.index("370102001") == flat.index("370102") + 3
    assert "370104" in [n.department.code for n in selectors.departments_flat(include_inactive=True)]
