"""`huiqi export_policies DIR`: one `<code>.yaml` per item (its newest published version), in the format
of DATA-CONTRACT.md section 2, such that `huiqi import_policies DIR` reads the same data back."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huiqi.policies.services import export_policy_items


class Command(BaseCommand):
    help = "导出政策条目：每个条目最新的已发布版本写为 DIR/<编码>.yaml（数据契约第 2 节格式）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="输出文件夹（不存在则创建）")

    def handle(self, *args: Any, **options: Any) -> None:
        report = export_policy_items(directory=Path(options["directory"]))
        self.stdout.write(f"导出 {len(report.written)} 个条目到 {options['directory']}")
