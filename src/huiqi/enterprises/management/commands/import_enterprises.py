"""`huiqi import_enterprises PATH [--dry-run] [--atomic] [--errors PATH]` (DATA-CONTRACT.md section 3).

Prints the summary (新增 / 更新 / 未变化 / 拒绝) on stdout; writes each rejected row as
`行 <n>, 列 <column>, 值 "<value>": <reason>` to stderr, or to the --errors file (a .csv name gives
行号,列,值,原因 columns instead); shows a progress bar on stderr when it is a terminal.
Exit status: 0 when every row was imported, 1 when any row was rejected, 2 when the file was refused
as a whole (unreadable, missing a required column).
"""

import csv
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from huiqi.enterprises.services import EnterpriseFileRejectedError, RowError, import_enterprises


class Command(BaseCommand):
    help = "导入企业文件（CSV 或 XLSX，数据契约第 1 节）：按统一社会信用代码新增或更新企业。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="企业文件（.csv 或 .xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="只校验并统计，不写入数据库")
        parser.add_argument("--atomic", action="store_true", help="有任何一行被拒绝就什么都不导入")
        parser.add_argument("--errors", metavar="PATH", help="把被拒绝的行写入此文件（默认写到标准错误）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        started = time.perf_counter()
        # tqdm draws with "\r" on the raw stream: Django's OutputWrapper would add newlines and colour.
        self.terminal = getattr(self.stderr, "_out", self.stderr)
        with ExitStack() as stack:
            bar = stack.enter_context(
                tqdm(
                    total=0,
                    unit="行",
                    desc="导入企业",
                    file=self.terminal,
                    disable=True if options["no_progress"] else None,  # None: only on a terminal
                    dynamic_ncols=True,
                )
            )
            report = self._error_sink(options["errors"], stack, bar)

            def progress(done: int, expected: int) -> None:
                bar.total = max(expected, done)
                bar.n = done
                bar.refresh()

            try:
                result = import_enterprises(
                    path=path,
                    dry_run=options["dry_run"],
                    atomic=options["atomic"],
                    progress=progress,
                    on_error=report,
                )
            except EnterpriseFileRejectedError as error:
                raise CommandError(f"文件被拒绝，未导入任何数据：{error.message}", returncode=2) from error
        for warning in result.warnings:
            self.stderr.write(f"注意：{warning}")
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{result.summary()}。用时 {elapsed:.1f} 秒。")
        if result.rejected:
            where = f"，详见 {options['errors']}" if options["errors"] else ""
            raise CommandError(f"{result.rejected} 行被拒绝{where}", returncode=1)

    def _error_sink(self, errors_path: str | None, stack: ExitStack, bar: tqdm) -> Any:
        if errors_path is None:

            def to_stderr(error: RowError) -> None:
                with tqdm.external_write_mode(file=self.terminal):
                    self.stderr.write(error.describe())

            return to_stderr
        handle: TextIO = stack.enter_context(open(errors_path, "w", encoding="utf-8", newline=""))  # noqa: SIM115
        if errors_path.lower().endswith(".csv"):
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("行号", "列", "值", "原因"))

            def to_csv(error: RowError) -> None:
                writer.writerow((error.row_number, error.column_title, error.value, error.reason))

            return to_csv

        def to_file(error: RowError) -> None:
            handle.write(error.describe() + "\n")

        return to_file
