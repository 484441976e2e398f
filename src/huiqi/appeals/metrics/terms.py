"""The key terms of an appeal (for "hot topics", docs/metrics.md): jieba's TF-IDF keywords of the
title and content, without the words every appeal uses.

Why TF-IDF keywords and not every word: an appeal of 200 characters has some 80 words, most of them
function words or the vocabulary of any appeal (企业, 反映, 希望, 问题). Counting the few words that
distinguish the text (jieba.analyse's IDF table, shipped with jieba, no download) gives topics a
leader recognises (用电增容, 留抵退税, 拖欠账款) and keeps the term tables small (TERMS_PER_APPEAL
rows per appeal at most). Terms are computed once, when the appeal's fact is first written: the
text of an appeal does not change after registration.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

TERMS_PER_APPEAL = 5
TERM_MAX_LENGTH = 12

#: Words of the domain that jieba's dictionary would split (so "用电增容" stays one topic).
DOMAIN_WORDS = (
    "用电增容", "留抵退税", "拖欠账款", "拖欠工资", "奖补资金", "专精特新", "高新技术企业", "研发费用",
    "加计扣除", "稳岗补贴", "创业担保贷款", "贷款贴息", "首台套", "不动产登记", "施工许可", "竣工验收",
    "消防验收", "环评审批", "排污许可", "营业执照", "跨境电商", "出口退税", "社保缴费", "公积金",
    "招工难", "人才公寓", "厂房租金", "土地指标", "道路施工", "噪音扰民", "停水停电", "天然气",
    "物流园区", "冷链物流", "政府采购", "工程款", "知识产权", "商标侵权", "食品经营许可", "免申即享",
)  # fmt: skip

#: Words too common in appeals to say what one is about (and the kinds' own names).
STOPWORDS = frozenset(
    (
        "企业", "公司", "我司", "本公司", "有限公司", "问题", "反映", "希望", "情况", "相关", "部门", "工作",
        "申请", "办理", "要求", "咨询", "求助", "投诉", "建议", "表扬", "目前", "一直", "已经", "至今",
        "没有", "是否", "能否", "如何", "怎么", "什么", "请求", "协调", "尽快", "解决", "处理", "答复",
        "政府", "有关", "我们", "他们", "你们", "这个", "那个", "因为", "所以", "但是", "现在", "今年",
        "去年", "明年", "多次", "一个", "月份", "时间", "联系", "电话", "来电", "市民", "来电人", "诉求",
        "关于", "需要", "影响", "进行", "给予", "存在", "造成", "导致", "无法", "不能", "可以", "帮助",
    )
)  # fmt: skip

_NOT_A_TERM = re.compile(r"^[\d\W_a-zA-Z]+$")  # numbers, punctuation, Latin letters alone

_lock = threading.Lock()
_extractor: Any = None


def _cache_dir() -> str:
    directory = Path(getattr(settings, "VAR_DIR", tempfile.gettempdir())) / "cache" / "jieba"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return tempfile.gettempdir()
    return str(directory)


def _tfidf() -> Any:
    """Our own jieba tokenizer and TF-IDF extractor, set up once per process (about 1 s)."""
    global _extractor
    if _extractor is not None:
        return _extractor
    with _lock:
        if _extractor is None:
            import jieba
            import jieba.analyse
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = _cache_dir()
            tokenizer.initialize()
            for word in DOMAIN_WORDS:
                tokenizer.add_word(word, freq=2000)
            extractor = jieba.analyse.TFIDF()
            extractor.tokenizer = tokenizer
            extractor.postokenizer = jieba.posseg.POSTokenizer(tokenizer)
            extractor.stop_words = set(extractor.stop_words) | set(STOPWORDS)
            _extractor = extractor
    return _extractor


def is_term(word: str) -> bool:
    return 2 <= len(word) <= TERM_MAX_LENGTH and word not in STOPWORDS and not _NOT_A_TERM.match(word)


def extract_terms(title: str, content: str) -> list[str]:
    """Up to TERMS_PER_APPEAL key terms of an appeal, most distinctive first, each once."""
    text = f"{title}\n{content}".strip()
    if not text:
        return []
    candidates = _tfidf().extract_tags(text, topK=TERMS_PER_APPEAL * 3)
    terms: list[str] = []
    for word in candidates:
        if is_term(word) and word not in terms:
            terms.append(word)
        if len(terms) == TERMS_PER_APPEAL:
            break
    return terms


def join_terms(terms: list[str]) -> str:
    return " ".join(terms)


def split_terms(value: str) -> list[str]:
    return [term for term in value.split(" ") if term]
