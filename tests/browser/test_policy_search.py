"""The policy search journey: an enterprise user searches the demo library in Chinese, narrows the
results with the filters, and opens a document to read its items and full text."""

import re

import pytest

from huiqi.policies import search_index
from huiqi.policies.demo import load_demo_policies
from tests.factories import EnterpriseUserFactory


@pytest.fixture(autouse=True)
def _search_cache_in_tmp(settings, tmp_path):
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"
    search_index.reset_search_index()
    yield
    search_index.reset_search_index()


def test_enterprise_user_searches_filters_and_opens_a_document(page, sign_in, screenshot):
    summary = load_demo_policies()
    assert not summary.rejected
    sign_in(EnterpriseUserFactory(username="ent_search"))

    page.get_by_role("link", name="政策查询").click()
    page.get_by_label("关键词").fill("专精特新")
    page.get_by_role("button", name="搜索").click()
    hits = page.locator("#search-hits .search-hit")
    hits.first.wait_for()
    assert hits.count() > 1
    # Typing also searches (after a pause): wait until the answer to the last request is shown.
    page.wait_for_function(
        "[...document.querySelectorAll('#search-hits mark')].filter(m => m.textContent.includes('专精特新')).length > 1"
    )
    assert "q=" in page.url  # the query is in the address: the result can be shared and reloaded
    screenshot("policy-search-results")

    page.get_by_label("类型").select_option("item")  # htmx swaps the results in
    page.wait_for_function(
        "document.querySelectorAll('#search-hits .search-hit[data-kind=document]').length === 0"
    )
    assert page.locator("#search-hits .badge", has_text="奖补项目").count() == hits.count()
    page.get_by_label("类型").select_option("document")
    page.wait_for_function(
        "document.querySelectorAll('#search-hits .search-hit[data-kind=item]').length === 0"
    )
    first = page.locator("#search-hits .search-hit h2 a").first
    title = first.inner_text()
    screenshot("policy-search-documents")

    first.click()
    page.wait_for_url(re.compile(r"/policies/documents/\d+/"))
    assert page.locator("#document-title").inner_text() == title
    assert page.locator("#document-items .policy-item").count() >= 1
    assert page.locator("#document-text p").count() > 1
    screenshot("policy-document")
