import datetime

import pytest
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.core.errors import NotFoundError, PermissionDeniedError
from huiqi.enterprises import selectors
from huiqi.enterprises.enums import ChangeSource, ImportStatus
from huiqi.enterprises.models import ImportBatch, ProfileChange
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory, uscc_for

pytestmark = pytest.mark.django_db

READERS = [r for r in Role if r not in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.ENTERPRISE)]


@pytest.mark.parametrize("role", READERS)
def test_staff_who_work_with_enterprises_see_the_whole_registry(role):
    enterprises = EnterpriseFactory.create_batch(3)
    user = UserFactory(role=role)
    visible = selectors.enterprises_visible_to(user=user)
    assert set(visible) == set(enterprises)


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_security_and_audit_administrators_are_refused_the_registry(role):
    EnterpriseFactory()
    with pytest.raises(PermissionDeniedError):
        selectors.enterprises_visible_to(user=UserFactory(role=role))


def test_anonymous_user_is_refused_the_registry():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDeniedError):
        selectors.enterprises_visible_to(user=AnonymousUser())


def test_enterprise_user_sees_only_the_enterprises_it_acts_for():
    own, other_own, stranger = EnterpriseFactory.create_batch(3)
    user = EnterpriseUserFactory(enterprises=[own, other_own])
    assert set(selectors.enterprises_visible_to(user=user)) == {own, other_own}
    assert list(selectors.search_enterprises(user=user, q=stranger.name)) == []


def test_enterprise_user_asking_for_another_enterprise_is_refused():
    own, stranger = EnterpriseFactory.create_batch(2)
    user = EnterpriseUserFactory(enterprises=[own])
    assert selectors.enterprise_detail(user=user, uscc=own.uscc).enterprise == own
    with pytest.raises(PermissionDeniedError):
        selectors.enterprise_detail(user=user, uscc=stranger.uscc)
    with pytest.raises(PermissionDeniedError):
        selectors.enterprise_history(user=user, enterprise=stranger)


def test_unknown_uscc_is_not_found_and_lookup_ignores_case_and_spaces():
    enterprise = EnterpriseFactory(uscc=uscc_for(77, prefix="N2"))
    user = UserFactory(role=Role.DISPATCHER)
    spaced = " " + enterprise.uscc[:6].lower() + " " + enterprise.uscc[6:] + " "
    assert selectors.get_enterprise(user=user, uscc=spaced) == enterprise
    with pytest.raises(NotFoundError):
        selectors.get_enterprise(user=user, uscc=uscc_for(78))


# -- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "full"),
    [
        (Role.AGENT, True),
        (Role.SPECIALIST, True),
        (Role.SYSTEM_ADMIN, True),
        (Role.ENTERPRISE, True),
        (Role.DISPATCHER, False),
        (Role.HANDLER, False),
        (Role.SUPERVISOR, False),
        (Role.POLICY_EDITOR, False),
        (Role.POLICY_REVIEWER, False),
        (Role.LEADER, False),
    ],
)
def test_only_roles_that_call_enterprises_back_see_full_phone_numbers(role, full):
    user = UserFactory(role=role)
    assert selectors.can_see_full_phone(user) is full
    shown = selectors.phone_for(user, "13812345678")
    assert shown == ("13812345678" if full else "138****5678")


def test_detail_masks_phone_for_a_dispatcher_and_not_for_an_agent():
    enterprise = EnterpriseFactory(contact_phone="13812345678")
    dispatcher = selectors.enterprise_detail(user=UserFactory(role=Role.DISPATCHER), uscc=enterprise.uscc)
    agent = selectors.enterprise_detail(user=UserFactory(role=Role.AGENT), uscc=enterprise.uscc)
    assert dispatcher.contact_phone == "138****5678"
    assert dispatcher.is_phone_masked
    assert agent.contact_phone == "13812345678"
    assert not agent.is_phone_masked


def test_history_of_a_phone_change_is_masked_for_roles_without_full_numbers():
    enterprise = EnterpriseFactory()
    ProfileChange.objects.create(
        enterprise=enterprise,
        field="contact_phone",
        old_value="13812345678",
        new_value="0531-88886666",
        source=ChangeSource.USER,
        changed_at=timezone.now(),
    )
    [entry] = selectors.enterprise_history(user=UserFactory(role=Role.LEADER), enterprise=enterprise)
    assert (entry.old_value, entry.new_value) == ("138****5678", "0531-****6666")
    assert entry.field_label == "联系电话"
    [entry] = selectors.enterprise_history(user=UserFactory(role=Role.AGENT), enterprise=enterprise)
    assert entry.new_value == "0531-88886666"


# -- search ---------------------------------------------------------------------------------


@pytest.fixture
def reader():
    return UserFactory(role=Role.DISPATCHER)


def test_search_matches_name_fragments_whatever_the_case(reader):
    wanted = EnterpriseFactory(name="济南Alpha软件有限公司")
    EnterpriseFactory(name="济南贝塔机械有限公司")
    assert list(selectors.search_enterprises(user=reader, q="alpha软件")) == [wanted]
    assert list(selectors.search_enterprises(user=reader, q="  Alpha  ")) == [wanted]


def test_search_for_short_digits_matches_names_as_well_as_codes(reader):
    named = EnterpriseFactory(name="济南1234网络科技有限公司")
    coded = EnterpriseFactory(uscc=uscc_for(77, prefix="91"))
    assert set(selectors.search_enterprises(user=reader, q="1234")) == {named}
    assert set(selectors.search_enterprises(user=reader, q="9137")) == {named, coded}  # both codes start so


def test_search_matches_uscc_prefix_ignoring_case_and_spaces(reader):
    wanted = EnterpriseFactory(uscc=uscc_for(123456, prefix="N2"))
    EnterpriseFactory(uscc=uscc_for(123457, prefix="91"))
    typed = wanted.uscc[:2].lower() + " " + wanted.uscc[2:10]
    assert list(selectors.search_enterprises(user=reader, q=typed)) == [wanted]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"region_code": "370102"}, {"lixia"}),
        ({"region_code": "370100"}, {"lixia", "shizhong"}),
        ({"region_code": "370000"}, {"lixia", "shizhong", "qingdao"}),
        ({"industry_section": "C"}, {"shizhong"}),
        ({"industry_code": "i65"}, {"lixia"}),
        ({"size_class": "medium"}, {"shizhong"}),
        ({"size_class": "unknown"}, {"qingdao"}),
        ({"red_list": True}, {"qingdao"}),
        ({"red_list": False}, {"lixia", "shizhong"}),
        ({"tag": "高新技术企业"}, {"lixia", "shizhong"}),
        ({"tag": "专精特新中小企业"}, {"shizhong"}),
        ({"tag": "高新"}, set()),
        ({"status": "deregistered"}, {"qingdao"}),
        ({"ownership": "state"}, {"shizhong"}),
        ({"region_code": "370100", "tag": "专精特新中小企业", "red_list": False}, {"shizhong"}),
    ],
)
def test_filters_select_exactly_the_matching_enterprises(reader, filters, expected):
    named = {
        "lixia": EnterpriseFactory(region_code="370102", industry_code="I6513", tags="高新技术企业"),
        "shizhong": EnterpriseFactory(
            region_code="370103",
            industry_code="C3911",
            size_class="medium",
            ownership="state",
            tags="专精特新中小企业;高新技术企业;科技型中小企业",
        ),
        "qingdao": EnterpriseFactory(
            region_code="370202", industry_code="J6620", size_class=None, red_list=True, status="deregistered"
        ),
    }
    found = set(selectors.search_enterprises(user=reader, **filters))
    assert found == {named[key] for key in expected}


def test_search_orders_by_the_chosen_order_and_falls_back_to_name(reader):
    old = EnterpriseFactory(name="乙公司", established_on=datetime.date(2001, 1, 1))
    new = EnterpriseFactory(name="甲公司", established_on=datetime.date(2020, 1, 1))
    assert list(selectors.search_enterprises(user=reader, order="-established_on")) == [new, old]
    assert list(selectors.search_enterprises(user=reader, order="established_on")) == [old, new]
    by_name = sorted([old, new], key=lambda e: e.name)
    assert list(selectors.search_enterprises(user=reader, order="DROP TABLE")) == by_name


@pytest.mark.parametrize(
    ("code", "prefix"), [("370000", "37"), ("370100", "3701"), ("370102", "370102"), ("37", "37")]
)
def test_region_prefix_covers_the_region_and_everything_below_it(code, prefix):
    assert selectors.region_prefix(code) == prefix


# -- detail and history ---------------------------------------------------------------------


def test_detail_gives_labels_and_derived_facts(reader):
    enterprise = EnterpriseFactory(
        region_code="370102", industry_code="I6513", established_on=datetime.date(2020, 3, 1), tags="b;a"
    )
    detail = selectors.enterprise_detail(user=reader, uscc=enterprise.uscc, on_date=datetime.date(2023, 3, 1))
    assert detail.region_label == "历下区"
    assert detail.industry_label == "软件和信息技术服务业"
    assert detail.age_years == 3
    assert detail.rd_ratio == enterprise.rd_expense / enterprise.revenue
    assert detail.tags == ["b", "a"]
    assert detail.can_edit is False
    assert selectors.enterprise_detail(
        user=UserFactory(role=Role.SYSTEM_ADMIN), uscc=enterprise.uscc
    ).can_edit


def test_history_is_newest_first_with_labels_sources_and_import_file_names(reader):
    enterprise = EnterpriseFactory()
    admin = UserFactory(role=Role.SYSTEM_ADMIN, full_name="管理员甲")
    batch = ImportBatch.objects.create(file_name="第一批.csv", status=ImportStatus.DONE, started_by=admin)
    first = timezone.now() - datetime.timedelta(days=1)
    ProfileChange.objects.create(
        enterprise=enterprise,
        field="*",
        source=ChangeSource.IMPORT,
        batch=batch,
        changed_by=admin,
        changed_at=first,
    )
    ProfileChange.objects.create(
        enterprise=enterprise,
        field="ownership",
        old_value="private",
        new_value="state",
        source=ChangeSource.API,
        changed_by=admin,
        changed_at=timezone.now(),
    )
    ProfileChange.objects.create(
        enterprise=enterprise,
        field="employees",
        old_value=None,
        new_value="12",
        source=ChangeSource.SYSTEM,
        changed_at=timezone.now() - datetime.timedelta(hours=1),
    )
    history = selectors.enterprise_history(user=reader, enterprise=enterprise)
    assert [h.field for h in history] == ["ownership", "employees", "*"]
    ownership, employees, created = history
    assert (ownership.field_label, ownership.old_value, ownership.new_value) == ("经济类型", "民营", "国有")
    assert (ownership.source_label, ownership.actor) == ("接口", "管理员甲")
    assert (employees.old_value, employees.new_value, employees.actor) == ("", "12", "系统")
    assert (created.field_label, created.source_label, created.file_name) == (
        "新建企业",
        "文件导入",
        "第一批.csv",
    )
    assert selectors.enterprise_history(user=reader, enterprise=enterprise, limit=1)[0].field == "ownership"


# -- imports --------------------------------------------------------------------------------


def test_only_the_system_administrator_sees_import_batches():
    batch = ImportBatch.objects.create(file_name="a.csv")
    assert list(selectors.import_batches_for(user=UserFactory(role=Role.SYSTEM_ADMIN))) == [batch]
    for role in (Role.DISPATCHER, Role.LEADER, Role.ENTERPRISE, Role.AUDIT_ADMIN):
        with pytest.raises(PermissionDeniedError):
            selectors.import_batches_for(user=UserFactory(role=role))


def test_missing_import_batch_is_not_found():
    with pytest.raises(NotFoundError):
        selectors.get_import_batch(user=UserFactory(role=Role.SYSTEM_ADMIN), batch_id=999)


# --- the enterprise of an appeal (the intake hot path) ---------------------------------------------------


def test_the_enterprise_of_an_appeal_is_read_with_its_intake_fields_and_the_rest_on_demand(
    django_assert_num_queries,
):
    agent = UserFactory(role=Role.AGENT)
    red = EnterpriseFactory(red_list=True, name="红名单企业", employees=120)
    with django_assert_num_queries(1):
        found = selectors.enterprise_for_appeal(user=agent, uscc=f" {red.uscc.lower()} ")
        assert (found.pk, found.uscc, found.name, found.red_list) == (red.pk, red.uscc, "红名单企业", True)
    assert found.red_list is True  # a bool on SQLite too, not 1
    assert found.get_deferred_fields() >= {"employees", "region_code"}
    assert found.employees == 120  # loaded when first read
    assert selectors.enterprise_for_appeal(user=agent, uscc=uscc_for(999_999)) is None


def test_an_enterprise_user_finds_only_its_own_enterprise_for_an_appeal():
    own, other = EnterpriseFactory(), EnterpriseFactory()
    user = EnterpriseUserFactory(enterprises=[own])
    assert selectors.enterprise_for_appeal(user=user, uscc=own.uscc).pk == own.pk
    assert selectors.enterprise_for_appeal(user=user, uscc=other.uscc) is None
    with pytest.raises(PermissionDeniedError):
        selectors.enterprise_for_appeal(user=UserFactory(role=Role.AUDIT_ADMIN), uscc=own.uscc)
