"""Who sees which tickets and appeals, masked caller phones, and the order of the queues."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import selectors
from huiqi.appeals.enums import Priority, TicketAction, TicketState
from huiqi.core.errors import NotFoundError, PermissionDeniedError
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_handler_sees_the_tickets_its_department_leads_or_assists_only(handler, department):
    led = TicketFactory(state=TicketState.ACCEPTED, lead_department=department)
    assisted = TicketFactory(state=TicketState.DISPATCHED)
    assisted.assisting_departments.add(department)
    TicketFactory(state=TicketState.ACCEPTED)  # another department's
    TicketFactory()  # not dispatched yet
    assert set(selectors.tickets_visible_to(user=handler)) == {led, assisted}
    with pytest.raises(NotFoundError):
        selectors.get_ticket(user=handler, ticket_id=TicketFactory(state=TicketState.ACCEPTED).pk)


def test_a_ticket_assisted_by_two_units_of_the_scope_is_listed_once():
    town = DepartmentFactory(town=True)
    district_handler = UserFactory(role=Role.HANDLER, department=town.parent)
    ticket = TicketFactory(state=TicketState.DISPATCHED)
    ticket.assisting_departments.add(town, town.parent)
    assert list(selectors.tickets_visible_to(user=district_handler)) == [ticket]


def test_enterprise_user_sees_its_own_appeals_only(enterprise, enterprise_user):
    own = TicketFactory(appeal__enterprise=enterprise)
    TicketFactory()
    assert list(selectors.appeals_visible_to(user=enterprise_user)) == [own.appeal]
    assert selectors.get_appeal(user=enterprise_user, number=own.appeal.number) == own.appeal


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.AGENT, Role.SUPERVISOR, Role.SYSTEM_ADMIN])
def test_city_wide_roles_see_every_ticket(role):
    tickets = {TicketFactory(), TicketFactory(state=TicketState.ACCEPTED)}
    assert set(selectors.tickets_visible_to(user=UserFactory(role=role))) == tickets


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_security_and_audit_administrators_see_no_appeals(role):
    with pytest.raises(PermissionDeniedError):
        selectors.tickets_visible_to(user=UserFactory(role=role))


def test_caller_phone_is_masked_for_roles_that_do_not_call_back(agent, dispatcher, handler):
    appeal = TicketFactory().appeal
    assert selectors.caller_phone_for(user=agent, appeal=appeal) == "13912345678"
    assert selectors.caller_phone_for(user=dispatcher, appeal=appeal) == "139****5678"
    assert selectors.caller_phone_for(user=handler, appeal=appeal) == "139****5678"


def test_dispatch_queue_puts_urgent_then_high_then_the_oldest_first(dispatcher):
    now = timezone.now()
    old_normal = TicketFactory(appeal__registered_at=now - dt.timedelta(hours=3))
    new_normal = TicketFactory(appeal__registered_at=now - dt.timedelta(hours=1))
    high = TicketFactory(appeal__priority=Priority.HIGH, appeal__registered_at=now)
    urgent = TicketFactory(appeal__priority=Priority.URGENT, appeal__registered_at=now)
    TicketFactory(state=TicketState.DISPATCHED)
    assert list(selectors.dispatch_queue(user=dispatcher)) == [urgent, high, old_normal, new_normal]


def test_overdue_and_warning_lists_leave_stopped_clocks_out():
    overdue = TicketFactory(overdue=True)
    TicketFactory(overdue=True, state=TicketState.PAUSED)
    warned = TicketFactory(warned=True)
    assert list(selectors.tickets_overdue()) == [overdue]
    assert list(selectors.tickets_in_warning()) == [warned]


def test_mayor_line_queue_holds_what_awaits_an_instruction(leader):
    waiting = TicketFactory(state=TicketState.AWAITING_INSTRUCTION, appeal__channel="mayor_line")
    TicketFactory()
    assert list(selectors.mayor_line_queue(user=leader)) == [waiting]


def test_buttons_follow_the_role(handler, dispatcher):
    ticket = TicketFactory(state=TicketState.ACCEPTED)
    assert selectors.allowed_actions_for(user=handler, ticket=ticket) == [
        TicketAction.RETURN,
        TicketAction.REQUEST_EXTENSION,
        TicketAction.PAUSE,
        TicketAction.SUBMIT_REPLY,
    ]
    assert TicketAction.REDISPATCH in selectors.allowed_actions_for(user=dispatcher, ticket=ticket)


def test_recent_appeals_of_an_enterprise_for_the_hotline_page(agent, enterprise):
    appeals = [TicketFactory(appeal__enterprise=enterprise).appeal for _ in range(3)]
    recent = selectors.recent_appeals_of(user=agent, enterprise_id=enterprise.pk, limit=2)
    assert len(recent) == 2
    assert set(recent) <= set(appeals)


def test_caller_lookup_is_for_registry_readers(agent, enterprise):
    assert selectors.enterprises_for_caller(user=agent, phone="053188886666") == [enterprise]
    with pytest.raises(PermissionDeniedError):
        selectors.enterprises_for_caller(user=EnterpriseUserFactory(), phone="053188886666")


def test_category_tree_has_two_levels_in_order():
    energy = CategoryFactory(code="B", name="能源")
    power = CategoryFactory(code="B1", name="用电", parent=energy)
    land = CategoryFactory(code="A", name="用地")
    CategoryFactory(code="C", name="停用", is_active=False)
    assert selectors.category_tree() == [(land, []), (energy, [power])]


def test_categories_have_two_levels_only():
    top = CategoryFactory()
    child = CategoryFactory(parent=top)
    with pytest.raises(ValidationError, match="只有两级"):
        CategoryFactory.build(code="X9", parent=child).full_clean()
    top.parent = CategoryFactory()
    with pytest.raises(ValidationError, match="已有子分类"):
        top.full_clean()
