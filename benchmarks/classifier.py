"""Appeal classifier on real 12345 message-board data (issue 3, item 2).

Trains ``huiqi.classifier`` on classification-train.csv and measures it once on the held-out
classification-test.csv (../shared/data/gov-messages/, never copied into the repository). Everything
the model chooses, including the automatic-dispatch threshold, is chosen on cross-validation folds of
the training split; the test split is only predicted and scored.

    .venv/bin/python benchmarks/classifier.py [--data-dir DIR] [--output JSON] [--save-model PATH]

Targets: macro-F1 >= 0.92, top-3 accuracy >= 0.99, >= 80% dispatched automatically at >= 97% precision.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from huiqi import classifier

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPOSITORY.parent / "shared" / "data" / "gov-messages"
DEFAULT_OUTPUT = REPOSITORY / "benchmarks" / "results" / "classifier.json"
TARGETS = {
    "macro_f1": 0.92,
    "top3_accuracy": 0.99,
    "auto_dispatch_rate": 0.80,
    "auto_dispatch_precision": 0.97,
}
# TF-IDF + LinearSVC on this split (../shared/data/gov-messages/README.md, issue 3).
BASELINES = {
    "tfidf_word_1_2gram_linearsvc": {"macro_f1": 0.901, "accuracy": 0.912},
    "tfidf_char_1_3gram_linearsvc": {"macro_f1": 0.911, "accuracy": 0.919},
    "char_ngram_logistic_regression": {"auto_dispatch_rate_at_97_precision": 0.78},
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--save-model", type=Path, help="also keep the trained model file here")
    args = parser.parse_args()

    train_texts, train_labels = classifier.read_labelled_csv(args.data_dir / "classification-train.csv")
    test_texts, test_labels = classifier.read_labelled_csv(args.data_dir / "classification-test.csv")

    wall, cpu = time.perf_counter(), time.process_time()
    model = classifier.train(train_texts, train_labels)
    train_wall, train_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall, cpu = time.perf_counter(), time.process_time()
    test = classifier.evaluate(model, test_texts, test_labels)
    predict_wall, predict_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall = time.perf_counter()
    for text in test_texts[:200]:
        model.predict([text])
    single_ms = (time.perf_counter() - wall) / 200 * 1000

    with tempfile.TemporaryDirectory() as folder:
        path = model.save(args.save_model or Path(folder) / "model.pkl.gz")
        model_bytes = path.stat().st_size
        wall = time.perf_counter()
        classifier.load(path)
        load_seconds = time.perf_counter() - wall

    results = {
        "measured_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "libraries": model.info.libraries,
        },
        "data": {"train_rows": len(train_texts), "test_rows": len(test_texts), "labels": list(model.labels)},
        "model": {
            "version": model.version,
            "config": model.info.config,
            "learned_stopwords": model.info.stopword_count,
            "file_megabytes": round(model_bytes / 1e6, 1),
            "load_seconds": round(load_seconds, 2),
        },
        "cross_validation_on_train": model.info.cv.to_dict(),
        "test": test.to_dict(),
        "timing": {
            "train_wall_seconds": round(train_wall, 1),
            "train_cpu_seconds": round(train_cpu, 1),
            "predict_test_wall_seconds": round(predict_wall, 2),
            "predict_test_cpu_seconds": round(predict_cpu, 2),
            "throughput_texts_per_second": round(len(test_texts) / predict_wall, 1),
            "single_text_latency_ms": round(single_ms, 1),
            "peak_memory_megabytes": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "targets": TARGETS,
        "targets_met": {
            "macro_f1": test.macro_f1 >= TARGETS["macro_f1"],
            "top3_accuracy": test.top3_accuracy >= TARGETS["top3_accuracy"],
            "auto_dispatch_rate": test.auto_dispatch_rate_at_precision >= TARGETS["auto_dispatch_rate"],
            "auto_dispatch_precision": (test.auto_dispatch_precision or 0)
            >= TARGETS["auto_dispatch_precision"],
        },
        "baselines_on_test": BASELINES,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    cv, timing = model.info.cv, results["timing"]
    print(
        f"train {len(train_texts)} rows in {timing['train_wall_seconds']} s wall ({timing['train_cpu_seconds']} s CPU)"
    )
    print(f"threshold chosen on training folds: {model.auto_dispatch_threshold:.4f}")
    print(f"{'':24}{'5-fold CV (train)':>18}{'test':>10}")
    for name, cv_value, test_value in [
        ("accuracy", cv.accuracy, test.accuracy),
        ("macro-F1", cv.macro_f1, test.macro_f1),
        ("top-3 accuracy", cv.top3_accuracy, test.top3_accuracy),
        ("auto-dispatch rate", cv.auto_dispatch_rate_at_precision, test.auto_dispatch_rate_at_precision),
        ("auto-dispatch precision", cv.auto_dispatch_precision or 0, test.auto_dispatch_precision or 0),
    ]:
        print(f"{name:24}{cv_value:>18.4f}{test_value:>10.4f}")
    for label, score in test.per_class_f1.items():
        print(f"  F1 {label:10}{score:.4f}")
    print(
        f"predict: {timing['throughput_texts_per_second']} texts/s in batch, "
        f"{timing['single_text_latency_ms']} ms for one text; model file {results['model']['file_megabytes']} MB"
    )
    print(f"targets met: {results['targets_met']}; written to {args.output}")
    return 0 if all(results["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
