"""`huiqi import_enterprises` and `huiqi export_enterprises` (DATA-CONTRACT.md section 3)."""

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from huiqi.enterprises.models import Enterprise
from tests.enterprises.importing import HEADER, contract_row, write_csv

pytestmark = pytest.mark.django_db

SAMPLE = Path("/work/shared/contract-samples/enterprises.csv")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
        return error.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def sample(tmp_path):
    """The shared contract sample (30 good rows, bad rows 32 and 33) or an equivalent file."""
    if SAMPLE.exists():
        return Path(shutil.copy(SAMPLE, tmp_path / "enterprises.csv"))
    rows = [contract_row(n) for n in range(1, 31)]
    rows.append(contract_row(31, uscc=contract_row(1)["uscc"][:-1] + "0"))
    rows.append(contract_row(32, established_on="2025-13-01"))
    return write_csv(tmp_path / "enterprises.csv", rows)


def test_import_reports_each_rejected_row_with_its_number_and_exits_non_zero(sample):
    code, out, err = run("import_enterprises", str(sample), "--no-progress")

    assert code == 1
    assert "新增 30" in out
    assert "拒绝 2" in out
    assert re.search(r"^行 32, 列 uscc（统一社会信用代码）.*校验位", err, re.M)
    assert re.search(r"^行 33, 列 established_on（成立日期）", err, re.M)
    assert Enterprise.objects.count() == 30


def test_import_twice_reports_everything_unchanged(sample):
    run("import_enterprises", str(sample), "--no-progress")

    code, out, _ = run("import_enterprises", str(sample), "--no-progress")

    assert code == 1
    assert "新增 0，更新 0，未变化 30，拒绝 2" in out


def test_errors_option_writes_the_rejected_rows_to_a_file(sample, tmp_path):
    report = tmp_path / "errors.txt"

    code, _, err = run("import_enterprises", str(sample), "--errors", str(report))

    assert code == 1
    lines = report.read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in lines] == ["行 32", "行 33"]
    assert "行 32" not in err


def test_errors_option_with_a_csv_name_writes_columns(sample, tmp_path):
    report = tmp_path / "errors.csv"

    run("import_enterprises", str(sample), "--errors", str(report))

    with report.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert [row[0] for row in rows[1:]] == ["32", "33"]


def test_a_file_without_rejections_exits_zero(tmp_path):
    path = write_csv(tmp_path / "ok.csv", [contract_row(1), contract_row(2)])

    code, out, err = run("import_enterprises", str(path))

    assert code == 0
    assert "新增 2，更新 0，未变化 0，拒绝 0" in out
    assert err == ""


def test_dry_run_and_atomic_write_nothing_when_rows_are_rejected(sample):
    code, out, _ = run("import_enterprises", str(sample), "--dry-run")
    assert (code, Enterprise.objects.count()) == (1, 0)
    assert "新增 30" in out
    assert "仅校验" in out

    code, out, _ = run("import_enterprises", str(sample), "--atomic")
    assert (code, Enterprise.objects.count()) == (1, 0)
    assert "未写入" in out


def test_a_refused_file_exits_two_with_the_reason(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [contract_row(1)], header=["uscc", "name"])

    code, _, err = run("import_enterprises", str(path))

    assert code == 2
    assert "缺少必填列" in err


def test_unknown_columns_are_warned_about_on_stderr(tmp_path):
    path = write_csv(tmp_path / "e.csv", [contract_row(1)], header=[*HEADER, "备注"])

    code, _, err = run("import_enterprises", str(path))

    assert code == 0
    assert "忽略了无法识别的列：备注" in err


def test_export_writes_csv_or_xlsx_by_extension(sample, tmp_path):
    from openpyxl import load_workbook

    run("import_enterprises", str(sample))

    code, out, _ = run("export_enterprises", "--output", str(tmp_path / "out.csv"))
    assert code == 0
    assert "30" in out
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    assert list(rows[0]) == [*HEADER, "size_class"]

    code, _, _ = run("export_enterprises", "--output", str(tmp_path / "out.xlsx"))
    assert code == 0
    sheet = load_workbook(tmp_path / "out.xlsx", read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 31


def test_export_to_a_missing_folder_fails_clearly(tmp_path):
    code, _, err = run("export_enterprises", "--output", str(tmp_path / "nowhere" / "out.csv"))

    assert code == 1
    assert "输出目录不存在" in err
