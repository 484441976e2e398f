import io

import pytest
from django.core.management import call_command
from stdnum.cn import uscc as stdnum_uscc

from huiqi.accounts import demo, selectors
from huiqi.accounts.enums import DepartmentLevel, Role
from huiqi.accounts.models import Department, EnterpriseMembership, User
from huiqi.enterprises.models import Enterprise, ProfileChange

pytestmark = pytest.mark.django_db

COUNT = 200


def run_demo(count=COUNT):
    out = io.StringIO()
    call_command(
        "load_demo",
        "--enterprises",
        str(count),
        "--appeals",
        "0",
        "--no-progress",
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@pytest.fixture(autouse=True)
def _search_cache_in_tmp(settings, tmp_path):
    """load_demo ends by warming policy search's token cache: into the test's own folder."""
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"


@pytest.fixture
def loaded():
    return run_demo()


def test_every_role_has_a_demo_account_with_the_demo_password(loaded):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    for user in User.objects.all():
        assert user.check_password(demo.DEMO_PASSWORD), user.username
        assert user.username in loaded  # the printed table lists every account
    # handlers in several departments at every level; a city leader has no department
    handler_departments = User.objects.filter(role=Role.HANDLER).values_list("department__level", flat=True)
    assert set(handler_departments) == {DepartmentLevel.CITY, DepartmentLevel.DISTRICT, DepartmentLevel.TOWN}
    assert User.objects.get(username="leader01").department is None
    assert all(u.full_name for u in User.objects.all())


def test_demo_city_has_its_departments_districts_and_towns(loaded):
    city = Department.objects.filter(level=DepartmentLevel.CITY)
    assert city.count() >= 30
    for name in (
        "济南市发展和改革委员会",
        "济南市市场监督管理局",
        "济南住房公积金中心",
        "济南市12345市民服务热线中心",
    ):
        assert city.filter(name=name).exists(), name
    districts = Department.objects.filter(level=DepartmentLevel.DISTRICT, parent=None)
    assert set(districts.values_list("code", flat=True)) == {code for code, _, _ in demo.DISTRICTS}
    lixia = Department.objects.get(code="370102")
    subtree = selectors.department_subtree_ids(lixia)
    assert Department.objects.get(name="历下区解放路街道").pk in subtree
    assert Department.objects.get(code="370102-SCJGJ").pk in subtree
    assert Department.objects.filter(level=DepartmentLevel.TOWN, parent__isnull=True).count() == 0


def test_enterprises_are_imported_with_history_and_valid_usccs(loaded):
    assert Enterprise.objects.count() == COUNT
    assert all(
        stdnum_uscc.calc_check_digit(u[:17]) == u[17]
        for u in Enterprise.objects.values_list("uscc", flat=True)
    )
    assert all(code.startswith("3701") for code in Enterprise.objects.values_list("region_code", flat=True))
    created = ProfileChange.objects.filter(field="*", source="import").count()
    assert created == COUNT
    assert "新增 created 200" in loaded
    # the enterprise users act for distinct demo enterprises
    ent_users = User.objects.filter(role=Role.ENTERPRISE)
    assert ent_users.count() == len(demo.DEMO_ENTERPRISE_USERS)
    memberships = EnterpriseMembership.objects.filter(user__in=ent_users)
    assert memberships.count() == sum(u.enterprise_count for u in demo.DEMO_ENTERPRISE_USERS)
    assert memberships.values("enterprise").distinct().count() == memberships.count()


def test_loading_twice_creates_nothing_new(loaded):
    counts = (Department.objects.count(), User.objects.count(), Enterprise.objects.count())
    memberships = EnterpriseMembership.objects.count()
    second = run_demo()
    assert (Department.objects.count(), User.objects.count(), Enterprise.objects.count()) == counts
    assert EnterpriseMembership.objects.count() == memberships
    assert "新建 created 0" in second
    assert "新建账号 accounts created: 0" in second
    # the same generated file imported again changes nothing (upsert by USCC, DATA-CONTRACT.md section 3)
    assert "新增 created 0，更新 updated 0，未变化 unchanged 200" in second


def test_without_enterprises_the_organisation_still_loads():
    output = run_demo(count=0)
    assert Enterprise.objects.count() == 0
    assert not User.objects.filter(role=Role.ENTERPRISE).exists()
    assert User.objects.filter(role=Role.AUDIT_ADMIN).exists()
    assert "sysadmin" in output


def test_account_table_aligns_chinese_columns():
    rows = [("agent01", "坐席 agent", "济南市12345市民服务热线中心", "pw")]

    def width(text):
        return sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in text)

    header, _, row = demo.format_table(rows, ("用户名", "角色", "部门", "密码"), width).splitlines()
    assert width(header[: header.index("角色")]) == width(row[: row.index("坐席")])
    assert width(header[: header.index("密码")]) == width(row[: row.index("pw")])


def test_the_printed_sign_in_address_follows_the_url_make_demo_passes():
    out = io.StringIO()
    call_command(
        "load_demo",
        "--enterprises",
        "0",
        "--appeals",
        "0",
        "--no-progress",
        "--url",
        "http://127.0.0.1:8011/",
        stdout=out,
    )
    assert "(http://127.0.0.1:8011/accounts/login/)" in out.getvalue()
