"""Classification of appeals (the Django side of huiqi.classifier): trained versions, the active one,
suggestions on appeals, and automatic dispatch above a confidence threshold.

Why this module: the classifier package is pure Python (texts in, labels out); this module gives it a
history (ClassifierVersion rows with the accuracy each version measured), one active version loaded
once per process, and the link to the appeals: a category suggestion with its confidence and top 3
(services.record_classification) and, when the classifier is sure enough, dispatch by the routing
rules (appeals.routing) without waiting for a dispatcher.

Decisions where the issue is silent:
* Labels are matched to categories by code first, then by name (a model trained on the database
  speaks codes; one trained on a CSV may speak names). A label that matches no active category gives
  no suggestion (the dispatcher decides), and such categories are left out of the top 3.
* The threshold is HUIQI_AUTO_DISPATCH_CONFIDENCE when set (a number; above 1 turns automatic
  dispatch off), else the active version's own threshold, chosen at training for the precision
  target (huiqi.classifier.choose_threshold). No threshold: no automatic dispatch.
* Automatic dispatch happens only for a ticket still awaiting dispatch, with no category given at
  intake that differs from the suggestion, not flagged as similar to another open appeal (a
  dispatcher decides on merging first), when a routing rule names a lead department. It runs in the
  `after_registration` task once the registration has committed, so intake stays fast; a person acting first wins (the task
  sees the new version and leaves the ticket alone).
* Training from the database uses closed, handled appeals (not merged) with their final category:
  the text is the title and content, the label the category code.
* Saved models live in HUIQI_CLASSIFIER_DIR (default: "models" beside MEDIA_ROOT, i.e. var/models).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.appeals import routing
from huiqi.appeals.enums import Closure, TicketState
from huiqi.appeals.errors import AppealInputInvalidError
from huiqi.appeals.models import Appeal, Category, ClassifierVersion, Ticket
from huiqi.core.audit import record_event
from huiqi.core.errors import ConflictError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from huiqi.accounts.models import User

logger = logging.getLogger(__name__)

MIN_SAMPLES = 10


class ClassifierInputInvalidError(AppealInputInvalidError):
    """The training or classification input (CSV file, texts, labels) is not usable."""


class ClassifierNotFoundError(NotFoundError):
    """No classifier version is active (train one with `huiqi train_classifier`)."""


# --- the classifier package ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One prediction: the label, its confidence, and the best three (label, confidence), best first."""

    label: str
    confidence: float
    top3: tuple[tuple[str, float], ...]


def _package() -> Any:
    """huiqi.classifier, imported when first needed: scikit-learn, SciPy and jieba take a second or
    two to import, and every web process imports this module (through the appeals services)."""
    from huiqi import classifier

    return classifier


def single_threaded_blas() -> Any:
    """OpenBLAS's own threads, one per core, fight the web workers and each other on a small busy
    server: training the combiner took 20 s instead of 5 on the 2-core reference machine under load
    (benchmarks/README.md). One BLAS thread per process is faster there and never worse by much.

    The controller, which lists the process's loaded libraries, is made once per process: made per
    call it cost a sixth of classifying one appeal."""
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


_blas_controller: Any = None


def _refused(exc: Exception) -> ClassifierInputInvalidError:
    return ClassifierInputInvalidError(str(exc), field="input")


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else float(value)


# --- where models are kept ------------------------------------------------------------------------------


def models_dir() -> Path:
    configured = getattr(settings, "HUIQI_CLASSIFIER_DIR", None)
    folder = Path(configured) if configured else Path(settings.MEDIA_ROOT).parent / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def model_file(version: ClassifierVersion) -> Path:
    path = Path(version.model_path)
    return path if path.is_absolute() else models_dir() / path


# --- training data ----------------------------------------------------------------------------------------


def read_training_csv(path: str | Path) -> tuple[list[str], list[str]]:
    """The `text,label` rows of a CSV file (DATA-CONTRACT.md section 3, huiqi.classifier.io); a
    missing column or a row with an empty text or label is refused with its line number."""
    try:
        return _package().read_labelled_csv(path)
    except ValueError as exc:  # classifier.TrainingDataError
        raise _refused(exc) from None


def read_texts_csv(path: str | Path) -> list[str]:
    """The `text` column of a CSV file, in order (huiqi.classifier.io)."""
    try:
        return _package().read_texts_csv(path)
    except ValueError as exc:
        raise _refused(exc) from None


def appeal_text(appeal: Appeal) -> str:
    """What the classifier reads of an appeal: its title and content."""
    title = appeal.title.strip()
    content = appeal.content.strip()
    return content if not title or content.startswith(title) else f"{title}。{content}"


def training_data_from_database(*, limit: int | None = None) -> tuple[list[str], list[str]]:
    """Closed, handled appeals (not merged) and their final category codes (module docstring); with
    `limit`, the most recent ones only."""
    rows = (
        Appeal.objects.filter(ticket__state=TicketState.CLOSED, category__isnull=False)
        .exclude(ticket__closure=Closure.MERGED)
        .select_related("category")
        .only("title", "content", "category__code")
        .order_by("-id")
    )
    if limit is not None:
        rows = rows[:limit]
    texts, labels = [], []
    for appeal in rows.iterator(chunk_size=2000):
        texts.append(appeal_text(appeal))
        labels.append(appeal.category.code)  # type: ignore[union-attr]
    return texts, labels


# --- training and activating ------------------------------------------------------------------------------


def _require_admin(actor: Any | None) -> None:
    if actor is None:
        return  # the command line (an operator on the server)
    if not getattr(actor, "is_authenticated", False) or getattr(actor, "role", None) != Role.SYSTEM_ADMIN:
        raise PermissionDeniedError("只有系统管理员可以训练或启用诉求分类模型。")


def _unique_version(name: str) -> str:
    version, n = name[:36], 1
    while ClassifierVersion.objects.filter(version=version).exists():
        n += 1
        version = f"{name[:36]}-{n}"
    return version


def train_classifier(
    *,
    actor: User | None,
    texts: Sequence[str],
    labels: Sequence[str],
    source: str,
    source_path: str = "",
    config: Any = None,
    activate: bool = True,
) -> ClassifierVersion:
    """Trains a classifier on `texts` and `labels` (huiqi.classifier.train: it cross-validates itself
    and chooses its automatic-dispatch threshold), saves it, records the version with those measured
    figures and activates it unless `activate` is False."""
    _require_admin(actor)
    if len(texts) < MIN_SAMPLES:
        raise ClassifierInputInvalidError(
            f"训练样本太少：{len(texts)} 条（至少 {MIN_SAMPLES} 条）。", field="input"
        )
    try:
        with single_threaded_blas():
            model = _package().train(list(texts), list(labels), config=config)
    except ValueError as exc:  # classifier.TrainingDataError: too few categories or examples
        raise _refused(exc) from None
    info = model.info
    name = _unique_version(info.version)
    relative = Path(f"{name}.pkl.gz")
    model.save(models_dir() / relative)
    with transaction.atomic():
        version = ClassifierVersion.objects.create(
            version=name,
            trained_at=timezone.now(),
            trained_by=actor if getattr(actor, "pk", None) else None,
            source=source,
            source_path=str(source_path)[:500],
            sample_count=info.training_size,
            labels=list(info.labels),
            accuracy=_finite(info.cv.accuracy),
            macro_f1=_finite(info.cv.macro_f1),
            top3_accuracy=_finite(info.cv.top3_accuracy),
            metrics=_jsonable(info.to_dict()),
            threshold=_finite(info.auto_dispatch_threshold),
            model_path=str(relative),
        )
        record_event(
            actor=actor,
            action="classifier.trained",
            obj=version,
            after={
                "version": name,
                "source": source,
                "source_path": version.source_path,
                "sample_count": version.sample_count,
                "labels": len(version.labels),
                "accuracy": version.accuracy,
                "macro_f1": version.macro_f1,
                "top3_accuracy": version.top3_accuracy,
                "threshold": version.threshold,
                "auto_dispatch_rate": _finite(info.cv.auto_dispatch_rate_at_precision),
            },
        )
        if activate:
            activate_classifier_version(actor=actor, version=version)
    return version


def _jsonable(value: Any) -> Any:
    from huiqi.core.audit import to_jsonable

    return to_jsonable(value)


def activate_classifier_version(*, actor: User | None, version: ClassifierVersion) -> ClassifierVersion:
    """Makes `version` the one in use (the previous one stays in the history, inactive)."""
    _require_admin(actor)
    if not model_file(version).exists():
        raise ClassifierNotFoundError(f"分类模型 {version.version} 的模型文件不存在：{model_file(version)}。")
    with transaction.atomic():
        previous = list(
            ClassifierVersion.objects.select_for_update().filter(is_active=True).exclude(pk=version.pk)
        )
        for old in previous:
            old.is_active = False
            old.save(update_fields=["is_active"])
        version.is_active = True
        version.save(update_fields=["is_active"])
        transaction.on_commit(forget_active_check)
        forget_active_check()
        record_event(
            actor=actor,
            action="classifier.activated",
            obj=version,
            before={"active": [old.version for old in previous]},
            after={"active": version.version},
        )
    return version


# --- the active model, loaded once per process -----------------------------------------------------------


_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def active_version() -> ClassifierVersion | None:
    return ClassifierVersion.objects.filter(is_active=True).first()


def load_version(version: ClassifierVersion) -> Any:
    """The model of `version` (a huiqi.classifier.TrainedClassifier), from this process's cache or its
    file."""
    key = f"{version.pk}:{version.model_path}"
    with _lock:
        model = _loaded.get(key)
        if model is None:
            try:
                model = _package().load(model_file(version))
            except ValueError as exc:  # classifier.ModelFileError: missing or foreign file
                raise ClassifierNotFoundError(str(exc)) from None
            _loaded.clear()  # one model in memory at a time: a new active version replaces the old
            _loaded[key] = model
    return model


def classify_texts(texts: Sequence[str], *, version: ClassifierVersion | None = None) -> list[Suggestion]:
    """The active (or given) version's suggestion for each text, in order."""
    version = version or active_version()
    if version is None:
        raise ClassifierNotFoundError("没有启用的诉求分类模型：请先运行 huiqi train_classifier。")
    return [
        Suggestion(
            label=p.label,
            confidence=float(p.confidence),
            top3=tuple((label, float(c)) for label, c in p.top3),
        )
        for p in _predict(load_version(version), texts)
    ]


def _predict(model: Any, texts: Sequence[str]) -> list[Any]:
    with single_threaded_blas():
        return model.predict(list(texts))


def auto_dispatch_threshold(version: ClassifierVersion | None) -> float | None:
    """The confidence above which tickets are dispatched automatically (module docstring)."""
    configured = getattr(settings, "HUIQI_AUTO_DISPATCH_CONFIDENCE", None)
    if configured is not None and configured != "":
        return float(str(configured))
    return version.threshold if version is not None else None


def category_for_label(label: str, categories: dict[str, Category] | None = None) -> Category | None:
    """The active category whose code, or else name, is `label`."""
    table = categories if categories is not None else label_table()
    return table.get(label)


def label_table() -> dict[str, Category]:
    """Active categories by name, then overridden by code (codes win over names)."""
    table: dict[str, Category] = {}
    rows = list(Category.objects.filter(is_active=True).select_related("parent").order_by("-parent_id", "id"))
    for category in rows:  # second-level names first: a leaf is the more precise suggestion
        table.setdefault(category.name, category)
    for category in rows:
        table[category.code] = category
    return table


# --- appeals --------------------------------------------------------------------------------------------


def classify_appeal(*, appeal: Appeal, version: ClassifierVersion | None = None) -> Appeal:
    """Stores the active classifier's suggestion on `appeal` (services.record_classification). Without
    an active classifier the appeal is returned unchanged."""
    from huiqi.appeals import services

    version = version or active_version()
    if version is None:
        return appeal
    suggestion = classify_texts([appeal_text(appeal)], version=version)[0]
    table = label_table()
    category = category_for_label(suggestion.label, table)
    top3 = [
        {"category": found.code, "confidence": round(confidence, 4)}
        for label, confidence in suggestion.top3
        if (found := category_for_label(label, table)) is not None
    ]
    return services.record_classification(
        appeal=appeal,
        suggested_category=category,
        confidence=min(1.0, max(0.0, suggestion.confidence)) if category is not None else None,
        top3=top3,
        classifier_version=version.version,
    )


@dataclass(frozen=True)
class AutoDispatchOutcome:
    """What classify_and_route_appeal did: `dispatched` True when the ticket went out by itself,
    else `reason` says why it waits for a dispatcher."""

    appeal_id: int
    classified: bool
    dispatched: bool
    reason: str = ""


def _decline(appeal: Appeal, classified: bool, reason: str) -> AutoDispatchOutcome:
    return AutoDispatchOutcome(appeal_id=appeal.pk, classified=classified, dispatched=False, reason=reason)


def classify_and_route_appeal(*, appeal_id: int) -> AutoDispatchOutcome:
    """Classifies a newly registered appeal and dispatches its ticket automatically when the suggestion
    is confident enough and a routing rule names a lead department (module docstring)."""
    from huiqi.appeals import services

    appeal = Appeal.objects.select_related("category", "enterprise").filter(pk=appeal_id).first()
    if appeal is None:
        return AutoDispatchOutcome(
            appeal_id=appeal_id, classified=False, dispatched=False, reason="诉求不存在"
        )
    version = active_version()
    if version is None:
        return _decline(appeal, False, "没有启用的分类模型")
    appeal = classify_appeal(appeal=appeal, version=version)
    threshold = auto_dispatch_threshold(version)
    ticket = Ticket.objects.filter(appeal_id=appeal.pk).first()
    suggested = appeal.suggested_category
    if ticket is None or ticket.state != TicketState.AWAITING_DISPATCH:
        return _decline(appeal, True, "工单不在待派单状态")
    if suggested is None or appeal.confidence is None:
        return _decline(appeal, True, "分类模型没有可用的建议")
    if threshold is None or float(appeal.confidence) < threshold:
        return _decline(appeal, True, f"置信度 {float(appeal.confidence):.4f} 低于自动派单阈值")
    if appeal.category_id is not None and appeal.category_id != suggested.pk:
        return _decline(appeal, True, "登记时的分类与建议分类不同")
    if appeal.similar_to_id is not None:
        return _decline(appeal, True, "有疑似重复的在办诉求，需派单员判断是否并单")
    route = routing.suggest_route(appeal=appeal, category=suggested)
    if route.lead_department is None:
        return _decline(appeal, True, "没有匹配的派单规则")
    reason = (
        f"自动派单：分类模型 {version.version} 建议“{suggested}”，置信度 {float(appeal.confidence):.4f}"
        f" ≥ 阈值 {threshold:.4f}；派单规则“{route.rule.name if route.rule else ''}”。"
    )
    try:
        services.dispatch_ticket(
            actor=None,
            ticket=ticket,
            expected_version=ticket.version,
            lead_department=route.lead_department,
            assisting_departments=list(route.assisting_departments),
            category=suggested,
            reason=reason,
        )
    except ConflictError:  # a dispatcher (or the agent, answering directly) acted first: they win
        return _decline(appeal, True, "工单已被他人处理")
    return AutoDispatchOutcome(appeal_id=appeal.pk, classified=True, dispatched=True, reason=reason)


#: How long a process trusts its last look at whether a classifier is active (each registration's
#: after_registration task asks: one query less per appeal); activating a version here forgets it.
ACTIVE_CHECK_SECONDS = 10.0
_active_check: tuple[float, bool] | None = None


def has_active_classifier() -> bool:
    global _active_check
    now = time.monotonic()
    checked = _active_check
    if checked is not None and now - checked[0] < ACTIVE_CHECK_SECONDS:
        return checked[1]
    found = ClassifierVersion.objects.filter(is_active=True).exists()
    _active_check = (now, found)
    return found


def forget_active_check() -> None:
    global _active_check
    _active_check = None


def fast_config() -> Any:
    """Settings for a quick training (the demo's two thousand short texts): three folds, and no
    learned stop words (the demo's vocabulary is small). The precision target stays the platform's."""
    return _package().ClassifierConfig(folds=3, stopword_min_expected=None)
