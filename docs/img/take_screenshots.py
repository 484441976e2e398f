"""Takes the README's screenshots from a running demo with Debian's chromium (no browser download).

    make demo                                   # in one terminal
    .venv/bin/python docs/img/take_screenshots.py  # in another; writes docs/img/*.png

Signs in as a demo account (load_demo prints them) and photographs the registry list and one enterprise's page at 1366x860.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="handler_scjg")
    parser.add_argument("--password", default="Huiqi@2026demo")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1366, "height": 860}, locale="zh-CN")
        page.goto(f"{args.base_url}/accounts/login/")
        page.fill("#id_username", args.username)
        page.fill("#id_password", args.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{args.base_url}/enterprises/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(HERE / "registry.png"))
        # The first enterprise of the list: its profile, derived facts and history.
        page.click("table tbody tr a")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(HERE / "enterprise.png"))
        for name in ("registry.png", "enterprise.png"):
            print(HERE / name)
        browser.close()


if __name__ == "__main__":
    main()
