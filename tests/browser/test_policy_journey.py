"""The policy journey (issue 4, "Done means"): a policy editor builds an item with the visual condition
builder, sees its impact preview and submits it; a policy reviewer publishes it; an enterprise user sees
it among "我能享受哪些政策" with the amount and the explanation."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.accounts.enums import Role
from huiqi.policies import services
from huiqi.policies.models import PolicyItemVersion
from tests.factories import EnterpriseFactory, EnterpriseUserFactory, UserFactory, uscc_for

CODE = "JN-2025-ZXQY-01"


@pytest.fixture(autouse=True)
def _search_cache_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Publishing queues the warming of policy search's token cache, which the immediate task
    backend runs at once: into the test's own folder."""
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"


def leaf(page, index: int = -1):  # type: ignore[no-untyped-def]
    """The index-th condition row of the eligibility builder (the newest by default)."""
    return page.locator("#eligibility-builder .cb-leaf").nth(index)


def build_item(page) -> None:  # type: ignore[no-untyped-def]
    """Fill the editor as a person would: fields typed, conditions added by clicking."""
    page.fill("#id_code", CODE)
    page.fill("#id_title", "济南市中小企业成长奖励")
    page.fill("#id_policy", "济南市支持中小企业加快成长的若干措施")
    page.fill("#id_document_number", "济政发〔2025〕8号")
    page.select_option("#id_level", "city")
    page.fill("#id_region_code", "370100")
    page.fill("#id_department", "济南市工业和信息化局")
    page.fill("#id_effective_from", "2024-01-01")
    page.fill("#id_budget_amount", "1000000")

    builder = page.locator("#eligibility-builder")
    # 1. 区划代码 以…开头 3701
    builder.locator(".cb-group-head").first.get_by_role("button", name="添加条件", exact=True).click()
    leaf(page).locator("select.cb-field").select_option("region_code")
    leaf(page).locator("select.cb-op").select_option("starts_with")
    leaf(page).locator(".cb-chip-input").fill("3701")
    leaf(page).locator(".cb-chip-input").press("Enter")
    # 2. a nested 任一满足 group: 上年营业收入 不小于 10,000,000 元, or the 高新技术企业 tag
    builder.locator(".cb-group-head").first.get_by_role("button", name="添加条件组").click()
    nested = builder.locator(".cb-group .cb-group")
    assert nested.locator(".cb-group-op").input_value() == "any"
    nested.locator(".cb-leaf").first.locator("select.cb-field").select_option("revenue")
    assert nested.locator("select.cb-op").input_value() == "ge"  # 不小于, the usual threshold
    value = nested.locator(".cb-leaf").first.locator("input.cb-value")
    value.fill("1000万")  # checked as typed: not a number
    assert "须为数值" in nested.locator(".cb-leaf").first.locator(".cb-client-errs").inner_text()
    value.fill("10000000")
    assert nested.locator(".cb-leaf").first.locator(".cb-client-errs").inner_text().strip() == ""
    assert "1,000 万元" in nested.locator(".cb-leaf").first.inner_text()
    nested.locator(".cb-group-head").get_by_role("button", name="添加条件", exact=True).click()
    tag_leaf = nested.locator(".cb-leaf").nth(1)
    tag_leaf.locator("select.cb-field").select_option("tags")
    tag_leaf.locator("input.cb-value").fill("高新技术企业")

    # Reward: 1% of revenue, capped at 150,000 yuan.
    page.get_by_text("按公式计算").click()
    page.locator("#reward-editor input.cb-formula").fill("revenue * 0.01")
    page.locator("#reward-has-cap").check()
    page.locator("#reward-editor input.cb-cap").fill("150000")

    # An example: an enterprise in 历下区 with 20 million yuan of revenue gets the cap.
    page.get_by_role("button", name="添加示例").click()
    page.get_by_role("button", name="填入条件中的字段").click()
    example = page.locator(".cb-example").first
    rows = example.locator(".cb-profile-row")
    rows.nth(0).locator("input.cb-value").fill("370102")
    rows.nth(1).locator("input.cb-value").fill("20000000")
    example.locator("#check-amount-0").check()
    example.locator("input.cb-expect-amount").fill("150000")


@pytest.mark.browser
def test_editor_builds_an_item_reviewer_publishes_it_and_the_enterprise_sees_its_amount(
    page, sign_in, screenshot, live_server
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    editor = UserFactory(role=Role.POLICY_EDITOR, username="editor_journey", full_name="李编辑")
    reviewer = UserFactory(role=Role.POLICY_REVIEWER, username="reviewer_journey", full_name="赵审核")
    matching = EnterpriseFactory(
        uscc=uscc_for(700001),
        name="济南成长科技有限公司",
        region_code="370102",
        revenue=Decimal("20000000.00"),
    )
    EnterpriseFactory(uscc=uscc_for(700002), name="济南小微商贸有限公司", revenue=Decimal("800000.00"))
    EnterpriseFactory(
        uscc=uscc_for(700003, region_code="370202"), region_code="370202", revenue=Decimal("9e7")
    )
    owner = EnterpriseUserFactory(username="ent_journey", enterprises=[matching])

    # ---- the editor builds the item
    sign_in(editor)
    page.get_by_role("link", name="政策编辑").click()
    page.wait_for_url("**/policies/items/")
    page.get_by_role("link", name="新建奖补项目").first.click()
    page.wait_for_url("**/policies/items/new/")
    build_item(page)

    yaml = page.locator("#yaml-text")
    page.wait_for_function(
        "document.getElementById('yaml-text').value.includes('formula: \"revenue * 0.01\"')"
    )
    text = yaml.input_value()
    assert '- {field: region_code, op: starts_with, value: "3701"}' in text
    assert "    - any:\n        - {field: revenue, op: ge, value: 10000000}" in text
    assert "cap: 150000" in text
    # The server's check agrees: rules valid and the example passes.
    page.wait_for_selector("#check-summary:has-text('条件与奖励有效'):has-text('示例全部通过')")
    assert "通过" in page.locator(".cb-example-result").first.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("policy-editor-built")

    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(f"**/policies/items/{CODE}/versions/1/edit/")
    assert "已保存草稿" in page.locator("main").inner_text()
    version = PolicyItemVersion.objects.get(item__code=CODE)
    assert version.eligibility == {
        "all": [
            {"field": "region_code", "op": "starts_with", "value": "3701"},
            {
                "any": [
                    {"field": "revenue", "op": "ge", "value": 10000000},
                    {"field": "tags", "op": "contains", "value": "高新技术企业"},
                ]
            },
        ]
    }
    assert version.reward == {"formula": "revenue * 0.01", "cap": 150000}
    # The saved draft comes back into the builder as it was built.
    assert page.locator("#eligibility-builder .cb-group .cb-group .cb-leaf").count() == 2
    screenshot("policy-editor-saved")

    # ---- the impact preview (issue 4 item 5): one enterprise of the three qualifies
    page.get_by_role("link", name="影响预估").click()
    page.wait_for_url(f"**/policies/items/{CODE}/versions/1/impact/")
    page.wait_for_selector("#count-eligible")
    assert page.locator("#count-eligible").inner_text().strip() == "1"
    screenshot("policy-impact")

    # ---- submit for review from the version page
    page.goto(f"/policies/items/{CODE}/versions/1/")
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_selector("#version-status:has-text('待审核')")
    assert page.locator("#publish-button").count() == 0  # the editor cannot publish

    # ---- the reviewer publishes
    page.context.clear_cookies()
    sign_in(reviewer)
    page.get_by_role("link", name="政策审核").click()
    page.wait_for_url("**/policies/review/")
    screenshot("policy-review-queue")
    page.locator("#review-table").get_by_role("link", name="审核", exact=True).click()
    page.wait_for_url(f"**/policies/items/{CODE}/versions/1/")
    tree = page.locator("#rule-tree").inner_text()
    assert "区划代码需以 3701 开头" in tree
    assert "上年营业收入需 ≥ 10,000,000 元" in tree
    assert "通过" in page.locator("#example-results").inner_text()
    screenshot("policy-review")
    page.locator("#publish-button").click()
    page.wait_for_selector("#version-status:has-text('已发布')")
    assert "已发布" in page.locator(".alert-success").inner_text()

    # ---- the enterprise sees the item among its matches, with the amount and why
    page.context.clear_cookies()
    sign_in(owner)
    page.get_by_role("link", name=re.compile("我能享受")).click()
    page.wait_for_url("**/policies/mine/")
    card = page.locator(f"#qualified .match-card[data-code='{CODE}']")
    assert card.count() == 1
    assert "济南市中小企业成长奖励" in card.inner_text()
    assert card.locator(".amount").inner_text().strip() == "¥150,000.00"
    card.locator("summary").click()
    why = card.locator("details.why").inner_text()
    assert "区划代码需以 3701 开头" in why
    assert "上年营业收入需 ≥ 10,000,000 元" in why
    screenshot("policy-my-matches")

    assert problems == []


@pytest.mark.browser
def test_editor_list_and_a_nested_group_edited_through_the_yaml_view(page, sign_in, screenshot):
    """Screens of the list, and YAML typed into the YAML view applied back into the builder."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    editor = UserFactory(role=Role.POLICY_EDITOR, username="editor_yaml")
    # Some published items of the demo library, so the list has something to show.
    demo = Path(services.__file__).parent / "demo_data" / "items"
    report = services.import_policy_items(paths=[demo / "01-keji.yaml", demo / "02-gongxin.yaml"])
    assert report.imported
    assert not report.rejected
    sign_in(editor)
    page.goto("/policies/items/new/")
    page.fill("#yaml-text", YAML_ITEM)
    page.get_by_role("button", name="应用到编辑器").click()
    page.wait_for_selector("#eligibility-builder .cb-not")
    assert page.locator("#id_code").input_value() == "JN-2025-ZJTX-02"
    assert page.locator("#id_title").input_value() == "专精特新企业研发奖励"
    assert page.locator("#reward-kind-tiers").is_checked()
    # The unknown field is shown beside its node, by path.
    bad = page.locator(
        '[data-path="eligibility.all[2].not.field"], [data-path="eligibility.all[2].not"]'
    ).first
    page.wait_for_selector(".cb-server-err")
    assert "未知字段" in bad.inner_text()
    screenshot("policy-editor-yaml-error")

    # Fix it in the builder, save, and look at the list.
    bad.locator("select.cb-field").select_option("red_list")
    bad.locator("select.cb-value").select_option("true")
    page.wait_for_selector("#check-summary:has-text('条件与奖励有效')")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url("**/versions/1/edit/")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("policy-editor-nested")
    page.goto("/policies/items/")
    assert "JN-2025-ZJTX-02" in page.locator("#item-table").inner_text()
    screenshot("policy-item-list")
    assert problems == []


YAML_ITEM = """\
code: JN-2025-ZJTX-02
title: 专精特新企业研发奖励
policy: 济南市支持专精特新企业高质量发展若干措施
level: city
region_code: "370100"
department: 济南市工业和信息化局
effective_from: 2024-01-01
eligibility:
  all:
    - {field: tags, op: contains_any, value: [专精特新中小企业, 专精特新“小巨人”企业]}
    - any:
        - {field: rd_ratio, op: ge, value: 0.03}
        - {field: rd_expense, op: between, value: [1000000, 50000000]}
    - not: {field: blacklisted, op: eq, value: true}
reward:
  tiers:
    - when: {field: tags, op: contains, value: 专精特新“小巨人”企业}
      fixed: 500000
    - when:
        all:
          - {field: size_class, op: in, value: [small, micro]}
      formula: "min(rd_expense * 0.1, 300000)"
  cap: 500000
"""
