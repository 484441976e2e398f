"""The all-against-all job: a MatchRun with progress, writing what the bulk matcher finds, and its page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from huiqi.core.errors import ConflictError, PermissionDeniedError
from huiqi.core.models import AuditEvent
from huiqi.policies import match_runs, services
from huiqi.policies.matching import match_all
from huiqi.policies.models import MatchResult, MatchRun, PolicyItem
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)


def _item(code: str, threshold: int, **extra) -> dict:
    return {
        "code": code,
        "title": f"测试条目{code}",
        "policy": "测试政策",
        "level": "city",
        "region_code": "370100",
        "department": "测试市工业和信息化局",
        "effective_from": date(2025, 1, 1),
        "eligibility": {"field": "revenue", "op": "ge", "value": threshold},
        "reward": {"formula": "revenue * 0.01", "cap": 150000},
        **extra,
    }


@pytest.fixture
def library(write_yaml):
    items = [_item("RUN-A", 10000000), _item("RUN-B", 5000000), _item("RUN-C", 1000000)]
    ended = _item("RUN-ENDED", 0, effective_to=date(2024, 12, 31), effective_from=date(2024, 1, 1))
    report = services.import_policy_items(paths=[write_yaml("items.yaml", [*items, ended])])
    assert report.rejected == []


@pytest.fixture
def registry():
    return [
        EnterpriseFactory(revenue=Decimal("20000000.00")),
        EnterpriseFactory(revenue=Decimal("7000000.00")),
        EnterpriseFactory(revenue=Decimal("2000000.00")),
        EnterpriseFactory(revenue=None),
        EnterpriseFactory(revenue=Decimal("10000.00")),
    ]


@pytest.fixture
def reviewer_user():
    return UserFactory(role="policy_reviewer")


def _stored() -> set[tuple[str, str, str, Decimal | None]]:
    return {
        (row.enterprise.uscc, row.item.code, row.status, row.amount)
        for row in MatchResult.objects.select_related("enterprise", "item")
    }


def test_a_full_run_stores_what_the_bulk_matcher_finds_with_progress(
    library, registry, reviewer_user, django_capture_on_commit_callbacks
):
    MatchResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        run = match_runs.start_match_run(actor=reviewer_user, as_of=AS_OF)
    run.refresh_from_db()
    expected = {
        (uscc, code, status, amount)
        for uscc, code, status, amount in match_all(
            as_of=AS_OF, statuses=("eligible", "needs_info")
        ).iter_rows()
    }
    assert _stored() == expected
    # By hand: 20M eligible for A, B, C; 7M for B, C; 2M for C; unknown revenue needs info for all three.
    assert (run.eligible_count, run.needs_info_count) == (6, 3)
    assert (run.status, run.processed_items, run.total_items, run.percent) == ("done", 3, 3, 100)
    assert run.enterprise_count == 5
    assert run.started_by == reviewer_user
    assert run.finished_at is not None
    events = AuditEvent.objects.filter(object_type="policies.matchrun", object_id=str(run.pk))
    actions = set(events.values_list("action", flat=True))
    assert actions == {"policy_match_run.start", "policy_match_run.finish"}


def test_progress_advances_one_step_of_items_at_a_time(library, registry, monkeypatch):
    monkeypatch.setattr(match_runs, "ITEMS_PER_STEP", 1)
    seen: list[int] = []
    original = match_runs._update_run

    def spy(run, **values):
        if "processed_items" in values:
            seen.append(values["processed_items"])
        original(run, **values)

    monkeypatch.setattr(match_runs, "_update_run", spy)
    run = MatchRun.objects.create(as_of=AS_OF)
    match_runs.process_match_run(run=run)
    assert seen == [0, 1, 2, 3]


def test_a_full_run_removes_results_of_items_no_longer_in_force(library, registry):
    ended = PolicyItem.objects.get(code="RUN-ENDED")
    MatchResult.objects.create(
        enterprise=registry[0],
        item=ended,
        item_version=ended.versions.get(),
        status="eligible",
        amount=Decimal("1.00"),
        as_of=date(2024, 6, 1),
        evaluated_at="2024-06-01T00:00:00Z",
    )
    match_runs.process_match_run(run=MatchRun.objects.create(as_of=AS_OF))
    assert not MatchResult.objects.filter(item=ended).exists()
    assert MatchResult.objects.filter(item__code="RUN-A").count() == 2


def test_a_run_limited_to_items_leaves_the_other_items_alone(library, registry):
    match_runs.process_match_run(run=MatchRun.objects.create(as_of=AS_OF))
    # An old evaluation time on RUN-C's rows shows whether the limited run rewrote them (their
    # primary key, the (enterprise, item) pair, would be the same after a rewrite).
    MatchResult.objects.filter(item__code="RUN-C").update(evaluated_at=datetime(2024, 6, 1, tzinfo=UTC))
    other = MatchResult.objects.filter(item__code="RUN-C").values_list(
        "enterprise_id", "status", "evaluated_at"
    )
    before = set(other)
    assert before
    MatchResult.objects.filter(item__code="RUN-A").delete()
    run = match_runs.process_match_run(run=MatchRun.objects.create(as_of=AS_OF, item_codes=["RUN-A"]))
    assert run.total_items == 1
    assert MatchResult.objects.filter(item__code="RUN-A").count() == 2
    assert set(other.all()) == before


def test_a_failing_run_is_marked_failed_with_the_reason(library, registry, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(match_runs, "_evaluate_group", broken)
    run = MatchRun.objects.create(as_of=AS_OF)
    with pytest.raises(RuntimeError):
        match_runs.process_match_run(run=run)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "磁盘已满" in run.failure_message


def test_a_finished_run_is_not_run_again(library, registry):
    run = match_runs.process_match_run(run=MatchRun.objects.create(as_of=AS_OF))
    MatchResult.objects.all().delete()
    assert match_runs.process_match_run(run=run).status == "done"
    assert not MatchResult.objects.exists()


def test_only_reviewers_and_system_administrators_start_runs(library):
    with pytest.raises(PermissionDeniedError):
        match_runs.start_match_run(actor=UserFactory(role="handler"))
    assert match_runs.start_match_run(actor=UserFactory(role="system_admin"), as_of=AS_OF).pk


def test_a_second_full_run_is_refused_while_one_is_queued(library, reviewer_user):
    queued = MatchRun.objects.create(as_of=AS_OF)
    with pytest.raises(ConflictError):
        match_runs.start_match_run(actor=reviewer_user)
    # The system asking again gets the queued run rather than a second one.
    assert match_runs.start_match_run(actor=None).pk == queued.pk
    assert MatchRun.objects.filter(item_codes=[]).count() == 1


# ------------------------------------------------------------------------------------- the page
def test_the_page_starts_a_run_and_shows_its_progress(client, library, registry, reviewer_user):
    client.force_login(reviewer_user)
    page = client.get("/policies/match-runs/")
    assert page.status_code == 200
    assert 'id="start-run"' in page.content.decode()
    response = client.post("/policies/match-runs/", {"as_of": "2025-06-30"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="match-runs"')
    run = MatchRun.objects.get(trigger="manual")
    assert run.as_of == AS_OF
    assert f'data-run="{run.pk}"' in html


def test_the_status_fragment_polls_while_a_run_is_queued(client, reviewer_user):
    MatchRun.objects.create(as_of=AS_OF)
    client.force_login(reviewer_user)
    html = client.get("/policies/match-runs/status/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "排队中" in html


def test_the_page_refuses_other_roles(client):
    client.force_login(UserFactory(role="policy_editor"))
    assert client.get("/policies/match-runs/").status_code == 403
    assert client.post("/policies/match-runs/").status_code == 403


def test_the_command_runs_the_job_in_process_or_queues_it(library, registry):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("record_matches", "--as-of", "2025-06-30", stdout=out)
    run = MatchRun.objects.get(trigger="command")
    assert (run.status, run.eligible_count, run.needs_info_count) == ("done", 6, 3)
    assert f"匹配任务 {run.pk}" in out.getvalue()
    call_command("record_matches", "--item", "RUN-A", "--queue", stdout=StringIO())
    queued = MatchRun.objects.filter(trigger="command").latest("id")
    assert queued.status == "pending"
    assert queued.item_codes == ["RUN-A"]
