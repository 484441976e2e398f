"""`huiqi workdays add DATE N` and `huiqi workdays between START END` (DATA-CONTRACT.md section 3).

stdout carries only the result (a date, or a number) so that scripts can read it; a provisional result
(a year whose State Council schedule is not entered) is still printed, with a warning on stderr."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.core import request_context, workdays
from huiqi.core.errors import ApplicationError


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(
            f"日期“{value}”无效，应为 YYYY-MM-DD。Invalid date '{value}': use YYYY-MM-DD."
        ) from exc


class Command(BaseCommand):
    help = (
        "工作日计算 (working days): `add DATE N` prints the date N working days after DATE, counting from "
        "the day after (自受理次日起计算); `between START END` prints the number of working days after "
        "START up to and including END."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{add,between}")
        add = actions.add_parser("add", help="DATE 之后第 N 个工作日 (N may be negative or end in .5)")
        add.add_argument("date", help="YYYY-MM-DD")
        add.add_argument("n", help="working days: a whole number, or a half day such as 2.5")
        between = actions.add_parser("between", help="START 之后到 END（含）的工作日数")
        between.add_argument("start", help="YYYY-MM-DD")
        between.add_argument("end", help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            if options["action"] == "add":
                result: workdays.WorkdayResult[Any] = workdays.add_working_days(
                    _date(options["date"]), options["n"]
                )
                value = result.value
                text = (
                    value.strftime("%Y-%m-%d %H:%M")
                    if isinstance(value, datetime.datetime)
                    else value.isoformat()
                )
            else:
                result = workdays.working_days_between(_date(options["start"]), _date(options["end"]))
                text = str(result.value)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            request_context.reset(token)
        self.stdout.write(text)
        if result.is_provisional:
            years = "、".join(str(year) for year in result.unscheduled_years)
            years_en = ", ".join(str(year) for year in result.unscheduled_years)
            self.stderr.write(
                f"警告：{years} 年的节假日安排尚未录入，结果只扣除了周末，为临时结果。\n"
                f"Warning: the holiday schedule for {years_en} has not been entered; "
                "the result counts weekends only and is provisional."
            )
