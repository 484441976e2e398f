"""The life of a policy item version: draft -> in review -> published -> retired.

Why a table: STYLE.md ("Workflow") keeps every allowed step, the roles that may take it and what it
needs in one place, so that services, pages and tests read the same truth and every step, allowed or
forbidden, can be tested exhaustively.

    step               from        to          who                  needs
    submit             draft       in_review   policy_editor        rules valid, examples pass
    return_to_editor   in_review   draft       policy_reviewer      a reason
    publish            in_review   published   policy_reviewer      rules valid, examples pass
    retire             published   retired     policy_reviewer      (a reason, optional)
    bulk_publish       draft       published   the administrator    rules valid, examples pass
                                               (command line, or system_admin)

The editor drafts and the reviewer approves (issue 4: "A reviewer (policy_reviewer) approves what an
editor (policy_editor) drafts; both are audited"); one account holds one role, so the two are always
different people. `bulk_publish` is the administrator's bulk load of DATA-CONTRACT.md section 3
(`huiqi import_policies` without `--draft`): the version is created and published in one step,
audited as "policy_item.bulk_publish".

Only a draft's content may change. Once submitted, the text a reviewer approves is fixed; once
published a version never changes (its status may still become `retired`, which withdraws it).

Which version is in force (decided here; issue 4 says "a new version supersedes it from its
effective date"): on a date D, an item's candidate is its published version with the highest
version number among those whose `effective_from` <= D. The candidate is in force if D <=
its `effective_to` (or it has none). If the candidate's `effective_to` is before D the item yields no
result on D: a newer version supersedes every older one from its own effective date on, also when it
ends earlier, so older versions never come back. Before the newest version's `effective_from`
the previous published versions still apply, each from its own date. Retired and unpublished
versions are never in force. See selectors.effective_versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from huiqi.accounts.enums import Role


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    IN_REVIEW = "in_review", "待审核"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已废止"


class Step(models.TextChoices):
    CREATE = "create", "新建草稿"  # history only: a version is born a draft (not a transition)
    SUBMIT = "submit", "提交审核"
    RETURN_TO_EDITOR = "return_to_editor", "退回修改"
    PUBLISH = "publish", "审核发布"
    RETIRE = "retire", "废止"
    BULK_PUBLISH = "bulk_publish", "批量导入发布"


@dataclass(frozen=True)
class Transition:
    step: Step
    source: VersionStatus
    target: VersionStatus
    roles: frozenset[str]
    needs_reason: bool = False
    runs_examples: bool = False
    #: Also allowed with no signed-in actor: the operator at the command line.
    allows_system: bool = False

    @property
    def audit_action(self) -> str:
        return f"policy_item.{self.step.value}"


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Step.SUBMIT,
        VersionStatus.DRAFT,
        VersionStatus.IN_REVIEW,
        frozenset({Role.POLICY_EDITOR.value}),
        runs_examples=True,
    ),
    Transition(
        Step.RETURN_TO_EDITOR,
        VersionStatus.IN_REVIEW,
        VersionStatus.DRAFT,
        frozenset({Role.POLICY_REVIEWER.value}),
        needs_reason=True,
    ),
    Transition(
        Step.PUBLISH,
        VersionStatus.IN_REVIEW,
        VersionStatus.PUBLISHED,
        frozenset({Role.POLICY_REVIEWER.value}),
        runs_examples=True,
    ),
    Transition(
        Step.RETIRE,
        VersionStatus.PUBLISHED,
        VersionStatus.RETIRED,
        frozenset({Role.POLICY_REVIEWER.value}),
    ),
    Transition(
        Step.BULK_PUBLISH,
        VersionStatus.DRAFT,
        VersionStatus.PUBLISHED,
        frozenset({Role.SYSTEM_ADMIN.value}),
        runs_examples=True,
        allows_system=True,
    ),
)

TRANSITIONS_BY_STEP: dict[Step, Transition] = {transition.step: transition for transition in TRANSITIONS}

#: Statuses whose content is fixed (STYLE: invariants that live in one row belong to the model).
FROZEN_STATUSES = frozenset({VersionStatus.IN_REVIEW, VersionStatus.PUBLISHED, VersionStatus.RETIRED})


def transition_for(step: Step | str) -> Transition:
    return TRANSITIONS_BY_STEP[Step(step)]


def allowed_steps(*, status: str, role: str | None) -> list[Step]:
    """The steps a holder of `role` may take on a version in `status` (for pages: which buttons)."""
    return [
        transition.step
        for transition in TRANSITIONS
        if transition.source == status and role is not None and role in transition.roles
    ]
