"""Stored match results follow the registry and the library: re-match after a profile change, an
import, publishing and retiring; and re-matching never triggers itself again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huiqi.enterprises import services as enterprise_services
from huiqi.policies import match_runs, services, tasks
from huiqi.policies.impact import get_item_version
from huiqi.policies.models import MatchResult, MatchRun
from tests.enterprises.importing import contract_row, write_csv
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

CODE = "TEST-REMATCH-01"
ITEM = {
    "code": CODE,
    "title": "规上企业奖励",
    "policy": "测试政策",
    "level": "city",
    "region_code": "370100",
    "department": "测试市工业和信息化局",
    "effective_from": date(2025, 1, 1),
    "eligibility": {"field": "revenue", "op": "ge", "value": 10000000},
    "reward": {"fixed": 100000},
}


def _stored(enterprise=None):
    rows = MatchResult.objects.all()
    if enterprise is not None:
        rows = rows.filter(enterprise_id=enterprise.pk)
    return {
        (row.enterprise_id, row.item.code): (row.status, row.amount, row.item_version.number)
        for row in rows.select_related("item", "item_version")
    }


@pytest.fixture
def spies(monkeypatch):
    """Counts the tasks enqueued and the profile-changed notifications (each still runs)."""
    calls = {"rematch_enterprises": [], "match_all_items": [], "profiles_changed": []}

    class Spy:
        def __init__(self, name):
            self.name, self.task = name, getattr(tasks, name)

        def enqueue(self, *args, **kwargs):
            calls[self.name].append(args)
            return self.task.enqueue(*args, **kwargs)

    # match_runs looks the tasks up in huiqi.policies.tasks when it enqueues (Task objects are frozen).
    for name in ("rematch_enterprises", "match_all_items"):
        monkeypatch.setattr(tasks, name, Spy(name))

    def listener(*, enterprise_ids, actor):
        calls["profiles_changed"].append(enterprise_ids)

    enterprise_services.register_profile_changed_listener(listener)
    yield calls
    enterprise_services.unregister_profile_changed_listener(listener)


@pytest.fixture
def item(write_yaml, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.import_policy_items(paths=[write_yaml("item.yaml", [ITEM])])
    assert report.rejected == []


def test_the_policies_app_listens_to_profile_changes():
    assert match_runs.on_profiles_changed in enterprise_services.registered_profile_changed_listeners()


def test_importing_published_items_rematches_them_once(write_yaml, django_capture_on_commit_callbacks, spies):
    rich = EnterpriseFactory(revenue=Decimal("20000000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        services.import_policy_items(paths=[write_yaml("item.yaml", [ITEM])])
    assert len(spies["match_all_items"]) == 1
    assert MatchRun.objects.get().item_codes == [CODE]
    assert _stored() == {(rich.pk, CODE): ("eligible", Decimal("100000.00"), 1)}


def test_a_profile_change_rematches_that_enterprise_after_commit(
    item, django_capture_on_commit_callbacks, spies
):
    enterprise = EnterpriseFactory(revenue=Decimal("8000000.00"))
    assert _stored(enterprise) == {}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enterprise_services.update_enterprise_profile(
            enterprise=enterprise, actor=None, changes={"revenue": "20000000"}
        )
        assert _stored(enterprise) == {}  # nothing before the commit
    assert len(callbacks) == 1
    assert spies["rematch_enterprises"] == [([enterprise.pk],)]
    assert _stored(enterprise) == {(enterprise.pk, CODE): ("eligible", Decimal("100000.00"), 1)}
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.update_enterprise_profile(
            enterprise=enterprise, actor=None, changes={"revenue": ""}
        )
    assert _stored(enterprise) == {(enterprise.pk, CODE): ("needs_info", None, 1)}


def test_rematching_changes_no_profile_and_schedules_nothing_more(
    item, django_capture_on_commit_callbacks, spies
):
    enterprise = EnterpriseFactory(revenue=Decimal("8000000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.update_enterprise_profile(
            enterprise=enterprise, actor=None, changes={"revenue": "20000000"}
        )
    assert spies["profiles_changed"] == [(enterprise.pk,)]
    assert len(spies["rematch_enterprises"]) == 1
    assert spies["match_all_items"] == []
    # The re-match itself (and a second one) notifies nobody and enqueues nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        match_runs.refresh_enterprise_matches(enterprise_ids=[enterprise.pk])
    assert callbacks == []
    assert spies["profiles_changed"] == [(enterprise.pk,)]
    assert len(spies["rematch_enterprises"]) == 1


def test_an_unchanged_profile_triggers_no_rematch(item, django_capture_on_commit_callbacks, spies):
    enterprise = EnterpriseFactory(revenue=Decimal("8000000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.update_enterprise_profile(
            enterprise=enterprise, actor=None, changes={"revenue": "8000000"}
        )
    assert spies["profiles_changed"] == []
    assert spies["rematch_enterprises"] == []


def test_an_import_rematches_the_enterprises_it_wrote(
    item, tmp_path, django_capture_on_commit_callbacks, spies
):
    path = write_csv(tmp_path / "e.csv", [contract_row(1), contract_row(2, revenue="5000000.00")])
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.import_enterprises(path=path)
    [(ids,)] = spies["rematch_enterprises"]
    assert len(ids) == 2
    assert sorted(status for status, _a, _n in _stored().values()) == ["eligible"]
    # The same file again changes nothing, so nothing is re-matched.
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.import_enterprises(path=path)
    assert len(spies["rematch_enterprises"]) == 1


def test_a_dry_run_import_rematches_nothing(item, tmp_path, django_capture_on_commit_callbacks, spies):
    path = write_csv(tmp_path / "e.csv", [contract_row(1)])
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.import_enterprises(path=path, dry_run=True)
    assert spies["profiles_changed"] == []
    assert spies["rematch_enterprises"] == []


def test_a_large_import_starts_the_whole_job_instead(
    item, tmp_path, monkeypatch, django_capture_on_commit_callbacks, spies
):
    monkeypatch.setattr(match_runs, "ENTERPRISE_REMATCH_LIMIT", 1)
    path = write_csv(tmp_path / "e.csv", [contract_row(1), contract_row(2), contract_row(3, revenue="100")])
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.import_enterprises(path=path)
    assert spies["rematch_enterprises"] == []
    run = MatchRun.objects.filter(trigger="registry").get()
    assert run.status == "done"
    assert run.item_codes == []
    assert [status for status, _a, _n in _stored().values()].count("eligible") == 2


def test_publishing_a_new_version_rematches_the_item(
    item, write_yaml, editor, reviewer, django_capture_on_commit_callbacks, spies
):
    rich = EnterpriseFactory(revenue=Decimal("20000000.00"))
    middle = EnterpriseFactory(revenue=Decimal("6000000.00"))
    MatchResult.objects.all().delete()
    services.import_policy_items(
        paths=[
            write_yaml(
                "v2.yaml",
                [
                    {
                        **ITEM,
                        "effective_from": date(2025, 6, 1),
                        "eligibility": {"field": "revenue", "op": "ge", "value": 5000000},
                    }
                ],
            )
        ],
        as_draft=True,
    )
    draft = get_item_version(code=CODE, number=2)
    services.submit_for_review(actor=editor, version=draft)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_item_version(actor=reviewer, version=draft)
    assert MatchRun.objects.filter(trigger="publish").latest("id").item_codes == [CODE]
    assert _stored() == {
        (rich.pk, CODE): ("eligible", Decimal("100000.00"), 2),
        (middle.pk, CODE): ("eligible", Decimal("100000.00"), 2),
    }
    # Retiring the version in force removes it (and v1 would apply again: it is still published).
    with django_capture_on_commit_callbacks(execute=True):
        services.retire_item_version(
            actor=reviewer, version=get_item_version(code=CODE, number=2), reason="测试"
        )
    assert _stored() == {(rich.pk, CODE): ("eligible", Decimal("100000.00"), 1)}
    assert spies["profiles_changed"] == []
