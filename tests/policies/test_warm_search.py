"""Warming policy search's token cache ahead of the first search (search_index.warm_token_cache):
`huiqi warm_policy_search`, the end of `huiqi load_demo`, and the background task after a publication."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from huiqi.policies import search, search_index, services
from huiqi.policies.models import PolicyDocument, PolicyItemVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index():
    """No index or token store left in the process by another test (the cache folder is per test:
    conftest._search_cache_in_tmp)."""
    search_index.reset_search_index()
    yield
    search_index.reset_search_index()


@pytest.fixture
def tokenized(monkeypatch):
    """The texts jieba segments for the index (search_index.tokenize), in order; it still segments."""
    texts: list[str] = []
    original = search_index.tokenize

    def spy(text: str) -> list[str]:
        texts.append(text)
        return original(text)

    monkeypatch.setattr(search_index, "tokenize", spy)
    return texts


@pytest.fixture
def library(make_item, write_yaml):
    """Two documents with full text and one published item (whose document is a third one)."""
    for title, text in (
        ("关于支持专精特新中小企业发展的若干措施", "对新认定的国家级专精特新“小巨人”企业给予一次性奖励。"),
        ("关于加强科技创新的实施意见", "企业研发费用占营业收入比例达到3%以上的，按增量给予后补助。"),
    ):
        PolicyDocument.objects.create(
            title=title,
            full_text=text,
            document_number="",
            issuing_department="济南市工业和信息化局",
            level="city",
            region_code="370100",
            published_on=date(2025, 3, 1),
            themes=[],
        )
    report = services.import_policy_items(paths=[write_yaml("item.yaml", make_item())])
    assert report.rejected == []


def run_command() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("warm_policy_search", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def cached_hashes(settings) -> set[str]:
    (meta,) = settings.POLICY_SEARCH_CACHE_DIR.glob("tokens-*.json")
    return set(json.loads(meta.read_text(encoding="utf-8"))["hashes"])


def current_hashes() -> set[str]:
    return {entry.text_hash for entry in search_index.load_entries(today=timezone.localdate())}


def ranked(query: str, **filters) -> list[tuple[str, int, str, float, str]]:
    results = search.search_policies(user=UserFactory(role="specialist"), query=query, **filters)
    return [(h.kind, h.object_id, h.code, round(h.score, 4), str(h.snippet_html)) for h in results.hits]


def test_the_command_writes_the_token_cache_of_every_searchable_entry(library, settings, tokenized):
    code, out, _err = run_command()

    assert code == 0
    assert len(current_hashes()) == 4  # three documents (one made by the import) and the item
    assert cached_hashes(settings) == current_hashes()
    assert len(tokenized) == 4
    assert "政策文件 3 份、奖补项目 1 项；新分词 4 条（文件 3、项目 1），已在缓存 0 条" in out
    assert str(settings.POLICY_SEARCH_CACHE_DIR) in out


def test_a_second_run_segments_nothing_and_rewrites_nothing(library, settings, tokenized):
    run_command()
    files = sorted(settings.POLICY_SEARCH_CACHE_DIR.glob("tokens-*"))
    before = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in files}
    tokenized.clear()

    code, out, _err = run_command()

    assert code == 0
    assert tokenized == []
    assert "新分词 0 条（文件 0、项目 0），已在缓存 4 条" in out
    assert sorted(settings.POLICY_SEARCH_CACHE_DIR.glob("tokens-*")) == files
    assert {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in files} == before


def test_only_a_changed_text_is_segmented_again_and_the_old_one_leaves_the_cache(
    library, settings, tokenized
):
    run_command()
    document = PolicyDocument.objects.get(title="关于加强科技创新的实施意见")
    document.full_text = "对智能制造示范工厂给予奖励。"
    document.save()
    tokenized.clear()

    code, out, _err = run_command()

    assert code == 0
    assert len(tokenized) == 1
    assert "智能制造示范工厂" in tokenized[0]
    assert "新分词 1 条（文件 1、项目 0），已在缓存 3 条" in out
    assert cached_hashes(settings) == current_hashes()


def test_search_after_warming_finds_the_same_as_a_cold_search(library, settings, tmp_path, tokenized):
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "cold-cache"
    cold = [ranked("专精特新"), ranked("研发费用 后补助"), ranked("初创企业", kind="item"), ranked("")]
    assert all(cold[:3])
    assert len(tokenized) == 4

    search_index.reset_search_index()
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "warmed-cache"
    run_command()
    search_index.reset_search_index()  # a process started after the warm-up
    tokenized.clear()

    warm = [ranked("专精特新"), ranked("研发费用 后补助"), ranked("初创企业", kind="item"), ranked("")]
    assert warm == cold
    assert tokenized == []
    assert search_index.current_index().segmented == 0


def test_a_running_process_takes_the_tokens_another_process_warmed(library, settings, tokenized):
    assert ranked("专精特新")  # this process has built its index and read the (empty) cache
    PolicyDocument.objects.create(
        title="关于做好稳岗就业工作的通知",
        full_text="对不裁员或少裁员的参保企业返还失业保险费，给予稳岗补贴。",
        issuing_department="济南市人力资源和社会保障局",
        level="city",
        region_code="370100",
        themes=[],
    )
    search_index.warm_token_cache()  # as the background worker does, with a token store of its own
    tokenized.clear()

    assert [hit[1] for hit in ranked("稳岗补贴")] == [PolicyDocument.objects.get(title__contains="稳岗").pk]
    assert tokenized == []
    assert search_index.current_index().segmented == 0


def test_publishing_a_version_warms_the_cache_after_commit(
    settings, editor, reviewer, make_item, write_yaml, django_capture_on_commit_callbacks
):
    services.import_policy_items(paths=[write_yaml("item.yaml", make_item())], actor=editor, as_draft=True)
    draft = PolicyItemVersion.objects.get()
    services.submit_for_review(actor=editor, version=draft)
    assert not list(settings.POLICY_SEARCH_CACHE_DIR.glob("tokens-*.json"))  # a draft is not searched

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.publish_item_version(actor=reviewer, version=draft)
        assert not list(settings.POLICY_SEARCH_CACHE_DIR.glob("tokens-*.json"))  # nothing before commit

    assert len(callbacks) == 2  # the re-match of the item and the warm-up of search
    item_hashes = {
        e.text_hash for e in search_index.load_entries(today=timezone.localdate()) if e.kind == "item"
    }
    assert len(item_hashes) == 1
    assert item_hashes <= cached_hashes(settings)
    assert search_index.current_index().segmented == 0  # the next search segments nothing


def test_an_import_queues_one_warm_up_for_all_its_items(
    monkeypatch, make_item, write_yaml, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(services, "_enqueue_search_warming", lambda: queued.append(True))
    items = [make_item(code="JN-A"), make_item(code="JN-B"), make_item(code="JN-C")]
    with django_capture_on_commit_callbacks(execute=True):
        report = services.import_policy_items(paths=[write_yaml("items.yaml", items)])
    assert report.published_count == 3
    assert queued == [True]

    with django_capture_on_commit_callbacks(execute=True):
        services.import_policy_items(paths=[write_yaml("drafts.yaml", make_item(code="JN-D"))], as_draft=True)
    assert queued == [True]  # drafts are not searched: nothing to warm


def test_the_command_exits_2_when_the_disk_cache_is_turned_off(library, settings, tokenized):
    settings.POLICY_SEARCH_CACHE_DIR = ""
    code, _out, err = run_command()
    assert code == 2
    assert "POLICY_SEARCH_CACHE_DIR 为空" in err
    assert tokenized == []  # nothing segmented for nothing


def test_the_command_exits_1_when_the_cache_cannot_be_written(library, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    settings.POLICY_SEARCH_CACHE_DIR = blocker / "cache"

    code, _out, err = run_command()

    assert code == 1
    assert f"无法写入政策检索分词缓存（{blocker / 'cache'}）" in err


def test_load_demo_warms_policy_search_so_the_first_search_segments_nothing(settings, tokenized):
    out = io.StringIO()
    call_command(
        "load_demo", "--enterprises", "0", "--appeals", "0", "--no-progress", stdout=out, stderr=io.StringIO()
    )

    assert "政策检索 policy search: 政策文件" in out.getvalue()
    assert cached_hashes(settings) == current_hashes()
    search_index.reset_search_index()
    tokenized.clear()
    assert ranked("专精特新")
    assert tokenized == []
