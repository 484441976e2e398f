"""`huiqi train_classifier --input PATH.csv | --from-database` (DATA-CONTRACT.md section 3).

Trains an appeal classifier (huiqi.classifier) on a `text,label` CSV file or on the closed appeals of
the database (their final categories), saves it, records the version with the metrics it measured by
cross-validation, activates it and prints the version on stdout (one line, for scripts); the metrics go
to stderr. Exit status 2 for unusable input (missing columns, empty rows, too few samples).
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huiqi.appeals import classification
from huiqi.appeals.models import ClassifierVersion
from huiqi.core import request_context
from huiqi.core.errors import ApplicationError


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


class Command(BaseCommand):
    help = "训练并启用诉求分类模型（CSV 文件 text,label，或数据库中已办结诉求的分类），输出版本号。"

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--input", metavar="PATH.csv", help="训练文件（UTF-8 CSV，列 text,label）")
        source.add_argument("--from-database", action="store_true", help="用数据库中已办结诉求的最终分类训练")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        token = request_context.set_current(request_context.RequestContext(source="command"))
        try:
            if options["from_database"]:
                texts, labels = classification.training_data_from_database()
                source, path = ClassifierVersion.Source.DATABASE, ""
            else:
                texts, labels = classification.read_training_csv(options["input"])
                source, path = ClassifierVersion.Source.CSV, options["input"]
            version = classification.train_classifier(
                actor=None, texts=texts, labels=labels, source=source, source_path=path
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        finally:
            request_context.reset(token)
        self.stderr.write(
            f"样本 {version.sample_count} 条，类别 {len(version.labels)} 个；交叉验证准确率 "
            f"{_figure(version.accuracy)}，宏平均 F1 {_figure(version.macro_f1)}，前三命中率 "
            f"{_figure(version.top3_accuracy)}；自动派单阈值 {_figure(version.threshold)}；"
            f"用时 {time.perf_counter() - started:.1f} 秒。已启用。"
        )
        self.stdout.write(version.version)
