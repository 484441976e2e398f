"""Reading an enterprise file (DATA-CONTRACT.md section 1): CSV (UTF-8, with or without BOM) or XLSX
(first sheet), one header row, English column names or their Chinese aliases.

The reader streams: it holds one row at a time (plus the USCCs already seen, to refuse a second row
for the same enterprise), so a file of millions of rows is read in bounded memory.

File-level decisions:
- The format is recognised by content (an XLSX file is a ZIP archive), not by the file name.
- A missing required column, a column given twice (e.g. `uscc` and `统一社会信用代码`), an empty file,
  an old .xls file or a CSV that is not UTF-8 (e.g. GBK from "Save as CSV" in Chinese Excel): the whole
  file is refused (EnterpriseFileRejectedError) and nothing is imported.
- Unknown columns are ignored and named once in `warnings`. `size_class` (企业规模) is derived, so an
  exported file can be imported again: it is ignored silently.
- Row numbers are those a spreadsheet shows: the header is row 1, each record (even a blank one,
  even a CSV record spanning several lines) one row.
- Entirely blank rows are skipped (spreadsheets leave them at the end); they are not rejections.
- A row with more non-empty cells than the header is rejected (a comma inside an unquoted value
  shifts the columns); a shorter row is read with the missing cells empty.
- Each USCC may appear once per file: a later row with the same (normalised) USCC is rejected with a
  reason naming the first row, which is the one imported.
- A row with several faults gets one RowError per fault.
"""

import codecs
import csv
import sys
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from typing import IO, Any, TypeVar

from huiqi.core.errors import ValidationFailedError
from huiqi.enterprises.io.fields import (
    COLUMNS,
    COLUMNS_BY_NAME,
    REQUIRED_FIELDS,
    SIZE_CLASS,
    SIZE_CLASS_LABEL,
    CellError,
    Column,
    memoized,
    python_to_text,
)

_T = TypeVar("_T")


class EnterpriseFileRejectedError(ValidationFailedError):
    """The whole file is refused (unreadable, wrong encoding, header without a required column)."""

    code = "enterprise_file_rejected"


@dataclass(frozen=True, slots=True)
class RowError:
    """One fault of one row: its spreadsheet row number, the column (canonical name; "" for the
    whole row), the cell's text and the reason in Chinese."""

    row_number: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row_number, "column": self.column, "value": self.value, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RowError":
        return cls(int(data.get("row") or 0), data.get("column", ""), data.get("value", ""), data["reason"])

    @property
    def column_title(self) -> str:
        column = COLUMNS_BY_NAME.get(self.column)
        if column is not None:
            return column.title
        return self.column or ("整行" if self.row_number else "")

    def describe(self) -> str:
        """`行 32, 列 uscc（统一社会信用代码）, 值 "…": reason` — one line of the command's report."""
        value = f', 值 "{self.value}"' if self.value else ""
        return f"行 {self.row_number}, 列 {self.column_title}{value}: {self.reason}"


@dataclass(slots=True)
class AcceptedRow:
    row_number: int
    values: dict[str, Any]  # canonical values of the file's columns
    prepared: tuple[Any, ...] | None = None  # the complete new profile, if computed ahead


@dataclass(slots=True)
class RejectedRow:
    row_number: int
    errors: list[RowError]


def _header_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).replace("\ufeff", "").split()).lower()


HEADER_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    HEADER_ALIASES[_header_key(_column.name)] = _column.name
    HEADER_ALIASES[_header_key(_column.label)] = _column.name
HEADER_ALIASES[SIZE_CLASS] = SIZE_CLASS
HEADER_ALIASES[_header_key(SIZE_CLASS_LABEL)] = SIZE_CLASS

_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_SNIFF_BYTES = 1 << 20


def _detect_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_XLS_MAGIC):
        raise EnterpriseFileRejectedError(
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后再导入"
        )
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        decoder.decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError:
        raise EnterpriseFileRejectedError(
            "文件不是 UTF-8 编码的 CSV（可能是 GBK）：请在 Excel 中“另存为 CSV UTF-8（逗号分隔）”，"
            "或直接上传 .xlsx 文件"
        ) from None
    return "csv"


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            count += block.count(b"\n")
    return count


class EnterpriseFileReader:
    """Iterate `AcceptedRow`/`RejectedRow` objects of an enterprise file.

    Use as a context manager. After opening, `columns` lists the contract columns the file has (in
    file order), `warnings` what was ignored, `estimated_rows` the data rows expected (for progress).
    """

    def __init__(self, path: Path, *, file_name: str | None = None) -> None:
        self.path = Path(path)
        self.file_name = file_name or self.path.name
        self.format = ""
        self.columns: tuple[str, ...] = ()
        self.warnings: list[str] = []
        self.estimated_rows = 0
        self._handle: IO[str] | None = None
        self._workbook: Any = None
        self._rows: Iterator[tuple[int, list[str]]] | None = None
        self._layout: list[tuple[int, str, Callable[[str], Any], Column]] = []
        self._width = 0
        self._uscc_index = 0
        self._numeric_uscc_rows: set[int] = set()
        self._seen: dict[str, int] = {}

    # --- opening -----------------------------------------------------------------------------

    def __enter__(self) -> "EnterpriseFileReader":
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        if not self.path.is_file():
            raise EnterpriseFileRejectedError(f"找不到文件：{self.file_name}")
        self.format = _detect_format(self.path)
        try:
            header = self._open_xlsx() if self.format == "xlsx" else self._open_csv()
        except EnterpriseFileRejectedError:
            self.close()
            raise
        self._read_header(header)

    def _open_csv(self) -> list[str]:
        self.estimated_rows = max(_count_lines(self.path) - 1, 0)
        self._handle = self.path.open("r", encoding="utf-8-sig", newline="")
        records = csv.reader(self._handle)
        self._rows = enumerate(records, start=1)
        return self._next_header()

    def _open_xlsx(self) -> list[str]:
        import openpyxl  # imported here: it is slow to import and CSV files do not need it

        try:
            self._workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise EnterpriseFileRejectedError(
                f"无法读取 Excel 文件（{error}）：请确认是 .xlsx 格式"
            ) from None
        sheet = self._workbook.worksheets[0]
        max_row = sheet.max_row
        self.estimated_rows = max((max_row or 1) - 1, 0)
        # The dimension recorded in the file can be wrong (some tools write A1:A1); read every row.
        sheet.reset_dimensions()
        self._rows = self._xlsx_rows(sheet)
        return self._next_header()

    def _xlsx_rows(self, sheet: Any) -> Iterator[tuple[int, list[str]]]:
        for row_number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [python_to_text(value) for value in cells]
            if row_number > 1 and self._uscc_index < len(cells):
                value = cells[self._uscc_index]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    self._numeric_uscc_rows.add(row_number)
                    texts[self._uscc_index] = str(int(value))
            yield row_number, texts

    def _next_header(self) -> list[str]:
        assert self._rows is not None
        try:
            _, header = next(self._rows)
        except StopIteration:
            raise EnterpriseFileRejectedError("文件为空：第一行应为表头（uscc、name 等列名）") from None
        except (UnicodeDecodeError, csv.Error) as error:
            raise EnterpriseFileRejectedError(f"无法读取表头：{error}") from None
        return header

    def _read_header(self, header: list[str]) -> None:
        positions: dict[str, int] = {}
        unknown: list[str] = []
        for index, title in enumerate(header):
            key = _header_key(title or "")
            if not key:
                continue
            name = HEADER_ALIASES.get(key)
            if name is None:
                unknown.append(title.strip())
                continue
            if name in positions:
                first = header[positions[name]].strip()
                raise EnterpriseFileRejectedError(
                    f"表头中列“{name}”出现了两次：第 {positions[name] + 1} 列“{first}”和第 {index + 1} 列“{title.strip()}”"
                )
            positions[name] = index
        missing = [COLUMNS_BY_NAME[name].title for name in REQUIRED_FIELDS if name not in positions]
        if missing:
            raise EnterpriseFileRejectedError(
                f"文件缺少必填列：{'、'.join(missing)}。第一行应为表头，列名见数据规范第 1 节（英文列名或中文别名）"
            )
        if unknown:
            self.warnings.append(f"忽略了无法识别的列：{'、'.join(unknown)}")
        positions.pop(SIZE_CLASS, None)  # derived: recomputed, never read
        layout = sorted((index, COLUMNS_BY_NAME[name]) for name, index in positions.items())
        self._layout = [
            (index, column.name, memoized(column.parse) if column.repeats else column.parse, column)
            for index, column in layout
        ]
        self.columns = tuple(column.name for _, column in layout)
        self._width = len(header)
        self._uscc_index = positions["uscc"]

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    # --- rows --------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[AcceptedRow | RejectedRow]:
        assert self._rows is not None, "open() first"
        rows = self._rows
        row_number = 1
        while True:
            try:
                row_number, cells = next(rows)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise EnterpriseFileRejectedError(
                    f"文件第 {row_number + 1} 行附近有不是 UTF-8 编码的内容（可能是 GBK），从这里起未导入："
                    "请另存为 CSV UTF-8 后重新导入"
                ) from None
            except csv.Error as error:
                raise EnterpriseFileRejectedError(
                    f"CSV 格式错误（第 {row_number + 1} 行附近）：{error}"
                ) from None
            parsed = self.parse_row(row_number, cells)
            if parsed is not None:
                yield parsed

    def chunks(self, size: int) -> Iterator[tuple[list[AcceptedRow], list[RejectedRow]]]:
        """The rows in consecutive chunks of `size` rows (accepted and rejected, in file order)."""
        accepted: list[AcceptedRow] = []
        rejected: list[RejectedRow] = []
        for item in self:
            if isinstance(item, AcceptedRow):
                accepted.append(item)
            else:
                rejected.append(item)
            if len(accepted) + len(rejected) >= size:
                yield accepted, rejected
                accepted, rejected = [], []
        if accepted or rejected:
            yield accepted, rejected

    def parse_row(self, row_number: int, cells: list[str]) -> AcceptedRow | RejectedRow | None:
        """Canonical values of one row, or its errors; None for a blank row."""
        count = len(cells)
        uscc_index = self._uscc_index
        if (uscc_index >= count or not cells[uscc_index].strip()) and not "".join(cells).strip():
            return None
        values: dict[str, Any] = {}
        errors: list[RowError] | None = None
        if count > self._width and "".join(cells[self._width :]).strip():
            errors = [
                RowError(
                    row_number,
                    "",
                    "",
                    f"该行有 {count} 个单元格，多于表头的 {self._width} 列（可能某个值中含有未加引号的逗号）",
                )
            ]
        for index, name, parse, column in self._layout:
            text = cells[index].strip() if index < count else ""
            try:
                if text:
                    values[name] = parse(text)
                elif column.required:
                    raise CellError(f"{column.label}为必填项，不能为空")
                else:
                    values[name] = column.empty
            except CellError as error:
                reason = error.reason
                if index == uscc_index and row_number in self._numeric_uscc_rows:
                    reason += "（该单元格是数字格式，Excel 只保留 15 位有效数字：请把这一列设为文本格式）"
                if errors is None:
                    errors = []
                errors.append(RowError(row_number, column.name, text, reason))
        if errors:
            return RejectedRow(row_number, errors)
        uscc = values["uscc"]
        first = self._seen.setdefault(uscc, row_number)
        if first != row_number:
            return RejectedRow(
                row_number,
                [
                    RowError(
                        row_number,
                        "uscc",
                        uscc,
                        f"统一社会信用代码与第 {first} 行重复：同一文件中每家企业只能出现一次（以第 {first} 行为准）",
                    )
                ],
            )
        return AcceptedRow(row_number, values)


def safe_file_name(name: str) -> str:
    """A file name fit for storage and history (`source_ref`): path parts removed, at most 255 chars."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "enterprises"
    return base[-255:]


def read_ahead(items: Iterator[_T], *, depth: int = 2) -> Generator[_T, None, None]:
    """Yields the items of `items`, produced by a background thread up to `depth` items ahead.

    Why: an import spends half its time waiting for the database (COPY, index maintenance, commit).
    Parsing the next chunk meanwhile, in a thread, overlaps the two; the thread touches no database
    connection (Django's connections are per thread), only the file. Exceptions reach the consumer.

    While it runs, the interpreter's thread switch interval is 0.5 ms instead of 5 ms: the consumer
    mostly waits for the database, and each time the database answers it must get the GIL back from
    the busy reading thread; with 5 ms per hand-over, dozens of round trips per chunk cost more
    than the database work itself (measured: 8 s of 38 s on 500,000 rows).
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, done))
        except BaseException as error:  # handed to the consumer, which re-raises it
            put((False, error))

    thread = threading.Thread(target=work, name="enterprise-file-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = queue.get()
            if not ok:
                raise item
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
