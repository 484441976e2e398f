"""Pages of the policy editor and reviewer (views_editor.py): who may see and do what, faults shown
where they belong, the workflow buttons, and publishing refused when an example fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from huiqi.policies import drafting, services
from huiqi.policies.item_file import jsonable
from huiqi.policies.models import PolicyItemVersion
from huiqi.policies.workflow import VersionStatus
from tests.factories import EnterpriseUserFactory
from tests.policies.test_drafting import form_data

pytestmark = pytest.mark.django_db


def post_data(**changes: Any) -> dict[str, str]:
    """The editor form as the browser posts it (rules as JSON written by the builder)."""
    data = form_data(**changes)
    posted = {}
    for key, value in data.items():
        if key in ("eligibility", "reward", "examples"):
            posted[key] = json.dumps(value, ensure_ascii=False) if value is not None else ""
        elif value is None or value is False:
            continue
        else:
            posted[key] = "on" if value is True else str(value)
    return posted


@pytest.fixture
def enterprise_user() -> Any:
    return EnterpriseUserFactory()


@pytest.fixture
def draft(editor) -> PolicyItemVersion:
    return drafting.create_draft_item(actor=editor, data=form_data())


@pytest.fixture
def in_review(editor, draft) -> PolicyItemVersion:
    return services.submit_for_review(actor=editor, version=draft)


def version_page(version: PolicyItemVersion) -> str:
    return reverse("policies:version_detail", args=[version.item.code, version.number])


def step(client, version: PolicyItemVersion, name: str, reason: str = "") -> Any:
    url = reverse("policies:version_step", args=[version.item.code, version.number])
    return client.post(url, {"step": name, "reason": reason}, follow=True)


# ------------------------------------------------------------------------------------ access
@pytest.mark.parametrize(("who", "status"), [("editor", 200), ("reviewer", 200), ("enterprise_user", 403)])
def test_item_list_is_for_editors_and_reviewers(client, request, draft, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("policies:item_list"))
    assert response.status_code == status
    if status == 200:
        assert draft.item.code in response.content.decode()


def test_item_list_filters_by_status(client, editor, draft):
    client.force_login(editor)
    assert draft.item.code in client.get(reverse("policies:item_list"), {"status": "draft"}).content.decode()
    assert (
        draft.item.code
        not in client.get(reverse("policies:item_list"), {"status": "published"}).content.decode()
    )


@pytest.mark.parametrize(("who", "status"), [("editor", 200), ("reviewer", 403), ("enterprise_user", 403)])
def test_only_the_editor_opens_the_item_editor(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("policies:item_new"))
    assert response.status_code == status


@pytest.mark.parametrize(("who", "status"), [("editor", 403), ("reviewer", 200), ("enterprise_user", 403)])
def test_only_the_reviewer_has_the_review_queue(client, request, in_review, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("policies:review_queue"))
    assert response.status_code == status
    if status == 200:
        assert in_review.item.code in response.content.decode()


def test_menu_shows_policy_editing_to_the_editor_and_review_to_the_reviewer(client, editor, reviewer):
    client.force_login(editor)
    page = client.get(reverse("policies:item_list")).content.decode()
    assert "政策编辑" in page
    assert reverse("policies:review_queue") + '"' not in page.split("<main")[0]
    client.force_login(reviewer)
    page = client.get(reverse("policies:review_queue")).content.decode()
    assert "政策审核" in page.split("<main")[0]


# ------------------------------------------------------------------------------------ editor
def test_editor_page_carries_the_field_registry_from_the_rules_engine(client, editor):
    client.force_login(editor)
    response = client.get(reverse("policies:item_new"))
    config = response.context["builder_config"]
    revenue = next(field for field in config["fields"] if field["name"] == "revenue")
    assert revenue["label"] == "上年营业收入"
    assert revenue["unit"] == "元"
    assert "between" in revenue["operators"]
    assert "contains" not in revenue["operators"]
    assert config["operators"]["le"] == "不大于"
    assert 'id="builder-config"' in response.content.decode()


def test_saving_a_new_item_creates_a_draft_and_opens_it_for_editing(client, editor):
    client.force_login(editor)
    response = client.post(reverse("policies:item_new"), post_data())
    version = PolicyItemVersion.objects.get(item__code="JN-2025-GMSW-01")
    assert response.status_code == 302
    assert response["Location"] == reverse("policies:version_edit", args=[version.item.code, 1])
    assert version.status == VersionStatus.DRAFT
    assert version.reward == {"formula": "revenue * 0.001", "cap": 100000}


def test_validation_errors_are_shown_on_the_inputs_and_by_path_for_the_builder(client, editor):
    client.force_login(editor)
    eligibility = {
        "all": [
            {"field": "region_code", "op": "starts_with", "value": "3701"},
            {"any": [{"field": "revenue", "op": "ge", "value": "abc"}]},
        ]
    }
    response = client.post(reverse("policies:item_new"), post_data(title="", eligibility=eligibility))

    assert response.status_code == 400
    assert not PolicyItemVersion.objects.exists()
    assert response.context["form"].errors["title"]
    rule_errors = response.context["rule_errors"]
    assert list(rule_errors) == ["eligibility.all[1].any[0].value"]
    page = response.content.decode()
    assert "eligibility.all[1].any[0].value" in page  # in the rule-errors JSON the builder reads
    # What was typed is shown again, faults and all.
    assert response.context["builder_state"]["eligibility"] == eligibility


def test_saving_an_update_to_a_draft_and_submitting_it(client, editor, draft):
    client.force_login(editor)
    url = reverse("policies:version_edit", args=[draft.item.code, draft.number])
    response = client.post(url, {**post_data(title="改过的名称"), "then": "submit"}, follow=True)
    draft.refresh_from_db()
    assert draft.title == "改过的名称"
    assert draft.status == VersionStatus.IN_REVIEW
    assert "已提交审核" in response.content.decode()


def test_a_version_in_review_is_not_editable(client, editor, in_review):
    client.force_login(editor)
    response = client.get(reverse("policies:version_edit", args=[in_review.item.code, in_review.number]))
    assert response.status_code == 302
    assert response["Location"] == version_page(in_review)


def test_live_check_returns_faults_by_path_and_example_results(client, editor, reviewer):
    data = jsonable(form_data(eligibility={"all": [{"field": "revenue", "op": "contains", "value": 1}]}))
    client.force_login(editor)
    response = client.post(reverse("policies:editor_check"), {"item": data}, content_type="application/json")
    assert response.status_code == 200
    assert "eligibility.all[0].op" in response.json()["errors"]

    good = jsonable(form_data())  # as the builder sends it: numbers as JSON numbers, dates as text
    result = client.post(
        reverse("policies:editor_check"), {"item": good}, content_type="application/json"
    ).json()
    assert result["errors"] == {}
    assert [(e["is_passing"], e["amount"]) for e in result["examples"]] == [(True, "30000.00"), (True, None)]

    client.force_login(reviewer)
    refused = client.post(
        reverse("policies:editor_check"),
        {"item": good},
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 403


def test_yaml_typed_in_the_page_is_read_safely_and_faults_come_back_by_path(client, editor):
    client.force_login(editor)
    url = reverse("policies:editor_parse_yaml")
    text = (
        'code: X-1\ntitle: 测试\npolicy: 文件\nlevel: city\nregion_code: "370100"\ndepartment: 局\n'
        "effective_from: 2025-01-01\neligibility:\n  all:\n    - {field: revenue, op: ge, value: 100}\n"
        "    - {field: nope, op: eq, value: 1}\n"
    )
    result = client.post(url, {"yaml": text}, content_type="application/json").json()
    assert result["item"]["effective_from"] == "2025-01-01"
    assert result["item"]["eligibility"]["all"][0] == {"field": "revenue", "op": "ge", "value": 100}
    assert "eligibility.all[1].field" in result["errors"]

    hostile = client.post(
        url, {"yaml": "code: !!python/object/apply:os.system ['true']\n"}, content_type="application/json"
    )
    assert hostile.status_code == 400
    assert hostile.json()["syntax"]


# ---------------------------------------------------------------------------------- workflow
def test_buttons_follow_the_workflow_table(client, editor, reviewer, draft):
    client.force_login(editor)
    page = client.get(version_page(draft)).content.decode()
    assert 'value="submit"' in page
    assert 'value="publish"' not in page
    services.submit_for_review(actor=editor, version=draft)
    page = client.get(version_page(draft)).content.decode()
    assert 'value="submit"' not in page
    assert 'value="publish"' not in page

    client.force_login(reviewer)
    page = client.get(version_page(draft)).content.decode()
    assert 'value="publish"' in page
    assert 'value="return_to_editor"' in page
    assert "同时满足以下全部条件" in page
    assert "上年营业收入需 ≥ 20,000,000 元" in page


def test_reviewer_publishes_a_version_in_review(client, reviewer, in_review):
    client.force_login(reviewer)
    response = step(client, in_review, "publish")
    in_review.refresh_from_db()
    assert in_review.status == VersionStatus.PUBLISHED
    assert in_review.reviewed_by == reviewer
    assert "已发布" in response.content.decode()


def test_publish_is_refused_with_a_clear_message_when_an_example_fails(client, reviewer, in_review):
    # An example that no longer holds (written into the row directly: the content is frozen in review).
    examples = [
        {
            "profile": {"region_code": "370102", "revenue": 30000000},
            "expect": {"status": "eligible", "amount": 1},
        }
    ]
    PolicyItemVersion.objects.filter(pk=in_review.pk).update(examples=examples)
    client.force_login(reviewer)

    response = step(client, in_review, "publish")

    in_review.refresh_from_db()
    assert in_review.status == VersionStatus.IN_REVIEW
    page = response.content.decode()
    assert "不能“审核发布”" in page
    assert "示例 1 不通过" in page
    assert "期望 eligible、金额 1.00" in page


def test_editor_cannot_publish_through_the_page(client, editor, in_review):
    client.force_login(editor)
    response = step(client, in_review, "publish")
    in_review.refresh_from_db()
    assert in_review.status == VersionStatus.IN_REVIEW
    assert "政策审核" in response.content.decode()  # the role it needs is named


def test_returning_to_the_editor_needs_a_reason(client, reviewer, in_review):
    client.force_login(reviewer)
    step(client, in_review, "return_to_editor")
    in_review.refresh_from_db()
    assert in_review.status == VersionStatus.IN_REVIEW
    response = step(client, in_review, "return_to_editor", reason="门槛与文件不一致")
    in_review.refresh_from_db()
    assert in_review.status == VersionStatus.DRAFT
    assert "门槛与文件不一致" in response.content.decode()
    # The editor sees the reason where the draft is edited.
    client.force_login(in_review.created_by)
    edit = client.get(reverse("policies:version_edit", args=[in_review.item.code, in_review.number]))
    assert "审核退回" in edit.content.decode()
    assert "门槛与文件不一致" in edit.content.decode()


def test_review_page_shows_the_difference_from_the_published_version(client, editor, reviewer, in_review):
    services.publish_item_version(actor=reviewer, version=in_review)
    client.force_login(editor)
    client.post(reverse("policies:version_new", args=[in_review.item.code]))
    second = PolicyItemVersion.objects.get(item=in_review.item, number=2)
    changed = {
        "all": [
            {"field": "region_code", "op": "starts_with", "value": "3701"},
            {"field": "revenue", "op": "ge", "value": 25000000},
        ]
    }
    drafting.update_draft_version(
        actor=editor, version=second, data=form_data(eligibility=changed, examples=[])
    )

    page = client.get(version_page(second)).content.decode()
    assert 'id="version-diff"' in page
    assert "+  - {field: revenue, op: ge, value: 25000000}" in page
    assert "-  - {field: revenue, op: ge, value: 20000000}" in page
    assert "/impact/" in page


def test_document_search_offers_existing_documents_to_choose(client, editor, draft, enterprise_user):
    client.force_login(editor)
    found = client.get(reverse("policies:editor_documents"), {"q": "上规模"}).json()["documents"]
    assert [(d["id"], d["level_label"]) for d in found] == [(draft.document_id, "市级")]
    assert client.get(reverse("policies:editor_documents"), {"q": "没有这个文件"}).json()["documents"] == []
    client.force_login(enterprise_user)
    assert client.get(reverse("policies:editor_documents"), {"q": "上规模"}).status_code == 403


def test_item_page_opens_its_newest_version_and_an_unknown_code_is_not_found(client, reviewer, draft):
    client.force_login(reviewer)
    response = client.get(reverse("policies:item_detail", args=[draft.item.code]))
    assert response["Location"] == version_page(draft)
    assert client.get(reverse("policies:item_detail", args=["NO-SUCH-1"])).status_code == 404
