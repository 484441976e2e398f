"""`huiqi audit_purge --before YYYY-MM-DD`: deletes audit events older than the retention period.

Refuses a date less than settings.HUIQI_AUDIT_RETENTION_DAYS (at least 184) days ago. The chain stays
verifiable: the purge records where it cut (core.AuditAnchor) and an "audit.purged" event.
"""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.core import audit, request_context
from huiqi.core.errors import ApplicationError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--before 应为 YYYY-MM-DD 格式的日期，收到 {value!r}。") from exc


class Command(BaseCommand):
    help = "清理保留期（至少 184 天）之前的审计事件，并记录审计链新起点。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--before", required=True, type=str, help="清理此日期（不含）之前的事件，YYYY-MM-DD"
        )

    def handle(self, *args: Any, before: str, **options: Any) -> None:
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            result = audit.purge_audit_events(before=_date(before))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            request_context.reset(token)
        if result.purged_count:
            self.stdout.write(
                f"已清理 {result.purged_count} 条审计事件（截至 #{result.last_purged_id}），审计链起点已记录。"
            )
        else:
            self.stdout.write(f"{before} 之前没有审计事件，无需清理。")
