"""Two people acting on one ticket at once: one wins, the other gets a clear conflict error, nothing is
lost. Sequentially on any database (a stale version), with real parallel transactions on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from huiqi.accounts.enums import Role
from huiqi.appeals import services
from huiqi.appeals.enums import TicketState
from huiqi.appeals.errors import TicketVersionConflictError
from huiqi.appeals.models import Appeal, Ticket, TicketEvent
from huiqi.core.errors import ConflictError
from tests.appeals.factories import TicketFactory
from tests.factories import DepartmentFactory, UserFactory


@pytest.mark.django_db
def test_the_second_of_two_dispatchers_gets_a_conflict_naming_who_acted_first(dispatcher):
    other = UserFactory(role=Role.DISPATCHER, full_name="吴派单")
    ticket = TicketFactory()
    seen_by_both = Ticket.objects.get(pk=ticket.pk)
    first_department, second_department = (
        DepartmentFactory(name="市工信局"),
        DepartmentFactory(name="市商务局"),
    )
    services.dispatch_ticket(
        actor=dispatcher,
        ticket=seen_by_both,
        expected_version=seen_by_both.version,
        lead_department=first_department,
    )
    with pytest.raises(ConflictError) as raised:
        services.dispatch_ticket(
            actor=other,
            ticket=seen_by_both,
            expected_version=seen_by_both.version,
            lead_department=second_department,
        )
    assert isinstance(raised.value, TicketVersionConflictError)
    message = raised.value.message
    assert "赵派单" in message
    assert "派单" in message
    assert "待签收" in message
    assert "刷新" in message
    ticket.refresh_from_db()
    assert (ticket.lead_department, ticket.version) == (first_department, 2)
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("actor_id", flat=True)) == [
        dispatcher.pk
    ]


@pytest.mark.django_db
def test_a_stale_version_is_refused_even_for_an_action_that_would_be_allowed():
    ticket = TicketFactory(state=TicketState.DISPATCHED)
    handler = UserFactory(role=Role.HANDLER, department=ticket.lead_department)
    services.accept_ticket(actor=handler, ticket=ticket, expected_version=1)
    # The handler's second tab still shows version 1; pausing is allowed from "accepted", but not blind.
    with pytest.raises(TicketVersionConflictError, match="第 1 版，现为第 2 版"):
        services.pause_ticket(actor=handler, ticket=ticket, expected_version=1, reason="补材料")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ACCEPTED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel transactions need PostgreSQL")
def test_two_handlers_acting_at_once_one_wins_and_the_other_gets_a_conflict():
    ticket = TicketFactory(state=TicketState.DISPATCHED)
    handlers = [UserFactory(role=Role.HANDLER, department=ticket.lead_department) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(handler, action):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            if action == "accept":
                services.accept_ticket(actor=handler, ticket=ticket, expected_version=1)
            else:
                services.return_ticket(
                    actor=handler, ticket=ticket, expected_version=1, reason="非本单位职责"
                )
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        except BaseException as exc:  # pragma: no cover - reported by the assertion
            outcomes.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=act, args=(handlers[0], "accept")),
        threading.Thread(target=act, args=(handlers[1], "return")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    ticket.refresh_from_db()
    assert ticket.version == 2
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel transactions need PostgreSQL")
def test_the_same_push_arriving_twice_at_once_registers_one_appeal():
    barrier = threading.Barrier(4)
    numbers: list[str] = []

    def push():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            appeal = services.register_appeal(
                actor=None,
                channel="web",
                kind="complaint",
                content="园区道路施工影响货车进出。",
                source_system="12345",
                external_id="GD-2026-0001",
            )
            numbers.append(appeal.number)
        except BaseException as exc:  # pragma: no cover - reported by the assertion
            numbers.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=push) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(numbers) == 4, numbers
    assert len(set(numbers)) == 1, numbers
    assert Appeal.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel transactions need PostgreSQL")
def test_parallel_registrations_get_distinct_consecutive_numbers():
    agent = UserFactory(role=Role.AGENT)
    barrier = threading.Barrier(5)
    errors: list[str] = []

    def register():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for _ in range(4):
                services.register_appeal(
                    actor=agent, channel="hotline", kind="help", content="咨询社保补贴申领。"
                )
        except BaseException as exc:  # pragma: no cover
            errors.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=register) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sequence = sorted(int(number[-6:]) for number in Appeal.objects.values_list("number", flat=True))
    assert sequence == list(range(1, 21))
