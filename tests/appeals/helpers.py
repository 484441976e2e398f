"""Building blocks of the workflow tests: a ticket ready for an action, an actor of a role who is in
the ticket's scope, and valid fields for each action."""

from __future__ import annotations

from typing import Any

from huiqi.accounts.enums import Role
from huiqi.appeals.enums import TicketAction, TicketState
from huiqi.appeals.models import Ticket
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseUserFactory, UserFactory

A = TicketAction
SYSTEM = "system"
ALL_ROLES: tuple[str, ...] = (*Role.values, SYSTEM)


def ticket_for(action: TicketAction, state: TicketState) -> Ticket:
    """A ticket in `state` whose guards let `action` pass (a pending extension for the decisions)."""
    pending = 2 if action in (A.APPROVE_EXTENSION, A.REJECT_EXTENSION) else None
    return TicketFactory(state=state, pending_extension=pending)


def actor_for(role: str, ticket: Ticket) -> Any:
    """A user of `role` in the ticket's scope (a handler of its lead department, a member of its
    enterprise), or None for the system."""
    if role == SYSTEM:
        return None
    if role == Role.HANDLER:
        return UserFactory(role=role, department=ticket.lead_department or DepartmentFactory())
    if role == Role.ENTERPRISE:
        return EnterpriseUserFactory(enterprises=[ticket.appeal.enterprise])
    if role == Role.LEADER:
        return UserFactory(role=role, department=None)
    return UserFactory(role=role)


def fields_for(action: TicketAction, ticket: Ticket, role: str) -> dict[str, Any]:
    """Valid fields of `action` for an actor of `role`."""
    follow_up_method = "online" if role == Role.ENTERPRISE else "call"
    return {
        A.INSTRUCT: lambda: {"instruction": "请市工信局牵头，三个工作日内答复企业。"},
        A.DISPATCH: lambda: {"lead_department": DepartmentFactory()},
        A.REDISPATCH: lambda: {"lead_department": DepartmentFactory(), "reason": "属区级事权"},
        A.ACCEPT: dict,
        A.RETURN: lambda: {"reason": "不属于本单位职责"},
        A.RECLASSIFY: lambda: {"category": CategoryFactory()},
        A.REQUEST_EXTENSION: lambda: {"days": 2, "reason": "需协调供电公司"},
        A.APPROVE_EXTENSION: dict,
        A.REJECT_EXTENSION: lambda: {"reason": "时限充足"},
        A.PAUSE: lambda: {"reason": "请企业补充用电负荷清单"},
        A.RESUME: dict,
        A.SUBMIT_REPLY: lambda: {"text": "已协调供电公司完成勘查。"},
        A.APPROVE_REPLY: dict,
        A.SEND_BACK_REPLY: lambda: {"reason": "答复未说明完成时间"},
        A.RECORD_FOLLOW_UP: lambda: {
            "method": follow_up_method,
            "is_resolved": True,
            "satisfaction": "satisfied",
        },
        A.REOPEN: lambda: (
            {
                "reason": "企业不满意",
                "method": follow_up_method,
                "is_resolved": False,
                "satisfaction": "dissatisfied",
            }
            if role in (Role.AGENT, Role.ENTERPRISE)
            else {"reason": "答复未解决问题"}
        ),
        A.CLOSE: lambda: {"reason": "三次联系企业未接通"},
        A.DIRECT_REPLY: lambda: {"text": "该政策申报入口在市政务服务网“惠企政策”栏目。"},
        A.MERGE: lambda: {"into": TicketFactory().appeal},
    }[action]()
