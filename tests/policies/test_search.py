"""Policy search (search.py, search_index.py): Chinese segmentation, BM25 ranking, the filters,
highlighted snippets that never let a document's text become markup, the index following the
library (publish, retire, edits) and the token cache; and the search and document pages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import bm25s
import numpy as np
import pytest
import time_machine
from django.urls import reverse

from huiqi.core.errors import PermissionDeniedError, ValidationFailedError
from huiqi.policies import search, search_index, services
from huiqi.policies.models import PolicyDocument, PolicyItemVersion
from tests.factories import EnterpriseUserFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _fresh_index(settings, tmp_path):
    """Each test starts with no index in the process and its own token cache folder."""
    settings.POLICY_SEARCH_CACHE_DIR = tmp_path / "search-cache"
    search_index.reset_search_index()
    with time_machine.travel(datetime(2026, 6, 15, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield
    search_index.reset_search_index()


@pytest.fixture
def user():
    return UserFactory(role="specialist")


def make_document(title: str, text: str = "", **fields) -> PolicyDocument:
    values = {
        "document_number": "",
        "issuing_department": "济南市工业和信息化局",
        "level": "city",
        "region_code": "370100",
        "published_on": date(2025, 3, 1),
        "themes": [],
    }
    values.update(fields)
    return PolicyDocument.objects.create(title=title, full_text=text, **values)


def find(user, query="", **filters):
    return search.search_policies(user=user, query=query, **filters)


def titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


def test_segmentation_keeps_domain_words_whole_and_adds_their_parts():
    tokens = search_index.tokenize("支持专精特新中小企业，按研发费用的10%给予后补助。")
    assert {"专精特新", "研发费用", "研发", "费用", "后补助", "中小企业"} <= set(tokens)
    assert "，" not in tokens
    assert "的" not in tokens


def test_full_width_and_capital_letters_fold_to_the_same_tokens():
    assert search_index.tokenize("ＩＳＯ认证") == search_index.tokenize("iso认证")
    assert len(search_index.fold("ＡＢＣ　专精")) == len("ＡＢＣ　专精")


def test_query_finds_zhuanjingtexin_and_rd_expense_words_in_full_text(user):
    make_document("关于支持中小企业发展的若干措施", "对新认定的国家级专精特新“小巨人”企业给予一次性奖励。")
    make_document("关于加强科技创新的实施意见", "企业研发费用占营业收入比例达到3%以上的，按增量给予补助。")
    make_document("关于做好稳岗就业工作的通知", "对不裁员或少裁员的参保企业返还失业保险费。")

    assert titles(find(user, "专精特新")) == ["关于支持中小企业发展的若干措施"]
    assert titles(find(user, "研发费用")) == ["关于加强科技创新的实施意见"]
    # search mode: a part of a word finds the word
    assert titles(find(user, "研发")) == ["关于加强科技创新的实施意见"]
    assert find(user, "区块链").total == 0


def test_title_match_ranks_above_a_passing_mention(user):
    make_document(
        "关于开展创新型企业评选的通知", "一、评选范围。" + "本市注册的创新型企业。" * 3 + "含专精特新企业。"
    )
    make_document("济南市专精特新中小企业认定管理办法", "第一条 为培育专精特新中小企业，制定本办法。")
    make_document("关于统计工作的通知", "按时报送统计报表。")

    assert titles(find(user, "专精特新"))[0] == "济南市专精特新中小企业认定管理办法"
    assert find(user, "专精特新").total == 2


def test_short_queries_need_every_word_and_long_ones_tolerate_one_missing(user):
    make_document("企业研发费用补助办法", "对企业研发费用给予补助。")
    make_document("专精特新研发费用后补助办法", "对专精特新企业研发费用给予后补助。")
    make_document("稳岗补贴办法", "对企业给予稳岗补贴。")

    assert titles(find(user, "专精特新 研发费用")) == ["专精特新研发费用后补助办法"]
    # four known words (怎么 is in no text, so it is not required): one may be missing, best first
    assert titles(find(user, "专精特新企业研发费用补助怎么")) == [
        "专精特新研发费用后补助办法",
        "企业研发费用补助办法",
    ]


def test_items_are_found_by_their_eligibility_in_words(user, make_item, write_yaml):
    services.import_policy_items(paths=[write_yaml("item.yaml", make_item())])

    results = find(user, "高新技术企业")  # only in the item's condition tree
    assert [(hit.kind, hit.code) for hit in results.hits] == [("item", "JN-2021-CXQY-01")]
    hit = results.hits[0]
    assert "<mark>高新技术企业</mark>" in hit.snippet_html
    assert hit.url.endswith("#item-JN-2021-CXQY-01")
    assert find(user, "营业收入", kind="item").total == 1  # the field's Chinese label


def test_filters_by_level_department_region_theme_and_kind(user):
    make_document("市级研发补助", "研发补助", level="city", region_code="370100", themes=["科技创新"])
    make_document(
        "历下区研发补助", "研发补助", level="district", region_code="370102",
        issuing_department="历下区科技局", themes=["科技创新", "人才"],
    )  # fmt: skip
    make_document("青岛市研发补助", "研发补助", level="city", region_code="370200")
    make_document(
        "国家研发补助", "研发补助", level="national", region_code="100000", issuing_department="科技部"
    )

    assert set(titles(find(user, "研发", level="district"))) == {"历下区研发补助"}
    assert set(titles(find(user, "研发", department="科技部"))) == {"国家研发补助"}
    # a city includes its districts; a district is itself only
    assert set(titles(find(user, "研发", region_code="370100"))) == {"市级研发补助", "历下区研发补助"}
    assert set(titles(find(user, "研发", region_code="370102"))) == {"历下区研发补助"}
    assert set(titles(find(user, "研发", region_code="370000"))) == {
        "市级研发补助",
        "历下区研发补助",
        "青岛市研发补助",
    }
    assert set(titles(find(user, theme="人才"))) == {"历下区研发补助"}
    assert find(user, "研发", kind="item").total == 0
    assert find(user, "研发", department="没有这个部门").total == 0


def test_effective_and_open_for_application_filters(user, make_item, write_yaml):
    make_document("现行文件", "房租补贴", valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31))
    make_document("过期文件", "房租补贴", valid_from=date(2020, 1, 1), valid_to=date(2022, 12, 31))
    window = {"application_opens_on": date(2026, 6, 1), "application_closes_on": date(2026, 6, 30)}
    items = [
        make_item(code="OPEN-1", title="房租补贴（申报中）", effective_to=date(2027, 12, 31), auto_entitlement=False, **window),
        make_item(code="AUTO-1", title="房租补贴（免申即享）", effective_to=date(2027, 12, 31), auto_entitlement=True, **window),
        make_item(code="SHUT-1", title="房租补贴（已截止）", effective_to=date(2027, 12, 31), auto_entitlement=False,
                  application_opens_on=date(2026, 1, 1), application_closes_on=date(2026, 3, 31)),
        make_item(code="OLD-1", title="房租补贴（已失效）", policy="旧政策", effective_to=date(2023, 12, 31)),
    ]  # fmt: skip
    for item in items:  # one file each: PyYAML would write shared dates as aliases, which import refuses
        folder = write_yaml(f"items/{item['code']}.yaml", item).parent
    report = services.import_policy_items(paths=[folder])
    assert not report.rejected

    effective = set(titles(find(user, "房租补贴", effective_only=True)))
    assert effective == {"现行文件", "房租补贴（申报中）", "房租补贴（免申即享）", "房租补贴（已截止）"}
    assert set(titles(find(user, "房租补贴", open_only=True, kind="item"))) == {"房租补贴（申报中）"}
    # a document is open when one of its items is
    assert set(titles(find(user, open_only=True, kind="document"))) == {
        "济南市关于支持初创企业发展的若干措施"
    }
    assert set(titles(find(user, "房租补贴", effective_only=True, as_of=date(2028, 1, 1)))) == set()


def test_snippet_escapes_the_text_and_marks_only_matches(user):
    make_document(
        "关于<b>专精特新</b>企业的通知",
        "前言。" * 40 + "<script>alert('x')</script> 对专精特新企业 & 研发费用给予奖励。" + "附则。" * 40,
    )

    hit = find(user, "专精特新 研发费用").hits[0]
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<mark>专精特新</mark>" in hit.snippet_html
    assert "<mark>研发费用</mark>" in hit.snippet_html
    assert "&amp;" in hit.snippet_html
    assert hit.snippet_html.startswith("…")
    assert hit.snippet_html.endswith("…")
    assert hit.title_html == "关于&lt;b&gt;<mark>专精特新</mark>&lt;/b&gt;企业的通知"


def test_highlight_prefers_the_longest_term():
    assert search.highlight("专精特新企业", ["专精", "特新", "专精特新"]) == "<mark>专精特新</mark>企业"


def test_publishing_and_retiring_an_item_refreshes_the_index(user, editor, reviewer, make_item, write_yaml):
    make_document("无关文件", "其他内容")
    assert find(user, "初创企业").total == 0  # the index is built now
    services.import_policy_items(paths=[write_yaml("item.yaml", make_item())], actor=editor, as_draft=True)
    draft = PolicyItemVersion.objects.get(item__code="JN-2021-CXQY-01")
    assert find(user, "快速发展", kind="item").total == 0  # drafts are never searched

    services.submit_for_review(actor=editor, version=draft)
    assert find(user, "快速发展", kind="item").total == 0
    published = services.publish_item_version(actor=reviewer, version=draft)
    assert [hit.code for hit in find(user, "快速发展", kind="item").hits] == ["JN-2021-CXQY-01"]

    services.retire_item_version(actor=reviewer, version=published, reason="政策到期")
    assert find(user, "快速发展", kind="item").total == 0


def test_an_edited_document_is_searched_in_its_new_text(user):
    document = make_document("关于支持数字经济发展的通知", "对上云用云企业给予补贴。")
    assert find(user, "上云用云").total == 1
    document.full_text = "对智能制造示范工厂给予奖励。"
    document.save()
    assert find(user, "上云用云").total == 0
    assert find(user, "智能制造").total == 1


def test_a_changed_validity_moves_a_document_out_of_the_effective_filter(user):
    document = make_document(
        "关于支持数字经济发展的通知", "对上云用云企业给予补贴。", valid_to=date(2027, 1, 1)
    )
    assert find(user, "上云用云", effective_only=True).total == 1
    document.valid_to = date(2026, 1, 1)
    document.save()
    assert find(user, "上云用云", effective_only=True).total == 0
    assert find(user, "上云用云").total == 1


def test_tokens_are_cached_on_disk_and_reused_by_a_new_process(user, settings):
    make_document("关于支持专精特新企业的通知", "正文" * 50)
    find(user, "专精特新")
    assert list((settings.POLICY_SEARCH_CACHE_DIR).glob("tokens-*.json"))
    search_index.reset_search_index()  # as a new process would start

    index = search_index.current_index()
    assert index.segmented == 0
    assert titles(find(user, "专精特新")) == ["关于支持专精特新企业的通知"]


def test_vector_bm25_scores_equal_stock_bm25s():
    corpus = [
        ["专精", "特新", "企业", "企业"],
        ["研发", "费用", "企业"],
        ["稳岗", "补贴"],
        ["研发", "研发", "研发"],
    ]
    vocab = {token: i for i, token in enumerate(dict.fromkeys(t for doc in corpus for t in doc))}
    stock = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    stock.index([list(doc) for doc in corpus], show_progress=False)
    ours = search_index.VectorBM25(k1=1.2, b=0.75, method="lucene")
    ids = [np.array([vocab[t] for t in doc], dtype=np.int32) for doc in corpus]
    ours.index(
        bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), create_empty_token=False, show_progress=False
    )
    for query in (["研发"], ["企业", "研发"], ["补贴", "特新", "企业"]):
        assert np.allclose(ours.get_scores([vocab[t] for t in query]), stock.get_scores(query), rtol=1e-5)


def test_without_a_query_lists_everything_newest_first(user):
    make_document("旧文件", published_on=date(2020, 1, 1))
    make_document("新文件", published_on=date(2026, 1, 1))
    assert titles(find(user)) == ["新文件", "旧文件"]
    assert titles(search.search_policies(user=user, offset=1, limit=1)) == ["旧文件"]


def test_bad_filters_and_anonymous_users_are_refused(user):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationFailedError) as error:
        find(user, level="planet")
    assert error.value.field == "level"
    with pytest.raises(ValidationFailedError):
        find(user, region_code="37")
    with pytest.raises(ValidationFailedError):
        find(user, "政" * 101)
    with pytest.raises(PermissionDeniedError):
        find(AnonymousUser(), "政策")


# ------------------------------------------------------------------------------------------ pages
def test_search_page_shows_highlighted_hits_to_an_enterprise_user(client, make_item, write_yaml):
    make_document("关于支持专精特新企业的通知", "对专精特新企业给予奖励。", themes=["企业培育"])
    services.import_policy_items(paths=[write_yaml("item.yaml", make_item())])
    client.force_login(EnterpriseUserFactory())

    page = client.get(reverse("policies:search"), {"q": "专精特新"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<mark>专精特新</mark>" in html
    assert "政策文件" in html
    assert "企业培育" in html
    partial = client.get(reverse("policies:search"), {"q": "高新技术企业"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert "奖补项目" in partial.content.decode()
    assert client.get(reverse("policies:search"), {"level": "planet"}).status_code == 200  # invalid: ignored


def test_document_page_shows_text_and_items(client, make_item, write_yaml):
    services.import_policy_items(paths=[write_yaml("item.yaml", make_item())])
    document = PolicyDocument.objects.get()
    document.full_text = "第一条 为支持初创企业发展。\n第二条 <本办法>自发布之日起施行。"
    document.save()
    client.force_login(UserFactory(role="agent"))

    page = client.get(reverse("policies:document", args=[document.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="item-JN-2021-CXQY-01"' in html
    assert "济南市支持快速发展初创企业奖励" in html
    assert "&lt;本办法&gt;" in html
    assert "行业代码" not in html
    assert "企业标签需包含“高新技术企业”" in html  # the item's rules in words
    assert client.get(reverse("policies:document", args=[document.pk + 99])).status_code == 404


def test_menu_offers_policy_search_to_all_but_the_administrators():
    from huiqi.core.navigation import items_for

    def labels(role):
        return [item["label"] for item in items_for(UserFactory(role=role))]

    assert "政策查询" in labels("enterprise")
    assert "政策查询" in labels("policy_editor")
    assert "政策查询" not in labels("system_admin")
    assert "政策查询" not in labels("audit_admin")
