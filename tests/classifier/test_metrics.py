import math

import numpy as np
import pytest

from huiqi.classifier import choose_threshold, metrics_from_probabilities


def test_threshold_dispatches_the_largest_set_that_reaches_the_precision():
    confidences = [0.99, 0.95, 0.90, 0.80, 0.70, 0.60]
    correct = [True, True, True, False, True, False]
    # precision of the top k: 1, 1, 1, 3/4, 4/5, 4/6
    assert choose_threshold(confidences, correct, 0.9) == 0.90
    assert choose_threshold(confidences, correct, 0.8) == 0.70
    assert choose_threshold(confidences, correct, 0.6) == 0.60


def test_threshold_does_not_depend_on_input_order():
    confidences = [0.70, 0.99, 0.60, 0.90, 0.80, 0.95]
    correct = [True, True, False, True, False, True]
    assert choose_threshold(confidences, correct, 0.8) == 0.70


def test_threshold_never_splits_equal_confidences():
    # Dispatching at 0.9 takes both 0.9 predictions (precision 2/3), so only 0.95 qualifies.
    assert choose_threshold([0.95, 0.9, 0.9], [True, True, False], 0.9) == 0.95


def test_unreachable_precision_dispatches_nothing():
    assert choose_threshold([0.9, 0.8], [False, True], 0.97) == math.inf
    assert choose_threshold([], [], 0.97) == math.inf


def test_a_confidence_bound_makes_the_threshold_stricter():
    rng = np.random.default_rng(0)
    confidences = np.sort(rng.uniform(0.3, 1.0, 2000))[::-1]
    correct = rng.uniform(size=2000) < confidences  # calibrated: right with probability = confidence
    observed = choose_threshold(confidences, correct, 0.9)
    bounded = choose_threshold(confidences, correct, 0.9, confidence_level=0.95)
    assert bounded > observed
    assert np.mean(correct[confidences >= bounded]) >= 0.9


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="equal length"):
        choose_threshold([0.9, 0.8], [True], 0.9)


def test_metrics_from_probabilities_by_hand():
    classes = ["a", "b", "c", "d"]
    probabilities = np.array(
        [
            [0.70, 0.20, 0.05, 0.05],  # a, right, confident
            [0.10, 0.60, 0.20, 0.10],  # b, right
            [0.40, 0.35, 0.20, 0.05],  # a but truly c: c is third, inside the top 3
            [0.50, 0.30, 0.15, 0.05],  # a but truly d: d is fourth, outside the top 3
        ]
    )
    metrics = metrics_from_probabilities(classes, probabilities, ["a", "b", "c", "d"], threshold=0.6)
    assert metrics.count == 4
    assert metrics.accuracy == 0.5
    assert metrics.top3_accuracy == 0.75
    # F1: a = 2*(1/3*1)/(1/3+1) = 0.5, b = 1, c = 0, d = 0
    assert metrics.per_class_f1 == pytest.approx({"a": 0.5, "b": 1.0, "c": 0.0, "d": 0.0})
    assert metrics.macro_f1 == pytest.approx(0.375)
    assert metrics.auto_dispatch_rate_at_precision == 0.5  # 0.70 and 0.60 reach the threshold
    assert metrics.auto_dispatch_precision == 1.0


def test_nothing_dispatched_has_no_precision_and_an_infinite_threshold_serialises_as_none():
    metrics = metrics_from_probabilities(["a", "b"], np.array([[0.6, 0.4]]), ["a"], threshold=math.inf)
    assert metrics.auto_dispatch_rate_at_precision == 0.0
    assert metrics.auto_dispatch_precision is None
    assert metrics.to_dict()["auto_dispatch_threshold"] is None
