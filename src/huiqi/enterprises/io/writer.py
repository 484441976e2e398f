"""Writing enterprise files (exports) and import error reports, CSV or XLSX, streaming.

Exports use DATA-CONTRACT.md section 1 exactly as imports read it: the English header in contract
order plus `size_class`, amounts as plain decimals with two places ("1234.50", never an exponent),
dates YYYY-MM-DD, tags joined by ";", red_list true/false, an empty cell for unknown. So an export
imported again changes nothing.

XLSX specifics: codes and phones are written as text cells (Excel would otherwise turn 18-digit
codes into floats), amounts as numbers with the format 0.00, dates as date cells. A sheet holds at
most 1,048,576 rows, so larger exports must be CSV.
"""

import csv
import datetime
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from huiqi.core.errors import ValidationFailedError
from huiqi.enterprises.io.fields import COLUMNS, EXPORT_HEADER, money_from_db

XLSX_MAX_DATA_ROWS = 1_048_575
FORMATS = ("csv", "xlsx")
ERROR_REPORT_HEADER = ("行号", "列", "值", "原因")


def _check_format(file_format: str) -> str:
    file_format = file_format.lower().lstrip(".")
    if file_format not in FORMATS:
        raise ValidationFailedError(f"不支持的文件格式“{file_format}”：应为 csv 或 xlsx", field="file_format")
    return file_format


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _open_binary(output: Path | str | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(output, str | Path):
        return Path(output).open("wb"), True
    return output, False


def write_enterprises(
    rows: Iterable[tuple[Any, ...]],
    output: Path | str | IO[bytes],
    *,
    file_format: str = "csv",
    include_bom: bool = False,
) -> int:
    """Writes canonical rows (EXPORT_HEADER order) to `output`; returns the number of data rows."""
    file_format = _check_format(file_format)
    if file_format == "xlsx":
        return _write_enterprises_xlsx(rows, output)
    handle, owned = _open_binary(output)
    count = 0
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig" if include_bom else "utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(EXPORT_HEADER)
        for row in rows:
            writer.writerow([_csv_text(value) for value in row])
            count += 1
        text.flush()
        text.detach()
    finally:
        if owned:
            handle.close()
    return count


_MONEY_NAMES = frozenset(c.name for c in COLUMNS if c.from_db is money_from_db)


def _write_enterprises_xlsx(rows: Iterable[tuple[Any, ...]], output: Path | str | IO[bytes]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("enterprises")
    sheet.append(list(EXPORT_HEADER))
    money = [i for i, name in enumerate(EXPORT_HEADER) if name in _MONEY_NAMES]
    established = EXPORT_HEADER.index("established_on")
    employees = EXPORT_HEADER.index("employees")
    count = 0
    for row in rows:
        count += 1
        if count > XLSX_MAX_DATA_ROWS:
            raise ValidationFailedError(
                f"XLSX 文件最多 {XLSX_MAX_DATA_ROWS} 行数据，企业数量超过了这个上限：请导出 CSV",
                field="file_format",
            )
        cells: list[Any] = [_csv_text(value) for value in row]
        for i in money:
            if row[i] is not None:
                cell = WriteOnlyCell(sheet, value=Decimal(row[i]))
                cell.number_format = "0.00"
                cells[i] = cell
            else:
                cells[i] = None
        cells[established] = datetime.date.fromisoformat(row[established])
        cells[employees] = row[employees]
        for i, value in enumerate(cells):
            if value == "":
                cells[i] = None
        sheet.append(cells)
    workbook.save(output)
    return count


def write_error_report(errors: Iterable[Any], output: IO[bytes], *, file_format: str) -> None:
    """行号, 列, 值, 原因 for each RowError (CSV with a BOM, for Excel users; or XLSX)."""
    file_format = _check_format(file_format)
    lines = [
        ("" if error.row_number == 0 else error.row_number, error.column_title, error.value, error.reason)
        for error in errors
    ]
    if file_format == "csv":
        text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(ERROR_REPORT_HEADER)
        writer.writerows(lines)
        text.flush()
        text.detach()
        return
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行")
    sheet.append(list(ERROR_REPORT_HEADER))
    for line in lines:
        sheet.append(list(line))
    workbook.save(output)
