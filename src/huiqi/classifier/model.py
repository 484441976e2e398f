"""Training, prediction, saving and loading of the appeal classifier.

The model (chosen by 5-fold cross-validation on the message-board training split; see
benchmarks/README.md, "Appeal classifier"):

* **Features**: TF-IDF with sublinear term frequency over (1) jieba words, 1-2-grams, (2) character
  1-3-grams of the whole text and (3) character 1-3-grams of its first ten words, which is mostly the
  appeal's title and names the matter most directly. The blocks are weighted (0.7, 1, 0.6) and each
  text's vector is scaled to unit length.
* **Three linear scorers** on those features: a linear SVM (class-balanced), an NB-SVM (one SVM per
  category on features scaled by naive-Bayes log-count ratios, Wang & Manning 2012) and a
  complement naive Bayes model. They err differently; combining them gains about 0.5 point of
  macro-F1 and several points of automatic dispatch over the SVM alone.
* **A stacked, calibrated combiner**: a multinomial logistic regression over the scorers' outputs,
  fitted on out-of-fold scores, so its probabilities are calibrated on texts the scorers had not
  seen. The same out-of-fold predictions (combiner cross-fitted once more) give the model's measured
  accuracy and macro-F1 and the automatic-dispatch threshold (:func:`choose_threshold`).

After fitting, the three scorers are reduced to one stacked coefficient matrix (float32): every one
of them is linear in the features, and the saved file stays small (tens of MB, not hundreds).

Saved files are gzip-compressed pickles: load only files this platform wrote (pickle runs code on
load).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import math
import pickle
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import Normalizer, StandardScaler
from sklearn.svm import LinearSVC

from huiqi.classifier.errors import ModelFileError, TrainingDataError
from huiqi.classifier.metrics import Metrics, choose_threshold, metrics_from_probabilities
from huiqi.classifier.text import learn_gap_stopwords, tokenise

__all__ = ["ClassifierConfig", "ModelInfo", "Prediction", "TrainedClassifier", "load", "train"]

FILE_FORMAT = "huiqi-appeal-classifier"
FILE_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """Settings of :func:`train`; the defaults are the ones chosen by cross-validation."""

    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (1, 3)
    head_tokens: int = 10
    word_weight: float = 0.7
    char_weight: float = 1.0
    head_weight: float = 0.6
    min_df: int = 2
    svm_c: float = 1.0
    nbsvm_c: float = 0.3
    nb_alpha: float = 0.1
    combiner_c: float = 1.0
    folds: int = 5
    target_precision: float = 0.97
    # One-sided confidence level of the precision bound used to choose the threshold (None: the
    # observed precision of the held-out predictions must reach the target).
    threshold_confidence_level: float | None = 0.95
    # See text.learn_gap_stopwords; None disables learning stop words.
    stopword_min_expected: float | None = 20.0
    random_state: int = 0


@dataclass(frozen=True, slots=True)
class Prediction:
    """The suggested category of one text, its calibrated probability, and the three likeliest."""

    label: str
    confidence: float
    top3: list[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a trained model was trained on and how well it did on held-out folds of that data."""

    version: str
    created_at: str
    labels: tuple[str, ...]
    training_size: int
    class_counts: dict[str, int]
    cv_folds: int
    cv: Metrics
    target_precision: float
    auto_dispatch_threshold: float
    stopword_count: int
    training_seconds: float
    config: dict[str, Any]
    libraries: dict[str, str] = field(default_factory=dict)

    @property
    def cv_accuracy(self) -> float:
        return self.cv.accuracy

    @property
    def cv_macro_f1(self) -> float:
        return self.cv.macro_f1

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for a model-version row or a report)."""
        data = asdict(self)
        data["labels"] = list(self.labels)
        data["cv"] = self.cv.to_dict()
        if math.isinf(self.auto_dispatch_threshold):
            data["auto_dispatch_threshold"] = None
        return data


def _head(document: str, *, n: int) -> str:
    """The first ``n`` words of a space-joined document (module-level so that models pickle)."""
    return " ".join(document.split(" ", n)[:n])


def _build_features(config: ClassifierConfig) -> Pipeline:
    def tfidf(**kwargs: Any) -> TfidfVectorizer:
        return TfidfVectorizer(lowercase=False, sublinear_tf=True, min_df=config.min_df, **kwargs)

    union = FeatureUnion(
        [
            ("words", tfidf(tokenizer=str.split, token_pattern=None, ngram_range=config.word_ngram_range)),
            ("chars", tfidf(analyzer="char", ngram_range=config.char_ngram_range)),
            (
                "head",
                tfidf(
                    analyzer="char",
                    ngram_range=config.char_ngram_range,
                    preprocessor=partial(_head, n=config.head_tokens),
                ),
            ),
        ],
        transformer_weights={
            "words": config.word_weight,
            "chars": config.char_weight,
            "head": config.head_weight,
        },
    )
    return Pipeline([("union", union), ("normalise", Normalizer())])


#: Up to this many rows, _Scorers gathers coefficients per row instead of one sparse-dense product.
_GATHER_ROWS = 32


@dataclass(slots=True)
class _Scorers:
    """The base models as one linear map: scores = X @ coef.T + intercept, in blocks of one column per
    class; the blocks listed in ``log_softmax_blocks`` are turned into log-probabilities (naive Bayes)."""

    coef: np.ndarray
    intercept: np.ndarray
    n_classes: int
    log_softmax_blocks: tuple[int, ...]

    def scores(self, features: sp.csr_matrix) -> np.ndarray:
        if features.shape[0] <= _GATHER_ROWS:
            # One appeal at a time (the registration task): `features @ coef.T` would make SciPy copy
            # the whole transposed coefficient matrix into C order on every call (140 ms for 105
            # columns x 200,000 features); each row gathers only the columns its features name.
            raw = np.empty((features.shape[0], self.coef.shape[0]), dtype=np.float64)
            indptr, indices, data = features.indptr, features.indices, features.data
            for row in range(features.shape[0]):
                span = slice(indptr[row], indptr[row + 1])
                raw[row] = self.coef[:, indices[span]] @ data[span]
            raw += self.intercept
        else:  # a batch: the one copy is cheaper than gathering row by row
            raw = np.asarray(features @ self.coef.T, dtype=np.float64) + self.intercept
        for block in self.log_softmax_blocks:
            columns = slice(block * self.n_classes, (block + 1) * self.n_classes)
            raw[:, columns] = log_softmax(raw[:, columns], axis=1)
        return raw


def _svm_block(features: sp.csr_matrix, y: np.ndarray, config: ClassifierConfig) -> tuple[Any, Any]:
    svm = LinearSVC(C=config.svm_c, class_weight="balanced", random_state=config.random_state)
    svm.fit(features, y)
    if svm.coef_.shape[0] == 1:  # two categories: one hyperplane, scored as (-s, s)
        return np.vstack([-svm.coef_, svm.coef_]), np.concatenate([-svm.intercept_, svm.intercept_])
    return svm.coef_, svm.intercept_


def _nbsvm_block(
    features: sp.csr_matrix, y: np.ndarray, classes: np.ndarray, config: ClassifierConfig
) -> tuple[Any, Any]:
    """One-vs-rest NB-SVM (Wang & Manning 2012): an SVM on features scaled by the log-count ratio r.

    Its decision function (x * r) . w + b is linear in x with weights r * w, which is what is kept.
    """
    present = sp.csr_matrix(features, copy=True)
    present.data[:] = 1.0
    coefs, intercepts = [], []
    for label in classes:
        inside = y == label
        p = np.asarray(present[inside].sum(axis=0)).ravel() + 1.0
        q = np.asarray(present[~inside].sum(axis=0)).ravel() + 1.0
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        svm = LinearSVC(C=config.nbsvm_c, random_state=config.random_state)
        svm.fit(features.multiply(ratio).tocsr(), inside.astype(int))
        coefs.append(svm.coef_.ravel() * ratio)
        intercepts.append(svm.intercept_[0])
    return np.vstack(coefs), np.asarray(intercepts)


def _nb_block(features: sp.csr_matrix, y: np.ndarray, config: ClassifierConfig) -> tuple[Any, Any]:
    # ComplementNB's joint log-likelihood is X @ feature_log_prob_.T (no prior for >= 2 classes).
    nb = ComplementNB(alpha=config.nb_alpha).fit(features, y)
    return nb.feature_log_prob_, np.zeros(len(nb.classes_))


def _fit_scorers(
    documents: list[str], y: np.ndarray, classes: np.ndarray, config: ClassifierConfig
) -> tuple[Pipeline, _Scorers]:
    featuriser = _build_features(config)
    features = featuriser.fit_transform(documents).tocsr()
    blocks = [
        _svm_block(features, y, config),
        _nbsvm_block(features, y, classes, config),
        _nb_block(features, y, config),
    ]
    coef = np.vstack([block[0] for block in blocks]).astype(np.float32)
    intercept = np.concatenate([block[1] for block in blocks]).astype(np.float64)
    return featuriser, _Scorers(coef, intercept, n_classes=len(classes), log_softmax_blocks=(2,))


def _new_combiner(config: ClassifierConfig) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=config.combiner_c, max_iter=2000))


class TrainedClassifier:
    """A trained appeal classifier: call :meth:`predict`; :meth:`save` it and :func:`load` it back."""

    def __init__(
        self,
        *,
        info: ModelInfo,
        stopwords: frozenset[str],
        featuriser: Pipeline,
        scorers: _Scorers,
        combiner: Pipeline,
        config: ClassifierConfig,
    ) -> None:
        self.info = info
        self.stopwords = stopwords
        self.config = config
        self._featuriser = featuriser
        self._scorers = scorers
        self._combiner = combiner

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def labels(self) -> tuple[str, ...]:
        return self.info.labels

    @property
    def auto_dispatch_threshold(self) -> float:
        """Confidence at or above which a suggestion may be dispatched automatically (``inf``: never)."""
        return self.info.auto_dispatch_threshold

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one row per text, columns in :attr:`labels` order."""
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)))
        documents = [" ".join(tokenise(text, self.stopwords)) for text in texts]
        features = self._featuriser.transform(documents).tocsr()
        return np.asarray(self._combiner.predict_proba(self._scorers.scores(features)))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The suggested category of each text with its confidence and the top three, in input order."""
        probabilities = self.predict_proba(texts)
        predictions = []
        for row in probabilities:
            ranked = np.argsort(-row, kind="stable")[:3]
            top3 = [(self.labels[i], float(row[i])) for i in ranked]
            predictions.append(Prediction(label=top3[0][0], confidence=top3[0][1], top3=top3))
        return predictions

    def save(self, path: str | Path) -> Path:
        """Write the model and its metadata to ``path`` (a gzip-compressed pickle); returns the path."""
        target = Path(path)
        payload = {
            "format": FILE_FORMAT,
            "format_version": FILE_FORMAT_VERSION,
            "info": self.info,
            "config": self.config,
            "stopwords": sorted(self.stopwords),
            "featuriser": self._featuriser,
            "scorers": self._scorers,
            "combiner": self._combiner,
        }
        with gzip.open(target, "wb", compresslevel=3) as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return target


def load(path: str | Path) -> TrainedClassifier:
    """Read a model written by :meth:`TrainedClassifier.save` (only files the platform itself wrote)."""
    source = Path(path)
    try:
        with gzip.open(source, "rb") as handle:
            payload = pickle.load(handle)
    except FileNotFoundError:
        raise ModelFileError(f"分类模型文件不存在：{source}") from None
    except Exception as exc:  # gzip and pickle raise many kinds for a file that is not theirs
        raise ModelFileError(f"无法读取分类模型文件 {source}：{exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{source} 不是诉求分类模型文件")
    if payload.get("format_version") != FILE_FORMAT_VERSION:
        raise ModelFileError(
            f"{source} 的格式版本为 {payload.get('format_version')}，本程序只能读取版本 {FILE_FORMAT_VERSION}，请重新训练"
        )
    return TrainedClassifier(
        info=payload["info"],
        stopwords=frozenset(payload["stopwords"]),
        featuriser=payload["featuriser"],
        scorers=payload["scorers"],
        combiner=payload["combiner"],
        config=payload["config"],
    )


def _check_training_data(texts: Sequence[str], labels: Sequence[str], folds: int) -> Counter[str]:
    if len(texts) != len(labels):
        raise TrainingDataError(f"文本有 {len(texts)} 条，类别标签有 {len(labels)} 条，数量必须一致")
    for row, (text, label) in enumerate(zip(texts, labels, strict=True), start=1):
        if not isinstance(label, str) or not label.strip():
            raise TrainingDataError(f"第 {row} 条：类别标签为空")
        if not isinstance(text, str):
            raise TrainingDataError(f"第 {row} 条：文本不是字符串")
    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingDataError("训练数据至少需要两个类别")
    scarce = sorted(label for label, count in counts.items() if count < 2)
    if scarce:
        raise TrainingDataError(
            f"类别 {'、'.join(scarce)} 只有 1 条样本；每个类别至少需要 2 条（建议 {folds} 条以上）才能交叉验证"
        )
    return counts


def _version_for(texts: Sequence[str], labels: Sequence[str], config: ClassifierConfig, now: datetime) -> str:
    digest = hashlib.sha256(repr(asdict(config)).encode())
    for text, label in zip(texts, labels, strict=True):
        digest.update(label.encode())
        digest.update(b"\x1f")
        digest.update(text.encode())
        digest.update(b"\x1e")
    return f"{now:%Y%m%d-%H%M%S}-{digest.hexdigest()[:8]}"


def _library_versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("scikit-learn", "jieba", "numpy", "scipy")}


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    config: ClassifierConfig | None = None,
    version: str | None = None,
) -> TrainedClassifier:
    """Train a classifier on labelled appeal texts and measure it by cross-validation on them.

    ``version`` defaults to ``YYYYMMDD-HHMMSS-<hash of data and config>`` (UTC). Raises
    :class:`TrainingDataError` for unusable data (fewer than two categories, a category with one text).
    """
    config = config or ClassifierConfig()
    if config.folds < 2:
        raise TrainingDataError(f"交叉验证折数必须至少为 2（当前为 {config.folds}）")
    started = time.perf_counter()
    counts = _check_training_data(texts, labels, config.folds)
    y = np.asarray(labels, dtype=object)
    classes = np.asarray(sorted(counts), dtype=object)
    n_splits = min(config.folds, min(counts.values()))

    token_docs = [tokenise(text) for text in texts]
    stopwords = (
        frozenset()
        if config.stopword_min_expected is None
        else learn_gap_stopwords(token_docs, min_expected=config.stopword_min_expected)
    )
    documents = [" ".join(tokens) for tokens in token_docs]

    # Out-of-fold scores: every text scored by scorers that never saw it.
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=config.random_state)
    held_out_scores = np.zeros((len(documents), 3 * len(classes)))
    for fit_rows, score_rows in folds.split(documents, y):
        featuriser, scorers = _fit_scorers([documents[i] for i in fit_rows], y[fit_rows], classes, config)
        fold_features = featuriser.transform([documents[i] for i in score_rows]).tocsr()
        held_out_scores[score_rows] = scorers.scores(fold_features)

    # The combiner is cross-fitted once more so the measured figures and the threshold come from
    # probabilities of a combiner that did not see those texts either.
    combiner_folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=config.random_state + 1)
    held_out_probabilities = cross_val_predict(
        _new_combiner(config), held_out_scores, y, cv=combiner_folds, method="predict_proba"
    )
    predicted = classes[held_out_probabilities.argmax(axis=1)]
    threshold = choose_threshold(
        held_out_probabilities.max(axis=1),
        predicted == y,
        config.target_precision,
        confidence_level=config.threshold_confidence_level,
    )
    cv_metrics = metrics_from_probabilities(list(classes), held_out_probabilities, list(y), threshold)

    combiner = _new_combiner(config).fit(held_out_scores, y)
    featuriser, scorers = _fit_scorers(documents, y, classes, config)

    now = datetime.now(tz=UTC)
    info = ModelInfo(
        version=version or _version_for(texts, labels, config, now),
        created_at=now.isoformat(timespec="seconds"),
        labels=tuple(str(label) for label in classes),
        training_size=len(texts),
        class_counts={str(label): counts[label] for label in classes},
        cv_folds=n_splits,
        cv=cv_metrics,
        target_precision=config.target_precision,
        auto_dispatch_threshold=threshold,
        stopword_count=len(stopwords),
        training_seconds=round(time.perf_counter() - started, 3),
        config=asdict(config),
        libraries=_library_versions(),
    )
    return TrainedClassifier(
        info=info,
        stopwords=stopwords,
        featuriser=featuriser,
        scorers=scorers,
        combiner=combiner,
        config=config,
    )
