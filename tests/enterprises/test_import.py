"""import_enterprises: DATA-CONTRACT.md section 1 files into the registry, with history."""

import datetime
from decimal import Decimal

import pytest

from huiqi.core.errors import PermissionDeniedError
from huiqi.core.models import AuditEvent
from huiqi.enterprises import services
from huiqi.enterprises.enums import ChangeSource, ImportStatus
from huiqi.enterprises.models import Enterprise, ImportBatch, ProfileChange
from huiqi.enterprises.services import EnterpriseFileRejectedError, import_enterprises
from tests.enterprises.importing import HEADER, contract_row, write_csv, write_xlsx
from tests.factories import UserFactory, uscc_for

pytestmark = pytest.mark.django_db


def accounted_for(result: services.ImportResult) -> bool:
    """Every row read is created, updated, unchanged or rejected: none is dropped silently."""
    return result.total_rows == result.created + result.updated + result.unchanged + result.rejected


def errors_of(result: services.ImportResult) -> list[tuple[int, str, str]]:
    return [(e.row_number, e.column, e.reason) for e in result.errors]


# --- creating and updating ------------------------------------------------------------------------


def test_valid_rows_are_created_with_canonical_values_and_their_size_class(tmp_path):
    path = write_csv(
        tmp_path / "e.csv", [contract_row(1), contract_row(2, tags="专精特新中小企业;高新技术企业")]
    )

    result = import_enterprises(path=path)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (2, 0, 0, 0)
    assert result.is_written
    assert accounted_for(result)
    first = Enterprise.objects.get(uscc=uscc_for(1, region_code="370102"))
    assert first.name == "济南导入测试有限公司1"
    assert first.established_on == datetime.date(2019, 3, 15)
    assert first.revenue == Decimal("30000000.00")
    assert first.employees == 50
    assert first.red_list is False
    # 工业 (国统字〔2017〕213号): 50 persons is small, 3000万 revenue is medium -> small (the lower).
    assert first.size_class == "small"
    second = Enterprise.objects.get(uscc=uscc_for(2, region_code="370102"))
    assert second.tags == "专精特新中小企业;高新技术企业"
    assert second.tag_list == ["专精特新中小企业", "高新技术企业"]


def test_each_created_enterprise_gets_one_creation_history_row(tmp_path):
    admin = UserFactory(system_admin=True)
    path = write_csv(tmp_path / "registry-2026.csv", [contract_row(1), contract_row(2)])

    import_enterprises(path=path, actor=admin)

    changes = ProfileChange.objects.all()
    assert changes.count() == 2
    assert {c.field for c in changes} == {"*"}
    assert {c.source for c in changes} == {ChangeSource.IMPORT}
    assert {c.source_ref for c in changes} == {"registry-2026.csv"}
    assert {c.changed_by_id for c in changes} == {admin.pk}


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    rows = [contract_row(1), contract_row(2, employees="", revenue="", tags="", ownership="")]
    path = write_csv(tmp_path / "e.csv", rows)
    import_enterprises(path=path)
    history = ProfileChange.objects.count()
    stamps = dict(Enterprise.objects.values_list("uscc", "updated_at"))

    again = import_enterprises(path=path)

    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert ProfileChange.objects.count() == history
    assert dict(Enterprise.objects.values_list("uscc", "updated_at")) == stamps


def test_each_changed_field_gets_one_history_row_and_size_class_follows_its_inputs(tmp_path):
    first = write_csv(tmp_path / "first.csv", [contract_row(1)])
    import_enterprises(path=first)
    batch = ImportBatch.objects.create(file_name="second.csv")
    second = write_csv(tmp_path / "second.csv", [contract_row(1, revenue="1000000.5", tags="规上企业")])

    result = import_enterprises(path=second, batch=batch)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    enterprise = Enterprise.objects.get()
    assert enterprise.revenue == Decimal("1000000.50")
    # 100万 revenue is below the 工业 small bound of 300万: micro whatever the employees.
    assert enterprise.size_class == "micro"
    changes = {c.field: c for c in ProfileChange.objects.exclude(field="*")}
    assert set(changes) == {"revenue", "tags", "size_class"}
    assert (changes["revenue"].old_value, changes["revenue"].new_value) == ("30000000.00", "1000000.50")
    assert (changes["tags"].old_value, changes["tags"].new_value) == ("高新技术企业", "规上企业")
    assert (changes["size_class"].old_value, changes["size_class"].new_value) == ("small", "micro")
    assert {c.batch_id for c in changes.values()} == {batch.pk}
    assert {c.source_ref for c in changes.values()} == {"second.csv"}


def test_an_empty_cell_sets_the_field_to_unknown_never_zero(tmp_path):
    import_enterprises(path=write_csv(tmp_path / "a.csv", [contract_row(1)]))
    emptied = contract_row(1, employees="", revenue="", rd_expense="", tags="", red_list="", ownership="")

    import_enterprises(path=write_csv(tmp_path / "b.csv", [emptied]))

    enterprise = Enterprise.objects.get()
    assert enterprise.employees is None
    assert enterprise.revenue is None
    assert enterprise.rd_expense is None
    assert enterprise.ownership is None
    assert enterprise.tags == ""
    assert enterprise.red_list is False
    # 工业 needs employees and revenue: unknown -> size class unknown.
    assert enterprise.size_class is None
    change = ProfileChange.objects.get(field="employees")
    assert (change.old_value, change.new_value) == ("50", None)


def test_a_column_missing_from_the_file_leaves_that_field_untouched(tmp_path):
    import_enterprises(path=write_csv(tmp_path / "a.csv", [contract_row(1)]))
    header = ["uscc", "name", "region_code", "industry_code", "established_on", "revenue"]

    result = import_enterprises(
        path=write_csv(tmp_path / "b.csv", [contract_row(1, revenue="40000000")], header=header)
    )

    assert result.updated == 1
    enterprise = Enterprise.objects.get()
    assert enterprise.revenue == Decimal("40000000.00")
    assert enterprise.tax_paid == Decimal("800000.00")
    assert enterprise.tags == "高新技术企业"
    assert enterprise.employees == 50


def test_a_new_enterprise_from_a_file_without_optional_columns_gets_defaults(tmp_path):
    header = ["uscc", "name", "region_code", "industry_code", "established_on"]

    import_enterprises(path=write_csv(tmp_path / "a.csv", [contract_row(1)], header=header))

    enterprise = Enterprise.objects.get()
    assert (enterprise.revenue, enterprise.tags, enterprise.red_list, enterprise.contact_phone) == (
        None,
        "",
        False,
        "",
    )


# --- validation, one rule at a time -------------------------------------------------------------------

BAD_CELLS = [
    ("uscc", "91370102000000001X", "校验位"),
    ("uscc", "", "必填"),
    ("uscc", "9137010200000000", "18位"),
    ("name", "", "必填"),
    ("name", "名" * 201, "过长"),
    ("region_code", "37010", "6位数字"),
    ("region_code", "", "必填"),
    ("industry_code", "Z99", "格式错误"),
    ("industry_code", "C01", "门类与大类不符"),
    ("established_on", "2021/06/30", "YYYY-MM-DD"),
    ("established_on", "2021-02-30", "不是有效的日期"),
    ("established_on", "", "必填"),
    ("ownership", "mixed", "经济类型应为"),
    ("registered_capital", "-5", "不能为负数"),
    ("registered_capital", "1,000,000", "千位分隔符"),
    ("revenue", "1.5E+07", "科学计数法"),
    ("total_assets", "12.345", "最多两位小数"),
    ("tax_paid", "abc", "应为数字"),
    ("rd_expense", "1234567890123456789", "整数部分最多 18 位"),
    ("employees", "12.5", "整数"),
    ("employees", "-3", "不能为负数"),
    ("employees", "99999999999", "数值过大"),
    ("employees", "十二", "应为整数"),
    ("red_list", "maybe", "true 或 false"),
    ("contact_phone", "call me", "联系电话只能包含"),
    ("contact_phone", "1" * 41, "过长"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS)
def test_a_bad_cell_rejects_its_row_with_row_number_column_value_and_reason(tmp_path, column, value, reason):
    path = write_csv(tmp_path / "e.csv", [contract_row(1), contract_row(2, **{column: value})])

    result = import_enterprises(path=path)

    assert (result.created, result.rejected) == (1, 1)
    assert accounted_for(result)
    (error,) = result.errors
    assert (error.row_number, error.column, error.value) == (3, column, value)
    assert reason in error.reason
    assert Enterprise.objects.count() == 1


def test_a_row_with_several_faults_reports_every_one(tmp_path):
    path = write_csv(
        tmp_path / "e.csv", [contract_row(1, region_code="x", employees="many", red_list="perhaps")]
    )

    result = import_enterprises(path=path)

    assert result.rejected == 1
    assert result.error_count == 3
    assert [(row, column) for row, column, _ in errors_of(result)] == [
        (2, "region_code"),
        (2, "employees"),
        (2, "red_list"),
    ]


def test_accepted_spellings_are_stored_in_canonical_form(tmp_path):
    row = contract_row(
        1,
        uscc=" " + uscc_for(1, region_code="370102").lower() + " ",
        ownership="港澳台",
        red_list="是",
        tags=" 规上企业；高新技术企业; 规上企业 ;",
        registered_capital="1234.5",
        revenue="30000000.500",
        employees="50.0",
        industry_code="c3911",
    )

    result = import_enterprises(path=write_csv(tmp_path / "e.csv", [row, contract_row(2, red_list="1")]))

    assert result.created == 2
    enterprise = Enterprise.objects.get(uscc=uscc_for(1, region_code="370102"))
    assert enterprise.ownership == "hmt"
    assert enterprise.red_list is True
    assert enterprise.tags == "规上企业;高新技术企业"
    assert enterprise.registered_capital == Decimal("1234.50")
    assert enterprise.revenue == Decimal("30000000.50")
    assert enterprise.employees == 50
    assert enterprise.industry_code == "C3911"
    assert Enterprise.objects.get(uscc=uscc_for(2, region_code="370102")).red_list is True


def test_a_second_row_for_the_same_uscc_is_rejected_naming_the_first(tmp_path):
    rows = [contract_row(1), contract_row(2), contract_row(1, name="后来的名字")]

    result = import_enterprises(path=write_csv(tmp_path / "e.csv", rows))

    assert (result.created, result.rejected) == (2, 1)
    (error,) = result.errors
    assert (error.row_number, error.column) == (4, "uscc")
    assert "第 2 行重复" in error.reason
    assert Enterprise.objects.get(uscc=uscc_for(1, region_code="370102")).name == "济南导入测试有限公司1"


def test_blank_rows_are_skipped_but_still_count_in_row_numbers(tmp_path):
    path = tmp_path / "e.csv"
    good = contract_row(1)
    bad = contract_row(2, established_on="yesterday")
    lines = [
        ",".join(HEADER),
        ",".join(good[h] for h in HEADER),
        "",
        ",,,,",
        ",".join(bad[h] for h in HEADER),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")

    result = import_enterprises(path=path)

    assert (result.total_rows, result.created, result.rejected) == (2, 1, 1)
    assert errors_of(result)[0][:2] == (5, "established_on")


def test_a_row_with_more_cells_than_the_header_is_rejected(tmp_path):
    path = tmp_path / "e.csv"
    row = contract_row(1)
    path.write_text(",".join(HEADER) + "\n" + ",".join(row[h] for h in HEADER) + ",extra\n", encoding="utf-8")

    result = import_enterprises(path=path)

    assert result.rejected == 1
    assert "多于表头" in result.errors[0].reason


# --- headers and file formats ---------------------------------------------------------------------


def test_chinese_header_aliases_and_a_bom_are_accepted(tmp_path):
    aliases = {
        "uscc": "统一社会信用代码",
        "name": "企业名称",
        "region_code": "区划代码",
        "industry_code": "行业代码",
        "established_on": "成立日期",
        "revenue": "营业收入",
        "red_list": "红名单",
    }
    row = {aliases[k]: v for k, v in contract_row(1).items() if k in aliases}

    result = import_enterprises(
        path=write_csv(tmp_path / "e.csv", [row], header=list(aliases.values()), bom=True)
    )

    assert (result.created, result.rejected, result.warnings) == (1, 0, [])
    assert Enterprise.objects.get().revenue == Decimal("30000000.00")


def test_unknown_columns_are_ignored_with_one_warning_and_size_class_silently(tmp_path):
    header = [*HEADER, "备注", "size_class", "legal_person"]
    rows = [contract_row(1, 备注="x", size_class="large", legal_person="张三"), contract_row(2)]

    result = import_enterprises(path=write_csv(tmp_path / "e.csv", rows, header=header))

    assert result.created == 2
    assert result.warnings == ["忽略了无法识别的列：备注、legal_person"]
    assert Enterprise.objects.get(uscc=uscc_for(1, region_code="370102")).size_class == "small"


def test_a_file_missing_a_required_column_is_refused_whole(tmp_path):
    header = [h for h in HEADER if h not in ("region_code", "established_on")]
    path = write_csv(tmp_path / "e.csv", [contract_row(1)], header=header)

    with pytest.raises(EnterpriseFileRejectedError) as refused:
        import_enterprises(path=path)

    assert "region_code（区划代码）" in refused.value.message
    assert "established_on（成立日期）" in refused.value.message
    assert Enterprise.objects.count() == 0


def test_a_column_given_twice_is_refused(tmp_path):
    header = [*HEADER, "统一社会信用代码"]

    with pytest.raises(EnterpriseFileRejectedError, match="出现了两次"):
        import_enterprises(path=write_csv(tmp_path / "e.csv", [contract_row(1)], header=header))


def test_a_gbk_csv_is_refused_with_advice(tmp_path):
    path = tmp_path / "e.csv"
    row = contract_row(1)
    path.write_bytes((",".join(HEADER) + "\n" + ",".join(row[h] for h in HEADER) + "\n").encode("gbk"))

    with pytest.raises(EnterpriseFileRejectedError, match="UTF-8"):
        import_enterprises(path=path)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")

    with pytest.raises(EnterpriseFileRejectedError, match="表头"):
        import_enterprises(path=path)


def test_xlsx_first_sheet_with_typed_cells_is_imported(tmp_path):
    good = contract_row(1)
    cells = [
        good["uscc"],
        good["name"],
        370102,
        "C3911",
        datetime.date(2019, 3, 15),
        "private",
        5000000,
        50,
        30000000.0,
        Decimal("20000000.00"),
        800000.25,
        None,
        "高新技术企业;规上企业",
        True,
        13800000001,
    ]
    bad = list(cells)
    bad[0] = uscc_for(2, region_code="370102")
    bad[4] = "2019-13-01"
    path = write_xlsx(tmp_path / "e.xlsx", [cells, [None] * 15, bad])

    result = import_enterprises(path=path)

    assert (result.created, result.rejected) == (1, 1)
    assert errors_of(result)[0][:2] == (4, "established_on")
    enterprise = Enterprise.objects.get()
    assert enterprise.region_code == "370102"
    assert enterprise.established_on == datetime.date(2019, 3, 15)
    assert enterprise.revenue == Decimal("30000000.00")
    assert enterprise.tax_paid == Decimal("800000.25")
    assert enterprise.rd_expense is None
    assert enterprise.red_list is True
    assert enterprise.contact_phone == "13800000001"
    assert import_enterprises(path=path).unchanged == 1


def test_an_xlsx_uscc_typed_as_a_number_is_rejected_with_advice(tmp_path):
    # An 18-digit code typed into Excel becomes a float and loses its last digits.
    row = [913701020000000010, "某公司", "370102", "C3911", "2019-03-15"]
    path = write_xlsx(tmp_path / "e.xlsx", [row], header=HEADER[:5])

    result = import_enterprises(path=path)

    assert result.rejected == 1
    assert "文本格式" in result.errors[0].reason


def test_an_old_xls_file_is_refused(tmp_path):
    path = tmp_path / "e.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)

    with pytest.raises(EnterpriseFileRejectedError, match=r"\.xls"):
        import_enterprises(path=path)


# --- atomic, dry run, chunks, batches, audit, permissions --------------------------------------------


def test_atomic_import_writes_nothing_when_a_row_is_rejected(tmp_path):
    import_enterprises(path=write_csv(tmp_path / "a.csv", [contract_row(1)]))
    history = ProfileChange.objects.count()
    rows = [contract_row(1, revenue="1"), contract_row(2), contract_row(3, uscc="bad")]

    result = import_enterprises(path=write_csv(tmp_path / "b.csv", rows), atomic=True)

    assert not result.is_written
    assert (result.created, result.updated, result.rejected) == (1, 1, 1)
    assert Enterprise.objects.count() == 1
    assert Enterprise.objects.get().revenue == Decimal("30000000.00")
    assert ProfileChange.objects.count() == history
    assert "未写入" in result.summary()


def test_atomic_import_without_rejections_writes_everything(tmp_path):
    result = import_enterprises(
        path=write_csv(tmp_path / "a.csv", [contract_row(1), contract_row(2)]), atomic=True
    )

    assert result.is_written
    assert Enterprise.objects.count() == 2


def test_dry_run_counts_but_writes_nothing_and_records_no_event(tmp_path):
    import_enterprises(path=write_csv(tmp_path / "a.csv", [contract_row(1)]))
    events = AuditEvent.objects.count()
    rows = [contract_row(1, revenue="1"), contract_row(2), contract_row(3, uscc="bad")]

    result = import_enterprises(path=write_csv(tmp_path / "b.csv", rows), dry_run=True)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (1, 1, 0, 1)
    assert not result.is_written
    assert Enterprise.objects.count() == 1
    assert Enterprise.objects.get().revenue == Decimal("30000000.00")
    assert AuditEvent.objects.count() == events


def test_rows_spread_over_many_chunks_give_the_same_result_and_report_progress(tmp_path):
    rows = [contract_row(n) for n in range(1, 12)]
    rows[4]["employees"] = "x"
    rows.append(contract_row(3))  # duplicate of row 4, in a later chunk
    seen: list[tuple[int, int]] = []

    result = import_enterprises(
        path=write_csv(tmp_path / "e.csv", rows),
        chunk_size=3,
        progress=lambda done, total: seen.append((done, total)),
    )

    assert (result.total_rows, result.created, result.rejected) == (12, 10, 2)
    assert [e.row_number for e in result.errors] == [6, 13]
    assert Enterprise.objects.count() == 10
    assert [done for done, _ in seen] == [3, 6, 9, 12, 12]
    assert seen[-1] == (12, 12)


def test_one_audit_event_per_import_with_the_counts(tmp_path):
    admin = UserFactory(system_admin=True)
    rows = [contract_row(n) for n in range(1, 5)] + [contract_row(9, uscc="bad")]
    before = AuditEvent.objects.count()

    import_enterprises(path=write_csv(tmp_path / "e.csv", rows), actor=admin)

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "enterprise.import"
    assert event.actor_id == admin.pk
    assert event.after["created"] == 4
    assert event.after["rejected"] == 1
    assert event.after["file_name"] == "e.csv"


def test_a_batch_follows_the_import_and_keeps_its_errors(tmp_path):
    batch = ImportBatch.objects.create(file_name="e.csv")
    rows = [contract_row(1), contract_row(2, employees="x"), contract_row(3)]

    import_enterprises(path=write_csv(tmp_path / "e.csv", rows), batch=batch)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE
    assert (batch.processed_rows, batch.created_count, batch.rejected_count) == (3, 2, 1)
    assert batch.errors == [{"row": 3, "column": "employees", "value": "x", "reason": "应为整数"}]
    assert batch.finished_at is not None


def test_a_batch_keeps_only_the_first_errors_and_says_how_many_there_were(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "MAX_STORED_ERRORS", 2)
    batch = ImportBatch.objects.create(file_name="e.csv")
    rows = [contract_row(n, employees="x") for n in range(1, 6)]

    result = import_enterprises(path=write_csv(tmp_path / "e.csv", rows), batch=batch)

    assert (result.rejected, result.error_count, len(result.errors)) == (5, 5, 2)
    batch.refresh_from_db()
    assert batch.rejected_count == 5
    assert len(batch.errors) == 3
    assert "共 5 条错误" in batch.errors[-1]["reason"]


def test_a_refused_file_leaves_its_batch_failed_with_the_reason(tmp_path):
    batch = ImportBatch.objects.create(file_name="e.csv")
    path = write_csv(tmp_path / "e.csv", [contract_row(1)], header=["uscc", "name"])

    with pytest.raises(EnterpriseFileRejectedError):
        import_enterprises(path=path, batch=batch)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "缺少必填列" in batch.failure_message


def test_only_the_system_administrator_imports(tmp_path):
    path = write_csv(tmp_path / "e.csv", [contract_row(1)])

    with pytest.raises(PermissionDeniedError):
        import_enterprises(path=path, actor=UserFactory(role="handler"))

    assert Enterprise.objects.count() == 0
    assert import_enterprises(path=path, actor=UserFactory(system_admin=True)).created == 1


def test_a_database_failure_mid_import_fails_the_batch_and_keeps_the_chunks_already_written(
    tmp_path, monkeypatch
):
    from huiqi.enterprises.io import bulk

    original = bulk.insert_enterprises
    calls = []

    def failing_second_time(profiles, *, now):
        calls.append(len(profiles))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(profiles, now=now)

    monkeypatch.setattr(bulk, "insert_enterprises", failing_second_time)
    batch = ImportBatch.objects.create(file_name="e.csv")
    path = write_csv(tmp_path / "e.csv", [contract_row(n) for n in range(1, 10)])

    with pytest.raises(RuntimeError):
        import_enterprises(path=path, batch=batch, chunk_size=3)

    assert Enterprise.objects.count() == 3
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "disk full" in batch.failure_message


def test_a_file_that_stops_being_utf8_part_way_is_refused_from_that_point_on(tmp_path):
    path = tmp_path / "e.csv"
    good = [contract_row(n) for n in range(1, 6001)]  # more than the first megabyte that is checked upfront
    write_csv(path, good)
    with path.open("ab") as handle:
        handle.write(",".join(contract_row(9999, name="济南某公司")[h] for h in HEADER).encode("gbk") + b"\n")

    with pytest.raises(EnterpriseFileRejectedError, match="UTF-8"):
        import_enterprises(path=path, chunk_size=2000)

    # Whole chunks read before the fault are kept (without --atomic), nothing from the fault on.
    imported = Enterprise.objects.count()
    assert 0 < imported < 6000
    assert imported % 2000 == 0


def test_an_atomic_import_updating_rows_in_several_chunks_writes_them_all(tmp_path):
    import_enterprises(path=write_csv(tmp_path / "a.csv", [contract_row(n) for n in range(1, 6)]))
    changed = [contract_row(n, revenue=f"{n}000000.00") for n in range(1, 6)]

    result = import_enterprises(path=write_csv(tmp_path / "b.csv", changed), atomic=True, chunk_size=2)

    assert (result.updated, result.is_written) == (5, True)
    revenues = dict(Enterprise.objects.values_list("name", "revenue"))
    assert revenues["济南导入测试有限公司4"] == Decimal("4000000.00")
    assert ProfileChange.objects.filter(field="revenue").count() == 5
