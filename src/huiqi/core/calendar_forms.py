"""Forms of the working-day calendar page: a year's schedule typed as lines, and one day's edit.

A schedule line is `DATE NAME` or `DATE~DATE NAME` (a range, both ends included), e.g.

    2027-02-06~2027-02-12 春节
    2027-10-01 国庆节

as an administrator copies it from the 国务院办公厅关于节假日安排的通知. Errors are reported per line.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django import forms

from huiqi.core.errors import ValidationFailedError

MAX_RANGE_DAYS = 31
_LINE = re.compile(
    r"^(?P<first>\S+?)(?:\s*(?:~|～|至|--|—)\s*(?P<last>\d\S*?))?(?:[\s,，、:：]+(?P<name>.*))?$"
)


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    day: datetime.date
    name: str


def _parse_date(text: str) -> datetime.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
        return None


def parse_schedule_lines(text: str) -> tuple[list[ParsedLine], list[str]]:
    """Lines -> one entry per day (ranges expanded), and errors "第 N 行：……"."""
    entries: list[ParsedLine] = []
    errors: list[str] = []
    for line_no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            errors.append(f"第 {line_no} 行：无法识别“{line}”，应为“日期 名称”，如“2027-01-01 元旦”。")
            continue
        first = _parse_date(match["first"])
        if first is None:
            errors.append(f"第 {line_no} 行：日期“{match['first']}”无效，应为 YYYY-MM-DD。")
            continue
        last = first
        if match["last"]:
            parsed_last = _parse_date(match["last"])
            if parsed_last is None:
                errors.append(f"第 {line_no} 行：日期“{match['last']}”无效，应为 YYYY-MM-DD。")
                continue
            if parsed_last < first:
                errors.append(f"第 {line_no} 行：结束日期 {parsed_last} 早于开始日期 {first}。")
                continue
            if (parsed_last - first).days >= MAX_RANGE_DAYS:
                errors.append(f"第 {line_no} 行：日期范围超过 {MAX_RANGE_DAYS} 天，请检查。")
                continue
            last = parsed_last
        name = (match["name"] or "").strip()
        day = first
        while day <= last:
            entries.append(ParsedLine(line_no, day, name))
            day += datetime.timedelta(days=1)
    return entries, errors


def format_schedule_lines(days: list[Any]) -> str:
    """The inverse, for pre-filling the form: consecutive days with the same name become a range."""
    lines: list[str] = []
    run: list[Any] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0], run[-1]
        span = first.day.isoformat() if first is last else f"{first.day.isoformat()}~{last.day.isoformat()}"
        lines.append(f"{span} {first.name}".rstrip())

    for entry in days:
        if run and (entry.day - run[-1].day).days == 1 and entry.name == run[-1].name:
            run.append(entry)
            continue
        flush()
        run = [entry]
    flush()
    return "\n".join(lines)


class YearScheduleForm(forms.Form):
    year = forms.IntegerField(
        label="年份",
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    source = forms.CharField(
        label="来源",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "国办发明电〔2026〕X号"}),
        help_text="国务院办公厅通知的文号或标题，如“国办发明电〔2026〕X号”。",
    )
    holidays = forms.CharField(
        label="放假日期",
        required=False,
        strip=False,  # keep line numbers as the administrator sees them
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace"}),
        help_text="每行一项：“日期 名称”或“开始日期~结束日期 名称”，含放假期间的周末。",
    )
    makeup_days = forms.CharField(
        label="调休上班日期",
        required=False,
        strip=False,  # keep line numbers as the administrator sees them
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace"}),
        help_text="每行一项：“日期 名称”，只能是星期六或星期日，如“2027-02-20 春节调休”。",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.parsed: dict[str, list[ParsedLine]] = {}
        for name in ("holidays", "makeup_days"):
            entries, errors = parse_schedule_lines(cleaned.get(name, ""))
            self.parsed[name] = entries
            for error in errors:
                self.add_error(name, error)
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        return {
            "year": self.cleaned_data["year"],
            "source": self.cleaned_data["source"],
            "holidays": [(entry.day, entry.name) for entry in self.parsed["holidays"]],
            "makeup_days": [(entry.day, entry.name) for entry in self.parsed["makeup_days"]],
        }

    def add_service_errors(self, error: ValidationFailedError) -> None:
        """Puts each error of enter_year_schedule beside the line it came from."""
        items = error.extra.get("errors")
        if not items:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            return
        fields = {"holiday": "holidays", "makeup": "makeup_days"}
        for item in items:
            field_name = fields.get(item.get("kind") or "")
            index = item.get("index")
            if field_name and index is not None and index < len(self.parsed.get(field_name, [])):
                line_no = self.parsed[field_name][index].line_no
                self.add_error(field_name, f"第 {line_no} 行：{item['message']}")
            else:
                self.add_error(None, item["message"])


class DayForm(forms.Form):
    WORKING_CHOICES = [("1", "工作日（上班）"), ("0", "休息日（放假）")]

    day = forms.DateField(
        label="日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    is_working_day = forms.TypedChoiceField(
        label="类型",
        choices=WORKING_CHOICES,
        coerce=lambda value: value == "1",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    name = forms.CharField(
        label="名称",
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "如 国庆节、春节调休"}),
    )
