"""The version workflow of workflow.py: every step allowed from its status by its roles, and every
other combination refused; history, audit and the immutability of what left the draft status."""

from __future__ import annotations

import pytest

from huiqi.accounts.enums import Role
from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from huiqi.core.models import AuditEvent
from huiqi.policies import services
from huiqi.policies.errors import (
    PolicyExampleFailedError,
    PolicyTransitionNotAllowedError,
    PolicyVersionImmutableError,
)
from huiqi.policies.models import PolicyItemVersion, VersionTransition
from huiqi.policies.workflow import TRANSITIONS, Step, VersionStatus, allowed_steps, transition_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STEP_SERVICES = {
    Step.SUBMIT: lambda actor, version: services.submit_for_review(actor=actor, version=version),
    Step.RETURN_TO_EDITOR: lambda actor, version: services.return_to_editor(
        actor=actor, version=version, reason="条件写错了"
    ),
    Step.PUBLISH: lambda actor, version: services.publish_item_version(actor=actor, version=version),
    Step.RETIRE: lambda actor, version: services.retire_item_version(actor=actor, version=version),
}


@pytest.fixture
def draft(make_item, write_yaml) -> PolicyItemVersion:
    path = write_yaml("item.yaml", make_item())
    report = services.import_policy_items(paths=[path], as_draft=True)
    assert not report.rejected
    return PolicyItemVersion.objects.get(item__code="JN-2021-CXQY-01")


def _version_in(status: VersionStatus, draft: PolicyItemVersion) -> PolicyItemVersion:
    # Put a version in a status without taking the steps (to test the steps from there).
    PolicyItemVersion.objects.filter(pk=draft.pk).update(status=status)
    return PolicyItemVersion.objects.get(pk=draft.pk)


def test_editor_submits_and_reviewer_publishes_with_history_and_audit(draft, editor, reviewer):
    submitted = services.submit_for_review(actor=editor, version=draft)
    assert submitted.status == VersionStatus.IN_REVIEW
    published = services.publish_item_version(actor=reviewer, version=submitted)

    published.refresh_from_db()
    assert published.status == VersionStatus.PUBLISHED
    assert published.reviewed_by == reviewer
    assert published.published_at is not None
    steps = list(
        VersionTransition.objects.filter(version=draft).values_list("step", "from_status", "to_status")
    )
    assert steps == [
        ("create", "", "draft"),
        ("submit", "draft", "in_review"),
        ("publish", "in_review", "published"),
    ]
    events = list(
        AuditEvent.objects.filter(object_id=str(draft.pk), object_type="policies.policyitemversion")
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert events == [
        ("policy_item.import_draft", None),
        ("policy_item.submit", editor.pk),
        ("policy_item.publish", reviewer.pk),
    ]


def test_reviewer_returns_to_editor_with_reason_and_the_draft_can_be_edited_again(draft, editor, reviewer):
    submitted = services.submit_for_review(actor=editor, version=draft)
    returned = services.return_to_editor(actor=reviewer, version=submitted, reason="补充示例")
    assert returned.status == VersionStatus.DRAFT
    assert VersionTransition.objects.filter(version=draft, step="return_to_editor").get().note == "补充示例"
    returned.title = "改过的名称"
    returned.save()  # a draft's content may change
    assert PolicyItemVersion.objects.get(pk=draft.pk).title == "改过的名称"


def test_return_without_reason_is_refused(draft, editor, reviewer):
    submitted = services.submit_for_review(actor=editor, version=draft)
    with pytest.raises(ValidationFailedError):
        services.return_to_editor(actor=reviewer, version=submitted, reason="  ")
    assert PolicyItemVersion.objects.get(pk=draft.pk).status == VersionStatus.IN_REVIEW


def test_reviewer_retires_a_published_version(draft, reviewer):
    published = _version_in(VersionStatus.PUBLISHED, draft)
    retired = services.retire_item_version(actor=reviewer, version=published, reason="政策到期")
    assert retired.status == VersionStatus.RETIRED
    assert retired.retired_at is not None


@pytest.mark.parametrize("step", list(STEP_SERVICES))
@pytest.mark.parametrize("status", list(VersionStatus))
def test_a_step_is_allowed_only_from_its_source_status(step, status, draft):
    transition = transition_for(step)
    actor = UserFactory(role=sorted(transition.roles)[0])
    version = _version_in(status, draft)
    if status == transition.source:
        result = STEP_SERVICES[step](actor, version)
        assert result.status == transition.target
    else:
        with pytest.raises(PolicyTransitionNotAllowedError):
            STEP_SERVICES[step](actor, version)
        assert PolicyItemVersion.objects.get(pk=draft.pk).status == status


@pytest.mark.parametrize("step", list(STEP_SERVICES))
@pytest.mark.parametrize("role", [role.value for role in Role])
def test_a_step_is_allowed_only_to_its_roles(step, role, draft):
    transition = transition_for(step)
    version = _version_in(transition.source, draft)
    actor = UserFactory(role=role)
    if role in transition.roles:
        assert STEP_SERVICES[step](actor, version).status == transition.target
    else:
        with pytest.raises(PermissionDeniedError):
            STEP_SERVICES[step](actor, version)
        assert PolicyItemVersion.objects.get(pk=draft.pk).status == transition.source


def test_steps_of_people_need_a_signed_in_actor(draft):
    with pytest.raises(PermissionDeniedError):
        services.submit_for_review(actor=None, version=draft)


def test_publishing_runs_the_examples_and_refuses_when_one_fails(draft, reviewer):
    in_review = _version_in(VersionStatus.IN_REVIEW, draft)
    # Created (not edited) in review with a wrong expectation: what an editor's mistake looks like.
    wrong = PolicyItemVersion.objects.create(
        item=in_review.item,
        number=2,
        title=in_review.title,
        document=in_review.document,
        eligibility=in_review.eligibility,
        reward=in_review.reward,
        examples=[
            {
                "profile": {"region_code": "370102", "age_years": 3, "revenue": 20000000},
                "expect": {"status": "eligible", "amount": 250000},
            }
        ],
        effective_from=in_review.effective_from,
        status=VersionStatus.IN_REVIEW,
    )
    with pytest.raises(PolicyExampleFailedError) as caught:
        services.publish_item_version(actor=reviewer, version=wrong)
    assert "examples[0]" in caught.value.message
    assert "250000.00" in caught.value.message
    assert "200000.00" in caught.value.message
    assert PolicyItemVersion.objects.get(pk=wrong.pk).status == VersionStatus.IN_REVIEW


def test_submitting_a_draft_with_a_failing_example_is_refused(draft, editor):
    draft.examples = [{"profile": {"region_code": "370102"}, "expect": {"status": "eligible"}}]
    draft.save()
    with pytest.raises(PolicyExampleFailedError):
        services.submit_for_review(actor=editor, version=draft)


@pytest.mark.parametrize("status", [VersionStatus.IN_REVIEW, VersionStatus.PUBLISHED, VersionStatus.RETIRED])
def test_content_of_a_version_that_left_the_draft_status_never_changes(status, draft):
    version = _version_in(status, draft)
    version.eligibility = {"field": "revenue", "op": "ge", "value": 1}
    with pytest.raises(PolicyVersionImmutableError):
        version.save()
    assert PolicyItemVersion.objects.get(pk=draft.pk).eligibility != {
        "field": "revenue",
        "op": "ge",
        "value": 1,
    }


def test_allowed_steps_lists_the_buttons_of_a_role():
    assert allowed_steps(status="draft", role="policy_editor") == [Step.SUBMIT]
    assert allowed_steps(status="in_review", role="policy_reviewer") == [Step.RETURN_TO_EDITOR, Step.PUBLISH]
    assert allowed_steps(status="in_review", role="policy_editor") == []
    assert allowed_steps(status="published", role=None) == []
    assert {t.step for t in TRANSITIONS} == set(STEP_SERVICES) | {Step.BULK_PUBLISH}
