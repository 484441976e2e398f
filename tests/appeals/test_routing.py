"""Routing rules (appeals.routing): ordered, first match wins, every empty condition matches."""

import pytest

from huiqi.appeals.models import RoutingRule
from huiqi.appeals.routing import suggest_route
from tests.appeals.factories import AppealFactory, CategoryFactory
from tests.factories import DepartmentFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db


def rule(order, lead, **conditions):
    assisting = conditions.pop("assisting", [])
    created = RoutingRule.objects.create(name=f"规则{order}", order=order, lead_department=lead, **conditions)
    created.assisting_departments.set(assisting)
    return created


@pytest.fixture
def tax():
    top = CategoryFactory(code="SF", name="税费")
    return top, CategoryFactory(code="SF-TS", name="退税留抵", parent=top)


def test_first_matching_rule_by_order_names_lead_and_assisting_departments(tax):
    top, leaf = tax
    city, district, helper = DepartmentFactory(), DepartmentFactory(), DepartmentFactory()
    rule(20, city, category=top)
    rule(10, district, category=top, region_prefix="370102", assisting=[helper])
    appeal = AppealFactory(category=leaf, enterprise=EnterpriseFactory(region_code="370102"))

    route = suggest_route(appeal=appeal)

    assert route.lead_department == district
    assert route.assisting_departments == (helper,)
    assert route.rule.order == 10


def test_a_rule_on_a_first_level_category_covers_its_children_but_not_other_branches(tax):
    top, leaf = tax
    other = CategoryFactory(code="SB", name="社保")
    lead = DepartmentFactory()
    rule(10, lead, category=top)

    assert suggest_route(appeal=AppealFactory(category=leaf)).lead_department == lead
    assert suggest_route(appeal=AppealFactory(category=top)).lead_department == lead
    assert not suggest_route(appeal=AppealFactory(category=other)).is_found


def test_a_rule_on_a_second_level_category_does_not_cover_its_parent(tax):
    top, leaf = tax
    rule(10, DepartmentFactory(), category=leaf)
    assert not suggest_route(appeal=AppealFactory(category=top)).is_found


@pytest.mark.parametrize(
    ("conditions", "enterprise", "matches"),
    [
        ({"red_list": True}, {"red": True}, True),
        ({"red_list": True}, {}, False),
        ({"red_list": False}, {}, True),
        ({"red_list": False}, {"red": True}, False),
        ({"size_class": "small"}, {"size_class": "small"}, True),
        ({"size_class": "small"}, {"size_class": "large"}, False),
        ({"industry_prefix": "C3"}, {"industry_code": "C3411"}, True),
        ({"industry_prefix": "C3"}, {"industry_code": "C2611"}, False),
        ({"region_prefix": "3701"}, {"region_code": "370112"}, True),
        ({"region_prefix": "370112"}, {"region_code": "370102"}, False),
    ],
)
def test_enterprise_conditions_decide_whether_a_rule_matches(conditions, enterprise, matches):
    lead = DepartmentFactory()
    rule(10, lead, **conditions)
    appeal = AppealFactory(enterprise=EnterpriseFactory(**enterprise))
    assert suggest_route(appeal=appeal).is_found is matches


def test_a_rule_with_enterprise_conditions_does_not_match_an_appeal_without_enterprise():
    rule(10, DepartmentFactory(), red_list=False)
    catch_all = rule(20, DepartmentFactory())
    assert suggest_route(appeal=AppealFactory(enterprise=None)).rule == catch_all


def test_inactive_rules_and_rules_leading_to_a_closed_department_are_skipped():
    rule(10, DepartmentFactory(), is_active=False)
    rule(20, DepartmentFactory(is_active=False))
    fallback = rule(30, DepartmentFactory())
    assert suggest_route(appeal=AppealFactory()).rule == fallback


def test_the_category_given_overrides_the_appeals_own(tax):
    _top, leaf = tax
    lead = DepartmentFactory()
    rule(10, lead, category=leaf)
    appeal = AppealFactory(category=None)
    assert not suggest_route(appeal=appeal).is_found
    assert suggest_route(appeal=appeal, category=leaf).lead_department == lead


def test_the_lead_department_is_not_listed_as_assisting_and_inactive_helpers_are_dropped():
    lead, closed = DepartmentFactory(), DepartmentFactory(is_active=False)
    rule(10, lead, assisting=[lead, closed])
    assert suggest_route(appeal=AppealFactory()).assisting_departments == ()
