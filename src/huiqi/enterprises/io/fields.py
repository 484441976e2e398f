"""The columns of an enterprise file (DATA-CONTRACT.md section 1) and the rule for each cell.

Every cell becomes a *canonical value*, the one form in which the platform compares a file with the
registry, writes the registry, records history and exports:

    uscc, name, region_code, industry_code, contact_phone   str ("" for an empty phone)
    established_on                                          "YYYY-MM-DD"
    ownership                                               an Ownership value or None
    registered_capital, revenue, total_assets,
    tax_paid, rd_expense                                    "1234.50" (yuan, two decimals) or None
    employees                                               int or None
    tags                                                    sorted, de-duplicated, ";"-joined ("" = none)
    red_list                                                bool

Decisions where the contract is silent (documented in benchmarks/README.md and the import page):
- Amounts: plain decimal notation, at most two decimals (trailing zeros beyond them are accepted);
  thousands separators and scientific notation are refused (a spreadsheet that wrote "1.23E+07"
  has already lost digits), negative amounts are refused (amounts are gross: 纳税额 is tax paid,
  not net of refunds), at most 18 integer digits (the column holds 20 digits, 2 of them decimals).
- Employees: a whole number from 0 to 2,147,483,647; "12.0" is read as 12.
- Dates: exactly YYYY-MM-DD (a real calendar date); XLSX date cells are accepted.
- Ownership: the English value of the contract, or its Chinese label (民营, 国有, 外资, 港澳台, 集体, 其他).
- Red list: true/false, 1/0, 是/否 (any case); an empty cell is false, the contract's default.
- Tags: separated by ";" or the full-width "；"; spaces around a tag are removed; duplicates dropped.
- Phone: digits, spaces and + - ( ) # 转, several numbers separated by ; , / 、 (at most 40 characters).
- Name: at most 200 characters.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from huiqi.core.errors import ApplicationError
from huiqi.core.reference.industries import validate_industry_code
from huiqi.core.reference.regions import validate_region_code
from huiqi.enterprises.enums import Ownership
from huiqi.enterprises.size_class import classify_size
from huiqi.enterprises.uscc import normalize_uscc


class CellError(Exception):
    """A cell that breaks its column's rule; `reason` is the Chinese sentence shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- cell rules: text (stripped, not empty) -> canonical value -------------------------------------


def parse_uscc(text: str) -> str:
    try:
        return normalize_uscc(text)
    except ApplicationError as error:
        raise CellError(error.message) from None


def _reference_rule(validate: Callable[[str], str]) -> Callable[[str], str]:
    """A cell rule from a reference-data validator that raises ApplicationError."""

    def parse(text: str) -> str:
        try:
            return validate(text)
        except ApplicationError as error:
            raise CellError(error.message) from None

    return parse


parse_region_code = _reference_rule(validate_region_code)
parse_industry_code = _reference_rule(validate_industry_code)


def memoized(parse: Callable[[str], Any], *, limit: int = 100_000) -> Callable[[str], Any]:
    """The same rule, remembering its verdict per text: region and industry codes, dates, tags and the
    like repeat across millions of rows, so most cells are then one dictionary look-up.

    The memory is cleared when it holds `limit` texts, so a file of all-different values costs no more."""
    verdicts: dict[str, tuple[bool, Any]] = {}

    def cached(text: str) -> Any:
        verdict = verdicts.get(text)
        if verdict is None:
            try:
                verdict = (True, parse(text))
            except CellError as error:
                verdict = (False, error.reason)
            if len(verdicts) >= limit:
                verdicts.clear()
            verdicts[text] = verdict
        if verdict[0]:
            return verdict[1]
        raise CellError(verdict[1])

    return cached


NAME_MAX_LENGTH = 200


def parse_name(text: str) -> str:
    if len(text) > NAME_MAX_LENGTH:
        raise CellError(f"企业名称过长：{len(text)} 个字符，最多 {NAME_MAX_LENGTH} 个")
    return text


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> str:
    if _DATE.fullmatch(text) is None:
        raise CellError("日期格式应为 YYYY-MM-DD，例如 2021-06-30")
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise CellError("不是有效的日期（月份应为 01-12，日期不超过当月天数）") from None
    return text


_OWNERSHIP: dict[str, str] = {}
for _choice in Ownership:
    _OWNERSHIP[_choice.value] = _choice.value
    _OWNERSHIP[str(_choice.label)] = _choice.value
_OWNERSHIP_HELP = "、".join(f"{c.value}（{c.label}）" for c in Ownership)


def parse_ownership(text: str) -> str:
    value = _OWNERSHIP.get(text) or _OWNERSHIP.get(text.lower())
    if value is None:
        raise CellError(f"经济类型应为以下之一：{_OWNERSHIP_HELP}")
    return value


_MONEY = re.compile(r"(\d{1,18})(?:\.(\d*))?")
_SCIENTIFIC = re.compile(r"[-+]?\d*\.?\d+[eE][-+]?\d+")


def _number_problem(text: str, *, integer: bool) -> str:
    """Why `text` is not an acceptable amount or count (only called on the slow, failing path)."""
    if text.startswith("-"):
        return "不能为负数"
    if "," in text or "，" in text:
        return "请去掉千位分隔符（例如写 1234567.89，不写 1,234,567.89）"
    if _SCIENTIFIC.fullmatch(text):
        return "不接受科学计数法（例如 1.23E+07），请写出完整数字"
    digits = text.split(".")[0]
    if digits.isdigit() and len(digits) > 18:
        return "数值过大：整数部分最多 18 位"
    return "应为整数" if integer else "应为数字（以元为单位，最多两位小数）"


def parse_money(text: str) -> str:
    """Yuan with at most two decimals, returned as "1234.50" (no exponent, no rounding)."""
    if (  # already canonical, as exports and most systems write it: the fast path
        text.isascii()
        and 4 <= len(text) <= 21
        and text[-3] == "."
        and text[:-3].isdigit()
        and text[-2:].isdigit()
        and (text[0] != "0" or len(text) == 4)
    ):
        return text
    match = _MONEY.fullmatch(text)
    if match is None:
        raise CellError(_number_problem(text, integer=False))
    whole, fraction = match.groups()
    if fraction is None:
        return f"{int(whole)}.00"
    if len(fraction) > 2:
        if fraction[2:].strip("0"):
            raise CellError("金额最多两位小数（元到分），不做四舍五入")
        fraction = fraction[:2]
    return f"{int(whole)}.{fraction:0<2}"


_INTEGER = re.compile(r"(\d+)(?:\.0*)?")
INTEGER_MAX = 2_147_483_647


def parse_employees(text: str) -> int:
    match = _INTEGER.fullmatch(text)
    if match is None:
        if re.fullmatch(r"\d+\.\d+", text):
            raise CellError("从业人员应为整数")
        raise CellError(_number_problem(text, integer=True))
    digits = match.group(1).lstrip("0") or "0"
    if len(digits) > 10 or int(digits) > INTEGER_MAX:
        raise CellError(f"数值过大：最大 {INTEGER_MAX}")
    return int(digits)


def parse_tags(text: str) -> str:
    """Canonical tags: split on ";" or "；", stripped, de-duplicated, sorted, joined by ";"."""
    return ";".join(sorted({tag.strip() for tag in text.replace("；", ";").split(";")} - {""}))


_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}


def parse_red_list(text: str) -> bool:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise CellError("红名单应为 true 或 false（也接受 1/0、是/否）")
    return value


PHONE_MAX_LENGTH = 40
_PHONE = re.compile(r"[0-9+\-()（） #转;；,，/、]+")
_DIGIT = re.compile(r"[0-9]")


def parse_phone(text: str) -> str:
    if text.isascii() and text.isdigit() and len(text) <= PHONE_MAX_LENGTH:
        return text
    if len(text) > PHONE_MAX_LENGTH:
        raise CellError(f"联系电话过长：最多 {PHONE_MAX_LENGTH} 个字符")
    if _PHONE.fullmatch(text) is None or _DIGIT.search(text) is None:
        raise CellError("联系电话只能包含数字、空格和 + - ( ) # 转，多个号码用 ; , / 、 分隔")
    return text


# --- database values -> canonical values ----------------------------------------------------------


def money_from_db(value: Any) -> str | None:
    """PostgreSQL gives Decimal; SQLite stores NUMERIC, so it gives int or float (repr keeps its digits)."""
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif not isinstance(value, Decimal):
        value = Decimal(value)
    return f"{value:.2f}"


def date_from_db(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def text_from_db(value: Any) -> str:
    return "" if value is None else str(value)


def optional_from_db(value: Any) -> Any:
    return value


def bool_from_db(value: Any) -> bool:
    return bool(value)


def int_from_db(value: Any) -> int | None:
    return None if value is None else int(value)


# --- canonical values -> model attributes and text ------------------------------------------------


def money_to_python(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def date_to_python(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def same(value: Any) -> Any:
    return value


def to_text(value: Any) -> str | None:
    """The text of a canonical value in history rows and exports (None stays None)."""
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column of DATA-CONTRACT.md section 1."""

    name: str
    label: str
    required: bool
    parse: Callable[[str], Any]
    empty: Any  # the canonical value of an empty cell (None = unknown)
    from_db: Callable[[Any], Any]
    to_python: Callable[[Any], Any]
    repeats: bool = False  # few distinct values in a file: the reader memoizes the rule

    @property
    def title(self) -> str:
        return f"{self.name}（{self.label}）"


# In the contract's order; exports write them in this order, followed by size_class.
COLUMNS: tuple[Column, ...] = (
    Column("uscc", "统一社会信用代码", True, parse_uscc, None, text_from_db, same),
    Column("name", "企业名称", True, parse_name, None, text_from_db, same),
    Column("region_code", "区划代码", True, parse_region_code, None, text_from_db, same, repeats=True),
    Column("industry_code", "行业代码", True, parse_industry_code, None, text_from_db, same, repeats=True),
    Column("established_on", "成立日期", True, parse_date, None, date_from_db, date_to_python, repeats=True),
    Column("ownership", "经济类型", False, parse_ownership, None, optional_from_db, same, repeats=True),
    Column("registered_capital", "注册资本", False, parse_money, None, money_from_db, money_to_python),
    Column("employees", "从业人员", False, parse_employees, None, int_from_db, same, repeats=True),
    Column("revenue", "营业收入", False, parse_money, None, money_from_db, money_to_python),
    Column("total_assets", "资产总额", False, parse_money, None, money_from_db, money_to_python),
    Column("tax_paid", "纳税额", False, parse_money, None, money_from_db, money_to_python),
    Column("rd_expense", "研发费用", False, parse_money, None, money_from_db, money_to_python),
    Column("tags", "标签", False, parse_tags, "", text_from_db, same, repeats=True),
    Column("red_list", "红名单", False, parse_red_list, False, bool_from_db, same, repeats=True),
    Column("contact_phone", "联系电话", False, parse_phone, "", text_from_db, same),
)
COLUMNS_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
FIELD_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(column.name for column in COLUMNS if column.required)
# Derived (国统字〔2017〕213号), written by exports, recomputed (never read) by imports.
SIZE_CLASS = "size_class"
SIZE_CLASS_LABEL = "企业规模"
EXPORT_HEADER: tuple[str, ...] = (*FIELD_NAMES, SIZE_CLASS)
SIZE_INPUTS: frozenset[str] = frozenset({"industry_code", "employees", "revenue", "total_assets"})


def parse_cell(column: Column, text: str) -> Any:
    """The canonical value of one cell's text (already stripped); raises CellError."""
    if not text:
        if column.required:
            raise CellError(f"{column.label}为必填项，不能为空")
        return column.empty
    return column.parse(text)


def python_to_text(value: Any) -> str:
    """Text of a value given by a form, the API or a spreadsheet cell, before its column's rule runs."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        try:
            return format(value, "f")
        except (InvalidOperation, ValueError):
            return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(python_to_text(item) for item in value)
    return str(value).strip()


def size_class_of(values: dict[str, Any]) -> str | None:
    """size_class (国统字〔2017〕213号) of a profile given as canonical values."""
    revenue = values.get("revenue")
    total_assets = values.get("total_assets")
    return classify_size(
        industry_code=values["industry_code"],
        employees=values.get("employees"),
        revenue=None if revenue is None else Decimal(revenue),
        total_assets=None if total_assets is None else Decimal(total_assets),
    )
