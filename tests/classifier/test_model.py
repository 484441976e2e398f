import json

import numpy as np
import pytest

from huiqi import classifier
from tests.classifier.conftest import VOCABULARY, synthetic_set


def test_texts_are_classified_by_the_vocabulary_they_use(trained):
    texts, labels = synthetic_set(per_label=5, seed=99)
    predictions = trained.predict(texts)
    assert [prediction.label for prediction in predictions] == labels


def test_top3_is_ordered_by_probability_and_starts_with_the_suggestion(trained):
    [prediction] = trained.predict(["学校的老师收取补课费，学生的学费太高"])
    assert prediction.label == "教育文体"
    assert len(prediction.top3) == 3
    assert prediction.top3[0] == (prediction.label, prediction.confidence)
    probabilities = [probability for _, probability in prediction.top3]
    assert probabilities == sorted(probabilities, reverse=True)
    assert len({label for label, _ in prediction.top3}) == 3


def test_probabilities_of_each_text_sum_to_one(trained):
    texts, _ = synthetic_set(per_label=2, seed=7)
    probabilities = trained.predict_proba([*texts, "", "完全无关的内容"])
    assert probabilities.shape == (len(texts) + 2, len(VOCABULARY))
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities >= 0).all()


def test_predictions_keep_the_input_order_and_an_empty_batch_gives_none(trained):
    texts = ["公交车站附近经常堵车", "工厂排放污水，河道异味严重"]
    assert [p.label for p in trained.predict(texts)] == ["交通运输", "环境保护"]
    assert [p.label for p in trained.predict(texts[::-1])] == ["环境保护", "交通运输"]
    assert trained.predict([]) == []


def test_one_text_at_a_time_scores_as_in_a_large_batch(trained):
    # Up to model._GATHER_ROWS rows are scored by gathering coefficients per row, larger batches by
    # one sparse-dense product: both must give the same probabilities and suggestions.
    from huiqi.classifier import model

    texts, _ = synthetic_set(per_label=(model._GATHER_ROWS // len(VOCABULARY)) + 2, seed=11)
    assert len(texts) > model._GATHER_ROWS
    batch = trained.predict_proba(texts)
    one_by_one = np.vstack([trained.predict_proba([text]) for text in texts])
    assert np.allclose(batch, one_by_one, rtol=0, atol=1e-12)
    assert [p.label for p in trained.predict(texts)] == [trained.predict([t])[0].label for t in texts]


def test_model_info_records_the_training_data_and_cross_validated_figures(trained, training_set):
    texts, labels = training_set
    info = trained.info
    assert info.training_size == len(texts)
    assert info.labels == tuple(sorted(VOCABULARY))
    assert info.class_counts == {label: labels.count(label) for label in VOCABULARY}
    assert info.cv_folds == 3
    assert info.cv.count == len(texts)
    assert info.cv_accuracy > 0.9  # the vocabularies are disjoint
    assert 0 < info.cv_macro_f1 <= 1
    assert info.auto_dispatch_threshold == trained.auto_dispatch_threshold == info.cv.auto_dispatch_threshold
    assert json.loads(json.dumps(info.to_dict(), ensure_ascii=False))["version"] == trained.version


def test_save_and_load_give_identical_predictions(trained, tmp_path):
    path = trained.save(tmp_path / "model.pkl.gz")
    loaded = classifier.load(path)
    texts, _ = synthetic_set(per_label=3, seed=5)
    assert np.array_equal(loaded.predict_proba(texts), trained.predict_proba(texts))
    assert loaded.predict(texts) == trained.predict(texts)
    assert loaded.info == trained.info
    assert loaded.stopwords == trained.stopwords


def test_loading_a_file_that_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("不是模型", encoding="utf-8")
    with pytest.raises(classifier.ModelFileError):
        classifier.load(path)
    with pytest.raises(classifier.ModelFileError, match="不存在"):
        classifier.load(tmp_path / "missing.pkl.gz")


def test_evaluate_measures_held_out_texts_with_the_model_threshold(trained):
    texts, labels = synthetic_set(per_label=4, seed=11)
    metrics = classifier.evaluate(trained, texts, labels)
    assert metrics.count == len(texts)
    assert metrics.accuracy == 1.0
    assert metrics.top3_accuracy == 1.0
    assert metrics.auto_dispatch_threshold == trained.auto_dispatch_threshold
    confidences = [p.confidence for p in trained.predict(texts)]
    expected_rate = np.mean([c >= trained.auto_dispatch_threshold for c in confidences])
    assert metrics.auto_dispatch_rate_at_precision == pytest.approx(expected_rate)
    assert set(metrics.per_class_f1) == set(VOCABULARY)


def test_two_categories_are_enough():
    texts, labels = synthetic_set(per_label=6, seed=3)
    keep = [i for i, label in enumerate(labels) if label in {"交通运输", "教育文体"}]
    model = classifier.train(
        [texts[i] for i in keep], [labels[i] for i in keep], config=classifier.ClassifierConfig(folds=3)
    )
    [prediction] = model.predict(["学校老师布置的课程太多"])
    assert prediction.label == "教育文体"
    assert len(prediction.top3) == 2


def test_a_category_with_a_single_example_is_refused():
    texts, labels = synthetic_set(per_label=3, seed=3)
    with pytest.raises(classifier.TrainingDataError, match="卫生计生"):
        classifier.train([*texts, "医院挂号难"], [*labels, "卫生计生"])


def test_a_single_category_is_refused():
    with pytest.raises(classifier.TrainingDataError, match="两个类别"):
        classifier.train(["学校", "老师"], ["教育文体", "教育文体"])


def test_texts_and_labels_of_different_lengths_are_refused():
    with pytest.raises(classifier.TrainingDataError, match="数量必须一致"):
        classifier.train(["学校", "老师"], ["教育文体"])
