"""The appeal classifier: suggests an appeal's category with a calibrated confidence and a top three.

Pure Python (scikit-learn, jieba; no Django), CPU only, nothing downloaded: the appeals app stores
model versions and calls this package from `huiqi train_classifier` and `huiqi classify`
(DATA-CONTRACT.md section 3). Classification is kept apart from routing (issue 3, item 2): this
package only says *what* an appeal is about; routing rules decide *who* handles it.

Typical use::

    from huiqi import classifier

    texts, labels = classifier.read_labelled_csv("history.csv")
    model = classifier.train(texts, labels)          # cross-validates itself: model.info.cv
    model.save("var/classifiers/model.pkl.gz")
    model = classifier.load("var/classifiers/model.pkl.gz")
    [suggestion] = model.predict(["小区门口道路破损严重，请尽快修复"])
    automatic = suggestion.confidence >= model.auto_dispatch_threshold

Modules: ``text`` (normalisation, jieba segmentation, learned stop words), ``model`` (features,
ensemble, calibration, save/load), ``metrics`` (evaluation, dispatch threshold), ``io`` (the CSV
files of the commands), ``errors``.
"""

from huiqi.classifier.errors import ClassifierError, ModelFileError, TrainingDataError
from huiqi.classifier.io import format_top3, read_labelled_csv, read_texts_csv, write_predictions_csv
from huiqi.classifier.metrics import Metrics, choose_threshold, evaluate, metrics_from_probabilities
from huiqi.classifier.model import (
    ClassifierConfig,
    ModelInfo,
    Prediction,
    TrainedClassifier,
    load,
    train,
)
from huiqi.classifier.text import learn_gap_stopwords, normalise_text, tokenise

__all__ = [
    "ClassifierConfig",
    "ClassifierError",
    "Metrics",
    "ModelFileError",
    "ModelInfo",
    "Prediction",
    "TrainedClassifier",
    "TrainingDataError",
    "choose_threshold",
    "evaluate",
    "format_top3",
    "learn_gap_stopwords",
    "load",
    "metrics_from_probabilities",
    "normalise_text",
    "read_labelled_csv",
    "read_texts_csv",
    "tokenise",
    "train",
    "write_predictions_csv",
]
