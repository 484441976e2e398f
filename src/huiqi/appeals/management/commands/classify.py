"""`huiqi classify --input PATH.csv --output PATH.csv` (DATA-CONTRACT.md section 3).

Reads the `text` column of the input (other columns are ignored) and writes, for each row in order,
`label,confidence,top3` with the active classifier: `label` the best label, `confidence` its
probability with four decimals, `top3` the three best labels, best first, joined by "|"
(e.g. `税费|社保|融资`; fewer when the model knows fewer labels). UTF-8 with a header row.
Exit status 2 when no classifier is active or the input has no `text` column.
"""

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.appeals import classification
from huiqi.core.errors import ApplicationError

BATCH = 5000


class Command(BaseCommand):
    help = "用当前启用的诉求分类模型为 CSV 中每行 text 给出 label,confidence,top3（top3 以 | 分隔）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, metavar="PATH.csv", help="输入文件（UTF-8 CSV，含 text 列）"
        )
        parser.add_argument("--output", required=True, metavar="PATH.csv", help="输出文件")

    def handle(self, *args: Any, **options: Any) -> None:
        source, target = Path(options["input"]), Path(options["output"])
        try:
            with source.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                if "text" not in (reader.fieldnames or ()):
                    raise CommandError(f"输入文件 {source} 没有 text 列。", returncode=2)
                texts = [(row.get("text") or "").strip() for row in reader]
        except OSError as exc:
            raise CommandError(f"无法读取输入文件 {source}：{exc.strerror}。", returncode=2) from exc
        version = classification.active_version()
        if version is None:
            raise CommandError("没有启用的诉求分类模型：请先运行 huiqi train_classifier。", returncode=2)
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "confidence", "top3"])
            for start in range(0, len(texts), BATCH):
                try:
                    suggestions = classification.classify_texts(texts[start : start + BATCH], version=version)
                except ApplicationError as exc:
                    raise CommandError(exc.message, returncode=2) from exc
                for s in suggestions:
                    writer.writerow([s.label, f"{s.confidence:.4f}", "|".join(label for label, _ in s.top3)])
        self.stderr.write(f"模型 {version.version}：写出 {len(texts)} 行到 {target}。")
