"""`huiqi export_enterprises --output PATH.csv` (DATA-CONTRACT.md section 3): every enterprise with the
columns of section 1 plus the derived size_class. A .xlsx output name writes XLSX instead."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.core.errors import ApplicationError
from huiqi.enterprises.services import export_enterprises


class Command(BaseCommand):
    help = "导出企业库（数据契约第 1 节的列加企业规模 size_class），CSV 或 XLSX（按输出文件扩展名）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, metavar="PATH", help="输出文件（.csv 或 .xlsx）")
        parser.add_argument("--mask-phones", action="store_true", help="联系电话脱敏（如 138****0000）")
        parser.add_argument("--bom", action="store_true", help="CSV 带 UTF-8 BOM（便于 Excel 直接打开）")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        file_format = "xlsx" if output.suffix.lower() == ".xlsx" else "csv"
        if not output.parent.exists():
            raise CommandError(f"输出目录不存在：{output.parent}")
        started = time.perf_counter()
        try:
            count = export_enterprises(
                output=output,
                file_format=file_format,
                mask_personal_data=options["mask_phones"],
                include_bom=options["bom"],
            )
        except ApplicationError as error:
            output.unlink(missing_ok=True)
            raise CommandError(error.message) from error
        elapsed = time.perf_counter() - started
        self.stdout.write(f"已导出 {count} 家企业到 {output}，用时 {elapsed:.1f} 秒。")
