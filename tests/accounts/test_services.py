import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.authtoken.models import Token

from huiqi.accounts import services
from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from huiqi.core.models import AuditEvent
from tests.factories import (
    DEFAULT_PASSWORD,
    DepartmentFactory,
    EnterpriseFactory,
    EnterpriseUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Quanc1ty#Spring"


@pytest.fixture
def sysadmin():
    return UserFactory(role=Role.SYSTEM_ADMIN)


@pytest.fixture
def secadmin():
    return UserFactory(role=Role.SECURITY_ADMIN)


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# ------------------------------------------------------------------------------------------- departments


def test_system_admin_creates_department_tree_and_each_creation_is_audited(sysadmin):
    district = services.create_department(
        actor=sysadmin,
        code="370102",
        name="历下区人民政府",
        level=DepartmentLevel.DISTRICT,
        region_code="370102",
    )
    town = services.create_department(
        actor=sysadmin, code="370102001", name="解放路街道", level=DepartmentLevel.TOWN, parent=district
    )
    assert town.parent == district
    assert town.region_code == "370102"  # inherited from the parent
    created = events("department.create")
    assert [e.object_id for e in created] == [str(district.pk), str(town.pk)]
    assert created[0].actor_id == sysadmin.pk
    assert created[1].after["parent"] == "370102"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.SYSTEM_ADMIN])
def test_only_system_admin_creates_departments(role):
    actor = UserFactory(role=role)
    with pytest.raises(PermissionDeniedError):
        services.create_department(actor=actor, code="X1", name="某局", level=DepartmentLevel.CITY)
    assert not Department.objects.filter(code="X1").exists()


def test_town_without_district_is_refused(sysadmin):
    with pytest.raises(ValidationFailedError) as exc:
        services.create_department(actor=sysadmin, code="T1", name="某街道", level=DepartmentLevel.TOWN)
    assert exc.value.field == "parent"


def test_district_cannot_sit_under_a_town(sysadmin):
    town = DepartmentFactory(town=True)
    with pytest.raises(ValidationFailedError) as exc:
        services.create_department(
            actor=sysadmin, code="D9", name="某区", level=DepartmentLevel.DISTRICT, parent=town
        )
    assert "不能隶属于" in exc.value.message


def test_duplicate_department_code_is_a_conflict(sysadmin):
    DepartmentFactory(code="370100-FGW")
    with pytest.raises(ConflictError):
        services.create_department(
            actor=sysadmin, code="370100-FGW", name="又一个", level=DepartmentLevel.CITY
        )


def test_bad_region_code_is_refused(sysadmin):
    with pytest.raises(ValidationFailedError) as exc:
        services.create_department(
            actor=sysadmin, code="X2", name="某局", level=DepartmentLevel.CITY, region_code="3701"
        )
    assert exc.value.field == "region_code"


def test_department_cannot_move_under_its_own_subunit(sysadmin):
    town = DepartmentFactory(town=True)
    with pytest.raises(ValidationFailedError):
        services.update_department(actor=sysadmin, department=town.parent, parent=town)


def test_update_department_records_only_changed_fields(sysadmin):
    department = DepartmentFactory(name="旧名称")
    services.update_department(actor=sysadmin, department=department, name="新名称", short_name="")
    (event,) = events("department.update")
    assert event.before == {"name": "旧名称"}
    assert event.after == {"name": "新名称"}


# ------------------------------------------------------------------------------------------------ staff


def test_system_admin_creates_handler_with_hashed_password_and_audit_event(sysadmin):
    department = DepartmentFactory()
    user = services.create_staff_user(
        actor=sysadmin,
        username="handler_x",
        password=GOOD_PASSWORD,
        role=Role.HANDLER,
        department=department,
        full_name="陈静",
    )
    assert user.check_password(GOOD_PASSWORD)
    assert user.password != GOOD_PASSWORD
    assert user.password_changed_at is not None
    assert not user.is_staff  # only the system administrator uses Django's admin site
    (event,) = events("user.create")
    assert event.actor_id == sysadmin.pk
    assert event.after["role"] == "handler"
    assert event.after["department"] == department.code
    assert GOOD_PASSWORD not in str(event.after)


def test_new_system_admin_gets_admin_site_access(sysadmin):
    user = services.create_staff_user(
        actor=sysadmin,
        username="admin2",
        password=GOOD_PASSWORD,
        role=Role.SYSTEM_ADMIN,
        department=None,
        full_name="张伟",
    )
    assert user.is_staff
    assert not user.is_superuser


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.HANDLER, Role.LEADER])
def test_only_system_admin_creates_accounts(role):
    actor = UserFactory(role=role)
    with pytest.raises(PermissionDeniedError):
        services.create_staff_user(
            actor=actor,
            username="x1",
            password=GOOD_PASSWORD,
            role=Role.AGENT,
            department=DepartmentFactory(),
            full_name="某人",
        )
    assert not User.objects.filter(username="x1").exists()


@pytest.mark.parametrize(
    ("role", "needs_department"),
    [
        (r.value, r not in {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.LEADER})
        for r in Role
        if r != Role.ENTERPRISE
    ],
)
def test_staff_need_a_department_except_city_wide_roles(sysadmin, role, needs_department):
    kwargs = {
        "actor": sysadmin,
        "username": f"u_{role}",
        "password": GOOD_PASSWORD,
        "role": role,
        "full_name": "某人",
    }
    if needs_department:
        with pytest.raises(ValidationFailedError) as exc:
            services.create_staff_user(department=None, **kwargs)
        assert exc.value.field == "department"
    else:
        assert services.create_staff_user(department=None, **kwargs).department is None


def test_enterprise_role_is_not_a_staff_role(sysadmin):
    with pytest.raises(ValidationFailedError) as exc:
        services.create_staff_user(
            actor=sysadmin,
            username="e1",
            password=GOOD_PASSWORD,
            role=Role.ENTERPRISE,
            department=None,
            full_name="某人",
        )
    assert exc.value.field == "role"


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Ab1!", "太短"),  # MinimumLengthValidator (10)
        ("abcdefghijkl", "至少 3 类"),  # CharacterClassValidator: one class only
        ("abcdefgh1234", "至少 3 类"),  # two classes
        ("8473629105738", "全是数字"),  # NumericPasswordValidator
        ("Password1!", "过于常见"),  # CommonPasswordValidator (Django's list, case-insensitive)
    ],
)
def test_weak_passwords_are_refused_with_chinese_reasons(sysadmin, password, fragment):
    with pytest.raises(ValidationFailedError) as exc:
        services.create_staff_user(
            actor=sysadmin,
            username="weak",
            password=password,
            role=Role.AGENT,
            department=DepartmentFactory(),
            full_name="某人",
        )
    assert exc.value.field == "password"
    assert exc.value.message.startswith("密码不符合要求")
    assert fragment in exc.value.message
    assert not User.objects.filter(username="weak").exists()


def test_password_similar_to_username_is_refused(sysadmin):
    with pytest.raises(ValidationFailedError):
        services.create_staff_user(
            actor=sysadmin,
            username="zhangwei2026",
            password="Zhangwei2026!",
            role=Role.AGENT,
            department=DepartmentFactory(),
            full_name="张伟",
        )


def test_duplicate_username_is_a_conflict_whatever_the_case(sysadmin):
    UserFactory(username="agent01")
    with pytest.raises(ConflictError):
        services.create_staff_user(
            actor=sysadmin,
            username="Agent01",
            password=GOOD_PASSWORD,
            role=Role.AGENT,
            department=DepartmentFactory(),
            full_name="某人",
        )


def test_inactive_department_gets_no_new_staff(sysadmin):
    department = DepartmentFactory(is_active=False)
    with pytest.raises(ValidationFailedError):
        services.create_staff_user(
            actor=sysadmin,
            username="x2",
            password=GOOD_PASSWORD,
            role=Role.HANDLER,
            department=department,
            full_name="某人",
        )


# ------------------------------------------------------------------------------------ separation of duties


def test_system_admin_cannot_change_own_role(sysadmin):
    for role in (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN, Role.LEADER):
        with pytest.raises(PermissionDeniedError):
            services.update_staff_user(actor=sysadmin, user=sysadmin, role=role)
    sysadmin.refresh_from_db()
    assert sysadmin.role == Role.SYSTEM_ADMIN


@pytest.mark.parametrize("guarded", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_system_admin_cannot_edit_security_or_audit_admin_accounts(sysadmin, guarded):
    target = UserFactory(role=guarded)
    with pytest.raises(PermissionDeniedError):
        services.update_staff_user(actor=sysadmin, user=target, is_active=False)
    target.refresh_from_db()
    assert target.is_active


def test_existing_account_cannot_be_turned_into_audit_admin(sysadmin):
    handler = UserFactory(role=Role.HANDLER)
    with pytest.raises(PermissionDeniedError):
        services.update_staff_user(actor=sysadmin, user=handler, role=Role.AUDIT_ADMIN, department=None)


def test_system_admin_moves_handler_and_change_is_audited(sysadmin):
    handler = UserFactory(role=Role.HANDLER)
    other = DepartmentFactory()
    services.update_staff_user(actor=sysadmin, user=handler, department=other, role=Role.SPECIALIST)
    handler.refresh_from_db()
    assert (handler.role, handler.department) == (Role.SPECIALIST, other)
    (event,) = events("user.update")
    assert event.after == {"department": other.code, "role": "specialist"}


def test_promoting_to_system_admin_grants_admin_site_and_demoting_removes_it(sysadmin):
    user = UserFactory(role=Role.HANDLER)
    services.update_staff_user(actor=sysadmin, user=user, role=Role.SYSTEM_ADMIN)
    user.refresh_from_db()
    assert user.is_staff
    services.update_staff_user(actor=sysadmin, user=user, role=Role.HANDLER)
    user.refresh_from_db()
    assert not user.is_staff


# ---------------------------------------------------------------------------------------- enterprise users


def test_enterprise_user_is_linked_to_each_enterprise(sysadmin):
    a, b = EnterpriseFactory(), EnterpriseFactory()
    user = services.create_enterprise_user(
        actor=sysadmin,
        username="ent1",
        password=GOOD_PASSWORD,
        full_name="宋志远",
        phone="13806410001",
        enterprises=[a, b],
        capacity=EnterpriseMembership.Capacity.LEGAL_REPRESENTATIVE,
    )
    assert user.role == Role.ENTERPRISE
    assert user.department is None
    assert set(user.enterprise_memberships.values_list("enterprise_id", "capacity")) == {
        (a.pk, "legal_representative"),
        (b.pk, "legal_representative"),
    }
    (event,) = events("user.create")
    assert sorted(event.after["enterprises"]) == sorted([a.uscc, b.uscc])


def test_enterprise_user_needs_an_enterprise(sysadmin):
    with pytest.raises(ValidationFailedError) as exc:
        services.create_enterprise_user(
            actor=sysadmin,
            username="ent2",
            password=GOOD_PASSWORD,
            full_name="某人",
            phone="138",
            enterprises=[],
            capacity="contact",
        )
    assert exc.value.field == "enterprises"


def test_linking_twice_creates_one_membership_and_one_event(sysadmin):
    user = EnterpriseUserFactory()
    enterprise = EnterpriseFactory()
    services.link_enterprise_user(actor=sysadmin, user=user, enterprise=enterprise)
    services.link_enterprise_user(actor=sysadmin, user=user, enterprise=enterprise)
    assert EnterpriseMembership.objects.filter(user=user, enterprise=enterprise).count() == 1
    assert len(events("user.enterprise_link")) == 1


def test_staff_cannot_be_linked_to_an_enterprise(sysadmin):
    with pytest.raises(ValidationFailedError):
        services.link_enterprise_user(
            actor=sysadmin, user=UserFactory(role=Role.HANDLER), enterprise=EnterpriseFactory()
        )


def test_unlink_removes_membership(sysadmin):
    enterprise = EnterpriseFactory()
    user = EnterpriseUserFactory(enterprises=[enterprise])
    services.unlink_enterprise_user(actor=sysadmin, user=user, enterprise=enterprise)
    assert not user.enterprise_memberships.exists()
    assert events("user.enterprise_unlink")[0].before == {"enterprise": enterprise.uscc}


# ----------------------------------------------------------------------------------- passwords, lock-out


def test_user_changes_own_password_and_old_tokens_stop_working():
    user = UserFactory()
    Token.objects.create(user=user)
    services.change_password(user=user, old_password=DEFAULT_PASSWORD, new_password=GOOD_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert not Token.objects.filter(user=user).exists()
    assert events("user.password_change")[0].actor_id == user.pk


def test_wrong_old_password_changes_nothing():
    user = UserFactory()
    with pytest.raises(ValidationFailedError) as exc:
        services.change_password(user=user, old_password="wrong", new_password=GOOD_PASSWORD)
    assert exc.value.field == "old_password"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_new_password_must_meet_the_rules():
    user = UserFactory()
    with pytest.raises(ValidationFailedError) as exc:
        services.change_password(user=user, old_password=DEFAULT_PASSWORD, new_password="abcdefghijk")
    assert exc.value.field == "new_password"


def test_new_password_must_differ_from_old():
    user = UserFactory()
    with pytest.raises(ValidationFailedError):
        services.change_password(user=user, old_password=DEFAULT_PASSWORD, new_password=DEFAULT_PASSWORD)


def test_security_admin_resets_password(secadmin):
    user = UserFactory()
    services.reset_password(actor=secadmin, user=user, new_password=GOOD_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert events("user.password_reset")[0].actor_id == secadmin.pk


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.HANDLER])
def test_only_security_admin_resets_passwords_and_unlocks(role):
    actor = UserFactory(role=role)
    user = UserFactory()
    with pytest.raises(PermissionDeniedError):
        services.reset_password(actor=actor, user=user, new_password=GOOD_PASSWORD)
    with pytest.raises(PermissionDeniedError):
        services.unlock_user(actor=actor, user=user)


def test_security_admin_unlock_clears_axes_attempts(secadmin):
    user = UserFactory()
    AccessAttempt.objects.create(
        username=user.username,
        ip_address="10.0.0.1",
        user_agent="x",
        failures_since_start=5,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    cleared = services.unlock_user(actor=secadmin, user=user)
    assert cleared == 1
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    assert events("user.unlock")[0].after == {"attempt_records_cleared": 1}


def test_api_token_is_issued_once_and_reused():
    user = UserFactory()
    first = services.issue_api_token(user=user)
    second = services.issue_api_token(user=user)
    assert first.key == second.key
    assert len(events("user.token_issue")) == 1
