"""Single-profile writes (update_enterprise_profile, create_enterprise) and web imports
(start_import_batch, the background task, error_report)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from huiqi.core.models import AuditEvent
from huiqi.enterprises.enums import ChangeSource, ImportStatus
from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange
from huiqi.enterprises.services import (
    create_enterprise,
    error_report,
    start_import_batch,
    update_enterprise_profile,
)
from tests.enterprises.importing import HEADER, contract_row
from tests.factories import EnterpriseFactory, UserFactory, uscc_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(system_admin=True)


# --- update_enterprise_profile -------------------------------------------------------------------


def test_update_writes_one_history_row_per_changed_field_and_one_audit_event(admin):
    enterprise = EnterpriseFactory(tags="", contact_phone="0531-80000001")

    updated = update_enterprise_profile(
        enterprise=enterprise,
        actor=admin,
        changes={
            "contact_phone": "13900000000",
            "tags": ["规上企业", "高新技术企业", "规上企业"],
            "name": enterprise.name,
        },
        source=ChangeSource.API,
    )

    assert updated.contact_phone == "13900000000"
    assert updated.tags == "规上企业;高新技术企业"
    changes = {c.field: c for c in ProfileChange.objects.filter(enterprise=enterprise)}
    assert set(changes) == {"contact_phone", "tags"}
    assert (changes["tags"].old_value, changes["tags"].new_value) == ("", "规上企业;高新技术企业")
    assert {c.source for c in changes.values()} == {ChangeSource.API}
    assert {c.changed_by_id for c in changes.values()} == {admin.pk}
    event = AuditEvent.objects.latest("id")
    assert event.action == "enterprise.update"
    assert event.before == {"contact_phone": "0531-80000001", "tags": ""}
    assert event.after == {"contact_phone": "13900000000", "tags": "规上企业;高新技术企业"}
    enterprise.refresh_from_db()
    assert enterprise.contact_phone == "13900000000"


def test_update_recomputes_size_class_and_records_its_change(admin):
    enterprise = EnterpriseFactory(
        industry_code="I6513", employees=40, revenue=Decimal("12000000"), size_class="small"
    )

    updated = update_enterprise_profile(
        enterprise=enterprise, actor=admin, changes={"employees": 400, "revenue": Decimal("200000000")}
    )

    # 软件和信息技术服务业: 300 persons and 1亿 revenue are the large bounds.
    assert updated.size_class == "large"
    change = ProfileChange.objects.get(enterprise=enterprise, field="size_class")
    assert (change.old_value, change.new_value) == ("small", "large")


def test_update_takes_text_as_forms_send_it():
    enterprise = EnterpriseFactory()

    updated = update_enterprise_profile(
        enterprise=enterprise,
        actor=None,
        changes={
            "established_on": "2020-01-02",
            "revenue": "15000000.5",
            "red_list": "true",
            "ownership": "国有",
        },
    )

    assert updated.established_on == datetime.date(2020, 1, 2)
    assert updated.revenue == Decimal("15000000.50")
    assert updated.red_list is True
    assert updated.ownership == "state"


def test_update_reports_every_invalid_field_and_changes_nothing(admin):
    enterprise = EnterpriseFactory()

    with pytest.raises(ValidationFailedError) as failed:
        update_enterprise_profile(
            enterprise=enterprise,
            actor=admin,
            changes={
                "revenue": "-1",
                "established_on": "2021-02-30",
                "name": "",
                "uscc": "X",
                "size_class": "large",
            },
        )

    errors = failed.value.extra["errors"]
    assert set(errors) == {"revenue", "established_on", "name", "uscc", "size_class"}
    assert "不能为负数" in errors["revenue"][0]
    assert "必填" in errors["name"][0]
    assert "不能修改" in errors["uscc"][0]
    assert not ProfileChange.objects.exists()


def test_an_update_that_changes_nothing_writes_nothing(admin):
    enterprise = EnterpriseFactory()
    events = AuditEvent.objects.count()

    update_enterprise_profile(
        enterprise=enterprise,
        actor=admin,
        changes={"revenue": "12000000", "tags": "", "name": enterprise.name},
    )

    assert not ProfileChange.objects.exists()
    assert AuditEvent.objects.count() == events


def test_only_the_system_administrator_edits_the_registry():
    enterprise = EnterpriseFactory()

    with pytest.raises(PermissionDeniedError):
        update_enterprise_profile(
            enterprise=enterprise, actor=UserFactory(role="dispatcher"), changes={"employees": 1}
        )

    assert Enterprise.objects.get().employees == 40


# --- create_enterprise ------------------------------------------------------------------------------


def test_create_registers_an_enterprise_with_its_creation_history_and_event(admin):
    data = {**contract_row(1), "employees": 5, "revenue": Decimal("1000000")}

    enterprise = create_enterprise(actor=admin, data=data, source=ChangeSource.API)

    assert enterprise.uscc == uscc_for(1, region_code="370102")
    assert enterprise.size_class == "micro"
    change = ProfileChange.objects.get(enterprise=enterprise)
    assert (change.field, change.source, change.changed_by_id) == ("*", ChangeSource.API, admin.pk)
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.after["revenue"]) == ("enterprise.create", "1000000.00")


def test_create_refuses_missing_required_fields_and_a_registered_uscc(admin):
    existing = EnterpriseFactory()

    with pytest.raises(ValidationFailedError) as failed:
        create_enterprise(actor=admin, data={"uscc": existing.uscc, "name": "新公司"})

    errors = failed.value.extra["errors"]
    assert "已登记" in errors["uscc"][0]
    assert {"region_code", "industry_code", "established_on"} <= set(errors)
    assert Enterprise.objects.count() == 1


# --- web imports -----------------------------------------------------------------------------------


def upload(rows: list[dict[str, str]], name: str = "上传.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([row[h] for h in HEADER] for row in rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def test_an_uploaded_file_is_stored_and_imported_after_commit(admin, django_capture_on_commit_callbacks):
    rows = [contract_row(1), contract_row(2, established_on="2025-13-01"), contract_row(3)]

    with django_capture_on_commit_callbacks(execute=True):
        batch = start_import_batch(uploaded_file=upload(rows), actor=admin)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE
    assert batch.file_name == "上传.csv"
    assert batch.file.name
    assert batch.started_by == admin
    assert (batch.created_count, batch.rejected_count, batch.processed_rows) == (2, 1, 3)
    assert Enterprise.objects.count() == 2
    assert set(ProfileChange.objects.values_list("batch_id", flat=True)) == {batch.pk}


def test_a_batch_is_not_imported_before_its_transaction_commits(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = start_import_batch(uploaded_file=upload([contract_row(1)]), actor=admin, dry_run=True)

    assert len(callbacks) == 1
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PENDING
    assert not Enterprise.objects.exists()


def test_a_refused_upload_leaves_a_failed_batch(admin, django_capture_on_commit_callbacks):
    bad = SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")

    with django_capture_on_commit_callbacks(execute=True):
        batch = start_import_batch(uploaded_file=bad, actor=admin)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "缺少必填列" in batch.failure_message


def test_only_the_system_administrator_uploads():
    with pytest.raises(PermissionDeniedError):
        start_import_batch(uploaded_file=upload([contract_row(1)]), actor=UserFactory(role="leader"))
    assert not ImportBatch.objects.exists()


def test_error_report_lists_row_column_value_and_reason_as_csv_and_xlsx(
    admin, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    rows = [contract_row(1), contract_row(2, employees="x", red_list="maybe")]
    with django_capture_on_commit_callbacks(execute=True):
        batch = start_import_batch(uploaded_file=upload(rows), actor=admin)
    batch.refresh_from_db()

    text = error_report(batch=batch, file_format="csv").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["行号", "列", "值", "原因"]
    assert lines[1] == ["3", "employees（从业人员）", "x", "应为整数"]
    assert lines[2][:3] == ["3", "red_list（红名单）", "maybe"]

    workbook = load_workbook(io.BytesIO(error_report(batch=batch, file_format="xlsx")), read_only=True)
    cells = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert cells[0] == ("行号", "列", "值", "原因")
    assert cells[1] == (3, "employees（从业人员）", "x", "应为整数")
