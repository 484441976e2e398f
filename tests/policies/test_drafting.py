"""Drafting services (policies/drafting.py): the editor creates an item, changes its draft and starts a
new version from the published one; faults come back by path; only the policy editor drafts; audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from huiqi.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from huiqi.core.models import AuditEvent
from huiqi.policies import drafting, services
from huiqi.policies.errors import PolicyVersionImmutableError
from huiqi.policies.models import PolicyDocument, PolicyItem, PolicyItemVersion, VersionTransition
from huiqi.policies.workflow import VersionStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def form_data(**changes: Any) -> dict[str, Any]:
    """An item as the editor's page sends it (dates as dates, the budget as a Decimal)."""
    data: dict[str, Any] = {
        "code": "JN-2025-GMSW-01",
        "title": "规模以上企业首次入统奖励",
        "policy": "济南市促进企业上规模若干措施",
        "document_number": "济政办发〔2025〕3号",
        "level": "city",
        "region_code": "370100",
        "department": "济南市工业和信息化局",
        "effective_from": date(2025, 1, 1),
        "effective_to": None,
        "auto_entitlement": False,
        "budget_amount": Decimal("5000000.00"),
        "application_opens_on": None,
        "application_closes_on": None,
        "document_id": None,
        "eligibility": {
            "all": [
                {"field": "region_code", "op": "starts_with", "value": "3701"},
                {"field": "revenue", "op": "ge", "value": 20000000},
            ]
        },
        "reward": {"formula": "revenue * 0.001", "cap": 100000},
        "examples": [
            {
                "profile": {"region_code": "370102", "revenue": 30000000},
                "expect": {"status": "eligible", "amount": 30000},
            },
            {"profile": {"region_code": "370102", "revenue": 1000}, "expect": {"status": "ineligible"}},
        ],
    }
    data.update(changes)
    return data


@pytest.fixture
def draft(editor) -> PolicyItemVersion:
    return drafting.create_draft_item(actor=editor, data=form_data())


def test_editor_creates_an_item_whose_first_version_is_a_draft_with_history_and_audit(editor):
    version = drafting.create_draft_item(actor=editor, data=form_data())

    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert version.number == 1
    assert version.item.code == "JN-2025-GMSW-01"
    assert version.created_by == editor
    assert version.budget_amount == Decimal("5000000.00")
    assert version.reward == {"formula": "revenue * 0.001", "cap": 100000}
    assert version.document.document_number == "济政办发〔2025〕3号"
    assert version.item.document == version.document
    assert "revenue * 0.001" in version.source_yaml
    assert list(VersionTransition.objects.filter(version=version).values_list("step", "to_status")) == [
        ("create", "draft")
    ]
    event = AuditEvent.objects.get(action="policy_item.create_draft")
    assert event.actor_id == editor.pk
    assert event.object_id == str(version.pk)


def test_faults_are_reported_by_path_relative_to_the_item_and_nothing_is_saved(editor):
    data = form_data(
        title="",
        eligibility={
            "all": [
                {"field": "region_code", "op": "starts_with", "value": "3701"},
                {"any": [{"field": "revenue", "op": "ge", "value": "一千万"}]},
            ]
        },
        reward={"formula": "__import__('os')"},
    )
    with pytest.raises(ValidationFailedError) as caught:
        drafting.create_draft_item(actor=editor, data=data)

    errors = caught.value.extra["errors"]
    assert "eligibility.all[1].any[0].value" in errors
    assert "数值" in errors["eligibility.all[1].any[0].value"][0]
    assert "title" in errors
    assert "reward.formula" in errors
    assert not PolicyItem.objects.exists()
    assert not PolicyDocument.objects.exists()


def test_an_existing_document_chosen_by_id_supplies_the_document_keys(editor):
    document = PolicyDocument.objects.create(
        title="山东省支持专精特新企业发展的若干措施",
        issuing_department="山东省工业和信息化厅",
        level="province",
        region_code="370000",
    )
    version = drafting.create_draft_item(
        actor=editor,
        data=form_data(document_id=document.pk, policy="", level="", region_code="", department=""),
    )
    assert version.document == document
    assert "level: province" in version.source_yaml


def test_a_code_already_used_is_refused_on_the_code(editor, draft):
    with pytest.raises(ValidationFailedError) as caught:
        drafting.create_draft_item(actor=editor, data=form_data(title="另一个"))
    assert "code" in caught.value.extra["errors"]
    assert PolicyItemVersion.objects.count() == 1


@pytest.mark.parametrize("role", ["policy_reviewer", "enterprise", "system_admin"])
def test_only_the_policy_editor_drafts(role):
    with pytest.raises(PermissionDeniedError):
        drafting.create_draft_item(actor=UserFactory(role=role), data=form_data())
    assert not PolicyItem.objects.exists()


def test_updating_a_draft_replaces_its_content_and_audits_what_changed(editor, draft):
    data = form_data(
        title="规模以上企业首次入统奖励（修订）",
        eligibility={"field": "revenue", "op": "ge", "value": 25000000},
        examples=[],
    )
    updated = drafting.update_draft_version(actor=editor, version=draft, data=data)

    updated.refresh_from_db()
    assert updated.title == "规模以上企业首次入统奖励（修订）"
    assert updated.eligibility == {"field": "revenue", "op": "ge", "value": 25000000}
    assert updated.examples == []
    event = AuditEvent.objects.get(action="policy_item.update_draft")
    assert set(event.after) == {"title", "eligibility", "examples"}
    assert event.before["title"] == "规模以上企业首次入统奖励"


def test_the_code_of_a_draft_cannot_change(editor, draft):
    with pytest.raises(ValidationFailedError) as caught:
        drafting.update_draft_version(actor=editor, version=draft, data=form_data(code="OTHER-01"))
    assert "code" in caught.value.extra["errors"]


def test_a_version_in_review_cannot_be_updated(editor, draft):
    services.submit_for_review(actor=editor, version=draft)
    with pytest.raises(PolicyVersionImmutableError):
        drafting.update_draft_version(actor=editor, version=draft, data=form_data(title="改"))


def test_a_draft_whose_examples_fail_is_saved_but_cannot_be_submitted(editor):
    failing = form_data(
        examples=[
            {"profile": {"region_code": "370102", "revenue": 30000000}, "expect": {"status": "ineligible"}}
        ]
    )
    version = drafting.create_draft_item(actor=editor, data=failing)
    check = drafting.check_draft_data(data=failing)
    assert check.is_valid
    assert [example.is_passing for example in check.examples] == [False]
    assert "示例 1" in check.examples[0].message
    with pytest.raises(ValidationFailedError):
        services.submit_for_review(actor=editor, version=version)


def test_check_gives_each_example_its_result_and_amount():
    check = drafting.check_draft_data(data=form_data())
    assert check.errors == {}
    assert [(e.index, e.is_passing, e.status, e.amount) for e in check.examples] == [
        (0, True, "eligible", Decimal("30000.00")),
        (1, True, "ineligible", None),
    ]


def test_new_draft_copies_the_published_version_and_only_one_open_version_is_allowed(editor, reviewer, draft):
    services.submit_for_review(actor=editor, version=draft)
    services.publish_item_version(actor=reviewer, version=draft)

    second = drafting.new_draft_from_published(actor=editor, item=draft.item)

    assert second.number == 2
    assert second.status == VersionStatus.DRAFT
    assert second.eligibility == draft.eligibility
    assert second.examples == draft.examples
    assert AuditEvent.objects.filter(action="policy_item.new_draft", object_id=str(second.pk)).exists()
    with pytest.raises(ConflictError):
        drafting.new_draft_from_published(actor=editor, item=draft.item)


def test_new_draft_needs_a_published_version(editor, draft):
    with pytest.raises(ConflictError):  # the first version is still a draft: work on that one
        drafting.new_draft_from_published(actor=editor, item=draft.item)
    PolicyItemVersion.objects.filter(pk=draft.pk).update(status=VersionStatus.IN_REVIEW)
    with pytest.raises(ConflictError):
        drafting.new_draft_from_published(actor=editor, item=draft.item)
