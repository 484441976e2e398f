"""Importing policy item files (DATA-CONTRACT.md sections 2 and 3): what is accepted, and every kind of
fault refused with its path in the file."""

from __future__ import annotations

import os
from datetime import date

import pytest
import yaml

from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent
from huiqi.policies.models import PolicyItem, PolicyItemVersion
from huiqi.policies.selectors import effective_versions
from huiqi.policies.services import import_policy_items
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _faults(report) -> list[str]:
    return [str(fault) for rejected in report.rejected for fault in rejected.faults]


def test_the_contract_example_is_published_at_once_as_a_bulk_load(make_item, write_yaml):
    path = write_yaml("jn.yaml", make_item())
    report = import_policy_items(paths=[path])

    assert report.rejected == []
    version = PolicyItemVersion.objects.select_related("item", "document").get()
    assert (version.item.code, version.number, version.status) == ("JN-2021-CXQY-01", 1, "published")
    assert version.published_at is not None
    assert version.reviewed_by is None
    assert version.effective_from == date(2021, 1, 1)
    assert version.effective_to == date(2023, 12, 31)
    assert version.auto_entitlement is True
    document = version.document
    assert (document.title, document.level, document.region_code, document.issuing_department) == (
        "济南市关于支持初创企业发展的若干措施",
        "city",
        "370100",
        "济南市科学技术局",
    )
    assert version.reward["cap"] == 300000
    assert yaml.safe_load(version.source_yaml)["code"] == "JN-2021-CXQY-01"
    event = AuditEvent.objects.get(action="policy_item.bulk_publish")
    assert event.actor_id is None
    assert event.object_id == str(version.pk)


def test_a_list_file_keeps_its_valid_items_and_rejects_the_others_with_their_index(make_item, write_yaml):
    bad = make_item(code="BAD-1")
    bad["eligibility"]["all"][0]["op"] = "begins_with"
    path = write_yaml("policies.yaml", [make_item(code="OK-1"), bad, make_item(code="OK-2")])

    report = import_policy_items(paths=[path])

    assert sorted(PolicyItem.objects.values_list("code", flat=True)) == ["OK-1", "OK-2"]
    assert [(r.location, r.code) for r in report.rejected] == [(f"{path}[1]", "BAD-1")]
    assert _faults(report)[0].startswith(f"{path}[1].eligibility.all[0].op: ")


def test_each_item_of_a_list_keeps_only_its_own_yaml_text(make_item, write_yaml):
    path = write_yaml("two.yaml", [make_item(code="A-1"), make_item(code="B-1")])
    import_policy_items(paths=[path])
    text = PolicyItemVersion.objects.get(item__code="B-1").source_yaml
    assert yaml.safe_load(text)["code"] == "B-1"
    assert "A-1" not in text


def test_folders_are_read_recursively_for_yaml_and_yml_files_only(make_item, write_yaml, tmp_path):
    write_yaml("lib/a.yaml", make_item(code="A-1"))
    write_yaml("lib/sub/b.yml", [make_item(code="B-1"), make_item(code="B-2")])
    write_yaml("lib/notes.txt", "not: [an item")
    report = import_policy_items(paths=[tmp_path / "lib"])
    assert report.rejected == []
    assert sorted(PolicyItem.objects.values_list("code", flat=True)) == ["A-1", "B-1", "B-2"]
    assert len(report.files) == 2


def _with(make_item, path_keys, value):
    item = make_item()
    node = item
    for key in path_keys[:-1]:
        node = node[key]
    node[path_keys[-1]] = value
    return item


@pytest.mark.parametrize(
    ("change", "expected_path"),
    [
        # unknown field
        ((["eligibility", "all", 0, "field"], "turnover"), "eligibility.all[0].field"),
        # unknown operator
        ((["eligibility", "all", 0, "op"], "gte"), "eligibility.all[0].op"),
        # operator not valid for the type (ordering on text)
        ((["eligibility", "all", 0, "op"], "gt"), "eligibility.all[0].op"),
        # value of the wrong type
        ((["eligibility", "all", 1, "value"], "five"), "eligibility.all[1].value"),
        # malformed tree: an empty group
        ((["eligibility", "all", 2, "any"], []), "eligibility.all[2].any"),
        # malformed tree: two groups in one node
        ((["eligibility", "all", 2], {"any": [], "all": []}), "eligibility.all[2]"),
        # formula outside the grammar
        ((["reward", "tiers", 1, "formula"], "revenue ** 2"), "reward.tiers[1].formula"),
        # reward with two kinds
        ((["reward", "fixed"], 100), "reward"),
        # unquoted region code
        ((["region_code"], 370100), "region_code"),
        ((["level"], "county"), "level"),
        ((["effective_from"], "2021-13-01"), "effective_from"),
        ((["effective_to"], date(2020, 1, 1)), "effective_to"),
        ((["auto_entitlement"], "yes"), "auto_entitlement"),
        ((["examples", 0, "expect", "status"], "ok"), "examples[0].expect.status"),
        ((["examples", 0, "profile", "turnover"], 1), "examples[0].profile.turnover"),
        ((["examples", 0, "profile", "revenue"], "a lot"), "examples[0].profile.revenue"),
        ((["rewards"], {"fixed": 1}), "rewards"),
        ((["code"], "bad code/with slash"), "code"),
    ],
)
def test_an_invalid_item_is_refused_with_the_path_of_its_fault(change, expected_path, make_item, write_yaml):
    keys, value = change
    path = write_yaml("policies.yaml", [make_item(code="FIRST-1"), _with(make_item, keys, value)])

    report = import_policy_items(paths=[path])

    assert [r.location for r in report.rejected] == [f"{path}[1]"]
    paths = [fault.path for fault in report.rejected[0].faults]
    assert f"{path}[1].{expected_path}" in paths, paths
    assert all(fault.message for fault in report.rejected[0].faults)
    assert list(PolicyItem.objects.values_list("code", flat=True)) == ["FIRST-1"]


@pytest.mark.parametrize(
    "missing",
    ["code", "title", "policy", "level", "region_code", "department", "effective_from", "eligibility"],
)
def test_a_required_key_that_is_missing_is_named(missing, make_item, write_yaml):
    path = write_yaml("one.yaml", make_item(**{missing: None}))
    report = import_policy_items(paths=[path])
    assert f"{path}.{missing}" in [fault.path for fault in report.rejected[0].faults]
    assert not PolicyItem.objects.exists()


def test_a_formula_that_tries_to_run_code_is_refused_and_runs_nothing(make_item, write_yaml, monkeypatch):
    ran = []
    monkeypatch.setattr(os, "system", lambda command: ran.append(command))
    item = make_item(reward={"formula": "__import__('os').system('x')"})
    path = write_yaml("evil.yaml", item)

    report = import_policy_items(paths=[path])

    assert ran == []
    [rejected] = report.rejected
    assert [fault.path for fault in rejected.faults] == [f"{path}.reward.formula"]
    assert not PolicyItem.objects.exists()


def test_python_objects_in_yaml_are_refused_by_the_safe_loader(write_yaml, monkeypatch):
    ran = []
    monkeypatch.setattr(os, "system", lambda command: ran.append(command))
    path = write_yaml("evil.yaml", "code: !!python/object/apply:os.system ['echo hacked']\n")
    report = import_policy_items(paths=[path])
    assert ran == []
    assert "YAML" in report.rejected[0].faults[0].message


def test_an_item_whose_example_fails_is_rejected_saying_which_and_expected_against_got(make_item, write_yaml):
    item = make_item()
    item["examples"].append(
        {
            "profile": {"region_code": "370102", "age_years": 3, "revenue": 60000000},
            "expect": {"status": "eligible", "amount": 500000},
        }
    )
    path = write_yaml("jn.yaml", item)

    report = import_policy_items(paths=[path])

    [fault] = report.rejected[0].faults
    assert fault.path == f"{path}.examples[1]"
    assert "示例 2" in fault.message
    assert "500000.00" in fault.message
    assert "300000.00" in fault.message
    assert not PolicyItem.objects.exists()


def test_example_profiles_treat_absent_facts_as_unknown_and_absent_tags_as_none(make_item, write_yaml):
    item = make_item(
        examples=[
            # no revenue and no tags: the any-group is unknown, so the item needs information
            {
                "profile": {"region_code": "370102", "age_years": 3},
                "expect": {"status": "needs_info", "amount": None},
            },
            # derived facts are not computed from others: rd_ratio is absent, hence unknown
            {
                "profile": {"region_code": "370102", "age_years": 1, "tags": ["高新技术企业"]},
                "expect": {"status": "needs_info"},
            },
        ]
    )
    path = write_yaml("jn.yaml", item)
    report = import_policy_items(paths=[path])
    assert report.rejected == []


def test_importing_an_existing_code_makes_a_new_version_which_is_then_in_force(make_item, write_yaml):
    first = write_yaml("v1.yaml", make_item())
    import_policy_items(paths=[first])
    second = write_yaml("v2.yaml", make_item(title="新标题", effective_to=None))

    report = import_policy_items(paths=[second])

    assert [(i.code, i.number, i.is_new_item) for i in report.imported] == [("JN-2021-CXQY-01", 2, False)]
    assert PolicyItem.objects.count() == 1
    [version] = effective_versions(as_of=date(2022, 6, 1))
    assert (version.number, version.title) == (2, "新标题")


def test_with_draft_the_version_waits_for_review_and_is_not_in_force(make_item, write_yaml):
    path = write_yaml("jn.yaml", make_item())
    report = import_policy_items(paths=[path], as_draft=True)
    assert (report.draft_count, report.published_count) == (1, 0)
    assert PolicyItemVersion.objects.get().status == "draft"
    assert effective_versions(as_of=date(2022, 6, 1)) == []
    assert AuditEvent.objects.filter(action="policy_item.import_draft").count() == 1


def test_a_code_twice_in_one_import_is_rejected_the_second_time(make_item, write_yaml):
    path = write_yaml("dup.yaml", [make_item(), make_item(title="另一个")])
    report = import_policy_items(paths=[path])
    assert [r.location for r in report.rejected] == [f"{path}[1]"]
    assert PolicyItemVersion.objects.count() == 1


def test_a_key_written_twice_is_refused_with_its_line(write_yaml):
    path = write_yaml("dup.yaml", "code: A-1\ntitle: x\ncode: A-2\n")
    report = import_policy_items(paths=[path])
    [fault] = report.rejected[0].faults
    assert fault.path == f"{path}:3:1"
    assert "code" in fault.message


def test_a_yaml_syntax_error_is_reported_with_line_and_column(write_yaml):
    path = write_yaml("broken.yaml", "code: A-1\neligibility: {all: [\n")
    report = import_policy_items(paths=[path])
    [fault] = report.rejected[0].faults
    assert fault.path.startswith(f"{path}:")
    assert "YAML" in fault.message


def test_yaml_aliases_are_refused(write_yaml):
    path = write_yaml("laughs.yaml", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n")
    report = import_policy_items(paths=[path])
    [fault] = report.rejected[0].faults
    assert fault.path == f"{path}:2:8"
    assert "别名" in fault.message


@pytest.mark.parametrize("text", ["", "42\n", "[]\n", "- just text\n"])
def test_files_without_item_mappings_are_rejected(text, write_yaml):
    path = write_yaml("empty.yaml", text)
    report = import_policy_items(paths=[path])
    assert report.has_rejections
    assert not PolicyItem.objects.exists()


def test_a_missing_path_is_rejected(tmp_path):
    report = import_policy_items(paths=[tmp_path / "nope.yaml"])
    assert report.rejected[0].faults[0].message == "文件不存在"


def test_signed_in_importers_need_their_role(make_item, write_yaml):
    path = write_yaml("jn.yaml", make_item())
    editor = UserFactory(role="policy_editor")
    with pytest.raises(PermissionDeniedError):
        import_policy_items(paths=[path], actor=editor)  # publishing is the administrator's bulk load
    assert import_policy_items(paths=[path], actor=editor, as_draft=True).draft_count == 1
    admin = UserFactory(role="system_admin")
    assert import_policy_items(paths=[path], actor=admin).published_count == 1
    with pytest.raises(PermissionDeniedError):
        import_policy_items(paths=[path], actor=UserFactory(role="policy_reviewer"), as_draft=True)
