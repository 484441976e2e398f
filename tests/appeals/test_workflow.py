"""The ticket workflow (appeals/workflow.py): the table against the specification written out here by
hand, then every (state, action) pair and every role through `perform_transition` on the database,
allowed or refused; scope, fields, guards, history, audit and notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals.enums import (
    Closure,
    ExtensionDecision,
    ReplyStatus,
    Satisfaction,
    TicketAction,
    TicketState,
)
from huiqi.appeals.errors import (
    AppealInputInvalidError,
    TicketHistoryImmutableError,
    TicketTransitionNotAllowedError,
)
from huiqi.appeals.models import Extension, FollowUp, Ticket, TicketEvent
from huiqi.appeals.workflow import (
    ACTIONS,
    TRANSITIONS,
    TRANSITIONS_BY_KEY,
    allowed_actions,
    perform_transition,
    transition_for,
)
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent, Notification
from tests.appeals.factories import TicketFactory
from tests.appeals.helpers import ALL_ROLES, SYSTEM, actor_for, fields_for, ticket_for
from tests.factories import DepartmentFactory, EnterpriseUserFactory, UserFactory

A, S = TicketAction, TicketState
SAME = "same"

# The specification (issue 3, "Tickets and their workflow"), independent of the table's code:
# (action, from state) -> (to state, roles; "system" = automatic, no person).
AFTER_INSTRUCTION = (S.AWAITING_DISPATCH, S.DISPATCHED, S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW)
SPEC: dict[tuple[TicketAction, TicketState], tuple[str, set[str]]] = {
    (A.INSTRUCT, S.AWAITING_INSTRUCTION): (S.AWAITING_DISPATCH, {"leader"}),
    **{(A.INSTRUCT, s): (SAME, {"leader"}) for s in AFTER_INSTRUCTION},
    (A.DISPATCH, S.AWAITING_DISPATCH): (S.DISPATCHED, {"dispatcher", SYSTEM}),
    **{(A.REDISPATCH, s): (S.DISPATCHED, {"dispatcher", "supervisor"}) for s in (S.DISPATCHED, S.ACCEPTED, S.PAUSED)},
    (A.ACCEPT, S.DISPATCHED): (S.ACCEPTED, {"handler"}),
    (A.RETURN, S.DISPATCHED): (S.AWAITING_DISPATCH, {"handler"}),
    (A.RETURN, S.ACCEPTED): (S.AWAITING_DISPATCH, {"handler"}),
    **{(A.RECLASSIFY, s): (SAME, {"dispatcher"}) for s in AFTER_INSTRUCTION},
    (A.REQUEST_EXTENSION, S.ACCEPTED): (SAME, {"handler"}),
    (A.REQUEST_EXTENSION, S.PAUSED): (SAME, {"handler"}),
    **{(A.APPROVE_EXTENSION, s): (SAME, {"dispatcher", "supervisor"}) for s in (S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW)},
    **{(A.REJECT_EXTENSION, s): (SAME, {"dispatcher", "supervisor"}) for s in (S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW)},
    (A.PAUSE, S.ACCEPTED): (S.PAUSED, {"handler"}),
    (A.RESUME, S.PAUSED): (S.ACCEPTED, {"handler", "dispatcher"}),
    (A.SUBMIT_REPLY, S.ACCEPTED): (S.REPLY_REVIEW, {"handler"}),
    (A.APPROVE_REPLY, S.REPLY_REVIEW): (S.REPLIED, {"dispatcher"}),
    (A.SEND_BACK_REPLY, S.REPLY_REVIEW): (S.ACCEPTED, {"dispatcher"}),
    (A.RECORD_FOLLOW_UP, S.REPLIED): (S.CLOSED, {"agent", "enterprise"}),
    (A.RECORD_FOLLOW_UP, S.CLOSED): (SAME, {"agent", "enterprise"}),
    (A.REOPEN, S.REPLIED): (S.DISPATCHED, {"agent", "enterprise", "dispatcher", "supervisor"}),
    (A.CLOSE, S.REPLIED): (S.CLOSED, {"dispatcher", "supervisor"}),
    (A.DIRECT_REPLY, S.AWAITING_DISPATCH): (S.CLOSED, {"agent", "dispatcher"}),
    (A.MERGE, S.AWAITING_DISPATCH): (S.CLOSED, {"dispatcher"}),
    (A.MERGE, S.DISPATCHED): (S.CLOSED, {"dispatcher"}),
}  # fmt: skip

ACTION_LIST = [a for a in TicketAction if a not in (A.REGISTER, A.SUPERVISE)]
PAIRS = [(action, state) for action in ACTION_LIST for state in TicketState]


def _roles_of(transition) -> set[str]:
    return set(transition.roles) | ({SYSTEM} if transition.allows_system else set())


# --- the table is the specification ----------------------------------------------------------------


def test_table_has_exactly_the_specified_transitions():
    table = {
        key: (t.target.value if t.target else SAME, _roles_of(t)) for key, t in TRANSITIONS_BY_KEY.items()
    }
    assert table == {key: (str(target), roles) for key, (target, roles) in SPEC.items()}


def test_every_action_of_the_enum_is_in_the_table_except_the_history_only_ones():
    assert set(ACTIONS) == set(ACTION_LIST)


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("state", list(TicketState))
def test_allowed_actions_lists_what_the_specification_allows(state, role):
    expected = sorted(a for (a, s), (_, roles) in SPEC.items() if s == state and role in roles)
    assert sorted(allowed_actions(state=state, role=None if role == SYSTEM else role)) == expected


@pytest.mark.parametrize(("action", "state"), PAIRS)
def test_transition_for_refuses_every_pair_outside_the_specification(action, state):
    if (action, state) in SPEC:
        assert transition_for(action=action, state=state).action == action
    else:
        with pytest.raises(TicketTransitionNotAllowedError, match=state.label):
            transition_for(action=action, state=state)


def test_transitions_that_need_a_reason_say_so():
    needs_reason = {t.action for t in TRANSITIONS if "reason" in t.requires}
    assert {A.RETURN, A.REDISPATCH, A.REJECT_EXTENSION, A.PAUSE, A.SEND_BACK_REPLY, A.CLOSE} <= needs_reason


# --- every (state, action) pair on the database ------------------------------------------------------


def _events(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), PAIRS, ids=[f"{a}-from-{s}" for a, s in PAIRS])
def test_every_state_action_pair_is_performed_or_refused_as_specified(action, state):
    ticket = ticket_for(action, state)
    spec = SPEC.get((action, state))
    role = sorted(spec[1])[0] if spec else "dispatcher"
    actor = actor_for(role, ticket)
    fields = fields_for(action, ticket, role)
    version = ticket.version
    if spec is None:
        with pytest.raises(TicketTransitionNotAllowedError):
            perform_transition(ticket=ticket, action=action, actor=actor, expected_version=version, **fields)
        ticket.refresh_from_db()
        assert (ticket.state, ticket.version, _events(ticket)) == (state, version, [])
        assert not AuditEvent.objects.filter(action=f"ticket.{action}").exists()
        return
    updated = perform_transition(
        ticket=ticket, action=action, actor=actor, expected_version=version, **fields
    )
    updated.refresh_from_db()
    expected_state = state if spec[0] == SAME else spec[0]
    assert updated.state == expected_state
    assert updated.version == version + 1
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.action, event.from_state, event.to_state) == (action, state, expected_state)
    assert event.role == (actor.role if actor else "")
    audit = AuditEvent.objects.get(action=f"ticket.{action}", object_id=str(ticket.pk))
    assert audit.after["version"] == version + 1
    if expected_state != state:
        assert (audit.before["state"], audit.after["state"]) == (state, expected_state)


# --- every role, for each action from a state where it is allowed ---------------------------------------

FIRST_SOURCE = {action: sorted(s for (a, s) in SPEC if a == action)[0] for action in ACTION_LIST}


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTION_LIST, ids=lambda a: a.value)
def test_every_role_may_or_may_not_perform_each_action(action):
    # One ticket takes every refused role in turn (a refusal changes nothing); each allowed role acts
    # on a fresh ticket. Mismatches are collected so that one run names every wrong role.
    state = FIRST_SOURCE[action]
    refused_ticket = ticket_for(action, state)
    mismatches = []
    for role in ALL_ROLES:
        allowed = role in SPEC[(action, state)][1]
        ticket = ticket_for(action, state) if allowed else refused_ticket
        actor = actor_for(role, ticket)
        fields = fields_for(action, ticket, role)
        try:
            perform_transition(
                ticket=ticket, action=action, actor=actor, expected_version=ticket.version, **fields
            )
        except PermissionDeniedError:
            if allowed:
                mismatches.append(f"{role} refused")
        else:
            if not allowed:
                mismatches.append(f"{role} allowed")
            elif _events(ticket) != [action]:
                mismatches.append(f"{role}: history {_events(ticket)}")
    assert mismatches == []
    refused_ticket.refresh_from_db()
    assert (refused_ticket.state, refused_ticket.version, _events(refused_ticket)) == (state, 1, [])


# --- scope ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_handler_of_another_department_cannot_accept():
    ticket = TicketFactory(state=S.DISPATCHED)
    outsider = UserFactory(role=Role.HANDLER, department=DepartmentFactory())
    with pytest.raises(PermissionDeniedError, match="不由您所在的部门主办"):
        perform_transition(ticket=ticket, action=A.ACCEPT, actor=outsider, expected_version=1)
    ticket.refresh_from_db()
    assert ticket.state == S.DISPATCHED


@pytest.mark.django_db
def test_handler_of_a_district_acts_on_a_ticket_of_its_town():
    town = DepartmentFactory(town=True)
    ticket = TicketFactory(state=S.DISPATCHED, lead_department=town)
    district_handler = UserFactory(role=Role.HANDLER, department=town.parent)
    perform_transition(ticket=ticket, action=A.ACCEPT, actor=district_handler, expected_version=1)
    ticket.refresh_from_db()
    assert ticket.state == S.ACCEPTED


@pytest.mark.django_db
def test_handler_of_an_assisting_department_cannot_reply_for_the_lead():
    ticket = TicketFactory(state=S.ACCEPTED)
    assisting = DepartmentFactory()
    ticket.assisting_departments.add(assisting)
    helper = UserFactory(role=Role.HANDLER, department=assisting)
    with pytest.raises(PermissionDeniedError):
        perform_transition(
            ticket=ticket, action=A.SUBMIT_REPLY, actor=helper, expected_version=1, text="协办意见"
        )


@pytest.mark.django_db
def test_enterprise_user_cannot_follow_up_another_enterprises_appeal():
    ticket = TicketFactory(state=S.REPLIED)
    stranger = EnterpriseUserFactory()
    with pytest.raises(PermissionDeniedError, match="本企业"):
        perform_transition(
            ticket=ticket,
            action=A.RECORD_FOLLOW_UP,
            actor=stranger,
            expected_version=1,
            method="online",
            is_resolved=True,
            satisfaction="satisfied",
        )


@pytest.mark.django_db
def test_inactive_user_is_refused(dispatcher):
    ticket = TicketFactory()
    dispatcher.is_active = False
    with pytest.raises(PermissionDeniedError):
        perform_transition(
            ticket=ticket,
            action=A.DISPATCH,
            actor=dispatcher,
            expected_version=1,
            lead_department=DepartmentFactory(),
        )


# --- fields and guards ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("transition", [t for t in TRANSITIONS if t.requires], ids=lambda t: t.action.value)
def test_a_missing_required_field_is_named_and_changes_nothing(transition):
    state = sorted(transition.sources)[0]
    ticket = ticket_for(transition.action, state)
    role = sorted(_roles_of(transition) - {SYSTEM})[0]
    actor = actor_for(role, ticket)
    fields = fields_for(transition.action, ticket, role)
    missing = transition.requires[-1]
    fields[missing] = "  " if missing in ("reason", "text", "instruction") else None
    with pytest.raises(AppealInputInvalidError) as raised:
        perform_transition(ticket=ticket, action=transition.action, actor=actor, expected_version=1, **fields)
    assert raised.value.field == missing
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == (state, 1)


@pytest.mark.django_db
def test_an_unknown_field_is_refused(dispatcher):
    ticket = TicketFactory()
    with pytest.raises(AppealInputInvalidError, match="lead_departmnet"):
        perform_transition(
            ticket=ticket,
            action=A.DISPATCH,
            actor=dispatcher,
            expected_version=1,
            lead_departmnet=DepartmentFactory(),
        )


@pytest.mark.django_db
def test_dispatch_to_an_inactive_department_is_refused(dispatcher):
    closed_unit = DepartmentFactory(is_active=False)
    with pytest.raises(AppealInputInvalidError, match="已停用"):
        perform_transition(
            ticket=TicketFactory(),
            action=A.DISPATCH,
            actor=dispatcher,
            expected_version=1,
            lead_department=closed_unit,
        )


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "-1", "1.3", "abc", "31"])
def test_extension_days_must_be_positive_half_days_within_the_maximum(days):
    ticket = TicketFactory(state=S.ACCEPTED)
    handler = actor_for(Role.HANDLER, ticket)
    with pytest.raises(AppealInputInvalidError) as raised:
        perform_transition(
            ticket=ticket,
            action=A.REQUEST_EXTENSION,
            actor=handler,
            expected_version=1,
            days=days,
            reason="r",
        )
    assert raised.value.field == "days"


@pytest.mark.django_db
def test_a_second_extension_request_waits_for_the_first_decision():
    ticket = TicketFactory(state=S.ACCEPTED, pending_extension=1)
    handler = actor_for(Role.HANDLER, ticket)
    with pytest.raises(TicketTransitionNotAllowedError, match="待审批"):
        perform_transition(
            ticket=ticket,
            action=A.REQUEST_EXTENSION,
            actor=handler,
            expected_version=1,
            days=2,
            reason="再延",
        )


@pytest.mark.django_db
def test_approving_without_a_pending_request_is_refused(dispatcher):
    ticket = TicketFactory(state=S.ACCEPTED)
    with pytest.raises(TicketTransitionNotAllowedError, match="没有待审批"):
        perform_transition(ticket=ticket, action=A.APPROVE_EXTENSION, actor=dispatcher, expected_version=1)


@pytest.mark.django_db
def test_returning_a_ticket_withdraws_its_pending_extension_and_frees_the_department(dispatcher):
    ticket = TicketFactory(state=S.ACCEPTED, pending_extension=2)
    handler = actor_for(Role.HANDLER, ticket)
    perform_transition(
        ticket=ticket, action=A.RETURN, actor=handler, expected_version=1, reason="非本单位职责"
    )
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_DISPATCH
    assert ticket.lead_department is None
    assert Extension.objects.get(ticket=ticket).decision == ExtensionDecision.WITHDRAWN
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.reason == "非本单位职责"
    assert event.data["returned_by_department"]["id"] == handler.department_id


@pytest.mark.django_db
def test_sent_back_reply_keeps_its_text_and_the_comment(dispatcher):
    ticket = TicketFactory(state=S.REPLY_REVIEW)
    perform_transition(
        ticket=ticket, action=A.SEND_BACK_REPLY, actor=dispatcher, expected_version=1, reason="请写明完成时间"
    )
    reply = ticket.replies.get()
    assert (reply.status, reply.review_comment, reply.reviewed_by) == (
        ReplyStatus.SENT_BACK,
        "请写明完成时间",
        dispatcher,
    )
    ticket.refresh_from_db()
    assert ticket.state == S.ACCEPTED


@pytest.mark.django_db
def test_merge_into_a_closed_appeal_is_refused(dispatcher):
    closed = TicketFactory(state=S.CLOSED)
    ticket = TicketFactory()
    with pytest.raises(AppealInputInvalidError, match="已办结或已并单"):
        perform_transition(
            ticket=ticket, action=A.MERGE, actor=dispatcher, expected_version=1, into=closed.appeal
        )


@pytest.mark.django_db
def test_merged_appeal_points_to_the_one_it_joined(dispatcher):
    target = TicketFactory()
    ticket = TicketFactory()
    perform_transition(
        ticket=ticket, action=A.MERGE, actor=dispatcher, expected_version=1, into=target.appeal.number
    )
    ticket.refresh_from_db()
    assert ticket.appeal.merged_into == target.appeal
    assert (ticket.state, ticket.closure) == (S.CLOSED, Closure.MERGED)


# --- follow-up and reopening --------------------------------------------------------------------------


def _follow_up(ticket, actor, satisfaction, **extra):
    return perform_transition(
        ticket=ticket,
        action=A.RECORD_FOLLOW_UP,
        actor=actor,
        expected_version=ticket.version,
        method="call",
        is_resolved=satisfaction != Satisfaction.DISSATISFIED,
        satisfaction=satisfaction,
        **extra,
    )


@pytest.mark.django_db
def test_dissatisfied_follow_up_reopens_to_the_same_department_with_a_fresh_limit(agent):
    ticket = TicketFactory(state=S.REPLIED, appeal__registered_at=timezone.now() - dt.timedelta(days=10))
    old_deadline = ticket.deadline_at
    updated = _follow_up(ticket, agent, Satisfaction.DISSATISFIED, comment="问题没有解决")
    assert (updated.state, updated.reopen_count) == (S.DISPATCHED, 1)
    assert updated.lead_department == ticket.lead_department
    assert updated.deadline_at > old_deadline
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.action, event.reason, event.data["automatic"]) == (A.REOPEN, "问题没有解决", True)
    assert FollowUp.objects.get(ticket=ticket).satisfaction == Satisfaction.DISSATISFIED


@pytest.mark.django_db
@pytest.mark.parametrize("satisfaction", [Satisfaction.SATISFIED, Satisfaction.FAIRLY_SATISFIED])
def test_satisfied_follow_up_closes(agent, satisfaction):
    ticket = TicketFactory(state=S.REPLIED)
    updated = _follow_up(ticket, agent, satisfaction)
    assert (updated.state, updated.closure) == (S.CLOSED, Closure.FOLLOWED_UP)
    assert updated.closed_at is not None
    assert updated.appeal.closed_at == updated.closed_at


@pytest.mark.django_db
def test_after_the_last_reopening_a_dissatisfied_follow_up_closes_and_is_recorded(agent, settings):
    settings.HUIQI_APPEAL_MAX_REOPENS = 1
    ticket = TicketFactory(state=S.REPLIED, reopen_count=1)
    updated = _follow_up(ticket, agent, Satisfaction.DISSATISFIED)
    assert updated.state == S.CLOSED
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.action, event.data["reopen_limit_reached"]) == (A.RECORD_FOLLOW_UP, True)


@pytest.mark.django_db
def test_agent_cannot_reopen_without_a_dissatisfied_follow_up(agent):
    ticket = TicketFactory(state=S.REPLIED)
    with pytest.raises(AppealInputInvalidError, match="不满意"):
        perform_transition(ticket=ticket, action=A.REOPEN, actor=agent, expected_version=1, reason="重办")


@pytest.mark.django_db
def test_enterprise_rates_online_only(enterprise_user):
    ticket = TicketFactory(
        state=S.REPLIED, appeal__enterprise=enterprise_user.enterprise_memberships.get().enterprise
    )
    with pytest.raises(AppealInputInvalidError, match="网上评价"):
        _follow_up(ticket, enterprise_user, Satisfaction.SATISFIED)


@pytest.mark.django_db
def test_late_follow_up_of_a_closed_ticket_is_recorded_once_and_reopens_nothing(agent):
    ticket = TicketFactory(state=S.CLOSED, closure=Closure.WITHOUT_FOLLOW_UP)
    updated = _follow_up(ticket, agent, Satisfaction.DISSATISFIED)
    assert updated.state == S.CLOSED
    with pytest.raises(TicketTransitionNotAllowedError, match="已回访过"):
        _follow_up(updated, agent, Satisfaction.SATISFIED)


@pytest.mark.django_db
def test_merged_ticket_takes_no_follow_up(agent):
    ticket = TicketFactory(state=S.CLOSED, closure=Closure.MERGED)
    with pytest.raises(TicketTransitionNotAllowedError):
        _follow_up(ticket, agent, Satisfaction.SATISFIED)


# --- history, audit, notices ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_rows_cannot_be_edited_or_deleted(dispatcher):
    ticket = TicketFactory()
    perform_transition(
        ticket=ticket,
        action=A.DISPATCH,
        actor=dispatcher,
        expected_version=1,
        lead_department=DepartmentFactory(),
    )
    event = TicketEvent.objects.get(ticket=ticket)
    event.reason = "改写历史"
    with pytest.raises(TicketHistoryImmutableError):
        event.save()
    with pytest.raises(TicketHistoryImmutableError):
        event.delete()
    with pytest.raises(TicketHistoryImmutableError):
        TicketEvent.objects.filter(ticket=ticket).update(reason="x")
    with pytest.raises(TicketHistoryImmutableError):
        TicketEvent.objects.filter(ticket=ticket).delete()


@pytest.mark.django_db
def test_dispatch_notifies_the_handlers_of_the_lead_and_assisting_departments_after_commit(
    dispatcher, django_capture_on_commit_callbacks
):
    lead, assisting = DepartmentFactory(), DepartmentFactory()
    lead_handler = UserFactory(role=Role.HANDLER, department=lead)
    assisting_handler = UserFactory(role=Role.HANDLER, department=assisting)
    bystander = UserFactory(role=Role.HANDLER, department=DepartmentFactory())
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        perform_transition(
            ticket=ticket,
            action=A.DISPATCH,
            actor=dispatcher,
            expected_version=1,
            lead_department=lead,
            assisting_departments=[assisting],
        )
    assert not Notification.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {lead_handler.pk, assisting_handler.pk}
    assert bystander.pk not in recipients


@pytest.mark.django_db
def test_approved_reply_reaches_the_enterprise_by_inbox_and_sms(
    dispatcher, enterprise, enterprise_user, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(state=S.REPLY_REVIEW, appeal__enterprise=enterprise)
    with django_capture_on_commit_callbacks(execute=True):
        perform_transition(ticket=ticket, action=A.APPROVE_REPLY, actor=dispatcher, expected_version=1)
    channels = set(Notification.objects.filter(recipient=enterprise_user).values_list("channel", flat=True))
    assert channels == {"inbox", "sms"}


@pytest.mark.django_db
def test_a_refused_transition_notifies_nobody(dispatcher, django_capture_on_commit_callbacks):
    ticket = TicketFactory(state=S.CLOSED)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TicketTransitionNotAllowedError),
    ):
        perform_transition(
            ticket=ticket,
            action=A.DISPATCH,
            actor=dispatcher,
            expected_version=1,
            lead_department=DepartmentFactory(),
        )
    assert callbacks == []
    assert not Notification.objects.exists()
