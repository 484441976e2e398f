"""Measuring a classifier, and choosing the confidence above which appeals are dispatched automatically.

Automatic dispatch (issue 3, item 2): a ticket whose top suggestion has a confidence at or above the
threshold goes straight to the routing rules; below it a dispatcher decides. The threshold is chosen
on predictions for texts the model did not see while fitting (cross-validation folds of the training
data), never on the evaluation data, and then applied unchanged to new appeals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

if TYPE_CHECKING:
    from huiqi.classifier.model import TrainedClassifier

__all__ = ["Metrics", "choose_threshold", "evaluate", "metrics_from_probabilities"]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Figures for one set of labelled texts.

    ``auto_dispatch_rate_at_precision`` is the share of texts whose confidence reaches
    ``auto_dispatch_threshold``; ``auto_dispatch_precision`` is the share of those whose top label is
    right (``None`` when none reaches it). ``per_class_f1`` covers every label that occurs in the
    true or predicted labels.
    """

    count: int
    accuracy: float
    macro_f1: float
    top3_accuracy: float
    auto_dispatch_threshold: float
    auto_dispatch_rate_at_precision: float
    auto_dispatch_precision: float | None
    per_class_f1: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (an unreachable threshold, infinity, becomes ``None``)."""
        data = asdict(self)
        if math.isinf(self.auto_dispatch_threshold):
            data["auto_dispatch_threshold"] = None
        return data


def choose_threshold(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    target_precision: float = 0.97,
    *,
    confidence_level: float | None = None,
) -> float:
    """The lowest confidence threshold at which automatic dispatch still reaches ``target_precision``.

    ``confidences[i]`` is the top-label confidence of held-out prediction ``i`` and ``correct[i]``
    whether that label was right. Dispatching every prediction with ``confidence >= threshold``, the
    returned threshold maximises the number dispatched subject to their precision being at least the
    target. Equal confidences are dispatched together, so a threshold never splits a tie.

    With ``confidence_level`` (e.g. 0.95) the one-sided Wilson lower bound of that precision must
    reach the target instead of the observed precision: a margin for the sampling error of the
    held-out predictions, so the precision holds on new appeals too.

    Returns ``math.inf`` (dispatch nothing automatically) when no threshold reaches the target.
    """
    conf = np.asarray(confidences, dtype=float)
    right = np.asarray(correct, dtype=bool)
    if conf.shape != right.shape or conf.ndim != 1:
        raise ValueError("confidences and correct must be one-dimensional and of equal length")
    if conf.size == 0:
        return math.inf
    order = np.argsort(-conf, kind="stable")
    conf = conf[order]
    hits = np.cumsum(right[order])
    dispatched = np.arange(1, conf.size + 1)
    # A cut is possible only after the last of a run of equal confidences.
    cut_allowed = np.append(conf[1:] != conf[:-1], True)
    precision = hits / dispatched
    if confidence_level is None:
        bound = precision
    else:
        z = NormalDist().inv_cdf(confidence_level)
        z2n = z * z / dispatched
        bound = (
            precision
            + z2n / 2
            - z * np.sqrt(precision * (1 - precision) / dispatched + z2n / (4 * dispatched))
        ) / (1 + z2n)
    acceptable = np.flatnonzero(cut_allowed & (bound >= target_precision - 1e-12))
    if acceptable.size == 0:
        return math.inf
    return float(conf[acceptable[-1]])


def metrics_from_probabilities(
    classes: Sequence[str],
    probabilities: np.ndarray,
    true_labels: Sequence[str],
    threshold: float,
) -> Metrics:
    """Metrics for predicted probabilities (columns in ``classes`` order) against ``true_labels``."""
    classes_array = np.asarray(classes, dtype=object)
    truth = np.asarray(true_labels, dtype=object)
    if probabilities.shape != (truth.size, classes_array.size):
        raise ValueError("probabilities must have one row per label and one column per class")
    if truth.size == 0:
        raise ValueError("no labelled texts to evaluate")
    ranked = np.argsort(-probabilities, axis=1, kind="stable")
    predicted = classes_array[ranked[:, 0]]
    confidence = probabilities[np.arange(truth.size), ranked[:, 0]]
    top3 = classes_array[ranked[:, :3]]
    correct = predicted == truth
    dispatched = confidence >= threshold
    present = sorted(set(truth.tolist()) | set(predicted.tolist()))
    per_class = f1_score(truth, predicted, labels=present, average=None, zero_division=0)
    return Metrics(
        count=int(truth.size),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(np.mean(per_class)),
        top3_accuracy=float(np.mean((top3 == truth[:, None]).any(axis=1))),
        auto_dispatch_threshold=float(threshold),
        auto_dispatch_rate_at_precision=float(np.mean(dispatched)),
        auto_dispatch_precision=float(np.mean(correct[dispatched])) if dispatched.any() else None,
        per_class_f1={label: float(score) for label, score in zip(present, per_class, strict=True)},
    )


def evaluate(
    model: TrainedClassifier,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    threshold: float | None = None,
) -> Metrics:
    """Measure ``model`` on labelled texts it was not trained on.

    Automatic dispatch uses the model's own threshold (chosen on its training folds) unless
    ``threshold`` is given.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    probabilities = model.predict_proba(texts)
    chosen = model.auto_dispatch_threshold if threshold is None else threshold
    return metrics_from_probabilities(model.labels, probabilities, labels, chosen)
