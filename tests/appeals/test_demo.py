"""The demo appeals (appeals.demo): reference data, a consistent simulated year, metrics and the demo
classifier. Small counts: the full demo is measured by `make demo`, not here."""

import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from django.utils import timezone

from huiqi.accounts import demo as accounts_demo
from huiqi.accounts.models import User
from huiqi.appeals.demo import load_demo_appeals, reference
from huiqi.appeals.enums import Closure, ReplyStatus, Satisfaction, TicketAction, TicketState
from huiqi.appeals.metrics.models import AppealFact
from huiqi.appeals.models import (
    Appeal,
    AppealNumberCounter,
    Category,
    ClassifierVersion,
    FollowUp,
    RoutingRule,
    Ticket,
    TimeLimitRule,
)
from huiqi.appeals.workflow import TRANSITIONS_BY_KEY
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
COUNT = 260


@pytest.fixture
def city(settings, tmp_path, holiday_calendar):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path / "models")
    result = accounts_demo.DemoResult()
    accounts_demo.load_departments(result)
    accounts_demo.load_staff(result, password=accounts_demo.DEMO_PASSWORD)
    for n in range(40):
        EnterpriseFactory(red=n % 8 == 0, region_code="370102" if n % 3 else "370114")


@pytest.fixture
def loaded(city):
    return load_demo_appeals(count=COUNT, seed=5, now=NOW, train=False)  # training: its own test


def test_reference_data_is_a_two_level_tree_with_rules_leading_to_the_demo_departments(city):
    summary = load_demo_appeals(count=0)
    tops = Category.objects.filter(parent__isnull=True)
    assert tops.count() == len(reference.CATEGORIES)
    assert not Category.objects.filter(parent__parent__isnull=False).exists()
    assert summary.categories_created == Category.objects.count()
    assert RoutingRule.objects.count() == len(reference.ROUTES)
    assert TimeLimitRule.objects.count() == len(reference.TIME_LIMITS)
    assert not Appeal.objects.exists()
    handled = set(RoutingRule.objects.values_list("lead_department_id", flat=True))
    handlers = set(User.objects.filter(role="handler").values_list("department_id", flat=True))
    assert handled <= handlers  # every department a rule leads to has someone to accept
    assert User.objects.filter(username=reference.PLATFORM_USERNAME, role="agent").exists()


def test_a_year_of_appeals_is_loaded_in_every_state_with_a_believable_mix(loaded):
    assert loaded.appeals_created == COUNT
    states = Counter(Ticket.objects.values_list("state", flat=True))
    assert set(states) == set(TicketState.values)
    first, last = (
        Appeal.objects.order_by(f).values_list("registered_at", flat=True)[0]
        for f in ("registered_at", "-registered_at")
    )
    assert last <= NOW
    assert (NOW - first).days > 300
    channels = set(Appeal.objects.values_list("channel", flat=True))
    assert {"hotline", "web", "app", "visit"} <= channels
    assert len(set(Appeal.objects.values_list("kind", flat=True))) == 5
    assert Ticket.objects.exclude(lead_department=None).values("lead_department").distinct().count() >= 8
    closures = Counter(Ticket.objects.values_list("closure", flat=True))
    assert closures[Closure.DIRECT_REPLY] > 0
    assert closures[Closure.FOLLOWED_UP] > closures[Closure.WITHOUT_FOLLOW_UP]
    follow_ups = Counter(FollowUp.objects.values_list("satisfaction", flat=True))
    satisfied = follow_ups[Satisfaction.SATISFIED] + follow_ups[Satisfaction.FAIRLY_SATISFIED]
    assert 0.88 <= satisfied / sum(follow_ups.values()) < 1
    assert Ticket.objects.filter(reopen_count__gt=0).exists()


def test_every_ticket_history_follows_the_workflow_table_and_matches_the_ticket(loaded):
    for ticket in Ticket.objects.prefetch_related("events"):
        history = list(ticket.events.all())
        assert history[0].action == TicketAction.REGISTER
        # supervisions (the real service, run after the load) are history rows, not transitions
        events = [e for e in history if e.action != TicketAction.SUPERVISE]
        state = events[0].to_state
        for event in events[1:]:
            assert event.from_state == state, (ticket.pk, event.action)
            transition = TRANSITIONS_BY_KEY[(TicketAction(event.action), TicketState(state))]
            assert event.to_state == transition.target_from(TicketState(state))
            assert (event.role or None) is None or event.role in transition.roles or transition.allows_system
            state = event.to_state
        assert state == ticket.state
        assert ticket.version == len(events)  # one version per transition after registration
        assert all(a.at <= b.at for a, b in itertools.pairwise(events))


def test_rows_are_consistent_with_the_states(loaded):
    closed = Ticket.objects.filter(state=TicketState.CLOSED)
    assert not closed.filter(closed_at=None).exists()
    assert not Ticket.objects.exclude(state=TicketState.CLOSED).exclude(closed_at=None).exists()
    assert not Ticket.objects.filter(state=TicketState.PAUSED, paused_at=None).exists()
    replied = Ticket.objects.filter(state__in=[TicketState.REPLIED, TicketState.CLOSED]).exclude(
        closure="merged"
    )
    assert not replied.annotate(n=Count("replies")).filter(n=0).exists()
    assert (
        not Ticket.objects.filter(state=TicketState.REPLY_REVIEW)
        .exclude(replies__status=ReplyStatus.PENDING_REVIEW)
        .exists()
    )
    merged = Appeal.objects.exclude(merged_into=None)
    assert all(m.ticket.closure == Closure.MERGED for m in merged)


def test_numbers_are_unique_per_day_and_the_counters_continue_after_them(loaded):
    numbers = list(Appeal.objects.values_list("number", "registered_at"))
    assert len({n for n, _ in numbers}) == COUNT
    per_day = Counter(timezone.localtime(at).date() for _, at in numbers)
    for day, count in per_day.items():
        assert AppealNumberCounter.objects.get(day=day).last_value == count
    for number, at in numbers:
        assert number.startswith(f"QY{timezone.localtime(at):%Y%m%d}-")


def test_metrics_facts_and_the_demo_classifier_are_ready(city):
    loaded = load_demo_appeals(count=COUNT, seed=5, now=NOW)
    assert AppealFact.objects.count() == COUNT
    version = ClassifierVersion.objects.get(is_active=True)
    assert loaded.classifier_version == version.version
    assert version.source == "database"
    assert Appeal.objects.exclude(classifier_version=version.version).count() == 0
    assert Appeal.objects.exclude(suggested_category=None).count() > COUNT * 0.8


def test_loading_again_creates_nothing_new(loaded):
    counts = (Appeal.objects.count(), Category.objects.count(), RoutingRule.objects.count())
    again = load_demo_appeals(count=COUNT, seed=5, now=NOW, train=False)
    assert (again.appeals_created, again.categories_created, again.routing_rules_created) == (0, 0, 0)
    assert (Appeal.objects.count(), Category.objects.count(), RoutingRule.objects.count()) == counts
