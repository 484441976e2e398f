"""Browser tests: Playwright (Python, sync API) driving Debian's chromium against pytest-django's live server.

Without /usr/bin/chromium the whole directory is skipped with a message; CI installs the Debian package.
Screenshots go to test-artifacts/ (git-ignored) so people can look at the pages.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1400, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an asyncio event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that it is safe here (it is: the test owns the thread).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason=f"chromium not installed at {CHROMIUM}: browser tests skipped; CI installs Debian's chromium"
        )
        for item in browser_items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser page (its own cookies) at 1400x900, Chinese locale, pointed at the live server."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", base_url=live_server.url, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):  # type: ignore[no-untyped-def]
    """screenshot("name") saves test-artifacts/<name>.png of the whole page."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(page):  # type: ignore[no-untyped-def]
    """sign_in(user) signs in through the login page, as a person would."""
    from tests.factories import DEFAULT_PASSWORD

    def do(user, password: str = DEFAULT_PASSWORD) -> None:  # type: ignore[no-untyped-def]
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return do
