"""`huiqi audit_verify`: walks the audit hash chain and says whether it is intact.

Exit status 0 and "审计链完整：N 条事件" when every link holds; otherwise the first broken link
(event id and what failed) on stderr and exit status 1, so cron or monitoring can alert on it.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiqi.core import audit, request_context


class Command(BaseCommand):
    help = "校验审计日志哈希链：逐条重算哈希，报告第一处断链。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk-size", type=int, default=2000, help="每次读取的事件数（内存上限）")

    def handle(self, *args: Any, chunk_size: int, **options: Any) -> None:
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            report = audit.verify_audit_chain(chunk_size=max(1, chunk_size))
            audit.record_audit_log_access(
                user=None,
                action="audit.verified",
                details={
                    "is_intact": report.is_intact,
                    "event_count": report.event_count,
                    "broken_id": report.broken_id,
                    "head_id": report.head_id,
                    "head_hash": report.head_hash,
                },
            )
        finally:
            request_context.reset(token)
        if not report.is_intact:
            self.stderr.write(f"审计链断裂：事件 #{report.broken_id}")
            self.stderr.write(report.problem)
            self.stderr.write(f"断点之前已校验 {report.event_count} 条事件。")
            sys.exit(1)
        self.stdout.write(f"审计链完整：{report.event_count} 条事件")
        if report.head_id is not None:
            self.stdout.write(f"最新事件 #{report.head_id}，哈希 {report.head_hash}")
