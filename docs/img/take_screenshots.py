"""Takes the screenshots of the README and the user guide (docs/user-guide/) from a running demo, with
Debian's chromium (no browser download).

    make demo                                      # in one terminal
    .venv/bin/python docs/img/take_screenshots.py  # in another; writes docs/img/*.png

Signs in as the demo accounts that `huiqi load_demo` prints, at 1400x900, and photographs what each
role sees. It imports one small file with bad rows (to show the error report), so the demo's
registry gains one enterprise. Only the visible window is taken, to keep each PNG small.
"""

import argparse
import csv
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from stdnum.cn import uscc

HERE = Path(__file__).resolve().parent
PASSWORD = "Huiqi@2026demo"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
]


BODY = "91370102MA3QA0001"
GOOD = BODY + uscc.calc_check_digit(BODY)  # 济南示例软件有限公司, created by the first file


def import_file(folder: Path, name: str, *, employees: str, revenue: str, bad_rows: bool) -> Path:
    """A contract file (DATA-CONTRACT.md section 1): the example enterprise, and three rejected rows."""
    other = BODY[:-1] + "2"
    bad_check = other + ("1" if uscc.calc_check_digit(other) != "1" else "2")  # a wrong check character
    header = ["uscc", "name", "region_code", "industry_code", "established_on", "employees", "revenue"]
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([GOOD, "济南示例软件有限公司", "370102", "I6513", "2021-03-15", employees, revenue])
        if bad_rows:
            writer.writerow([bad_check, "济南校验位错误有限公司", "370102", "C39", "2020-01-01", "10", ""])
            writer.writerow([GOOD[:-2] + "X9", "", "370102", "C39", "2020-13-45", "十人", ""])
            writer.writerow(["", "济南缺少代码有限公司", "9999", "C39", "2020-01-01", "", ""])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--output", type=Path, default=HERE)
    args = parser.parse_args()
    base, out = args.base_url.rstrip("/"), args.output
    out.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)

        def session(username: str) -> Page:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            return page

        def shoot(page: Page, path: str, name: str) -> None:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            target = out / name
            page.screenshot(path=str(target))
            taken.append(target)

        # 系统管理员: two imports of the example enterprise (the second changes it and has bad rows),
        # the report of the second, the 工作台 and the working-day calendar.
        page = session("sysadmin")
        with tempfile.TemporaryDirectory() as folder:
            files = [
                import_file(Path(folder), "企业名单-首次.csv", employees="35", revenue="", bad_rows=False),
                import_file(
                    Path(folder), "企业名单-更新.csv", employees="42", revenue="8600000", bad_rows=True
                ),
            ]
            for path in files:
                page.goto(f"{base}/enterprises/import/")
                page.set_input_files("input[type=file]", str(path))
                page.click("form button[type=submit]")
                page.wait_for_selector("#batch-status[data-status=done]", timeout=120_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "import-result.png"))
            taken.append(out / "import-result.png")
        shoot(page, "/", "home-sysadmin.png")
        shoot(page, "/calendar/?year=2026", "calendar.png")

        # 各业务人员：市场主体库 (a handler: phones masked) and the example enterprise with its history.
        page = session("handler_scjg")
        shoot(page, "/enterprises/?industry_section=C&red_list=1", "registry.png")
        shoot(page, f"/enterprises/{GOOD}/", "enterprise.png")

        # 安全管理员 and 审计管理员.
        shoot(session("secadmin"), "/accounts/manage/", "accounts-security.png")
        shoot(session("auditadmin"), "/audit/?action=enterprise.", "audit.png")

        # 企业用户: 我的企业.
        shoot(session("ent_legal01"), "/enterprises/mine/", "enterprise-user.png")
        browser.close()

    for path in taken:
        print(f"{path}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
