"""The life of a ticket (工单): one table of allowed transitions, and the one service that performs them.

Why a table: STYLE.md ("Workflow") keeps every allowed step, who may take it and what it needs in one
place, so that services, pages, the API and the tests read the same truth (the Signalen pattern), and
every transition, allowed or forbidden, is tested. The states are `enums.TicketState` (in enums.py
so that other apps, e.g. the dashboard, may import them).

    action             from                                  to                   who
    instruct           awaiting_instruction                  awaiting_dispatch    leader
    instruct           any open state after it               (unchanged)          leader
    dispatch           awaiting_dispatch                     dispatched           dispatcher, the system
    redispatch         dispatched, accepted, paused          dispatched           dispatcher, supervisor
    accept (签收)      dispatched                            accepted             handler
    return (退单)      dispatched, accepted                  awaiting_dispatch    handler
    reclassify         awaiting_dispatch .. reply_review     (unchanged)          dispatcher
    request_extension  accepted, paused                      (unchanged)          handler
    approve_extension  accepted, paused, reply_review        (unchanged)          dispatcher, supervisor
    reject_extension   accepted, paused, reply_review        (unchanged)          dispatcher, supervisor
    pause              accepted                              paused               handler
    resume             paused                                accepted             handler, dispatcher
    submit_reply       accepted                              reply_review         handler
    approve_reply      reply_review                          replied              dispatcher
    send_back_reply    reply_review                          accepted             dispatcher
    record_follow_up   replied                               closed               agent (call), enterprise (online)
    record_follow_up   closed (direct reply, or closed       (unchanged)          agent, enterprise
                       without follow-up; once)
    reopen (重办)      replied                               dispatched           agent, enterprise, dispatcher, supervisor
    close              replied (no follow-up possible)       closed               dispatcher, supervisor
    direct_reply       awaiting_dispatch                     closed               agent, dispatcher
    merge (并单)       awaiting_dispatch, dispatched         closed               dispatcher

History rows that are not transitions: `register` (the ticket is born with its appeal, services.intake)
and `supervise` (a supervision, services.supervision); neither changes the state or the version.

Decisions where the issue is silent:
* The mayor line (企业市长直通车) starts in `awaiting_instruction`: the leader's 批示 goes with the
  ticket, so it is dispatched after it. A leader may also instruct any open ticket later.
* A dissatisfied follow-up reopens automatically (重办): `record_follow_up` with
  satisfaction=dissatisfied on a replied ticket is performed as `reopen` (see `resolve_action`), which
  records the follow-up and sends the ticket back to its department to be accepted again, with a
  fresh time limit. After HUIQI_APPEAL_MAX_REOPENS reopenings (default 2) a dissatisfied follow-up
  closes the ticket instead, so that no ticket can cycle for ever; the dissatisfaction is recorded.
* A satisfied or fairly satisfied follow-up closes the ticket (办结). A dispatcher closes a replied
  ticket without follow-up (enterprise unreachable), with a reason. A follow-up reached later on such
  a ticket, or on a direct reply, is still recorded (satisfaction rate), and reopens nothing.
* An extension request does not change the state: the department keeps working while it waits.
  A pending request is withdrawn when the ticket leaves the department (return, redispatch) or its
  reply is approved.
* A handler acts only on tickets led by their department (or a unit below it,
  accounts.selectors.work_department_ids_for); an enterprise user only on its own appeals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals.enums import Closure, ExtensionDecision, Satisfaction, TicketAction, TicketState
from huiqi.appeals.errors import (
    AppealInputInvalidError,
    TicketTransitionNotAllowedError,
    TicketVersionConflictError,
)
from huiqi.appeals.models import Ticket, TicketEvent
from huiqi.core.audit import record_event
from huiqi.core.db import insert_new
from huiqi.core.errors import PermissionDeniedError
from huiqi.core.task_queue import enqueue_in_transaction

if TYPE_CHECKING:
    from huiqi.accounts.models import User

S = TicketState
A = TicketAction
AGENT, DISPATCHER, HANDLER = Role.AGENT.value, Role.DISPATCHER.value, Role.HANDLER.value
SUPERVISOR, LEADER, ENTERPRISE = Role.SUPERVISOR.value, Role.LEADER.value, Role.ENTERPRISE.value

#: States in which the time-limit clock runs (supervision looks at these only).
CLOCK_RUNNING_STATES = frozenset({S.AWAITING_INSTRUCTION, S.AWAITING_DISPATCH, S.DISPATCHED, S.ACCEPTED})
OPEN_STATES = frozenset(set(S) - {S.CLOSED})
#: Open states before a reply has been submitted.
BEFORE_REPLY_STATES = frozenset(
    {S.AWAITING_INSTRUCTION, S.AWAITING_DISPATCH, S.DISPATCHED, S.ACCEPTED, S.PAUSED}
)

FOLLOW_UP_FIELDS = ("method", "is_resolved", "satisfaction")


def max_reopens() -> int:
    return max(0, int(getattr(settings, "HUIQI_APPEAL_MAX_REOPENS", 2)))


# --- guards: conditions beyond the state, each with the message shown when it fails ------------------


def _has_pending_extension(ticket: Ticket) -> str | None:
    if ticket.extensions.filter(decision=ExtensionDecision.PENDING).exists():
        return None
    return "该工单没有待审批的延期申请。"


def _has_no_pending_extension(ticket: Ticket) -> str | None:
    if ticket.extensions.filter(decision=ExtensionDecision.PENDING).exists():
        return "该工单已有一条待审批的延期申请，请等待派单员审批后再申请。"
    return None


def _closed_and_awaiting_follow_up(ticket: Ticket) -> str | None:
    if ticket.closure not in (Closure.DIRECT_REPLY, Closure.WITHOUT_FOLLOW_UP):
        return "该工单已回访或已并单办结，不能再回访。"
    last_reply = ticket.replies.order_by("-id").first()
    if last_reply is not None and ticket.follow_ups.filter(reply=last_reply).exists():
        return "该工单的答复已回访过。"
    return None


@dataclass(frozen=True)
class Transition:
    """One row of the table: `action` from any of `sources` to `target` (None = the state stays)."""

    action: TicketAction
    sources: frozenset[TicketState]
    target: TicketState | None
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    #: Also allowed with no signed-in actor: the system (automatic dispatch by routing rules).
    allows_system: bool = False
    guard: Callable[[Ticket], str | None] | None = None

    @property
    def audit_action(self) -> str:
        return f"ticket.{self.action.value}"

    def target_from(self, state: TicketState) -> TicketState:
        return self.target if self.target is not None else state


def _t(
    action: TicketAction,
    sources: set[TicketState] | frozenset[TicketState],
    target: TicketState | None,
    roles: set[str],
    **kwargs: Any,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), **kwargs)


_AFTER_INSTRUCTION = {S.AWAITING_DISPATCH, S.DISPATCHED, S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW}
_EXTENSION_DECISION_STATES = {S.ACCEPTED, S.PAUSED, S.REPLY_REVIEW}

TRANSITIONS: tuple[Transition, ...] = (
    _t(A.INSTRUCT, {S.AWAITING_INSTRUCTION}, S.AWAITING_DISPATCH, {LEADER},
       requires=("instruction",), accepts=("priority",)),
    _t(A.INSTRUCT, _AFTER_INSTRUCTION, None, {LEADER}, requires=("instruction",), accepts=("priority",)),
    _t(A.DISPATCH, {S.AWAITING_DISPATCH}, S.DISPATCHED, {DISPATCHER},
       requires=("lead_department",), accepts=("assisting_departments", "category", "reason"),
       allows_system=True),
    _t(A.REDISPATCH, {S.DISPATCHED, S.ACCEPTED, S.PAUSED}, S.DISPATCHED, {DISPATCHER, SUPERVISOR},
       requires=("lead_department", "reason"), accepts=("assisting_departments", "category")),
    _t(A.ACCEPT, {S.DISPATCHED}, S.ACCEPTED, {HANDLER}),
    _t(A.RETURN, {S.DISPATCHED, S.ACCEPTED}, S.AWAITING_DISPATCH, {HANDLER}, requires=("reason",)),
    _t(A.RECLASSIFY, BEFORE_REPLY_STATES - {S.AWAITING_INSTRUCTION} | {S.REPLY_REVIEW}, None, {DISPATCHER},
       requires=("category",), accepts=("reason",)),
    _t(A.REQUEST_EXTENSION, {S.ACCEPTED, S.PAUSED}, None, {HANDLER},
       requires=("days", "reason"), guard=_has_no_pending_extension),
    _t(A.APPROVE_EXTENSION, _EXTENSION_DECISION_STATES, None, {DISPATCHER, SUPERVISOR},
       accepts=("granted_days", "reason"), guard=_has_pending_extension),
    _t(A.REJECT_EXTENSION, _EXTENSION_DECISION_STATES, None, {DISPATCHER, SUPERVISOR},
       requires=("reason",), guard=_has_pending_extension),
    _t(A.PAUSE, {S.ACCEPTED}, S.PAUSED, {HANDLER}, requires=("reason",)),
    _t(A.RESUME, {S.PAUSED}, S.ACCEPTED, {HANDLER, DISPATCHER}, accepts=("reason",)),
    _t(A.SUBMIT_REPLY, {S.ACCEPTED}, S.REPLY_REVIEW, {HANDLER}, requires=("text",), accepts=("attachments",)),
    _t(A.APPROVE_REPLY, {S.REPLY_REVIEW}, S.REPLIED, {DISPATCHER}, accepts=("reason",)),
    _t(A.SEND_BACK_REPLY, {S.REPLY_REVIEW}, S.ACCEPTED, {DISPATCHER}, requires=("reason",)),
    _t(A.RECORD_FOLLOW_UP, {S.REPLIED}, S.CLOSED, {AGENT, ENTERPRISE},
       requires=FOLLOW_UP_FIELDS, accepts=("comment",)),
    _t(A.RECORD_FOLLOW_UP, {S.CLOSED}, None, {AGENT, ENTERPRISE},
       requires=FOLLOW_UP_FIELDS, accepts=("comment",), guard=_closed_and_awaiting_follow_up),
    _t(A.REOPEN, {S.REPLIED}, S.DISPATCHED, {AGENT, ENTERPRISE, DISPATCHER, SUPERVISOR},
       requires=("reason",), accepts=(*FOLLOW_UP_FIELDS, "comment")),
    _t(A.CLOSE, {S.REPLIED}, S.CLOSED, {DISPATCHER, SUPERVISOR}, requires=("reason",)),
    _t(A.DIRECT_REPLY, {S.AWAITING_DISPATCH}, S.CLOSED, {AGENT, DISPATCHER},
       requires=("text",), accepts=("attachments",)),
    _t(A.MERGE, {S.AWAITING_DISPATCH, S.DISPATCHED}, S.CLOSED, {DISPATCHER},
       requires=("into",), accepts=("reason",)),
)  # fmt: skip

TRANSITIONS_BY_KEY: dict[tuple[TicketAction, TicketState], Transition] = {}
for _transition in TRANSITIONS:
    for _source in _transition.sources:
        if (_transition.action, _source) in TRANSITIONS_BY_KEY:  # the table must be unambiguous
            raise RuntimeError(f"two transitions of {_transition.action} from {_source}")
        TRANSITIONS_BY_KEY[(_transition.action, _source)] = _transition

#: Actions of the table (REGISTER is history only).
ACTIONS: tuple[TicketAction, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def transition_for(*, action: TicketAction | str, state: TicketState | str) -> Transition:
    """The transition of `action` from `state`, or TicketTransitionNotAllowedError."""
    action, state = _action(action), TicketState(state)
    transition = TRANSITIONS_BY_KEY.get((action, state))
    if transition is None:
        raise TicketTransitionNotAllowedError(
            f"工单当前状态为“{state.label}”，不能执行“{action.label}”。", field="action"
        )
    return transition


def allowed_actions(*, state: TicketState | str, role: str | None) -> list[TicketAction]:
    """The actions a holder of `role` may take from `state` (pages: which buttons; guards not checked)."""
    return [
        action
        for action in ACTIONS
        if (t := TRANSITIONS_BY_KEY.get((action, TicketState(state)))) is not None
        and (role in t.roles if role else t.allows_system)
    ]


def resolve_action(
    *, action: TicketAction | str, ticket: Ticket, fields: dict[str, Any]
) -> tuple[TicketAction, dict[str, Any]]:
    """Automatic reopening (重办): a dissatisfied follow-up on a replied ticket is performed as `reopen`
    while the ticket has reopenings left (module docstring); the follow-up's comment is its reason."""
    action = _action(action)
    if (
        action == A.RECORD_FOLLOW_UP
        and ticket.state == S.REPLIED
        and fields.get("satisfaction") == Satisfaction.DISSATISFIED
        and ticket.reopen_count < max_reopens()
    ):
        reason = str(fields.get("comment") or "").strip() or "回访不满意，自动重办。"
        return A.REOPEN, {**fields, "reason": reason}
    return action, fields


def _action(action: TicketAction | str) -> TicketAction:
    try:
        return TicketAction(action)
    except ValueError:
        raise AppealInputInvalidError(f"未知的工单操作：{action}。", field="action") from None


# --- who may act -------------------------------------------------------------------------------------


def check_actor(*, transition: Transition, ticket: Ticket, actor: User | None) -> None:
    """Role first, then scope: a handler (or a leader of a district) acts only on its departments'
    tickets, an enterprise user only on its own enterprise's appeals."""
    if actor is None:
        if not transition.allows_system:
            raise PermissionDeniedError(f"“{transition.action.label}”必须由具体人员操作。")
        return
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        raise PermissionDeniedError("请先登录。")
    if actor.role not in transition.roles:
        names = "、".join(Role(r).label for r in sorted(transition.roles))
        raise PermissionDeniedError(f"“{transition.action.label}”只能由{names}操作。")
    check_scope(ticket=ticket, actor=actor)


def check_scope(*, ticket: Ticket, actor: User) -> None:
    """Whether `actor` may act on this ticket at all (department scope, or the enterprise's own)."""
    if actor.role == ENTERPRISE:
        enterprise_id = ticket.appeal.enterprise_id
        if enterprise_id is None or enterprise_id not in account_selectors.enterprise_ids_for(actor):
            raise PermissionDeniedError("只能对本企业的诉求进行操作。")
        return
    scope = account_selectors.work_department_ids_for(actor)
    if scope is not None and ticket.lead_department_id not in scope:
        raise PermissionDeniedError(f"工单 {ticket.appeal.number} 不由您所在的部门主办，无权操作。")


# --- the one service ---------------------------------------------------------------------------------


def _conflict_message(ticket: Ticket, expected_version: int) -> str:
    last = ticket.events.select_related("actor").order_by("-id").first()
    number = ticket.appeal.number
    if last is None:
        return f"工单 {number} 已被他人修改，请刷新后重新操作。"
    who = str(last.actor) if last.actor_id else "系统"
    role = f"（{Role(last.role).label}）" if last.role in Role.values else ""
    when = timezone.localtime(last.at).strftime("%m月%d日 %H:%M")
    label = TicketAction(last.action).label if last.action in TicketAction.values else last.action
    return (
        f"工单 {number} 已被{who}{role}于 {when} 执行“{label}”，当前状态为“{TicketState(ticket.state).label}”。"
        f"您看到的是旧版本（第 {expected_version} 版，现为第 {ticket.version} 版），本次操作未提交，"
        f"请刷新后根据最新情况重新操作。"
    )


def perform_transition(
    *,
    ticket: Ticket,
    action: TicketAction | str,
    actor: User | None,
    expected_version: int,
    **fields: Any,
) -> Ticket:
    """Performs `action` on `ticket` as `actor` and returns the updated ticket.

    Locks the row, refuses a stale `expected_version` (TicketVersionConflictError, a ConflictError:
    the other person's change stands, this one changes nothing), checks the state, role, department
    scope and guard, validates `fields` (the table's `requires` and `accepts`), applies the action's
    effects (appeals.effects), appends a TicketEvent, writes the audit event and schedules the
    notifications for after the commit. `actor=None` is the system, for the transitions that allow it.
    """
    from huiqi.appeals import effects, transition_fields  # they import this module's neighbours

    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("appeal", "appeal__enterprise", "lead_department")
            .get(pk=ticket.pk)
        )
        if locked.version != _version(expected_version):
            raise TicketVersionConflictError(_conflict_message(locked, expected_version))
        resolved, fields = resolve_action(action=action, ticket=locked, fields=fields)
        transition = transition_for(action=resolved, state=locked.state)
        check_actor(transition=transition, ticket=locked, actor=actor)
        clean = transition_fields.clean_fields(transition=transition, fields=fields, ticket=locked)
        if transition.guard is not None and (problem := transition.guard(locked)):
            raise TicketTransitionNotAllowedError(problem)
        now = timezone.now()
        before = effects.snapshot(locked)
        from_state = TicketState(locked.state)
        step = effects.Step(
            ticket=locked, actor=actor, fields=clean, now=now, requested_action=_action(action)
        )
        effects.apply(transition.action, step)
        locked.state = transition.target_from(from_state)
        locked.version += 1
        locked.save()
        locked.appeal.save()
        after = effects.snapshot(locked)
        changed = {k for k in after if before.get(k) != after.get(k)}
        TicketEvent.objects.create(
            ticket=locked,
            action=transition.action,
            from_state=from_state,
            to_state=locked.state,
            actor=actor,
            role=getattr(actor, "role", "") or "",
            department=getattr(actor, "department", None) if actor is not None else None,
            reason=step.reason,
            at=now,
            data=effects.jsonable(step.data),
        )
        audit_after = {k: after[k] for k in sorted(changed)}
        if step.reason:
            audit_after["reason"] = step.reason
        record_event(
            actor=actor,
            action=transition.audit_action,
            obj=locked,
            before={k: before[k] for k in sorted(changed)},
            after=audit_after,
        )
        effects.schedule_notices(step)
        _schedule_metrics_refresh(ticket_id=locked.pk)
    return locked


def _schedule_metrics_refresh(*, ticket_id: int, in_background: bool = False) -> None:
    """Keeps the metrics' fact row of the ticket in step (appeals.metrics.facts), after the commit.

    A transition refreshes at once, so leaders' figures follow the work; a supervision leaves it to
    the worker (in_background: a task stored with the change, core.task_queue), and a registration to
    its after_registration task. Either way a failure never undoes the transition, and `huiqi rebuild_appeal_metrics --updated-since` catches up what was missed."""
    if in_background:
        from huiqi.appeals.metrics.tasks import refresh_appeal_fact_task

        enqueue_in_transaction(refresh_appeal_fact_task, ticket_id)
    else:
        from huiqi.appeals.metrics.facts import refresh_appeal_fact_on_commit

        refresh_appeal_fact_on_commit(ticket_id=ticket_id)


def _version(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AppealInputInvalidError(f"工单版本号无效：{value!r}。", field="version") from None


def append_history(
    *,
    ticket: Ticket,
    action: TicketAction,
    actor: User | None,
    at: datetime,
    reason: str = "",
    refresh_metrics: bool = True,
    **data: Any,
) -> TicketEvent:
    """A history row for an event that is not a transition (registration, supervision). The metrics'
    fact is refreshed in the background unless the caller sees to it (registration does)."""
    from huiqi.appeals import effects

    if refresh_metrics:
        _schedule_metrics_refresh(ticket_id=ticket.pk, in_background=True)
    event = TicketEvent(
        ticket=ticket,
        action=action,
        from_state="",
        to_state=ticket.state,
        actor=actor,
        role=getattr(actor, "role", "") or "",
        department_id=getattr(actor, "department_id", None) if actor is not None else None,  # no query
        reason=reason,
        at=at,
        data=effects.jsonable(data),
    )
    insert_new(event)  # append-only, on every registration: the statement composed once (core.db)
    return event
