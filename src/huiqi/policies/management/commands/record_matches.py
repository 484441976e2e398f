"""`huiqi record_matches [--as-of YYYY-MM-DD] [--item CODE ...] [--queue]`: the all-against-all job
from the command line (e.g. nightly from cron, so that versions whose effective date has come are
matched), as a MatchRun shown on the match-runs page.

Runs in this process and prints the outcome; with --queue it only queues the run for `huiqi db_worker`.
"""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.core.errors import ApplicationError
from huiqi.policies import match_runs
from huiqi.policies.models import MatchRunTrigger


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"日期“{value}”无效，应为 YYYY-MM-DD。", returncode=2) from exc


class Command(BaseCommand):
    help = "全量政策匹配：评估日有效的条目 × 市场主体库，保存“符合”和“需补充信息”的结果（MatchResult）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="评估日期（默认今天）")
        parser.add_argument("--item", action="append", metavar="CODE", help="只匹配这些条目（可重复）")
        parser.add_argument("--queue", action="store_true", help="只排队，由后台任务（huiqi db_worker）执行")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        try:
            run = match_runs.start_match_run(
                actor=None,
                as_of=as_of,
                item_codes=options["item"],
                trigger=MatchRunTrigger.COMMAND,
                enqueue=options["queue"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["queue"]:
            self.stdout.write(f"已排队匹配任务 {run.pk}（评估日 {run.as_of.isoformat()}）。")
            return
        run = match_runs.process_match_run(run=run)
        self.stdout.write(
            f"匹配任务 {run.pk}：评估日 {run.as_of.isoformat()}，{run.total_items} 项条目 × "
            f"{run.enterprise_count} 家企业，符合 {run.eligible_count}，需补充信息 {run.needs_info_count}"
            f"（{run.get_status_display()}）。"
        )
