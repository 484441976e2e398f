"""`huiqi rebuild_appeal_metrics`: fill or repair the metrics' facts and sums (docs/metrics.md).

huiqi rebuild_appeal_metrics                    every fact recomputed, then every sum rebuilt
huiqi rebuild_appeal_metrics --sums-only        the sums rebuilt from the facts as they are
huiqi rebuild_appeal_metrics --updated-since 15 the facts of tickets changed in the last 15
                                                minutes refreshed one by one (a scheduled catch-up)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from huiqi.appeals.metrics import facts, rebuild


class Command(BaseCommand):
    help = "重建诉求统计的事实表与汇总表（或只刷新最近变动的工单）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sums-only", action="store_true", help="只根据事实表重建汇总表")
        parser.add_argument(
            "--updated-since", type=int, metavar="MINUTES", help="只刷新最近 N 分钟内有变动的工单"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["updated_since"] is not None:
            since = timezone.now() - dt.timedelta(minutes=options["updated_since"])
            count = facts.refresh_appeal_facts(updated_since=since)
            self.stdout.write(f"已刷新 {count} 件工单的统计事实。")
            return
        if not options["sums_only"]:
            count = facts.rebuild_appeal_facts()
            self.stdout.write(f"已重算 {count} 件诉求的统计事实。")
        written = rebuild.rebuild_appeal_sums()
        self.stdout.write(
            "已重建汇总表：日汇总 {daily} 行，月汇总 {monthly} 行，关键词日计数 {daily_terms} 行，"
            "关键词月计数 {monthly_terms} 行。".format(**written)
        )
