"""The condition builder's model in the browser (static/huiqi/condition-builder.js): every field type
and operator survives YAML -> builder -> JSON and builder -> YAML unchanged, and values are checked as
typed with the rules engine's own limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from huiqi.accounts.enums import Role
from huiqi.policies.item_file import jsonable
from huiqi.policies.models import PolicyDocument
from tests.factories import UserFactory

EVERY_TYPE = """\
code: JN-2025-ALL-01
title: 各类字段
policy: 测试政策
level: district
region_code: "370102"
department: 历下区工业和信息化局
effective_from: 2025-01-01
effective_to: 2026-12-31
auto_entitlement: true
budget_amount: 2500000.5
application_opens_on: 2025-03-01
application_closes_on: 2025-06-30
eligibility:
  all:
    - {field: region_code, op: starts_with, value: ["3701", "3702"]}
    - {field: industry_code, op: in, value: [C3911, I6513]}
    - {field: established_on, op: between, value: [2015-01-01, 2020-12-31]}
    - {field: ownership, op: not_in, value: [state, foreign]}
    - {field: employees, op: le, value: 300}
    - {field: rd_ratio, op: ge, value: 0.035}
    - {field: revenue, op: between, value: [1000000.5, 20000000]}
    - {field: tags, op: contains_all, value: [高新技术企业, 瞪羚企业]}
    - {field: red_list, op: eq, value: false}
    - {field: contact_phone, op: is_not_null}
    - any:
        - {field: size_class, op: eq, value: small}
        - not:
            all:
              - {field: uscc, op: is_null}
              - {field: age_years, op: lt, value: 3}
reward:
  tiers:
    - when: {field: tags, op: contains, value: 瞪羚企业}
      fixed: 300000
    - when:
        any:
          - {field: tax_paid, op: gt, value: 500000}
      formula: "round(min(tax_paid * 0.2, 200000), 2)"
  cap: 250000
examples:
  - profile: {region_code: "370102", established_on: 2018-05-20, tags: [高新技术企业], red_list: false, rd_ratio: 0.05}
    expect: {status: needs_info}
  - profile: {ownership: private, size_class: small}
    expect: {status: ineligible, amount: null}
"""


def builder_item(page) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return json.loads(page.evaluate("JSON.stringify(window.huiqiPolicyEditor.itemData())"))


@pytest.mark.browser
def test_every_field_type_round_trips_through_the_builder_and_its_yaml(page, sign_in, screenshot):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(UserFactory(role=Role.POLICY_EDITOR, username="editor_types"))
    page.goto("/policies/items/new/")
    page.fill("#yaml-text", EVERY_TYPE)
    page.get_by_role("button", name="应用到编辑器").click()
    page.wait_for_selector("#eligibility-builder .cb-not")

    expected = jsonable(yaml.safe_load(EVERY_TYPE))
    item = builder_item(page)
    for key in ("eligibility", "reward", "examples", "budget_amount", "effective_to", "auto_entitlement"):
        assert item[key] == expected[key], key
    # The percentage is typed as a percentage: 0.035 is shown as 3.5 (%).
    rd_leaf = page.locator('[data-path="eligibility.all[5]"]')
    assert rd_leaf.locator("input.cb-value").input_value() == "3.5"
    # The enum list is offered as check boxes, the unchecked ones included.
    ownership = page.locator('[data-path="eligibility.all[3]"]')
    assert ownership.locator("input[type=checkbox]").count() == 6
    assert ownership.locator("input[type=checkbox]:checked").count() == 2

    # The YAML the builder writes reads back as the same item.
    generated = page.locator("#yaml-text").input_value()
    assert jsonable(yaml.safe_load(generated)) == {key: expected[key] for key in expected}
    page.wait_for_selector("#check-summary:has-text('条件与奖励有效')")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("policy-editor-every-type")
    assert problems == []


@pytest.mark.browser
def test_values_are_checked_as_typed_and_nodes_can_be_removed(page, sign_in):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(UserFactory(role=Role.POLICY_EDITOR, username="editor_checks"))
    page.goto("/policies/items/new/")
    head = page.locator("#eligibility-builder .cb-group-head").first
    head.locator(".cb-add-leaf").click()
    row = page.locator("#eligibility-builder .cb-leaf").last
    row.locator("select.cb-field").select_option("employees")
    row.locator("select.cb-op").select_option("between")
    row.locator("input.cb-low").fill("300")
    row.locator("input.cb-high").fill("20.5")
    errors = row.locator(".cb-client-errs")
    assert "须为整数" in errors.inner_text()
    row.locator("input.cb-high").fill("100")
    assert "下限不能大于上限" in errors.inner_text()
    row.locator("input.cb-high").fill("1000")
    assert errors.inner_text().strip() == ""
    assert "{field: employees, op: between, value: [300, 1000]}" in page.locator("#yaml-text").input_value()

    # A date field offers a date input; 介于 gives two.
    head.locator(".cb-add-leaf").click()
    date_row = page.locator("#eligibility-builder .cb-leaf").last
    date_row.locator("select.cb-field").select_option("established_on")
    assert date_row.locator("input[type=date]").count() == 1

    # An exclusion is added and removed; the YAML follows.
    head.locator(".cb-add-not").click()
    assert '- not: {field: "", op: ""}' in page.locator("#yaml-text").input_value()
    page.locator("#eligibility-builder .cb-not .cb-group-head .cb-remove").click()
    assert "not:" not in page.locator("#yaml-text").input_value()
    date_row.locator(".cb-remove").click()
    assert page.locator("#eligibility-builder .cb-leaf").count() == 1
    assert problems == []


@pytest.mark.browser
def test_an_existing_document_is_found_by_its_title_and_fills_the_document_fields(page, sign_in):
    document = PolicyDocument.objects.create(
        title="山东省支持专精特新中小企业高质量发展若干措施",
        document_number="鲁政办字〔2024〕12号",
        issuing_department="山东省工业和信息化厅",
        level="province",
        region_code="370000",
    )
    sign_in(UserFactory(role=Role.POLICY_EDITOR, username="editor_documents"))
    page.goto("/policies/items/new/")
    page.locator("#id_policy").press_sequentially("专精特新中小")
    page.locator("#document-suggestions").get_by_text(document.title).click()
    assert page.locator("#id_document_id").input_value() == str(document.pk)
    assert page.locator("#id_level").input_value() == "province"
    assert page.locator("#id_department").input_value() == "山东省工业和信息化厅"
    assert page.locator("#id_region_code").get_attribute("readonly") is not None
    assert "level: province" in page.locator("#yaml-text").input_value()
    page.get_by_text("不用已有文件").click()
    assert page.locator("#id_document_id").input_value() == ""
    assert page.locator("#id_region_code").get_attribute("readonly") is None
