"""`huiqi classify --input PATH.csv --output PATH.csv` (DATA-CONTRACT.md section 3).

Reads the `text` column of the input (other columns are ignored; an empty text still gets a row) and
writes, for each row in order, `label,confidence,top3` with the active classifier, in the format of
huiqi.classifier.io: `confidence` with four decimals, `top3` the three likeliest labels with their
probabilities, likeliest first, as `label:probability` pairs joined by ";" (e.g.
`SDQ-YD:0.9412;SDQ-TD:0.0377;SF-TS:0.0090`). UTF-8 with a header row. Exit status 2 when no
classifier is active or the input cannot be read or has no `text` column.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.appeals import classification
from huiqi.core.errors import ApplicationError

BATCH = 5000


class Command(BaseCommand):
    help = "用当前启用的诉求分类模型为 CSV 中每行 text 给出 label,confidence,top3（top3 为 标签:概率，以 ; 分隔）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, metavar="PATH.csv", help="输入文件（UTF-8 CSV，含 text 列）"
        )
        parser.add_argument("--output", required=True, metavar="PATH.csv", help="输出文件")

    def handle(self, *args: Any, **options: Any) -> None:
        from huiqi.classifier import write_predictions_csv

        target = Path(options["output"])
        try:
            texts = classification.read_texts_csv(options["input"])
            version = classification.active_version()
            if version is None:
                raise CommandError("没有启用的诉求分类模型：请先运行 huiqi train_classifier。", returncode=2)
            model = classification.load_version(version)
            predictions = []
            with classification.single_threaded_blas():
                for start in range(0, len(texts), BATCH):
                    predictions += model.predict(texts[start : start + BATCH])
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        write_predictions_csv(target, predictions)
        self.stderr.write(f"模型 {version.version}：写出 {len(predictions)} 行到 {target}。")
