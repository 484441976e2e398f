"""export_enterprises: the registry as a DATA-CONTRACT.md section-1 file (plus size_class)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent
from huiqi.enterprises.models import Enterprise, ProfileChange
from huiqi.enterprises.services import export_enterprises, import_enterprises
from tests.enterprises.importing import HEADER, contract_row, write_csv
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


def read_csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_the_contract_columns_in_order_then_size_class(tmp_path):
    EnterpriseFactory(tags="规上企业;高新技术企业", red_list=True, revenue=Decimal("1234.5"), employees=7)
    output = tmp_path / "out.csv"

    count = export_enterprises(output=output)

    assert count == 1
    header = output.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join([*HEADER, "size_class"])
    (row,) = read_csv(output)
    assert row["revenue"] == "1234.50"
    assert row["established_on"] == "2018-05-20"
    assert row["tags"] == "规上企业;高新技术企业"
    assert row["red_list"] == "true"
    assert row["employees"] == "7"
    assert row["size_class"] == "small"


def test_unknown_facts_are_exported_as_empty_cells_and_large_amounts_without_exponent(tmp_path):
    EnterpriseFactory(unknown_facts=True, ownership=None, total_assets=Decimal("120000000000.00"))
    output = tmp_path / "out.csv"

    export_enterprises(output=output)

    (row,) = read_csv(output)
    assert row["employees"] == row["revenue"] == row["ownership"] == row["size_class"] == ""
    assert row["total_assets"] == "120000000000.00"
    assert row["red_list"] == "false"


def test_export_then_import_changes_nothing(tmp_path):
    rows = [
        contract_row(1),
        contract_row(2, employees="", revenue="", tags="", ownership="", contact_phone=""),
        contract_row(3, tags="b;a", red_list="true", revenue="0.10", name='带"引号",逗号的公司'),
    ]
    import_enterprises(path=write_csv(tmp_path / "in.csv", rows))
    history = ProfileChange.objects.count()
    output = tmp_path / "out.csv"
    export_enterprises(output=output)

    result = import_enterprises(path=output)

    assert (result.created, result.updated, result.unchanged, result.rejected, result.warnings) == (
        0,
        0,
        3,
        0,
        [],
    )
    assert ProfileChange.objects.count() == history


def test_xlsx_export_keeps_codes_as_text_and_imports_back_unchanged(tmp_path):
    from openpyxl import load_workbook

    import_enterprises(path=write_csv(tmp_path / "in.csv", [contract_row(1), contract_row(2, revenue="")]))
    output = tmp_path / "out.xlsx"

    assert export_enterprises(output=output, file_format="xlsx") == 2

    sheet = load_workbook(output, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADER, "size_class"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert isinstance(first["uscc"], str)
    assert isinstance(first["region_code"], str)
    assert isinstance(first["contact_phone"], str)
    assert first["established_on"].date() == datetime.date(2019, 3, 15)
    assert first["revenue"] == 30000000
    assert dict(zip(rows[0], rows[2], strict=False))["revenue"] is None  # read-only mode trims empty cells
    result = import_enterprises(path=output)
    assert (result.unchanged, result.updated, result.rejected) == (2, 0, 0)


def test_masked_export_hides_the_middle_of_phones(tmp_path):
    EnterpriseFactory(contact_phone="13812345678")
    output = tmp_path / "out.csv"

    export_enterprises(output=output, mask_personal_data=True)

    assert read_csv(output)[0]["contact_phone"] == "138****5678"


def test_a_role_that_does_not_need_phones_gets_them_masked_and_an_enterprise_user_gets_nothing(tmp_path):
    EnterpriseFactory(contact_phone="13812345678")
    output = tmp_path / "out.csv"

    export_enterprises(output=output, actor=UserFactory(role="leader"))

    assert read_csv(output)[0]["contact_phone"] == "138****5678"
    with pytest.raises(PermissionDeniedError):
        export_enterprises(output=tmp_path / "x.csv", actor=UserFactory(role="enterprise"))


def test_export_of_a_queryset_writes_only_its_enterprises(tmp_path):
    EnterpriseFactory(red_list=True)
    EnterpriseFactory()
    EnterpriseFactory()
    output = tmp_path / "out.csv"

    count = export_enterprises(output=output, queryset=Enterprise.objects.filter(red_list=True))

    assert count == 1
    assert [row["red_list"] for row in read_csv(output)] == ["true"]


def test_export_to_a_stream_with_a_bom_for_excel(tmp_path):
    EnterpriseFactory()
    buffer = io.BytesIO()

    export_enterprises(output=buffer, include_bom=True)

    assert buffer.getvalue().startswith(b"\xef\xbb\xbfuscc,name,")


def test_export_is_audited(tmp_path):
    EnterpriseFactory()
    admin = UserFactory(system_admin=True)

    export_enterprises(output=tmp_path / "out.csv", actor=admin)

    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_id, event.after["rows"]) == ("enterprise.export", admin.pk, 1)
