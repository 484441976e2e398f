"""Impact preview of an item version against a small registry whose every figure is computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huiqi.core.errors import PermissionDeniedError
from huiqi.core.reference.regions import region_label
from huiqi.enterprises import services as enterprise_services
from huiqi.policies import impact, services
from huiqi.policies.errors import PolicyItemNotFoundError
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)
CODE = "TEST-IMPACT-01"

# v1 (published): region 3701*, revenue >= 10,000,000; amount revenue * 1%, capped at 300,000.
V1 = {
    "code": CODE,
    "title": "测试规上企业奖励",
    "policy": "测试政策",
    "level": "city",
    "region_code": "370100",
    "department": "测试市工业和信息化局",
    "effective_from": date(2025, 1, 1),
    "eligibility": {
        "all": [
            {"field": "region_code", "op": "starts_with", "value": "3701"},
            {"field": "revenue", "op": "ge", "value": 10000000},
        ]
    },
    "reward": {"formula": "revenue * 0.01", "cap": 300000},
}
# v2 (draft): revenue threshold lowered to 5,000,000, 失信被执行人 excluded, a fixed 100,000, budget 250,000.
V2 = {
    **V1,
    "budget_amount": 250000,
    "eligibility": {
        "all": [
            {"field": "region_code", "op": "starts_with", "value": "3701"},
            {"field": "revenue", "op": "ge", "value": 5000000},
            {"not": {"field": "tags", "op": "contains", "value": "失信被执行人"}},
        ]
    },
    "reward": {"fixed": 100000},
}

# name -> facts; v1 and v2 results by hand:
#   A  370102 C medium  20,000,000             v1 eligible 200,000.00   v2 eligible 100,000.00 (amount change)
#   B  370103 I small    8,000,000             v1 ineligible            v2 eligible 100,000.00 (gain)
#   C  370102 I micro    unknown revenue       v1 needs_info            v2 needs_info
#   D  370102 C small   15,000,000 失信被执行人  v1 eligible 150,000.00   v2 ineligible (lose)
#   E  440300 F unknown 50,000,000             v1 ineligible            v2 ineligible
#   F  370103 C small   12,345,678.90          v1 eligible 123,456.79   v2 eligible 100,000.00 (amount change)
REGISTRY = {
    "A": {"region_code": "370102", "industry_code": "C3911", "size_class": "medium", "revenue": "20000000"},
    "B": {"region_code": "370103", "industry_code": "I6513", "size_class": "small", "revenue": "8000000"},
    "C": {"region_code": "370102", "industry_code": "I6513", "size_class": "micro", "revenue": None},
    "D": {
        "region_code": "370102",
        "industry_code": "C3911",
        "size_class": "small",
        "revenue": "15000000",
        "tags": "失信被执行人",
    },
    "E": {"region_code": "440300", "industry_code": "F5123", "size_class": None, "revenue": "50000000"},
    "F": {"region_code": "370103", "industry_code": "C3911", "size_class": "small", "revenue": "12345678.90"},
}


@pytest.fixture(autouse=True)
def _fresh_registry_cache():
    impact.clear_registry_cache()
    yield
    impact.clear_registry_cache()


@pytest.fixture
def registry():
    return {
        name: EnterpriseFactory(
            name=f"企业{name}",
            **{**facts, "revenue": Decimal(facts["revenue"]) if facts["revenue"] else None},
        )
        for name, facts in REGISTRY.items()
    }


@pytest.fixture
def versions(registry, write_yaml):
    published = services.import_policy_items(paths=[write_yaml("v1.yaml", [V1])])
    draft = services.import_policy_items(paths=[write_yaml("v2.yaml", [V2])], as_draft=True)
    assert published.rejected == []
    assert draft.rejected == []
    return impact.get_item_version(code=CODE, number=1), impact.get_item_version(code=CODE, number=2)


@pytest.fixture
def reviewer_user():
    return UserFactory(role="policy_reviewer")


def _rows(groups):
    return [(g.key, g.eligible, g.needs_info, g.ineligible, g.amount) for g in groups]


def test_preview_counts_statuses_and_totals_the_eligible_amounts_against_the_budget(versions, reviewer_user):
    preview = impact.preview_impact(actor=reviewer_user, version=versions[1], as_of=AS_OF)
    assert preview.as_of == AS_OF
    assert preview.enterprise_count == 6
    assert (preview.eligible_count, preview.needs_info_count, preview.ineligible_count) == (3, 1, 2)
    assert preview.total_amount == Decimal("300000.00")
    assert preview.budget_amount == Decimal("250000.00")
    assert preview.is_over_budget is True
    assert preview.budget_overrun == Decimal("50000.00")
    assert preview.budget_percent == 120


def test_preview_breaks_down_by_region_industry_section_and_size_class(versions, reviewer_user):
    preview = impact.preview_impact(actor=reviewer_user, version=versions[1], as_of=AS_OF)
    assert _rows(preview.by_region) == [
        ("370103", 2, 0, 0, Decimal("200000.00")),
        ("370102", 1, 1, 1, Decimal("100000.00")),
        ("440300", 0, 0, 1, Decimal("0.00")),
    ]
    assert [g.label for g in preview.by_region] == [region_label("370103"), region_label("370102"), "440300"]
    assert _rows(preview.by_industry) == [
        ("C", 2, 0, 1, Decimal("200000.00")),
        ("I", 1, 1, 0, Decimal("100000.00")),
        ("F", 0, 0, 1, Decimal("0.00")),
    ]
    assert preview.by_industry[0].label == "C 制造业"
    assert _rows(preview.by_size) == [
        ("medium", 1, 0, 0, Decimal("100000.00")),
        ("small", 2, 0, 1, Decimal("200000.00")),
        ("micro", 0, 1, 0, Decimal("0.00")),
        ("unknown", 0, 0, 1, Decimal("0.00")),
    ]
    assert [g.label for g in preview.by_size] == ["中型", "小型", "微型", "未划型"]
    assert preview.chart_data()["size"] == [{"name": "中型", "value": 1}, {"name": "小型", "value": 2}]


def test_a_new_version_lists_who_gains_who_loses_and_whose_amount_changes(versions, reviewer_user, registry):
    current, new = versions
    preview = impact.preview_impact(actor=reviewer_user, version=new, as_of=AS_OF)
    comparison = preview.comparison
    assert comparison is not None
    assert comparison.current.pk == current.pk
    assert (comparison.current_eligible_count, comparison.current_needs_info_count) == (3, 1)
    assert comparison.current_total_amount == Decimal("473456.79")
    assert (comparison.gained_count, comparison.lost_count, comparison.amount_changed_count) == (1, 1, 2)
    [gained] = comparison.gained
    assert (gained.uscc, gained.name, gained.before_status, gained.after_status) == (
        registry["B"].uscc,
        "企业B",
        "ineligible",
        "eligible",
    )
    assert gained.amount_change == Decimal("100000.00")
    [lost] = comparison.lost
    assert (lost.uscc, lost.before_amount, lost.after_amount) == (
        registry["D"].uscc,
        Decimal("150000.00"),
        None,
    )
    # Largest change first: A (-100,000.00), then F (-23,456.79).
    assert [(row.uscc, row.amount_change) for row in comparison.amount_changed] == [
        (registry["A"].uscc, Decimal("-100000.00")),
        (registry["F"].uscc, Decimal("-23456.79")),
    ]


def test_sample_size_limits_the_names_but_not_the_counts(versions, reviewer_user):
    preview = impact.preview_impact(actor=reviewer_user, version=versions[1], as_of=AS_OF, sample_size=1)
    assert preview.comparison.amount_changed_count == 2
    assert len(preview.comparison.amount_changed) == 1


def test_the_published_version_has_nothing_to_compare_with_and_no_budget(versions, reviewer_user):
    preview = impact.preview_impact(actor=reviewer_user, version=versions[0], as_of=AS_OF)
    assert preview.comparison is None
    assert (preview.eligible_count, preview.needs_info_count, preview.ineligible_count) == (3, 1, 2)
    assert preview.total_amount == Decimal("473456.79")
    assert preview.budget_amount is None
    assert preview.is_over_budget is False


def test_a_version_within_budget_reports_what_is_left(versions, reviewer_user, write_yaml):
    services.import_policy_items(
        paths=[write_yaml("v3.yaml", [{**V2, "budget_amount": 1000000}])], as_draft=True
    )
    preview = impact.preview_impact(
        actor=reviewer_user, version=impact.get_item_version(code=CODE, number=3), as_of=AS_OF
    )
    assert preview.is_over_budget is False
    assert preview.budget_difference == Decimal("700000.00")


@pytest.mark.parametrize("role", ["policy_editor", "policy_reviewer", "leader"])
def test_editors_reviewers_and_leaders_may_preview(versions, role):
    preview = impact.preview_impact(actor=UserFactory(role=role), version=versions[1], as_of=AS_OF)
    assert preview.eligible_count == 3


@pytest.mark.parametrize("role", ["handler", "enterprise", "system_admin"])
def test_other_roles_may_not_preview(versions, role):
    with pytest.raises(PermissionDeniedError):
        impact.preview_impact(actor=UserFactory(role=role), version=versions[1], as_of=AS_OF)


def test_the_registry_is_read_again_once_a_profile_changes(versions, reviewer_user, registry):
    first = impact.preview_impact(actor=reviewer_user, version=versions[1], as_of=AS_OF)
    again = impact.preview_impact(actor=reviewer_user, version=versions[1], as_of=AS_OF)
    assert (first.is_registry_cached, again.is_registry_cached) == (False, True)
    enterprise_services.update_enterprise_profile(
        enterprise=registry["E"], actor=None, changes={"region_code": "370102"}
    )
    changed = impact.preview_impact(actor=reviewer_user, version=versions[1], as_of=AS_OF)
    assert changed.is_registry_cached is False
    assert changed.eligible_count == 4
    assert changed.total_amount == Decimal("400000.00")


def test_default_evaluation_date_is_today_moved_into_the_effective_period(versions):
    version = versions[1]
    assert impact.default_as_of(version, today=date(2024, 5, 1)) == date(2025, 1, 1)
    assert impact.default_as_of(version, today=date(2026, 3, 1)) == date(2026, 3, 1)


def test_an_unknown_version_is_not_found(versions):
    with pytest.raises(PolicyItemNotFoundError):
        impact.get_item_version(code=CODE, number=9)


# ------------------------------------------------------------------------------------- the page
def test_the_page_shows_the_figures_and_the_gain_and_lose_tables(client, versions, reviewer_user, registry):
    client.force_login(reviewer_user)
    response = client.get(f"/policies/items/{CODE}/versions/2/impact/?as_of=2025-06-30")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="count-eligible">3<' in html
    assert "¥300,000.00" in html
    assert "超出预算 ¥50,000.00" in html
    assert registry["B"].uscc in html
    assert registry["D"].uscc in html
    assert "vendor/echarts/echarts.min.js" in html
    assert 'id="impact-charts"' in html


def test_recompute_through_htmx_returns_the_body_only(client, versions, reviewer_user):
    client.force_login(reviewer_user)
    response = client.get(
        f"/policies/items/{CODE}/versions/2/impact/?as_of=2025-06-30", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="impact-body"')
    assert "<html" not in html


def test_the_page_refuses_an_enterprise_user_and_a_bad_date(client, versions, reviewer_user):
    client.force_login(UserFactory(role="enterprise"))
    assert client.get(f"/policies/items/{CODE}/versions/2/impact/").status_code == 403
    client.force_login(reviewer_user)
    assert client.get(f"/policies/items/{CODE}/versions/2/impact/?as_of=2025-13-01").status_code == 400
