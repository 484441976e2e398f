"""`huiqi generate_enterprises --count N --output FILE.csv [--seed S] [--region-prefix 3701]`.

Writes a DATA-CONTRACT.md section-1 file of synthetic enterprises (huiqi.enterprises.synthetic) for
benchmarks and demos; touches no database.
"""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from huiqi.enterprises.synthetic import write_enterprises_csv


class Command(BaseCommand):
    help = "生成N家合成企业的企业文件（数据契约第1节格式），用于基准测试和演示，不写数据库。"
    requires_system_checks: list[str] = []  # a pure file generator: no need to check the project

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="企业数量")
        parser.add_argument("--output", required=True, help="输出CSV文件路径")
        parser.add_argument(
            "--seed", type=int, default=0, help="随机种子（相同种子、相同日期生成相同文件），默认0"
        )
        parser.add_argument(
            "--region-prefix", default="3701", help="区划代码前缀（2、4或6位），默认3701（济南市）"
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        if count < 0:
            raise CommandError("--count 不能为负数")
        if options["seed"] < 0:
            raise CommandError("--seed 不能为负数")
        output = Path(options["output"])
        if not output.parent.exists():
            raise CommandError(f"输出目录不存在：{output.parent}")
        started = time.perf_counter()
        with tqdm(
            total=count, unit="行", desc="生成企业", disable=options["no_progress"] or None, file=self.stderr
        ) as bar:
            try:
                written = write_enterprises_csv(
                    output,
                    count,
                    seed=options["seed"],
                    region_prefix=options["region_prefix"],
                    on_progress=bar.update,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(f"已生成 {written} 家企业，写入 {output}，用时 {elapsed:.1f} 秒。")
