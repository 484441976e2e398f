"""Export of policy items: one file per item code, in the contract's format, and import -> export ->
import gives the same data."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from huiqi.policies.models import CONTENT_FIELDS, PolicyItemVersion
from huiqi.policies.services import export_policy_items, import_policy_items, version_as_mapping

pytestmark = pytest.mark.django_db

# The contract example's order, with our optional extensions where they belong.
KEY_ORDER = [
    "code",
    "title",
    "policy",
    "document_number",
    "level",
    "region_code",
    "department",
    "effective_from",
    "effective_to",
    "auto_entitlement",
    "budget_amount",
    "application_opens_on",
    "application_closes_on",
    "eligibility",
    "reward",
    "examples",
]


@pytest.fixture
def library(make_item):
    """Items using every kind of value the format has: dates in conditions and examples, lists,
    not, between, formulas with functions, extensions, an item without a reward."""
    rich = make_item(
        code="RICH-01",
        document_number="济科发〔2024〕12号",
        budget_amount=5000000.5,
        application_opens_on=date(2024, 3, 1),
        application_closes_on=date(2024, 4, 30),
        effective_to=None,
        eligibility={
            "all": [
                {"field": "established_on", "op": "ge", "value": date(2015, 1, 1)},
                {"field": "employees", "op": "between", "value": [10, 300]},
                {"field": "ownership", "op": "in", "value": ["private", "foreign"]},
                {"field": "industry_code", "op": "starts_with", "value": ["C39", "I65"]},
                {"not": {"field": "tags", "op": "contains_any", "value": ["失信被执行人", "异常经营"]}},
                {
                    "any": [
                        {"field": "rd_ratio", "op": "gt", "value": 0.035},
                        {"field": "red_list", "op": "eq", "value": True},
                    ]
                },
                {"field": "contact_phone", "op": "is_not_null"},
            ]
        },
        reward={
            "formula": "min(round(rd_expense * 0.1 + employees * 1000, 2), max(100000, tax_paid / 2))",
            "cap": 800000.5,
        },
        examples=[
            {
                "profile": {
                    "established_on": date(2016, 5, 20),
                    "employees": 50,
                    "ownership": "private",
                    "industry_code": "C3911",
                    "tags": ["高新技术企业"],
                    "rd_ratio": 0.05,
                    "contact_phone": "13800000000",
                    "rd_expense": 1000000,
                    "tax_paid": 300000,
                },
                "expect": {"status": "eligible", "amount": 150000},
            },
            {"profile": {"employees": 5}, "expect": {"status": "ineligible", "amount": None}},
        ],
    )
    plain = make_item(code="PLAIN-01", reward=None, examples=None, auto_entitlement=None)
    return [make_item(), rich, plain]


def _content(version: PolicyItemVersion) -> dict:
    data = {
        name: getattr(version, name) for name in CONTENT_FIELDS if name not in ("document_id", "source_yaml")
    }
    document = version.document
    data["document"] = (
        document.title,
        document.document_number,
        document.issuing_department,
        document.level,
        document.region_code,
    )
    return data


def test_export_writes_one_file_per_code_with_the_original_data(library, write_yaml, tmp_path):
    path = write_yaml("library.yaml", library)
    assert import_policy_items(paths=[path]).rejected == []

    report = export_policy_items(directory=tmp_path / "out")

    assert sorted(p.name for p in report.written) == ["JN-2021-CXQY-01.yaml", "PLAIN-01.yaml", "RICH-01.yaml"]
    for original in library:
        exported = yaml.safe_load((tmp_path / "out" / f"{original['code']}.yaml").read_text(encoding="utf-8"))
        expected = dict(original)
        if expected.get("auto_entitlement") is False:
            del expected["auto_entitlement"]
        assert exported == expected
        assert list(exported) == [key for key in KEY_ORDER if key in exported]


def test_import_export_import_gives_the_same_data(library, write_yaml, tmp_path):
    import_policy_items(paths=[write_yaml("library.yaml", library)])
    export_policy_items(directory=tmp_path / "first")

    report = import_policy_items(paths=[tmp_path / "first"])

    assert report.rejected == []
    assert len(report.imported) == 3
    for code in ("JN-2021-CXQY-01", "RICH-01", "PLAIN-01"):
        first, second = PolicyItemVersion.objects.filter(item__code=code).order_by("number")
        assert second.number == 2
        assert _content(second) == _content(first)
    export_policy_items(directory=tmp_path / "second")

    def body(folder: str, name: str) -> str:  # without the header comment, which names the version
        return (tmp_path / folder / name).read_text(encoding="utf-8").split("\n", 1)[1]

    for name in ("JN-2021-CXQY-01.yaml", "RICH-01.yaml", "PLAIN-01.yaml"):
        assert body("first", name) == body("second", name)


def test_exported_text_follows_the_contract_layout(make_item, write_yaml, tmp_path):
    import_policy_items(paths=[write_yaml("jn.yaml", make_item())])
    export_policy_items(directory=tmp_path)
    text = (tmp_path / "JN-2021-CXQY-01.yaml").read_text(encoding="utf-8")
    assert 'region_code: "370100"' in text
    assert "effective_from: 2021-01-01\n" in text
    assert '- {field: region_code, op: starts_with, value: "3701"}' in text
    assert 'formula: "revenue * 0.01"' in text


def test_export_writes_the_newest_published_version_and_skips_drafts(make_item, write_yaml, tmp_path):
    import_policy_items(paths=[write_yaml("v1.yaml", make_item())])
    import_policy_items(paths=[write_yaml("v2.yaml", make_item(title="第二版"))])
    import_policy_items(paths=[write_yaml("v3.yaml", make_item(title="草稿版"))], as_draft=True)
    import_policy_items(paths=[write_yaml("d.yaml", make_item(code="DRAFT-ONLY"))], as_draft=True)

    report = export_policy_items(directory=tmp_path / "out")

    assert [p.name for p in report.written] == ["JN-2021-CXQY-01.yaml"]
    exported = yaml.safe_load((tmp_path / "out" / "JN-2021-CXQY-01.yaml").read_text(encoding="utf-8"))
    assert exported["title"] == "第二版"
    assert version_as_mapping(PolicyItemVersion.objects.get(number=2))["title"] == "第二版"
