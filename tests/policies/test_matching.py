"""Matching against hand-computed expectations, which version is in force on a date, and the bulk
(Polars) and single (explained) paths agreeing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from huiqi.core.errors import NotFoundError
from huiqi.policies import services
from huiqi.policies.errors import PolicyItemNotFoundError
from huiqi.policies.matching import match_all, match_enterprise, registry_frame
from huiqi.policies.models import MatchResult, PolicyItemVersion
from huiqi.policies.selectors import effective_versions
from huiqi.rules import derived
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2023, 6, 30)
BASE = {"region_code": "370102", "established_on": date(2020, 6, 30), "tags": "", "revenue": None}

# name -> (facts, expected status, expected amount) for the contract's example item on AS_OF:
# region 3701*, age_years <= 5, and (revenue >= 10M or tag 高新技术企业);
# reward: revenue >= 50M -> 500000, revenue >= 10M -> revenue * 1%, cap 300000.
CASES = {
    "tier_two": ({"revenue": Decimal("20000000.00")}, "eligible", Decimal("200000.00")),
    "tier_one_capped": ({"revenue": Decimal("60000000.00")}, "eligible", Decimal("300000.00")),
    "formula_capped": ({"revenue": Decimal("45000000.00")}, "eligible", Decimal("300000.00")),
    "half_up_to_the_fen": ({"revenue": Decimal("12345678.50")}, "eligible", Decimal("123456.79")),
    "tag_without_revenue_tier_unknown": ({"tags": "高新技术企业"}, "needs_info", None),
    "tag_small_revenue_no_tier": (
        {"tags": "专精特新中小企业;高新技术企业", "revenue": Decimal("100.00")},
        "eligible",
        Decimal("0.00"),
    ),
    "small_revenue": ({"revenue": Decimal("5000000.00")}, "ineligible", None),
    "unknown_revenue_no_tag": ({}, "needs_info", None),
    "other_region": ({"region_code": "440300", "revenue": Decimal("20000000.00")}, "ineligible", None),
    "too_old": ({"established_on": date(2017, 1, 1), "revenue": Decimal("20000000.00")}, "ineligible", None),
    "exactly_five_years": (
        {"established_on": date(2018, 6, 30), "revenue": Decimal("10000000.00")},
        "eligible",
        Decimal("100000.00"),
    ),
    "five_years_and_a_day": (
        {"established_on": date(2018, 6, 29), "revenue": Decimal("10000000.00")},
        "ineligible",
        None,
    ),
}


@pytest.fixture
def enterprises():
    return {
        name: EnterpriseFactory(**{**BASE, **facts}, name=f"企业{name}")
        for name, (facts, _s, _a) in CASES.items()
    }


@pytest.fixture
def contract_item(make_item, write_yaml):
    report = services.import_policy_items(paths=[write_yaml("jn.yaml", make_item())])
    assert report.rejected == []


def _results(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[str, Decimal | None]]:
    return {
        (u, c): (s, a) for u, c, s, a in frame.select("uscc", "item_code", "status", "amount").iter_rows()
    }


def test_match_all_gives_the_hand_computed_results(enterprises, contract_item):
    frame = match_all(as_of=AS_OF)
    assert frame.columns == ["uscc", "item_code", "status", "amount"]
    expected = {
        (enterprises[name].uscc, "JN-2021-CXQY-01"): (status, amount)
        for name, (_f, status, amount) in CASES.items()
    }
    assert _results(frame) == expected


def test_statuses_keeps_only_the_requested_results(enterprises, contract_item):
    frame = match_all(as_of=AS_OF, statuses=("eligible", "needs_info"))
    expected = {name for name, (_f, status, _a) in CASES.items() if status != "ineligible"}
    assert set(frame["uscc"]) == {enterprises[name].uscc for name in expected}


def test_single_enterprise_evaluation_agrees_with_the_bulk_one_and_explains(enterprises, contract_item):
    bulk = _results(match_all(as_of=AS_OF))
    for name, enterprise in enterprises.items():
        [match] = match_enterprise(enterprise=enterprise, as_of=AS_OF)
        assert (match.status, match.amount) == bulk[(enterprise.uscc, "JN-2021-CXQY-01")], name
    [small] = match_enterprise(enterprise=enterprises["small_revenue"], as_of=AS_OF)
    assert any("上年营业收入" in reason for reason in small.result.trace.reasons)
    [unknown] = match_enterprise(enterprise=enterprises["unknown_revenue_no_tag"], as_of=AS_OF)
    assert "revenue" in unknown.result.trace.missing
    assert any(
        reason.startswith("缺少") and "上年营业收入" in reason for reason in unknown.result.trace.reasons
    )


def test_an_item_outside_its_effective_dates_yields_no_result_at_all(enterprises, contract_item):
    assert match_all(as_of=date(2020, 12, 31)).is_empty()
    assert match_all(as_of=date(2024, 1, 1)).is_empty()
    assert match_all(as_of=date(2023, 12, 31)).height == len(CASES)  # effective_to is inclusive
    assert match_all(as_of=date(2021, 1, 1)).height == len(CASES)  # and so is effective_from
    assert match_enterprise(enterprise=enterprises["tier_two"], as_of=date(2024, 1, 1)) == []


def test_a_new_version_supersedes_the_previous_one_from_its_effective_date(make_item, write_yaml):
    enterprise = EnterpriseFactory(**{**BASE, "revenue": Decimal("20000000.00")})
    services.import_policy_items(paths=[write_yaml("v1.yaml", make_item())])
    v2 = make_item(
        effective_from=date(2023, 7, 1), effective_to=date(2023, 8, 31), reward={"fixed": 1000}, examples=None
    )
    services.import_policy_items(paths=[write_yaml("v2.yaml", v2)])

    def amount_on(day: date) -> Decimal | None:
        rows = match_all(as_of=day, uscc=enterprise.uscc)["amount"].to_list()
        return rows[0] if rows else None

    assert amount_on(date(2023, 6, 30)) == Decimal("200000.00")  # v1, before v2 takes effect
    assert amount_on(date(2023, 7, 1)) == Decimal("1000.00")  # v2 from its effective date
    assert amount_on(date(2023, 8, 31)) == Decimal("1000.00")
    # v2 ended: the item yields nothing, v1 does not come back although it runs to 2023-12-31.
    assert amount_on(date(2023, 9, 1)) is None


def test_retired_and_unpublished_versions_are_never_in_force(make_item, write_yaml):
    services.import_policy_items(paths=[write_yaml("v1.yaml", make_item())])
    services.import_policy_items(paths=[write_yaml("v2.yaml", make_item(title="草稿"))], as_draft=True)
    [version] = effective_versions(as_of=AS_OF)
    assert version.number == 1
    services.retire_item_version(
        actor=UserFactory(role="policy_reviewer"), version=version, reason="停止执行"
    )
    assert effective_versions(as_of=AS_OF) == []


def test_item_and_uscc_limit_the_evaluation(enterprises, contract_item, make_item, write_yaml):
    services.import_policy_items(paths=[write_yaml("other.yaml", make_item(code="OTHER-01"))])
    assert match_all(as_of=AS_OF).height == 2 * len(CASES)
    assert set(match_all(as_of=AS_OF, item_code="OTHER-01")["item_code"]) == {"OTHER-01"}
    one = enterprises["tier_two"].uscc
    frame = match_all(as_of=AS_OF, uscc=one.lower())
    assert set(frame["uscc"]) == {one}
    assert frame.height == 2
    with pytest.raises(PolicyItemNotFoundError):
        match_all(as_of=AS_OF, item_code="NOPE")
    with pytest.raises(NotFoundError):
        match_all(as_of=AS_OF, uscc="91370102MA3C00000X")


def test_registry_frame_has_the_profile_with_derived_facts(enterprises):
    frame = registry_frame(as_of=AS_OF, chunk_size=5)  # several chunks
    assert frame.height == len(CASES)
    assert frame.schema["tags"] == pl.List(pl.String)
    rows = {row["uscc"]: row for row in frame.iter_rows(named=True)}
    for enterprise in enterprises.values():
        row = rows[enterprise.uscc]
        assert row["enterprise_id"] == enterprise.pk
        assert row["age_years"] == derived.age_years(enterprise.established_on, AS_OF)
        assert row["rd_ratio"] == derived.rd_ratio(enterprise.rd_expense, enterprise.revenue)
        assert row["tags"] == enterprise.tag_list
        assert row["size_class"] == enterprise.size_class
    narrow = registry_frame(as_of=AS_OF, fields={"age_years"})
    assert narrow.columns == ["enterprise_id", "uscc", "established_on", "age_years"]


def test_record_match_results_stores_eligible_and_needs_info_rows(enterprises, contract_item):
    run = services.record_match_results(as_of=AS_OF)
    expected = {
        enterprises[name].pk: (status, amount)
        for name, (_f, status, amount) in CASES.items()
        if status != "ineligible"
    }
    stored = {row.enterprise_id: (row.status, row.amount) for row in MatchResult.objects.all()}
    assert stored == expected
    assert run.stored_count == len(expected)
    assert {row.item_version_id for row in MatchResult.objects.all()} == set(
        PolicyItemVersion.objects.values_list("pk", flat=True)
    )
    again = services.record_match_results(as_of=date(2024, 1, 1))  # item no longer in force
    assert again.stored_count == 0
    assert not MatchResult.objects.exists()
