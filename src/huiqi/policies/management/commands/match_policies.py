"""`huiqi match_policies --output PATH.csv [--as-of YYYY-MM-DD] [--item CODE] [--uscc USCC] [--all]`
(DATA-CONTRACT.md section 3).

Writes `uscc,item_code,status,amount` (UTF-8, header row): every enterprise of the registry against
every item in force on the as-of date (default: today); without --all only eligible and needs_info
rows. The amount has exactly two decimals, and is empty when there is none. A summary goes to stderr.
Exit status 2 for a bad option (an unknown item code or USCC, a malformed date).
"""

import datetime
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from huiqi.core.errors import ApplicationError
from huiqi.policies.matching import match_all


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"日期“{value}”无效，应为 YYYY-MM-DD。", returncode=2) from exc


class Command(BaseCommand):
    help = "政策匹配：市场主体库中的企业 × 评估日有效的政策条目，写出 uscc,item_code,status,amount。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, metavar="PATH.csv", help="输出 CSV 文件")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="评估日期（默认今天）")
        parser.add_argument("--item", metavar="CODE", help="只评估这个条目")
        parser.add_argument("--uscc", metavar="USCC", help="只评估这家企业")
        parser.add_argument("--all", action="store_true", help="也写出 ineligible（不符合）的结果")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        started = time.perf_counter()
        try:
            frame = match_all(
                as_of=as_of,
                item_code=options["item"],
                uscc=options["uscc"],
                statuses=None if options["all"] else ("eligible", "needs_info"),
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        path = Path(options["output"])
        # Polars writes Decimal(38, 2) with exactly two decimals and null as an empty field.
        frame.select("uscc", "item_code", "status", "amount").write_csv(path)
        counts = frame.group_by("status").len().sort("status").iter_rows()
        summary = "，".join(f"{status} {count}" for status, count in counts) or "无结果"
        elapsed = time.perf_counter() - started
        self.stderr.write(
            f"评估日 {as_of.isoformat()}：写出 {frame.height} 行到 {path}（{summary}），用时 {elapsed:.1f} 秒。"
        )
