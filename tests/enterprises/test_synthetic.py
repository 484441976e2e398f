"""Synthetic enterprises: a generated file is a valid DATA-CONTRACT.md section-1 file."""

import csv
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from django.core.management import CommandError, call_command

from huiqi.core.reference.industries import validate_industry_code
from huiqi.core.reference.regions import validate_region_code
from huiqi.enterprises.size_class import classify_size
from huiqi.enterprises.synthetic import CONTRACT_COLUMNS, generate_enterprise_rows, write_enterprises_csv
from huiqi.enterprises.uscc import is_valid_uscc

# DATA-CONTRACT.md section 1, in its order.
CONTRACT_HEADER = [
    "uscc",
    "name",
    "region_code",
    "industry_code",
    "established_on",
    "ownership",
    "registered_capital",
    "employees",
    "revenue",
    "total_assets",
    "tax_paid",
    "rd_expense",
    "tags",
    "red_list",
    "contact_phone",
]
OWNERSHIPS = {"private", "state", "foreign", "hmt", "collective", "other"}
KNOWN_TAGS = {
    "高新技术企业",
    "首次认定",
    "专精特新中小企业",
    "科技型中小企业",
    "瞪羚企业",
    "规上企业",
    "失信被执行人",
}
MONEY = re.compile(r"^\d+\.\d{2}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    path = tmp_path_factory.mktemp("synthetic") / "enterprises.csv"
    assert write_enterprises_csv(path, 2000, seed=7, as_of=AS_OF, chunk_rows=700) == 2000
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == CONTRACT_HEADER
        return list(reader)


def test_generated_file_has_exactly_the_contract_columns(generated: list[dict[str, str]]) -> None:
    assert list(CONTRACT_COLUMNS) == CONTRACT_HEADER
    assert len(generated) == 2000
    assert all(None not in row for row in generated)  # no extra cells


def test_usccs_are_valid_and_unique(generated: list[dict[str, str]]) -> None:
    codes = [row["uscc"] for row in generated]
    assert all(is_valid_uscc(code) and code == code.upper() for code in codes)
    assert len(set(codes)) == len(codes)
    kinds = Counter(code[:2] for code in codes)
    assert kinds.most_common(1)[0][0] == "91"
    assert kinds["92"] > 0
    assert kinds["93"] > 0
    assert set(kinds) <= {"91", "92", "93", "N2"}
    # the region segment of the code is the enterprise's region
    assert all(row["uscc"][2:8] == row["region_code"] for row in generated)


def test_required_cells_are_present_and_well_formed(generated: list[dict[str, str]]) -> None:
    for row in generated:
        assert row["name"].strip()
        assert validate_region_code(row["region_code"]) == row["region_code"]
        assert row["region_code"].startswith("3701")
        assert validate_industry_code(row["industry_code"]) == row["industry_code"]
        established = date.fromisoformat(row["established_on"])
        assert date(1990, 1, 1) <= established <= AS_OF


def test_optional_cells_are_empty_or_well_formed(generated: list[dict[str, str]]) -> None:
    for row in generated:
        assert row["ownership"] == "" or row["ownership"] in OWNERSHIPS
        for column in ("registered_capital", "revenue", "total_assets", "tax_paid", "rd_expense"):
            assert row[column] == "" or MONEY.match(row[column]), (column, row[column])
        assert row["employees"] == "" or int(row["employees"]) >= 1
        assert row["tags"] == "" or set(row["tags"].split(";")) <= KNOWN_TAGS
        assert row["red_list"] in {"true", "false"}
        assert row["contact_phone"] == "" or MOBILE.match(row["contact_phone"])


def test_some_facts_are_unknown_and_most_are_known(generated: list[dict[str, str]]) -> None:
    for column in ("employees", "revenue", "total_assets", "tax_paid", "registered_capital", "contact_phone"):
        empty = sum(1 for row in generated if row[column] == "")
        assert 0 < empty < len(generated) * 0.25, column


def test_distributions_look_like_a_city(generated: list[dict[str, str]]) -> None:
    sections = Counter(row["industry_code"][0] for row in generated)
    assert sections.most_common(1)[0][0] in {"C", "F"}
    assert sections["C"] > len(generated) * 0.15
    red = sum(row["red_list"] == "true" for row in generated) / len(generated)
    assert 0.005 < red < 0.04
    tags = Counter(tag for row in generated for tag in row["tags"].split(";") if tag)
    assert tags["高新技术企业"] > 0
    assert tags["科技型中小企业"] > 0
    assert tags["规上企业"] > 0
    phones = [row["contact_phone"] for row in generated if row["contact_phone"]]
    assert len(set(phones)) == len(phones)
    years = sorted(int(row["established_on"][:4]) for row in generated)
    assert years[len(years) // 2] >= 2014  # skewed young: the median enterprise is at most ~12 years old
    assert sum(year >= 2021 for year in years) > 3 * sum(year <= 1995 for year in years)


def test_sizes_are_mostly_micro_and_small_with_every_class_present(generated: list[dict[str, str]]) -> None:
    def money(text: str) -> Decimal | None:
        return Decimal(text) if text else None

    sizes = Counter(
        classify_size(
            industry_code=row["industry_code"],
            employees=int(row["employees"]) if row["employees"] else None,
            revenue=money(row["revenue"]),
            total_assets=money(row["total_assets"]),
        )
        for row in generated
    )
    assert sizes["micro"] > len(generated) / 2
    assert sizes["micro"] + sizes["small"] > len(generated) * 0.75
    assert sizes["medium"] > 0
    assert sizes["large"] > 0
    assert 0 < sizes[None] < len(generated) * 0.2


def test_chunks_concatenate_to_the_same_rows_as_one_frame(generated: list[dict[str, str]]) -> None:
    frame = generate_enterprise_rows(2000, seed=7, as_of=AS_OF)
    assert frame.columns == CONTRACT_HEADER
    assert frame["uscc"].to_list() == [row["uscc"] for row in generated]
    assert frame["name"].to_list() == [row["name"] for row in generated]


def test_same_seed_gives_the_same_rows_and_another_seed_different_codes() -> None:
    first = generate_enterprise_rows(300, seed=1, as_of=AS_OF)
    again = generate_enterprise_rows(300, seed=1, as_of=AS_OF)
    other = generate_enterprise_rows(300, seed=2, as_of=AS_OF)
    assert first.equals(again)
    assert not set(first["uscc"]) & set(other["uscc"])


def test_frame_has_typed_contract_columns() -> None:
    frame = generate_enterprise_rows(50, seed=3, as_of=AS_OF)
    assert frame.schema["established_on"] == pl.Date
    assert frame.schema["employees"] == pl.Int64
    assert frame.schema["red_list"] == pl.Boolean
    assert isinstance(frame.schema["revenue"], pl.Decimal)
    assert frame["tags"].null_count() == 0  # no tags is "", never unknown


def test_other_region_prefix_uses_its_places() -> None:
    frame = generate_enterprise_rows(200, seed=4, region_prefix="4419", as_of=AS_OF)
    assert set(frame["region_code"]) == {"441900"}
    assert all(is_valid_uscc(code) for code in frame["uscc"])
    assert any(name.startswith("东莞") for name in frame["name"])


def test_unknown_region_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="区划前缀"):
        generate_enterprise_rows(10, region_prefix="9901")


def test_command_writes_the_file(tmp_path: Path) -> None:
    output = tmp_path / "ent.csv"
    call_command("generate_enterprises", count=25, output=str(output), seed=3, no_progress=True)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CONTRACT_HEADER)
    assert len(lines) == 26


def test_command_refuses_a_bad_prefix_and_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="区划前缀"):
        call_command(
            "generate_enterprises",
            count=5,
            output=str(tmp_path / "x.csv"),
            region_prefix="3",
            no_progress=True,
        )
    with pytest.raises(CommandError, match="输出目录不存在"):
        call_command("generate_enterprises", count=5, output=str(tmp_path / "no" / "x.csv"), no_progress=True)
