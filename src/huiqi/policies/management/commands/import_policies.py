"""`huiqi import_policies PATH... [--draft]` (DATA-CONTRACT.md section 3).

Prints each rejection on stderr, one line per fault: `<path in the file>: <reason>`, e.g.
`policies.yaml[1].eligibility.all[0].op: 未知运算符“gte”…`; the summary on stdout.
Exit status 0 when everything was imported, 1 when anything was rejected.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.core import request_context
from huiqi.policies.services import import_policy_items


class Command(BaseCommand):
    help = "导入政策条目 YAML 文件或文件夹（数据契约第 2 节）：校验、运行示例，通过的条目立即发布（--draft 则为草稿）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", metavar="PATH", help="YAML 文件或文件夹（递归读取 *.yaml、*.yml）"
        )
        parser.add_argument("--draft", action="store_true", help="导入为草稿，等待提交审核，不直接发布")

    def handle(self, *args: Any, **options: Any) -> None:
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            report = import_policy_items(paths=[Path(p) for p in options["paths"]], as_draft=options["draft"])
        finally:
            request_context.reset(token)
        for rejected in report.rejected:
            label = f"（条目 {rejected.code}）" if rejected.code else ""
            for fault in rejected.faults:
                self.stderr.write(f"拒绝{label} {fault.path}: {fault.message}")
        for imported in report.imported:
            action = "发布" if imported.status == "published" else "草稿"
            self.stdout.write(f"{action} {imported.code} 第 {imported.number} 版（{imported.location}）")
        self.stdout.write(report.summary())
        if report.has_rejections:
            raise CommandError(f"{len(report.rejected)} 个条目或文件被拒绝", returncode=1)
