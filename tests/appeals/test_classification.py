"""Classification (appeals.classification): versions, suggestions on appeals, automatic dispatch above
the threshold, and the `huiqi train_classifier` / `huiqi classify` commands (DATA-CONTRACT.md 3)."""

import csv
import io
import random

import pytest
from django.core.management import CommandError, call_command

from huiqi import classifier
from huiqi.accounts.enums import Role
from huiqi.appeals import classification, services
from huiqi.appeals.demo.simulation import compose_text
from huiqi.appeals.enums import TicketState
from huiqi.appeals.models import Appeal, ClassifierVersion, RoutingRule
from huiqi.core.models import AuditEvent
from tests.appeals.factories import CategoryFactory, TicketFactory
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CODES = ("SF-TS", "SB-JF", "SDQ-YD")


def samples(per_label=14, seed=3):
    rng = random.Random(seed)
    texts, labels = [], []
    for code in CODES:
        for _ in range(per_label):
            title, content = compose_text(
                rng=rng, code=code, kind=rng.choice(["help", "complaint"]), department=""
            )
            texts.append(f"{title}。{content}")
            labels.append(code)
    return texts, labels


FAST = classifier.ClassifierConfig(folds=3, stopword_min_expected=None)


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory):
    """One model for the module (training takes seconds): labels are the category codes."""
    folder = tmp_path_factory.mktemp("models")
    texts, labels = samples()
    model = classifier.train(texts, labels, config=FAST)
    model.save(folder / "shared.pkl.gz")
    return folder, model


@pytest.fixture
def categories(db):
    found = {}
    for code, name, parent in (("SF", "税费", None), ("SB", "社保", None), ("SDQ", "水电气", None)):
        found[code] = CategoryFactory(code=code, name=name, parent=parent)
    found["SF-TS"] = CategoryFactory(code="SF-TS", name="退税留抵", parent=found["SF"])
    found["SB-JF"] = CategoryFactory(code="SB-JF", name="社保缴费", parent=found["SB"])
    found["SDQ-YD"] = CategoryFactory(code="SDQ-YD", name="用电报装", parent=found["SDQ"])
    return found


@pytest.fixture
def active(settings, trained_file, categories):
    folder, model = trained_file
    settings.HUIQI_CLASSIFIER_DIR = str(folder)
    classification.forget_active_check()
    return ClassifierVersion.objects.create(
        version="test-shared",
        trained_at=model.info.created_at,
        source="csv",
        sample_count=model.info.training_size,
        labels=list(model.labels),
        threshold=0.5,
        model_path="shared.pkl.gz",
        is_active=True,
    )


def power_text():
    return "我公司新上生产线需要用电增容，报装后一个多月没有现场勘查，外线工程费用过高，请帮忙协调解决。"


def test_training_records_a_version_with_its_measured_figures_and_activates_it(settings, tmp_path):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path)
    texts, labels = samples()
    admin = UserFactory(role=Role.SYSTEM_ADMIN)

    version = classification.train_classifier(
        actor=admin, texts=texts, labels=labels, source="csv", source_path="history.csv", config=FAST
    )

    assert version.is_active
    assert sorted(version.labels) == sorted(CODES)
    assert version.sample_count == len(texts)
    assert 0 < version.macro_f1 <= 1
    assert 0 < version.accuracy <= 1
    assert version.top3_accuracy == 1.0
    assert version.metrics["cv"]["macro_f1"] == version.macro_f1
    assert classification.model_file(version).exists()
    assert classification.model_file(version).parent == tmp_path
    actions = list(AuditEvent.objects.filter(object_id=str(version.pk)).values_list("action", flat=True))
    assert actions == ["classifier.trained", "classifier.activated"]


def test_a_new_version_replaces_the_active_one_and_only_administrators_train(settings, tmp_path):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path)
    texts, labels = samples()
    first = classification.train_classifier(actor=None, texts=texts, labels=labels, source="csv", config=FAST)
    second = classification.train_classifier(
        actor=None, texts=texts, labels=labels, source="csv", config=FAST
    )
    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert first.version != second.version
    with pytest.raises(classification.PermissionDeniedError):
        classification.train_classifier(
            actor=UserFactory(role=Role.DISPATCHER), texts=texts, labels=labels, source="csv", config=FAST
        )


@pytest.mark.parametrize(
    ("texts", "labels", "problem"),
    [
        (["用电"] * 5, ["A"] * 5, "太少"),
        (["用电报装"] * 12, ["A"] * 12, "两个类别"),
        (["用电报装"] * 12, ["A"] * 11 + ["B"], "只有 1 条样本"),
    ],
)
def test_unusable_training_data_is_refused_with_the_reason(settings, tmp_path, texts, labels, problem):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path)
    with pytest.raises(classification.ClassifierInputInvalidError) as refused:
        classification.train_classifier(actor=None, texts=texts, labels=labels, source="csv", config=FAST)
    assert problem in refused.value.message
    assert not ClassifierVersion.objects.exists()


def test_classifying_an_appeal_stores_the_suggestion_its_confidence_and_top3(active, categories):
    appeal = TicketFactory(appeal__content=power_text(), appeal__title="用电增容").appeal

    classification.classify_appeal(appeal=appeal)

    appeal.refresh_from_db()
    assert appeal.suggested_category == categories["SDQ-YD"]
    assert appeal.category is None  # a suggestion never sets the category itself
    assert 0 < appeal.confidence <= 1
    assert next(entry["category"] for entry in appeal.top3) == "SDQ-YD"
    assert {entry["category"] for entry in appeal.top3} == set(CODES)
    assert appeal.classifier_version == "test-shared"


def test_labels_are_matched_to_categories_by_code_then_by_name(categories):
    table = classification.label_table()
    assert classification.category_for_label("SB-JF", table) == categories["SB-JF"]
    assert classification.category_for_label("社保缴费", table) == categories["SB-JF"]
    assert classification.category_for_label("城乡建设", table) is None


def test_a_label_without_category_gives_no_suggestion(active, categories):
    categories["SDQ-YD"].is_active = False
    categories["SDQ-YD"].save()
    appeal = TicketFactory(appeal__content=power_text()).appeal
    classification.classify_appeal(appeal=appeal)
    appeal.refresh_from_db()
    assert appeal.suggested_category is None
    assert appeal.confidence is None
    assert "SDQ-YD" not in [entry["category"] for entry in appeal.top3]


@pytest.fixture
def power_route(categories):
    lead, helper = DepartmentFactory(name="市发改委"), DepartmentFactory(name="市工信局")
    rule = RoutingRule.objects.create(
        name="用电报装", order=1, category=categories["SDQ"], lead_department=lead
    )
    rule.assisting_departments.set([helper])
    return lead, helper


def test_a_confident_suggestion_is_dispatched_automatically_by_the_routing_rule(
    settings, active, power_route
):
    settings.HUIQI_AUTO_DISPATCH_CONFIDENCE = 0.0
    lead, helper = power_route
    ticket = TicketFactory(appeal__content=power_text())

    outcome = classification.classify_and_route_appeal(appeal_id=ticket.appeal_id)

    assert outcome.dispatched, outcome.reason
    ticket.refresh_from_db()
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.lead_department == lead
    assert list(ticket.assisting_departments.all()) == [helper]
    assert ticket.appeal.category.code == "SDQ-YD"  # the suggestion becomes the category on dispatch
    event = ticket.events.get(action="dispatch")
    assert (event.actor_id, event.role) == (None, "")
    assert "自动派单" in event.reason


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("below_threshold", "低于自动派单阈值"),
        ("no_rule", "没有匹配的派单规则"),
        ("similar", "并单"),
        ("other_category", "分类不同"),
        ("dispatched_already", "不在待派单状态"),
    ],
)
def test_appeals_wait_for_a_dispatcher_when_automatic_dispatch_does_not_apply(
    settings, active, categories, power_route, setup, reason
):
    settings.HUIQI_AUTO_DISPATCH_CONFIDENCE = 1.01 if setup == "below_threshold" else 0.0
    ticket = TicketFactory(appeal__content=power_text())
    appeal = ticket.appeal
    if setup == "no_rule":
        RoutingRule.objects.all().delete()
    elif setup == "similar":
        appeal.similar_to = TicketFactory().appeal
        appeal.save()
    elif setup == "other_category":
        appeal.category = categories["SF-TS"]
        appeal.save()
    elif setup == "dispatched_already":  # a dispatcher was quicker: they win
        services.dispatch_ticket(
            actor=UserFactory(role=Role.DISPATCHER),
            ticket=ticket,
            expected_version=ticket.version,
            lead_department=DepartmentFactory(),
        )

    outcome = classification.classify_and_route_appeal(appeal_id=appeal.pk)

    assert not outcome.dispatched
    assert reason in outcome.reason
    assert outcome.classified
    ticket.refresh_from_db()
    assert ticket.state == (
        TicketState.DISPATCHED if setup == "dispatched_already" else TicketState.AWAITING_DISPATCH
    )


def test_the_threshold_defaults_to_the_versions_own_and_the_setting_overrides_it(settings, active):
    settings.HUIQI_AUTO_DISPATCH_CONFIDENCE = None
    assert classification.auto_dispatch_threshold(active) == 0.5
    settings.HUIQI_AUTO_DISPATCH_CONFIDENCE = "0.9"
    assert classification.auto_dispatch_threshold(active) == 0.9


def test_registration_classifies_and_dispatches_in_a_task_after_the_commit(
    settings, active, power_route, django_capture_on_commit_callbacks
):
    settings.HUIQI_AUTO_DISPATCH_CONFIDENCE = 0.0
    agent = UserFactory(role=Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.register_appeal(actor=agent, channel="hotline", kind="help", content=power_text())
    ticket = Appeal.objects.get(pk=appeal.pk).ticket
    assert ticket.state == TicketState.DISPATCHED
    assert ticket.lead_department == power_route[0]


def test_without_an_active_classifier_registration_schedules_nothing(django_capture_on_commit_callbacks):
    classification.forget_active_check()
    with django_capture_on_commit_callbacks() as callbacks:
        services.register_appeal(
            actor=UserFactory(role=Role.AGENT), channel="hotline", kind="help", content=power_text()
        )
    assert all("enqueue" not in getattr(c, "__name__", "") for c in callbacks)


def write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_the_commands_train_from_a_csv_and_classify_a_csv_in_order(settings, tmp_path):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path / "models")
    texts, labels = samples()
    write_csv(tmp_path / "train.csv", ["text", "label"], zip(texts, labels, strict=True))
    write_csv(tmp_path / "in.csv", ["id", "text"], [(1, power_text()), (2, texts[0]), (3, "")])
    out = io.StringIO()

    call_command("train_classifier", "--input", str(tmp_path / "train.csv"), stdout=out, stderr=io.StringIO())
    call_command(
        "classify",
        "--input",
        str(tmp_path / "in.csv"),
        "--output",
        str(tmp_path / "out.csv"),
        stderr=io.StringIO(),
    )

    version = ClassifierVersion.objects.get(is_active=True)
    assert out.getvalue().strip() == version.version
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert list(rows[0]) == ["label", "confidence", "top3"]
    assert len(rows) == 3
    assert rows[0]["label"] == "SDQ-YD"
    assert rows[1]["label"] == labels[0]
    first_top = rows[0]["top3"].split(";")
    assert first_top[0].startswith("SDQ-YD:")
    assert len(first_top) == 3
    assert float(rows[0]["confidence"]) == pytest.approx(float(first_top[0].split(":")[1]), abs=1e-4)


def test_train_classifier_from_the_database_uses_closed_appeals_final_categories(
    settings, tmp_path, categories
):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path)
    texts, labels = samples(per_label=6)
    for text, label in zip(texts, labels, strict=True):
        TicketFactory(state=TicketState.CLOSED, appeal__content=text, appeal__category=categories[label])
    TicketFactory(state=TicketState.ACCEPTED, appeal__category=categories["SF"])  # open: not used

    assert sorted(classification.training_data_from_database()[1]) == sorted(labels)
    call_command("train_classifier", "--from-database", stdout=io.StringIO(), stderr=io.StringIO())
    assert ClassifierVersion.objects.get(is_active=True).source == "database"


def test_commands_refuse_bad_input_with_exit_status_2(settings, tmp_path):
    settings.HUIQI_CLASSIFIER_DIR = str(tmp_path)
    write_csv(tmp_path / "bad.csv", ["text", "category"], [("用电", "A")])
    with pytest.raises(CommandError) as refused:
        call_command("train_classifier", "--input", str(tmp_path / "bad.csv"), stderr=io.StringIO())
    assert refused.value.returncode == 2
    assert "label" in str(refused.value)
    write_csv(tmp_path / "in.csv", ["text"], [("用电",)])
    with pytest.raises(CommandError) as none_active:
        call_command("classify", "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "o.csv"))
    assert none_active.value.returncode == 2
