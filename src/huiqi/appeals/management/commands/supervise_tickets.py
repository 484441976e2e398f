"""`huiqi supervise_tickets`: creates the supervisions (督办) that are due and sends their notices.

Meant for cron (e.g. every 10 minutes during office hours); safe to run again at any time. `--now`
evaluates at another moment (ISO 8601, local time if no offset), for checks and tests."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from huiqi.appeals import services
from huiqi.appeals.enums import SupervisionLevel
from huiqi.core import request_context


class Command(BaseCommand):
    help = "督办：为已达预警点或已超期的工单生成督办记录并发送通知。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="按该时刻检查（ISO 8601，例如 2026-10-12T09:00），默认当前时间")

    def handle(self, *args: Any, now: str | None = None, **options: Any) -> None:
        moment = None
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now 无效：{now}（应为 ISO 8601，例如 2026-10-12T09:00）") from exc
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            report = services.supervise_overdue_tickets(now=moment)
        finally:
            request_context.reset(token)
        counts = "，".join(
            f"{level.label} {report.count(level)} 条" for level in SupervisionLevel if level != "manual"
        )
        self.stdout.write(f"督办完成：{counts}。")
