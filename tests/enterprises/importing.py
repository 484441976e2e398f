"""Helpers shared by the import, export and command tests: contract rows and files."""

import csv
from pathlib import Path
from typing import Any

from tests.factories import uscc_for

HEADER = [
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


def contract_row(n: int, **overrides: Any) -> dict[str, str]:
    """A valid section-1 row for enterprise number n (a 制造业 company in 历下区, size small)."""
    row = {
        "uscc": uscc_for(n, region_code="370102"),
        "name": f"济南导入测试有限公司{n}",
        "region_code": "370102",
        "industry_code": "C3911",
        "established_on": "2019-03-15",
        "ownership": "private",
        "registered_capital": "5000000.00",
        "employees": "50",
        "revenue": "30000000.00",
        "total_assets": "20000000.00",
        "tax_paid": "800000.00",
        "rd_expense": "1200000.00",
        "tags": "高新技术企业",
        "red_list": "false",
        "contact_phone": f"1380000{n:04d}",
    }
    row.update({key: str(value) for key, value in overrides.items()})
    return row


def write_csv(
    path: Path, rows: list[dict[str, str]], *, header: list[str] | None = None, bom: bool = False
) -> Path:
    header = header or HEADER
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


def write_xlsx(path: Path, rows: list[list[Any]], *, header: list[str] | None = None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path
