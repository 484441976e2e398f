"""One appeal through the whole loop at the service layer (the browser test walks the same path)."""

import pytest

from huiqi.appeals import services
from huiqi.appeals.enums import Closure, TicketState
from huiqi.appeals.models import TicketEvent
from huiqi.core.models import Notification

pytestmark = pytest.mark.django_db


def test_appeal_goes_from_hotline_intake_through_reopening_to_close(
    agent, dispatcher, handler, department, enterprise, enterprise_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.register_appeal(
            actor=agent,
            channel="hotline",
            kind="help",
            content="新厂房用电增容申请一个月没有进展，影响投产。",
            caller_phone="053188886666",
        )
    assert appeal.enterprise == enterprise
    ticket = appeal.ticket
    assert ticket.state == TicketState.AWAITING_DISPATCH
    ticket = services.dispatch_ticket(
        actor=dispatcher, ticket=ticket, expected_version=ticket.version, lead_department=department
    )
    ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
    ticket = services.request_extension(
        actor=handler, ticket=ticket, expected_version=ticket.version, days=2, reason="需协调供电公司"
    )
    deadline = ticket.deadline_at
    ticket = services.approve_extension(actor=dispatcher, ticket=ticket, expected_version=ticket.version)
    assert ticket.deadline_at > deadline
    ticket = services.submit_reply(
        actor=handler, ticket=ticket, expected_version=ticket.version, text="已协调。"
    )
    ticket = services.approve_reply(actor=dispatcher, ticket=ticket, expected_version=ticket.version)
    ticket = services.record_follow_up(
        actor=agent,
        ticket=ticket,
        expected_version=ticket.version,
        method="call",
        is_resolved=False,
        satisfaction="dissatisfied",
        comment="还没通电",
    )
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.reopen_count == 1
    ticket = services.accept_ticket(actor=handler, ticket=ticket, expected_version=ticket.version)
    ticket = services.submit_reply(
        actor=handler, ticket=ticket, expected_version=ticket.version, text="已通电。"
    )
    ticket = services.approve_reply(actor=dispatcher, ticket=ticket, expected_version=ticket.version)
    ticket = services.record_follow_up(
        actor=enterprise_user,
        ticket=ticket,
        expected_version=ticket.version,
        method="online",
        is_resolved=True,
        satisfaction="satisfied",
    )
    assert ticket.state == TicketState.CLOSED
    assert ticket.closure == Closure.FOLLOWED_UP
    actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == [
        "register", "dispatch", "accept", "request_extension", "approve_extension", "submit_reply",
        "approve_reply", "reopen", "accept", "submit_reply", "approve_reply", "record_follow_up",
    ]  # fmt: skip
    assert Notification.objects.filter(recipient=enterprise_user, subject__contains=appeal.number).exists()
