"""The `huiqi import_policies`, `export_policies` and `match_policies` commands (DATA-CONTRACT.md section 3),
and the contract's public samples end to end."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from huiqi.policies.models import PolicyItemVersion
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def _csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_import_policies_exits_non_zero_and_prints_each_rejection_with_its_path(make_item, write_yaml):
    bad = make_item(code="BAD-1")
    bad["eligibility"]["all"][1]["field"] = "age"
    path = write_yaml("policies.yaml", [make_item(), bad])

    code, out, err = _run("import_policies", str(path))

    assert code == 1
    assert f"{path}[1].eligibility.all[1].field: " in err
    assert "BAD-1" in err
    assert "发布 1 条" in out
    assert "拒绝 1 条" in out
    assert PolicyItemVersion.objects.get().status == "published"


def test_import_policies_with_draft_exits_zero_when_all_are_accepted(make_item, write_yaml, tmp_path):
    write_yaml("lib/a.yaml", make_item())
    code, out, _err = _run("import_policies", str(tmp_path / "lib"), "--draft")
    assert code == 0
    assert "草稿 1 条" in out
    assert PolicyItemVersion.objects.get().status == "draft"


def test_export_policies_writes_the_files(make_item, write_yaml, tmp_path):
    _run("import_policies", str(write_yaml("a.yaml", make_item())))
    code, _out, _err = _run("export_policies", str(tmp_path / "out"))
    assert code == 0
    assert yaml.safe_load((tmp_path / "out" / "JN-2021-CXQY-01.yaml").read_text(encoding="utf-8"))[
        "code"
    ] == ("JN-2021-CXQY-01")


@pytest.fixture
def matched(make_item, write_yaml):
    base = {"region_code": "370102", "established_on": date(2020, 6, 30)}
    enterprises = {
        "eligible": EnterpriseFactory(**base, revenue=Decimal("12345678.50")),
        "no_amount": EnterpriseFactory(**base, revenue=Decimal("100.00"), tags="高新技术企业"),
        "needs_info": EnterpriseFactory(**base, revenue=None),
        "ineligible": EnterpriseFactory(**base, revenue=Decimal("5.00")),
    }
    _run("import_policies", str(write_yaml("a.yaml", make_item())))
    return {name: e.uscc for name, e in enterprises.items()}


def test_match_policies_writes_eligible_and_needs_info_rows_with_two_decimals(matched, tmp_path):
    output = tmp_path / "m.csv"
    code, _out, err = _run("match_policies", "--as-of", "2023-06-30", "--output", str(output))
    assert code == 0, err
    rows = _csv(output)
    assert rows[0] == ["uscc", "item_code", "status", "amount"]
    assert sorted(rows[1:]) == sorted(
        [
            [matched["eligible"], "JN-2021-CXQY-01", "eligible", "123456.79"],
            [matched["no_amount"], "JN-2021-CXQY-01", "eligible", "0.00"],
            [matched["needs_info"], "JN-2021-CXQY-01", "needs_info", ""],
        ]
    )


def test_match_policies_with_all_adds_the_ineligible_rows(matched, tmp_path):
    output = tmp_path / "m.csv"
    _run("match_policies", "--as-of", "2023-06-30", "--all", "--output", str(output))
    rows = _csv(output)[1:]
    assert [matched["ineligible"], "JN-2021-CXQY-01", "ineligible", ""] in rows
    assert len(rows) == 4


def test_match_policies_limits_to_one_enterprise_or_item(matched, tmp_path):
    output = tmp_path / "m.csv"
    _run("match_policies", "--as-of", "2023-06-30", "--uscc", matched["eligible"], "--output", str(output))
    assert _csv(output)[1:] == [[matched["eligible"], "JN-2021-CXQY-01", "eligible", "123456.79"]]
    _run(
        "match_policies",
        "--as-of",
        "2023-06-30",
        "--item",
        "JN-2021-CXQY-01",
        "--all",
        "--output",
        str(output),
    )
    assert len(_csv(output)) == 5


def test_match_policies_on_a_date_with_no_item_in_force_writes_only_the_header(matched, tmp_path):
    output = tmp_path / "m.csv"
    code, _out, _err = _run("match_policies", "--as-of", "2024-01-01", "--all", "--output", str(output))
    assert code == 0
    assert _csv(output) == [["uscc", "item_code", "status", "amount"]]


@pytest.mark.parametrize(
    "args",
    [("--as-of", "2023-02-30"), ("--item", "NOPE"), ("--uscc", "91370102MA3C00000X")],
)
def test_match_policies_refuses_bad_options_with_exit_status_2(args, matched, tmp_path):
    code, _out, err = _run("match_policies", *args, "--output", str(tmp_path / "m.csv"))
    assert code == 2
    assert err


def test_the_contract_samples_give_the_expected_matches(contract_samples_dir, tmp_path):
    code, _out, _err = _run(
        "import_enterprises", str(contract_samples_dir / "enterprises.csv"), "--no-progress"
    )
    assert code == 1  # rows 32 and 33 of the sample are bad on purpose
    code, _out, err = _run("import_policies", str(contract_samples_dir / "policies.yaml"))
    assert code == 0, err
    output = tmp_path / "matches.csv"
    code, _out, err = _run("match_policies", "--as-of", "2026-06-30", "--all", "--output", str(output))
    assert code == 0, err

    def keyed(path):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return {(r["uscc"], r["item_code"]): (r["status"], r["amount"]) for r in csv.DictReader(handle)}

    assert keyed(output) == keyed(contract_samples_dir / "expected-matches.csv")
