"""The demo policy library (huiqi.policies.demo): its files pass the real import, cover the format, and
load idempotently with their documents' metadata."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from huiqi.core.models import AuditEvent
from huiqi.policies.demo import (
    DEMO_DATA_DIR,
    DOCUMENTS_FILE,
    ITEMS_FOLDER,
    PolicyDemoDataInvalidError,
    item_document_key,
    load_demo_policies,
    read_demo_documents,
    read_demo_items,
)
from huiqi.policies.item_file import LEVELS
from huiqi.policies.models import PolicyDocument, PolicyItem, PolicyItemVersion
from huiqi.policies.services import import_policy_items
from huiqi.policies.workflow import VersionStatus
from tests.factories import UserFactory

ITEMS_DIR = DEMO_DATA_DIR / ITEMS_FOLDER


@pytest.fixture(scope="module")
def demo_items() -> list[Any]:
    items = read_demo_items(ITEMS_DIR)
    assert all(item.data is not None for item in items), [i.raw.location for i in items if i.data is None]
    return [item.data for item in items]


@pytest.fixture
def demo_copy(tmp_path: Path) -> Callable[..., Path]:
    """A copy of demo_data with every document but only the named item files (keeps the tests fast)."""

    def copy(*item_files: str) -> Path:
        target = tmp_path / "demo_data"
        (target / ITEMS_FOLDER).mkdir(parents=True)
        shutil.copy(DEMO_DATA_DIR / DOCUMENTS_FILE, target / DOCUMENTS_FILE)
        for name in item_files:
            shutil.copy(ITEMS_DIR / name, target / ITEMS_FOLDER / name)
        return target

    return copy


def _leaves(node: Any) -> Iterator[dict[str, Any]]:
    if "field" in node:
        yield node
    for key in ("all", "any"):
        for child in node.get(key, []):
            yield from _leaves(child)
    if "not" in node:
        yield from _leaves(node["not"])


def _groups(node: Any) -> Iterator[str]:
    for key in ("all", "any", "not"):
        if key in node:
            yield key
            children = node[key] if key != "not" else [node[key]]
            for child in children:
                yield from _groups(child)


# ------------------------------------------------------------------------------ the files
@pytest.mark.django_db
def test_every_demo_item_passes_the_import_service_with_its_examples():
    report = import_policy_items(paths=[ITEMS_DIR])

    assert [(r.location, [str(f) for f in r.faults]) for r in report.rejected] == []
    assert len(report.imported) == len(read_demo_items(ITEMS_DIR))
    assert {version.status for version in report.imported} == {VersionStatus.PUBLISHED}


def test_there_are_at_least_forty_items_with_unique_codes(demo_items):
    codes = [data.code for data in demo_items]
    assert len(codes) >= 40
    assert [code for code, count in Counter(codes).items() if count > 1] == []


def test_every_item_has_one_to_three_examples_and_at_least_one_eligible(demo_items):
    for data in demo_items:
        assert 1 <= len(data.examples) <= 3, data.code
        assert any(example["expect"]["status"] == "eligible" for example in data.examples), data.code


def test_the_items_use_every_reward_kind_and_automatic_entitlement(demo_items):
    rewards = [data.reward for data in demo_items]
    assert any(reward and "fixed" in reward for reward in rewards)
    assert any(reward and "formula" in reward for reward in rewards)
    assert any(reward and "cap" in reward for reward in rewards)
    tiers = [tier for reward in rewards if reward and "tiers" in reward for tier in reward["tiers"]]
    assert any("fixed" in tier for tier in tiers)
    assert any("formula" in tier for tier in tiers)
    assert any(reward is None for reward in rewards)  # a non-monetary item (tax relief)
    assert {data.auto_entitlement for data in demo_items} == {True, False}


def test_the_items_use_nested_groups_and_most_operators(demo_items):
    trees = [data.eligibility for data in demo_items]
    operators = {leaf["op"] for tree in trees for leaf in _leaves(tree)}
    groups = {group for tree in trees for group in _groups(tree)}
    assert groups == {"all", "any", "not"}
    expected = {"eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in", "starts_with"}
    expected |= {"contains", "contains_any", "contains_all", "is_not_null"}
    assert expected <= operators


def test_the_items_span_every_level_and_the_demo_city(demo_items):
    assert {data.level for data in demo_items} == set(LEVELS)
    city = [data for data in demo_items if data.level in ("city", "district")]
    assert all(data.region_code.startswith("3701") for data in city)
    assert {data.region_code for data in demo_items if data.level == "province"} == {"370000"}


def test_every_item_names_a_document_of_the_documents_file(demo_items):
    documents = read_demo_documents(DEMO_DATA_DIR / DOCUMENTS_FILE)
    keys = {document.key for document in documents}
    assert [data.code for data in demo_items if item_document_key(data) not in keys] == []
    used = {item_document_key(data) for data in demo_items}
    assert keys == used  # no document without items
    for document in documents:
        assert document.document_number, document.title
        assert document.published_on, document.title
        assert document.themes, document.title
        assert len([p for p in document.full_text.split("\n\n") if p.strip()]) >= 3, document.title


def test_a_malformed_documents_file_is_refused_with_the_path_of_each_fault(tmp_path):
    path = tmp_path / DOCUMENTS_FILE
    path.write_text(
        "- title: 某文件\n  document_number: 某〔2025〕1号\n  issuing_department: 某局\n  level: town\n"
        '  region_code: "3701"\n  published_on: 2025年3月1日\n  full_text: 正文\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyDemoDataInvalidError) as caught:
        read_demo_documents(path)

    paths = {error["path"] for error in caught.value.extra["errors"]}
    assert {f"{DOCUMENTS_FILE}[0].level", f"{DOCUMENTS_FILE}[0].region_code"} <= paths
    assert f"{DOCUMENTS_FILE}[0].published_on" in paths


def test_an_impossible_date_in_the_documents_file_is_refused_not_raised_as_a_crash(tmp_path):
    path = tmp_path / DOCUMENTS_FILE
    path.write_text("- title: 某文件\n  published_on: 2025-13-01\n", encoding="utf-8")

    with pytest.raises(PolicyDemoDataInvalidError, match=DOCUMENTS_FILE):
        read_demo_documents(path)


# ------------------------------------------------------------------------------ the loader
@pytest.mark.django_db
def test_the_loader_publishes_every_item_with_its_documents_metadata_and_a_rerun_changes_nothing(
    demo_items,
):
    summary = load_demo_policies()

    documents = read_demo_documents(DEMO_DATA_DIR / DOCUMENTS_FILE)
    assert summary.rejected == []
    assert sorted(summary.imported) == sorted(data.code for data in demo_items)
    assert (summary.documents_created, PolicyDocument.objects.count()) == (len(documents), len(documents))
    assert PolicyItemVersion.objects.filter(status=VersionStatus.PUBLISHED, number=1).count() == len(
        demo_items
    )
    item = PolicyItem.objects.select_related("document").get(code="JN-2025-KJ-01")
    expected = next(d for d in documents if d.title == item.document.title)
    assert item.document.document_number == expected.document_number
    assert item.document.published_on == expected.published_on
    assert item.document.themes == list(expected.themes)
    assert item.document.full_text == expected.full_text
    assert AuditEvent.objects.filter(action="policy_document.create").count() == len(documents)

    # Loading again (load_demo is run again on an existing database) changes nothing at all.
    versions, events = PolicyItemVersion.objects.count(), AuditEvent.objects.count()
    again = load_demo_policies()

    assert again.imported == []
    assert sorted(again.unchanged) == sorted(data.code for data in demo_items)
    assert (again.documents_created, again.documents_updated) == (0, 0)
    assert (PolicyItemVersion.objects.count(), PolicyDocument.objects.count()) == (versions, len(documents))
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_an_edited_item_gets_a_new_version_and_the_others_are_left_alone(demo_copy):
    demo_copy = demo_copy("01-keji.yaml")
    load_demo_policies(directory=demo_copy)
    versions = PolicyItemVersion.objects.count()
    item_file = demo_copy / ITEMS_FOLDER / "01-keji.yaml"
    text = item_file.read_text(encoding="utf-8")
    item_file.write_text(text.replace("title: 瞪羚企业奖励\n", "title: 瞪羚企业发展奖励\n"), encoding="utf-8")

    summary = load_demo_policies(directory=demo_copy)

    assert summary.imported == ["JN-2025-KJ-05"]
    assert PolicyItemVersion.objects.count() == versions + 1
    newest = PolicyItemVersion.objects.get(item__code="JN-2025-KJ-05", number=2)
    assert (newest.title, newest.status) == ("瞪羚企业发展奖励", VersionStatus.PUBLISHED)
    assert "code: JN-2025-KJ-05" in newest.source_yaml
    assert "JN-2025-KJ-04" not in newest.source_yaml


@pytest.mark.django_db
def test_changed_document_metadata_updates_the_document_without_new_versions(demo_copy):
    demo_copy = demo_copy("01-keji.yaml")
    load_demo_policies(directory=demo_copy)
    documents_file = demo_copy / DOCUMENTS_FILE
    text = documents_file.read_text(encoding="utf-8")
    documents_file.write_text(text.replace("published_on: 2025-03-18", "published_on: 2025-03-19"), "utf-8")
    versions = PolicyItemVersion.objects.count()

    summary = load_demo_policies(directory=demo_copy)

    assert (summary.documents_updated, summary.imported) == (1, [])
    document = PolicyDocument.objects.get(document_number="济科发〔2025〕6号")
    assert document.published_on.isoformat() == "2025-03-19"
    assert PolicyItemVersion.objects.count() == versions
    event = AuditEvent.objects.get(action="policy_document.update")
    assert event.after == {"published_on": "2025-03-19"}


@pytest.mark.django_db
def test_an_item_whose_document_is_not_listed_is_rejected_and_not_imported(demo_copy):
    demo_copy = demo_copy("08-quxian.yaml")
    item_file = demo_copy / ITEMS_FOLDER / "08-quxian.yaml"
    text = item_file.read_text(encoding="utf-8")
    item_file.write_text(
        text.replace("document_number: 莱投促发〔2025〕3号", "document_number: 莱投促发〔2025〕4号")
    )

    summary = load_demo_policies(directory=demo_copy)

    assert [(r.code, r.faults[0].path.rsplit(".", 1)[-1]) for r in summary.rejected] == [
        ("JN-LW-2025-01", "policy")
    ]
    assert not PolicyItem.objects.filter(code="JN-LW-2025-01").exists()
    assert PolicyItem.objects.filter(code="JN-LX-2025-01").exists()  # the rest of that file is imported


@pytest.mark.django_db
def test_only_a_role_that_may_bulk_publish_can_load_the_demo_policies():
    from huiqi.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        load_demo_policies(actor=UserFactory(role="policy_editor"))
    assert PolicyItem.objects.count() == 0


@pytest.mark.django_db
def test_load_demo_loads_the_policy_library_and_says_how_many_items(demo_items):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "load_demo", "--enterprises", "0", "--appeals", "0", "--no-progress", stdout=out, stderr=io.StringIO()
    )

    assert PolicyItemVersion.objects.filter(status=VersionStatus.PUBLISHED).count() == len(demo_items)
    assert f"政策条目 {len(demo_items)} 条（新版本 {len(demo_items)}" in out.getvalue()
