"""The foundation journey (issue 2, "Done means"): a system administrator signs in, imports an enterprise
file with a bad row, reads the error report, and follows an enterprise's history through a second import."""

import csv
import re
from pathlib import Path

import pytest

from huiqi.accounts.enums import Role
from tests.factories import UserFactory, uscc_for

HEADER = [
    "uscc",
    "name",
    "region_code",
    "industry_code",
    "established_on",
    "employees",
    "revenue",
    "tags",
    "contact_phone",
]
GOOD_1 = uscc_for(900001, region_code="370102")
GOOD_2 = uscc_for(900002, region_code="370103")
BAD = GOOD_1[:-1] + ("0" if GOOD_1[-1] != "0" else "1")  # the check character is wrong


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def import_file(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/enterprises/import/")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_url(re.compile(r"/enterprises/import/\d+/$"))
    page.wait_for_selector("#batch-status[data-status=done]")


@pytest.mark.browser
def test_administrator_imports_a_file_sees_the_bad_row_and_follows_an_enterprise_history(
    page, sign_in, screenshot, tmp_path
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    admin = UserFactory(role=Role.SYSTEM_ADMIN, username="admin_journey", full_name="王管理")

    page.goto("/enterprises/")
    assert "/accounts/login/" in page.url  # the registry needs a signed-in user
    screenshot("login")
    sign_in(admin)

    # 1. The first file: two good rows and one with a wrong check character (row 4; the header is row 1).
    first = write_csv(
        tmp_path / "第一批企业.csv",
        [
            [
                GOOD_1,
                "济南旅程软件有限公司",
                "370102",
                "I6513",
                "2019-04-01",
                "40",
                "12000000",
                "高新技术企业",
                "13812345678",
            ],
            [
                GOOD_2,
                "济南旅程机械制造有限公司",
                "370103",
                "C3411",
                "2010-09-15",
                "",
                "",
                "",
                "0531-88886666",
            ],
            [BAD, "校验位错误的公司", "370102", "I6513", "2020-01-01", "5", "", "", ""],
        ],
    )
    import_file(page, first)
    assert page.locator("#count-created").inner_text() == "2"
    assert page.locator("#count-rejected").inner_text() == "1"
    errors = page.locator("#batch-errors")
    assert "第 4 行" in errors.inner_text()
    assert "校验位" in errors.inner_text()
    screenshot("import-batch-errors")

    with page.expect_download() as download_info:
        page.click("#errors-csv")
    report = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert "4" in report
    assert "校验位" in report
    assert BAD in report

    # 2. The list finds the new enterprises; the search narrows the table in place (htmx).
    page.goto("/enterprises/")
    page.wait_for_selector("text=济南旅程软件有限公司")
    screenshot("list")
    page.fill("#id_q", "机械制造")
    page.wait_for_function(
        "!document.querySelector('#registry-table').innerText.includes('济南旅程软件有限公司')"
    )
    assert "q=" in page.url  # the filter is in the address, so it can be shared and reloaded
    page.click("text=济南旅程机械制造有限公司")
    page.wait_for_url(f"**/enterprises/{GOOD_2}/")
    history = page.locator("#history")
    assert "新建企业" in history.inner_text()
    assert "第一批企业.csv" in history.inner_text()

    # 3. A changed file: one enterprise grows; its history shows the field, the old and new value, the file.
    second = write_csv(
        tmp_path / "第二批企业.csv",
        [
            [
                GOOD_1,
                "济南旅程软件有限公司",
                "370102",
                "I6513",
                "2019-04-01",
                "55",
                "12000000",
                "高新技术企业",
                "13812345678",
            ],
            [
                GOOD_2,
                "济南旅程机械制造有限公司",
                "370103",
                "C3411",
                "2010-09-15",
                "",
                "",
                "",
                "0531-88886666",
            ],
        ],
    )
    import_file(page, second)
    assert page.locator("#count-updated").inner_text() == "1"
    assert page.locator("#count-unchanged").inner_text() == "1"
    assert page.locator("#count-rejected").inner_text() == "0"

    page.goto(f"/enterprises/{GOOD_1}/")
    row = page.locator("#history tbody tr", has_text="从业人员").first
    text = row.inner_text()
    assert "40" in text
    assert "55" in text
    assert "第二批企业.csv" in text
    assert "王管理" in text
    assert "高新技术企业" in page.locator("text=高新技术企业").first.inner_text()
    screenshot("detail")
    assert problems == []
