"""The life of one demo appeal, simulated step by step as the workflow would have performed it.

Why a simulation and not the services: a year of appeals through the services (locks, audit events,
notifications, one transaction per step) takes minutes on SQLite, and load_demo must stay quick. The
simulator writes the same rows the effects write (appeals/effects), in the order of the workflow table
(appeals/workflow.py), with the times of a plausible year: working hours between the steps
(core.workdays), deadlines by appeals.time_limits, and the same history rows (TicketEvent, with the
data the metrics read). The timeline stops at "now": appeals of the last days are still in progress,
in every state.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from huiqi.accounts.enums import Role
from huiqi.appeals.demo import texts
from huiqi.appeals.enums import (
    Channel,
    Closure,
    ExtensionDecision,
    FollowUpMethod,
    Kind,
    ReplyStatus,
    Satisfaction,
    TicketAction,
    TicketState,
)
from huiqi.appeals.time_limits import compute_deadline
from huiqi.core import workdays

A, S = TicketAction, TicketState


class TimelineEndedError(Exception):
    """The next step would happen after now (or after the state the plan stops in)."""


@dataclass
class Actors:
    """Who acts in the demo: users (or None) by role, and handlers by department id."""

    agents: list[Any]
    dispatcher: Any
    supervisor: Any
    leader: Any
    platform: Any
    specialist: Any
    handlers: dict[int, Any]
    enterprise_users: dict[int, Any]
    department_names: dict[int, str]


@dataclass
class Plan:
    """Everything written for one appeal; filled by `simulate`."""

    appeal: dict[str, Any]
    ticket: dict[str, Any]
    category: Any
    enterprise: Any
    limit: Any  # time_limits.LimitSpec
    route: Any  # routing.RouteSuggestion
    other_department_id: int | None
    text_code: str = ""  # the second-level category the text was written for
    merge_into: int | None = None  # index of the plan this one is merged into
    stop_state: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    extensions: list[dict[str, Any]] = field(default_factory=list)
    assisting: list[int] = field(default_factory=list)


class Simulator:
    def __init__(self, *, plan: Plan, rng: random.Random, actors: Actors, now: dt.datetime) -> None:
        self.p, self.rng, self.actors, self.now = plan, rng, actors, now
        self.ticket = plan.ticket
        self.topic = texts.LEAVES[plan.text_code].topic

    # --- helpers --------------------------------------------------------------------------------------

    def hours(self, start: dt.datetime, low: float, high: float) -> dt.datetime:
        """A moment `low`..`high` office hours after `start`."""
        value = Decimal(str(round(self.rng.uniform(low, high), 2)))
        return workdays.add_working_hours(start, value).value

    def handler(self) -> Any:
        return self.actors.handlers.get(self.ticket["lead_department_id"])

    def event(
        self,
        action: TicketAction,
        to_state: str,
        at: dt.datetime,
        actor: Any,
        role: str,
        *,
        reason: str = "",
        data: dict[str, Any] | None = None,
        department_id: int | None = None,
        apply: Callable[[], None] | None = None,
    ) -> None:
        """Appends a transition if it happens by now; applies its effects; stops at the plan's state."""
        if at > self.now:
            raise TimelineEndedError
        from_state = self.ticket["state"]
        if action not in (A.REGISTER,):
            self.ticket["version"] += 1
        self.ticket["state"] = to_state
        self.ticket["updated_at"] = at
        if apply is not None:
            apply()
        actor_department = getattr(actor, "department_id", None) if actor is not None else None
        self.p.events.append(
            {
                "action": action,
                "from_state": "" if action == A.REGISTER else from_state,
                "to_state": to_state,
                "actor": actor,
                "role": role,
                "department_id": department_id if department_id is not None else actor_department,
                "reason": reason,
                "at": at,
                "data": data or {},
            }
        )
        if self.p.stop_state is not None and to_state == self.p.stop_state and action != A.REGISTER:
            raise TimelineEndedError

    def refresh_deadline(self) -> None:
        t = self.ticket
        deadline = compute_deadline(
            clock_started_at=t["clock_started_at"],
            value=t["time_limit_value"],
            unit=t["time_limit_unit"],
            extension_days=t["extension_days"],
            paused_hours=t["paused_hours"],
        )
        t["deadline_at"], t["warning_at"] = deadline.deadline_at, deadline.warning_at
        t["deadline_is_provisional"] = deadline.is_provisional

    def department(self, pk: int | None) -> dict[str, Any] | None:
        return {"id": pk, "name": self.actors.department_names.get(pk, "")} if pk else None

    # --- the life -------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.register()
            t = self.p.appeal["registered_at"]
            if self.p.stop_state == S.AWAITING_INSTRUCTION:
                return
            if self.p.appeal["channel"] == Channel.MAYOR_LINE:
                t = self.instruct(t)
            if self.p.stop_state == S.AWAITING_DISPATCH:
                return
            if self.p.merge_into is not None:
                self.merge(t)
                return
            if self.p.appeal["is_direct_reply"]:
                self.direct_reply(t)
                return
            self.handle(t)
        except TimelineEndedError:
            pass

    def register(self) -> None:
        a = self.p.appeal
        actor = a["registered_by"]
        self.event(
            A.REGISTER,
            self.ticket["state"],
            a["registered_at"],
            actor,
            getattr(actor, "role", "") or "",
            data={
                "channel": a["channel"],
                "kind": a["kind"],
                "priority": a["priority"],
                "time_limit": self.p.limit.label,
            },
        )

    def instruct(self, t: dt.datetime) -> dt.datetime:
        at = self.hours(t, 1, 6)
        instruction = self.rng.choice(texts.INSTRUCTIONS)

        def apply() -> None:
            self.p.appeal.update(
                leader_instruction=instruction, instructed_by=self.actors.leader, instructed_at=at
            )

        self.event(
            A.INSTRUCT, S.AWAITING_DISPATCH, at, self.actors.leader, Role.LEADER,
            data={"instruction": instruction}, apply=apply,
        )  # fmt: skip
        return at

    def merge(self, t: dt.datetime) -> None:
        at = self.hours(t, 0.5, 3)
        self.event(
            A.MERGE, S.CLOSED, at, self.actors.dispatcher, Role.DISPATCHER,
            reason="与该企业此前反映的事项相同，并单办理。", apply=lambda: self.close(at, Closure.MERGED),
        )  # fmt: skip

    def close(self, at: dt.datetime, closure: str) -> None:
        self.ticket.update(closed_at=at, closure=closure)
        self.p.appeal["closed_at"] = at

    def direct_reply(self, t: dt.datetime) -> None:
        agent = (
            self.p.appeal["registered_by"]
            if getattr(self.p.appeal["registered_by"], "role", "") == Role.AGENT
            else self.rng.choice(self.actors.agents)
        )
        at = t + dt.timedelta(minutes=self.rng.randint(3, 25))
        text = self.rng.choice(texts.DIRECT_REPLIES).format(topic=self.topic)

        def apply() -> None:
            self.p.replies.append(
                {
                    "text": text,
                    "status": ReplyStatus.DIRECT,
                    "author": agent,
                    "department_id": getattr(agent, "department_id", None),
                    "submitted_at": at,
                }
            )
            self.ticket["replied_at"] = at
            self.close(at, Closure.DIRECT_REPLY)

        self.event(A.DIRECT_REPLY, S.CLOSED, at, agent, Role.AGENT, apply=apply, data={"reply": {"index": 0}})
        if self.rng.random() < 0.3:  # some are followed up later (still recorded: satisfaction rate)
            later = self.hours(at, 4, 24)
            self.follow_up(later, closes=False)

    def dispatch(self, t: dt.datetime, *, redispatch: bool = False) -> dt.datetime:
        route = self.p.route
        lead = route.lead_department.pk if route.lead_department is not None else self.p.other_department_id
        if self.ticket.get("returned") and self.p.other_department_id:
            lead = self.p.other_department_id
        assisting = [d.pk for d in route.assisting_departments if d.pk != lead]
        automatic = not redispatch and not self.ticket.get("returned") and self.rng.random() < 0.55
        at = self.hours(t, 0.05, 0.3) if automatic else self.hours(t, 0.3, 3)
        actor, role = (None, "") if automatic else (self.actors.dispatcher, Role.DISPATCHER)
        reason = ""
        if automatic:
            reason = f"自动派单：分类置信度高于阈值；派单规则“{route.rule.name if route.rule else ''}”。"
        elif redispatch:
            reason = "原承办单位职责不符，转派办理。"

        def apply() -> None:
            self.ticket.update(lead_department_id=lead, dispatched_at=at, accepted_at=None)
            self.p.assisting = assisting

        self.event(
            A.REDISPATCH if redispatch else A.DISPATCH, S.DISPATCHED, at, actor, role, reason=reason, apply=apply,
            data={"lead_department": self.department(lead), "assisting_departments": [self.department(d) for d in assisting]},
        )  # fmt: skip
        return at

    def handle(self, t: dt.datetime) -> None:
        t = self.dispatch(t)
        if self.rng.random() < 0.05 and self.p.other_department_id:  # 退单, then dispatched elsewhere
            at = self.hours(t, 1, 8)
            other = self.actors.department_names.get(self.p.other_department_id, "相关单位")
            returned_by = self.ticket["lead_department_id"]
            self.event(
                A.RETURN, S.AWAITING_DISPATCH, at, self.handler(), Role.HANDLER,
                reason=self.rng.choice(texts.RETURN_REASONS).format(other=other), department_id=returned_by,
                data={"returned_by_department": self.department(returned_by)},
                apply=lambda: self.ticket.update(lead_department_id=None, accepted_at=None, returned=True),
            )  # fmt: skip
            self.p.assisting = []
            t = self.dispatch(at)
        while True:
            t = self.work(t)
            outcome, t = self.after_reply(t)
            if outcome != "reopened":
                return

    def work(self, t: dt.datetime) -> dt.datetime:
        """From dispatched to an approved reply: accept, maybe extension or pause, reply, review."""
        lead = self.ticket["lead_department_id"]
        handler = self.handler()
        t = self.hours(t, 0.3, 7)
        self.event(A.ACCEPT, S.ACCEPTED, t, handler, Role.HANDLER, department_id=lead,
                   apply=lambda: self.ticket.update(accepted_at=t))  # fmt: skip
        limit_hours = float(self.ticket["time_limit_value"]) * (
            float(workdays.hours_per_working_day())
            if self.ticket["time_limit_unit"] == "working_days"
            else 1.0
        )
        if self.ticket.get("stuck"):  # a recent ticket its department sits on: overdue now
            share = self.rng.uniform(1.3, 3.0)
        elif self.rng.random() < 0.04:  # replied late
            share = self.rng.uniform(1.05, 1.8)
        else:
            share = min(0.95, self.rng.betavariate(2.2, 3.2))
        reply_at = workdays.add_working_hours(
            self.ticket["clock_started_at"], Decimal(str(round(max(limit_hours * share, 1.0), 2)))
        ).value
        reply_at = max(reply_at, self.hours(t, 0.5, 2))
        if self.rng.random() < 0.08:
            t = self.extension(t, handler, lead)
            reply_at = max(reply_at, self.hours(t, 1, 6))
        if self.ticket.get("force_pause") or self.rng.random() < 0.05:
            t = self.pause(t, handler, lead)
            reply_at = max(reply_at, self.hours(t, 1, 6))
        text = self.reply_text()
        self.submit(reply_at, handler, lead, text)
        t = reply_at
        if self.rng.random() < 0.04:  # the dispatcher sends it back once
            t = self.hours(t, 0.5, 4)
            reason = self.rng.choice(texts.SEND_BACK_REASONS)

            def sent_back() -> None:
                self.p.replies[-1].update(
                    status=ReplyStatus.SENT_BACK,
                    reviewed_by=self.actors.dispatcher,
                    reviewed_at=t,
                    review_comment=reason,
                )

            self.event(
                A.SEND_BACK_REPLY,
                S.ACCEPTED,
                t,
                self.actors.dispatcher,
                Role.DISPATCHER,
                reason=reason,
                apply=sent_back,
            )
            t = self.hours(t, 1, 6)
            self.submit(t, handler, lead, self.reply_text())
        t = self.hours(t, 0.3, 4)

        def approved() -> None:
            self.p.replies[-1].update(
                status=ReplyStatus.APPROVED, reviewed_by=self.actors.dispatcher, reviewed_at=t
            )
            self.ticket["replied_at"] = t
            self.withdraw_extension(t)

        self.event(A.APPROVE_REPLY, S.REPLIED, t, self.actors.dispatcher, Role.DISPATCHER, apply=approved)
        return t

    def reply_text(self) -> str:
        r = self.rng
        return (
            r.choice(texts.REPLY_OPENINGS)
            + r.choice(texts.REPLY_ACTIONS).format(topic=self.topic)
            + r.choice(texts.REPLY_CLOSINGS)
        )

    def submit(self, at: dt.datetime, handler: Any, lead: int, text: str) -> None:
        def apply() -> None:
            self.p.replies.append(
                {
                    "text": text,
                    "status": ReplyStatus.PENDING_REVIEW,
                    "author": handler,
                    "department_id": lead,
                    "submitted_at": at,
                }
            )

        self.event(A.SUBMIT_REPLY, S.REPLY_REVIEW, at, handler, Role.HANDLER, department_id=lead, apply=apply)

    def extension(self, t: dt.datetime, handler: Any, lead: int) -> dt.datetime:
        t = self.hours(t, 2, 12)
        days = Decimal(self.rng.choice([2, 3, 5]))
        reason = self.rng.choice(texts.EXTENSION_REASONS)
        self.p.extensions.append(
            {
                "requested_days": days,
                "reason": reason,
                "requested_by": handler,
                "requested_at": t,
                "decision": ExtensionDecision.PENDING,
            }
        )
        self.event(A.REQUEST_EXTENSION, self.ticket["state"], t, handler, Role.HANDLER, reason=reason, department_id=lead,
                   data={"extension": {"requested_days": str(days)}})  # fmt: skip
        t = self.hours(t, 0.5, 6)
        approve = self.rng.random() < 0.8
        by_dispatcher = self.rng.random() < 0.7
        decider = self.actors.dispatcher if by_dispatcher else self.actors.supervisor
        decider_role = Role.DISPATCHER if by_dispatcher else Role.SUPERVISOR
        extension = self.p.extensions[-1]

        def decide() -> None:
            extension.update(
                decision=ExtensionDecision.APPROVED if approve else ExtensionDecision.REJECTED,
                granted_days=days if approve else None, decided_by=decider, decided_at=t,
                decision_comment="" if approve else texts.REJECT_REASONS[0],
            )  # fmt: skip
            if approve:
                self.ticket["extension_days"] += days
                self.refresh_deadline()

        self.event(
            A.APPROVE_EXTENSION if approve else A.REJECT_EXTENSION, self.ticket["state"], t, decider, decider_role,
            reason="" if approve else texts.REJECT_REASONS[0], apply=decide,
        )  # fmt: skip
        return t

    def withdraw_extension(self, at: dt.datetime) -> None:
        for extension in self.p.extensions:
            if extension["decision"] == ExtensionDecision.PENDING:
                extension.update(decision=ExtensionDecision.WITHDRAWN, decided_at=at)

    def pause(self, t: dt.datetime, handler: Any, lead: int) -> dt.datetime:
        t = self.hours(t, 1, 8)
        self.event(A.PAUSE, S.PAUSED, t, handler, Role.HANDLER, reason=self.rng.choice(texts.PAUSE_REASONS),
                   department_id=lead, apply=lambda: self.ticket.update(paused_at=t))  # fmt: skip
        started = t
        t = self.hours(t, 3, 20)

        def resume() -> None:
            hours = workdays.working_hours_between(started, t).value
            self.ticket["paused_hours"] += hours
            self.ticket["paused_at"] = None
            self.refresh_deadline()

        self.event(A.RESUME, S.ACCEPTED, t, handler, Role.HANDLER, department_id=lead, apply=resume)
        return t

    def after_reply(self, t: dt.datetime) -> tuple[str, dt.datetime]:
        if self.rng.random() < 0.1:  # unreachable: closed without follow-up
            at = self.hours(t, 16, 30)
            self.event(A.CLOSE, S.CLOSED, at, self.actors.dispatcher, Role.DISPATCHER,
                       reason=self.rng.choice(texts.CLOSE_REASONS), apply=lambda: self.close(at, Closure.WITHOUT_FOLLOW_UP))  # fmt: skip
            return "closed", at
        at = self.hours(t, 2, 20)
        return self.follow_up(at, closes=True), at

    def follow_up(self, at: dt.datetime, *, closes: bool) -> str:
        enterprise_id = self.p.appeal["enterprise"].pk if self.p.appeal["enterprise"] is not None else None
        user = self.actors.enterprise_users.get(enterprise_id) if enterprise_id else None
        online = user is not None and self.rng.random() < 0.5
        actor = user if online else self.rng.choice(self.actors.agents)
        roll = self.rng.random()
        reopens_left = self.ticket["reopen_count"] < 2
        if roll < 0.045 and closes:
            satisfaction = Satisfaction.DISSATISFIED
        else:
            satisfaction = Satisfaction.SATISFIED if roll < 0.93 else Satisfaction.FAIRLY_SATISFIED
        if satisfaction == Satisfaction.DISSATISFIED:
            comment = self.rng.choice(texts.DISSATISFIED_COMMENTS)
            resolved = False
        elif satisfaction == Satisfaction.FAIRLY_SATISFIED:
            comment, resolved = self.rng.choice(texts.FAIRLY_COMMENTS), self.rng.random() < 0.7
        else:
            comment, resolved = self.rng.choice(texts.SATISFIED_COMMENTS), self.rng.random() < 0.97
        method = FollowUpMethod.ONLINE if online else FollowUpMethod.CALL
        row = {
            "method": method,
            "is_resolved": resolved,
            "satisfaction": satisfaction,
            "comment": comment,
            "recorded_by": actor,
            "recorded_at": at,
            "reply_index": len(self.p.replies) - 1,
        }
        data = {"follow_up": {"method": method, "is_resolved": resolved, "satisfaction": satisfaction}}
        role = Role.ENTERPRISE if online else Role.AGENT
        if not closes:
            self.event(
                A.RECORD_FOLLOW_UP,
                S.CLOSED,
                at,
                actor,
                role,
                data=data,
                apply=lambda: self.p.follow_ups.append(row),
            )
            return "closed"
        if satisfaction == Satisfaction.DISSATISFIED and reopens_left:

            def reopen() -> None:
                self.p.follow_ups.append(row)
                t = self.ticket
                t.update(reopen_count=t["reopen_count"] + 1, clock_started_at=at, extension_days=Decimal(0),
                         paused_hours=Decimal(0), paused_at=None, accepted_at=None, dispatched_at=at)  # fmt: skip
                self.refresh_deadline()

            self.event(A.REOPEN, S.DISPATCHED, at, actor, role, reason=comment or "回访不满意，自动重办。",
                       data={**data, "automatic": True}, apply=reopen)  # fmt: skip
            return "reopened"

        def closed() -> None:
            self.p.follow_ups.append(row)
            self.close(at, Closure.FOLLOWED_UP)

        self.event(A.RECORD_FOLLOW_UP, S.CLOSED, at, actor, role, data=data, apply=closed)
        return "closed"


GENERIC_TITLES = ("企业反映问题", "请求协调解决", "企业诉求", "关于企业困难的反映", "来电反映")


def compose_text(
    *, rng: random.Random, code: str, kind: str, department: str, problem_code: str | None = None
) -> tuple[str, str]:
    """(title, content) of an appeal of category `code` and `kind`; the problem may be a sibling
    category's (`problem_code`), as real appeals mix matters, and titles are often vague."""
    leaf = texts.LEAVES[code]
    subject = rng.choice(leaf.subjects)
    problem = rng.choice(texts.LEAVES[problem_code or code].problems)
    opening = rng.choice(texts.OPENINGS)
    if kind == Kind.CONSULTATION:
        content = f"{opening}{subject}，{rng.choice(leaf.questions)}"
        title = f"咨询{leaf.topic}相关问题"
    elif kind == Kind.HELP:
        content = f"{opening}{subject}，{problem}，{rng.choice(texts.HELP_ASKS)}"
        title = f"{leaf.topic}问题求助"
    elif kind == Kind.COMPLAINT:
        content = f"{opening}{subject}，{problem}。{rng.choice(texts.COMPLAINT_ASKS)}"
        title = f"投诉{leaf.topic}问题"
    elif kind == Kind.SUGGESTION:
        content = f"{opening}{subject}，{problem}。" + rng.choice(texts.SUGGESTIONS).format(topic=leaf.topic)
        title = f"关于{leaf.topic}的建议"
    else:
        content = rng.choice(texts.PRAISES).format(department=department or "承办单位", topic=leaf.topic)
        return f"表扬{department or '承办单位'}", content
    roll = rng.random()
    if roll < 0.3:
        title = subject[:16]
    elif roll < 0.5:
        title = rng.choice(GENERIC_TITLES)
    return title, content


def caller_name(rng: random.Random) -> str:
    return rng.choice(texts.SURNAMES) + rng.choice(texts.TITLES if rng.random() < 0.6 else texts.GIVEN)
