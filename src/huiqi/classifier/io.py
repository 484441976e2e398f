"""CSV files of the `huiqi train_classifier` and `huiqi classify` commands (DATA-CONTRACT.md section 3).

Input: CSV, UTF-8 with or without BOM, one header row; `text,label` to train, `text` to classify
(other columns are ignored). Output of classify: `label,confidence,top3` per input text, in order;
``confidence`` has four decimals and ``top3`` is ``label:probability`` pairs joined by ``;``, likeliest
first (e.g. ``城乡建设:0.9412;交通运输:0.0377;环境保护:0.0090``).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from huiqi.classifier.errors import TrainingDataError
from huiqi.classifier.model import Prediction

__all__ = ["format_top3", "read_labelled_csv", "read_texts_csv", "write_predictions_csv"]


def _read_rows(path: str | Path, required: Sequence[str]) -> list[dict[str, str]]:
    source = Path(path)
    try:
        with source.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in required if column not in header]
            if missing:
                raise TrainingDataError(
                    f"{source}：缺少列 {'、'.join(missing)}（表头为 {','.join(header) or '空'}）"
                )
            return list(reader)
    except FileNotFoundError:
        raise TrainingDataError(f"文件不存在：{source}") from None
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"{source}：不是 UTF-8 编码的 CSV 文件（{exc.reason}）") from None


def read_labelled_csv(path: str | Path) -> tuple[list[str], list[str]]:
    """Texts and labels of a `text,label` CSV; a row without a label or text is refused by line number."""
    rows = _read_rows(path, ("text", "label"))
    texts, labels = [], []
    for line, row in enumerate(rows, start=2):
        text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
        if not label:
            raise TrainingDataError(f"{path} 第 {line} 行：label 为空")
        if not text:
            raise TrainingDataError(f"{path} 第 {line} 行：text 为空")
        texts.append(text)
        labels.append(label)
    return texts, labels


def read_texts_csv(path: str | Path) -> list[str]:
    """The `text` column of a CSV, in order (an empty text is kept: it still gets a prediction row)."""
    return [(row.get("text") or "") for row in _read_rows(path, ("text",))]


def format_top3(prediction: Prediction) -> str:
    """``label:probability;...`` for the three likeliest categories, likeliest first."""
    return ";".join(f"{label}:{probability:.4f}" for label, probability in prediction.top3)


def write_predictions_csv(path: str | Path, predictions: Sequence[Prediction]) -> None:
    """Write `label,confidence,top3`, one row per prediction, in order (UTF-8, no BOM)."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "confidence", "top3"])
        for prediction in predictions:
            writer.writerow([prediction.label, f"{prediction.confidence:.4f}", format_top3(prediction)])
