"""我能享受哪些政策: what one enterprise qualifies for, what it nearly qualifies for, and who may see it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import yaml

from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent
from huiqi.policies import services
from huiqi.policies.enterprise_matches import matched_items_for
from huiqi.policies.models import MatchResult
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = {
    "title": "",
    "policy": "测试政策",
    "level": "city",
    "region_code": "370100",
    "department": "测试市科学技术局",
    "effective_from": date(2025, 1, 1),
}


def _item(code: str, title: str, eligibility: dict, **extra) -> dict:
    return {**BASE, "code": code, "title": title, "eligibility": eligibility, **extra}


def _ge(field: str, value: int) -> dict:
    return {"field": field, "op": "ge", "value": value}


ITEMS = [
    # Eligible: 3701*, revenue >= 10M, not 失信被执行人; 1% of revenue up to 300,000; 免申即享.
    _item(
        "T-QUALIFY",
        "规上企业奖励",
        {
            "all": [
                {"field": "region_code", "op": "starts_with", "value": "3701"},
                _ge("revenue", 10000000),
                {"not": {"field": "tags", "op": "contains", "value": "失信被执行人"}},
            ]
        },
        reward={"formula": "revenue * 0.01", "cap": 300000},
        auto_entitlement=True,
    ),
    # Ineligible by one condition the enterprise can act on (a tag): nearly.
    _item(
        "T-ONE-TAG",
        "高新技术企业奖励",
        {"all": [{"field": "tags", "op": "contains", "value": "高新技术企业"}, _ge("revenue", 10000000)]},
        reward={"fixed": 200000},
    ),
    # R&D expense unknown: needs_info, nearly.
    _item("T-NEEDS-INFO", "研发后补助", {"all": [_ge("rd_expense", 100000)]}, reward={"fixed": 50000}),
    # Two failing conditions: nearly.
    _item("T-TWO", "重点企业奖励", {"all": [_ge("employees", 1000), _ge("tax_paid", 100000000)]}),
    # Three failing conditions: not nearly.
    _item(
        "T-THREE",
        "龙头企业奖励",
        {"all": [_ge("employees", 1000), _ge("revenue", 1000000000), _ge("tax_paid", 100000000)]},
    ),
    # One failing condition, but on the region (cannot be changed by acting): not nearly.
    _item("T-OTHER-CITY", "外地政策", {"field": "region_code", "op": "starts_with", "value": "5106"}),
]


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):  # type: ignore[no-untyped-def]
        return True  # the same date object in every item: written out each time, as a person would


@pytest.fixture
def items(write_yaml):
    text = yaml.dump(ITEMS, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)
    report = services.import_policy_items(paths=[write_yaml("items.yaml", text)])
    assert report.rejected == []


@pytest.fixture
def enterprise():
    return EnterpriseFactory(
        name="济南测试科技有限公司",
        region_code="370102",
        revenue=Decimal("20000000.00"),
        rd_expense=None,
        employees=40,
        tax_paid=Decimal("300000.00"),
        tags="",
    )


@pytest.fixture
def owner(enterprise):
    return EnterpriseUserFactory(enterprises=[enterprise])


def test_qualified_items_come_with_amount_and_why(items, enterprise, owner):
    matches = matched_items_for(user=owner, enterprise=enterprise)
    [card] = matches.qualified
    assert card.item_code == "T-QUALIFY"
    assert card.amount == Decimal("200000.00")
    assert card.auto_entitlement is True
    assert matches.total_amount == Decimal("200000.00")
    assert len(card.reasons_met) == 3
    assert card.reasons_met[0].startswith("区划代码需以 3701 开头")
    assert "370102" in card.reasons_met[0]
    assert "20,000,000" in card.reasons_met[1]
    # The `not` group is explained as what is forbidden.
    assert "不得包含“失信被执行人”" in card.reasons_met[2]
    assert "revenue * 0.01" in card.reward_note


def test_nearly_qualified_items_are_needs_info_or_at_most_two_actionable_conditions(items, enterprise, owner):
    matches = matched_items_for(user=owner, enterprise=enterprise)
    assert [(c.item_code, c.status, c.failing_count) for c in matches.nearly] == [
        ("T-NEEDS-INFO", "needs_info", 1),
        ("T-ONE-TAG", "ineligible", 1),
        ("T-TWO", "ineligible", 2),
    ]
    assert matches.other_count == 2  # T-THREE (three conditions) and T-OTHER-CITY (region)
    by_code = {card.item_code: card for card in matches.nearly}
    assert by_code["T-ONE-TAG"].missing == ("企业标签需包含“高新技术企业”，当前 无",)
    assert by_code["T-NEEDS-INFO"].missing[-1].startswith("缺少")
    assert len(by_code["T-TWO"].missing) == 2


def test_an_enterprise_user_sees_only_its_own_enterprises(items, enterprise, owner):
    other = EnterpriseFactory()
    with pytest.raises(PermissionDeniedError):
        matched_items_for(user=owner, enterprise=other)
    with pytest.raises(PermissionDeniedError):
        matched_items_for(user=UserFactory(role="security_admin"), enterprise=enterprise)
    assert matched_items_for(user=UserFactory(role="handler"), enterprise=other).enterprise == other


def test_my_matches_page_shows_the_cards_of_the_users_enterprise(client, items, enterprise, owner):
    other = EnterpriseFactory(name="别家企业")
    client.force_login(owner)
    response = client.get(f"/policies/mine/?uscc={other.uscc}")
    html = response.content.decode()
    assert response.status_code == 200
    assert enterprise.name in html
    assert other.name not in html
    assert "¥200,000.00" in html
    assert "免申即享" in html
    assert "为什么符合" in html
    assert "还差什么" in html
    assert "企业标签需包含“高新技术企业”" in html
    assert client.get(f"/policies/enterprises/{other.uscc}/matches/").status_code == 403


def test_a_user_with_two_enterprises_picks_one(client, items, enterprise):
    second = EnterpriseFactory(name="第二家企业", region_code="510603")
    user = EnterpriseUserFactory(enterprises=[enterprise, second])
    client.force_login(user)
    html = client.get(f"/policies/mine/?uscc={second.uscc}").content.decode()
    assert 'id="enterprise-picker"' in html
    # The second enterprise (in 旌阳区, R&D expense 900,000) qualifies for other items than the first.
    assert 'id="qualified-count">2<' in html
    assert 'data-code="T-OTHER-CITY"' in html
    assert 'data-code="T-NEEDS-INFO"' in html
    assert 'data-code="T-QUALIFY"' not in html


def test_recompute_refreshes_the_stored_results_and_is_audited(client, items, enterprise, owner):
    MatchResult.objects.filter(enterprise_id=enterprise.pk).delete()
    client.force_login(owner)
    response = client.post("/policies/mine/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="matches-body"')
    stored = dict(MatchResult.objects.filter(enterprise_id=enterprise.pk).values_list("item__code", "status"))
    assert stored == {"T-QUALIFY": "eligible", "T-NEEDS-INFO": "needs_info"}
    assert (
        AuditEvent.objects.filter(action="policy_match.recompute", object_id=str(enterprise.pk)).count() == 1
    )


def test_staff_open_the_page_of_any_enterprise_and_are_sent_away_from_mine(client, items, enterprise):
    client.force_login(UserFactory(role="handler"))
    response = client.get(f"/policies/enterprises/{enterprise.uscc}/matches/")
    assert response.status_code == 200
    assert "¥200,000.00" in response.content.decode()
    assert client.get("/policies/mine/").status_code == 302


def test_the_enterprise_detail_page_links_to_its_matches(client, enterprise):
    client.force_login(UserFactory(role="handler"))
    html = client.get(f"/enterprises/{enterprise.uscc}/").content.decode()
    assert f"/policies/enterprises/{enterprise.uscc}/matches/" in html
