"""The import batch page follows a running import (htmx polls every second) until it finishes."""

import pytest
from django.utils import timezone

from huiqi.accounts.enums import Role
from huiqi.enterprises.enums import ImportStatus
from huiqi.enterprises.models import ImportBatch
from tests.factories import UserFactory


@pytest.mark.browser
def test_batch_page_shows_progress_then_the_summary_without_a_reload(page, sign_in, screenshot):
    admin = UserFactory(role=Role.SYSTEM_ADMIN)
    batch = ImportBatch.objects.create(
        file_name="全市企业.csv",
        status=ImportStatus.RUNNING,
        total_rows=200_000,
        processed_rows=50_000,
        started_by=admin,
    )
    sign_in(admin)
    page.goto(f"/enterprises/import/{batch.pk}/")
    page.evaluate("window.notReloaded = true")
    assert "25%" in page.locator("#batch-status .progress").inner_text()
    screenshot("import-batch-running")

    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=150_000)
    page.wait_for_selector("text=75%")
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.DONE,
        processed_rows=200_000,
        created_count=199_990,
        unchanged_count=10,
        finished_at=timezone.now(),
    )
    page.wait_for_selector("#batch-status[data-status=done]")
    assert page.locator("#count-created").inner_text() == "199,990"
    assert page.evaluate("window.notReloaded") is True  # updated in place, not by reloading the page
    assert "所有行均通过校验并已导入" in page.locator("#batch-status").inner_text()
